/**
 * A fake Azure Key Vault on a local HTTPS server (the SDK refuses plain http): challenge-based authentication
 * (a request without a bearer token gets 401 and a `WWW-Authenticate: Bearer authorization=…, resource=…`
 * challenge, as the real vault answers), `GET /keys/{name}[/{version}]`, and `POST
 * /keys/{name}/{version}/encrypt|decrypt` with `{"alg", "value"}` in base64url. The RSA work is real
 * (node:crypto, per-version 2048-bit keys), with the hash the `alg` names, so a client asking for another
 * algorithm than the one that wrapped a value cannot unwrap it.
 */
import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { TestContext } from 'node:test';
import { json, startFakeServer, type FakeServer, type Reply } from './cloud-fake-server.ts';

export interface FakeKeyVaultOptions {
  token: string;
  /** Key names, each with the versions it has (the last one is current). */
  keys: Record<string, string[]>;
  /** Key names whose encrypt/decrypt the token may not use (403). */
  denied?: string[];
}

export interface FakeKeyVault extends FakeServer {
  /** The private key of a key version, to check `enc` independently of the client. */
  privateKey(name: string, version: string): KeyObject;
}

const CHALLENGE =
  'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"';
const PATH = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(encrypt|decrypt))?$/;

export async function startFakeKeyVault(t: TestContext, options: FakeKeyVaultOptions): Promise<FakeKeyVault> {
  const keys = new Map<string, Map<string, { privateKey: KeyObject; publicKey: KeyObject }>>();
  for (const [name, versions] of Object.entries(options.keys)) {
    keys.set(
      name,
      new Map(versions.map((version) => [version, generateKeyPairSync('rsa', { modulusLength: 2048 })])),
    );
  }
  let vaultUrl = '';

  const server = await startFakeServer(
    t,
    (request): Reply => {
      const [path = '', query = ''] = request.path.split('?');
      if (!new URLSearchParams(query).get('api-version')) {
        return vaultError(400, 'BadParameter', 'The api-version query parameter is required.');
      }
      if (request.headers.authorization === undefined) {
        return {
          ...vaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'),
          headers: { 'WWW-Authenticate': CHALLENGE, 'Content-Type': 'application/json' },
        };
      }
      if (request.headers.authorization !== `Bearer ${options.token}`) {
        return {
          ...vaultError(401, 'Unauthorized', 'AKV10032: Invalid issuer.'),
          headers: { 'WWW-Authenticate': CHALLENGE, 'Content-Type': 'application/json' },
        };
      }
      const match = PATH.exec(path);
      if (!match) return vaultError(404, 'NotFound', 'Not found');
      const [, name = '', requestedVersion = '', operation] = match;
      const versions = keys.get(name);
      if (!versions)
        return vaultError(
          404,
          'KeyNotFound',
          `A key with (name/id) ${name} was not found in this key vault.`,
        );
      const version = requestedVersion || [...versions.keys()].at(-1) || '';
      const pair = versions.get(version);
      if (!pair) {
        return vaultError(
          404,
          'KeyNotFound',
          `A key with (name/id) ${name}/${version} was not found in this key vault.`,
        );
      }
      const kid = `${vaultUrl}/keys/${name}/${version}`;
      if (operation === undefined) {
        if (request.method !== 'GET') return vaultError(405, 'MethodNotAllowed', 'Method not allowed');
        const jwk = pair.publicKey.export({ format: 'jwk' });
        return json({
          key: {
            kid,
            kty: 'RSA',
            key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
            n: jwk.n,
            e: jwk.e,
          },
          attributes: {
            enabled: true,
            created: 1767225600,
            updated: 1767225600,
            recoveryLevel: 'Recoverable+Purgeable',
          },
        });
      }
      if (request.method !== 'POST' || requestedVersion === '')
        return vaultError(400, 'BadParameter', 'Bad request');
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        return vaultError(400, 'BadParameter', 'expected a JSON body');
      }
      if (options.denied?.includes(name)) {
        return vaultError(
          403,
          'Forbidden',
          `The user, group or application does not have keys ${operation} permission on key vault 'fake'.`,
        );
      }
      const body = JSON.parse(request.body.toString()) as { alg?: unknown; value?: unknown };
      const padding = paddingFor(body.alg);
      if (!padding || typeof body.value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(body.value)) {
        return vaultError(400, 'BadParameter', 'Invalid algorithm or value.');
      }
      const input = Buffer.from(body.value, 'base64url');
      try {
        const output =
          operation === 'encrypt'
            ? publicEncrypt({ key: pair.publicKey, ...padding }, input)
            : privateDecrypt({ key: pair.privateKey, ...padding }, input);
        return json({ kid, value: output.toString('base64url') });
      } catch {
        return vaultError(400, 'BadParameter', 'Error decrypting the ciphertext.');
      }
    },
    { tls: true },
  );
  vaultUrl = server.url;
  return Object.assign(server, {
    privateKey: (name: string, version: string) => {
      const pair = keys.get(name)?.get(version);
      if (!pair) throw new Error(`no key ${name}/${version}`);
      return pair.privateKey;
    },
  });
}

function paddingFor(alg: unknown): { padding: number; oaepHash?: string } | undefined {
  if (alg === 'RSA-OAEP-256') return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  if (alg === 'RSA-OAEP') return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' };
  return undefined;
}

function vaultError(status: number, code: string, message: string): Reply {
  return json({ error: { code, message } }, status, 'application/json; charset=utf-8');
}

/** A token shaped like a JWT but meaningless, so a test never holds anything that looks like a real one. */
export function fakeBearerToken(): string {
  return `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}
