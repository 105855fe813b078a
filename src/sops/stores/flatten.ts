/**
 * The metadata flattening sops uses for formats without nesting (dotenv and INI): the nested `sops` block becomes
 * one flat key per leaf, maps joined with `__map_` and list items with `__list_<index>`, so
 * `{pgp: [{enc: …}]}` becomes `pgp__list_0__map_enc`. The stores add their own prefix (`sops_` in dotenv) or
 * section (`[sops]` in INI) and their own newline escaping.
 *
 * Writing follows sops 3.13 (`stores/metadata.go`, `goToSops` + `flattenTreeBranch`): map keys sorted by byte
 * order at every level, lists in order, depth first, so `pgp__list_2…` comes before `pgp__list_10…`. (Older
 * dotenv writers sorted the flat key strings, which differs only from the eleventh item of a list on; older INI
 * writers, and dotenv before that, used Go's random map order. All of them read the same.) Reading accepts any
 * order and rejects what sops 3.13 rejects: a key given twice, a list with gaps, a key used both as a leaf and as
 * a map or list.
 *
 * Values read back stay strings: the reader of the metadata converts the non-string fields (`shamir_threshold`,
 * `mac_only_encrypted`). Pure.
 */
import { CloakError } from '../../common/errors.ts';
import { compareGoStrings } from '../../common/go-strings.ts';
import { formatFloatF } from '../go-format.ts';
import { SopsTime, type PlainMetadata, type SopsScalar } from '../tree.ts';

export const MAP_SEPARATOR = '__map_';
export const LIST_SEPARATOR = '__list_';

/** One flattened metadata entry: `key` without any store prefix, `value` as the file holds it. */
export interface FlatEntry {
  key: string;
  value: string;
}

export function scalarToString(value: SopsScalar): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatFloatF(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof SopsTime) return value.text;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return '';
}

function metadataError(message: string): CloakError {
  return new CloakError('ERR_SOPS_METADATA', message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function metadataScalar(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw metadataError(`metadata field "${path}" is not a finite number`);
    return formatFloatF(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof SopsTime) return value.text;
  throw metadataError(`metadata field "${path}" has a value that cannot be written (${typeof value})`);
}

/**
 * Flattens the `sops` block. Null and undefined leaves are left out, and so are empty maps and lists (they have
 * no leaf to write), as in sops.
 */
export function flattenMetadata(metadata: PlainMetadata): FlatEntry[] {
  const entries: FlatEntry[] = [];
  const seen = new Set<string>();
  const walk = (path: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => walk(`${path}${LIST_SEPARATOR}${index}`, item));
      return;
    }
    if (isPlainObject(value)) {
      for (const key of Object.keys(value).sort(compareGoStrings))
        walk(`${path}${MAP_SEPARATOR}${key}`, value[key]);
      return;
    }
    if (seen.has(path)) throw metadataError(`metadata key "${path}" would be written twice when flattened`);
    seen.add(path);
    entries.push({ key: path, value: metadataScalar(value, path) });
  };
  for (const key of Object.keys(metadata).sort(compareGoStrings)) walk(key, metadata[key]);
  return entries;
}

type Token = { kind: 'map'; key: string } | { kind: 'list'; index: number };

/** Splits a flat key at every `__map_` and `__list_`, as sops' tokenizer does (anywhere in the key). */
function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let state: 'start' | 'map' | 'list' = 'start';
  let start = 0;
  const finish = (end: number): void => {
    if (state === 'start') tokens.push({ kind: 'map', key: path.slice(start, end) });
    else if (state === 'map')
      tokens.push({ kind: 'map', key: path.slice(start + MAP_SEPARATOR.length, end) });
    else {
      const digits = path.slice(start + LIST_SEPARATOR.length, end);
      const index = /^\d+$/.test(digits) ? Number(digits) : NaN;
      if (!Number.isSafeInteger(index))
        throw metadataError(`metadata key "${path}" has an invalid list index`);
      tokens.push({ kind: 'list', index });
    }
    start = end;
  };
  let position = 0;
  while (position < path.length) {
    if (path.startsWith(MAP_SEPARATOR, position)) {
      finish(position);
      state = 'map';
      position += MAP_SEPARATOR.length;
    } else if (path.startsWith(LIST_SEPARATOR, position)) {
      finish(position);
      state = 'list';
      position += LIST_SEPARATOR.length;
    } else {
      position++;
    }
  }
  finish(path.length);
  return tokens;
}

interface MapNode {
  kind: 'map';
  children: Map<string, Node>;
}
interface ListNode {
  kind: 'list';
  children: Map<number, Node>;
}
type Node = MapNode | ListNode | { kind: 'leaf'; value: string };

function childOf(node: MapNode | ListNode, token: Token): Node | undefined {
  return node.kind === 'map'
    ? node.children.get((token as { key: string }).key)
    : node.children.get((token as { index: number }).index);
}

function setChild(node: MapNode | ListNode, token: Token, child: Node): void {
  if (node.kind === 'map') node.children.set((token as { key: string }).key, child);
  else node.children.set((token as { index: number }).index, child);
}

function toPlain(node: Node, path: string): unknown {
  if (node.kind === 'leaf') return node.value;
  if (node.kind === 'list') {
    const size = node.children.size;
    const list: unknown[] = [];
    for (let index = 0; index < size; index++) {
      const child = node.children.get(index);
      if (child === undefined) throw metadataError(`metadata list "${path}" has missing items`);
      list.push(toPlain(child, `${path}${LIST_SEPARATOR}${index}`));
    }
    return list;
  }
  const object: Record<string, unknown> = {};
  for (const [key, child] of node.children) {
    // defineProperty, so that a key such as `__proto__` stays an ordinary own property.
    Object.defineProperty(object, key, {
      value: toPlain(child, path === '' ? key : `${path}${MAP_SEPARATOR}${key}`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/**
 * Rebuilds the nested `sops` block from flat entries (keys without the store's prefix, values already
 * unescaped). Every leaf comes back as a string.
 */
export function unflattenMetadata(entries: readonly FlatEntry[]): PlainMetadata {
  const root: MapNode = { kind: 'map', children: new Map() };
  for (const { key, value } of entries) {
    const tokens = tokenize(key);
    let node: MapNode | ListNode = root;
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index]!;
      const next = tokens[index + 1];
      const existing = childOf(node, token);
      if (next === undefined) {
        if (existing !== undefined) {
          throw metadataError(
            existing.kind === 'leaf'
              ? `metadata key "${key}" is given twice`
              : `metadata key "${key}" is used both as a value and as a map or list`,
          );
        }
        setChild(node, token, { kind: 'leaf', value });
      } else if (existing === undefined) {
        const created: MapNode | ListNode =
          next.kind === 'map' ? { kind: 'map', children: new Map() } : { kind: 'list', children: new Map() };
        setChild(node, token, created);
        node = created;
      } else if (existing.kind === next.kind) {
        node = existing;
      } else {
        throw metadataError(`metadata key "${key}" mixes values, maps and lists at the same place`);
      }
    }
  }
  return toPlain(root, '') as PlainMetadata;
}
