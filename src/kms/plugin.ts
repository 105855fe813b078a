/**
 * A KMS v2 plugin: the KmsService that `cloak kms-plugin` serves, over a key-encryption-key backend (a local key
 * file, Vault transit, AWS KMS, GCP Cloud KMS, Azure Key Vault). The API server hands the plugin a fresh data key
 * seed to wrap now and then, and wrapped seeds to unwrap when it starts or meets an older one; the backend does
 * the wrapping. The plugin applies kube-apiserver's rules to what the backend returns, so the API server never
 * gets an answer it would refuse, and turns a failing backend into a Status healthz text other than "ok".
 */
import { CloakError, errorMessage } from '../common/errors.ts';
import type {
  KmsDecryptRequest,
  KmsEncryptResult,
  KmsService,
  KmsStatus,
} from '../encryption/kms-service.ts';
import { KmsError } from './errors.ts';
import { encryptResultProblem, keyIdProblem, KMS_API_VERSION, KMS_HEALTHY, oneLine } from './protocol.ts';

export interface KekWrapResult {
  ciphertext: Uint8Array;
  keyId: string;
  annotations: Record<string, Uint8Array>;
}

/** A key-encryption key: wraps and unwraps data key seeds. Errors are CloakErrors holding no key or data. */
export interface KekBackend {
  /** What the backend is, for logs and errors ("local key file /etc/kms/keys", "AWS KMS key arn:…"). */
  readonly description: string;
  /** The id of the key that wraps now; it changes when the key is rotated. */
  keyId(): Promise<string>;
  /** Wraps with the current key; `keyId` in the result is that key's id (kube requires it to equal Status'). */
  wrap(plaintext: Uint8Array): Promise<KekWrapResult>;
  /** Unwraps with the key `keyId` names (an earlier current key, after rotation). */
  unwrap(ciphertext: Uint8Array, keyId: string, annotations: Record<string, Uint8Array>): Promise<Uint8Array>;
  /** Resolves when the backend can wrap and unwrap; rejects with the reason. */
  health(): Promise<void>;
  /** Things an operator should fix that do not stop the plugin (a key file others can read). */
  warnings?(): string[];
  /** Releases clients and timers. */
  close?(): Promise<void>;
}

export interface KmsPluginOptions {
  /** Called when the health Status reports changes: "ok", or the failure text. */
  onHealthChange?: (healthz: string) => void;
}

/** How long a healthz failure text may be (kube copies it into its own healthz output). */
const MAX_HEALTHZ = 500;

export class KmsPlugin implements KmsService {
  readonly backend: KekBackend;
  private readonly options: KmsPluginOptions;
  private lastHealthz: string | undefined;

  constructor(backend: KekBackend, options: KmsPluginOptions = {}) {
    this.backend = backend;
    this.options = options;
  }

  /** version "v2"; healthz "ok" or why the backend cannot work; key_id the backend's current key. */
  async status(): Promise<KmsStatus> {
    let healthz = KMS_HEALTHY;
    let keyId = '';
    try {
      await this.backend.health();
      keyId = await this.backend.keyId();
      const problem = keyIdProblem(keyId);
      if (problem) throw new KmsError('ERR_KMS_BACKEND', `${this.backend.description} has ${problem}`);
    } catch (error) {
      healthz = failureText(error);
    }
    if (healthz !== this.lastHealthz) {
      this.lastHealthz = healthz;
      this.options.onHealthChange?.(healthz);
    }
    return { version: KMS_API_VERSION, healthz, keyId };
  }

  async encrypt(plaintext: Uint8Array, _uid: string): Promise<KmsEncryptResult> {
    if (plaintext.length === 0) throw new KmsError('ERR_KMS_REQUEST', 'Encrypt: the plaintext is empty');
    const result = await this.backend.wrap(plaintext);
    const copy: KmsEncryptResult = {
      ciphertext: result.ciphertext,
      keyId: result.keyId,
      annotations: { ...result.annotations },
    };
    const problem = encryptResultProblem(copy);
    if (problem) {
      throw new KmsError(
        'ERR_KMS_BACKEND',
        `${this.backend.description} returned ${problem}, which kube-apiserver would refuse`,
      );
    }
    return copy;
  }

  async decrypt(request: KmsDecryptRequest): Promise<Uint8Array> {
    if (request.ciphertext.length === 0) {
      throw new KmsError('ERR_KMS_REQUEST', 'Decrypt: the ciphertext is empty');
    }
    if (request.keyId === '') throw new KmsError('ERR_KMS_REQUEST', 'Decrypt: the request has no key_id');
    const plaintext = await this.backend.unwrap(request.ciphertext, request.keyId, request.annotations);
    if (plaintext.length === 0) {
      throw new KmsError('ERR_KMS_BACKEND', `${this.backend.description} unwrapped an empty plaintext`);
    }
    return plaintext;
  }
}

/** A failure as a healthz text: never "ok", one line, short. */
function failureText(error: unknown): string {
  const message =
    error instanceof CloakError ? errorMessage(error) : `unexpected error: ${errorMessage(error)}`;
  const text = oneLine(message, MAX_HEALTHZ);
  return text === '' || text === KMS_HEALTHY ? 'unhealthy' : text;
}
