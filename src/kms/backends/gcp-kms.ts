/**
 * GCP Cloud KMS as the KMS plugin's key-encryption key, through the sops Cloud KMS client
 * (src/sops/keys/gcp-kms.ts): the CryptoKey's symmetric Encrypt and Decrypt. Credentials as for `cloak sops`:
 * `GOOGLE_CREDENTIALS`, `GOOGLE_OAUTH_ACCESS_TOKEN`, else Application Default Credentials
 * (`GOOGLE_APPLICATION_CREDENTIALS`, the metadata server); the endpoint is `--gcp-endpoint`, else
 * `SOPS_GCP_KMS_ENDPOINT`; REST transport unless `SOPS_GCP_KMS_CLIENT_TYPE=grpc`.
 *
 * The key id is the CryptoKey's resource id. Cloud KMS rotates a CryptoKey's primary version by itself, and a
 * ciphertext names its version, so that rotation needs nothing from the API server; to move the cluster to a
 * new key-encryption key, point the plugin at another CryptoKey: the key id changes, the API server re-seeds, and
 * data wrapped under the old CryptoKey still unwraps (Decrypt uses the key the key id names).
 */
import { GcpKmsKey } from '../../sops/keys/gcp-kms.ts';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend, KekWrapResult } from '../plugin.ts';
import { guarded, roundTrip } from './common.ts';
import { GCP_KMS_KEY } from './specs.ts';

export interface GcpKmsBackendOptions {
  /** `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
  key: string;
  /** `host:port`, `https://host:port` or (REST only, for emulators) `http://host:port`. */
  endpoint?: string | undefined;
  /** Where credentials and settings are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export class GcpKmsBackend implements KekBackend {
  readonly description: string;
  private readonly key: GcpKmsKey;
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: GcpKmsBackendOptions) {
    if (!GCP_KMS_KEY.test(options.key)) {
      throw new KmsError('ERR_KMS_BACKEND', `"${options.key}" is not a Cloud KMS CryptoKey resource id`);
    }
    this.key = GcpKmsKey.fromSpec(options.key);
    const env = options.env ?? process.env;
    this.env = options.endpoint ? { ...env, SOPS_GCP_KMS_ENDPOINT: options.endpoint } : env;
    this.description = `GCP KMS key ${this.key.resourceId}`;
  }

  keyId(): Promise<string> {
    return Promise.resolve(this.key.resourceId);
  }

  async wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    const wrapped = await guarded(this.description, () => this.key.encrypt(plaintext, this.context()));
    return {
      ciphertext: new Uint8Array(decodeStdBase64(wrapped.enc)),
      keyId: this.key.resourceId,
      annotations: {},
    };
  }

  async unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    if (!GCP_KMS_KEY.test(keyId)) {
      throw new KmsError('ERR_KMS_REQUEST', `${this.description}: the key id is not a CryptoKey resource id`);
    }
    const key = new GcpKmsKey({ resourceId: keyId, enc: encodeStdBase64(ciphertext) });
    return guarded(this.description, () => key.decrypt(this.context()));
  }

  async health(): Promise<void> {
    await roundTrip(this);
  }

  private context(): { env: NodeJS.ProcessEnv; now: () => Date } {
    return { env: this.env, now: () => new Date() };
  }
}
