import { spawnSync } from 'node:child_process';

/**
 * Runs an ES module script in a child Node.js and returns what it printed, or undefined when it was still running
 * at the limit and had to be killed. For code that must not hang: a backtracking regular expression blocks its
 * thread, so only a separate process can be stopped (the limit is generous: it tells "hangs" from "answers").
 */
export function outputWithinLimit(script: string, limitMs = 30_000): string | undefined {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: limitMs,
  });
  if (child.signal !== null) return undefined;
  if (child.status !== 0) throw new Error(`the script failed: ${child.stderr}`);
  return child.stdout;
}
