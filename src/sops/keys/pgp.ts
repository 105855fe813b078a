/**
 * PGP master keys: the data key is encrypted to an OpenPGP key (by fingerprint) and stored as an armored PGP
 * message without headers, as sops writes it. Keys come from OpenPGP key files read with the `openpgp`
 * package — `CLOAK_PGP_KEYRING` (files separated like PATH, armored or binary, public and/or secret keys, e.g.
 * an exported `.asc`) and GnuPG's legacy `pubring.gpg`/`secring.gpg` in `$GNUPGHOME` — and, like sops, from
 * the `gpg` program itself when those do not have the key (`SOPS_GPG_EXEC` names another binary).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Key, PrivateKey } from 'openpgp';
import { CloakError } from '../../common/errors.ts';
import { rfc3339Seconds } from '../go-format.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

const FINGERPRINT = /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/;

export class PgpKey implements MasterKey {
  readonly type = 'pgp' as const;
  readonly fingerprint: string;
  readonly enc: string | undefined;
  readonly createdAt: string | undefined;

  constructor(fingerprint: string, enc?: string, createdAt?: string) {
    this.fingerprint = fingerprint;
    this.enc = enc;
    this.createdAt = createdAt;
  }

  get id(): string {
    return this.fingerprint;
  }

  static fromSpec(spec: string): PgpKey {
    const fingerprint = spec.replace(/\s+/g, '').toUpperCase();
    if (!FINGERPRINT.test(fingerprint)) {
      throw new CloakError(
        'ERR_SOPS_KEY',
        `invalid PGP fingerprint ${JSON.stringify(spec)}: expected 40 hexadecimal digits`,
      );
    }
    return new PgpKey(fingerprint);
  }

  static fromMetadata(entry: Record<string, unknown>): PgpKey {
    const fp = entry['fp'];
    const enc = entry['enc'];
    if (typeof fp !== 'string' || fp === '') throw new CloakError('ERR_SOPS_METADATA', 'pgp key: missing fp');
    if (typeof enc !== 'string' || enc === '')
      throw new CloakError('ERR_SOPS_METADATA', `pgp key ${fp}: missing enc`);
    const createdAt = typeof entry['created_at'] === 'string' ? entry['created_at'] : undefined;
    return new PgpKey(fp.toUpperCase(), enc, createdAt);
  }

  async encrypt(dataKey: Uint8Array, context: KeyContext): Promise<PgpKey> {
    const createdAt = rfc3339Seconds(context.now());
    const key = (await keyring(context)).find((candidate) => fingerprintOf(candidate) === this.fingerprint);
    if (key) {
      const openpgp = await import('openpgp');
      // openpgp's overloaded signatures defeat type-aware lint; the armored format returns a string.
      const armored = (await openpgp.encrypt({
        message: await openpgp.createMessage({ binary: dataKey }),
        encryptionKeys: key.toPublic(),
        format: 'armored',
      })) as unknown as string;
      return new PgpKey(this.fingerprint, armored.trimEnd(), createdAt);
    }
    const armored = await runGpg(
      context,
      [
        '--no-default-recipient',
        '--yes',
        '--encrypt',
        '-a',
        '-r',
        this.fingerprint,
        '--trusted-key',
        this.fingerprint,
        '--no-encrypt-to',
      ],
      dataKey,
      this.fingerprint,
    );
    return new PgpKey(this.fingerprint, armored.toString('utf8').trimEnd(), createdAt);
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (!this.enc) throw new CloakError('ERR_SOPS_METADATA', `pgp key ${this.fingerprint}: missing enc`);
    const secretKeys = (await keyring(context)).filter(
      (key): key is PrivateKey => key.isPrivate() && key.isDecrypted(),
    );
    if (secretKeys.length > 0) {
      const openpgp = await import('openpgp');
      try {
        const message = await openpgp.readMessage({ armoredMessage: this.enc });
        const result = (await openpgp.decrypt({
          message,
          decryptionKeys: secretKeys,
          format: 'binary',
        })) as unknown as { data: Uint8Array };
        return result.data;
      } catch {
        // None of the key files holds this key: ask gpg, as sops does.
      }
    }
    return runGpg(context, ['--batch', '--decrypt'], Buffer.from(this.enc), this.fingerprint);
  }

  toMetadata(): Record<string, unknown> {
    return { created_at: this.createdAt ?? '', enc: this.enc ?? '', fp: this.fingerprint };
  }
}

function fingerprintOf(key: Key): string {
  return key.getFingerprint().toUpperCase();
}

const keyrings = new WeakMap<NodeJS.ProcessEnv, Promise<Key[]>>();

function keyring(context: KeyContext): Promise<Key[]> {
  let keys = keyrings.get(context.env);
  if (!keys) {
    keys = loadKeyring(context.env);
    keyrings.set(context.env, keys);
  }
  return keys;
}

async function loadKeyring(env: NodeJS.ProcessEnv): Promise<Key[]> {
  const explicit = (env['CLOAK_PGP_KEYRING'] ?? '').split(delimiter).filter(Boolean);
  const gnupgHome = env['GNUPGHOME'] || join(env['HOME'] || homedir(), '.gnupg');
  const legacy = [join(gnupgHome, 'secring.gpg'), join(gnupgHome, 'pubring.gpg')];
  const keys: Key[] = [];
  for (const path of [...explicit, ...legacy]) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (explicit.includes(path)) {
        throw new CloakError(
          'ERR_SOPS_IDENTITY',
          `cannot read PGP keys from ${path}: ${(error as Error).message}`,
        );
      }
      continue;
    }
    keys.push(...(await parseKeys(bytes, path)));
  }
  return keys;
}

async function parseKeys(bytes: Buffer, path: string): Promise<Key[]> {
  const openpgp = await import('openpgp');
  const text = bytes.toString('latin1');
  try {
    if (text.includes('-----BEGIN PGP')) {
      const blocks =
        text.match(
          /-----BEGIN PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----/g,
        ) ?? [];
      const keys: Key[] = [];
      for (const armoredKeys of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys })));
      return keys;
    }
    return await openpgp.readKeys({ binaryKeys: new Uint8Array(bytes) });
  } catch (error) {
    throw new CloakError(
      'ERR_SOPS_IDENTITY',
      `${path} does not hold OpenPGP keys: ${(error as Error).message}`,
    );
  }
}

function runGpg(
  context: KeyContext,
  args: string[],
  input: Uint8Array,
  fingerprint: string,
): Promise<Buffer> {
  const program = context.env['SOPS_GPG_EXEC'] || 'gpg';
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args,
      { env: context.env, encoding: 'buffer', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const notFound = (error as NodeJS.ErrnoException).code === 'ENOENT';
        const detail = notFound
          ? `${program} is not installed`
          : lastLine(stderr.toString('utf8')) || error.message;
        reject(
          new CloakError(
            'ERR_SOPS_NO_IDENTITY',
            `pgp: no key for ${fingerprint} in the key files, and ${program} failed: ${detail}`,
          ),
        );
      },
    );
    // gpg may exit before reading its input; its exit status reports why, not an EPIPE on our side.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .pop()
      ?.replace(/^gpg: /, '') ?? ''
  );
}
