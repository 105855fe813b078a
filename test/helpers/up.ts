/**
 * `cloak up` as a user starts it (the real bin/cloak in a child process, on a free 127.0.0.1 port, in a
 * working directory of the test's): resolves once it printed its summary, with what the summary says, a
 * kubectl bound to its kubeconfig (so the DevCluster helpers work on it), its metrics, and a way to stop it.
 * Killed when the test ends.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { kubectlFor, type DevCluster } from './dev-cluster.ts';
import { metricValue } from './operator.ts';
import { CLOAK_BIN } from './paths.ts';
import { tempDir } from './keys.ts';

export interface UpSummary {
  url: string;
  /** Paths as printed (relative to the working directory when inside it). */
  kubeconfigShown: string;
  exportLine: string;
  certUrl: string;
  metricsUrl: string;
  logShown: string;
  exampleShown: string;
  exampleState: 'sealed now' | 'kept';
  fingerprint: string;
  tryThis: string;
}

export interface UpProcess extends DevCluster {
  cwd: string;
  summary: UpSummary;
  stdout(): string;
  stderr(): string;
  metric(name: string): Promise<number>;
  /** Sends the signal and resolves the exit code once the process exited. */
  stopWith(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startUp(
  t: TestContext,
  options: { cwd: string; dataDir: string; args?: readonly string[] },
): Promise<UpProcess> {
  const home = await tempDir(t);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLOAK_BIN, 'up', '--data-dir', options.dataDir, '--listen', '127.0.0.1:0', ...(options.args ?? [])],
    {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: home },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let running = true;
  void exited.then(() => (running = false));
  t.after(() => {
    if (running) child.kill('SIGKILL');
  });
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cloak up printed no summary:\n${stdout}\n${stderr}`)),
      25_000,
    );
    const check = (): void => {
      if (!stdout.includes('Ctrl-C stops everything')) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolvePromise();
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cloak up exited (${String(code)}):\n${stdout}\n${stderr}`));
    });
  });
  const summary = parseSummary(stdout);
  const kubeconfig = resolve(options.cwd, summary.kubeconfigShown);
  const stopWith = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (running) child.kill(signal);
    return exited;
  };
  return {
    url: summary.url,
    dataDir: options.dataDir,
    kubeconfig,
    child,
    startMs: performance.now() - started,
    kubectl: kubectlFor(kubeconfig, home),
    stop: async (signal) => void (await stopWith(signal)),
    output: () => stdout + stderr,
    cwd: options.cwd,
    summary,
    stdout: () => stdout,
    stderr: () => stderr,
    metric: async (name) => metricValue(await (await fetch(summary.metricsUrl)).text(), name),
    stopWith,
  };
}

function field(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  assert.ok(match?.[1], `the summary has no match for ${String(pattern)}:\n${text}`);
  return match[1];
}

export function parseSummary(text: string): UpSummary {
  return {
    url: field(text, /^Cloak is up: API server (https:\/\/\S+), data in /m),
    kubeconfigShown: field(text, /^ {2}kubeconfig {4}(\S+)$/m),
    exportLine: field(text, /^ +(export KUBECONFIG=\S+)$/m),
    certUrl: field(text, /^ {2}cert URL {6}(\S+)$/m),
    metricsUrl: field(text, /^ {2}metrics {7}(\S+)$/m),
    logShown: field(text, /^ {2}operator log {2}(\S+)$/m),
    exampleShown: field(text, /^ {2}example {7}(\S+) \(/m),
    exampleState: field(text, /^ {2}example {7}\S+ \((sealed now|kept),/m) as UpSummary['exampleState'],
    fingerprint: field(text, /^ {2}example .*for key (\S+)\)$/m),
    tryThis: field(text, /^Try this: (.+)$/m),
  };
}

/** The data directory's example file, as `cloak up` writes it. */
export function examplePath(dataDir: string): string {
  return join(dataDir, 'examples', 'hello-sealedsecret.yaml');
}
