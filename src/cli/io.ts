/** Reading command input and writing command output: stdin or a file in, stdout or an atomic file out. */
import { readFile } from 'node:fs/promises';
import type { Interface } from 'node:readline';
import { writeFileAtomic } from '../common/atomic-file.ts';
import { CloakError } from '../common/errors.ts';
import { describeFsError } from '../common/fs-errors.ts';

export interface InputText {
  text: string;
  /** How to name the input in messages: the file name, or "stdin". */
  source: string;
}

export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CloakError('ERR_READ', `cannot read ${path}: ${describeFsError(error)}`);
  }
}

/** The whole of stdin, or of `path` when given. `ttyHint` is printed when stdin is a terminal. */
export async function readInput(path: string | undefined, ttyHint?: string): Promise<InputText> {
  if (path && path !== '-') return { text: (await readInputFile(path)).toString('utf8'), source: path };
  return { text: (await readStdin(ttyHint)).toString('utf8'), source: 'stdin' };
}

export async function readStdin(ttyHint?: string): Promise<Buffer> {
  if (process.stdin.isTTY && ttyHint) process.stderr.write(`(tty detected: ${ttyHint})\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes the complete output to stdout, or atomically to `path` (nothing is written when a command fails). */
export async function writeOutput(content: string | Uint8Array, path?: string, mode?: number): Promise<void> {
  if (path && path !== '-') {
    try {
      await writeFileAtomic(path, content, mode === undefined ? {} : { mode });
    } catch (error) {
      throw new CloakError('ERR_WRITE', `cannot write ${path}: ${describeFsError(error)}`);
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(content, (error) => (error ? reject(error) : resolve()));
  });
}

let lineReader: { interface: Interface; lines: AsyncIterator<string> } | undefined;

/**
 * The next line of stdin, or undefined at its end. One reader serves every prompt of a command, so lines
 * typed (or piped) ahead for later prompts are not lost.
 */
export async function readInputLine(): Promise<string | undefined> {
  if (!lineReader) {
    const { createInterface } = await import('node:readline');
    const reader = createInterface({ input: process.stdin, terminal: false });
    lineReader = { interface: reader, lines: reader[Symbol.asyncIterator]() };
  }
  const next = await lineReader.lines.next();
  return next.done ? undefined : next.value;
}

export function closeInputLines(): void {
  lineReader?.interface.close();
  lineReader = undefined;
}
