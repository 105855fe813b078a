/**
 * HashiCorp Vault transit as the KMS plugin's key-encryption key, through the sops Vault transit client
 * (src/sops/keys/vault-transit.ts): `POST {address}/v1/{mount}/encrypt|decrypt/{key}`. The token comes from
 * `VAULT_TOKEN` or `~/.vault-token`, `VAULT_NAMESPACE` and `VAULT_CACERT` apply, as for `cloak sops`.
 *
 * The wrapped seed is transit's `vault:vN:…` ciphertext (as bytes). The key id is the key's URI and the key
 * version that wrapped (`https://vault:8200/v1/transit/keys/k#v3`), so `vault write -f transit/keys/k/rotate`
 * changes the plugin's key id at the next health probe and the API server re-seeds. Unwrapping uses the key the
 * key id names when it is on the same Vault server, so the plugin can move to another key and still read data
 * wrapped by the previous one.
 */
import { VaultTransitKey } from '../../sops/keys/vault-transit.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend, KekWrapResult } from '../plugin.ts';
import { guarded, roundTrip } from './common.ts';

export interface VaultTransitBackendOptions {
  /** `https://vault.example.com:8200` (no path). */
  address: string;
  /** Where the transit engine is mounted. Default `transit`. */
  mount?: string;
  /** The transit key's name. */
  key: string;
  /** Where VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT and HOME are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

const CIPHERTEXT = /^vault:v(\d+):/;
const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export class VaultTransitBackend implements KekBackend {
  readonly description: string;
  private readonly key: VaultTransitKey;
  private readonly env: NodeJS.ProcessEnv;
  private lastKeyId: string | undefined;

  constructor(options: VaultTransitBackendOptions) {
    const address = options.address.replace(/\/+$/, '');
    const mount = (options.mount ?? 'transit').replace(/^\/+|\/+$/g, '');
    this.key = VaultTransitKey.fromSpec(`${address}/v1/${mount}/keys/${options.key}`);
    this.env = options.env ?? process.env;
    this.description = `Vault transit key ${this.key.id}`;
  }

  async keyId(): Promise<string> {
    return this.lastKeyId ?? (await roundTrip(this));
  }

  async wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    const wrapped = await guarded(this.description, () =>
      this.key.encrypt(plaintext, { env: this.env, now: () => new Date() }),
    );
    const version = CIPHERTEXT.exec(wrapped.enc)?.[1];
    if (version === undefined) {
      throw new KmsError(
        'ERR_KMS_BACKEND',
        `${this.description}: Vault returned a ciphertext without vault:vN:`,
      );
    }
    this.lastKeyId = `${this.key.id}#v${version}`;
    return { ciphertext: UTF8.encode(wrapped.enc), keyId: this.lastKeyId, annotations: {} };
  }

  async unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    let enc: string;
    try {
      enc = STRICT_UTF8.decode(ciphertext);
    } catch {
      enc = '';
    }
    if (!CIPHERTEXT.test(enc)) {
      throw new KmsError(
        'ERR_KMS_REQUEST',
        `${this.description}: the ciphertext is not a Vault transit ciphertext`,
      );
    }
    const named = this.keyFor(keyId);
    return guarded(this.description, () =>
      new VaultTransitKey({
        address: named.address,
        enginePath: named.enginePath,
        keyName: named.keyName,
        enc,
      }).decrypt({ env: this.env, now: () => new Date() }),
    );
  }

  async health(): Promise<void> {
    await roundTrip(this);
  }

  /** The key a key id names (`URI#vN`), if it is on this plugin's Vault server. */
  private keyFor(keyId: string): VaultTransitKey {
    const uri = keyId.replace(/#v\d+$/, '');
    let key: VaultTransitKey;
    try {
      key = VaultTransitKey.fromSpec(uri);
    } catch {
      throw new KmsError('ERR_KMS_REQUEST', `${this.description}: the key id is not a Vault transit key URI`);
    }
    if (key.address !== this.key.address) {
      throw new KmsError(
        'ERR_KMS_REQUEST',
        `${this.description}: the key id names a key on another Vault server (${key.address})`,
      );
    }
    return key;
  }
}
