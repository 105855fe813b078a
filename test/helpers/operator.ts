/**
 * `cloak operator` as a user runs it (the real bin/cloak in a child process) against a `cloak dev cluster`:
 * listening on free 127.0.0.1 ports, its JSON log lines collected, its metrics scraped, stopped with SIGTERM
 * (or SIGKILL, a crash) and killed when the test ends. Also the SealedSecret CRD installed with kubectl and
 * the usual polling helper.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { toKubeYaml } from '../../src/manifests/encode.ts';
import { sealedSecretsCrd } from '../../src/operator/sealed-secrets/crd.ts';
import { kubectlOk, type DevCluster } from './dev-cluster.ts';
import { CLOAK_BIN } from './paths.ts';
import { writeTemp } from './keys.ts';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface OperatorProcess {
  child: ChildProcess;
  http: string;
  metricsUrl: string;
  lines: LogLine[];
  exited: Promise<number | null>;
  /** Sample values of one metric (by exact name with labels as printed, or the bare name summed). */
  metric(name: string): Promise<number>;
  metricsText(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  output(): string;
}

export async function installCrd(cluster: DevCluster): Promise<void> {
  const path = await writeTemp(cluster.dataDir, 'sealedsecrets-crd.yaml', toKubeYaml(sealedSecretsCrd()));
  await kubectlOk(cluster, ['apply', '-f', path]);
  await eventually(
    'the CRD to be served',
    async () => (await cluster.kubectl(['get', 'sealedsecrets', '-A'])).code === 0,
  );
}

export async function startOperator(
  t: TestContext,
  cluster: DevCluster,
  args: readonly string[] = [],
): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [
      CLOAK_BIN,
      'operator',
      '--kubeconfig',
      cluster.kubeconfig,
      '--listen-addr',
      '127.0.0.1:0',
      '--listen-metrics-addr',
      '127.0.0.1:0',
      '--unseal-workers',
      '1',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: join(cluster.dataDir, 'home') },
    },
  );
  let log = '';
  let buffered = '';
  const lines: LogLine[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (log += chunk));
  child.stdout.on('data', (chunk: string) => {
    log += chunk;
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let running = true;
  void exited.then(() => (running = false));
  t.after(() => {
    if (running) child.kill('SIGKILL');
  });
  const serving = await Promise.race([
    eventually(
      'the operator to serve',
      () => lines.find((line) => line.msg === 'sealed secrets controller serving'),
      20_000,
    ),
    exited.then((code) => assert.fail(`cloak operator exited (${String(code)}):\n${log}`)),
  ]);
  const http = String(serving['http']);
  const metricsUrl = String(serving['metrics']);
  const metricsText = async (): Promise<string> => (await fetch(`${metricsUrl}/metrics`)).text();
  return {
    child,
    http,
    metricsUrl,
    lines,
    exited,
    metricsText,
    metric: async (name) => metricValue(await metricsText(), name),
    stop: async (signal = 'SIGTERM') => {
      if (running) child.kill(signal);
      return exited;
    },
    output: () => log,
  };
}

/** The value of a sample (`name{labels}` exactly as exposed), or the sum over a bare name's samples. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const space = line.lastIndexOf(' ');
    const sample = line.slice(0, space);
    const bare = sample.replace(/\{.*$/, '');
    if (sample === name || (!name.includes('{') && bare === name)) sum += Number(line.slice(space + 1));
  }
  return sum;
}

export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
