/**
 * Azure Key Vault as the KMS plugin's key-encryption key, through the sops Key Vault client
 * (src/sops/keys/azure-kv.ts): RSA-OAEP-256 `encrypt`/`decrypt` with an RSA key. One credential serves the
 * plugin's whole life, so tokens are cached and refreshed: `CLOAK_AZURE_ACCESS_TOKEN` (a bearer token), else
 * DefaultAzureCredential (`AZURE_*` variables, workload identity, managed identity, Azure CLI).
 *
 * The key id is the key version that wrapped (`https://VAULT.vault.azure.net/keys/NAME/VERSION`). Given without a
 * version, the key's current version is used: rotating the key in Key Vault changes the key id at the next
 * health probe and the API server re-seeds. Unwrapping uses the version the key id names (any key of the same
 * vault), so data wrapped by older versions still unwraps.
 */
import type { AzureKeyOptions, AzureTokenCredential } from '../../sops/keys/azure-kv.ts';
import { AZURE_TOKEN_VARIABLE, AzureKeyVaultKey, staticToken } from '../../sops/keys/azure-kv.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend, KekWrapResult } from '../plugin.ts';
import { guarded, roundTrip } from './common.ts';
import { AZURE_KEY_URL } from './specs.ts';

export interface AzureKvBackendOptions {
  /** `https://VAULT.vault.azure.net/keys/NAME[/VERSION]`. */
  key: string;
  /** A credential instead of CLOAK_AZURE_ACCESS_TOKEN / DefaultAzureCredential. */
  credential?: AzureTokenCredential | undefined;
  /** Pipeline options of the Key Vault clients (TLS, retries, challenge verification). */
  clientOptions?: AzureKeyOptions['clientOptions'];
  /** Where CLOAK_AZURE_ACCESS_TOKEN is read. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export class AzureKvBackend implements KekBackend {
  readonly description: string;
  private readonly key: AzureKeyVaultKey;
  private readonly options: AzureKvBackendOptions;
  private readonly env: NodeJS.ProcessEnv;
  private credential: Promise<AzureTokenCredential> | undefined;
  private lastKeyId: string | undefined;

  constructor(options: AzureKvBackendOptions) {
    if (!AZURE_KEY_URL.test(options.key)) {
      throw new KmsError('ERR_KMS_BACKEND', `"${options.key}" is not a Key Vault key URL`);
    }
    this.key = AzureKeyVaultKey.fromSpec(options.key);
    this.options = options;
    this.env = options.env ?? process.env;
    this.description = `Azure Key Vault key ${this.key.version ? this.key.id : `${this.key.vaultUrl}/keys/${this.key.name}`}`;
  }

  async keyId(): Promise<string> {
    return this.lastKeyId ?? (await roundTrip(this));
  }

  async wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    const key = this.key.withOptions(await this.keyOptions());
    const wrapped = await guarded(this.description, () => key.encrypt(plaintext, this.context()));
    this.lastKeyId = wrapped.id;
    return {
      ciphertext: new Uint8Array(Buffer.from(wrapped.enc, 'base64url')),
      keyId: wrapped.id,
      annotations: {},
    };
  }

  async unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    let named: AzureKeyVaultKey | undefined;
    try {
      named = AZURE_KEY_URL.test(keyId) ? AzureKeyVaultKey.fromSpec(keyId) : undefined;
    } catch {
      named = undefined;
    }
    if (!named || named.version === '') {
      throw new KmsError(
        'ERR_KMS_REQUEST',
        `${this.description}: the key id is not a versioned Key Vault key URL`,
      );
    }
    if (named.vaultUrl !== this.key.vaultUrl) {
      throw new KmsError(
        'ERR_KMS_REQUEST',
        `${this.description}: the key id names a key in another vault (${named.vaultUrl})`,
      );
    }
    const key = new AzureKeyVaultKey(
      {
        vaultUrl: named.vaultUrl,
        name: named.name,
        version: named.version,
        enc: Buffer.from(ciphertext).toString('base64url'),
      },
      await this.keyOptions(),
    );
    return guarded(this.description, () => key.decrypt(this.context()));
  }

  async health(): Promise<void> {
    await roundTrip(this);
  }

  private async keyOptions(): Promise<AzureKeyOptions> {
    this.credential ??= this.makeCredential();
    return { credential: await this.credential, clientOptions: this.options.clientOptions };
  }

  private async makeCredential(): Promise<AzureTokenCredential> {
    if (this.options.credential) return this.options.credential;
    const token = this.env[AZURE_TOKEN_VARIABLE];
    if (token) return staticToken(token);
    const { DefaultAzureCredential } = await import('@azure/identity');
    return new DefaultAzureCredential();
  }

  private context(): { env: NodeJS.ProcessEnv; now: () => Date } {
    return { env: this.env, now: () => new Date() };
  }
}
