/**
 * A master key wraps the 32-byte SOPS data key (or, with several key groups, one 33-byte Shamir share of it).
 * Every key type (age, PGP, AWS KMS, GCP KMS, Azure Key Vault, Vault transit) is a small module behind this
 * interface. A key's metadata entry is exactly what sops writes under `sops.<type>` (or inside a key group).
 */

/** The metadata list names, as in the `sops:` block. */
export type MasterKeyType = 'age' | 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms';

/** Everything outside the file a key may need: environment variables, clock, and configurable endpoints. */
export interface KeyContext {
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export interface MasterKey {
  readonly type: MasterKeyType;
  /** What identifies the key to a person: the age recipient, PGP fingerprint, KMS ARN, resource id, URL… */
  readonly id: string;
  /** Wraps `dataKey` and returns this key with `enc` (and `created_at` where the type has one) filled in. */
  encrypt(dataKey: Uint8Array, context: KeyContext): Promise<MasterKey>;
  /** Unwraps the data key (or share) from this key's `enc`; throws a CloakError saying why it could not. */
  decrypt(context: KeyContext): Promise<Uint8Array>;
  /** The metadata entry, fields in the order sops writes them. */
  toMetadata(): Record<string, unknown>;
}
