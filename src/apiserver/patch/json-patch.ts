/**
 * RFC 6902 JSON Patch (`application/json-patch+json`) as kube-apiserver applies it, over plain JSON values.
 *
 * The API server uses evanphx/json-patch v4, whose behaviour we reproduce where it differs from the RFC,
 * because clients are written against the server, not the RFC:
 * - `replace` of a missing object member adds it (only a missing parent, or an array index out of range,
 *   is an error); `test` with `null` passes when the member is absent; `copy` from a missing member copies
 *   `null`;
 * - array indexes may be negative (`-1` is the last element) and are parsed like Go's `strconv.Atoi`;
 * - `add` of the whole document (path `""`) is an error, `replace` and `test` of it are allowed.
 * Error messages are the library's, so they read like the `details` a user would find upstream; the status
 * the API server answers with is on the error (`PatchError.status`, `.reason`, `.statusMessage`).
 *
 * Pure: the input document and the patch are never modified.
 */
import { CloakError } from '../../common/errors.ts';

/** An object in a JSON value. */
export type JsonObject = Record<string, unknown>;

/** The HTTP status and reason kube-apiserver reports for a failed patch, and its own message for it. */
export interface PatchErrorOptions {
  status: number;
  reason: string;
  /** The `message` of the API server's Status when it differs from the library's error text. */
  statusMessage?: string | undefined;
  code?: string | undefined;
}

/**
 * A patch that cannot be applied. `message` is the patch library's explanation; `status`/`reason` are what
 * kube-apiserver answers with (422 Invalid, 400 BadRequest, 409 Conflict, 415 UnsupportedMediaType, ...), and
 * `statusMessage` is the Status message it sends (usually the same text).
 */
export class PatchError extends CloakError {
  readonly status: number;
  readonly reason: string;
  readonly statusMessage: string;

  constructor(message: string, options: PatchErrorOptions) {
    super(options.code ?? 'ERR_PATCH', message);
    this.status = options.status;
    this.reason = options.reason;
    this.statusMessage = options.statusMessage ?? message;
  }
}

/** kube-apiserver refuses JSON patches with more operations than this (413). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const INVALID_GENERIC = 'the server rejected our request due to an error in our request';

// ---------------------------------------------------------------------------------------------------------
// JSON value helpers shared by the patch engines
// ---------------------------------------------------------------------------------------------------------

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, also for the key `__proto__` (which plain assignment would treat as the prototype). */
export function setOwn(object: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

export function hasOwn(object: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** A deep copy of a JSON value (key order kept). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneJson(item)) as T;
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, cloneJson(item));
    return out as T;
  }
  return value;
}

/** Structural equality of JSON values; object key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** The JSON type name Go's encoding/json uses in "cannot unmarshal X into ..." errors. */
export function goJsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}

// ---------------------------------------------------------------------------------------------------------
// JSON Pointer (RFC 6901)
// ---------------------------------------------------------------------------------------------------------

/** `~1` is `/` and `~0` is `~`, decoded in that order (so `~01` is `~1`). */
export function unescapePointerToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The reference tokens of a pointer: `""` is the whole document (no tokens), `"/"` is the member `""`. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new CloakError(
      'ERR_PATCH',
      `invalid JSON pointer ${JSON.stringify(pointer)}: it must start with "/"`,
    );
  }
  return pointer.slice(1).split('/').map(unescapePointerToken);
}

export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${escapePointerToken(token)}`).join('');
}

// ---------------------------------------------------------------------------------------------------------
// Applying a patch
// ---------------------------------------------------------------------------------------------------------

const MISSING = ': missing value';
const INVALID_INDEX = ': invalid index referenced';
const TEST_FAILED = ': test failed';

/** A failure inside the patch library: kube answers 422 with a generic message. */
function applyError(message: string): PatchError {
  return new PatchError(message, { status: 422, reason: 'Invalid', statusMessage: INVALID_GENERIC });
}

function badRequest(message: string): PatchError {
  return new PatchError(message, { status: 400, reason: 'BadRequest' });
}

/** Go's strconv.Atoi: an optional sign and decimal digits, within int64. */
function atoi(text: string): number | string {
  if (!/^[+-]?\d+$/.test(text)) return `strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
  const value = Number(text);
  if (Math.abs(value) >= 2 ** 63) return `strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`;
  return value;
}

type Container = JsonObject | unknown[];

interface Located {
  container: Container;
  key: string;
}

/** The parent container of a path and the last token, or undefined where evanphx reports a missing path. */
function locate(document: Container, path: string): Located | undefined {
  const parts = path.split('/');
  if (parts.length < 2 || parts[0] !== '') return undefined;
  let current: Container = document;
  for (const raw of parts.slice(1, -1)) {
    const next = getChild(current, unescapePointerToken(raw));
    if (typeof next === 'string' || next === undefined || next === null) return undefined;
    if (!Array.isArray(next.value) && !isJsonObject(next.value)) return undefined;
    current = next.value;
  }
  return { container: current, key: unescapePointerToken(parts[parts.length - 1] ?? '') };
}

/** The child at `key`: `{value}` when present (a JSON null is `null`, like an absent member), or an error text. */
function getChild(container: Container, key: string): { value: unknown } | null | string {
  if (!Array.isArray(container)) {
    return hasOwn(container, key) && container[key] !== null ? { value: container[key] } : null;
  }
  const index = arrayIndex(container, key, container.length);
  if (typeof index === 'string') return index;
  return { value: container[index] };
}

/** An existing element's index (negative counts from the end), or an error text. */
function arrayIndex(array: unknown[], key: string, length: number): number | string {
  const parsed = atoi(key);
  if (typeof parsed === 'string') return parsed;
  let index = parsed;
  if (index < 0) {
    if (index < -length) return `Unable to access invalid index: ${index}${INVALID_INDEX}`;
    index += length;
  }
  if (index >= length) return `Unable to access invalid index: ${parsed}${INVALID_INDEX}`;
  return index;
}

function addAt(container: Container, key: string, value: unknown): string | undefined {
  if (!Array.isArray(container)) {
    setOwn(container, key, value);
    return undefined;
  }
  if (key === '-') {
    container.push(value);
    return undefined;
  }
  const parsed = atoi(key);
  if (typeof parsed === 'string') return `value was not a proper array index: '${key}': ${parsed}`;
  const size = container.length + 1;
  let index = parsed;
  if (index >= size) return `Unable to access invalid index: ${parsed}${INVALID_INDEX}`;
  if (index < 0) {
    if (index < -size) return `Unable to access invalid index: ${parsed}${INVALID_INDEX}`;
    index += size;
  }
  container.splice(index, 0, value);
  return undefined;
}

function removeAt(container: Container, key: string): string | undefined {
  if (!Array.isArray(container)) {
    if (!hasOwn(container, key)) return `Unable to remove nonexistent key: ${key}${MISSING}`;
    delete container[key];
    return undefined;
  }
  const index = arrayIndex(container, key, container.length);
  if (typeof index === 'string') return index;
  container.splice(index, 1);
  return undefined;
}

interface Operation {
  raw: JsonObject;
  op: string;
}

/** A string member of an operation: the value, or the Go decoding error when it is missing or not a string. */
function stringMember(operation: JsonObject, name: 'path' | 'from'): string | { error: string } {
  const value = operation[name];
  if (!hasOwn(operation, name) || value === null) {
    return {
      error:
        name === 'path'
          ? `operation missing path field${MISSING}`
          : `operation, missing from field${MISSING}`,
    };
  }
  if (typeof value !== 'string') {
    return { error: `json: cannot unmarshal ${goJsonTypeName(value)} into Go value of type string` };
  }
  return value;
}

function valueOf(operation: JsonObject): unknown {
  return hasOwn(operation, 'value') ? cloneJson(operation['value']) : null;
}

function decodePatch(patch: unknown): Operation[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  return patch.map((item: unknown) => {
    if (item !== null && !isJsonObject(item)) {
      throw badRequest(
        `json: cannot unmarshal ${goJsonTypeName(item)} into Go value of type jsonpatch.Operation`,
      );
    }
    const raw: JsonObject = isJsonObject(item) ? item : {};
    const op = raw['op'];
    return { raw, op: typeof op === 'string' ? op : 'unknown' };
  });
}

/**
 * Applies a JSON Patch document (an array of operations) to a JSON value and returns the result. Throws a
 * PatchError (code ERR_PATCH) with evanphx/json-patch's message when an operation does not apply, or when
 * the patch is not an array of operation objects (400) or has more than 10000 operations (413).
 */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  const operations = decodePatch(patch);
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    const message = `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`;
    throw new PatchError(message, {
      status: 413,
      reason: 'RequestEntityTooLarge',
      statusMessage: `Request entity too large: ${message}`,
    });
  }
  if (!Array.isArray(document) && !isJsonObject(document)) {
    throw badRequest('the document to patch must be a JSON object or array');
  }
  const root = { doc: cloneJson(document) as Container };
  for (const operation of operations) applyOperation(root, operation);
  return root.doc;
}

function applyOperation(root: { doc: Container }, operation: Operation): void {
  switch (operation.op) {
    case 'add':
      return opAdd(root.doc, operation.raw);
    case 'remove':
      return opRemove(root.doc, operation.raw);
    case 'replace':
      return opReplace(root, operation.raw);
    case 'move':
      return opMove(root.doc, operation.raw);
    case 'test':
      return opTest(root.doc, operation.raw);
    case 'copy':
      return opCopy(root.doc, operation.raw);
    default:
      throw applyError(`Unexpected kind: ${operation.op}`);
  }
}

function opAdd(doc: Container, operation: JsonObject): void {
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`add operation failed to decode path${MISSING}`);
  const at = locate(doc, path);
  if (!at) throw applyError(`add operation does not apply: doc is missing path: "${path}"${MISSING}`);
  const failure = addAt(at.container, at.key, valueOf(operation));
  if (failure) throw applyError(`error in add for path: '${path}': ${failure}`);
}

function opRemove(doc: Container, operation: JsonObject): void {
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`remove operation failed to decode path${MISSING}`);
  const at = locate(doc, path);
  if (!at) throw applyError(`remove operation does not apply: doc is missing path: "${path}"${MISSING}`);
  const failure = removeAt(at.container, at.key);
  if (failure) throw applyError(`error in remove for path: '${path}': ${failure}`);
}

function opReplace(root: { doc: Container }, operation: JsonObject): void {
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`replace operation failed to decode path: ${path.error}`);
  if (path === '') {
    const value = valueOf(operation);
    if (!Array.isArray(value) && !isJsonObject(value)) {
      throw applyError('replace operation value must be object or array');
    }
    root.doc = value;
    return;
  }
  const at = locate(root.doc, path);
  if (!at) throw applyError(`replace operation does not apply: doc is missing path: ${path}${MISSING}`);
  if (Array.isArray(at.container)) {
    const index = arrayIndex(at.container, at.key, at.container.length);
    if (typeof index === 'string') {
      throw applyError(`replace operation does not apply: doc is missing key: ${path}${MISSING}`);
    }
    at.container[index] = valueOf(operation);
  } else {
    setOwn(at.container, at.key, valueOf(operation));
  }
}

function opMove(doc: Container, operation: JsonObject): void {
  const from = stringMember(operation, 'from');
  if (typeof from !== 'string') throw applyError(`move operation failed to decode from: ${from.error}`);
  const source = locate(doc, from);
  if (!source) throw applyError(`move operation does not apply: doc is missing from path: ${from}${MISSING}`);
  const child = getChild(source.container, source.key);
  if (typeof child === 'string') throw applyError(`error in move for path: '${source.key}': ${child}`);
  const removed = removeAt(source.container, source.key);
  if (removed) throw applyError(`error in move for path: '${source.key}': ${removed}`);
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`move operation failed to decode path: ${path.error}`);
  const target = locate(doc, path);
  if (!target) {
    throw applyError(`move operation does not apply: doc is missing destination path: ${path}${MISSING}`);
  }
  const failure = addAt(target.container, target.key, child === null ? null : child.value);
  if (failure) throw applyError(`error in move for path: '${path}': ${failure}`);
}

function opTest(doc: Container, operation: JsonObject): void {
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`test operation failed to decode path: ${path.error}`);
  const failed = applyError(`testing value ${path} failed${TEST_FAILED}`);
  const expected = hasOwn(operation, 'value') ? operation['value'] : undefined;
  if (path === '') {
    if (!jsonEqual(doc, expected)) throw failed;
    return;
  }
  const at = locate(doc, path);
  if (!at) throw applyError(`test operation does not apply: is missing path: ${path}${MISSING}`);
  const child = getChild(at.container, at.key);
  if (typeof child === 'string') throw applyError(`error in test for path: '${path}': ${child}`);
  const actual = child === null ? null : child.value;
  if (expected === undefined || !jsonEqual(actual, expected)) throw failed;
}

function opCopy(doc: Container, operation: JsonObject): void {
  const from = stringMember(operation, 'from');
  if (typeof from !== 'string') throw applyError(`copy operation failed to decode from: ${from.error}`);
  const source = locate(doc, from);
  if (!source) throw applyError(`copy operation does not apply: doc is missing from path: ${from}${MISSING}`);
  const child = getChild(source.container, source.key);
  if (typeof child === 'string') throw applyError(`error in copy for from: '${from}': ${child}`);
  const path = stringMember(operation, 'path');
  if (typeof path !== 'string') throw applyError(`copy operation failed to decode path${MISSING}`);
  const target = locate(doc, path);
  if (!target) {
    throw applyError(`copy operation does not apply: doc is missing destination path: ${path}${MISSING}`);
  }
  const failure = addAt(target.container, target.key, child === null ? null : cloneJson(child.value));
  if (failure) throw applyError(`error while adding value during copy: ${failure}`);
}
