/**
 * The local control plane (`cloak dev cluster`, SQLite backend, as a user starts it) under load from this
 * process over keep-alive HTTPS connections: 10,000 Secret creates, 10,000 gets, the latency of watch events
 * for one watcher, and a fan-out of updates to 100 watchers (every event must arrive). The floor is a bare
 * node:http server answering a fixed JSON body, in its own process, measured in the same run with the same
 * client: GET ÷ floor is the cost of our API layer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { progress, type Figure } from './report.ts';
import { median } from './stats.ts';

const BENCHMARK = 'dev cluster';
export const CLOAK_BIN = fileURLToPath(new URL('../bin/cloak', import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const SECRETS = 10_000;
export const CONCURRENCY = 16;
const WATCH_UPDATES = 500;
const FAN_OUT_WATCHERS = 100;
const FAN_OUT_UPDATES = 200;
const START_RUNS = 3;

export interface Reply {
  status: number;
  text: string;
}

export interface Target {
  call(method: string, path: string, body?: string, contentType?: string): Promise<Reply>;
  stream(path: string): Promise<IncomingMessage>;
  close(): void;
}

export async function benchApiServer(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-bench-apiserver-'));
  const children: ChildProcess[] = [];
  try {
    const startMs = await startTimes(dir);
    const floor = await startFloor(children);
    const cluster = await startCluster(join(dir, 'data'), children);
    const api = await clusterTarget(cluster.url, join(dir, 'data'));
    const floorTarget = httpTarget(floor);

    progress(`dev cluster: ${SECRETS} creates, ${CONCURRENCY} at a time`);
    const createRate = await rate(SECRETS, (index) =>
      api
        .call('POST', '/api/v1/namespaces/default/secrets', secretJson(index), 'application/json')
        .then(expect(201)),
    );
    progress(`dev cluster: ${SECRETS} gets, and as many from the node:http floor`);
    const floorRate = await rate(SECRETS, () => floorTarget.call('GET', '/').then(expect(200)));
    const getRate = await rate(SECRETS, (index) =>
      api.call('GET', `/api/v1/namespaces/default/secrets/bench-${index}`).then(expect(200)),
    );
    const floorRateAgain = await rate(SECRETS, () => floorTarget.call('GET', '/').then(expect(200)));
    const floorBest = Math.max(floorRate, floorRateAgain);

    progress(`dev cluster: watch latency over ${WATCH_UPDATES} updates`);
    const latency = await watchLatency(api);
    progress(`dev cluster: ${FAN_OUT_UPDATES} updates fanned out to ${FAN_OUT_WATCHERS} watchers`);
    const fanOut = await watchFanOut(api);
    api.close();
    floorTarget.close();
    return [
      {
        benchmark: BENCHMARK,
        name: 'start on an empty data dir (spawn to serving), best of 3',
        value: startMs,
        unit: 'ms',
        target: { comparison: '<=', limit: 1000 },
      },
      { benchmark: BENCHMARK, name: 'node:http floor (fixed JSON), GET', value: floorBest, unit: 'ops/s' },
      {
        benchmark: BENCHMARK,
        name: 'Secret create (SQLite, fsynced before each acknowledgement)',
        value: createRate,
        unit: 'ops/s',
      },
      { benchmark: BENCHMARK, name: 'Secret get', value: getRate, unit: 'ops/s' },
      { benchmark: BENCHMARK, name: 'floor ÷ create', value: floorBest / createRate, unit: 'ratio' },
      {
        benchmark: BENCHMARK,
        name: 'floor ÷ get',
        value: floorBest / getRate,
        unit: 'ratio',
        target: { comparison: '<=', limit: 5 },
      },
      {
        benchmark: BENCHMARK,
        name: 'watch event latency, median (write acked → event)',
        value: latency.median,
        unit: 'ms',
      },
      { benchmark: BENCHMARK, name: 'watch event latency, p99', value: latency.p99, unit: 'ms' },
      {
        benchmark: BENCHMARK,
        name: `watch fan-out: events missing of ${FAN_OUT_WATCHERS}×${FAN_OUT_UPDATES}`,
        value: fanOut.missing,
        unit: 'ratio',
        target: { comparison: '<=', limit: 0 },
        note: `p99 delivery ${fanOut.p99.toFixed(1)} ms after the write was acknowledged`,
      },
    ];
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

export function secretJson(index: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bench-${index}`, labels: { app: 'bench', shard: String(index % 10) } },
    type: 'Opaque',
    data: {
      username: Buffer.from(`user-${index}`).toString('base64'),
      password: Buffer.from(`password-${index}-xxxxxxxxxxxxxxxx`).toString('base64'),
    },
  });
}

export function expect(code: number): (reply: Reply) => void {
  return (reply) => {
    if (reply.status !== code)
      throw new Error(`expected HTTP ${code}, got ${reply.status}: ${reply.text.slice(0, 200)}`);
  };
}

/** Requests per second for `count` requests, `CONCURRENCY` in flight. */
export async function rate(count: number, requestAt: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await requestAt(next++);
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

async function startTimes(dir: string): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < START_RUNS; run++) {
    const children: ChildProcess[] = [];
    const started = performance.now();
    await startCluster(join(dir, `start-${run}`), children);
    samples.push(performance.now() - started);
    for (const child of children) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  progress(
    `dev cluster: start times ${samples.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${median(samples).toFixed(0)})`,
  );
  return Math.min(...samples);
}

/** `cloak dev cluster` on a free port (SQLite in `dataDir`), with `flags` added; resolves once it serves. */
export async function startCluster(
  dataDir: string,
  children: ChildProcess[],
  flags: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [CLOAK_BIN, 'dev', 'cluster', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...flags],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env['PATH'], HOME: dataDir, TMPDIR: tmpdir() },
    },
  );
  children.push(child);
  return { url: await firstMatch(child, /serving (https:\/\/\S+)/), child };
}

async function startFloor(children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [FLOOR_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return firstMatch(child, /listening (http:\/\/\S+)/);
}

/** The first capture of `pattern` in what the child writes to `stream` (which stays drained afterwards). */
export function firstMatch(
  child: ChildProcess,
  pattern: RegExp,
  stream: 'stdout' | 'stderr' = 'stdout',
): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`server exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

/** A client of the cluster: keep-alive HTTPS with the admin token, `CONCURRENCY` sockets. */
export async function clusterTarget(url: string, dataDir: string): Promise<Target> {
  const ca = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  const base = new URL(url);
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY, ca });
  const streamAgent = new HttpsAgent({ keepAlive: false, ca, maxSockets: Infinity });
  const call = (method: string, path: string, body?: string, contentType?: string, stream = false) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string> = {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
      };
      if (contentType) headers['Content-Type'] = contentType;
      const outgoing = httpsRequest(
        { host: base.hostname, port: base.port, path, method, headers, agent: stream ? streamAgent : agent },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  return {
    call: (method, path, body, contentType) => call(method, path, body, contentType).then(readReply),
    stream: (path) => call('GET', path, undefined, undefined, true),
    close: () => {
      agent.destroy();
      streamAgent.destroy();
    },
  };
}

function httpTarget(url: string): Target {
  const base = new URL(url);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
  return {
    call: (method, path) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: base.hostname,
            port: base.port,
            path,
            method,
            agent,
            headers: { Accept: 'application/json' },
          },
          resolve,
        );
        outgoing.on('error', reject);
        outgoing.end();
      }).then(readReply),
    stream: () => Promise.reject(new Error('the floor does not stream')),
    close: () => agent.destroy(),
  };
}

async function readReply(response: IncomingMessage): Promise<Reply> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, text };
}

interface Watcher {
  events: Map<string, number>;
  close(): void;
}

/** A watch on the default namespace's Secrets; records when each resourceVersion arrived. */
async function openWatch(api: Target, fromVersion: string): Promise<Watcher> {
  const response = await api.stream(
    `/api/v1/namespaces/default/secrets?watch=true&resourceVersion=${fromVersion}&fieldSelector=metadata.name%3Dbench-0`,
  );
  const events = new Map<string, number>();
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const event = JSON.parse(line) as { object: { metadata: { resourceVersion: string } } };
      events.set(event.object.metadata.resourceVersion, performance.now());
    }
  });
  response.on('error', () => undefined);
  return { events, close: () => response.destroy() };
}

async function currentVersion(api: Target): Promise<string> {
  const reply = await api.call('GET', '/api/v1/namespaces/default/secrets?limit=1');
  return (JSON.parse(reply.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

/** Sends `count` label updates to bench-0 (one at a time, or four lanes); when each was acknowledged, by version. */
async function updates(api: Target, count: number, lanes: number): Promise<Map<string, number>> {
  const acked = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const body = JSON.stringify({ metadata: { labels: { round: String(next++) } } });
        const reply = await api.call(
          'PATCH',
          '/api/v1/namespaces/default/secrets/bench-0',
          body,
          'application/merge-patch+json',
        );
        expect(200)(reply);
        acked.set(
          (JSON.parse(reply.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
          performance.now(),
        );
      }
    }),
  );
  return acked;
}

async function watchLatency(api: Target): Promise<{ median: number; p99: number }> {
  const watcher = await openWatch(api, await currentVersion(api));
  const acked = await updates(api, WATCH_UPDATES, 1);
  await settle(() => [...acked.keys()].every((version) => watcher.events.has(version)));
  watcher.close();
  const delays = [...acked].map(([version, at]) => (watcher.events.get(version) ?? Infinity) - at);
  return { median: median(delays), p99: percentile(delays, 0.99) };
}

async function watchFanOut(api: Target): Promise<{ missing: number; p99: number }> {
  const from = await currentVersion(api);
  const watchers = await Promise.all(Array.from({ length: FAN_OUT_WATCHERS }, () => openWatch(api, from)));
  const acked = await updates(api, FAN_OUT_UPDATES, 4);
  const complete = (): boolean =>
    watchers.every((watcher) => [...acked.keys()].every((version) => watcher.events.has(version)));
  await settle(complete);
  let missing = 0;
  const delays: number[] = [];
  for (const watcher of watchers) {
    for (const [version, at] of acked) {
      const seen = watcher.events.get(version);
      if (seen === undefined) missing++;
      else delays.push(seen - at);
    }
    watcher.close();
  }
  return { missing, p99: percentile(delays, 0.99) };
}

async function settle(done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}
