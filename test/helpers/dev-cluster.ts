/**
 * `cloak dev cluster` as a user starts it (the real bin/cloak in a child process, on a free 127.0.0.1 port,
 * its data in a temporary directory), a kubectl bound to it, and a way to stop it (SIGTERM, or SIGKILL to test
 * durability). Stopped when the test ends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CLOAK_BIN } from './paths.ts';
import { tempDir } from './keys.ts';
import { runTool } from './sops-tools.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DevClusterOptions {
  storage?: 'sqlite' | 'etcd';
  etcdEndpoint?: string;
  dataDir?: string;
  extraArgs?: readonly string[];
}

export interface DevCluster {
  url: string;
  dataDir: string;
  kubeconfig: string;
  child: ChildProcess;
  /** Milliseconds from spawning the process to its "serving" line. */
  startMs: number;
  kubectl(args: readonly string[], input?: string): Promise<KubectlResult>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

export async function startDevCluster(t: TestContext, options: DevClusterOptions = {}): Promise<DevCluster> {
  const dataDir = options.dataDir ?? (await tempDir(t));
  const home = await tempDir(t);
  const kubeconfig = join(dataDir, 'kubeconfig');
  const args = [
    CLOAK_BIN,
    'dev',
    'cluster',
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    ...(options.extraArgs ?? []),
  ];
  if (options.storage === 'etcd')
    args.push('--storage', 'etcd', '--etcd-endpoints', options.etcdEndpoint ?? '');
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'], HOME: home },
  });
  let log = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (log += chunk));
  child.stderr.on('data', (chunk: string) => (log += chunk));
  const exited = once(child, 'exit');
  let running = true;
  void exited.then(() => (running = false));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (running) child.kill(signal);
    await exited;
  };
  t.after(() => stop('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cloak dev cluster did not start:\n${log}`)), 15_000);
    const check = (): void => {
      const match = /serving (https:\/\/\S+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`cloak dev cluster exited:\n${log}`));
    });
  });
  const startMs = performance.now() - started;
  return {
    url,
    dataDir,
    kubeconfig,
    child,
    startMs,
    kubectl: kubectlFor(kubeconfig, home),
    stop,
    output: () => log,
  };
}

/** The real kubectl bound to `kubeconfig` (also as $KUBECONFIG), its discovery cache under `home`. */
export function kubectlFor(kubeconfig: string, home: string): DevCluster['kubectl'] {
  const env = { PATH: process.env['PATH'], HOME: home, KUBECONFIG: kubeconfig };
  return async (kubectlArgs, input) => {
    const result = await runTool('kubectl', ['--cache-dir', join(home, 'kube-cache'), ...kubectlArgs], {
      env,
      ...(input === undefined ? {} : { input }),
    });
    return { ...result, stdout: result.stdout.toString('utf8') };
  };
}

/** Runs kubectl and fails the test (with its output) unless it exits 0. */
export async function kubectlOk(
  cluster: DevCluster,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const result = await cluster.kubectl(args, input);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}
