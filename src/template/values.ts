/**
 * THE data model of the template engine: which JavaScript values stand for which Go values. Go templates see
 * typed values (an `int` prints and compares differently from a `float64`, a `map[string]string` answers a
 * missing key differently from a `map[string]interface {}`), so every value here carries its Go type, either
 * by its JavaScript kind or explicitly:
 *
 * | Go                              | JavaScript                                                   |
 * |---------------------------------|--------------------------------------------------------------|
 * | string                          | string, as a byte string (a code unit per byte, go-utf8.ts)  |
 * | bool                            | boolean                                                      |
 * | float64                         | number                                                       |
 * | int, int8…int64, uint…uint64    | GoInt (kind + bigint value: int64 exactness)                 |
 * | []T (slices and arrays)         | GoList (type "[]T" + items)                                  |
 * | []byte                          | GoBytes (type "[]uint8")                                     |
 * | map[string]T                    | GoMap (type "map[string]T" + entries; iterated in key order) |
 * | struct / *struct                | GoStruct (type name, exported fields, optional String())     |
 * | func(…) …                       | GoFunc (signature + implementation)                          |
 * | nil interface (untyped nil)     | null                                                         |
 *
 * Maps have string keys only: every producer the engine serves (JSON, YAML, External Secrets' and Sealed
 * Secrets' data, sprig's dicts) makes string-keyed maps. Complex numbers are not modelled (templates that
 * write imaginary constants get an error). Values are immutable once handed to the engine, except that maps
 * are references as in Go: sprig's set, unset and merge change them in place (GoMap.setEntry/deleteEntry).
 *
 * JSON data becomes what Go's encoding/json makes of it when decoding into interface{}: objects are
 * map[string]interface {}, arrays []interface {}, every number float64 (so 1000000 prints as 1e+06).
 */
import { CloakError } from '../common/errors.ts';
import { byteStringFromBytes, byteStringFromText, type ByteString } from '../common/go-utf8.ts';

/** A Go type written as Go's reflect prints it: "int", "[]interface {}", "map[string]string", "func(int) int". */
export type GoType = string;

export const INTERFACE = 'interface {}';

export type IntKind =
  | 'int'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'uintptr';

const INT_RANGES: Record<IntKind, readonly [bigint, bigint]> = {
  int: [-(2n ** 63n), 2n ** 63n - 1n],
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint: [0n, 2n ** 64n - 1n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  uintptr: [0n, 2n ** 64n - 1n],
};

export function isIntKind(type: GoType): type is IntKind {
  return Object.hasOwn(INT_RANGES, type);
}

export function isUnsignedKind(kind: IntKind): boolean {
  return kind.startsWith('u');
}

/** A Go integer of a definite kind. Go's `int` is 64 bits on every platform Cloak's counterparts ship for. */
export class GoInt {
  readonly kind: IntKind;
  readonly value: bigint;

  constructor(kind: IntKind, value: bigint) {
    const [min, max] = INT_RANGES[kind];
    // Go's conversions wrap; keeping the same rule means arithmetic in functions cannot leave the kind's range.
    if (value < min || value > max) {
      value = min < 0n ? BigInt.asIntN(bitSize(kind), value) : BigInt.asUintN(bitSize(kind), value);
    }
    this.kind = kind;
    this.value = value;
  }

  toString(): string {
    return this.value.toString();
  }
}

function bitSize(kind: IntKind): number {
  if (kind.endsWith('8')) return 8;
  if (kind.endsWith('16')) return 16;
  if (kind.endsWith('32')) return 32;
  return 64;
}

/** A Go `int`, the type of integer constants, `len` and range indexes. */
export function goInt(value: number | bigint): GoInt {
  return new GoInt('int', BigInt(value));
}

/** A slice ("[]T"). `items` are values of the element type; for "[]interface {}" any value including null. */
export class GoList {
  readonly type: GoType;
  readonly items: readonly GoValue[];
  /** A nil slice: prints "[]" like an empty one, but "%#v" shows "[]T(nil)". */
  readonly isNil: boolean;

  constructor(type: GoType, items: readonly GoValue[], isNil = false) {
    this.type = type;
    this.items = items;
    this.isNil = isNil;
  }

  get elementType(): GoType {
    return this.type.slice(2);
  }
}

/** A `[]interface {}` holding these values. */
export function goList(items: readonly GoValue[]): GoList {
  return new GoList(`[]${INTERFACE}`, items);
}

/** A `[]string`. */
export function goStringList(items: readonly ByteString[]): GoList {
  return new GoList('[]string', items);
}

/** A `[]byte`. Kept apart from GoList so that bytes stay compact and print as Go prints []byte. */
export class GoBytes {
  readonly type = '[]uint8';
  readonly bytes: Uint8Array;
  readonly isNil: boolean;

  constructor(bytes: Uint8Array, isNil = false) {
    this.bytes = bytes;
    this.isNil = isNil;
  }
}

/** A map with string keys ("map[string]T"). Iteration and printing use sorted keys, as Go's fmt and range do. */
export class GoMap {
  readonly type: GoType;
  readonly entries: ReadonlyMap<ByteString, GoValue>;
  readonly isNil: boolean;
  #sortedKeys: ByteString[] | undefined;

  constructor(type: GoType, entries: ReadonlyMap<ByteString, GoValue>, isNil = false) {
    if (!type.startsWith('map[string]'))
      throw new TypeError(`unsupported map type ${type}: keys must be strings`);
    this.type = type;
    this.entries = entries;
    this.isNil = isNil;
  }

  get elementType(): GoType {
    return this.type.slice('map[string]'.length);
  }

  /**
   * Writes an entry in place. Go maps are references, and sprig's `set`, `unset` and `merge` change the map
   * every holder sees (`{{ $_ := set $d "k" 1 }}` is how templates build dicts), so these two exist for
   * template functions; nothing else mutates values. Writing to a nil map fails as Go's does (it panics).
   */
  setEntry(key: ByteString, value: GoValue): void {
    if (this.isNil) throw new Error('assignment to entry in nil map');
    (this.entries as Map<ByteString, GoValue>).set(key, value);
    this.#sortedKeys = undefined;
  }

  /** Deletes an entry in place (Go's delete: a no-op for a missing key or a nil map). */
  deleteEntry(key: ByteString): void {
    if ((this.entries as Map<ByteString, GoValue>).delete(key)) this.#sortedKeys = undefined;
  }

  /** Keys in Go's order for strings: by bytes, which for byte strings is code unit order. */
  sortedKeys(): readonly ByteString[] {
    this.#sortedKeys ??= [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.#sortedKeys;
  }
}

/** A `map[string]interface {}` from key/value pairs (keys as byte strings). */
export function goMap(entries: Iterable<readonly [ByteString, GoValue]>): GoMap {
  return new GoMap(`map[string]${INTERFACE}`, new Map(entries));
}

/** A `map[string]string`: the data External Secrets and Sealed Secrets give their templates. */
export function goStringMap(entries: Iterable<readonly [ByteString, ByteString]>): GoMap {
  return new GoMap('map[string]string', new Map(entries));
}

/**
 * A struct value (or a pointer to one, which fmt prints with a leading "&"): sprig's certificate results,
 * semver versions and the like. Fields are the exported ones, in declaration order. `methods` are niladic or
 * not, called as `.Method args`; `string` makes the value a fmt.Stringer (fmt prints its result).
 */
export class GoStruct {
  readonly type: GoType;
  readonly fields: ReadonlyMap<string, GoValue>;
  readonly pointer: boolean;
  readonly methods: ReadonlyMap<string, GoFunc>;
  readonly string: (() => ByteString) | undefined;

  constructor(options: {
    type: GoType;
    fields?: Iterable<readonly [string, GoValue]>;
    pointer?: boolean;
    methods?: Iterable<readonly [string, GoFunc]>;
    string?: () => ByteString;
  }) {
    this.type = options.pointer ? `*${options.type}` : options.type;
    this.fields = new Map(options.fields ?? []);
    this.pointer = options.pointer ?? false;
    this.methods = new Map(options.methods ?? []);
    this.string = options.string;
  }
}

/**
 * A Go function's signature. `params` are the parameter types; when `variadic` is set the last one is the
 * element type T of `...T`. `result` is the first result type; `returnsError` says a second `error` result
 * exists (the implementation reports it by throwing, see functions.ts).
 */
export interface GoSignature {
  readonly params: readonly GoType[];
  readonly variadic: boolean;
  readonly result: GoType;
  readonly returnsError: boolean;
}

/** What the engine gives a function besides its arguments. */
export interface CallContext {
  /** Counts work against the render's step budget; functions that loop over big inputs should call it. */
  charge(steps: number): void;
  /** The output limit of the render, for functions that build big strings (repeat, etc.). */
  readonly maxOutputBytes: number;
  /**
   * The render's clock (RenderOptions.now; the system clock when the caller gave none): sprig's certificate
   * functions date their certificates with it, so a caller that needs reproducible output passes a fixed time.
   */
  readonly now?: () => Date;
}

export type GoFuncImplementation = (args: GoValue[], context: CallContext) => GoValue;

/** A function value: what a FuncMap holds, and what `call` invokes. */
export class GoFunc {
  readonly name: string;
  readonly signature: GoSignature;
  readonly implementation: GoFuncImplementation;

  constructor(name: string, signature: GoSignature, implementation: GoFuncImplementation) {
    this.name = name;
    this.signature = signature;
    this.implementation = implementation;
  }

  /** The type as reflect prints it: "func(string, ...int) (string, error)". */
  get type(): GoType {
    const { params, variadic, result, returnsError } = this.signature;
    const shown = params.map((param, index) =>
      variadic && index === params.length - 1 ? `...${param}` : param,
    );
    return `func(${shown.join(', ')}) ${returnsError ? `(${result}, error)` : result}`;
  }
}

/** Every value a template can hold. `null` is the nil interface (Go's untyped nil). */
export type GoValue =
  ByteString | boolean | number | GoInt | GoList | GoBytes | GoMap | GoStruct | GoFunc | null;

/** Data that cannot become template values (not JSON, nested beyond what can be walked). */
export class TemplateDataError extends CloakError {
  constructor(message: string) {
    super('ERR_TEMPLATE_DATA', message);
  }
}

/** The Go type of a value, as %T prints it ("<nil>" for the nil interface). */
export function goTypeOf(value: GoValue): GoType {
  if (value === null) return '<nil>';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
  }
  if (value instanceof GoInt) return value.kind;
  return value.type;
}

/** The zero value of a type, as reflect.Zero gives it (nil slices and maps, "" and 0 for the basic types). */
export function zeroValue(type: GoType): GoValue {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'float64' || type === 'float32') return 0;
  if (isIntKind(type)) return new GoInt(type, 0n);
  if (type === '[]uint8') return new GoBytes(new Uint8Array(0), true);
  if (type.startsWith('[]')) return new GoList(type, [], true);
  if (type.startsWith('map[string]')) return new GoMap(type, new Map(), true);
  return null;
}

/** Whether an untyped nil can be assigned to the type (reflect's rule: interfaces, slices, maps, funcs, pointers). */
export function canBeNil(type: GoType): boolean {
  return (
    type === INTERFACE ||
    type === 'reflect.Value' ||
    type.startsWith('[]') ||
    type.startsWith('map[') ||
    type.startsWith('func(') ||
    type.startsWith('*')
  );
}

/**
 * The template data Go's encoding/json produces when decoding into interface{}, from what JSON.parse returned:
 * objects → map[string]interface {}, arrays → []interface {}, numbers → float64, strings → byte strings.
 */
export function goValueFromJson(json: unknown): GoValue {
  try {
    return fromJson(json);
  } catch (error) {
    // Go's decoder stops at 10,000 levels; a JavaScript stack may end earlier.
    if (error instanceof RangeError) throw new TemplateDataError('JSON data is nested too deeply');
    throw error;
  }
}

function fromJson(json: unknown): GoValue {
  if (json === null || json === undefined) return null;
  switch (typeof json) {
    case 'string':
      return byteStringFromText(json);
    case 'number':
    case 'boolean':
      return json;
  }
  if (Array.isArray(json)) return goList(json.map((item) => fromJson(item)));
  if (typeof json === 'object') {
    return goMap(
      Object.entries(json as Record<string, unknown>).map(([key, item]) => [
        byteStringFromText(key),
        fromJson(item),
      ]),
    );
  }
  throw new TemplateDataError(`not a JSON value: ${typeof json}`);
}

/** Data as External Secrets and Sealed Secrets pass it: map[string]string, values given as bytes or text. */
export function goStringMapFromRecord(record: Readonly<Record<string, string | Uint8Array>>): GoMap {
  return goStringMap(
    Object.entries(record).map(([key, value]) => [
      byteStringFromText(key),
      typeof value === 'string' ? byteStringFromText(value) : byteStringFromBytes(value),
    ]),
  );
}
