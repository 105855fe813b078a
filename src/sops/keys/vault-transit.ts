/**
 * HashiCorp Vault transit master keys: sops' `hc_vault` metadata entries. The data key goes to
 * `POST {address}/v1/{engine_path}/encrypt/{key_name}` as `{"plaintext": base64}`, and `enc` is the returned
 * `vault:vN:…` ciphertext; decryption posts it to `…/decrypt/{key_name}` and base64-decodes `plaintext`.
 *
 * Configuration, read from the command's environment (KeyContext.env) as sops' Vault client reads it:
 * - token: `VAULT_TOKEN`, else the file `~/.vault-token` (`HOME`); without either the request goes out without
 *   a token (a Vault Agent listener can add one);
 * - `VAULT_NAMESPACE`: sent as `X-Vault-Namespace` (Vault Enterprise / HCP);
 * - `VAULT_CACERT`: a PEM file of CA certificates to trust for an https address (else the system's CAs).
 * The address itself always comes from the key, never from `VAULT_ADDR`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import {
  asEntry,
  describeCause,
  formatCreatedAt,
  keyFailure,
  oneLine,
  requiredCreatedAt,
  requiredString,
  specError,
} from './cloud-common.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

const TIMEOUT_MS = 60_000;
/** Node's codes for a server certificate that no trusted CA vouches for. */
const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);
const MAX_RESPONSE_BYTES = 1 << 20;

export interface VaultTransitKeyFields {
  address: string;
  enginePath: string;
  keyName: string;
  createdAt?: Date | undefined;
  enc?: string | undefined;
}

export class VaultTransitKey implements MasterKey {
  readonly type = 'hc_vault';
  readonly id: string;
  readonly address: string;
  readonly enginePath: string;
  readonly keyName: string;
  readonly createdAt: Date | undefined;
  readonly enc: string;

  constructor(fields: VaultTransitKeyFields) {
    this.address = fields.address;
    this.enginePath = fields.enginePath;
    this.keyName = fields.keyName;
    this.createdAt = fields.createdAt;
    this.enc = fields.enc ?? '';
    // sops' ToString: what `--hc-vault-transit` takes, so the id can be pasted back.
    this.id = `${this.address}/v1/${this.enginePath}/keys/${this.keyName}`;
  }

  /**
   * One key URI as `--hc-vault-transit`, `SOPS_VAULT_URIS` and a creation rule's `hc_vault_transit_uri:` give it
   * (the caller splits comma lists): `https://vault.example.com:8200/v1/ENGINE/keys/NAME`, where ENGINE may have
   * several segments (`v1/sops/transit/keys/k` is engine `sops/transit`, key `k`).
   */
  static fromSpec(spec: string): VaultTransitKey {
    const uri = spec.trim();
    if (uri === '') throw specError('hc_vault', 'empty key URI');
    const example = 'https://vault.example.com:8200/v1/transit/keys/NAME';
    const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)$/.exec(uri);
    if (!match) {
      const detail = /[?#]/.test(uri) ? 'a query or fragment' : 'no scheme';
      throw specError('hc_vault', `"${uri}" has ${detail}; the form is ${example}`);
    }
    const [, scheme = '', host = '', path = ''] = match;
    if (host === '') throw specError('hc_vault', `"${uri}" has no host; the form is ${example}`);
    // sops refuses an address with a path prefix (Vault behind a reverse proxy under /vault/…)…
    if (/\/[^/]+\/v\d+\/[^/]+\/[^/]+\/[^/]+/.test(path)) {
      throw specError(
        'hc_vault',
        `"${uri}": a Vault address with a path prefix is not supported; the form is ${example}`,
      );
    }
    // …and wants /vN/ENGINE…/keys/NAME.
    if (!/\/v\d+\/[^/]+\/[^/]+\/[^/]+/.test(path)) {
      throw specError('hc_vault', `"${uri}" is not a transit key URI; the form is ${example}`);
    }
    const segments = path.replace(/^\/+|\/+$/g, '').split('/');
    const keyName = segments.at(-1) ?? '';
    const enginePath = posix.join(...segments.slice(1, -2));
    return new VaultTransitKey({ address: `${scheme.toLowerCase()}://${host}`, enginePath, keyName });
  }

  /** An `hc_vault` item of a creation rule's `key_groups`: a key URI, as in `fromSpec`. */
  static fromConfig(value: unknown): VaultTransitKey {
    if (typeof value !== 'string')
      throw specError('hc_vault', 'a key_groups hc_vault item must be a key URI');
    return VaultTransitKey.fromSpec(value);
  }

  /** An entry of `sops.hc_vault` (or of a key group's `hc_vault`). */
  static fromMetadata(value: unknown): VaultTransitKey {
    const entry = asEntry('hc_vault', value);
    return new VaultTransitKey({
      address: requiredString('hc_vault', entry, 'vault_address'),
      enginePath: requiredString('hc_vault', entry, 'engine_path'),
      keyName: requiredString('hc_vault', entry, 'key_name'),
      createdAt: requiredCreatedAt('hc_vault', entry),
      enc: requiredString('hc_vault', entry, 'enc'),
    });
  }

  /** Fields in the order of sops' `vaultkey` struct. */
  toMetadata(): Record<string, unknown> {
    return {
      vault_address: this.address,
      engine_path: this.enginePath,
      key_name: this.keyName,
      created_at: formatCreatedAt(this.createdAt),
      enc: this.enc,
    };
  }

  async encrypt(dataKey: Uint8Array, context: KeyContext): Promise<VaultTransitKey> {
    const data = await this.call('encrypt', context.env, { plaintext: encodeStdBase64(dataKey) });
    const ciphertext = data.ciphertext;
    if (typeof ciphertext !== 'string' || ciphertext === '') {
      throw keyFailure('encrypt', 'hc_vault', this.id, 'the response has no ciphertext');
    }
    return new VaultTransitKey({ ...this.fields(), createdAt: context.now(), enc: ciphertext });
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (this.enc === '')
      throw keyFailure('decrypt', 'hc_vault', this.id, 'the entry has no encrypted data key');
    const data = await this.call('decrypt', context.env, { ciphertext: this.enc });
    const plaintext = data.plaintext;
    if (typeof plaintext !== 'string' || plaintext === '') {
      throw keyFailure('decrypt', 'hc_vault', this.id, 'the response has no plaintext');
    }
    try {
      return decodeStdBase64(plaintext);
    } catch {
      throw keyFailure('decrypt', 'hc_vault', this.id, 'the plaintext in the response is not base64');
    }
  }

  private fields(): VaultTransitKeyFields {
    return {
      address: this.address,
      enginePath: this.enginePath,
      keyName: this.keyName,
      createdAt: this.createdAt,
      enc: this.enc,
    };
  }

  /** One transit call; returns the response's `data` or throws a CloakError naming the key and the cause. */
  private async call(
    operation: 'encrypt' | 'decrypt',
    env: NodeJS.ProcessEnv,
    body: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    const fail = (cause: string) => keyFailure(operation, 'hc_vault', this.id, cause);
    let url: URL;
    try {
      url = new URL(`${this.address}/v1/${posix.join(this.enginePath, operation, this.keyName)}`);
    } catch {
      throw fail(`"${this.address}" is not a usable Vault address`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw fail(`unsupported scheme ${url.protocol}`);
    const token = await vaultToken(env).catch((error: unknown) => {
      throw fail(`cannot read ~/.vault-token: ${describeCause(error)}`);
    });
    let ca: string | undefined;
    if (env.VAULT_CACERT && url.protocol === 'https:') {
      ca = await readFile(env.VAULT_CACERT, 'utf8').catch((error: unknown) => {
        throw fail(`cannot read VAULT_CACERT: ${describeCause(error)}`);
      });
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Vault-Request': 'true' };
    if (token) headers['X-Vault-Token'] = token;
    if (env.VAULT_NAMESPACE) headers['X-Vault-Namespace'] = env.VAULT_NAMESPACE;

    let response: { status: number; text: string };
    try {
      response = await post(url, headers, JSON.stringify(body), ca);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const hint = TLS_TRUST_ERRORS.has(code)
        ? ' (set VAULT_CACERT to the file of the CA that signed its certificate)'
        : '';
      throw fail(`cannot reach Vault at ${this.address}: ${describeCause(error)}${hint}`);
    }
    let parsed: unknown;
    try {
      parsed = response.text === '' ? undefined : JSON.parse(response.text);
    } catch {
      parsed = undefined;
    }
    const reply = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    if (response.status < 200 || response.status > 299) {
      const errors = Array.isArray(reply.errors)
        ? reply.errors.filter((item) => typeof item === 'string')
        : [];
      const said = errors.length > 0 ? `: ${oneLine(errors.join('; '), 200)}` : '';
      const hint =
        response.status === 403 && !token ? ' (no token: set VAULT_TOKEN or log in with "vault login")' : '';
      throw fail(`Vault answered HTTP ${response.status}${said}${hint}`);
    }
    const data = reply.data;
    if (typeof data !== 'object' || data === null)
      throw fail(`the transit engine at ${this.enginePath} sent no data`);
    return data as Record<string, unknown>;
  }
}

/** `VAULT_TOKEN`, else `~/.vault-token` trimmed (as sops), else none. */
async function vaultToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  const home = env.HOME || homedir();
  try {
    const token = (await readFile(posix.join(home, '.vault-token'), 'utf8')).trim();
    return token || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A JSON POST over node:http(s), so that a private CA (VAULT_CACERT) can be trusted per request. */
async function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  ca: string | undefined,
): Promise<{ status: number; text: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        timeout: TIMEOUT_MS,
        ...(ca ? { ca } : {}),
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            incoming.destroy(new Error('the response is too large'));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
