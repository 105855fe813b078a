/**
 * The providers whose keys are in the configuration file, with kube-apiserver's prefixes and layouts:
 *
 *   identity    (no prefix)                   the bytes as they are; refuses data that starts `k8s:enc:`
 *   aescbc      k8s:enc:aescbc:v1:<key>:      IV[16] ‖ AES-CBC(plain ‖ PKCS#7)            no AAD
 *   aesgcm      k8s:enc:aesgcm:v1:<key>:      nonce[12] ‖ AES-GCM ciphertext ‖ tag[16]     AAD = etcd key
 *   secretbox   k8s:enc:secretbox:v1:<key>:   nonce[24] ‖ tag[16] ‖ XSalsa20 ciphertext    no AAD
 *
 * Each keyed provider is a prefix chain of its keys (`<name>:`): the first key writes, any may read, a read
 * with a later key is stale.
 */
import type { CipherGCMTypes, KeyObject } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import type { KeyedProviderConfig } from '../config.ts';
import { ProviderError } from '../errors.ts';
import {
  labelAt,
  PrefixChain,
  prefixBytes,
  type PrefixEntry,
  type Read,
  type Transformer,
} from '../prefix.ts';
import {
  cbcAlgorithm,
  cbcOpen,
  cbcSealedSize,
  cbcSealInto,
  gcmAlgorithm,
  gcmOpen,
  gcmSealedSize,
  gcmSealInto,
  pooledRandom,
  secretKey,
  type CipherCBCTypes,
  type RandomFill,
} from './ciphers.ts';

/** Reserved for encrypted data: the identity provider never returns a value that starts with it. */
export const ENCRYPTED_DATA_PREFIX = 'k8s:enc:';

export const PROVIDER_PREFIXES = {
  aescbc: 'k8s:enc:aescbc:v1:',
  aesgcm: 'k8s:enc:aesgcm:v1:',
  secretbox: 'k8s:enc:secretbox:v1:',
  kmsV1: 'k8s:enc:kms:v1:',
  kmsV2: 'k8s:enc:kms:v2:',
} as const;

export const SECRETBOX_NONCE_SIZE = 24;
const SECRETBOX_TAG_SIZE = 16;

const ENCRYPTED = prefixBytes(ENCRYPTED_DATA_PREFIX);

export const defaultRandom: RandomFill = pooledRandom();

/** The etcd key as the AEAD's additional data: its UTF-8 bytes, as Go's `[]byte(key)`. */
export function authenticatedData(key: string): Uint8Array {
  return Buffer.from(key, 'utf8');
}

/** Space for `reserve` prefix bytes, then `size` bytes of the provider's own output. */
export function allocateOutput(reserve: number, size: number): Buffer {
  return Buffer.allocUnsafe(reserve + size);
}

/** kube's `identity.NewEncryptCheckTransformer`. */
export const IDENTITY: Transformer = {
  fromStorage(data: Uint8Array): Read {
    if (startsWithEncrypted(data)) {
      throw new ProviderError('ERR_ENCRYPTION_NO_MATCH', 'identity transformer tried to read encrypted data');
    }
    return { value: data, stale: false };
  },
  toStorage(plain: Uint8Array, _key: string, reserve: number): Uint8Array {
    if (reserve === 0) return plain;
    const out = allocateOutput(reserve, plain.length);
    out.set(plain, reserve);
    return out;
  },
};

function startsWithEncrypted(data: Uint8Array): boolean {
  if (data.length < ENCRYPTED.length) return false;
  for (let i = 0; i < ENCRYPTED.length; i++) if (data[i] !== ENCRYPTED[i]) return false;
  return true;
}

class AesGcmKey implements Transformer {
  readonly #label: string;
  readonly #key: KeyObject;
  readonly #algorithm: CipherGCMTypes;
  readonly #random: RandomFill;

  constructor(label: string, key: Buffer, random: RandomFill) {
    this.#label = label;
    this.#key = secretKey(key);
    this.#algorithm = gcmAlgorithm(key.length);
    this.#random = random;
  }

  fromStorage(data: Uint8Array, key: string): Read {
    try {
      return { value: gcmOpen(this.#algorithm, this.#key, data, authenticatedData(key)), stale: false };
    } catch (error) {
      const reason = reasonOf(error);
      const hint =
        reason === 'message authentication failed'
          ? ' (a different key, or a value moved from another etcd key)'
          : '';
      throw readFailure(this.#label, reason, hint);
    }
  }

  toStorage(plain: Uint8Array, key: string, reserve: number): Uint8Array {
    const out = allocateOutput(reserve, gcmSealedSize(plain.length));
    gcmSealInto(this.#algorithm, this.#key, out, reserve, plain, authenticatedData(key), this.#random);
    return out;
  }
}

class AesCbcKey implements Transformer {
  readonly #label: string;
  readonly #key: KeyObject;
  readonly #algorithm: CipherCBCTypes;
  readonly #random: RandomFill;

  constructor(label: string, key: Buffer, random: RandomFill) {
    this.#label = label;
    this.#key = secretKey(key);
    this.#algorithm = cbcAlgorithm(key.length);
    this.#random = random;
  }

  fromStorage(data: Uint8Array): Read {
    try {
      return { value: cbcOpen(this.#algorithm, this.#key, data), stale: false };
    } catch (error) {
      const reason = reasonOf(error);
      throw readFailure(this.#label, reason, reason.includes('padd') ? ' (a different key?)' : '');
    }
  }

  toStorage(plain: Uint8Array, _key: string, reserve: number): Uint8Array {
    const out = allocateOutput(reserve, cbcSealedSize(plain.length));
    cbcSealInto(this.#algorithm, this.#key, out, reserve, plain, this.#random);
    return out;
  }
}

class SecretboxKey implements Transformer {
  readonly #label: string;
  readonly #key: Buffer;
  readonly #random: RandomFill;

  constructor(label: string, key: Buffer, random: RandomFill) {
    this.#label = label;
    this.#key = key;
    this.#random = random;
  }

  fromStorage(data: Uint8Array): Read {
    if (data.length < SECRETBOX_NONCE_SIZE) {
      throw readFailure(this.#label, 'the stored data was shorter than the required size');
    }
    try {
      const box = xsalsa20poly1305(this.#key, data.subarray(0, SECRETBOX_NONCE_SIZE));
      return { value: box.decrypt(data.subarray(SECRETBOX_NONCE_SIZE)), stale: false };
    } catch {
      throw readFailure(this.#label, 'authentication failed', ' (a different key?)');
    }
  }

  toStorage(plain: Uint8Array, _key: string, reserve: number): Uint8Array {
    const out = allocateOutput(reserve, SECRETBOX_NONCE_SIZE + SECRETBOX_TAG_SIZE + plain.length);
    const nonce = out.subarray(reserve, reserve + SECRETBOX_NONCE_SIZE);
    this.#random(nonce);
    out.set(xsalsa20poly1305(this.#key, nonce).encrypt(plain), reserve + SECRETBOX_NONCE_SIZE);
    return out;
  }
}

function readFailure(label: string, reason: string, hint = ''): ProviderError {
  return new ProviderError('ERR_ENCRYPTION_DECRYPT', `${label}: cannot decrypt: ${reason}${hint}`);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An aescbc, aesgcm or secretbox provider: its prefix, and the chain of its keys. */
export function keyedProvider(config: KeyedProviderConfig, random: RandomFill): PrefixEntry {
  const { type } = config;
  const keys = config.keys.map((key): PrefixEntry => {
    const label = `${type} key ${JSON.stringify(key.name)}`;
    const secret = key.secret.reveal();
    const transformer =
      type === 'aesgcm'
        ? new AesGcmKey(label, secret, random)
        : type === 'aescbc'
          ? new AesCbcKey(label, secret, random)
          : new SecretboxKey(label, Buffer.from(secret), random);
    secret.fill(0);
    return { prefix: prefixBytes(`${key.name}:`), transformer };
  });
  const chain = new PrefixChain(keys, (data) => {
    const name = labelAt(data, 0);
    return new ProviderError(
      'ERR_ENCRYPTION_NO_MATCH',
      name === undefined
        ? `${type}: the value was written with a key that is not configured`
        : `${type}: the value was written with key ${JSON.stringify(name)}, which is not configured`,
    );
  });
  return { prefix: prefixBytes(PROVIDER_PREFIXES[type]), transformer: chain };
}
