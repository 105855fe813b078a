/**
 * Whole-file operations on a parsed document: encrypting plaintext branches under a fresh data key wrapped
 * for every master key (Shamir-split across key groups), recovering the data key, decrypting with the MAC
 * checked, re-encrypting after a change with unchanged values keeping their IVs, and re-wrapping the same data
 * key for new keys. The key modules do the I/O; everything here is orchestration.
 */
import { randomBytes } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import { decryptValue, encryptValue, IvStash } from './cipher.ts';
import { decryptTree, encryptTree } from './crypt.ts';
import { rfc3339Seconds } from './go-format.ts';
import type { KeyContext, MasterKey } from './keys/master-key.ts';
import { KEY_TYPES } from './keys/registry.ts';
import {
  readMetadata,
  SOPS_FORMAT_VERSION,
  writeMetadata,
  type KeyFactories,
  type Metadata,
} from './metadata.ts';
import { EncryptionRules, type EncryptionRuleSettings } from './rules.ts';
import { combineShares, splitSecret } from './shamir.ts';
import type { SopsDocument, SopsMap } from './tree.ts';

const DATA_KEY_BYTES = 32;
export const DEFAULT_DECRYPTION_ORDER = ['age', 'pgp'];

export interface EncryptionSettings {
  keyGroups: MasterKey[][];
  shamirThreshold?: number | undefined;
  rules: EncryptionRuleSettings;
  macOnlyEncrypted?: boolean | undefined;
}

export class MacMismatchError extends CloakError {}

export const KEY_FACTORIES: KeyFactories = Object.fromEntries(
  Object.entries(KEY_TYPES).map(([type, info]) => [
    type,
    { fromMetadata: (entry: Record<string, unknown>) => info.fromMetadata(entry) },
  ]),
);

/** Encrypts plaintext branches with a fresh data key: the document a `sops encrypt` writes. */
export async function encryptDocument(
  branches: readonly SopsMap[],
  settings: EncryptionSettings,
  context: KeyContext,
): Promise<SopsDocument> {
  checkGroups(settings.keyGroups, settings.shamirThreshold);
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const keyGroups = await wrapDataKey(dataKey, settings.keyGroups, settings.shamirThreshold ?? 0, context);
  const metadata: Metadata = {
    keyGroups,
    shamirThreshold:
      settings.keyGroups.length > 1 ? settings.shamirThreshold || settings.keyGroups.length : 0,
    lastModified: '',
    mac: '',
    rules: settings.rules,
    macOnlyEncrypted: settings.macOnlyEncrypted ?? false,
    version: SOPS_FORMAT_VERSION,
  };
  return sealBranches(branches, metadata, dataKey, context, undefined);
}

function checkGroups(groups: readonly MasterKey[][], threshold: number | undefined): void {
  if (groups.length === 0 || groups.every((group) => group.length === 0)) {
    throw new CloakError(
      'ERR_SOPS_NO_KEYS',
      'no master keys to encrypt with: give --age, --pgp, --kms, … or a .sops.yaml creation rule',
    );
  }
  const empty = groups.findIndex((group) => group.length === 0);
  if (empty !== -1) throw new CloakError('ERR_SOPS_KEY_GROUP', `key group ${empty} is empty`);
  if (groups.length > 1 && threshold && (threshold < 2 || threshold > groups.length)) {
    throw new CloakError(
      'ERR_SOPS_SHAMIR',
      `the Shamir threshold must be between 2 and the number of key groups (${groups.length}), not ${threshold}`,
    );
  }
}

/** Wraps the data key (or, with several groups, one Shamir share per group) with every master key. */
export async function wrapDataKey(
  dataKey: Uint8Array,
  groups: readonly MasterKey[][],
  threshold: number,
  context: KeyContext,
): Promise<MasterKey[][]> {
  const parts =
    groups.length === 1 ? [dataKey] : splitSecret(dataKey, groups.length, threshold || groups.length);
  return Promise.all(
    groups.map((group, index) =>
      Promise.all(group.map((key) => key.encrypt(parts[index] as Uint8Array, context))),
    ),
  );
}

/**
 * Encrypts `branches` with `dataKey` and stamps metadata: values use `stash` IVs where unchanged, the MAC is
 * recomputed and encrypted with the new `lastmodified` as additional data.
 */
export function sealBranches(
  branches: readonly SopsMap[],
  metadata: Metadata,
  dataKey: Uint8Array,
  context: KeyContext,
  stash: IvStash | undefined,
): SopsDocument {
  const rules = new EncryptionRules(metadata.rules);
  const encrypted = encryptTree(branches, dataKey, {
    rules,
    macOnlyEncrypted: metadata.macOnlyEncrypted,
    stash,
  });
  const lastModified = rfc3339Seconds(context.now());
  const mac = encryptValue(encrypted.mac, dataKey, lastModified);
  const updated: Metadata = {
    ...metadata,
    lastModified,
    mac,
    rules: rules.settings,
    version: SOPS_FORMAT_VERSION,
  };
  return { branches: encrypted.branches, metadata: writeMetadata(updated) };
}

export interface OpenedDocument {
  metadata: Metadata;
  dataKey: Uint8Array;
  /** Decrypted branches. */
  branches: SopsMap[];
  /** IVs of the values as they were, so unchanged values re-encrypt identically. */
  stash: IvStash;
}

export interface OpenOptions {
  source: string;
  ignoreMac?: boolean | undefined;
  decryptionOrder?: readonly string[] | undefined;
  /** Keep the IVs of the values (default true) so that re-encrypting unchanged values changes nothing. */
  reuseIvs?: boolean | undefined;
}

export function parseMetadata(document: SopsDocument, source: string): Metadata {
  if (!document.metadata)
    throw new CloakError(
      'ERR_SOPS_NOT_ENCRYPTED',
      `${source}: sops metadata not found (the file is not encrypted)`,
    );
  return readMetadata(document.metadata, KEY_FACTORIES);
}

/** Recovers the data key and decrypts the document, checking the MAC unless told not to. */
export async function openDocument(
  document: SopsDocument,
  context: KeyContext,
  options: OpenOptions,
): Promise<OpenedDocument> {
  const metadata = parseMetadata(document, options.source);
  const dataKey = await recoverDataKey(
    metadata,
    context,
    options.decryptionOrder ?? DEFAULT_DECRYPTION_ORDER,
    options.source,
  );
  // Remembering IVs costs memory per value; only edits (which re-encrypt) need them.
  const stash = new IvStash();
  const rules = new EncryptionRules(metadata.rules);
  const decrypted = naming(options.source, () =>
    decryptTree(document.branches, dataKey, {
      rules,
      macOnlyEncrypted: metadata.macOnlyEncrypted,
      stash: options.reuseIvs === false ? undefined : stash,
    }),
  );
  if (!options.ignoreMac) checkMac(decrypted.mac, metadata, dataKey, options.source);
  return { metadata, dataKey, branches: decrypted.branches, stash };
}

/** Errors about one value (they name its key path) also name the file. */
function naming<T>(source: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof CloakError) throw new CloakError(error.code, `${source}: ${error.message}`);
    throw error;
  }
}

function checkMac(computed: string, metadata: Metadata, dataKey: Uint8Array, source: string): void {
  let stored: unknown;
  try {
    stored = decryptValue(metadata.mac, dataKey, metadata.lastModified);
  } catch {
    stored = undefined;
  }
  if (stored !== computed) {
    throw new MacMismatchError(
      'ERR_SOPS_MAC',
      `${source}: MAC mismatch: the file was changed outside sops (or its MAC is missing); use --ignore-mac to decrypt anyway`,
    );
  }
}

/** The data key from the first key in each group that can decrypt its part; Shamir-combined for several groups. */
export async function recoverDataKey(
  metadata: Metadata,
  context: KeyContext,
  order: readonly string[],
  source: string,
): Promise<Uint8Array> {
  const failures: string[] = [];
  const parts: Uint8Array[] = [];
  for (const [index, group] of metadata.keyGroups.entries()) {
    const part = await decryptGroup(
      group,
      context,
      order,
      failures,
      metadata.keyGroups.length > 1 ? index : undefined,
    );
    if (part) parts.push(part);
  }
  const groups = metadata.keyGroups.length;
  if (groups === 1) {
    const [key] = parts;
    if (key && key.length === DATA_KEY_BYTES) return key;
  } else {
    const threshold = metadata.shamirThreshold || groups;
    if (parts.length >= threshold) return combineShares(parts);
  }
  const need =
    groups > 1
      ? ` (${parts.length} of the ${metadata.shamirThreshold || groups} key groups needed could be opened)`
      : '';
  throw new CloakError(
    'ERR_SOPS_DATA_KEY',
    `${source}: failed to get the data key${need}: ${failures.join('; ')}`,
  );
}

async function decryptGroup(
  group: readonly MasterKey[],
  context: KeyContext,
  order: readonly string[],
  failures: string[],
  groupIndex: number | undefined,
): Promise<Uint8Array | undefined> {
  const rank = (key: MasterKey): number => {
    const position = order.indexOf(key.type);
    return position === -1 ? order.length : position;
  };
  const ordered = group
    .map((key, index) => ({ key, index }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.index - b.index);
  for (const { key } of ordered) {
    try {
      return await key.decrypt(context);
    } catch (error) {
      const prefix = groupIndex === undefined ? '' : `group ${groupIndex}: `;
      failures.push(`${prefix}${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return undefined;
}
