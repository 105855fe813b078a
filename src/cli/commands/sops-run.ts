/** What the `cloak sops` commands do, once parsed (see sops.ts for the flags). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CloakError, UsageError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CONFIG_FILE_NAME, matchRule, parseConfig, type SopsConfig } from '../../sops/config.ts';
import {
  encryptDocument,
  openDocument,
  parseMetadata,
  sealBranches,
  wrapDataKey,
  DEFAULT_DECRYPTION_ORDER,
  type OpenedDocument,
} from '../../sops/file.ts';
import type { KeyContext, MasterKey } from '../../sops/keys/master-key.ts';
import { KEY_TYPES } from '../../sops/keys/registry.ts';
import { parseEncryptionContext, splitKeyList } from '../../sops/keys/cloud.ts';
import type { EncryptionRuleSettings } from '../../sops/rules.ts';
import { formatFromPath, parseFormat, storeFor } from '../../sops/stores/index.ts';
import { binaryContent, binaryDocument, parseJsonDocument } from '../../sops/stores/json.ts';
import type { EmitOptions, SopsFormat } from '../../sops/stores/store.ts';
import { getAt, parseTreePath, setAt, unsetAt } from '../../sops/tree-path.ts';
import { isMap, type SopsDocument, type SopsMap, type SopsValue } from '../../sops/tree.ts';
import { readInputFile, readInputLine, readStdin, writeOutput } from '../io.ts';
import { KEY_FLAGS, type SopsFlags } from './sops.ts';

export async function runSopsCommand(name: string, flags: SopsFlags, args: string[]): Promise<void> {
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown sops command ${name}`);
  await command(flags, args);
}

const COMMANDS: Record<string, (flags: SopsFlags, args: string[]) => Promise<void>> = {
  encrypt: (flags, [file]) => encryptCommand(flags, file ?? '-'),
  decrypt: (flags, [file]) => decryptCommand(flags, file ?? '-'),
  edit: async (flags, [file]) => (await import('./sops-edit.ts')).editCommand(flags, file ?? ''),
  updatekeys: (flags, files) => updateKeysCommand(flags, files),
  rotate: (flags, [file]) => rotateCommand(flags, file ?? ''),
  set: (flags, [file, path, value]) => setCommand(flags, file ?? '', path ?? '', value),
  unset: (flags, [file, path]) => unsetCommand(flags, file ?? '', path ?? ''),
  'exec-env': async (flags, [file, command]) =>
    (await import('./sops-exec.ts')).execEnvCommand(flags, file ?? '', command ?? ''),
  'exec-file': async (flags, [file, command]) =>
    (await import('./sops-exec.ts')).execFileCommand(flags, file ?? '', command ?? ''),
  filestatus: (flags, [file]) => fileStatusCommand(flags, file ?? ''),
};

export function keyContext(): KeyContext {
  return { env: process.env, now: () => new Date() };
}

// ---------------------------------------------------------------------------------------------------------
// Input, output and configuration

export interface SopsInput {
  bytes: Buffer;
  /** How to name the input in messages. */
  source: string;
  /** The name that decides the format and the .sops.yaml rule (--filename-override, else the file). */
  name: string;
  inputFormat: SopsFormat;
  outputFormat: SopsFormat;
}

export async function readSopsInput(flags: SopsFlags, file: string): Promise<SopsInput> {
  const stdin = file === '-';
  const bytes = stdin ? await readStdin() : await readInputFile(file);
  const name = flags.filenameOverride ?? (stdin ? '' : file);
  const inputFormat = flags.inputType ? parseFormat(flags.inputType, '--input-type') : formatFromPath(name);
  const outputFormat = flags.outputType ? parseFormat(flags.outputType, '--output-type') : inputFormat;
  return { bytes, source: stdin ? 'stdin' : file, name, inputFormat, outputFormat };
}

/** The plaintext branches of an input, as its store reads them. */
function parsePlainInput(input: SopsInput): SopsMap[] {
  if (input.inputFormat === 'binary') return [binaryDocument(input.bytes)];
  return storeFor(input.inputFormat).parsePlain(input.bytes.toString('utf8'), input.source);
}

function parseEncryptedInput(input: SopsInput): SopsDocument {
  return storeFor(input.inputFormat).parseEncrypted(input.bytes.toString('utf8'), input.source);
}

export function emitPlain(
  branches: readonly SopsMap[],
  format: SopsFormat,
  options: EmitOptions,
): string | Uint8Array {
  if (format === 'binary') return binaryContent(branches);
  return storeFor(format).emitPlain([...branches], options);
}

export function emitEncrypted(document: SopsDocument, format: SopsFormat, options: EmitOptions): string {
  return storeFor(format).emitEncrypted(document, options);
}

export async function loadConfig(flags: SopsFlags): Promise<SopsConfig | undefined> {
  const path = findConfigFile(process.cwd(), flags.config, process.env);
  if (!path) return undefined;
  const text = (await readInputFile(path)).toString('utf8');
  return parseConfig(text, path);
}

/** `--config`, else `SOPS_CONFIG`, else the nearest `.sops.yaml` from `cwd` upward (at most 100 levels). */
function findConfigFile(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const given = explicit ?? env['SOPS_CONFIG'];
  if (given) return resolve(cwd, given);
  let directory = resolve(cwd);
  for (let depth = 0; depth < 100; depth++) {
    const candidate = join(directory, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
  return undefined;
}

export function emitOptions(
  flags: SopsFlags,
  config: SopsConfig | undefined,
  format: SopsFormat,
  input?: SopsInput,
): EmitOptions {
  if (flags.indent !== undefined) {
    const indent = Number(flags.indent);
    if (!Number.isInteger(indent) || indent < 0)
      throw new UsageError(`--indent must be a whole number, not "${flags.indent}"`);
    return { indent };
  }
  const key =
    format === 'binary' || (format === 'json' && input?.inputFormat === 'binary') ? 'json_binary' : format;
  return { indent: config?.indent[key] };
}

/** Writes to -i (the input file), --output, or stdout; files atomically. */
async function writeResult(content: string | Uint8Array, flags: SopsFlags, file: string): Promise<void> {
  if (flags.inPlace && flags.output) throw new UsageError('--in-place and --output cannot be used together');
  if (flags.inPlace) {
    if (file === '-') throw new UsageError('--in-place needs a file, not stdin');
    await writeFileAtomic(file, content);
    return;
  }
  await writeOutput(content, flags.output);
}

// ---------------------------------------------------------------------------------------------------------
// Keys and rules from flags, environment and .sops.yaml

function keyGroupsFromFlags(flags: SopsFlags): MasterKey[][] | undefined {
  const keys: MasterKey[] = [];
  const options = { awsProfile: flags.awsProfile, kmsContext: kmsContext(flags) };
  for (const [attribute] of KEY_FLAGS) {
    const specs = (flags[attribute] ?? []).flatMap(splitKeyList);
    const type = FLAG_TYPES[attribute];
    for (const spec of specs) keys.push(KEY_TYPES[type].fromSpec(spec, options));
  }
  return keys.length > 0 ? [keys] : undefined;
}

function kmsContext(flags: SopsFlags): ReturnType<typeof parseEncryptionContext> {
  return flags.encryptionContext ? parseEncryptionContext(flags.encryptionContext) : undefined;
}

const FLAG_TYPES = {
  age: 'age',
  pgp: 'pgp',
  kms: 'kms',
  gcpKms: 'gcp_kms',
  azureKv: 'azure_kv',
  hcVaultTransit: 'hc_vault',
} as const;

function rulesFromFlags(flags: SopsFlags): EncryptionRuleSettings | undefined {
  const rules: EncryptionRuleSettings = {
    unencryptedSuffix: flags.unencryptedSuffix,
    encryptedSuffix: flags.encryptedSuffix,
    unencryptedRegex: flags.unencryptedRegex,
    encryptedRegex: flags.encryptedRegex,
    unencryptedCommentRegex: flags.unencryptedCommentRegex,
    encryptedCommentRegex: flags.encryptedCommentRegex,
  };
  return Object.values(rules).some(Boolean) ? rules : undefined;
}

function shamirThreshold(flags: SopsFlags): number | undefined {
  if (flags.shamirSecretSharingThreshold === undefined) return undefined;
  const threshold = Number(flags.shamirSecretSharingThreshold);
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new UsageError(
      `--shamir-secret-sharing-threshold must be a whole number, not "${flags.shamirSecretSharingThreshold}"`,
    );
  }
  return threshold;
}

interface EncryptionPlan {
  keyGroups: MasterKey[][];
  shamirThreshold: number | undefined;
  rules: EncryptionRuleSettings;
  macOnlyEncrypted: boolean;
}

/** Keys and rules for a new file: flags and their environment variables first, else the matching rule. */
export function encryptionPlan(
  flags: SopsFlags,
  config: SopsConfig | undefined,
  name: string,
): EncryptionPlan {
  const fromFlags = keyGroupsFromFlags(flags);
  const rule =
    config && name
      ? matchRule(config, name)
      : config
        ? matchRule(config, join(process.cwd(), 'stdin'))
        : undefined;
  if (config && !rule && !fromFlags) {
    throw new CloakError('ERR_SOPS_CONFIG', `${config.path}: no creation rule matches ${name || 'stdin'}`);
  }
  const keyGroups = fromFlags ?? rule?.keyGroups;
  if (!keyGroups || keyGroups.length === 0) {
    throw new CloakError(
      'ERR_SOPS_NO_KEYS',
      'no master keys to encrypt with: give --age, --pgp, --kms, --gcp-kms, --azure-kv or --hc-vault-transit (or SOPS_AGE_RECIPIENTS, …), or a .sops.yaml creation rule',
    );
  }
  return {
    keyGroups,
    shamirThreshold: shamirThreshold(flags) ?? (rule?.shamirThreshold || undefined),
    rules: rulesFromFlags(flags) ?? rule?.rules ?? {},
    macOnlyEncrypted: Boolean(flags.macOnlyEncrypted ?? rule?.macOnlyEncrypted),
  };
}

export function decryptionOrder(flags: SopsFlags): string[] {
  return flags.decryptionOrder ? splitKeyList(flags.decryptionOrder) : DEFAULT_DECRYPTION_ORDER;
}

/** `reuseIvs` for commands that write the file back (unchanged values then keep their ciphertext). */
export async function openInput(
  flags: SopsFlags,
  input: SopsInput,
  reuseIvs = true,
): Promise<OpenedDocument> {
  return openDocument(parseEncryptedInput(input), keyContext(), {
    source: input.source,
    ignoreMac: flags.ignoreMac,
    decryptionOrder: decryptionOrder(flags),
    reuseIvs,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Commands

async function encryptCommand(flags: SopsFlags, file: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  const config = await loadConfig(flags);
  const branches = parsePlainInput(input);
  const plan = encryptionPlan(flags, config, input.name);
  const document = await encryptDocument(branches, plan, keyContext());
  const format = input.outputFormat === 'binary' ? 'json' : input.outputFormat;
  await writeResult(emitEncrypted(document, format, emitOptions(flags, config, format, input)), flags, file);
}

async function decryptCommand(flags: SopsFlags, file: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input, false);
  const config = await loadConfig(flags);
  const options = emitOptions(flags, config, input.outputFormat, input);
  if (flags.extract) {
    if (input.outputFormat === 'binary') throw new UsageError('--extract cannot be used with binary files');
    await writeResult(extract(opened.branches, flags.extract, input.outputFormat, options), flags, file);
    return;
  }
  await writeResult(emitPlain(opened.branches, input.outputFormat, options), flags, file);
}

/** `--extract`: strings print as they are; anything else in the output format. */
function extract(
  branches: readonly SopsMap[],
  pathText: string,
  format: SopsFormat,
  options: EmitOptions,
): string | Uint8Array {
  const value = getAt(branches[0] ?? { kind: 'map', items: [] }, parseTreePath(pathText));
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  // As sops: a map prints as a whole document, anything else as the store prints a single value.
  if (isMap(value)) return storeFor(format).emitPlain([value], options);
  return storeFor(format).emitValue(value, options);
}

async function updateKeysCommand(flags: SopsFlags, files: string[]): Promise<void> {
  const config = await loadConfig(flags);
  if (!config)
    throw new CloakError(
      'ERR_SOPS_CONFIG',
      `updatekeys needs a ${CONFIG_FILE_NAME} (none found; use --config)`,
    );
  for (const file of files) {
    const input = await readSopsInput(flags, file);
    const rule = matchRule(config, input.name);
    if (!rule) throw new CloakError('ERR_SOPS_CONFIG', `${config.path}: no creation rule matches ${file}`);
    const document = parseEncryptedInput(input);
    const metadata = parseMetadata(document, input.source);
    const before = describeGroups(metadata.keyGroups);
    const after = describeGroups(rule.keyGroups);
    const threshold = rule.keyGroups.length > 1 ? rule.shamirThreshold || rule.keyGroups.length : 0;
    if (before === after && threshold === metadata.shamirThreshold) {
      process.stderr.write(`${file}: the keys already match the creation rule; nothing to do\n`);
      continue;
    }
    process.stderr.write(`${file}: key groups change from\n${before}\nto\n${after}\n`);
    if (!flags.yes && !(await confirm('Is this okay? (y/n) '))) {
      process.stderr.write(`${file}: not changed\n`);
      continue;
    }
    const { recoverDataKey } = await import('../../sops/file.ts');
    const dataKey = await recoverDataKey(metadata, keyContext(), decryptionOrder(flags), input.source);
    const keyGroups = await wrapDataKey(dataKey, rule.keyGroups, threshold, keyContext());
    const { writeMetadata } = await import('../../sops/metadata.ts');
    const updated: SopsDocument = {
      branches: document.branches,
      metadata: writeMetadata({ ...metadata, keyGroups, shamirThreshold: threshold }),
    };
    await writeFileAtomic(
      file,
      emitEncrypted(
        updated,
        input.inputFormat === 'binary' ? 'json' : input.inputFormat,
        emitOptions(flags, config, input.inputFormat, input),
      ),
    );
    process.stderr.write(
      `${file}: keys updated (the data key is the same; run "cloak sops rotate -i ${file}" to replace it)\n`,
    );
  }
}

function describeGroups(groups: readonly MasterKey[][]): string {
  return groups
    .map(
      (group, index) =>
        `  group ${index}: ${group
          .map((key) => `${key.type} ${key.id}`)
          .sort()
          .join(', ')}`,
    )
    .join('\n');
}

async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const line = await readInputLine();
  return line !== undefined && /^y(es)?$/i.test(line.trim());
}

async function rotateCommand(flags: SopsFlags, file: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input);
  const options = { awsProfile: flags.awsProfile, kmsContext: kmsContext(flags) };
  let groups = opened.metadata.keyGroups.map((group) => [...group]);
  for (const [attribute] of KEY_FLAGS) {
    const type = KEY_TYPES[FLAG_TYPES[attribute]];
    const toAdd = ((flags[`add${capitalize(attribute)}`] as string[] | undefined) ?? []).flatMap(
      splitKeyList,
    );
    const toRemove = ((flags[`rm${capitalize(attribute)}`] as string[] | undefined) ?? []).flatMap(
      splitKeyList,
    );
    for (const spec of toAdd) groups[0]?.push(type.fromSpec(spec, options));
    const removed = new Set(toRemove.map((spec) => type.fromSpec(spec, options).id));
    if (removed.size > 0)
      groups = groups.map((group) =>
        group.filter((key) => !(key.type === FLAG_TYPES[attribute] && removed.has(key.id))),
      );
  }
  const plan = {
    keyGroups: groups,
    shamirThreshold: opened.metadata.shamirThreshold || undefined,
    rules: opened.metadata.rules,
    macOnlyEncrypted: opened.metadata.macOnlyEncrypted,
  };
  const document = await encryptDocument(opened.branches, plan, keyContext());
  const config = await loadConfig(flags);
  const format = input.outputFormat === 'binary' ? 'json' : input.outputFormat;
  await writeResult(emitEncrypted(document, format, emitOptions(flags, config, format, input)), flags, file);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Re-encrypts after a change: same data key and keys, unchanged values keep their ciphertext. */
export async function writeChanged(
  flags: SopsFlags,
  file: string,
  input: SopsInput,
  opened: OpenedDocument,
  branches: SopsMap[],
): Promise<void> {
  const document = sealBranches(branches, opened.metadata, opened.dataKey, keyContext(), opened.stash);
  const config = await loadConfig(flags);
  const format = input.inputFormat === 'binary' ? 'json' : input.inputFormat;
  await writeFileAtomic(file, emitEncrypted(document, format, emitOptions(flags, config, format, input)));
}

async function setCommand(
  flags: SopsFlags,
  file: string,
  pathText: string,
  valueArgument: string | undefined,
): Promise<void> {
  const path = parseTreePath(pathText);
  const valueText = await setValueText(flags, valueArgument);
  const value = parseJsonValue(valueText);
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input);
  const root = opened.branches[0] ?? { kind: 'map', items: [] };
  if (flags.idempotent && sameValue(root, path, value)) return;
  await writeChanged(flags, file, input, opened, [setAt(root, path, value), ...opened.branches.slice(1)]);
}

async function setValueText(flags: SopsFlags, valueArgument: string | undefined): Promise<string> {
  if (flags.valueStdin) return (await readStdin()).toString('utf8');
  if (valueArgument === undefined) throw new UsageError('set needs a VALUE (or --value-stdin)');
  if (flags.valueFile) return (await readFile(valueArgument)).toString('utf8');
  return valueArgument;
}

/** The JSON value `set` takes: JSON text, ordered maps, Go's int/float split. */
function parseJsonValue(text: string): SopsValue {
  const document = parseJsonDocument(`{"value": ${text}}`, 'VALUE');
  const item = document.items[0];
  if (item?.kind !== 'entry') throw new UsageError('VALUE must be JSON');
  return item.value;
}

function sameValue(root: SopsMap, path: ReturnType<typeof parseTreePath>, value: SopsValue): boolean {
  try {
    return JSON.stringify(getAt(root, path), jsonReplacer) === JSON.stringify(value, jsonReplacer);
  } catch {
    return false;
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

async function unsetCommand(flags: SopsFlags, file: string, pathText: string): Promise<void> {
  const path = parseTreePath(pathText);
  const input = await readSopsInput(flags, file);
  const opened = await openInput(flags, input);
  const root = opened.branches[0] ?? { kind: 'map', items: [] };
  let updated: SopsMap;
  try {
    updated = unsetAt(root, path);
  } catch (error) {
    if (flags.idempotent && error instanceof CloakError && error.code === 'ERR_SOPS_PATH') return;
    throw error;
  }
  await writeChanged(flags, file, input, opened, [updated, ...opened.branches.slice(1)]);
}

async function fileStatusCommand(flags: SopsFlags, file: string): Promise<void> {
  const input = await readSopsInput(flags, file);
  let encrypted: boolean;
  try {
    const format = input.inputFormat === 'binary' ? 'json' : input.inputFormat;
    const metadata = parseMetadata(
      storeFor(format).parseEncrypted(input.bytes.toString('utf8'), input.source),
      input.source,
    );
    encrypted = metadata.version !== '' && metadata.mac !== '';
  } catch {
    encrypted = false;
  }
  await writeOutput(`{"encrypted":${String(encrypted)}}\n`);
}
