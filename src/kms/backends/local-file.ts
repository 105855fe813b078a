/**
 * The default KMS plugin backend: AES-256-GCM key-encryption keys in a local key file (format in local-keys.ts).
 * The file is read at start and read again whenever it changes (checked on every call), so a rotation made by
 * `cloak kms-plugin rotate` reaches a running plugin without a restart: its Status key id changes at the API
 * server's next poll. A file that breaks while the plugin runs leaves the last good keys in use and makes Status
 * unhealthy until it is fixed.
 *
 * Also here: making, rotating, pruning and listing key files (mode 0600, written atomically).
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { errorMessage } from '../../common/errors.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend, KekWrapResult } from '../plugin.ts';
import { oneLine } from '../protocol.ts';
import {
  addCurrentKey,
  keepCurrentKeys,
  newKeyFileText,
  newLocalKey,
  parseKeyFile,
  unwrapWithKey,
  wrapWithKey,
  type LocalKey,
} from './local-keys.ts';

const KEY_FILE_MODE = 0o600;

export class LocalFileBackend implements KekBackend {
  readonly path: string;
  readonly description: string;
  private keys: LocalKey[];
  private signature: string;
  private reloadError: KmsError | undefined;
  private refreshing: Promise<void> | undefined;
  /** The file's permission bits when it was opened. */
  readonly mode: number;

  private constructor(path: string, keys: LocalKey[], signature: string, mode: number) {
    this.path = path;
    this.description = `local key file ${path}`;
    this.keys = keys;
    this.signature = signature;
    this.mode = mode;
  }

  /** Reads the key file; fails if it is missing, unreadable or malformed. */
  static async open(path: string): Promise<LocalFileBackend> {
    const { keys, signature, mode } = await loadKeyFile(path);
    return new LocalFileBackend(path, keys, signature, mode);
  }

  /** Things an operator should fix that do not stop the plugin (a key file others can read). */
  warnings(): string[] {
    if ((this.mode & 0o077) === 0) return [];
    const octal = this.mode.toString(8).padStart(4, '0');
    return [`key file ${this.path} is open to group or others (mode ${octal}); run chmod 600 on it`];
  }

  /** The key ids in the file, current first. */
  async keyIds(): Promise<string[]> {
    await this.refresh();
    return this.keys.map((key) => key.id);
  }

  async keyId(): Promise<string> {
    return this.current().then((key) => key.id);
  }

  async wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    const key = await this.current();
    return { ciphertext: wrapWithKey(key, plaintext), keyId: key.id, annotations: {} };
  }

  async unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    await this.refresh();
    const key = this.keys.find((candidate) => candidate.id === keyId);
    if (!key) {
      throw new KmsError(
        'ERR_KMS_REQUEST',
        `key ${oneLine(keyId, 100)} is not in key file ${this.path} (removed before the data it protects was re-encrypted?)`,
      );
    }
    return unwrapWithKey(key, ciphertext);
  }

  async health(): Promise<void> {
    await this.refresh();
    if (this.reloadError) throw this.reloadError;
  }

  private async current(): Promise<LocalKey> {
    await this.refresh();
    return this.keys[0] as LocalKey;
  }

  /** Reads the file again if it changed; one read at a time. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.reload().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    try {
      const info = await stat(this.path);
      if (signatureOf(info) === this.signature) return;
      const loaded = await loadKeyFile(this.path);
      this.keys = loaded.keys;
      this.signature = loaded.signature;
      this.reloadError = undefined;
    } catch (error) {
      // The last good keys stay in use; health reports the problem.
      this.signature = '';
      this.reloadError =
        error instanceof KmsError ? error : keyFileError(this.path, error as NodeJS.ErrnoException);
    }
  }
}

function signatureOf(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

async function loadKeyFile(path: string): Promise<{ keys: LocalKey[]; signature: string; mode: number }> {
  let info;
  let text: string;
  try {
    info = await stat(path);
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw keyFileError(path, error as NodeJS.ErrnoException);
  }
  return { keys: parseKeyFile(text, path), signature: signatureOf(info), mode: info.mode & 0o7777 };
}

function keyFileError(path: string, error: NodeJS.ErrnoException): KmsError {
  if (error.code === 'ENOENT') {
    return new KmsError(
      'ERR_KMS_KEY_FILE',
      `key file ${path} does not exist (make one with: cloak kms-plugin keygen --key-file ${path})`,
    );
  }
  if (error.code === 'EACCES') return new KmsError('ERR_KMS_KEY_FILE', `key file ${path}: permission denied`);
  if (error.code === 'EISDIR') return new KmsError('ERR_KMS_KEY_FILE', `key file ${path} is a directory`);
  return new KmsError('ERR_KMS_KEY_FILE', `key file ${path}: ${oneLine(errorMessage(error))}`);
}

async function writeKeyFile(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { mode: KEY_FILE_MODE, forceMode: true });
  } catch (error) {
    const cause = error as NodeJS.ErrnoException;
    const why = cause.code === 'ENOENT' ? 'its directory does not exist' : oneLine(errorMessage(cause));
    throw new KmsError('ERR_KMS_KEY_FILE', `cannot write key file ${path}: ${why}`);
  }
}

function addedNote(now: Date): string {
  return `added ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Makes a new key file with one key; refuses to overwrite an existing file. Returns the key's id. */
export async function createKeyFile(path: string, now: Date): Promise<string> {
  const exists = await lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw keyFileError(path, error);
    },
  );
  if (exists) {
    throw new KmsError(
      'ERR_KMS_KEY_FILE',
      `key file ${path} already exists; add a key with: cloak kms-plugin rotate --key-file ${path}`,
    );
  }
  const key = newLocalKey();
  const text = newKeyFileText(key, addedNote(now));
  await writeKeyFile(path, text);
  return parseKeyFile(text, path)[0]?.id ?? '';
}

/** Puts a new key first (it becomes current); the other keys stay for unwrapping. Returns the key ids. */
export async function rotateKeyFile(path: string, now: Date): Promise<string[]> {
  const text = await readKeyFileText(path);
  parseKeyFile(text, path); // A broken file is not made worse.
  const updated = addCurrentKey(text, newLocalKey(), addedNote(now));
  const keys = parseKeyFile(updated, path);
  await writeKeyFile(path, updated);
  return keys.map((key) => key.id);
}

/** Keeps the first `keep` keys (the current one and the most recent others). Returns kept and removed ids. */
export async function pruneKeyFile(
  path: string,
  keep: number,
): Promise<{ kept: string[]; removed: string[] }> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('pruneKeyFile: keep must be at least 1');
  const text = await readKeyFileText(path);
  const before = parseKeyFile(text, path).map((key) => key.id);
  if (before.length <= keep) return { kept: before, removed: [] };
  const updated = keepCurrentKeys(text, keep);
  const kept = parseKeyFile(updated, path).map((key) => key.id);
  await writeKeyFile(path, updated);
  return { kept, removed: before.slice(keep) };
}

/** The key ids of a key file, current first. */
export async function listKeyFile(path: string): Promise<string[]> {
  return parseKeyFile(await readKeyFileText(path), path).map((key) => key.id);
}

async function readKeyFileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw keyFileError(path, error as NodeJS.ErrnoException);
  }
}
