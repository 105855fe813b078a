/**
 * The conversions sprig applies to `interface {}` arguments, as the Go libraries it uses define them:
 * `strval` (sprig's toString), spf13/cast's ToInt64 / ToInt / ToFloat64 (errors swallowed: anything they cannot
 * convert is 0), sprig's `empty` (Go's zero-ness, a little wider than template truth), reflect.DeepEqual, and
 * the type and kind names `%T` and reflect print. Pure.
 */
import { sprintf } from '../../go-fmt.ts';
import { parseGoFloat, parseGoInteger } from '../../go-strconv.ts';
import { byteStringFromBytes, type ByteString } from '../../../common/go-utf8.ts';
import {
  GoBytes,
  GoFunc,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goTypeOf,
  type GoType,
  type GoValue,
} from '../../values.ts';

const INT64_MIN = -(2n ** 63n);

/** sprig's strval: strings as they are, []byte as bytes, Stringers by String(), everything else by %v. */
export function strval(value: GoValue): ByteString {
  if (typeof value === 'string') return value;
  if (value instanceof GoBytes) return byteStringFromBytes(value.bytes);
  if (value instanceof GoStruct && value.string) return value.string();
  return sprintf('%v', [value]);
}

/** cast's trimZeroDecimal: "12.00" → "12" (only when every digit after the point is 0). */
function trimZeroDecimal(text: string): string {
  let foundZero = false;
  for (let index = text.length; index > 0; index--) {
    const char = text[index - 1];
    if (char === '.') {
      if (foundZero) return text.slice(0, index - 1);
    } else if (char === '0') {
      foundZero = true;
    } else {
      return text;
    }
  }
  return text;
}

/** Go's float64 → int64 conversion on amd64: truncation, and 0x8000000000000000 when out of range or NaN. */
export function float64ToInt64(value: number): bigint {
  if (!Number.isFinite(value) || value >= 2 ** 63 || value < -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(value));
}

/** cast.ToInt64E; undefined where cast reports an error (sprig then uses 0). */
export function castToInt64(value: GoValue): bigint | undefined {
  if (value === null) return 0n;
  if (value instanceof GoInt) return BigInt.asIntN(64, value.value);
  switch (typeof value) {
    case 'number':
      return float64ToInt64(value);
    case 'boolean':
      return value ? 1n : 0n;
    case 'string':
      return parseGoInteger(trimZeroDecimal(value), true);
  }
  return undefined;
}

/** sprig's toInt64 (cast.ToInt64 with the error dropped). */
export function toInt64(value: GoValue): bigint {
  return castToInt64(value) ?? 0n;
}

/** cast.ToFloat64E; undefined where cast reports an error. */
export function castToFloat64(value: GoValue): number | undefined {
  if (value === null) return 0;
  if (value instanceof GoInt) return Number(value.value);
  switch (typeof value) {
    case 'number':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'string': {
      const parsed = parseGoFloat(value);
      return parsed;
    }
  }
  return undefined;
}

/** sprig's toFloat64 (cast.ToFloat64 with the error dropped). */
export function toFloat64(value: GoValue): number {
  return castToFloat64(value) ?? 0;
}

/** The length of a value reflect can take Len of (strings, slices, maps), else undefined. */
export function lengthOf(value: GoValue): number | undefined {
  if (typeof value === 'string') return value.length;
  if (value instanceof GoList) return value.items.length;
  if (value instanceof GoBytes) return value.bytes.length;
  if (value instanceof GoMap) return value.entries.size;
  return undefined;
}

/** sprig's empty: nil, zero numbers, false, empty strings, slices and maps. Structs are never empty. */
export function isEmpty(value: GoValue): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
      return value.length === 0;
    case 'boolean':
      return !value;
    case 'number':
      return value === 0;
  }
  if (value instanceof GoInt) return value.value === 0n;
  const length = lengthOf(value);
  if (length !== undefined) return length === 0;
  // Structs are never empty; pointers and funcs only when nil, which the data model does not produce.
  return false;
}

/** Whether the value is a slice (what sprig's list functions accept: reflect.Slice or reflect.Array). */
export function isSliceLike(value: GoValue): value is GoList | GoBytes {
  return value instanceof GoList || value instanceof GoBytes;
}

/** The elements of a slice as interface{} values (reflect's Index(i).Interface()). */
export function sliceItems(value: GoList | GoBytes): GoValue[] {
  if (value instanceof GoBytes) return [...value.bytes].map((byte) => new GoInt('uint8', BigInt(byte)));
  return [...value.items];
}

/** reflect.Kind's name for a value ("invalid" for nil). */
export function kindName(value: GoValue): string {
  if (value === null) return 'invalid';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
  }
  if (value instanceof GoInt) return value.kind;
  if (value instanceof GoList || value instanceof GoBytes) return 'slice';
  if (value instanceof GoMap) return 'map';
  if (value instanceof GoStruct) return value.pointer ? 'ptr' : 'struct';
  if (value instanceof GoFunc) return 'func';
  return 'invalid';
}

/** The type as %T prints it. */
export function typeName(value: GoValue): GoType {
  return goTypeOf(value);
}

/** reflect.DeepEqual on template values. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  return deepEqualWith(a, b, new Map());
}

function deepEqualWith(a: GoValue, b: GoValue, visited: Map<object, Set<object>>): boolean {
  if (a === null || b === null) return a === b;
  if (goTypeOf(a) !== goTypeOf(b)) return false;
  switch (typeof a) {
    case 'string':
    case 'boolean':
      return a === b;
    case 'number':
      return a === b;
  }
  if (a instanceof GoInt) return a.value === (b as GoInt).value;
  if (a === b) return true;
  if (typeof a === 'object') {
    // Cyclic values (a dict set into itself) compare equal where they meet again, as reflect's do.
    const seen = visited.get(a);
    if (seen?.has(b as object)) return true;
    if (seen) seen.add(b as object);
    else visited.set(a, new Set([b as object]));
  }
  if (a instanceof GoBytes) {
    const other = b as GoBytes;
    if (a.isNil !== other.isNil || a.bytes.length !== other.bytes.length) return false;
    return a.bytes.every((byte, index) => byte === other.bytes[index]);
  }
  if (a instanceof GoList) {
    const other = b as GoList;
    if (a.isNil !== other.isNil || a.items.length !== other.items.length) return false;
    return a.items.every((item, index) => deepEqualWith(item, other.items[index]!, visited));
  }
  if (a instanceof GoMap) {
    const other = b as GoMap;
    if (a.isNil !== other.isNil || a.entries.size !== other.entries.size) return false;
    for (const [key, item] of a.entries) {
      if (!other.entries.has(key)) return false;
      if (!deepEqualWith(item, other.entries.get(key)!, visited)) return false;
    }
    return true;
  }
  if (a instanceof GoStruct) {
    const other = b as GoStruct;
    if (a.fields.size !== other.fields.size) return false;
    for (const [name, field] of a.fields) {
      const otherField = other.fields.get(name);
      if (otherField === undefined || !deepEqualWith(field, otherField, visited)) return false;
    }
    return true;
  }
  // Functions are equal only when both are nil.
  return false;
}
