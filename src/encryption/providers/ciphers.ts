/**
 * AES-GCM and AES-CBC as kube-apiserver's `aes` package lays them out, on node:crypto; HMAC-SHA256 for the KMS
 * v2 key derivation. Errors are plain `Error`s with kube's wording; providers add which key failed.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomFillSync,
  type CipherGCMTypes,
  type KeyObject,
} from 'node:crypto';

export const GCM_NONCE_SIZE = 12;
export const GCM_TAG_SIZE = 16;
export const AES_BLOCK_SIZE = 16;

/** Fills `target` with cryptographically strong random bytes. */
export type RandomFill = (target: Uint8Array) => void;

export function secretKey(bytes: Uint8Array): KeyObject {
  return createSecretKey(bytes);
}

const POOL_SIZE = 4096;
const POOLED_MAX = 256;

/**
 * node:crypto's CSPRNG, drawn in 4 KiB blocks for small requests (as node's own `randomUUID` buffers its
 * entropy): a `randomFillSync` call costs about 2.5 µs whatever its size, as much as half an AES-GCM write.
 * Every byte is handed out once.
 */
export function pooledRandom(): RandomFill {
  const pool = Buffer.allocUnsafe(POOL_SIZE);
  let used = POOL_SIZE;
  return (target) => {
    if (target.length > POOLED_MAX) {
      randomFillSync(target);
      return;
    }
    if (used + target.length > POOL_SIZE) {
      randomFillSync(pool);
      used = 0;
    }
    target.set(pool.subarray(used, used + target.length));
    pool.fill(0, used, used + target.length);
    used += target.length;
  };
}

/**
 * Keys are node KeyObjects: node 24 turns raw key bytes into one on every cipher or HMAC it creates, which costs
 * more (about 12 µs) than the AES-GCM of a 400-byte value; a KeyObject made once costs under 1 µs.
 */
type AesKey = KeyObject;
export type CipherCBCTypes = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';

export function gcmAlgorithm(keyLength: number): CipherGCMTypes {
  switch (keyLength) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new Error(`invalid AES key size ${keyLength}`);
  }
}

export function cbcAlgorithm(keyLength: number): CipherCBCTypes {
  switch (keyLength) {
    case 16:
      return 'aes-128-cbc';
    case 24:
      return 'aes-192-cbc';
    case 32:
      return 'aes-256-cbc';
    default:
      throw new Error(`invalid AES key size ${keyLength}`);
  }
}

export function gcmSealedSize(plainLength: number): number {
  return GCM_NONCE_SIZE + plainLength + GCM_TAG_SIZE;
}

/**
 * Writes `nonce[12] ‖ ciphertext ‖ tag[16]` at `out[offset…]` (`gcmSealedSize` bytes); the nonce is drawn from
 * `random`. AAD is the etcd key.
 */
export function gcmSealInto(
  algorithm: CipherGCMTypes,
  key: AesKey,
  out: Uint8Array,
  offset: number,
  plain: Uint8Array,
  aad: Uint8Array,
  random: RandomFill,
): void {
  const nonce = out.subarray(offset, offset + GCM_NONCE_SIZE);
  random(nonce);
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG_SIZE });
  cipher.setAAD(aad);
  const body = cipher.update(plain);
  const rest = cipher.final();
  let at = offset + GCM_NONCE_SIZE;
  out.set(body, at);
  at += body.length;
  if (rest.length > 0) {
    out.set(rest, at);
    at += rest.length;
  }
  out.set(cipher.getAuthTag(), at);
}

/** Opens `nonce[12] ‖ ciphertext ‖ tag[16]`. */
export function gcmOpen(algorithm: CipherGCMTypes, key: AesKey, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < GCM_NONCE_SIZE) throw new Error('the stored data was shorter than the required size');
  if (sealed.length < GCM_NONCE_SIZE + GCM_TAG_SIZE) throw new Error('message authentication failed');
  const tagAt = sealed.length - GCM_TAG_SIZE;
  const decipher = createDecipheriv(algorithm, key, sealed.subarray(0, GCM_NONCE_SIZE), {
    authTagLength: GCM_TAG_SIZE,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(tagAt));
  const body = decipher.update(sealed.subarray(GCM_NONCE_SIZE, tagAt));
  try {
    const rest = decipher.final();
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch {
    body.fill(0);
    throw new Error('message authentication failed');
  }
}

export function cbcSealedSize(plainLength: number): number {
  return AES_BLOCK_SIZE + plainLength + (AES_BLOCK_SIZE - (plainLength % AES_BLOCK_SIZE));
}

/** Writes `IV[16] ‖ AES-CBC(plain ‖ PKCS#7 padding of 1–16 bytes)` at `out[offset…]` (`cbcSealedSize` bytes). */
export function cbcSealInto(
  algorithm: CipherCBCTypes,
  key: AesKey,
  out: Uint8Array,
  offset: number,
  plain: Uint8Array,
  random: RandomFill,
): void {
  const iv = out.subarray(offset, offset + AES_BLOCK_SIZE);
  random(iv);
  const cipher = createCipheriv(algorithm, key, iv); // PKCS#7 padding is node's default
  const body = cipher.update(plain);
  out.set(body, offset + AES_BLOCK_SIZE);
  out.set(cipher.final(), offset + AES_BLOCK_SIZE + body.length);
}

/**
 * Opens `IV ‖ ciphertext` and removes the padding with kube's checks: the length is a whole number of blocks,
 * the last byte `n` is 1 ≤ n ≤ the decrypted length, and the last `n` bytes all equal `n`.
 */
export function cbcOpen(algorithm: CipherCBCTypes, key: AesKey, sealed: Uint8Array): Buffer {
  if (sealed.length < AES_BLOCK_SIZE) throw new Error('the stored data was shorter than the required size');
  const body = sealed.subarray(AES_BLOCK_SIZE);
  if (body.length % AES_BLOCK_SIZE !== 0)
    throw new Error('the stored data is not a multiple of the block size');
  if (body.length === 0) throw new Error('invalid PKCS7 data (empty or not padded)');
  const decipher = createDecipheriv(algorithm, key, sealed.subarray(0, AES_BLOCK_SIZE));
  decipher.setAutoPadding(false);
  const head = decipher.update(body);
  const tail = decipher.final();
  const result = tail.length === 0 ? head : Buffer.concat([head, tail]);
  const padding = result[result.length - 1] as number;
  if (padding === 0 || padding > result.length) {
    result.fill(0);
    throw new Error('invalid PKCS7 data (empty or not padded)');
  }
  for (let i = result.length - padding; i < result.length; i++) {
    if (result[i] !== padding) {
      result.fill(0);
      throw new Error('invalid padding on input');
    }
  }
  return result.subarray(0, result.length - padding);
}

const COUNTER_ONE = Uint8Array.of(1);

/**
 * HKDF-Expand (RFC 5869 §2.3) with SHA-256, PRK = `seed`, for one 32-byte block: T(1) = HMAC(PRK, info ‖ 0x01).
 * KMS v2 derives each write's DEK this way, with no Extract step (kube's `sha256KDFExpandOnly`); node's
 * `hkdf` always extracts first, so the expansion is HMAC directly.
 */
export function hkdfSha256ExpandOneBlock(seed: AesKey, info: Uint8Array): Buffer {
  return createHmac('sha256', seed).update(info).update(COUNTER_ONE).digest();
}
