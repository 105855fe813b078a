/**
 * Encrypting and decrypting a whole document tree, and its MAC, exactly as sops walks it: depth first in
 * document order, each value's key path (list indices left out) as the GCM additional data, comments under
 * the path of the map or list that holds them, and a SHA-512 over the plaintext bytes of every value (or only
 * of the encrypted ones with mac_only_encrypted), comments and nulls excepted. Pure.
 */
import { createHash, type Hash } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import {
  decryptValue,
  describePath,
  encryptValue,
  isEncryptedValue,
  valueBytes,
  type IvStash,
  type Plaintext,
} from './cipher.ts';
import type { EncryptionRules } from './rules.ts';
import {
  isComment,
  isList,
  isMap,
  type SopsComment,
  type SopsList,
  type SopsMap,
  type SopsValue,
} from './tree.ts';

/** SHA-256("sops"): the MAC of a mac_only_encrypted file starts from it, so the two kinds of MAC never agree. */
const MAC_ONLY_ENCRYPTED_INITIALIZATION = Buffer.from(
  '8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69',
  'hex',
);

export interface CryptOptions {
  rules: EncryptionRules;
  macOnlyEncrypted: boolean;
  stash?: IvStash | undefined;
}

export interface CryptResult {
  branches: SopsMap[];
  /** Upper-case hex SHA-512 of the values, as sops stores it (encrypted) in `mac`. */
  mac: string;
}

type CommentStack = string[][];
type LeafAction = (value: Plaintext, path: readonly string[], comments: CommentStack) => Plaintext | string;

export function encryptTree(
  branches: readonly SopsMap[],
  key: Uint8Array,
  options: CryptOptions,
): CryptResult {
  const hash = startMac(options.macOnlyEncrypted);
  const walked = branches.map((branch) =>
    walkMap(branch, [], [], (value, path, comments) => {
      const comment = isComment(value);
      const encrypted = options.rules.shouldEncrypt(path, comments, comment);
      if (!comment && (!options.macOnlyEncrypted || encrypted)) hash.update(valueBytes(value));
      return encrypted ? encryptValue(value, key, additionalData(path), options.stash) : value;
    }),
  );
  return { branches: walked, mac: hash.digest('hex').toUpperCase() };
}

export function decryptTree(
  branches: readonly SopsMap[],
  key: Uint8Array,
  options: CryptOptions,
): CryptResult {
  const hash = startMac(options.macOnlyEncrypted);
  const walked = branches.map((branch) =>
    walkMap(branch, [], [], (value, path, comments) => {
      const comment = isComment(value);
      const encrypted = options.rules.shouldEncrypt(path, comments, comment);
      let plain: Plaintext = value;
      if (encrypted)
        plain = comment
          ? decryptComment(value, key, path, options.stash)
          : decryptLeaf(value, key, path, options.stash);
      if (!isComment(plain) && (!options.macOnlyEncrypted || encrypted)) hash.update(valueBytes(plain));
      return plain;
    }),
  );
  return { branches: walked, mac: hash.digest('hex').toUpperCase() };
}

function decryptLeaf(
  value: Plaintext,
  key: Uint8Array,
  path: readonly string[],
  stash: IvStash | undefined,
): Plaintext {
  if (typeof value !== 'string') {
    throw new CloakError(
      'ERR_SOPS_VALUE',
      `${describePath(additionalData(path))}: expected an encrypted value, found a plain ${typeof value}`,
    );
  }
  return decryptValue(value, key, additionalData(path), stash);
}

/** Files written before sops encrypted comments hold clear comments; those are kept as they are. */
function decryptComment(
  value: SopsComment,
  key: Uint8Array,
  path: readonly string[],
  stash: IvStash | undefined,
): Plaintext {
  if (!isEncryptedValue(value.text) && value.text !== '') return value;
  try {
    const plain = decryptValue(value.text, key, additionalData(path), stash);
    return isComment(plain) ? plain : { kind: 'comment', text: valueBytes(plain).toString('utf8') };
  } catch {
    return value;
  }
}

function startMac(macOnlyEncrypted: boolean): Hash {
  const hash = createHash('sha512');
  if (macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  return hash;
}

export function additionalData(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

function walkMap(branch: SopsMap, path: readonly string[], stack: CommentStack, onLeaf: LeafAction): SopsMap {
  const comments: CommentStack = [...stack, []];
  const level = comments[comments.length - 1] as string[];
  const items: SopsMap['items'] = [];
  for (const item of branch.items) {
    if (item.kind === 'comment') {
      level.push(item.text);
      items.push(asComment(onLeaf(item, path, comments)));
      continue;
    }
    items.push({
      kind: 'entry',
      key: item.key,
      value: walkValue(item.value, [...path, item.key], comments, onLeaf),
    });
    level.length = 0;
  }
  return { kind: 'map', items };
}

function walkList(
  list: SopsList,
  path: readonly string[],
  stack: CommentStack,
  onLeaf: LeafAction,
): SopsList {
  const comments: CommentStack = [...stack, []];
  const level = comments[comments.length - 1] as string[];
  const items: SopsList['items'] = [];
  for (const item of list.items) {
    if (isComment(item)) {
      level.push(item.text);
      items.push(asComment(onLeaf(item, path, comments)));
      continue;
    }
    items.push(walkValue(item, path, comments, onLeaf));
    level.length = 0;
  }
  return { kind: 'list', items };
}

function walkValue(
  value: SopsValue,
  path: readonly string[],
  stack: CommentStack,
  onLeaf: LeafAction,
): SopsValue {
  if (value === null) return null;
  if (isMap(value)) return walkMap(value, path, stack, onLeaf);
  if (isList(value)) return walkList(value, path, stack, onLeaf);
  const result = onLeaf(value, path, stack);
  if (isComment(result))
    throw new CloakError(
      'ERR_SOPS_VALUE',
      `${describePath(additionalData(path))}: a value decrypted to a comment`,
    );
  return result;
}

function asComment(result: Plaintext | string): SopsComment {
  if (isComment(result)) return result;
  return { kind: 'comment', text: typeof result === 'string' ? result : valueBytes(result).toString('utf8') };
}
