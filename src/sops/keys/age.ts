/**
 * age master keys: the data key is encrypted to an X25519 (or post-quantum hybrid) recipient with the
 * `age-encryption` package and stored as an ASCII-armored age file, one file per recipient, as sops does.
 * Identities are found where sops looks for them (see `loadAgeIdentities`).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloakError } from '../../common/errors.ts';
import { shellWords } from '../../common/shell-words.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

const RECIPIENT = /^age1[0-9a-z]+$/;
const IDENTITY = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/;

export class AgeKey implements MasterKey {
  readonly type = 'age' as const;
  readonly recipient: string;
  readonly enc: string | undefined;

  constructor(recipient: string, enc?: string) {
    this.recipient = recipient;
    this.enc = enc;
  }

  get id(): string {
    return this.recipient;
  }

  static fromSpec(spec: string): AgeKey {
    const recipient = spec.trim();
    if (!RECIPIENT.test(recipient)) {
      const hint = recipient.startsWith('ssh-')
        ? ' (SSH recipients are not supported; use an age1… recipient)'
        : '';
      throw new CloakError('ERR_SOPS_KEY', `invalid age recipient ${JSON.stringify(recipient)}${hint}`);
    }
    return new AgeKey(recipient);
  }

  static fromMetadata(entry: Record<string, unknown>): AgeKey {
    const recipient = entry['recipient'];
    const enc = entry['enc'];
    if (typeof recipient !== 'string' || recipient === '') throw missing('recipient');
    if (typeof enc !== 'string' || enc === '') throw missing('enc', recipient);
    return new AgeKey(recipient, enc);
  }

  async encrypt(dataKey: Uint8Array): Promise<AgeKey> {
    const { Encrypter, armor } = await import('age-encryption');
    const encrypter = new Encrypter();
    try {
      encrypter.addRecipient(this.recipient);
    } catch (error) {
      throw new CloakError(
        'ERR_SOPS_KEY',
        `invalid age recipient ${this.recipient}: ${(error as Error).message}`,
      );
    }
    return new AgeKey(this.recipient, armor.encode(await encrypter.encrypt(dataKey)));
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (!this.enc) throw missing('enc', this.recipient);
    const identities = await loadAgeIdentities(context, this.recipient);
    if (identities.identities.length === 0) {
      throw new CloakError(
        'ERR_SOPS_NO_IDENTITY',
        `age: no identities found for ${this.recipient} (looked in ${identities.searched.join(', ')})`,
      );
    }
    const { Decrypter, armor } = await import('age-encryption');
    let file: Uint8Array;
    try {
      file = armor.decode(this.enc);
    } catch {
      throw new CloakError(
        'ERR_SOPS_KEY',
        `age: the encrypted data key for ${this.recipient} is not a valid armored age file`,
      );
    }
    const decrypter = new Decrypter();
    for (const identity of identities.identities) decrypter.addIdentity(identity);
    try {
      return await decrypter.decrypt(file);
    } catch {
      throw new CloakError(
        'ERR_SOPS_NO_IDENTITY',
        `age: none of the ${identities.identities.length} identities from ${identities.sources.join(', ')} opens the data key for ${this.recipient}`,
      );
    }
  }

  toMetadata(): Record<string, unknown> {
    return { recipient: this.recipient, enc: this.enc ?? '' };
  }
}

function missing(field: string, recipient?: string): CloakError {
  return new CloakError('ERR_SOPS_METADATA', `age key${recipient ? ` ${recipient}` : ''}: missing ${field}`);
}

export interface AgeIdentities {
  identities: string[];
  /** Where identities were found, for messages. */
  sources: string[];
  /** Everywhere that was looked at. */
  searched: string[];
}

const cache = new WeakMap<NodeJS.ProcessEnv, Promise<AgeIdentities>>();

/**
 * All age identities sops would load: `SOPS_AGE_KEY` (one or more keys), `SOPS_AGE_KEY_FILE`,
 * `SOPS_AGE_KEY_CMD` (its output; it gets `SOPS_AGE_RECIPIENT`), and `sops/age/keys.txt` in the user config
 * directory (`$XDG_CONFIG_HOME`, else `~/.config`, or `~/Library/Application Support` on macOS). All of them
 * are loaded, not only the first found.
 */
export function loadAgeIdentities(context: KeyContext, recipient: string): Promise<AgeIdentities> {
  // SOPS_AGE_KEY_CMD may answer differently per recipient, so only cache when it is not set.
  if (context.env['SOPS_AGE_KEY_CMD']) return findIdentities(context.env, recipient);
  let found = cache.get(context.env);
  if (!found) {
    found = findIdentities(context.env, recipient);
    cache.set(context.env, found);
  }
  return found;
}

async function findIdentities(env: NodeJS.ProcessEnv, recipient: string): Promise<AgeIdentities> {
  const result: AgeIdentities = { identities: [], sources: [], searched: [] };
  const add = (text: string, source: string): void => {
    const keys = parseIdentityFile(text, source);
    if (keys.length > 0) {
      result.identities.push(...keys);
      result.sources.push(source);
    }
  };
  result.searched.push('SOPS_AGE_KEY');
  if (env['SOPS_AGE_KEY']) add(env['SOPS_AGE_KEY'], 'SOPS_AGE_KEY');
  const keyFile = env['SOPS_AGE_KEY_FILE'];
  if (keyFile) {
    result.searched.push(keyFile);
    add(await readIdentityFile(keyFile, true), keyFile);
  }
  const command = env['SOPS_AGE_KEY_CMD'];
  if (command) {
    result.searched.push('SOPS_AGE_KEY_CMD');
    add(await runKeyCommand(command, env, recipient), 'SOPS_AGE_KEY_CMD');
  }
  const defaultFile = join(userConfigDir(env), 'sops', 'age', 'keys.txt');
  result.searched.push(defaultFile);
  add(await readIdentityFile(defaultFile, false), defaultFile);
  return result;
}

export function userConfigDir(env: NodeJS.ProcessEnv): string {
  if (env['XDG_CONFIG_HOME']) return env['XDG_CONFIG_HOME'];
  const home = env['HOME'] || homedir();
  return platform() === 'darwin' ? join(home, 'Library', 'Application Support') : join(home, '.config');
}

async function readIdentityFile(path: string, required: boolean): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new CloakError(
      'ERR_SOPS_IDENTITY',
      `cannot read age identities from ${path}: ${(error as Error).message}`,
    );
  }
}

async function runKeyCommand(command: string, env: NodeJS.ProcessEnv, recipient: string): Promise<string> {
  const [program, ...args] = shellWords(command);
  if (!program) throw new CloakError('ERR_SOPS_IDENTITY', 'SOPS_AGE_KEY_CMD is empty');
  try {
    const { stdout } = await promisify(execFile)(program, args, {
      env: { ...env, SOPS_AGE_RECIPIENT: recipient },
    });
    return stdout;
  } catch (error) {
    throw new CloakError(
      'ERR_SOPS_IDENTITY',
      `SOPS_AGE_KEY_CMD failed: ${(error as Error).message.split('\n', 1)[0]}`,
    );
  }
}

/** Identity lines of an age key file; `#` comments and blank lines are skipped, anything else is an error. */
export function parseIdentityFile(text: string, source: string): string[] {
  const identities: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!IDENTITY.test(line)) {
      throw new CloakError(
        'ERR_SOPS_IDENTITY',
        `${source}, line ${index + 1}: not an age identity (AGE-SECRET-KEY-1…)`,
      );
    }
    identities.push(line);
  }
  return identities;
}
