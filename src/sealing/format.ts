/**
 * The Sealed Secrets value format (Bitnami `pkg/crypto` HybridEncrypt), byte for byte:
 *
 *   u16 big-endian length of the RSA ciphertext ‖ RSA-OAEP(SHA-256, MGF1 SHA-256, label)(session key)
 *   ‖ AES-256-GCM(session key, 12 zero bytes nonce, no AAD)(value) ‖ 16-byte GCM tag
 *
 * The 32-byte session key is fresh for every value, which is what makes the all-zero nonce safe. The OAEP
 * label binds the value to its scope (see scope.ts). Pure: no I/O.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { CloakError } from '../common/errors.ts';

const SESSION_KEY_BYTES = 32;
const GCM_NONCE = Buffer.alloc(12);
const GCM_TAG_BYTES = 16;
const LENGTH_PREFIX_BYTES = 2;

export const NO_KEY_MESSAGE = 'no key could decrypt secret';

export class NoKeyCouldDecryptError extends CloakError {
  constructor(detail?: string) {
    super('ERR_NO_KEY', detail ? `${NO_KEY_MESSAGE} (${detail})` : NO_KEY_MESSAGE);
  }
}

export class SealedDataTooShortError extends CloakError {
  constructor() {
    super('ERR_SEALED_TOO_SHORT', 'SealedSecret data is too short');
  }
}

export function hybridEncrypt(publicKey: KeyObject, plaintext: Uint8Array, label: Uint8Array): Buffer {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  const wrappedKey = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
    sessionKey,
  );
  const cipher = createCipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
  const sealedValue = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const prefix = Buffer.alloc(LENGTH_PREFIX_BYTES);
  prefix.writeUInt16BE(wrappedKey.length);
  return Buffer.concat([prefix, wrappedKey, sealedValue]);
}

export interface SealedParts {
  wrappedKey: Buffer;
  sealedValue: Buffer;
}

export function splitSealed(data: Uint8Array): SealedParts {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < LENGTH_PREFIX_BYTES) throw new SealedDataTooShortError();
  const wrappedLength = bytes.readUInt16BE(0);
  if (bytes.length < LENGTH_PREFIX_BYTES + wrappedLength) throw new SealedDataTooShortError();
  return {
    wrappedKey: bytes.subarray(LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + wrappedLength),
    sealedValue: bytes.subarray(LENGTH_PREFIX_BYTES + wrappedLength),
  };
}

/**
 * Opens a value with one private key; `undefined` when this key (or this label) does not fit. A wrapped key
 * longer than the key's modulus cannot be for this key and is skipped without an RSA operation.
 */
export function openWithKey(
  privateKey: KeyObject,
  parts: SealedParts,
  label: Uint8Array,
): Buffer | undefined {
  if (!keyFits(privateKey, parts)) return undefined;
  let sessionKey: Buffer;
  try {
    sessionKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      parts.wrappedKey,
    );
  } catch {
    return undefined;
  }
  if (sessionKey.length !== SESSION_KEY_BYTES) return undefined;
  const tagStart = parts.sealedValue.length - GCM_TAG_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
  decipher.setAuthTag(parts.sealedValue.subarray(tagStart));
  try {
    return Buffer.concat([decipher.update(parts.sealedValue.subarray(0, tagStart)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Whether trying this key costs an RSA operation at all: a wrapped key longer than the key's modulus, or a
 * value too short to hold a GCM tag, cannot be opened by it.
 */
export function keyFits(privateKey: KeyObject, parts: SealedParts): boolean {
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (modulusBits !== undefined && parts.wrappedKey.length > Math.ceil(modulusBits / 8)) return false;
  return parts.sealedValue.length >= GCM_TAG_BYTES;
}

/** Tries the keys in the order given; the first that opens the value wins, as upstream's HybridDecrypt. */
export function hybridDecrypt(privateKeys: Iterable<KeyObject>, data: Uint8Array, label: Uint8Array): Buffer {
  const parts = splitSealed(data);
  for (const key of privateKeys) {
    const plaintext = openWithKey(key, parts, label);
    if (plaintext) return plaintext;
  }
  throw new NoKeyCouldDecryptError();
}
