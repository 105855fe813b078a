/**
 * The local backend's key file and wrapping, pure (the caller reads and writes the file and passes the clock).
 *
 * Key file: text, one AES-256 key per line in standard base64 (optionally followed by ` # comment`); blank lines
 * and lines starting with `#` are ignored. The first key is current: it wraps. Every key unwraps what it wrapped.
 * Rotation puts a new key first; old keys stay until the data they protect has been re-encrypted.
 *
 * Key id: `local:` and 32 hex digits of HMAC-SHA256(key, "cloak kms-plugin key id"): stable, distinct per key,
 * and telling nothing about the key.
 *
 * Wrapped form: 0x01 ‖ nonce[12] ‖ AES-256-GCM ciphertext ‖ tag[16], with 0x01 ‖ key id as additional data.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import { KmsError } from '../errors.ts';

export const LOCAL_KEY_BYTES = 32;
const FORMAT_VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_LABEL = 'cloak kms-plugin key id';
const UTF8 = new TextEncoder();

export interface LocalKey {
  readonly id: string;
  readonly key: Uint8Array;
}

export function localKeyId(key: Uint8Array): string {
  return `local:${createHmac('sha256', key).update(KEY_ID_LABEL).digest('hex').slice(0, 32)}`;
}

export function newLocalKey(): Uint8Array {
  return new Uint8Array(randomBytes(LOCAL_KEY_BYTES));
}

export const KEY_FILE_HEADER =
  '# Cloak KMS plugin key file: AES-256 key-encryption keys in base64, one per line. The first key is\n' +
  '# current (it wraps new data keys); the others only unwrap. Keep old keys until the API server has\n' +
  '# re-encrypted everything they protect. Rotate with `cloak kms-plugin rotate`. Keep this file secret.\n';

/** The key token of a line, or undefined for a blank or comment line. */
function keyToken(line: string): string | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const comment = /\s#/.exec(text);
  return comment ? text.slice(0, comment.index).trim() : text;
}

/** The keys of a key file, current first. Errors name the line, never its text. */
export function parseKeyFile(text: string, source: string): LocalKey[] {
  const fail = (message: string): KmsError =>
    new KmsError('ERR_KMS_KEY_FILE', `key file ${source}: ${message}`);
  const keys: LocalKey[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((line, index) => {
    const token = keyToken(line);
    if (token === undefined) return;
    let key: Buffer;
    try {
      key = decodeStdBase64(token);
    } catch {
      throw fail(`line ${index + 1} is not a base64-encoded key`);
    }
    if (key.length !== LOCAL_KEY_BYTES) {
      throw fail(
        `line ${index + 1} holds a ${key.length}-byte key; keys are ${LOCAL_KEY_BYTES} bytes (AES-256)`,
      );
    }
    const id = localKeyId(key);
    const earlier = seen.get(id);
    if (earlier !== undefined) throw fail(`line ${index + 1} repeats the key of line ${earlier}`);
    seen.set(id, index + 1);
    keys.push({ id, key: new Uint8Array(key) });
  });
  if (keys.length === 0) throw fail('holds no key');
  return keys;
}

/** A new key file holding `key`. */
export function newKeyFileText(key: Uint8Array, note: string): string {
  return `${KEY_FILE_HEADER}${keyLine(key, note)}\n`;
}

/** The file with `key` as the new current key: a line put before the first key line, the rest unchanged. */
export function addCurrentKey(text: string, key: Uint8Array, note: string): string {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => keyToken(line) !== undefined);
  lines.splice(first === -1 ? lines.length : first, 0, keyLine(key, note));
  const joined = lines.join('\n');
  return joined.endsWith('\n') ? joined : `${joined}\n`;
}

/** The file with only its first `count` keys; comment and blank lines stay. */
export function keepCurrentKeys(text: string, count: number): string {
  let kept = 0;
  return text
    .split('\n')
    .filter((line) => keyToken(line) === undefined || kept++ < count)
    .join('\n');
}

function keyLine(key: Uint8Array, note: string): string {
  return note ? `${encodeStdBase64(key)} # ${note.replace(/[\r\n]+/g, ' ')}` : encodeStdBase64(key);
}

function additionalData(keyId: string): Uint8Array {
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), UTF8.encode(keyId)]);
}

export function wrapWithKey(key: LocalKey, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(key.id));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from([FORMAT_VERSION]), nonce, sealed, cipher.getAuthTag()]));
}

export function unwrapWithKey(key: LocalKey, ciphertext: Uint8Array): Uint8Array {
  const fail = (why: string): KmsError =>
    new KmsError('ERR_KMS_REQUEST', `cannot unwrap with local key ${key.id}: ${why}`);
  if (ciphertext.length < 1 + NONCE_BYTES + TAG_BYTES) throw fail('the ciphertext is too short');
  if (ciphertext[0] !== FORMAT_VERSION) throw fail(`unknown ciphertext format ${ciphertext[0]}`);
  const bytes = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(1, 1 + NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(additionalData(key.id));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return new Uint8Array(
      Buffer.concat([
        decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]),
    );
  } catch {
    throw fail('the ciphertext does not authenticate (altered, or wrapped by another key)');
  }
}
