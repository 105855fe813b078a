/**
 * A fake Cloud KMS REST API on a local HTTP server: `POST /v1/{cryptoKey}:encrypt` and `:decrypt` with JSON
 * bodies carrying base64 `plaintext` / `ciphertext`, bearer-token authentication, and errors in Google's
 * `{"error": {code, message, status}}` shape. Encryption is real (AES-256-GCM under a per-key secret, bound
 * to the key name), so a changed ciphertext or another key's ciphertext fails as on Cloud KMS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { json, startFakeServer, type FakeServer, type Reply } from './cloud-fake-server.ts';

export interface FakeGcpKmsOptions {
  token: string;
  /** CryptoKey resource ids that exist. */
  keys: string[];
  /** Keys the token may not use (PERMISSION_DENIED). */
  denied?: string[];
}

export interface FakeGcpKms extends FakeServer {
  /** Opens a ciphertext as Cloud KMS would, for checking `enc` independently of the client. */
  open(resourceId: string, ciphertext: Buffer): Buffer;
}

const PATH =
  /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/;

export async function startFakeGcpKms(t: TestContext, options: FakeGcpKmsOptions): Promise<FakeGcpKms> {
  const secrets = new Map(options.keys.map((id) => [id, randomBytes(32)]));

  function open(resourceId: string, ciphertext: Buffer): Buffer {
    const secret = secrets.get(resourceId);
    if (!secret || ciphertext.length < 1 + 12 + 16 || ciphertext[0] !== 1)
      throw new Error('invalid ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', secret, ciphertext.subarray(1, 13));
    decipher.setAAD(Buffer.from(resourceId));
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    return Buffer.concat([decipher.update(ciphertext.subarray(13, -16)), decipher.final()]);
  }

  const server = await startFakeServer(t, (request): Reply => {
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    const [path = '', query = ''] = request.path.split('?');
    const match = PATH.exec(path);
    if (request.method !== 'POST' || !match) return googleError(404, 'NOT_FOUND', 'Not Found');
    // The REST transport asks for JSON responses (`$alt=json;enum-encoding=int`); anything else is not JSON.
    const alt = new URLSearchParams(query).get('$alt');
    if (alt !== null && !alt.startsWith('json'))
      return googleError(400, 'INVALID_ARGUMENT', 'unsupported $alt');
    const [, resourceId, method] = match as unknown as [string, string, string];
    if (!String(request.headers['content-type']).startsWith('application/json')) {
      return googleError(400, 'INVALID_ARGUMENT', 'expected a JSON body');
    }
    const secret = secrets.get(resourceId);
    if (!secret) return googleError(404, 'NOT_FOUND', `CryptoKey ${resourceId} not found.`);
    if (options.denied?.includes(resourceId)) {
      const permission = method === 'encrypt' ? 'useToEncrypt' : 'useToDecrypt';
      return googleError(
        403,
        'PERMISSION_DENIED',
        `Permission 'cloudkms.cryptoKeyVersions.${permission}' denied on resource '${resourceId}' (or it may not exist).`,
      );
    }
    const body = JSON.parse(request.body.toString()) as Record<string, unknown>;
    if (method === 'encrypt') {
      if (typeof body.plaintext !== 'string' || body.plaintext === '') {
        return googleError(400, 'INVALID_ARGUMENT', 'plaintext is required');
      }
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      cipher.setAAD(Buffer.from(resourceId));
      const sealed = Buffer.concat([cipher.update(Buffer.from(body.plaintext, 'base64')), cipher.final()]);
      const ciphertext = Buffer.concat([Buffer.from([1]), iv, sealed, cipher.getAuthTag()]);
      return json({
        name: `${resourceId}/cryptoKeyVersions/1`,
        ciphertext: ciphertext.toString('base64'),
        ciphertextCrc32c: '1234567',
        protectionLevel: 'SOFTWARE',
      });
    }
    if (typeof body.ciphertext !== 'string' || body.ciphertext === '') {
      return googleError(400, 'INVALID_ARGUMENT', 'ciphertext is required');
    }
    let plaintext: Buffer;
    try {
      plaintext = open(resourceId, Buffer.from(body.ciphertext, 'base64'));
    } catch {
      return googleError(400, 'INVALID_ARGUMENT', 'Decryption failed: the ciphertext is invalid.');
    }
    return json({ plaintext: plaintext.toString('base64'), usedPrimary: true, protectionLevel: 'SOFTWARE' });
  });
  return Object.assign(server, { open });
}

function googleError(code: number, status: string, message: string): Reply {
  return json({ error: { code, message, status } }, code, 'application/json; charset=UTF-8');
}
