/**
 * Encrypting and decrypting a whole document tree, and its MAC, exactly as sops walks it: depth first in
 * document order, each value's key path (list indices left out) as the GCM additional data, comments under
 * the path of the map or list that holds them, and a SHA-512 over the plaintext bytes of every value (or only
 * of the encrypted ones with mac_only_encrypted), comments and nulls excepted. Pure.
 */
import { createHash, type Hash } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import {
  dataKeyObject,
  decryptValue,
  describePath,
  encryptValue,
  isEncryptedValue,
  valueBytes,
  type DataKey,
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

/** Where a leaf is: its key path (for the rules) and the same path as sops' additional data ("a:b:"). */
interface Position {
  path: readonly string[];
  additionalData: string;
}

type CommentStack = string[][];
type LeafAction = (value: Plaintext, position: Position, comments: CommentStack) => Plaintext | string;

const ROOT: Position = { path: [], additionalData: ':' };

export function encryptTree(
  branches: readonly SopsMap[],
  key: Uint8Array,
  options: CryptOptions,
): CryptResult {
  const hash = startMac(options.macOnlyEncrypted);
  const keyObject = dataKeyObject(key);
  const walked = branches.map((branch) =>
    walkMap(branch, ROOT, [], (value, position, comments) => {
      const comment = isComment(value);
      const encrypted = options.rules.shouldEncrypt(position.path, comments, comment);
      if (!comment && (!options.macOnlyEncrypted || encrypted)) hash.update(valueBytes(value));
      return encrypted ? encryptValue(value, keyObject, position.additionalData, options.stash) : value;
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
  const keyObject = dataKeyObject(key);
  const walked = branches.map((branch) =>
    walkMap(branch, ROOT, [], (value, position, comments) => {
      const comment = isComment(value);
      const encrypted = options.rules.shouldEncrypt(position.path, comments, comment);
      let plain: Plaintext = value;
      if (encrypted) {
        plain = comment
          ? decryptComment(value, keyObject, position, options.stash)
          : decryptLeaf(value, keyObject, position, options.stash);
      }
      if (!isComment(plain) && (!options.macOnlyEncrypted || encrypted)) hash.update(valueBytes(plain));
      return plain;
    }),
  );
  return { branches: walked, mac: hash.digest('hex').toUpperCase() };
}

function decryptLeaf(
  value: Plaintext,
  key: DataKey,
  position: Position,
  stash: IvStash | undefined,
): Plaintext {
  if (typeof value !== 'string') {
    throw new CloakError(
      'ERR_SOPS_VALUE',
      `${describePath(position.additionalData)}: expected an encrypted value, found a plain ${typeof value}`,
    );
  }
  return decryptValue(value, key, position.additionalData, stash);
}

/** Files written before sops encrypted comments hold clear comments; those are kept as they are. */
function decryptComment(
  value: SopsComment,
  key: DataKey,
  position: Position,
  stash: IvStash | undefined,
): Plaintext {
  if (!isEncryptedValue(value.text) && value.text !== '') return value;
  try {
    const plain = decryptValue(value.text, key, position.additionalData, stash);
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

/** sops' additional data for a key path: the keys joined by ':', with a trailing ':'. */
export function additionalData(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

function child(position: Position, key: string): Position {
  return {
    path: [...position.path, key],
    additionalData: position.path.length === 0 ? `${key}:` : `${position.additionalData}${key}:`,
  };
}

function walkMap(branch: SopsMap, position: Position, stack: CommentStack, onLeaf: LeafAction): SopsMap {
  const comments: CommentStack = [...stack, []];
  const level = comments[comments.length - 1] as string[];
  const items: SopsMap['items'] = [];
  for (const item of branch.items) {
    if (item.kind === 'comment') {
      level.push(item.text);
      items.push(asComment(onLeaf(item, position, comments)));
      continue;
    }
    items.push({
      kind: 'entry',
      key: item.key,
      value: walkValue(item.value, child(position, item.key), comments, onLeaf),
    });
    level.length = 0;
  }
  return { kind: 'map', items };
}

function walkList(list: SopsList, position: Position, stack: CommentStack, onLeaf: LeafAction): SopsList {
  const comments: CommentStack = [...stack, []];
  const level = comments[comments.length - 1] as string[];
  const items: SopsList['items'] = [];
  for (const item of list.items) {
    if (isComment(item)) {
      level.push(item.text);
      items.push(asComment(onLeaf(item, position, comments)));
      continue;
    }
    items.push(walkValue(item, position, comments, onLeaf));
    level.length = 0;
  }
  return { kind: 'list', items };
}

function walkValue(value: SopsValue, position: Position, stack: CommentStack, onLeaf: LeafAction): SopsValue {
  if (value === null) return null;
  if (isMap(value)) return walkMap(value, position, stack, onLeaf);
  if (isList(value)) return walkList(value, position, stack, onLeaf);
  const result = onLeaf(value, position, stack);
  if (isComment(result)) {
    throw new CloakError(
      'ERR_SOPS_VALUE',
      `${describePath(position.additionalData)}: a value decrypted to a comment`,
    );
  }
  return result;
}

function asComment(result: Plaintext | string): SopsComment {
  if (isComment(result)) return result;
  return { kind: 'comment', text: typeof result === 'string' ? result : valueBytes(result).toString('utf8') };
}
