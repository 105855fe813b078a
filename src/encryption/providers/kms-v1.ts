/**
 * KMS v1 (`k8s:enc:kms:v1:<name>:`), read only: deprecated since Kubernetes 1.28 and behind the `KMSv1`
 * feature gate since 1.29, so Cloak opens what older clusters stored but never writes it.
 *
 * Layout (envelope/envelope.go): `uint16 big-endian len(encDEK) ‖ encDEK ‖ data`, a fresh 32-byte DEK per
 * write, encrypted by the plugin. `data` is AES-GCM (`nonce[12] ‖ ciphertext ‖ tag[16]`, AAD = etcd key), as
 * 1.25 and later write it, or else AES-CBC (`IV[16] ‖ ciphertext`, PKCS#7), as 1.24 wrote it; a CBC read is
 * stale (config.go `unionTransformers{gcm, cbc}`). Decrypted DEKs are kept in an LRU cache of `cachesize`
 * entries (negative: no cache).
 *
 * The plugin is reached through the same `KmsService` as KMS v2: v1's `Decrypt(cipher)` is `decrypt` with an
 * empty key ID and no annotations.
 */
import type { KmsService } from '../kms-service.ts';
import { describeCause, ProviderError } from '../errors.ts';
import type { Read, Transformer } from '../prefix.ts';
import type { KeyObject } from 'node:crypto';
import { cbcAlgorithm, cbcOpen, gcmAlgorithm, gcmOpen, secretKey, type RandomFill } from './ciphers.ts';
import { randomUuid } from './kms-v2.ts';
import { authenticatedData } from './local.ts';

export class KmsV1Provider implements Transformer {
  readonly name: string;
  readonly #service: KmsService;
  readonly #cacheSize: number;
  readonly #random: RandomFill;
  readonly #label: string;
  /** Decrypted DEKs by encrypted DEK, least recently used first. */
  readonly #deks = new Map<string, KeyObject>();
  readonly #decrypting = new Map<string, Promise<KeyObject>>();

  constructor(name: string, service: KmsService, cacheSize: number, random: RandomFill) {
    this.name = name;
    this.#service = service;
    this.#cacheSize = cacheSize;
    this.#random = random;
    this.#label = `kms provider ${JSON.stringify(name)} (KMS v1)`;
  }

  toStorage(): never {
    throw new ProviderError(
      'ERR_ENCRYPTION_WRITE',
      `${this.#label} cannot write: KMS v1 is deprecated (Kubernetes 1.28) and Cloak only reads it; put a kms v2 provider first`,
    );
  }

  fromStorage(data: Uint8Array, key: string): Read | Promise<Read> {
    if (data.length < 2 || data.length < 2 + (((data[0] as number) << 8) | (data[1] as number))) {
      throw new ProviderError(
        'ERR_ENCRYPTION_DECRYPT',
        `${this.#label}: invalid data encountered by envelope transformer: failed to read uint16 length prefixed data`,
      );
    }
    const dekLength = ((data[0] as number) << 8) | (data[1] as number);
    const encryptedDek = data.subarray(2, 2 + dekLength);
    const sealed = data.subarray(2 + dekLength);
    const cacheKey = Buffer.from(encryptedDek.buffer, encryptedDek.byteOffset, encryptedDek.length).toString(
      'latin1',
    );
    const cached = this.#deks.get(cacheKey);
    if (cached !== undefined) {
      this.#deks.delete(cacheKey);
      this.#deks.set(cacheKey, cached);
      return this.#open(cached, sealed, key);
    }
    return this.#decryptDek(cacheKey, encryptedDek).then((dek) => this.#open(dek, sealed, key));
  }

  #open(dek: KeyObject, sealed: Uint8Array, key: string): Read {
    let gcmError: unknown;
    try {
      return {
        value: gcmOpen(gcmAlgorithm(dek.symmetricKeySize ?? 0), dek, sealed, authenticatedData(key)),
        stale: false,
      };
    } catch (error) {
      gcmError = error;
    }
    try {
      return { value: cbcOpen(cbcAlgorithm(dek.symmetricKeySize ?? 0), dek, sealed), stale: true };
    } catch (cbcError) {
      throw new ProviderError(
        'ERR_ENCRYPTION_DECRYPT',
        `${this.#label}: cannot decrypt: AES-GCM: ${describeCause(gcmError)}; AES-CBC: ${describeCause(cbcError)}`,
      );
    }
  }

  #decryptDek(cacheKey: string, encryptedDek: Uint8Array): Promise<KeyObject> {
    let pending = this.#decrypting.get(cacheKey);
    if (pending === undefined) {
      pending = this.#callDecrypt(cacheKey, encryptedDek).finally(() => this.#decrypting.delete(cacheKey));
      this.#decrypting.set(cacheKey, pending);
    }
    return pending;
  }

  async #callDecrypt(cacheKey: string, encryptedDek: Uint8Array): Promise<KeyObject> {
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#service.decrypt({
        ciphertext: Uint8Array.from(encryptedDek),
        uid: this.#uid(),
        keyId: '',
        annotations: {},
      });
    } catch (error) {
      throw new ProviderError(
        'ERR_KMS_PLUGIN',
        `${this.#label}: failed to decrypt DEK, error: ${describeCause(error)}`,
      );
    }
    if (![16, 24, 32].includes(plaintext.length)) {
      throw new ProviderError(
        'ERR_ENCRYPTION_DECRYPT',
        `${this.#label}: invalid DEK size ${plaintext.length}`,
      );
    }
    const dek = secretKey(plaintext);
    if (this.#cacheSize > 0) {
      this.#deks.set(cacheKey, dek);
      if (this.#deks.size > this.#cacheSize) {
        const oldest = this.#deks.keys().next().value;
        if (oldest !== undefined) this.#deks.delete(oldest);
      }
    }
    return dek;
  }

  #uid(): string {
    return randomUuid(this.#random);
  }
}
