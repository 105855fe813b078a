/**
 * The SealedSecret operator at work (issue 6):
 *
 * (a) Throughput on `cloak up` (a child process, as `npm start` runs it: control plane and operator in one
 *     process, RSA work on its unseal pool): 1,000 SealedSecrets of 5 items each, sealed with the key hint for the
 *     controller's RSA-4096 key and POSTed at once (16 requests in flight), timed from the first POST until a watch
 *     has seen every one Synced=True for its generation. Items per second are divided by the single-core RSA-4096
 *     OAEP private-decrypt rate measured in this process in the same run. Every Secret is then read back and
 *     compared with what was sealed, and the operator's RSA counter must equal the number of items (the hint
 *     makes it one operation per value). For the reasons behind the figure it prints CPU time per SealedSecret by
 *     kind of thread (main, V8's GC and compiler threads, the unseal pool, libuv), the client's own, and the
 *     CPU the target leaves cloak up besides its unseal pool on this machine (the cores' time at the target
 *     rate, less what the pool and the client took) next to what cloak up took.
 * (b) Memory: `cloak operator` as its own process against `cloak dev cluster`, with 9,000 unmanaged Secrets
 *     (2 KB of data and a last-applied annotation each) and 1,000 SealedSecrets unsealed into 1,000 more, so
 *     10,000 Secrets in the cluster. The operator's resident set (VmRSS) once everything is Synced and it is idle,
 *     target under 150 MB; its peak (VmHWM) for information.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secret } from '../src/kube/objects.ts';
import { sealedSecretsCrd } from '../src/operator/sealed-secrets/crd.ts';
import { parseSealingCertificate, type SealingCertificate } from '../src/sealing/keys.ts';
import { prepareSecret, sealSecret, type SealedSecret } from '../src/sealing/sealed-secret.ts';
import {
  CLOAK_BIN,
  clusterTarget,
  expect,
  firstMatch,
  rate,
  startCluster,
  type Target,
} from './apiserver.ts';
import { progress, type Figure } from './report.ts';
import { decryptJob, DecryptThreads, singleThreadRate } from './rsa-rate.ts';
import { bestOfRounds } from './stats.ts';

const BENCHMARK = 'operator';
const SEALED_SECRETS = 1_000;
const ITEMS = 5;
const UNMANAGED_SECRETS = 9_000;
const BASELINE_ROUNDS = 6;
const RAW_RUN_MS = 500;
const SYNC_TIMEOUT_MS = 300_000;
const SEALED_SECRETS_PATH = '/apis/bitnami.com/v1alpha1';
const RECONCILES = 'controller_runtime_reconcile_total';
const SEALED_SECRETS_CONTROLLER = 'controller="sealedsecrets"';

interface Workload {
  namespace: string;
  sealed: SealedSecret[];
  /** base64 data each Secret must hold, by name. */
  expected: Map<string, Record<string, string>>;
}

export async function benchOperator(): Promise<Figure[]> {
  return [...(await benchOperatorThroughput()), ...(await benchOperatorMemory())];
}

/** (a) alone: `npm run bench -- operator-throughput`. */
export function benchOperatorThroughput(): Promise<Figure[]> {
  return inTempDir((dir, children) => benchThroughput(join(dir, 'up'), children));
}

/** (b) alone: `npm run bench -- operator-memory`. */
export function benchOperatorMemory(): Promise<Figure[]> {
  return inTempDir((dir, children) => benchMemory(join(dir, 'memory'), children));
}

async function inTempDir(
  body: (dir: string, children: ChildProcess[]) => Promise<Figure[]>,
): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-bench-operator-'));
  const children: ChildProcess[] = [];
  try {
    return await body(dir, children);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchThroughput(dataDir: string, children: ChildProcess[]): Promise<Figure[]> {
  const cores = availableParallelism();
  progress('operator: starting cloak up (RSA-4096 controller key)');
  const up = spawn(process.execPath, [CLOAK_BIN, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env['PATH'],
      HOME: dataDir,
      TMPDIR: tmpdir(),
      // For profiling: CLOAK_BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- operator-throughput
      NODE_OPTIONS: process.env['CLOAK_BENCH_NODE_OPTIONS'] ?? '',
    },
  });
  children.push(up);
  const summary = await firstMatch(up, /([\s\S]*Ctrl-C stops everything)/);
  const url = matchOf(summary, /API server (https:\/\/\S+),/);
  const metricsUrl = matchOf(summary, /metrics +(\S+)/);
  const certUrl = new URL(matchOf(summary, /cert URL +(\S+)/));
  const api = await clusterTarget(url, dataDir);
  try {
    const certReply = await api.call('GET', certUrl.pathname);
    expect(200)(certReply);
    const certificate = parseSealingCertificate(certReply.text, 'controller', new Date());

    progress('operator: baseline, RSA-4096 OAEP private decrypts on this thread (cloak up idle)');
    const job = decryptJob(generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey);
    const before = await baselineRates(job, cores);

    progress(`operator: sealing ${SEALED_SECRETS} SealedSecrets of ${ITEMS} items`);
    const workload = sealWorkload('bench', certificate);
    await createNamespace(api, workload.namespace);
    const rsaBefore = await metric(metricsUrl, 'cloak_sealed_secrets_rsa_decryptions_total');
    const reconcilesBefore = await metric(metricsUrl, RECONCILES, SEALED_SECRETS_CONTROLLER);

    progress(`operator: applying them at once; waiting until all are Synced`);
    const cpuBefore = await threadCpu(up.pid ?? 0);
    const clientCpu = process.cpuUsage();
    const elapsedMs = await applyAndWait(api, workload);
    const { user, system } = process.cpuUsage(clientCpu);
    const cpuAfter = await threadCpu(up.pid ?? 0);
    const items = SEALED_SECRETS * ITEMS;
    const itemsPerSecond = (items * 1000) / elapsedMs;
    const rsa = (await metric(metricsUrl, 'cloak_sealed_secrets_rsa_decryptions_total')) - rsaBefore;
    const reconciles = (await metric(metricsUrl, RECONCILES, SEALED_SECRETS_CONTROLLER)) - reconcilesBefore;
    await checkSecrets(api, workload);

    // The baseline again, after the run: the best of both sides is the machine's single-core rate.
    const after = await bestOfRounds(2, { baseline: () => singleThreadRate(job, RAW_RUN_MS) });
    const baseline = Math.max(before.baseline, after.baseline);
    progress(
      `operator: ${items} items Synced in ${(elapsedMs / 1000).toFixed(1)} s: ${itemsPerSecond.toFixed(0)} items/s; baseline ${baseline.toFixed(0)}/s; ${rsa} RSA decryptions`,
    );
    const multiCore = cores >= 2;
    const target = multiCore ? 1.5 : 0.75;
    const clientMs = (user + system) / 1000 / SEALED_SECRETS;
    const perSealedSecret = (key: keyof ThreadCpu): number =>
      (cpuAfter[key] - cpuBefore[key]) / SEALED_SECRETS;
    const besidesPool =
      perSealedSecret('main') + perSealedSecret('v8') + perSealedSecret('io') + perSealedSecret('others');
    // At the target, a SealedSecret may take ITEMS / (target × baseline) seconds of all the cores' time.
    const allowedMs = (ITEMS * cores * 1000) / (target * baseline);
    return [
      info('cores (availableParallelism)', cores, 'cores'),
      info('baseline: RSA-4096 OAEP private decrypts, 1 thread', baseline, 'ops/s'),
      info(`raw private decrypts on ${cores} threads ÷ baseline`, before.rawThreads / baseline, 'ratio'),
      info(`cloak up: ${SEALED_SECRETS}×${ITEMS} items applied → all Synced`, elapsedMs, 'ms'),
      info('cloak up: items unsealed per second', itemsPerSecond, 'items/s'),
      // CPU time, unlike the elapsed time, hardly moves when other processes share the cores.
      info('cloak up: main-thread CPU per SealedSecret', perSealedSecret('main'), 'ms'),
      info("cloak up: V8 helper threads' CPU (GC, compiler) per SealedSecret", perSealedSecret('v8'), 'ms'),
      info("cloak up: unseal pool threads' CPU per SealedSecret", perSealedSecret('pool'), 'ms'),
      info(
        "cloak up: libuv and other threads' CPU per SealedSecret",
        perSealedSecret('io') + perSealedSecret('others'),
        'ms',
      ),
      info('cloak up: reconciles per SealedSecret', reconciles / SEALED_SECRETS, 'ratio'),
      // The client shares the cores too: its POSTs and its watch.
      info('this process (the client) CPU per SealedSecret', clientMs, 'ms'),
      // Where the target stands on this machine: the CPU it leaves for the API server and the operator (every
      // thread of cloak up but the unseal pool's) once the pool and the client had theirs, against what they took.
      info(
        `CPU per SealedSecret the target ${target} leaves cloak up besides its unseal pool`,
        allowedMs - perSealedSecret('pool') - clientMs,
        'ms',
      ),
      info('cloak up: CPU per SealedSecret besides its unseal pool', besidesPool, 'ms'),
      {
        benchmark: BENCHMARK,
        name: 'cloak up: items/s ÷ baseline',
        value: itemsPerSecond / baseline,
        unit: 'ratio',
        target: { comparison: '>=', limit: target },
        note: multiCore
          ? `${cores} cores: target 1.5`
          : 'only 1 core available: target lowered to 0.75 (no parallelism to gain)',
      },
      {
        benchmark: BENCHMARK,
        name: 'cloak up: RSA decryptions ÷ items (key hint: one each)',
        value: rsa / items,
        unit: 'ratio',
        target: { comparison: '<=', limit: 1 },
      },
    ];
  } finally {
    api.close();
    up.kill('SIGTERM');
    await once(up, 'exit');
  }
}

async function benchMemory(dataDir: string, children: ChildProcess[]): Promise<Figure[]> {
  progress('operator memory: starting cloak dev cluster');
  const { url } = await startCluster(dataDir, children);
  const api = await clusterTarget(url, dataDir);
  try {
    await installCrd(api);
    await createNamespace(api, 'apps');
    progress(`operator memory: ${UNMANAGED_SECRETS} unmanaged Secrets (2 KB of data each)`);
    await rate(UNMANAGED_SECRETS, (index) =>
      api
        .call('POST', '/api/v1/namespaces/apps/secrets', unmanagedSecretJson(index), 'application/json')
        .then(expect(201)),
    );

    progress('operator memory: starting cloak operator');
    const operator = spawn(
      process.execPath,
      [
        CLOAK_BIN,
        'operator',
        '--kubeconfig',
        join(dataDir, 'kubeconfig'),
        '--listen-addr',
        '127.0.0.1:0',
        '--listen-metrics-addr',
        '127.0.0.1:0',
        '--kubeclient-qps',
        '1000',
        '--kubeclient-burst',
        '2000',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env['PATH'], HOME: dataDir } },
    );
    children.push(operator);
    const serving = JSON.parse(
      await firstMatch(operator, /^(\{.*"msg":"sealed secrets controller serving"\})$/m),
    ) as { http: string; metrics: string };
    const certificate = await eventuallyValue('the certificate', async () => {
      const response = await fetch(`${serving.http}/v1/cert.pem`);
      return response.status === 200
        ? parseSealingCertificate(await response.text(), 'controller', new Date())
        : undefined;
    });

    progress(`operator memory: ${SEALED_SECRETS} SealedSecrets unsealed into managed Secrets`);
    const workload = sealWorkload('managed', certificate);
    await createNamespace(api, workload.namespace);
    await applyAndWait(api, workload);
    await checkSecrets(api, workload);
    const secrets = await countSecrets(api);

    // Idle: in-flight work, Events and the garbage of unsealing are done with.
    await sleep(5_000);
    const pid = operator.pid ?? 0;
    const samples: number[] = [];
    for (let sample = 0; sample < 5; sample++) {
      samples.push(await memoryOf(pid, 'VmRSS'));
      await sleep(500);
    }
    const rss = Math.min(...samples);
    const peak = await memoryOf(pid, 'VmHWM');
    progress(
      `operator memory: ${secrets} Secrets in the cluster; operator RSS ${rss.toFixed(0)} MB idle, peak ${peak.toFixed(0)} MB`,
    );
    operator.kill('SIGTERM');
    await once(operator, 'exit');
    return [
      info(`Secrets in the cluster (${SEALED_SECRETS} managed)`, secrets, 'count'),
      {
        benchmark: BENCHMARK,
        name: `cloak operator RSS, idle, ${secrets} Secrets (MB)`,
        value: rss,
        unit: 'MB',
        target: { comparison: '<=', limit: 150 },
      },
      info('cloak operator peak RSS while unsealing (MB)', peak, 'MB'),
    ];
  } finally {
    api.close();
  }
}

async function baselineRates(
  job: ReturnType<typeof decryptJob>,
  cores: number,
): Promise<{ baseline: number; rawThreads: number }> {
  await using threads = new DecryptThreads(job, cores);
  return await bestOfRounds(BASELINE_ROUNDS, {
    baseline: () => singleThreadRate(job, RAW_RUN_MS),
    rawThreads: () => threads.rate(RAW_RUN_MS),
  });
}

function info(name: string, value: number, unit: Figure['unit']): Figure {
  return { benchmark: BENCHMARK, name, value, unit };
}

function matchOf(text: string, pattern: RegExp): string {
  const found = pattern.exec(text)?.[1];
  if (!found) throw new Error(`no ${String(pattern)} in:\n${text}`);
  return found;
}

/** Secrets of 5 random 32-byte items, sealed (with the key hint) for the controller's certificate. */
export function sealWorkload(namespace: string, certificate: SealingCertificate): Workload {
  const sealed: SealedSecret[] = [];
  const expected = new Map<string, Record<string, string>>();
  for (let index = 0; index < SEALED_SECRETS; index++) {
    const name = `sealed-${index}`;
    const data: Record<string, string> = {};
    for (let item = 0; item < ITEMS; item++) data[`item-${item}`] = randomBytes(32).toString('base64');
    const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data };
    sealed.push(sealSecret(prepareSecret(secret, {}, name), certificate, name));
    expected.set(name, data);
  }
  return { namespace, sealed, expected };
}

/**
 * POSTs every SealedSecret (16 in flight) and resolves the milliseconds from the first POST until a watch saw
 * each one Synced=True for its current generation.
 */
export async function applyAndWait(api: Target, workload: Workload): Promise<number> {
  const base = `${SEALED_SECRETS_PATH}/namespaces/${workload.namespace}/sealedsecrets`;
  const list = await api.call('GET', `${base}?limit=1`);
  expect(200)(list);
  const from = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const response = await api.stream(`${base}?watch=true&resourceVersion=${from}`);
  const synced = new Set<string>();
  let done: () => void = () => undefined;
  const allSynced = new Promise<void>((resolve) => (done = resolve));
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const event = JSON.parse(line) as { type: string; object: WatchedSealedSecret };
      if (event.type !== 'ADDED' && event.type !== 'MODIFIED') continue;
      if (isSynced(event.object)) synced.add(event.object.metadata.name);
      if (synced.size === workload.sealed.length) done();
    }
  });
  response.on('error', () => undefined);
  const stopTimer = new AbortController();
  try {
    const started = performance.now();
    await rate(workload.sealed.length, (index) =>
      api.call('POST', base, JSON.stringify(workload.sealed[index]), 'application/json').then(expect(201)),
    );
    const timeout = sleep(SYNC_TIMEOUT_MS, undefined, { signal: stopTimer.signal }).then(
      () => {
        throw new Error(`only ${synced.size} of ${workload.sealed.length} SealedSecrets Synced in time`);
      },
      () => undefined,
    );
    await Promise.race([allSynced, timeout]);
    return performance.now() - started;
  } finally {
    stopTimer.abort();
    response.destroy();
  }
}

interface WatchedSealedSecret {
  metadata: { name: string; generation?: number };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
}

function isSynced(object: WatchedSealedSecret): boolean {
  const condition = object.status?.conditions?.find((each) => each.type === 'Synced');
  return condition?.status === 'True' && object.status?.observedGeneration === object.metadata.generation;
}

/** A fast wrong answer is not a result: every Secret must hold exactly what was sealed. */
export async function checkSecrets(api: Target, workload: Workload): Promise<void> {
  const reply = await api.call('GET', `/api/v1/namespaces/${workload.namespace}/secrets`);
  expect(200)(reply);
  const secrets = (JSON.parse(reply.text) as { items: Secret[] }).items;
  const found = new Map(secrets.map((secret) => [secret.metadata.name ?? '', secret.data ?? {}]));
  for (const [name, data] of workload.expected) {
    const got = found.get(name);
    const same =
      got !== undefined &&
      Object.keys(got).length === Object.keys(data).length &&
      Object.entries(data).every(([item, value]) => got[item] === value);
    if (!same) throw new Error(`Secret ${workload.namespace}/${name} does not hold what was sealed`);
  }
}

async function countSecrets(api: Target): Promise<number> {
  let count = 0;
  let next = '';
  do {
    const reply = await api.call(
      'GET',
      `/api/v1/secrets?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
    );
    expect(200)(reply);
    const page = JSON.parse(reply.text) as { items: unknown[]; metadata: { continue?: string } };
    count += page.items.length;
    next = page.metadata.continue ?? '';
  } while (next);
  return count;
}

async function installCrd(api: Target): Promise<void> {
  const reply = await api.call(
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    JSON.stringify(sealedSecretsCrd()),
    'application/json',
  );
  expect(201)(reply);
  await eventuallyValue('the CRD to be served', async () => {
    const list = await api.call('GET', `${SEALED_SECRETS_PATH}/sealedsecrets?limit=1`);
    return list.status === 200 ? true : undefined;
  });
}

export async function createNamespace(api: Target, name: string): Promise<void> {
  const reply = await api.call(
    'POST',
    '/api/v1/namespaces',
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    'application/json',
  );
  expect(201)(reply);
}

/** A Secret as `kubectl apply` leaves it: 2 KB of data, and the same again in the last-applied annotation. */
function unmanagedSecretJson(index: number): string {
  const data = {
    'tls.crt': randomBytes(768).toString('base64'),
    'tls.key': randomBytes(768).toString('base64'),
  };
  const applied = { apiVersion: 'v1', kind: 'Secret', metadata: { name: `plain-${index}` }, data };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `plain-${index}`,
      labels: { app: `app-${index % 50}` },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) },
    },
    type: 'Opaque',
    data,
  });
}

/** The sum of a metric's series (those with `label`, e.g. `controller="x"`, when given). */
export async function metric(metricsUrl: string, name: string, label?: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const series = line.slice(0, line.lastIndexOf(' '));
    if (label !== undefined && !series.includes(label)) continue;
    if (series === name || series.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * CPU milliseconds (user + system) a process's threads have used, by what they are (the names Node and V8 give
 * them; threads that ended are not counted). Linux's /proc; zeros elsewhere.
 */
interface ThreadCpu {
  main: number;
  /** V8's platform threads: parallel and concurrent GC, background compilation. */
  v8: number;
  /** Worker threads: the unseal pool's. */
  pool: number;
  /** libuv's thread pool: file system calls, SQLite's WAL fdatasync among them. */
  io: number;
  others: number;
}

const THREAD_KINDS: Readonly<Record<string, keyof ThreadCpu>> = {
  V8Worker: 'v8',
  WorkerThread: 'pool',
  'libuv-worker': 'io',
};

async function threadCpu(pid: number): Promise<ThreadCpu> {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const total: ThreadCpu = { main: 0, v8: 0, pool: 0, io: 0, others: 0 };
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return total;
  }
  for (const task of tasks) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the parenthesised name: state is field 3, utime 14 and stime 15.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * ticksToMs;
    total[task === String(pid) ? 'main' : (THREAD_KINDS[name] ?? 'others')] += ms;
  }
  return total;
}

/** Megabytes of a /proc/<pid>/status field (VmRSS: resident now; VmHWM: the peak). */
async function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  if (!Number.isFinite(kilobytes)) throw new Error(`no ${field} for process ${pid}`);
  return kilobytes / 1024;
}

async function eventuallyValue<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
