/**
 * Runs the `cloak` command line: parses argv, runs the command, and turns every failure into one line on
 * stderr and an exit status (1 for errors, 2 for usage errors). Stack traces only with --debug.
 */
import { CommanderError } from 'commander';
import { CloakError, ErrorList, UsageError } from '../common/errors.ts';
import { closeInputLines } from './io.ts';
import { buildProgram } from './program.ts';

export async function run(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env['CLOAK_DEBUG'] === '1';
  const program = buildProgram();
  if (argv.length === 0) {
    // No command: show what Cloak can do (`npm start` runs `cloak up`).
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // Commands that run another program (sops exec-env, exec-file) pass its exit status on.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return report(error, debug);
  } finally {
    closeInputLines();
  }
}

function report(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text).
    return error.exitCode === 0 ? 0 : 2;
  }
  const errors = error instanceof ErrorList ? error.errors : [error];
  for (const each of errors) {
    const message = each instanceof Error ? each.message : String(each);
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  }
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  if (error instanceof UsageError) return 2;
  if (!(error instanceof CloakError) && !debug && !isSystemError(error)) {
    process.stderr.write('(this looks like a bug in cloak; run again with --debug for details)\n');
  }
  return 1;
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
