/**
 * Every master-key type Cloak understands, with how to read it from metadata, from a `.sops.yaml` rule and
 * from the command line (flag and environment variable), in one table.
 */
import { AgeKey } from './age.ts';
import { CLOUD_KEYS, type CloudKeyFactory, type CloudKeySpecOptions } from './cloud.ts';
import type { MasterKey } from './master-key.ts';
import { PgpKey } from './pgp.ts';

export type SupportedKeyType = 'age' | 'pgp' | keyof typeof CLOUD_KEYS;
export type KeyTypeInfo = CloudKeyFactory;
export type KeySpecOptions = CloudKeySpecOptions;

function fromStringItem(parse: (spec: string) => MasterKey, what: string): (item: unknown) => MasterKey {
  return (item) => {
    if (typeof item !== 'string') throw new TypeError(`${what} entries in key_groups must be strings`);
    return parse(item);
  };
}

export const KEY_TYPES: Readonly<Record<SupportedKeyType, KeyTypeInfo>> = {
  age: {
    fromMetadata: (entry) => AgeKey.fromMetadata(entry as Record<string, unknown>),
    fromSpec: (spec) => AgeKey.fromSpec(spec),
    fromConfig: fromStringItem((spec) => AgeKey.fromSpec(spec), 'age'),
    flag: '--age',
    envVar: 'SOPS_AGE_RECIPIENTS',
    ruleKey: 'age',
    groupKey: 'age',
  },
  pgp: {
    fromMetadata: (entry) => PgpKey.fromMetadata(entry as Record<string, unknown>),
    fromSpec: (spec) => PgpKey.fromSpec(spec),
    fromConfig: fromStringItem((spec) => PgpKey.fromSpec(spec), 'pgp'),
    flag: '--pgp',
    envVar: 'SOPS_PGP_FP',
    ruleKey: 'pgp',
    groupKey: 'pgp',
  },
  ...CLOUD_KEYS,
};

/** The order in which sops lists key types in its flags and rules (age and PGP first). */
export const KEY_TYPE_ORDER: readonly SupportedKeyType[] = [
  'age',
  'pgp',
  'kms',
  'gcp_kms',
  'azure_kv',
  'hc_vault',
];
