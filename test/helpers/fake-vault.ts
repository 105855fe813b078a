/**
 * A fake HashiCorp Vault with a transit engine, on a local HTTP or HTTPS server: `POST
 * /v1/{mount}/encrypt/{key}` and `/decrypt/{key}` with Vault's JSON shapes (`{"data": {...}}` on success,
 * `{"errors": [...]}` otherwise), `X-Vault-Token` checks, and real encryption the way transit's default
 * aes256-gcm96 keys do it: `vault:v1:` + base64(12-byte nonce ‖ ciphertext ‖ tag).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { json, startFakeServer, type FakeServer, type Reply } from './cloud-fake-server.ts';

export interface FakeVaultOptions {
  token: string;
  /** Where the transit engine is mounted, e.g. `transit` or `sops/transit`. */
  mount: string;
  keys: string[];
  /** When set, requests must carry this `X-Vault-Namespace`. */
  namespace?: string;
  tls?: boolean;
}

export interface FakeVault extends FakeServer {
  /** Opens a `vault:v1:…` ciphertext as transit would, to check `enc` independently of the client. */
  open(key: string, ciphertext: string): Buffer;
}

export async function startFakeVault(t: TestContext, options: FakeVaultOptions): Promise<FakeVault> {
  const secrets = new Map(options.keys.map((name) => [name, randomBytes(32)]));
  const prefix = `/v1/${options.mount}/`;

  function open(key: string, ciphertext: string): Buffer {
    const secret = secrets.get(key);
    const match = /^vault:v1:([A-Za-z0-9+/]+={0,2})$/.exec(ciphertext);
    if (!secret || !match) throw new Error('invalid ciphertext: no prefix');
    const raw = Buffer.from(match[1] as string, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, -16)), decipher.final()]);
  }

  const server = await startFakeServer(
    t,
    (request): Reply => {
      if (request.headers['x-vault-token'] === undefined) return vaultErrors(403, ['permission denied']);
      if (request.headers['x-vault-token'] !== options.token)
        return vaultErrors(403, ['permission denied', 'invalid token']);
      if (options.namespace !== undefined && request.headers['x-vault-namespace'] !== options.namespace) {
        return vaultErrors(403, ['permission denied']);
      }
      if (request.method !== 'POST' || !request.path.startsWith(prefix)) {
        return vaultErrors(404, [`no handler for route "${request.path.slice(4)}". route entry not found.`]);
      }
      const match = /^(encrypt|decrypt)\/([^/]+)$/.exec(request.path.slice(prefix.length));
      if (!match) return vaultErrors(405, ['unsupported operation']);
      const [, operation, key = ''] = match;
      const body = JSON.parse(request.body.toString() || '{}') as Record<string, unknown>;
      const secret = secrets.get(key);
      if (!secret) return vaultErrors(400, ['encryption key not found']);
      if (operation === 'encrypt') {
        if (typeof body.plaintext !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(body.plaintext)) {
          return vaultErrors(400, ['failed to base64-decode plaintext']);
        }
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', secret, nonce);
        const sealed = Buffer.concat([cipher.update(Buffer.from(body.plaintext, 'base64')), cipher.final()]);
        const raw = Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
        return vaultData({ ciphertext: `vault:v1:${raw.toString('base64')}`, key_version: 1 });
      }
      if (typeof body.ciphertext !== 'string') return vaultErrors(400, ['missing ciphertext to decrypt']);
      try {
        return vaultData({ plaintext: open(key, body.ciphertext).toString('base64') });
      } catch {
        return vaultErrors(400, ['cipher: message authentication failed']);
      }
    },
    { tls: options.tls ?? false },
  );
  return Object.assign(server, { open });
}

function vaultData(data: Record<string, unknown>): Reply {
  return json({
    request_id: '6c9a8e32-6e3a-4d3b-9a0a-2b8f6b1d1e11',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
  });
}

function vaultErrors(status: number, errors: string[]): Reply {
  return json({ errors }, status);
}
