/**
 * The cloud master-key types, for wiring into metadata parsing, `.sops.yaml` and the command line: for each
 * metadata list name, how to read an entry, how to read a key the user names, and where sops takes those names
 * from. Importing this loads none of the cloud SDKs; each key loads its own when it encrypts or decrypts.
 */
import { AwsKmsKey, parseEncryptionContext, type EncryptionContext } from './aws-kms.ts';
import { AzureKeyVaultKey } from './azure-kv.ts';
import type { CloudKeyType } from './cloud-common.ts';
import { GcpKmsKey } from './gcp-kms.ts';
import type { MasterKey } from './master-key.ts';
import { VaultTransitKey } from './vault-transit.ts';

export type { CloudKeyType } from './cloud-common.ts';
export { AwsKmsKey, AzureKeyVaultKey, GcpKmsKey, VaultTransitKey, parseEncryptionContext };

/** Settings that apply to every key of a list (only AWS KMS has any). */
export interface CloudKeySpecOptions {
  /** `--encryption-context` (see parseEncryptionContext). */
  kmsContext?: EncryptionContext | undefined;
  /** `--aws-profile`, or the creation rule's `aws_profile`. */
  awsProfile?: string | undefined;
}

export interface CloudKeyFactory {
  /** An entry of the metadata list (`sops.<type>[i]` or a key group's). Throws ERR_SOPS_KEY_METADATA. */
  fromMetadata(entry: unknown): MasterKey;
  /** One key named by the user, from a comma list (flag, variable, rule string). Throws ERR_SOPS_KEY_SPEC. */
  fromSpec(spec: string, options?: CloudKeySpecOptions): MasterKey;
  /** One item of a creation rule's `key_groups[i].<configKey>` list. Throws ERR_SOPS_KEY_SPEC. */
  fromConfig(item: unknown): MasterKey;
  /** The `sops encrypt` flag (also `--add-…`/`--rm-…` for rotate) and its environment variable. */
  flag: string;
  envVar: string;
  /** The creation rule's field (a comma string or a list of strings). */
  ruleKey: string;
  /** The field inside a creation rule's `key_groups` item. */
  groupKey: string;
}

export const CLOUD_KEYS: Readonly<Record<CloudKeyType, CloudKeyFactory>> = {
  kms: {
    fromMetadata: (entry) => AwsKmsKey.fromMetadata(entry),
    fromSpec: (spec, options = {}) =>
      AwsKmsKey.fromSpec(spec, { context: options.kmsContext, awsProfile: options.awsProfile }),
    fromConfig: (item) => AwsKmsKey.fromConfig(item),
    flag: '--kms',
    envVar: 'SOPS_KMS_ARN',
    ruleKey: 'kms',
    groupKey: 'kms',
  },
  gcp_kms: {
    fromMetadata: (entry) => GcpKmsKey.fromMetadata(entry),
    fromSpec: (spec) => GcpKmsKey.fromSpec(spec),
    fromConfig: (item) => GcpKmsKey.fromConfig(item),
    flag: '--gcp-kms',
    envVar: 'SOPS_GCP_KMS_IDS',
    ruleKey: 'gcp_kms',
    groupKey: 'gcp_kms',
  },
  azure_kv: {
    fromMetadata: (entry) => AzureKeyVaultKey.fromMetadata(entry),
    fromSpec: (spec) => AzureKeyVaultKey.fromSpec(spec),
    fromConfig: (item) => AzureKeyVaultKey.fromConfig(item),
    flag: '--azure-kv',
    envVar: 'SOPS_AZURE_KEYVAULT_URLS',
    ruleKey: 'azure_keyvault',
    groupKey: 'azure_keyvault',
  },
  hc_vault: {
    fromMetadata: (entry) => VaultTransitKey.fromMetadata(entry),
    fromSpec: (spec) => VaultTransitKey.fromSpec(spec),
    fromConfig: (item) => VaultTransitKey.fromConfig(item),
    flag: '--hc-vault-transit',
    envVar: 'SOPS_VAULT_URIS',
    ruleKey: 'hc_vault_transit_uri',
    groupKey: 'hc_vault',
  },
};

export function isCloudKeyType(type: string): type is CloudKeyType {
  return Object.hasOwn(CLOUD_KEYS, type);
}

/** A flag's or variable's comma list: items trimmed, empty items dropped. */
export function splitKeyList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
