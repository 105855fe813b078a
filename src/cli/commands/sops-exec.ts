/**
 * `cloak sops exec-env` and `exec-file`: hand decrypted values to a command without writing them anywhere
 * lasting — as environment variables, or as a file behind a FIFO (or a private temporary file) that is
 * removed when the command ends. The command runs under /bin/sh -c, as sops runs it; its exit status is ours.
 */
import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloakError } from '../../common/errors.ts';
import { formatFloatF } from '../../sops/go-format.ts';
import { isComment, isList, isMap, SopsTime, type SopsValue } from '../../sops/tree.ts';
import { emitOptions, emitPlain, loadConfig, openInput, readSopsInput } from './sops-run.ts';
import type { SopsFlags } from './sops.ts';

export async function execEnvCommand(flags: SopsFlags, file: string, command: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input, false);
  const variables: Record<string, string> = {};
  for (const item of opened.branches[0]?.items ?? []) {
    if (isComment(item)) continue;
    if (item.key.includes('='))
      throw new CloakError(
        'ERR_SOPS_EXEC',
        `${input.source}: the key "${item.key}" contains "=", which cannot be an environment variable name`,
      );
    variables[item.key] = environmentValue(item.value, item.key, input.source);
  }
  const env = flags.pristine ? variables : { ...process.env, ...variables };
  process.exitCode = await runShell(command, env);
}

function environmentValue(value: SopsValue, key: string, source: string): string {
  if (isMap(value) || isList(value)) {
    throw new CloakError(
      'ERR_SOPS_EXEC',
      `${source}: "${key}" is not a single value; exec-env only takes top-level values`,
    );
  }
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'number') return formatFloatF(value);
  if (value instanceof SopsTime) return value.text;
  return String(value);
}

export async function execFileCommand(flags: SopsFlags, file: string, command: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input, false);
  const options = emitOptions(flags, await loadConfig(flags), input.outputFormat, input);
  const plaintext = emitPlain(opened.branches, input.outputFormat, options);
  const directory = await mkdtemp(join(tmpdir(), 'cloak-sops-exec-'));
  const path = join(directory, flags.filename ?? 'tmp-file');
  try {
    const commandLine = command.includes('{}') ? command.replaceAll('{}', shellQuote(path)) : command;
    if (flags.fifo === false) {
      await writeFile(path, plaintext, { mode: 0o600 });
      process.exitCode = await runShell(commandLine, process.env);
    } else {
      process.exitCode = await runWithFifo(path, plaintext, commandLine);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Writes the plaintext into a FIFO while the command runs; a command that never reads it does not hang us. */
async function runWithFifo(
  path: string,
  plaintext: string | Uint8Array,
  commandLine: string,
): Promise<number> {
  try {
    execFileSync('mkfifo', ['-m', '600', path]);
  } catch (error) {
    throw new CloakError(
      'ERR_SOPS_EXEC',
      `cannot create a FIFO (use --no-fifo): ${(error as Error).message}`,
    );
  }
  // A command may read part of the file and exit (EPIPE), or none of it: neither is an error of ours.
  const writing = (async () => {
    const handle = await open(path, 'w');
    try {
      await handle.writeFile(plaintext);
    } finally {
      await handle.close();
    }
  })().catch(() => undefined);
  const status = await runShell(commandLine, process.env);
  // If the command never opened the FIFO, the writer is still waiting for a reader: be that reader.
  const drain = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  await Promise.race([writing, new Promise((resolve) => setTimeout(resolve, 100))]);
  await drain?.close();
  return status;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function runShell(command: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'inherit', env });
    child.on('error', (error) =>
      reject(new CloakError('ERR_SOPS_EXEC', `cannot run the command: ${error.message}`)),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
