/**
 * `cloak sops edit`: decrypts into a private temporary file, runs $SOPS_EDITOR (or $EDITOR, else vim, nano, vi),
 * and re-encrypts what was saved. Nothing is written when the plaintext did not change; unchanged values keep
 * their ciphertext; a file that no longer parses sends the user back to the editor instead of losing the edit.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CloakError, errorMessage } from '../../common/errors.ts';
import { shellWords } from '../../common/shell-words.ts';
import { encryptDocument } from '../../sops/file.ts';
import { binaryDocument } from '../../sops/stores/json.ts';
import { storeFor } from '../../sops/stores/index.ts';
import type { SopsFormat } from '../../sops/stores/store.ts';
import type { SopsMap } from '../../sops/tree.ts';
import {
  emitEncrypted,
  emitOptions,
  emitPlain,
  encryptionPlan,
  keyContext,
  loadConfig,
  openInput,
  readSopsInput,
  writeChanged,
} from './sops-run.ts';
import type { SopsFlags } from './sops.ts';
import { readInputLine } from '../io.ts';

const EXAMPLES: Record<SopsFormat, string> = {
  yaml: 'hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n# Example comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n',
  json: '{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n\t"example_key": "example_value",\n\t"example_array": [\n\t\t"example_value1",\n\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n',
  dotenv: 'hello=Welcome to SOPS! Edit this file as you please!\nexample_key=example_value\n',
  ini: '[Welcome!]\nhello = Welcome to SOPS! Edit this file as you please!\nexample_key = example_value\n',
  binary: 'Welcome to SOPS! Edit this file as you please!',
};

export async function editCommand(flags: SopsFlags, file: string): Promise<void> {
  if (!file || file === '-') throw new CloakError('ERR_USAGE', 'edit needs a file');
  const exists = existsSync(file);
  const input = exists ? await readSopsInput(flags, file) : undefined;
  const opened = input ? await openInput(flags, input) : undefined;
  const format = input?.inputFormat ?? (await readSopsInputName(flags, file));
  const config = await loadConfig(flags);
  const options = emitOptions(flags, config, format, input);
  const plaintext = opened ? emitPlain(opened.branches, format, options) : EXAMPLES[format];

  const directory = await mkdtemp(join(tmpdir(), 'cloak-sops-edit-'));
  const path = join(directory, basename(file));
  try {
    await writeFile(path, plaintext, { mode: 0o600 });
    const before = digest(await readFile(path));
    const branches = await editUntilValid(path, format, file);
    if (digest(branches.bytes) === before) {
      process.stderr.write(`${file}: the file has not changed, not writing it\n`);
      return;
    }
    if (input && opened) {
      await writeChanged(flags, file, input, opened, branches.tree);
    } else {
      const plan = encryptionPlan(flags, config, file);
      const document = await encryptDocument(branches.tree, plan, keyContext());
      await writeFileAtomic(file, emitEncrypted(document, format === 'binary' ? 'json' : format, options));
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function readSopsInputName(flags: SopsFlags, file: string): Promise<SopsFormat> {
  const { formatFromPath, parseFormat } = await import('../../sops/stores/index.ts');
  return flags.inputType
    ? parseFormat(flags.inputType, '--input-type')
    : formatFromPath(flags.filenameOverride ?? file);
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Edited {
  bytes: Buffer;
  tree: SopsMap[];
}

/** Runs the editor until the file parses; a parse error sends the user back to the editor, not to square one. */
async function editUntilValid(path: string, format: SopsFormat, file: string): Promise<Edited> {
  for (;;) {
    await runEditor(path);
    const bytes = await readFile(path);
    try {
      const tree =
        format === 'binary'
          ? [binaryDocument(bytes)]
          : storeFor(format).parsePlain(bytes.toString('utf8'), file);
      return { bytes, tree };
    } catch (error) {
      process.stderr.write(
        `error: ${errorMessage(error)}\nPress Enter to return to the editor, or Ctrl+C to give up.\n`,
      );
      if (!(await waitForEnter())) {
        throw new CloakError('ERR_SOPS_EDIT', `${file}: the edited file does not parse; nothing was written`);
      }
    }
  }
}

async function waitForEnter(): Promise<boolean> {
  return (await readInputLine()) !== undefined;
}

function editorCommand(): string[] {
  const configured = process.env['SOPS_EDITOR'] || process.env['EDITOR'];
  if (configured) return shellWords(configured);
  for (const candidate of ['vim', 'nano', 'vi']) {
    const found = (process.env['PATH'] ?? '')
      .split(':')
      .some((directory) => existsSync(join(directory, candidate)));
    if (found) return [candidate];
  }
  throw new CloakError('ERR_SOPS_EDITOR', 'no editor found: set SOPS_EDITOR or EDITOR');
}

function runEditor(path: string): Promise<void> {
  const [program, ...args] = editorCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(program ?? 'vi', [...args, path], { stdio: 'inherit' });
    child.on('error', (error) =>
      reject(new CloakError('ERR_SOPS_EDITOR', `cannot start the editor ${program ?? ''}: ${error.message}`)),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new CloakError(
            'ERR_SOPS_EDITOR',
            `the editor exited with ${signal ? `signal ${signal}` : `status ${code}`}; nothing was written`,
          ),
        );
    });
  });
}
