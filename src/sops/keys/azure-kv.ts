/**
 * Azure Key Vault master keys: sops' `azure_kv` metadata entries. The data key goes through the vault's
 * `encrypt` operation with RSA-OAEP-256 (`POST {vault}/keys/{name}/{version}/encrypt`), and `enc` is the
 * result in unpadded base64url, as sops stores it. A key given without a version (sops 3.11+) is pinned to the
 * key's current version when it first encrypts, and that version is what the metadata records.
 *
 * Credentials: an injected TokenCredential (AzureKeyOptions, as sops' key service injects one), else
 * `CLOAK_AZURE_ACCESS_TOKEN` (a bearer token for https://vault.azure.net, e.g. from
 * `az account get-access-token --resource https://vault.azure.net`; Cloak's own variable, for CI and tests),
 * else DefaultAzureCredential (the `AZURE_*` environment variables, workload identity, managed identity,
 * Azure CLI, Azure Developer CLI, Azure PowerShell), as sops does. The Azure SDK (about 300 ms to import with
 * @azure/identity) is loaded only when a key is used.
 */
import type { CryptographyClient, CryptographyClientOptions, KeyClient } from '@azure/keyvault-keys';
import {
  asEntry,
  describeCause,
  formatCreatedAt,
  keyFailure,
  oneLine,
  optionalString,
  requiredCreatedAt,
  requiredString,
  specError,
} from './cloud-common.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

/** @azure/core-auth's TokenCredential, named through the Key Vault client so no transitive package is imported. */
export type AzureTokenCredential = ConstructorParameters<typeof KeyClient>[1];

/** What sops' key service can inject into a key and a file's metadata cannot carry. */
export interface AzureKeyOptions {
  credential?: AzureTokenCredential | undefined;
  /** Pipeline options of the Key Vault clients (retries, proxy, TLS, challenge verification…). */
  clientOptions?: CryptographyClientOptions | undefined;
}

export interface AzureKeyFields {
  vaultUrl: string;
  name: string;
  version?: string | undefined;
  createdAt?: Date | undefined;
  enc?: string | undefined;
}

/** sops' key URL: `https://VAULT/keys/NAME[/VERSION]`. */
const KEY_URL = /^(https:\/\/[^/]+)\/keys\/([^/]+)(?:\/([^/]*))?$/;
const ALGORITHM = 'RSA-OAEP-256';
const BASE64URL = /^[A-Za-z0-9_-]*$/;
export const AZURE_TOKEN_VARIABLE = 'CLOAK_AZURE_ACCESS_TOKEN';

export class AzureKeyVaultKey implements MasterKey {
  readonly type = 'azure_kv';
  readonly id: string;
  readonly vaultUrl: string;
  readonly name: string;
  readonly version: string;
  readonly createdAt: Date | undefined;
  readonly enc: string;
  readonly options: AzureKeyOptions;

  constructor(fields: AzureKeyFields, options: AzureKeyOptions = {}) {
    this.vaultUrl = fields.vaultUrl.replace(/\/+$/, '');
    this.name = fields.name;
    this.version = fields.version ?? '';
    this.createdAt = fields.createdAt;
    this.enc = fields.enc ?? '';
    this.options = options;
    this.id = `${this.vaultUrl}/keys/${this.name}/${this.version}`;
  }

  /**
   * One key URL as `--azure-kv`, `SOPS_AZURE_KEYVAULT_URLS` and a creation rule's `azure_keyvault:` give it (the
   * caller splits comma lists): `https://VAULT.vault.azure.net/keys/NAME/VERSION`, the version optional.
   */
  static fromSpec(spec: string, options?: AzureKeyOptions): AzureKeyVaultKey {
    const url = spec.trim();
    if (url === '') throw specError('azure_kv', 'empty key URL');
    const match = KEY_URL.exec(url);
    if (!match) {
      throw specError(
        'azure_kv',
        `"${url}" is not a key URL (https://VAULT.vault.azure.net/keys/NAME[/VERSION])`,
      );
    }
    const [, vaultUrl, name, version] = match as unknown as [string, string, string, string | undefined];
    return new AzureKeyVaultKey({ vaultUrl, name, version }, options);
  }

  /** An `azure_keyvault` item of a creation rule's `key_groups`: `{vaultUrl, key, version}` (version optional). */
  static fromConfig(value: unknown, options?: AzureKeyOptions): AzureKeyVaultKey {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw specError('azure_kv', 'a key_groups azure_keyvault item must be a map with "vaultUrl" and "key"');
    }
    const item = value as Record<string, unknown>;
    const field = (name: string, required: boolean): string => {
      const text = item[name];
      if (text === undefined || text === null || text === '') {
        if (required) throw specError('azure_kv', `a key_groups azure_keyvault item needs "${name}"`);
        return '';
      }
      if (typeof text !== 'string') throw specError('azure_kv', `"${name}" is not a string`);
      return text.trim();
    };
    const vaultUrl = field('vaultUrl', true);
    if (!/^https:\/\/[^/]+\/*$/.test(vaultUrl)) {
      throw specError('azure_kv', `"vaultUrl" must be https://VAULT.vault.azure.net, not "${vaultUrl}"`);
    }
    const name = field('key', true);
    const version = field('version', false);
    if (name.includes('/') || version.includes('/'))
      throw specError('azure_kv', '"key" and "version" cannot hold "/"');
    return new AzureKeyVaultKey({ vaultUrl, name, version }, options);
  }

  /** An entry of `sops.azure_kv` (or of a key group's `azure_kv`). */
  static fromMetadata(value: unknown, options?: AzureKeyOptions): AzureKeyVaultKey {
    const entry = asEntry('azure_kv', value);
    return new AzureKeyVaultKey(
      {
        vaultUrl: requiredString('azure_kv', entry, 'vault_url'),
        name: requiredString('azure_kv', entry, 'name'),
        version: optionalString('azure_kv', entry, 'version'),
        createdAt: requiredCreatedAt('azure_kv', entry),
        enc: requiredString('azure_kv', entry, 'enc'),
      },
      options,
    );
  }

  /** Fields in the order of sops' `azkvkey` struct. */
  toMetadata(): Record<string, unknown> {
    return {
      vault_url: this.vaultUrl,
      name: this.name,
      version: this.version,
      created_at: formatCreatedAt(this.createdAt),
      enc: this.enc,
    };
  }

  /** The same key with other options (a credential, pipeline options). */
  withOptions(options: AzureKeyOptions): AzureKeyVaultKey {
    return new AzureKeyVaultKey(this.fields(), options);
  }

  async encrypt(dataKey: Uint8Array, context: KeyContext): Promise<AzureKeyVaultKey> {
    try {
      const { CryptographyClient, KeyClient } = await import('@azure/keyvault-keys');
      const credential = await this.credential(context.env);
      const clientOptions = this.options.clientOptions ?? {};
      let version = this.version;
      let client: CryptographyClient;
      if (version === '') {
        // Pin the current version, as sops does, so that the file names the exact key version that wrapped it.
        const key = await new KeyClient(this.vaultUrl, credential, clientOptions).getKey(this.name);
        version = key.properties.version ?? '';
        if (version === '') throw new Error('the vault did not say which version of the key is current');
        client = new CryptographyClient(key, credential, clientOptions);
      } else {
        client = new CryptographyClient(this.id, credential, clientOptions);
      }
      const result = await client.encrypt({ algorithm: ALGORITHM, plaintext: dataKey });
      if (result.result.length === 0) throw new Error('the vault returned an empty result');
      const enc = Buffer.from(result.result).toString('base64url');
      return new AzureKeyVaultKey({ ...this.fields(), version, createdAt: context.now(), enc }, this.options);
    } catch (error) {
      throw keyFailure('encrypt', 'azure_kv', this.id, azureCause(error));
    }
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (this.enc === '')
      throw keyFailure('decrypt', 'azure_kv', this.id, 'the entry has no encrypted data key');
    // Go's RawURLEncoding: the URL-safe alphabet, no padding, no stray characters.
    if (!BASE64URL.test(this.enc) || this.enc.length % 4 === 1) {
      throw keyFailure('decrypt', 'azure_kv', this.id, '"enc" is not unpadded base64url');
    }
    try {
      const { CryptographyClient } = await import('@azure/keyvault-keys');
      const credential = await this.credential(context.env);
      const client = new CryptographyClient(this.id, credential, this.options.clientOptions ?? {});
      const result = await client.decrypt({
        algorithm: ALGORITHM,
        ciphertext: Buffer.from(this.enc, 'base64url'),
      });
      return result.result;
    } catch (error) {
      throw keyFailure('decrypt', 'azure_kv', this.id, azureCause(error));
    }
  }

  private fields(): AzureKeyFields {
    return {
      vaultUrl: this.vaultUrl,
      name: this.name,
      version: this.version,
      createdAt: this.createdAt,
      enc: this.enc,
    };
  }

  private async credential(env: NodeJS.ProcessEnv): Promise<AzureTokenCredential> {
    if (this.options.credential) return this.options.credential;
    const token = env[AZURE_TOKEN_VARIABLE];
    if (token) return staticToken(token);
    const { DefaultAzureCredential } = await import('@azure/identity');
    return new DefaultAzureCredential();
  }
}

/** A credential that always hands out one bearer token (its expiry is unknown; the vault will say). */
export function staticToken(token: string): AzureTokenCredential {
  return {
    getToken: () =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000, tokenType: 'Bearer' }),
  };
}

/** RestError → HTTP status, the service's error code and message; credential chains → what to set up. */
function azureCause(error: unknown): string {
  if (error instanceof Error) {
    const details = error as Error & { statusCode?: number; code?: string };
    if (error.name === 'RestError' && details.statusCode !== undefined) {
      const code = details.code && details.code !== String(details.statusCode) ? ` ${details.code}` : '';
      return `HTTP ${details.statusCode}${code}: ${oneLine(error.message)}`;
    }
    if (error.name === 'RestError') return `cannot reach the vault: ${oneLine(error.message)}`;
    if (error.name === 'AggregateAuthenticationError' || error.name === 'CredentialUnavailableError') {
      return (
        'no usable Azure credentials (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, use a ' +
        `managed or workload identity, run "az login", or set ${AZURE_TOKEN_VARIABLE}): ${oneLine(error.message, 200)}`
      );
    }
  }
  return describeCause(error);
}
