/**
 * Server-side apply and `metadata.managedFields`, as kube-apiserver's field manager keeps them
 * (apiserver's fieldmanager over sigs.k8s.io/structured-merge-diff), over plain JSON values.
 *
 * - Field sets are sets of paths, kept as immutable trees shaped like their JSON form `fieldsV1` (sets share
 *   unchanged subtrees): `f:<field>`, `k:<json key>` for items of keyed lists, `v:<json>` for items of sets,
 *   `i:<n>` for indexes, `.` for a node that is itself a member.
 * - applyServerSide merges an applied configuration into the live object: the configuration's fields become
 *   the manager's (operation Apply); fields it applied before and no longer applies are removed unless another
 *   manager owns them; changing a field another manager owns is a conflict (409, kube's message) unless
 *   `force`, which takes the field over. `kubectl` applying over a client-side-applied object may take the
 *   fields whose live value still matches `kubectl.kubernetes.io/last-applied-configuration`.
 * - recordUpdate records a PUT/POST/PATCH: changed fields move to the writing manager (operation Update) and
 *   out of every other manager's set.
 * - Entries are one per manager, operation, apiVersion (Update only) and subresource, sorted like kube's,
 *   times in RFC 3339 seconds; at most 10 Update entries, the oldest folded into `ancient-changes`.
 *
 * Pure: inputs are never modified; the caller passes `now`.
 */
import { CloakError } from '../../common/errors.ts';
import { compareGoStrings } from '../../common/go-strings.ts';
import {
  cloneJson,
  hasOwn,
  isJsonObject,
  jsonEqual,
  PatchError,
  setOwn,
  type JsonObject,
} from './json-patch.ts';
import {
  childSchema,
  goFormatValue,
  isNamedField,
  UNTYPED_STRUCT,
  type ListSchema,
  type MergeSchema,
  type SchemaNode,
} from './strategic-merge.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const CLIENT_SIDE_APPLY_MANAGER = 'kubectl-client-side-apply';
/** The field manager kubectl uses for `apply --server-side`; only it inherits client-side-apply ownership. */
export const KUBECTL_MANAGER = 'kubectl';
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';

export type FieldsV1 = { [key: string]: FieldsV1 };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Go's encoding of values (k:/v: keys, manager identifiers, last-applied annotations)
// ---------------------------------------------------------------------------------------------------------

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Strings JSON.stringify and goJsonString leave as they are, quoted. */
// eslint-disable-next-line no-control-regex
const PLAIN_JSON_STRING = /^[^\x00-\x1f"\\<>&\u2028\u2029\ud800-\udfff]*$/;

function goJsonString(text: string): string {
  if (PLAIN_JSON_STRING.test(text)) return `"${text}"`;
  return JSON.stringify(text.replace(LONE_SURROGATE, '\ufffd')).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isSurrogate(code: number): boolean {
  return (code & 0xf800) === 0xd800;
}

/**
 * compareGoStrings (UTF-8 byte order) without encoding both strings: below the first differing code unit
 * the strings are equal, and two differing code units that are not surrogates compare as their code points
 * do. Around surrogates (pairs, and lone ones, which Go reads as U+FFFD) it defers to compareGoStrings.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) || isSurrogate(y)) return compareGoStrings(a, b);
    return x < y ? -1 : 1;
  }
  // a proper prefix sorts first, in UTF-8 too (even when it ends in a lone surrogate: EF BF BD < F0)
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Compact JSON as Go's encoding/json writes a decoded value: map keys sorted, HTML characters escaped. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys.map((key) => `${goJsonString(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return 'null';
}

/** Go's `%q`. */
function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\x07') out += '\\a';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (char === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += char;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------------------
// Paths and field sets
// ---------------------------------------------------------------------------------------------------------

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'key'; readonly fields: readonly (readonly [string, unknown])[] }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'index'; readonly index: number };

export type FieldPath = readonly PathElement[];

export function field(name: string): PathElement {
  return { kind: 'field', name };
}

/** The fieldsV1 key of a path element: `f:name`, `k:{"name":"x"}`, `v:"x"`, `i:0`. */
export function pathElementKey(element: PathElement): string {
  switch (element.kind) {
    case 'field':
      return `f:${element.name}`;
    case 'key':
      return `k:{${element.fields.map(([name, value]) => `${goJsonString(name)}:${goJson(value)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(element.value)}`;
    case 'index':
      return `i:${element.index}`;
  }
}

function valueToString(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goFormatValue(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(valueToString).join(',')}]`;
  if (isJsonObject(value)) {
    return Object.keys(value)
      .sort(compareCodePoints)
      .map((key) => `${key}=${valueToString(value[key])}`)
      .join('');
  }
  return '{{undefined}}';
}

/** How kube prints a path element in messages: `.name`, `[name="x"]`, `[="x"]`, `[0]`. */
export function pathElementString(element: PathElement): string {
  switch (element.kind) {
    case 'field':
      return `.${element.name}`;
    case 'key':
      return `[${element.fields.map(([name, value]) => `${name}=${valueToString(value)}`).join(',')}]`;
    case 'value':
      return `[=${valueToString(element.value)}]`;
    case 'index':
      return `[${element.index}]`;
  }
}

/** `.spec.containers[name="app"].image` */
export function formatFieldPath(path: FieldPath): string {
  return path.map(pathElementString).join('');
}

function typeRank(value: unknown): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'string') return 1;
  if (typeof value === 'boolean') return 2;
  if (Array.isArray(value)) return 3;
  if (isJsonObject(value)) return 4;
  return 5;
}

function compareScalarOrder(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareScalarOrder(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isJsonObject(a) && isJsonObject(b)) return compareCodePoints(goJson(a), goJson(b));
  return 0;
}

const ELEMENT_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

/** structured-merge-diff's order of path elements: fields, then keys, values, indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return ELEMENT_RANK[a.kind] - ELEMENT_RANK[b.kind];
  if (a.kind === 'field' && b.kind === 'field') return compareCodePoints(a.name, b.name);
  if (a.kind === 'key' && b.kind === 'key') {
    for (let i = 0; i < Math.min(a.fields.length, b.fields.length); i++) {
      const [an, av] = a.fields[i] ?? ['', null];
      const [bn, bv] = b.fields[i] ?? ['', null];
      const c = compareCodePoints(an, bn) || compareScalarOrder(av, bv);
      if (c !== 0) return c;
    }
    return a.fields.length - b.fields.length;
  }
  if (a.kind === 'value' && b.kind === 'value') return compareScalarOrder(a.value, b.value);
  if (a.kind === 'index' && b.kind === 'index') return a.index - b.index;
  return 0;
}

/**
 * A node of a field set's tree: one level of `fieldsV1`. Children are keyed by pathElementKey. Nodes are never
 * modified once a FieldSet holds them, so sets share unchanged subtrees. Every node without children is a
 * member (a set holds no empty branches), so the root has no children exactly when the set is empty.
 */
interface FieldNode {
  readonly member: boolean;
  readonly children: ReadonlyMap<string, FieldChild>;
}

interface FieldChild {
  readonly key: string;
  readonly element: PathElement;
  readonly node: FieldNode;
}

/** A FieldNode while FieldSetBuilder or fromFieldsV1 still adds to it. */
interface GrowingNode {
  member: boolean;
  readonly children: Map<
    string,
    { readonly key: string; readonly element: PathElement; readonly node: GrowingNode }
  >;
}

function growingNode(): GrowingNode {
  return { member: false, children: new Map() };
}

function growChild(parent: GrowingNode, key: string, element: PathElement): GrowingNode {
  let child = parent.children.get(key);
  if (!child) {
    child = { key, element, node: growingNode() };
    parent.children.set(key, child);
  }
  return child.node;
}

/**
 * A path as the walks over values extend it: each step links to its parent and carries its fieldsV1 key,
 * so a child's path copies nothing and no key is computed twice. `undefined` is the root.
 */
interface Step {
  readonly parent: Step | undefined;
  readonly element: PathElement;
  readonly key: string;
}

function fieldStep(parent: Step | undefined, name: string): Step {
  return { parent, element: field(name), key: `f:${name}` };
}

function pathOf(step: Step | undefined): PathElement[] {
  const path: PathElement[] = [];
  for (let at = step; at; at = at.parent) path.push(at.element);
  return path.reverse();
}

/** Collects paths into a FieldSet; used once (build hands its nodes to the set). */
class FieldSetBuilder {
  readonly #root = growingNode();

  add(step: Step): void {
    this.#nodeAt(step).member = true;
  }

  addPath(path: FieldPath): void {
    if (path.length === 0) return;
    let node = this.#root;
    for (const element of path) node = growChild(node, pathElementKey(element), element);
    node.member = true;
  }

  build(): FieldSet {
    return this.#root.children.size === 0 ? FieldSet.EMPTY : new FieldSet(this.#root);
  }

  #nodeAt(step: Step): GrowingNode {
    const parent = step.parent ? this.#nodeAt(step.parent) : this.#root;
    return growChild(parent, step.key, step.element);
  }
}

const EMPTY_NODE: FieldNode = { member: false, children: new Map() };

/** A set of field paths (immutable). */
export class FieldSet {
  readonly #root: FieldNode;

  /** Module-internal (FieldNode is not exported): sets are made with `of`, `fromFieldsV1` or FieldSetBuilder. */
  constructor(root: FieldNode) {
    this.#root = root;
  }

  static readonly EMPTY = new FieldSet(EMPTY_NODE);

  static of(paths: Iterable<FieldPath>): FieldSet {
    const builder = new FieldSetBuilder();
    for (const path of paths) builder.addPath(path);
    return builder.build();
  }

  /** Parses a `fieldsV1` object; throws a CloakError for malformed keys. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const root = growingNode();
    const walk = (json: unknown, node: GrowingNode, isRoot: boolean): void => {
      if (!isJsonObject(json)) throw new CloakError('ERR_MANAGED_FIELDS', 'fieldsV1 must be a JSON object');
      for (const key of Object.keys(json)) {
        if (key === '.') {
          if (!isRoot) node.member = true;
          continue;
        }
        const element = parsePathElementKey(key);
        const child = json[key];
        if (!isJsonObject(child))
          throw new CloakError('ERR_MANAGED_FIELDS', `fieldsV1 entry ${key} must be an object`);
        // f: keys are already in canonical form; the others are re-encoded (`v:1.0` is `v:1`)
        const childNode = growChild(node, element.kind === 'field' ? key : pathElementKey(element), element);
        if (isEmptyObject(child)) childNode.member = true;
        else walk(child, childNode, false);
      }
    };
    walk(fields ?? {}, root, true);
    return root.children.size === 0 ? FieldSet.EMPTY : new FieldSet(root);
  }

  /** Module-internal: the set's tree, for walks that follow it alongside a value. */
  get tree(): FieldNode {
    return this.#root;
  }

  get size(): number {
    return countMembers(this.#root);
  }

  isEmpty(): boolean {
    return this.#root.children.size === 0;
  }

  has(path: FieldPath): boolean {
    let node = this.#root;
    for (const element of path) {
      const child = node.children.get(pathElementKey(element));
      if (!child) return false;
      node = child.node;
    }
    return node.member;
  }

  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const visit = (node: FieldNode, prefix: FieldPath): void => {
      for (const { element, node: child } of node.children.values()) {
        const path = [...prefix, element];
        if (child.member) out.push(path);
        visit(child, path);
      }
    };
    visit(this.#root, []);
    return out;
  }

  union(other: FieldSet): FieldSet {
    return FieldSet.#wrap(unionNodes(this.#root, other.#root));
  }

  difference(other: FieldSet): FieldSet {
    return FieldSet.#wrap(subtractNodes(this.#root, other.#root));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.#wrap(intersectNodes(this.#root, other.#root));
  }

  /** Without the paths under (and at) `prefix`. */
  withoutPrefix(prefix: FieldPath): FieldSet {
    return FieldSet.#wrap(removeSubtree(this.#root, prefix.map(pathElementKey), 0));
  }

  equals(other: FieldSet): boolean {
    return equalNodes(this.#root, other.#root);
  }

  /** The `fieldsV1` JSON of the set, keys in kube's order (`.` first). Always a fresh object. */
  toFieldsV1(): FieldsV1 {
    const emit = (node: FieldNode): FieldsV1 => {
      const out: FieldsV1 = {};
      if (node.children.size === 0) return out;
      if (node.member) out['.'] = {};
      for (const { key, node: child } of sortedChildren(node)) out[key] = emit(child);
      return out;
    };
    return emit(this.#root);
  }

  /** The paths in the order kube iterates a set (each level's members, then its children). */
  orderedPaths(): FieldPath[] {
    const out: FieldPath[] = [];
    const visit = (node: FieldNode, prefix: FieldPath): void => {
      const children = sortedChildren(node);
      for (const { element, node: child } of children) if (child.member) out.push([...prefix, element]);
      for (const { element, node: child } of children) {
        if (child.children.size > 0) visit(child, [...prefix, element]);
      }
    };
    visit(this.#root, []);
    return out;
  }

  /** The paths as kube prints them, in kube's order. */
  toStrings(): string[] {
    return this.orderedPaths().map(formatFieldPath);
  }

  static #wrap(root: FieldNode | undefined): FieldSet {
    return root && root.children.size > 0 ? new FieldSet(root) : FieldSet.EMPTY;
  }
}

function isEmptyObject(object: JsonObject): boolean {
  return Object.keys(object).length === 0;
}

function countMembers(node: FieldNode): number {
  let count = node.member ? 1 : 0;
  for (const { node: child } of node.children.values()) count += countMembers(child);
  return count;
}

/** A node with its children replaced; undefined when that leaves it empty (no member, no children). */
function withChildren(
  node: FieldNode,
  member: boolean,
  children: ReadonlyMap<string, FieldChild>,
): FieldNode | undefined {
  if (!member && children.size === 0) return undefined;
  if (member === node.member && children === node.children) return node;
  return { member, children };
}

/** The smaller of two children maps first: the set operations look up one side's keys in the other. */
function smallerOf(
  a: ReadonlyMap<string, FieldChild>,
  b: ReadonlyMap<string, FieldChild>,
): ReadonlyMap<string, FieldChild> {
  return a.size <= b.size ? a : b;
}

function unionNodes(a: FieldNode, b: FieldNode): FieldNode {
  if (a === b) return a;
  // merge the smaller into the larger, keeping the larger's unchanged subtrees
  const [base, added] = a.children.size >= b.children.size ? [a, b] : [b, a];
  let children: Map<string, FieldChild> | undefined;
  for (const [key, extra] of added.children) {
    const own = base.children.get(key);
    const merged = own ? unionNodes(own.node, extra.node) : extra.node;
    if (own?.node === merged) continue;
    children ??= new Map(base.children);
    children.set(key, own ? { ...own, node: merged } : extra);
  }
  return withChildren(base, a.member || b.member, children ?? base.children) ?? EMPTY_NODE;
}

function subtractNodes(a: FieldNode, b: FieldNode): FieldNode | undefined {
  if (a === b) return undefined;
  let children: Map<string, FieldChild> | undefined;
  for (const key of smallerOf(a.children, b.children).keys()) {
    const own = a.children.get(key);
    const other = b.children.get(key);
    if (!own || !other) continue;
    const rest = subtractNodes(own.node, other.node);
    if (rest === own.node) continue;
    children ??= new Map(a.children);
    if (rest) children.set(key, { ...own, node: rest });
    else children.delete(key);
  }
  return withChildren(a, a.member && !b.member, children ?? a.children);
}

function intersectNodes(a: FieldNode, b: FieldNode): FieldNode | undefined {
  if (a === b) return a;
  const children = new Map<string, FieldChild>();
  for (const key of smallerOf(a.children, b.children).keys()) {
    const own = a.children.get(key);
    const other = b.children.get(key);
    const common = own && other ? intersectNodes(own.node, other.node) : undefined;
    if (own && common) children.set(key, { ...own, node: common });
  }
  return withChildren(a, a.member && b.member, children);
}

/** `node` without the subtree at `keys` (from `index` on). */
function removeSubtree(node: FieldNode, keys: readonly string[], index: number): FieldNode | undefined {
  const key = keys[index];
  if (key === undefined) return undefined;
  const child = node.children.get(key);
  if (!child) return node;
  const rest = removeSubtree(child.node, keys, index + 1);
  if (rest === child.node) return node;
  const children = new Map(node.children);
  if (rest) children.set(key, { ...child, node: rest });
  else children.delete(key);
  return withChildren(node, node.member, children);
}

function equalNodes(a: FieldNode, b: FieldNode): boolean {
  if (a === b) return true;
  if (a.member !== b.member || a.children.size !== b.children.size) return false;
  for (const [key, { node }] of a.children) {
    const other = b.children.get(key);
    if (!other || !equalNodes(node, other.node)) return false;
  }
  return true;
}

/** A node's children in structured-merge-diff's order. */
function sortedChildren(node: FieldNode): FieldChild[] {
  const children = [...node.children.values()];
  if (children.length > 1) children.sort(compareChildren);
  return children;
}

function compareChildren(a: FieldChild, b: FieldChild): number {
  return comparePathElements(a.element, b.element);
}

function parsePathElementKey(key: string): PathElement {
  const bad = (): CloakError =>
    new CloakError('ERR_MANAGED_FIELDS', `invalid fieldsV1 key ${JSON.stringify(key)}`);
  const rest = key.slice(2);
  switch (key.slice(0, 2)) {
    case 'f:':
      return { kind: 'field', name: rest };
    case 'k:': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rest);
      } catch {
        throw bad();
      }
      if (!isJsonObject(parsed)) throw bad();
      const fields = Object.entries(parsed).sort(([a], [b]) => compareCodePoints(a, b));
      return { kind: 'key', fields };
    }
    case 'v:':
      try {
        return { kind: 'value', value: JSON.parse(rest) as unknown };
      } catch {
        throw bad();
      }
    case 'i:': {
      if (!/^-?\d+$/.test(rest)) throw bad();
      return { kind: 'index', index: Number(rest) };
    }
    default:
      throw bad();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Typed walks over values: field sets, comparison, merge, removal
// ---------------------------------------------------------------------------------------------------------

/** The error of a value the schema cannot type (a keyed list item without its key). */
class TypingError extends Error {}

function isGranularObjectNode(node: SchemaNode): boolean {
  return (node.type === 'struct' || node.type === 'map') && !node.atomic ? true : node.type === 'untyped';
}

/**
 * Walks `a` (and `b`) member by member: an object (or null/absent) where the schema merges objects
 * granularly, and at least one of them an object. (Two parameters rather than a rest list: it runs at every node.)
 */
function objectMode(node: SchemaNode, a: unknown, b?: unknown): boolean {
  if (!isGranularObjectNode(node)) return false;
  if (!isJsonObject(a) && !isJsonObject(b)) return false;
  return isObjectOrNothing(a) && isObjectOrNothing(b);
}

/** The schema of a keyed or set list where `a` and `b` are lists (or null/absent), one at least a list. */
function listMode(node: SchemaNode, a: unknown, b?: unknown): ListSchema | undefined {
  if (node.type !== 'list' || node.listType === 'atomic') return undefined;
  if (!Array.isArray(a) && !Array.isArray(b)) return undefined;
  return isListOrNothing(a) && isListOrNothing(b) ? node : undefined;
}

function isObjectOrNothing(value: unknown): boolean {
  return value === undefined || value === null || isJsonObject(value);
}

function isListOrNothing(value: unknown): boolean {
  return value === undefined || value === null || Array.isArray(value);
}

function itemElement(item: unknown, node: ListSchema, index: number, at: Step | undefined): PathElement {
  if (node.listType === 'set') return { kind: 'value', value: item };
  if (node.listType !== 'map' || !node.keys) return { kind: 'index', index };
  const where = (): string => `${formatFieldPath(pathOf(at))}: element ${index}`;
  if (item === null)
    throw new TypingError(`${where()}: associative list with keys may not have a null element`);
  if (!isJsonObject(item))
    throw new TypingError(`${where()}: associative list with keys may not have non-map elements`);
  const fields: [string, unknown][] = [];
  for (const key of node.keys) {
    if (hasOwn(item, key)) fields.push([key, item[key]]);
    else if (node.keyDefaults && hasOwn(node.keyDefaults, key)) fields.push([key, node.keyDefaults[key]]);
    else {
      throw new TypingError(
        `${where()}: associative list with keys has an element that omits key field ${goQuote(key)} (and doesn't have default value)`,
      );
    }
  }
  fields.sort(([a], [b]) => compareCodePoints(a, b));
  return { kind: 'key', fields };
}

/** One item of a granular list, as the step to it from the list. */
interface Item extends Step {
  value: unknown;
}

function listItems(list: unknown, node: ListSchema, at: Step | undefined): Item[] {
  if (!Array.isArray(list)) return [];
  return list.map((value: unknown, index) => {
    const element = itemElement(value, node, index, at);
    return { parent: at, element, key: pathElementKey(element), value };
  });
}

function firstByKey(items: Item[]): Map<string, Item> {
  const map = new Map<string, Item>();
  for (const item of items) if (!map.has(item.key)) map.set(item.key, item);
  return map;
}

/** null, an object without members or an empty list. */
function isEmptyValue(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isJsonObject(value) && isEmptyObject(value);
}

/** The fields set in `value` (structured-merge-diff's ToFieldSet). */
function toFieldSet(value: unknown, node: SchemaNode): FieldSet {
  const out = new FieldSetBuilder();
  const visit = (current: unknown, schema: SchemaNode, at: Step | undefined): void => {
    const list = listMode(schema, current);
    if (objectMode(schema, current)) {
      const object = current as JsonObject;
      for (const key of Object.keys(object)) {
        const child = object[key];
        const step = fieldStep(at, key);
        visit(child, childSchema(schema, key), step);
        const empty = child === null || (isJsonObject(child) && isEmptyObject(child));
        if (empty || !isNamedField(schema, key)) out.add(step);
      }
    } else if (list) {
      for (const item of listItems(current, list, at)) {
        visit(item.value, list.items, item);
        out.add(item);
      }
    } else if (isGranularObjectNode(schema) && (current === null || isJsonObject(current))) {
      // a null or empty object: its parent records it
    } else if (
      schema.type === 'list' &&
      schema.listType !== 'atomic' &&
      (current === null || Array.isArray(current))
    ) {
      // a null or empty granular list owns nothing
    } else if (at) {
      out.add(at);
    }
  };
  visit(value, node, undefined);
  return out.build();
}

interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs` (structured-merge-diff's Compare). */
function compareObjects(lhs: unknown, rhs: unknown, node: SchemaNode): Comparison {
  const added = new FieldSetBuilder();
  const modified = new FieldSetBuilder();
  const removed = new FieldSetBuilder();
  const leaf = (l: unknown, r: unknown, at: Step | undefined): void => {
    if (!at) return;
    if (l === undefined && r !== undefined) added.add(at);
    else if (l !== undefined && r === undefined) removed.add(at);
    else if (l !== undefined && !jsonEqual(l, r)) modified.add(at);
  };
  const ends = (l: unknown, r: unknown, at: Step | undefined): void => {
    if (!at) return;
    if (l === undefined) added.add(at);
    else if (r === undefined) removed.add(at);
  };
  const isEmpty = (v: unknown): boolean => v === undefined || isEmptyValue(v);
  const visit = (l: unknown, r: unknown, schema: SchemaNode, at: Step | undefined): void => {
    if (objectMode(schema, l, r)) {
      if (isEmpty(l) && isEmpty(r)) return leaf(l, r, at);
      const lm = isJsonObject(l) ? l : {};
      const rm = isJsonObject(r) ? r : {};
      for (const key of Object.keys(lm)) {
        visit(lm[key], hasOwn(rm, key) ? rm[key] : undefined, childSchema(schema, key), fieldStep(at, key));
      }
      for (const key of Object.keys(rm)) {
        if (!hasOwn(lm, key)) visit(undefined, rm[key], childSchema(schema, key), fieldStep(at, key));
      }
      return ends(l, r, at);
    }
    const list = listMode(schema, l, r);
    if (list) {
      if (isEmpty(l) && isEmpty(r)) return leaf(l, r, at);
      const li = firstByKey(listItems(l, list, at));
      const ri = firstByKey(listItems(r, list, at));
      for (const [key, item] of li) visit(item.value, ri.get(key)?.value, list.items, item);
      for (const [key, item] of ri) if (!li.has(key)) visit(undefined, item.value, list.items, item);
      return ends(l, r, at);
    }
    leaf(l, r, at);
  };
  visit(lhs, rhs, node, undefined);
  return { added: added.build(), modified: modified.build(), removed: removed.build() };
}

/** `rhs` merged into `lhs` (structured-merge-diff's Merge): granular where the schema says so, else rhs wins. */
function mergeValues(lhs: unknown, rhs: unknown, node: SchemaNode, at: Step | undefined): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return cloneJson(rhs);
  if (objectMode(node, lhs, rhs)) {
    if (isEmptyValue(lhs) && isEmptyValue(rhs)) return cloneJson(rhs);
    if (!isJsonObject(rhs)) return lhs;
    const left = isJsonObject(lhs) ? lhs : {};
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(left)) {
      setOwn(
        out,
        key,
        hasOwn(rhs, key) ? mergeValues(value, rhs[key], childSchema(node, key), fieldStep(at, key)) : value,
      );
    }
    for (const [key, value] of Object.entries(rhs))
      if (!hasOwn(left, key)) setOwn(out, key, cloneJson(value));
    return out;
  }
  const list = listMode(node, lhs, rhs);
  if (list) {
    if (isEmptyValue(lhs) && isEmptyValue(rhs)) return cloneJson(rhs);
    if (!Array.isArray(rhs)) return lhs;
    return mergeLists(listItems(lhs, list, at), listItems(rhs, list, at), list);
  }
  return cloneJson(rhs);
}

/**
 * Merges keyed items: the applied items in their order, live-only items kept in place relative to them
 * (structured-merge-diff's ordering of a merged associative list).
 */
function mergeLists(lhs: Item[], rhs: Item[], node: ListSchema): unknown[] {
  const lhsByKey = firstByKey(lhs);
  const rhsByKey = firstByKey(rhs);
  const shared = rhs.filter((item) => lhsByKey.has(item.key)).map((item) => item.key);
  let nextShared = 0;
  const done = new Set<string>();
  const out: unknown[] = [];
  const take = (item: Item): void => {
    done.add(item.key);
    const left = lhsByKey.get(item.key);
    out.push(left ? mergeValues(left.value, item.value, node.items, item) : cloneJson(item.value));
    if (shared[nextShared] === item.key) nextShared++;
  };
  let i = 0;
  let j = 0;
  while (i < lhs.length || j < rhs.length) {
    const left = lhs[i];
    const right = rhs[j];
    if (left && right) {
      if (left.key === right.key) {
        take(right);
        i++;
        j++;
        continue;
      }
      const wanted = shared[nextShared];
      if (rhsByKey.has(left.key) && wanted !== undefined && wanted !== left.key) {
        i++;
        continue;
      }
    }
    if (left) {
      if (!rhsByKey.has(left.key)) {
        out.push(left.value);
        i++;
        continue;
      }
      if (done.has(left.key)) {
        i++;
        continue;
      }
    }
    if (right) {
      take(right);
      j++;
    }
  }
  return out;
}

const EMPTIED = Symbol('emptied');

/** `value` without the members and items in `set` (a container emptied by the removal goes as well). */
function removeItems(value: unknown, set: FieldSet, node: SchemaNode): unknown {
  if (set.isEmpty()) return value;
  // `owned` is the set's node at the current path: a member child goes, a non-member child is walked into
  const visit = (current: unknown, schema: SchemaNode, owned: FieldNode, at: Step | undefined): unknown => {
    if (objectMode(schema, current)) {
      const out: JsonObject = {};
      let dropped = false;
      for (const [key, child] of Object.entries(current as JsonObject)) {
        const match = owned.children.get(`f:${key}`);
        if (match?.node.member) {
          dropped = true;
          continue;
        }
        const next = match ? visit(child, childSchema(schema, key), match.node, fieldStep(at, key)) : child;
        if (next === EMPTIED) dropped = true;
        else setOwn(out, key, next);
      }
      return dropped && Object.keys(out).length === 0 && at ? EMPTIED : out;
    }
    const list = listMode(schema, current);
    if (list) {
      const out: unknown[] = [];
      let dropped = false;
      for (const item of listItems(current, list, at)) {
        const match = owned.children.get(item.key);
        if (match?.node.member) {
          dropped = true;
          continue;
        }
        const next = match ? visit(item.value, list.items, match.node, item) : item.value;
        if (next === EMPTIED) dropped = true;
        else out.push(next);
      }
      return dropped && out.length === 0 ? EMPTIED : out;
    }
    return current;
  };
  const result = visit(value, node, set.tree, undefined);
  return result === EMPTIED ? {} : result;
}

/** Adds the named fields (struct fields) above each path as members, as structured-merge-diff does to prune. */
function withNamedParents(set: FieldSet, root: SchemaNode): FieldSet {
  const out: FieldPath[] = set.paths();
  for (const path of set.paths()) {
    let schema = root;
    for (let n = 0; n < path.length - 1; n++) {
      const element = path[n] as PathElement;
      if (element.kind === 'field') {
        if (isNamedField(schema, element.name)) out.push(path.slice(0, n + 1));
        schema = childSchema(schema, element.name);
      } else {
        schema = schema.type === 'list' ? schema.items : UNTYPED_STRUCT;
      }
    }
  }
  return FieldSet.of(out);
}

/** Drops null members of objects (a null means "unset" once the object is typed). */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) if (child !== null) setOwn(out, key, dropNulls(child));
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Managers
// ---------------------------------------------------------------------------------------------------------

/** One managedFields entry, decoded. */
export interface ManagerState {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  time: string | undefined;
  set: FieldSet;
}

/** kube's manager identifier: the entry without fields and time (and without apiVersion for Apply), as JSON. */
function managerId(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string,
): string {
  const parts: string[] = [];
  if (manager) parts.push(`"manager":${goJsonString(manager)}`);
  parts.push(`"operation":${goJsonString(operation)}`);
  if (operation === 'Update' && apiVersion) parts.push(`"apiVersion":${goJsonString(apiVersion)}`);
  if (subresource) parts.push(`"subresource":${goJsonString(subresource)}`);
  return `{${parts.join(',')}}`;
}

function idOf(entry: ManagerState): string {
  return managerId(entry.manager, entry.operation, entry.apiVersion, entry.subresource);
}

function normalizeTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : formatTime(new Date(ms));
}

function formatTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Decodes `metadata.managedFields` (kube's validation rules); throws a CloakError when malformed. */
export function decodeManagedFields(entries: unknown): Map<string, ManagerState> {
  const managers = new Map<string, ManagerState>();
  if (entries === undefined || entries === null) return managers;
  if (!Array.isArray(entries)) throw new CloakError('ERR_MANAGED_FIELDS', 'managedFields must be a list');
  entries.forEach((entry, index) => {
    if (!isJsonObject(entry))
      throw new CloakError('ERR_MANAGED_FIELDS', `managed fields entry ${index} must be an object`);
    const operation = entry['operation'];
    if (operation !== 'Apply' && operation !== 'Update') {
      throw new CloakError('ERR_MANAGED_FIELDS', 'operation must be `Apply` or `Update`');
    }
    const apiVersion = entry['apiVersion'];
    if (typeof apiVersion !== 'string' || apiVersion === '') {
      throw new CloakError('ERR_MANAGED_FIELDS', 'apiVersion must not be empty');
    }
    const fieldsType = entry['fieldsType'];
    if (fieldsType === undefined || fieldsType === '') {
      throw new CloakError('ERR_MANAGED_FIELDS', `missing fieldsType in managed fields entry ${index}`);
    }
    if (fieldsType !== 'FieldsV1') {
      throw new CloakError(
        'ERR_MANAGED_FIELDS',
        `invalid fieldsType ${goQuote(typeof fieldsType === 'string' ? fieldsType : JSON.stringify(fieldsType))} in managed fields entry ${index}`,
      );
    }
    const manager: ManagerState = {
      manager: typeof entry['manager'] === 'string' ? entry['manager'] : '',
      operation,
      apiVersion,
      subresource: typeof entry['subresource'] === 'string' ? entry['subresource'] : '',
      time: normalizeTime(entry['time']),
      set: FieldSet.fromFieldsV1(entry['fieldsV1'] ?? {}),
    };
    managers.set(idOf(manager), manager);
  });
  return managers;
}

function timeSeconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries as the API returns them, in kube's order (operation, time, manager, apiVersion, subresource). */
export function encodeManagedFields(managers: Iterable<ManagerState>): ManagedFieldsEntry[] {
  const entries = [...managers]
    .filter((entry) => !entry.set.isEmpty())
    .sort(
      (p, q) =>
        compareStrings(p.operation, q.operation) ||
        timeSeconds(p.time) - timeSeconds(q.time) ||
        compareCodePoints(p.manager, q.manager) ||
        compareCodePoints(p.apiVersion, q.apiVersion) ||
        compareCodePoints(p.subresource, q.subresource),
    );
  return entries.map((entry) => {
    const out: ManagedFieldsEntry = {
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      ...(entry.time ? { time: entry.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: entry.set.toFieldsV1(),
    };
    if (entry.subresource) out.subresource = entry.subresource;
    return out;
  });
}

/** Fields no manager owns: the object's identity and server-maintained metadata. */
const STRIPPED = FieldSet.of(
  [
    ['apiVersion'],
    ['kind'],
    ['metadata'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'creationTimestamp'],
    ['metadata', 'selfLink'],
    ['metadata', 'uid'],
    ['metadata', 'clusterName'],
    ['metadata', 'generation'],
    ['metadata', 'managedFields'],
    ['metadata', 'resourceVersion'],
  ].map((names) => names.map(field)),
);

/** Field subtrees a write cannot own: status for the main resource of kinds with /status, spec for /status. */
function ignoredPrefixes(schema: MergeSchema, subresource: string): FieldPath[] {
  if (subresource === 'status') return [[field('spec')]];
  if (subresource === '' && schema.statusSubresource) return [[field('status')]];
  return [];
}

function withoutIgnored(set: FieldSet, ignored: FieldPath[]): FieldSet {
  return ignored.reduce((current, prefix) => current.withoutPrefix(prefix), set);
}

/** Folds the oldest Update managers into `ancient-changes` (one per apiVersion) beyond the cap. */
function capUpdateManagers(managers: Map<string, ManagerState>): void {
  const updaters = [...managers.entries()].filter(([, entry]) => entry.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([, a], [, b]) => timeSeconds(a.time) - timeSeconds(b.time));
  let count = updaters.length;
  const firstByVersion = new Map<string, string>();
  for (const [id, entry] of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const bucketId = managerId(ANCIENT_CHANGES_MANAGER, 'Update', entry.apiVersion, '');
    const first = firstByVersion.get(entry.apiVersion);
    if (first === undefined) {
      firstByVersion.set(entry.apiVersion, id);
      continue;
    }
    let bucket = managers.get(bucketId);
    if (!bucket) {
      const firstEntry = managers.get(first);
      managers.delete(first);
      bucket = { ...(firstEntry ?? entry), manager: ANCIENT_CHANGES_MANAGER, subresource: '' };
    }
    managers.set(bucketId, { ...bucket, set: bucket.set.union(entry.set), time: entry.time });
    managers.delete(id);
    count--;
  }
}

function finish(managers: Map<string, ManagerState>): ManagedFieldsEntry[] {
  for (const [id, entry] of managers) {
    const set = entry.set.difference(STRIPPED);
    if (set.isEmpty()) managers.delete(id);
    else managers.set(id, { ...entry, set });
  }
  capUpdateManagers(managers);
  return encodeManagedFields(managers.values());
}

function metadataOf(object: unknown): JsonObject | undefined {
  return isJsonObject(object) && isJsonObject(object['metadata']) ? object['metadata'] : undefined;
}

function withoutManagedFields(object: unknown): JsonObject {
  if (!isJsonObject(object)) return {};
  const copy = cloneJson(object);
  const metadata = metadataOf(copy);
  if (metadata) delete metadata['managedFields'];
  return copy;
}

/**
 * withoutManagedFields for walks that only read: a copy of the top level and metadata, everything else
 * shared with `object` (which a deep copy of its data would only slow down).
 */
function readOnlyWithoutManagedFields(object: unknown): JsonObject {
  if (!isJsonObject(object)) return {};
  const metadata = metadataOf(object);
  if (!metadata || !hasOwn(metadata, 'managedFields')) return object;
  const { managedFields: _managedFields, ...rest } = metadata;
  return { ...object, metadata: rest };
}

function withManagedFields(object: JsonObject, entries: ManagedFieldsEntry[]): JsonObject {
  const metadata = metadataOf(object);
  if (entries.length > 0) {
    if (metadata) metadata['managedFields'] = entries;
    else object['metadata'] = { managedFields: entries };
  } else if (metadata) {
    delete metadata['managedFields'];
  }
  return object;
}

/** `[]` or `[{}]` in a request clears managedFields, as in kube. */
function isResetManagedFields(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  if (value.length === 0) return true;
  return value.length === 1 && isJsonObject(value[0]) && Object.keys(value[0]).length === 0;
}

// ---------------------------------------------------------------------------------------------------------
// Field sets of objects
// ---------------------------------------------------------------------------------------------------------

/** The fields an object sets, as server-side apply would own them if the object were applied. */
export function fieldSetOf(object: unknown, schema: MergeSchema): FieldSet {
  try {
    return toFieldSet(readOnlyWithoutManagedFields(object), schema.root).difference(STRIPPED);
  } catch (error) {
    if (error instanceof TypingError) throw new CloakError('ERR_MANAGED_FIELDS', error.message);
    throw error;
  }
}

/** fieldSetOf in `fieldsV1` form. */
export function fieldsV1Of(object: unknown, schema: MergeSchema): FieldsV1 {
  return fieldSetOf(object, schema).toFieldsV1();
}

// ---------------------------------------------------------------------------------------------------------
// Recording a write (POST, PUT, PATCH other than apply)
// ---------------------------------------------------------------------------------------------------------

export interface RecordUpdateOptions {
  /** The stored object before the write; undefined for a create. */
  previous: JsonObject | undefined | null;
  /** The object about to be stored (its managedFields, when the client sent some, are taken as given). */
  updated: JsonObject;
  manager: string;
  operation?: 'Update';
  /** The apiVersion of the request. */
  apiVersion: string;
  now: Date;
  subresource?: string | undefined;
  schema: MergeSchema;
}

/**
 * The managedFields after a non-apply write. Fields the write added or changed become `manager`'s (operation
 * Update, time `now`) and leave every other manager's set; removed fields leave every set. Managers kept
 * from the request when it carries valid managedFields, else from the previous object. Returns `[]` when no
 * manager owns anything (the object then carries no managedFields).
 */
export function recordUpdate(options: RecordUpdateOptions): ManagedFieldsEntry[] {
  const { previous, updated, manager, apiVersion, now, schema } = options;
  const subresource = options.subresource ?? '';
  const managers = managersForUpdate(previous, updated, subresource !== '');
  // compareObjects only reads: no copies of the objects' data
  const before = previous ? readOnlyWithoutManagedFields(previous) : (schema.zero ?? {});
  const after = readOnlyWithoutManagedFields(updated);
  let comparison: Comparison;
  try {
    comparison = compareObjects(before, after, schema.root);
  } catch (error) {
    // kube drops managedFields when it cannot type the objects
    if (error instanceof TypingError) return [];
    throw error;
  }
  const ignored = ignoredPrefixes(schema, subresource);
  const changed = withoutIgnored(comparison.modified.union(comparison.added), ignored);
  const removed = withoutIgnored(comparison.removed, ignored);
  for (const [id, entry] of managers) {
    managers.set(id, { ...entry, set: entry.set.difference(changed).difference(removed) });
  }
  const owned = changed.difference(removed).difference(STRIPPED);
  if (!owned.isEmpty()) {
    const id = managerId(manager, 'Update', apiVersion, subresource);
    const existing = managers.get(id);
    managers.set(id, {
      manager,
      operation: 'Update',
      apiVersion,
      subresource,
      time: formatTime(now),
      set: (existing?.set ?? FieldSet.EMPTY).union(owned),
    });
  }
  return finish(managers);
}

/** kube's decodeLiveOrNew: the request's managedFields when valid and non-empty, else the stored ones. */
function managersForUpdate(
  previous: JsonObject | undefined | null,
  updated: JsonObject,
  fromLiveOnly: boolean,
): Map<string, ManagerState> {
  const fromLive = (): Map<string, ManagerState> => {
    try {
      return decodeManagedFields(metadataOf(previous)?.['managedFields']);
    } catch {
      return new Map();
    }
  };
  if (fromLiveOnly) return fromLive();
  const requested = metadataOf(updated)?.['managedFields'];
  if (isResetManagedFields(requested)) return new Map();
  try {
    const managers = decodeManagedFields(requested);
    if (managers.size > 0) return managers;
  } catch {
    // fall back to the stored managers
  }
  return fromLive();
}

// ---------------------------------------------------------------------------------------------------------
// Server-side apply
// ---------------------------------------------------------------------------------------------------------

export interface ApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live: JsonObject | undefined | null;
  /** The applied configuration (the PATCH body of `application/apply-patch+yaml`). */
  applied: JsonObject;
  manager: string;
  force?: boolean | undefined;
  /** The apiVersion of the request; the applied configuration must have it. */
  apiVersion: string;
  now: Date;
  subresource?: string | undefined;
  schema: MergeSchema;
}

export interface ApplyResult {
  /** The object to store, `metadata.managedFields` included. */
  object: JsonObject;
  managedFields: ManagedFieldsEntry[];
}

export interface FieldConflict {
  /** kube's manager identifier (JSON). */
  managerId: string;
  /** How the conflict message names the manager: `"kubectl-edit" using v1`. */
  manager: string;
  path: FieldPath;
}

/** 409 Conflict: the apply would change fields other managers own. */
export class ApplyConflictError extends PatchError {
  readonly conflicts: readonly FieldConflict[];
  /** The Status causes kube sends: `{type: 'FieldManagerConflict', message, field}`. */
  readonly causes: readonly { type: 'FieldManagerConflict'; message: string; field: string }[];

  constructor(conflicts: readonly FieldConflict[]) {
    super(conflictMessage(conflicts), { status: 409, reason: 'Conflict', code: 'ERR_APPLY_CONFLICT' });
    this.conflicts = conflicts;
    this.causes = conflicts.map((conflict) => ({
      type: 'FieldManagerConflict' as const,
      message: `conflict with ${conflict.manager}`,
      field: formatFieldPath(conflict.path),
    }));
  }
}

function printManager(entry: ManagerState): string {
  let out = goQuote(entry.manager);
  if (entry.subresource) out += ` with subresource ${goQuote(entry.subresource)}`;
  if (entry.operation === 'Update') out += ` using ${entry.apiVersion}`;
  return out;
}

/** kube-apiserver's message for apply conflicts (one line for one conflict, a list per manager otherwise). */
export function conflictMessage(conflicts: readonly FieldConflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    return `Apply failed with 1 conflict: conflict with ${only.manager}: ${formatFieldPath(only.path)}`;
  }
  const byManager = new Map<string, FieldConflict[]>();
  for (const conflict of conflicts) {
    const list = byManager.get(conflict.managerId) ?? [];
    list.push(conflict);
    byManager.set(conflict.managerId, list);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort(compareCodePoints)) {
    const list = byManager.get(id) ?? [];
    lines.push(`conflicts with ${list[0]?.manager ?? ''}:`);
    for (const conflict of list) lines.push(`- ${formatFieldPath(conflict.path)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

function applyBadRequest(message: string): PatchError {
  return new PatchError(message, { status: 400, reason: 'BadRequest' });
}

function gvkString(schema: MergeSchema): string {
  return `${schema.group ? `${schema.group}/` : '/'}${schema.version}, Kind=${schema.kind}`;
}

/**
 * Server-side apply of `applied` by `manager`. Returns the object to store and its managedFields, or throws
 * an ApplyConflictError (409) naming the fields other managers own and the apply would change, unless
 * `force`. Throws a PatchError (400) when the configuration carries managedFields or another apiVersion.
 */
export function applyServerSide(options: ApplyOptions): ApplyResult {
  const { live, applied, manager, apiVersion, now, schema } = options;
  const subresource = options.subresource ?? '';
  if (!isJsonObject(applied)) throw applyBadRequest('the applied configuration must be an object');
  const appliedMetadata = metadataOf(applied);
  if (
    appliedMetadata &&
    appliedMetadata['managedFields'] !== undefined &&
    appliedMetadata['managedFields'] !== null
  ) {
    throw applyBadRequest('metadata.managedFields must be nil');
  }
  const appliedVersion = typeof applied['apiVersion'] === 'string' ? applied['apiVersion'] : '';
  if (appliedVersion !== apiVersion) {
    throw applyBadRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${appliedVersion}, expected: ${apiVersion}`,
    );
  }
  let managers: Map<string, ManagerState>;
  try {
    managers = decodeManagedFields(metadataOf(live)?.['managedFields']);
  } catch (error) {
    throw new PatchError(`failed to decode managed fields: ${(error as Error).message}`, {
      status: 500,
      reason: '',
    });
  }
  const liveObject = live ? withoutManagedFields(live) : {};
  const id = managerId(manager, 'Apply', '', subresource);
  const ignored = ignoredPrefixes(schema, subresource);

  const attempt = (force: boolean): ApplyOutcome =>
    typed(schema, () =>
      applyOnce(
        liveObject,
        applied,
        managers,
        id,
        { manager, apiVersion, subresource, force },
        schema,
        ignored,
      ),
    );

  let outcome = attempt(options.force ?? false);
  if ('conflicts' in outcome && manager === KUBECTL_MANAGER) {
    // kubectl taking over from client-side apply: conflicts on fields whose live value is still the one
    // last applied client-side are the user's own, and are taken over.
    const allowed = typedOrUndefined(() => lastAppliedFields(liveObject, schema));
    if (allowed) {
      const remaining = outcome.conflicts.filter((conflict) => !allowed.has(conflict.path));
      if (remaining.length === 0) outcome = attempt(true);
      else outcome = { conflicts: remaining };
    }
  }
  if ('conflicts' in outcome) throw new ApplyConflictError(outcome.conflicts);

  const previousEntry = managers.get(id);
  const next = outcome.managers;
  const entry = next.get(id);
  if (entry) {
    const changed =
      outcome.objectChanged || !previousEntry || !previousEntry.set.equals(entry.set.difference(STRIPPED));
    next.set(id, { ...entry, time: changed ? formatTime(now) : (previousEntry?.time ?? formatTime(now)) });
  }
  const object = outcome.object;
  if (manager === KUBECTL_MANAGER) updateLastApplied(object, applied);
  const managedFields = finish(next);
  return { object: withManagedFields(object, managedFields), managedFields };
}

type ApplyOutcome =
  | { object: JsonObject; managers: Map<string, ManagerState>; objectChanged: boolean }
  | { conflicts: FieldConflict[] };

function typed<T>(schema: MergeSchema, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof TypingError) {
      throw new PatchError(`failed to create typed patch object (${gvkString(schema)}): ${error.message}`, {
        status: 500,
        reason: '',
      });
    }
    throw error;
  }
}

function typedOrUndefined<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof TypingError) return undefined;
    throw error;
  }
}

function applyOnce(
  live: JsonObject,
  applied: JsonObject,
  current: Map<string, ManagerState>,
  id: string,
  who: { manager: string; apiVersion: string; subresource: string; force: boolean },
  schema: MergeSchema,
  ignored: FieldPath[],
): ApplyOutcome {
  const root = schema.root;
  // The configuration's own typing errors are the caller's; the live object's were accepted before.
  const configSet = withoutIgnored(toFieldSet(applied, root), ignored);
  const merged = mergeValues(live, applied, root, undefined) as JsonObject;
  const managers = new Map(current);
  const lastSet = managers.get(id)?.set;
  managers.set(id, {
    manager: who.manager,
    operation: 'Apply',
    apiVersion: who.apiVersion,
    subresource: who.subresource,
    time: current.get(id)?.time,
    set: configSet,
  });

  // Prune what this manager applied last time and no longer applies, unless someone owns it.
  let result = merged;
  if (lastSet && !lastSet.isEmpty()) {
    let owned = FieldSet.EMPTY;
    for (const entry of managers.values()) owned = owned.union(entry.set);
    const last = withNamedParents(lastSet, root);
    const present = withNamedParents(toFieldSet(merged, root), root);
    const ownedWithParents = withNamedParents(owned, root);
    // The object's identity is never pruned (no manager owns it once stored).
    const toRemove = last.intersection(present).difference(ownedWithParents).difference(STRIPPED);
    result = removeItems(merged, toRemove, root) as JsonObject;
  }
  result = dropNulls(result) as JsonObject;

  const comparison = compareObjects(live, result, root);
  const changed = withoutIgnored(comparison.modified.union(comparison.added), ignored);
  const removed = withoutIgnored(comparison.removed, ignored);
  const conflicts: FieldConflict[] = [];
  for (const [otherId, entry] of managers) {
    if (otherId === id) continue;
    const clash = entry.set.intersection(changed);
    for (const path of clash.orderedPaths())
      conflicts.push({ managerId: otherId, manager: printManager(entry), path });
  }
  if (conflicts.length > 0 && !who.force) return { conflicts };
  for (const [otherId, entry] of managers) {
    if (otherId === id) continue;
    managers.set(otherId, { ...entry, set: entry.set.difference(changed).difference(removed) });
  }
  return { object: result, managers, objectChanged: !jsonEqual(live, result) };
}

/**
 * The fields kubectl may take over from client-side apply: those in the last-applied configuration whose
 * live value is still the applied one.
 */
function lastAppliedFields(live: JsonObject, schema: MergeSchema): FieldSet | undefined {
  const annotations = metadataOf(live)?.['annotations'];
  const text = isJsonObject(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(lastApplied)) return undefined;
  const set = toFieldSet(lastApplied, schema.root);
  const comparison = compareObjects(lastApplied, live, schema.root);
  return set.difference(comparison.modified).difference(comparison.added).difference(comparison.removed);
}

/** kubectl's server-side apply keeps an existing last-applied annotation in step with what it applied. */
function updateLastApplied(object: JsonObject, applied: JsonObject): void {
  const annotations = metadataOf(object)?.['annotations'];
  if (!isJsonObject(annotations) || !hasOwn(annotations, LAST_APPLIED_ANNOTATION)) return;
  const config = cloneJson(applied);
  const configMetadata = metadataOf(config);
  const configAnnotations = configMetadata?.['annotations'];
  if (configMetadata && isJsonObject(configAnnotations)) delete configAnnotations[LAST_APPLIED_ANNOTATION];
  annotations[LAST_APPLIED_ANNOTATION] = `${goJson(config)}\n`;
}
