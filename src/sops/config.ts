/**
 * `.sops.yaml`: creation rules (the first whose `path_regex` matches the file wins) giving the master keys,
 * key groups with their Shamir threshold, the encryption rule and `mac_only_encrypted`, plus per-format store
 * settings. Pure: the CLI finds and reads the file (from the current directory upward, or `--config`/`SOPS_CONFIG`).
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { CloakError } from '../common/errors.ts';
import { compileGoRegexp, type GoPattern } from '../common/go-regexp/index.ts';
import { parseManifests } from '../manifests/decode.ts';
import type { MasterKey } from './keys/master-key.ts';
import { KEY_TYPE_ORDER, KEY_TYPES, type KeySpecOptions } from './keys/registry.ts';
import { splitKeyList } from './keys/cloud.ts';
import { RULE_FIELDS, type EncryptionRuleSettings } from './rules.ts';
import type { SopsFormat } from './stores/store.ts';

export const CONFIG_FILE_NAME = '.sops.yaml';

export interface CreationRule {
  index: number;
  pathRegex: GoPattern | undefined;
  keyGroups: MasterKey[][];
  shamirThreshold: number;
  rules: EncryptionRuleSettings;
  macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  path: string;
  creationRules: CreationRule[];
  /** `stores.<format>.indent`. */
  indent: Partial<Record<SopsFormat | 'json_binary', number>>;
}

export class ConfigError extends CloakError {
  constructor(path: string, message: string) {
    super('ERR_SOPS_CONFIG', `${path}: ${message}`);
  }
}

export function parseConfig(text: string, path: string): SopsConfig {
  const [document] = parseManifests(text, path);
  const root = document ?? {};
  const rulesValue = root['creation_rules'];
  if (rulesValue !== undefined && rulesValue !== null && !Array.isArray(rulesValue)) {
    throw new ConfigError(path, 'creation_rules must be a list');
  }
  const creationRules = ((rulesValue ?? []) as unknown[]).map((rule, index) => parseRule(rule, index, path));
  return { path, creationRules, indent: parseStores(root['stores'], path) };
}

function parseStores(value: unknown, path: string): SopsConfig['indent'] {
  const indent: SopsConfig['indent'] = {};
  if (!isRecord(value)) return indent;
  for (const format of ['yaml', 'json', 'json_binary', 'dotenv', 'ini'] as const) {
    const settings = value[format];
    if (isRecord(settings) && settings['indent'] !== undefined) {
      const number = Number(settings['indent']);
      if (!Number.isInteger(number) || number < 0)
        throw new ConfigError(path, `stores.${format}.indent must be a whole number`);
      indent[format] = number;
    }
  }
  return indent;
}

function parseRule(value: unknown, index: number, path: string): CreationRule {
  const where = `creation_rules[${index}]`;
  if (!isRecord(value)) throw new ConfigError(path, `${where} must be a map`);
  const pathRegex =
    typeof value['path_regex'] === 'string' && value['path_regex'] !== ''
      ? withContext(path, `${where}.path_regex`, () => compileGoRegexp(value['path_regex'] as string))
      : undefined;
  const rules: EncryptionRuleSettings = {};
  for (const [field, name] of RULE_FIELDS) {
    if (typeof value[name] === 'string' && value[name] !== '') rules[field] = value[name];
  }
  if (Object.keys(rules).length > 1) {
    throw new ConfigError(
      path,
      `${where}: only one of the encryption rules (${RULE_FIELDS.map(([, name]) => name).join(', ')}) may be set`,
    );
  }
  const keyGroups = withContext(path, where, () => ruleKeyGroups(value, path, where));
  const threshold = value['shamir_threshold'] === undefined ? 0 : Number(value['shamir_threshold']);
  if (!Number.isInteger(threshold) || threshold < 0)
    throw new ConfigError(path, `${where}.shamir_threshold must be a whole number`);
  return {
    index,
    pathRegex,
    keyGroups,
    shamirThreshold: threshold,
    rules,
    macOnlyEncrypted: value['mac_only_encrypted'] === true,
  };
}

function ruleKeyGroups(rule: Record<string, unknown>, path: string, where: string): MasterKey[][] {
  const groups = rule['key_groups'];
  if (groups !== undefined && groups !== null) {
    if (!Array.isArray(groups) || groups.length === 0)
      throw new ConfigError(path, `${where}.key_groups must be a non-empty list`);
    return groups.map((group: unknown, index) => {
      if (!isRecord(group)) throw new ConfigError(path, `${where}.key_groups[${index}] must be a map`);
      const keys = groupKeys(group, path, `${where}.key_groups[${index}]`);
      if (keys.length === 0)
        throw new ConfigError(path, `${where}.key_groups[${index}] is an empty key group`);
      return keys;
    });
  }
  const options: KeySpecOptions = {
    awsProfile: typeof rule['aws_profile'] === 'string' ? rule['aws_profile'] : undefined,
  };
  const keys: MasterKey[] = [];
  for (const type of KEY_TYPE_ORDER) {
    const info = KEY_TYPES[type];
    for (const spec of listOfStrings(rule[info.ruleKey], path, `${where}.${info.ruleKey}`))
      keys.push(info.fromSpec(spec, options));
  }
  return keys.length > 0 ? [dedupe(keys)] : [];
}

function groupKeys(group: Record<string, unknown>, path: string, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const type of KEY_TYPE_ORDER) {
    const info = KEY_TYPES[type];
    const items = group[info.groupKey];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new ConfigError(path, `${where}.${info.groupKey} must be a list`);
    for (const item of items) keys.push(info.fromConfig(item));
  }
  const merged = group['merge'];
  if (Array.isArray(merged)) {
    for (const [index, inner] of merged.entries()) {
      if (!isRecord(inner)) throw new ConfigError(path, `${where}.merge[${index}] must be a map`);
      keys.push(...groupKeys(inner, path, `${where}.merge[${index}]`));
    }
  }
  return dedupe(keys);
}

function dedupe(keys: MasterKey[]): MasterKey[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const id = `${key.type}:${key.id}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function listOfStrings(value: unknown, path: string, where: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string') return splitKeyList(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    return value.flatMap(splitKeyList);
  throw new ConfigError(path, `${where} must be a comma-separated string or a list of strings`);
}

function withContext<T>(path: string, where: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(path, `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The first rule whose path_regex matches the file's path, taken relative to the config file's directory
 * when the file is inside it (as sops does), else absolute. A rule without path_regex matches every file.
 */
export function matchRule(config: SopsConfig, filePath: string): CreationRule | undefined {
  const absolute = isAbsolute(filePath) ? filePath : resolve(filePath);
  const directory = dirname(config.path);
  const inside = absolute.startsWith(directory + sep);
  const candidate = inside ? relative(directory, absolute).split(sep).join('/') : absolute;
  return config.creationRules.find((rule) => !rule.pathRegex || rule.pathRegex.test(candidate));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
