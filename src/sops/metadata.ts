/**
 * The `sops:` metadata block: which master keys hold the data key (one group, or several with a Shamir
 * threshold), the encrypted MAC and when it was written, the encryption rule, and the sops version. Reading
 * accepts every layout sops has written since 3.0 (struct order, `[]`/`null` empty lists, flattened string
 * values from dotenv/INI); writing follows sops 3.13: empty lists omitted and every map's keys sorted. Pure.
 */
import { CloakError } from '../common/errors.ts';
import type { MasterKey, MasterKeyType } from './keys/master-key.ts';
import { normalizeRules, RULE_FIELDS, type EncryptionRuleSettings } from './rules.ts';
import type { PlainMetadata } from './tree.ts';

/** The sops version Cloak writes: files must carry a valid semver sops accepts (it compares versions on edit). */
export const SOPS_FORMAT_VERSION = '3.13.2';

/** Key lists in the order sops reads them into a group (and so tries them, after age and pgp). */
export const METADATA_KEY_LISTS: readonly MasterKeyType[] = [
  'kms',
  'gcp_kms',
  'azure_kv',
  'hc_vault',
  'age',
  'pgp',
  'hckms',
];

export interface KeyFactory {
  fromMetadata(entry: Record<string, unknown>): MasterKey;
}

export type KeyFactories = Partial<Record<MasterKeyType, KeyFactory>>;

export interface Metadata {
  keyGroups: MasterKey[][];
  /** 0 when the file has a single group (sops leaves it out then). */
  shamirThreshold: number;
  lastModified: string;
  /** The MAC as stored: an ENC[…] string encrypted with `lastModified` as additional data. */
  mac: string;
  rules: EncryptionRuleSettings;
  macOnlyEncrypted: boolean;
  version: string;
}

export class MetadataError extends CloakError {
  constructor(message: string) {
    super('ERR_SOPS_METADATA', message);
  }
}

export function readMetadata(plain: PlainMetadata, factories: KeyFactories): Metadata {
  const lastModified = requireString(plain, 'lastmodified');
  if (Number.isNaN(Date.parse(lastModified)))
    throw new MetadataError(`sops.lastmodified is not an RFC 3339 time: ${lastModified}`);
  const rules: EncryptionRuleSettings = {};
  for (const [field, name] of RULE_FIELDS) {
    const value = optionalString(plain, name);
    if (value) rules[field] = value;
  }
  return {
    keyGroups: readKeyGroups(plain, factories),
    shamirThreshold: readInteger(plain['shamir_threshold'], 'shamir_threshold'),
    lastModified,
    mac: optionalString(plain, 'mac') ?? '',
    rules: normalizeRules(rules),
    macOnlyEncrypted: readBoolean(plain['mac_only_encrypted'], 'mac_only_encrypted'),
    version: optionalString(plain, 'version') ?? '',
  };
}

function readKeyGroups(plain: PlainMetadata, factories: KeyFactories): MasterKey[][] {
  const topLevel = readGroup(plain, factories, 'sops');
  if (topLevel.length > 0) return [topLevel];
  const groups = plain['key_groups'];
  if (Array.isArray(groups) && groups.length > 0) {
    return groups.map((group: unknown, index) => {
      if (!isRecord(group)) throw new MetadataError(`sops.key_groups[${index}] is not a map`);
      return readGroup(group, factories, `sops.key_groups[${index}]`);
    });
  }
  throw new MetadataError('no keys found in the sops metadata');
}

function readGroup(group: Record<string, unknown>, factories: KeyFactories, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const type of METADATA_KEY_LISTS) {
    const entries = group[type];
    if (entries === undefined || entries === null || entries === '') continue;
    if (!Array.isArray(entries)) throw new MetadataError(`${where}.${type} is not a list`);
    if (entries.length === 0) continue;
    const factory = factories[type];
    if (!factory)
      throw new MetadataError(`${where}.${type}: ${type} keys are not supported by this build of Cloak`);
    for (const [index, entry] of entries.entries()) {
      if (!isRecord(entry)) throw new MetadataError(`${where}.${type}[${index}] is not a map`);
      keys.push(factory.fromMetadata(entry));
    }
  }
  return keys;
}

/** The metadata block as sops 3.13 writes it: empty lists and rules left out, keys sorted at every level. */
export function writeMetadata(metadata: Metadata): PlainMetadata {
  const plain: PlainMetadata = {};
  if (metadata.keyGroups.length === 1) {
    Object.assign(plain, groupToPlain(metadata.keyGroups[0] ?? []));
  } else {
    plain['key_groups'] = metadata.keyGroups.map(groupToPlain);
    plain['shamir_threshold'] = BigInt(metadata.shamirThreshold || metadata.keyGroups.length);
  }
  plain['lastmodified'] = metadata.lastModified;
  plain['mac'] = metadata.mac;
  for (const [field, name] of RULE_FIELDS) {
    const value = metadata.rules[field];
    if (value) plain[name] = value;
  }
  if (metadata.macOnlyEncrypted) plain['mac_only_encrypted'] = true;
  plain['version'] = metadata.version;
  return sortKeys(plain) as PlainMetadata;
}

function groupToPlain(group: readonly MasterKey[]): PlainMetadata {
  const plain: PlainMetadata = {};
  for (const type of METADATA_KEY_LISTS) {
    const keys = group.filter((key) => key.type === type);
    if (keys.length > 0) plain[type] = keys.map((key) => key.toMetadata());
  }
  return plain;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) sorted[key] = sortKeys(value[key]);
  }
  return sorted;
}

function requireString(plain: PlainMetadata, field: string): string {
  const value = optionalString(plain, field);
  if (value === undefined || value === '') throw new MetadataError(`sops.${field} is missing`);
  return value;
}

function optionalString(plain: PlainMetadata, field: string): string | undefined {
  const value = plain[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Object && 'text' in value) return String((value as { text: unknown }).text);
  throw new MetadataError(`sops.${field} is not a string`);
}

/** Flattened formats store every metadata value as a string; sops decodes them weakly typed. */
function readInteger(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const number =
    typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0)
    throw new MetadataError(`sops.${field} is not a whole number`);
  return number;
}

function readBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'string' && ['true', 'True', 'TRUE', '1', 't', 'T'].includes(value)) return true;
  if (typeof value === 'string' && ['false', 'False', 'FALSE', '0', 'f', 'F'].includes(value)) return false;
  throw new MetadataError(`sops.${field} is not true or false`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
