/**
 * An in-process KMS v2 plugin (modelled on kube's kms_plugin_mock.go): a key-encryption key per key ID, AES-GCM
 * wrapping, an annotation on every Encrypt, settable health and failures, and a count of every call.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type {
  KmsDecryptRequest,
  KmsEncryptResult,
  KmsService,
  KmsStatus,
} from '../../src/encryption/kms-service.ts';

export const MOCK_ANNOTATION = 'local-kek.kms.kubernetes.io';

export class FakeKms implements KmsService {
  keyId = 'kek-1';
  healthz = 'ok';
  version = 'v2';
  /** When set, Encrypt answers with this key ID instead of the current one (a plugin mid-rotation). */
  encryptKeyId: string | undefined;
  failStatus = false;
  failEncrypt = false;
  failDecrypt = false;
  /** Extra annotations Encrypt returns (for validation tests). */
  annotations: Record<string, Uint8Array> = {};
  readonly calls = { status: 0, encrypt: 0, decrypt: 0 };
  readonly decryptRequests: KmsDecryptRequest[] = [];
  readonly #keks = new Map<string, Buffer>();

  status(): Promise<KmsStatus> {
    this.calls.status++;
    if (this.failStatus) return Promise.reject(new Error('plugin unavailable: connection refused'));
    return Promise.resolve({ version: this.version, healthz: this.healthz, keyId: this.keyId });
  }

  encrypt(plaintext: Uint8Array): Promise<KmsEncryptResult> {
    this.calls.encrypt++;
    if (this.failEncrypt) return Promise.reject(new Error('plugin unavailable: encrypt failed'));
    const keyId = this.encryptKeyId ?? this.keyId;
    return Promise.resolve({
      ciphertext: this.wrap(plaintext, keyId),
      keyId,
      annotations: { [MOCK_ANNOTATION]: Buffer.from(keyId), ...this.annotations },
    });
  }

  decrypt(request: KmsDecryptRequest): Promise<Uint8Array> {
    this.calls.decrypt++;
    this.decryptRequests.push(request);
    if (this.failDecrypt) return Promise.reject(new Error('plugin unavailable: decrypt failed'));
    return new Promise((resolve) => resolve(this.unwrap(request.ciphertext, request.keyId)));
  }

  /** What Encrypt does, for tests that build stored values by hand. */
  wrap(plaintext: Uint8Array, keyId = this.keyId): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#kek(keyId), nonce);
    return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  unwrap(ciphertext: Uint8Array, keyId: string): Buffer {
    const data = Buffer.from(ciphertext);
    const decipher = createDecipheriv('aes-256-gcm', this.#kek(keyId), data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
  }

  #kek(keyId: string): Buffer {
    let kek = this.#keks.get(keyId);
    if (kek === undefined) {
      kek = randomBytes(32);
      this.#keks.set(keyId, kek);
    }
    return kek;
  }
}

/** A clock tests move by hand. */
export class FakeClock {
  now = Date.UTC(2025, 0, 15, 10, 0, 0);
  readonly read = (): number => this.now;

  advance(ms: number): void {
    this.now += ms;
  }
}
