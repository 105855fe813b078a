/**
 * The start-up settings `cloak operator` runs with, for its resident memory (issue 6: under 150 MB idle with
 * 10,000 Secrets in the cluster; docs/adr/0014). All three can only be chosen before the process starts:
 *
 * - V8's young generation. V8 sizes it from the machine's memory: on a machine with gigabytes to spare each of
 *   its two semi-spaces may grow to 64 MB, and after the first burst of work (the informers' LISTs, a batch of
 *   unsealing) the operator keeps 128 MB of young generation for the rest of its life. 2 MB semi-spaces cost
 *   more, shorter scavenges; the operator's work is I/O and RSA on worker threads, not allocation.
 *   `v8.setFlagsFromString` comes too late: the heap is configured when the isolate is made.
 * - glibc's malloc. Its threshold for giving large blocks their own mapping grows with the largest block freed,
 *   so after a burst the buffers of that burst are carved from the main heap and stay resident there; a fixed
 *   threshold returns them to the system when freed. (Other C libraries ignore the variable.)
 * - The compile cache for worker threads. bin/cloak enables Node's compile cache, which also keeps the sources'
 *   type-stripped text, but only for the main thread: each unseal worker would load the TypeScript type
 *   stripper again (about 9 MB per thread, for good). Worker threads use the cache named by
 *   NODE_COMPILE_CACHE, so the restart names the main thread's.
 *
 * So the operator command replaces its own process (`process.execve`: same pid, same stdio, nothing started
 * yet) with the same command line plus these settings. Whoever already passes `--max-semi-space-size` (in the
 * node arguments or NODE_OPTIONS) has chosen, and nothing is restarted; the image passes the same settings
 * itself (Dockerfile), so that a pod starts once.
 */
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

/**
 * V8 flags: the young generation's semi-spaces at most 2 MB each (V8 chooses up to 64 MB), and V8's
 * `--optimize-for-size` ("favor memory size over execution speed"): 10–15 MB less when idle, for no measurable
 * main-thread CPU in the operator benchmark.
 */
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--optimize-for-size'];

/**
 * glibc malloc settings, each applied only when the environment does not set it already: blocks of 128 KB and
 * more get their own mapping, returned when freed. (MALLOC_ARENA_MAX=2 made no measurable difference.)
 */
export const OPERATOR_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export interface ProcessStart {
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The directory the main thread keeps its compile cache in, when it has one. */
  compileCache?: string | undefined;
}

export interface Restart {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Whether the V8 flag that decides the young generation is given already (V8 also spells it with `_`). */
function choosesSemiSpace(args: readonly string[]): boolean {
  return args.some((arg) => arg.replaceAll('_', '-').startsWith('--max-semi-space-size'));
}

/** The command line and environment to restart with, or undefined when this process already has them. */
export function memoryRestart(current: ProcessStart): Restart | undefined {
  const nodeOptions = (current.env['NODE_OPTIONS'] ?? '').split(/\s+/);
  if (choosesSemiSpace(current.execArgv) || choosesSemiSpace(nodeOptions)) return undefined;
  const script = current.argv[1];
  if (script === undefined) return undefined;
  const env: NodeJS.ProcessEnv = { ...current.env };
  for (const [name, value] of Object.entries(OPERATOR_MALLOC_ENV)) env[name] ??= value;
  if (current.compileCache !== undefined) env['NODE_COMPILE_CACHE'] ??= current.compileCache;
  return {
    file: current.execPath,
    args: [current.execPath, ...current.execArgv, ...OPERATOR_NODE_FLAGS, script, ...current.argv.slice(2)],
    env,
  };
}

/**
 * Replaces this process with the same command and the operator's memory settings; returns (and the operator
 * runs as it is) where that is not possible: Windows, a worker thread, a refused exec.
 */
export function restartWithMemorySettings(): void {
  if (typeof process.execve !== 'function' || !isMainThread) return;
  // bin/cloak enables the cache in its default place (NODE_COMPILE_CACHE, else this), as Node documents it.
  const compileCache =
    module.getCompileCacheDir() === undefined ? undefined : join(tmpdir(), 'node-compile-cache');
  const { execPath, execArgv, argv, env } = process;
  const restart = memoryRestart({ execPath, execArgv, argv, env, compileCache });
  if (!restart) return;
  try {
    process.execve(restart.file, restart.args, restart.env);
  } catch {
    // Not replaced (the permission model, an exec the system refused): the operator works, with more memory.
  }
}
