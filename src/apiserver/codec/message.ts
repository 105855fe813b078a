/**
 * The descriptor-driven walker: protobuf bytes → the JSON object kube-apiserver's JSON encoder would write for the
 * typed Go object, and back. Pure.
 *
 * Decoding follows gogo's generated `Unmarshal` (fields in any order; unknown fields skipped; a repeated singular
 * message merged into the earlier one, except for the types whose own Unmarshal replaces the value; a later
 * scalar or map key winning; repeated varints packed or not), then Go's JSON encoder: fields in Go struct order,
 * `omitempty` leaving out zero scalars, empty slices and maps and nil pointers, structs always written (so
 * `status: {}` and `creationTimestamp: null`), nil slices and maps without `omitempty` as `null`, map keys in
 * Go's order, invalid UTF-8 replaced byte by byte with U+FFFD.
 *
 * Encoding follows gogo's generated `MarshalToSizedBuffer`: fields in ascending number order; non-pointer scalars
 * and structs always written, even when zero or empty; pointers only when set; map entries {1: key, 2: value} in
 * Go's sorted key order. The JSON object is read as Go's JSON decoder reads it into the typed struct: `null` is
 * the same as absent, fields it does not know are dropped, and a value of the wrong type is an error.
 */
import { CloakError } from '../../common/errors.ts';
import { compareGoStrings } from '../../common/go-strings.ts';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import type { FieldDescriptor, MessageDescriptor } from './descriptors/types.ts';
import { SCALARS, resolve } from './descriptors/types.ts';
import { CodecError } from './errors.ts';
import {
  ZERO_TIME_SECONDS,
  formatRfc3339,
  formatRfc3339Micro,
  isZeroInstant,
  normalizeInstant,
  parseRfc3339,
} from './times.ts';
import type { Field, Reader } from '../../common/protobuf-wire.ts';
import { WIRE_BYTES, Writer, goString, utf8 } from '../../common/protobuf-wire.ts';

export type JsonObject = Record<string, unknown>;

/**
 * A decoded message: field number → value. Scalars are strings, booleans, numbers (int32), bigints (int64) and
 * byte arrays; repeated fields are arrays; maps are `Map`s; messages are nested `Decoded`s.
 */
export type Decoded = Map<number, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Decoding: wire → Decoded
// ---------------------------------------------------------------------------------------------------------

export function decodeMessage(
  reader: Reader,
  descriptor: MessageDescriptor,
  into: Decoded = new Map<number, unknown>(),
): Decoded {
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    const fd = descriptor.byNumber.get(field.number);
    if (fd === undefined) {
      reader.skip(field);
    } else if (fd.map) {
      let map = into.get(fd.number) as Map<string, unknown> | undefined;
      if (map === undefined) {
        map = new Map<string, unknown>();
        into.set(fd.number, map);
      }
      decodeMapEntry(reader.message(field, fd.name), fd, map);
    } else if (fd.repeated) {
      let list = into.get(fd.number) as unknown[] | undefined;
      if (list === undefined) {
        list = [];
        into.set(fd.number, list);
      }
      if (field.wireType === WIRE_BYTES && isVarintType(fd.type)) {
        for (const value of reader.packedVarints(field, fd.name)) list.push(narrowVarint(fd.type, value));
      } else {
        list.push(decodeValue(reader, field, fd.type, fd.name, undefined));
      }
    } else {
      into.set(fd.number, decodeValue(reader, field, fd.type, fd.name, into.get(fd.number)));
    }
  }
  return into;
}

function isVarintType(type: string): boolean {
  return type === 'int32' || type === 'int64' || type === 'bool';
}

function narrowVarint(type: string, value: bigint): unknown {
  if (type === 'bool') return value !== 0n;
  if (type === 'int32') return Number(BigInt.asIntN(32, value));
  return BigInt.asIntN(64, value);
}

function decodeValue(reader: Reader, field: Field, type: string, name: string, previous: unknown): unknown {
  switch (type) {
    case 'string':
      return reader.string(field, name);
    case 'bytes':
      return reader.bytes(field, name);
    case 'bool':
    case 'int32':
    case 'int64':
      return narrowVarint(type, reader.varint(field, name));
  }
  const child = resolve(type);
  const sub = reader.message(field, name);
  const base = !child.replace && previous instanceof Map ? (previous as Decoded) : new Map<number, unknown>();
  return decodeMessage(sub, child, base);
}

/** A map entry {1: key, 2: value}; gogo starts from the zero value, so a missing value reads as "" or empty. */
function decodeMapEntry(reader: Reader, fd: FieldDescriptor, map: Map<string, unknown>): void {
  let key = '';
  let value: unknown;
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === 1) key = reader.string(field, 'key');
    else if (field.number === 2) value = decodeValue(reader, field, fd.type, 'value', value);
    else reader.skip(field);
  }
  map.set(key, value ?? zeroValue(fd.type));
}

function zeroValue(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    case 'int32':
      return 0;
    case 'int64':
      return 0n;
  }
  return new Map<number, unknown>();
}

// ---------------------------------------------------------------------------------------------------------
// Decoding: Decoded → JSON
// ---------------------------------------------------------------------------------------------------------

/** The JSON form of a message; `path` names it in errors (`spec.template.spec.containers[0]`). */
export function messageJson(
  descriptor: MessageDescriptor,
  decoded: Decoded | undefined,
  path: string,
): unknown {
  if (descriptor.special !== undefined) return specialJson(descriptor, decoded, path);
  const out: JsonObject = {};
  writeJsonFields(descriptor, decoded, path, out);
  return out;
}

function writeJsonFields(
  descriptor: MessageDescriptor,
  decoded: Decoded | undefined,
  path: string,
  out: JsonObject,
): void {
  for (const fd of descriptor.fields) {
    const value = decoded?.get(fd.number);
    if (fd.inline) {
      writeJsonFields(resolve(fd.type), value as Decoded | undefined, path, out);
      continue;
    }
    const fieldPath = path === '' ? fd.name : `${path}.${fd.name}`;
    if (fd.map) {
      const map = value as Map<string, unknown> | undefined;
      if (map === undefined || map.size === 0) {
        if (!fd.omitEmpty) out[fd.name] = null;
      } else {
        out[fd.name] = sortedJsonMap(map, (item, key) =>
          valueJson(fd.type, item, `${fieldPath}[${JSON.stringify(key)}]`),
        );
      }
    } else if (fd.repeated) {
      const list = value as unknown[] | undefined;
      if (list === undefined || list.length === 0) {
        if (!fd.omitEmpty) out[fd.name] = null;
      } else {
        out[fd.name] = list.map((item, i) => valueJson(fd.type, item, `${fieldPath}[${i}]`));
      }
    } else if (fd.pointer) {
      if (value !== undefined) out[fd.name] = valueJson(fd.type, value, fieldPath);
      else if (!fd.omitEmpty) out[fd.name] = null;
    } else if (SCALARS.has(fd.type)) {
      if (value === undefined && fd.type === 'bytes') {
        if (!fd.omitEmpty) out[fd.name] = null; // a nil []byte
        continue;
      }
      const scalar = value ?? zeroValue(fd.type);
      if (!fd.omitEmpty || !isZeroScalar(scalar)) out[fd.name] = scalarJson(fd.type, scalar, fieldPath);
    } else {
      // A struct: omitempty does not apply.
      out[fd.name] = messageJson(resolve(fd.type), value as Decoded | undefined, fieldPath);
    }
  }
}

function valueJson(type: string, value: unknown, path: string): unknown {
  if (SCALARS.has(type)) return scalarJson(type, value, path);
  return messageJson(resolve(type), value as Decoded, path);
}

function isZeroScalar(value: unknown): boolean {
  return (
    value === '' ||
    value === false ||
    value === 0 ||
    value === 0n ||
    (value instanceof Uint8Array && value.length === 0)
  );
}

function scalarJson(type: string, value: unknown, path: string): unknown {
  if (type === 'int64') return jsonInteger(value as bigint, path);
  if (type === 'bytes') return encodeStdBase64(value as Uint8Array);
  return value;
}

function jsonInteger(value: bigint, path: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new CodecError(`${path} is outside the integers JSON numbers hold exactly`);
  }
  return n;
}

function specialJson(descriptor: MessageDescriptor, decoded: Decoded | undefined, path: string): unknown {
  switch (descriptor.special) {
    case 'Time': {
      // A zero-length message is the zero time; kube-apiserver keeps whole seconds (nanos are dropped).
      if (decoded === undefined || decoded.size === 0) return null;
      const seconds = (decoded.get(1) as bigint | undefined) ?? 0n;
      return seconds === ZERO_TIME_SECONDS ? null : formatRfc3339(seconds);
    }
    case 'MicroTime': {
      if (decoded === undefined || decoded.size === 0) return null;
      const instant = normalizeInstant(
        (decoded.get(1) as bigint | undefined) ?? 0n,
        BigInt((decoded.get(2) as number | undefined) ?? 0),
      );
      instant.nanos -= instant.nanos % 1000; // Unmarshal truncates to microseconds
      return isZeroInstant(instant) ? null : formatRfc3339Micro(instant);
    }
    case 'IntOrString': {
      const type = (decoded?.get(1) as bigint | undefined) ?? 0n;
      if (type === 0n) return decoded?.get(2) ?? 0;
      if (type === 1n) return decoded?.get(3) ?? '';
      throw new CodecError(`${path} is an IntOrString of unknown type`);
    }
    case 'Quantity': {
      const text = decoded?.get(1) as string | undefined;
      if (text === undefined) return '0';
      if (!isQuantity(text)) throw new CodecError(`${path} is not a valid quantity`);
      return text;
    }
    case 'RawJSON': {
      const raw = decoded?.get(1) as Uint8Array | undefined;
      if (raw === undefined) return null;
      try {
        return JSON.parse(goString(raw)) as unknown;
      } catch {
        // JSON.parse's own message quotes the input: it is not passed on.
        throw new CodecError(`${path} is not valid JSON`);
      }
    }
  }
  throw new Error(`protobuf descriptor ${descriptor.name}: unknown special type`);
}

/**
 * The grammar `resource.ParseQuantity` accepts: a signed decimal number, then a binary-SI suffix (Ki…Ei), a
 * decimal-SI suffix (n u m k M G T P E) or a decimal exponent (e3, E-6).
 */
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/** A JSON object with Go's map key order, safe for keys such as `__proto__`. */
function sortedJsonMap<T>(map: Map<string, T>, toJson: (value: T, key: string) => unknown): JsonObject {
  const out: JsonObject = {};
  for (const key of [...map.keys()].sort(compareGoStrings)) {
    Object.defineProperty(out, key, {
      value: toJson(map.get(key) as T, key),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding: JSON → wire
// ---------------------------------------------------------------------------------------------------------

/** Encodes the JSON object of a message; `path` names it in errors (the top-level object is ""). */
export function encodeMessage(descriptor: MessageDescriptor, object: JsonObject, path: string): Writer {
  const out = new Writer();
  for (const fd of descriptor.wireOrder) {
    if (fd.inline) {
      out.message(fd.number, encodeMessage(resolve(fd.type), object, path));
      continue;
    }
    const fieldPath = path === '' ? fd.name : `${path}.${fd.name}`;
    const value = own(object, fd.name);
    if (fd.map) {
      encodeMap(out, fd, value, fieldPath);
    } else if (fd.repeated) {
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) throw new CodecError(`${fieldPath}: expected an array`);
      value.forEach((item: unknown, i) => writeValue(out, fd.number, fd.type, item, `${fieldPath}[${i}]`));
    } else if (!(fd.pointer && (value === undefined || value === null))) {
      writeValue(out, fd.number, fd.type, value, fieldPath);
    }
  }
  return out;
}

function encodeMap(out: Writer, fd: FieldDescriptor, value: unknown, path: string): void {
  const map = objectValue(value, path);
  if (map === undefined) return;
  for (const key of Object.keys(map).sort(compareGoStrings)) {
    const item = map[key];
    const entry = new Writer();
    entry.string(1, key);
    // A JSON null is a nil []byte, whose field gogo leaves out; "" is an empty, non-nil one.
    if (!(fd.type === 'bytes' && item === null)) {
      writeValue(entry, 2, fd.type, item, `${path}[${JSON.stringify(key)}]`);
    }
    out.message(fd.number, entry);
  }
}

/** Writes one value; `null` and `undefined` are the Go zero value. */
function writeValue(out: Writer, number: number, type: string, value: unknown, path: string): void {
  switch (type) {
    case 'string':
      out.string(number, stringValue(value, path));
      return;
    case 'bool':
      out.bool(number, boolValue(value, path));
      return;
    case 'int64':
      out.int64(number, integerValue(value, path, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
      return;
    case 'int32':
      out.int64(number, integerValue(value, path, -0x80000000, 0x7fffffff));
      return;
    case 'bytes':
      out.bytes(number, value === undefined || value === null ? new Uint8Array(0) : base64Value(value, path));
      return;
  }
  out.message(number, messageWriter(resolve(type), value, path));
}

function messageWriter(descriptor: MessageDescriptor, value: unknown, path: string): Writer {
  const out = new Writer();
  switch (descriptor.special) {
    case 'Time': {
      // Written in whole seconds, nanos always 0; the zero time (or a nil value) is a zero-length message.
      const instant = timeValue(value, path);
      if (instant !== undefined && !(instant.seconds === ZERO_TIME_SECONDS && instant.nanos === 0)) {
        out.int64(1, instant.seconds);
        out.int64(2, 0);
      }
      return out;
    }
    case 'MicroTime': {
      const instant = timeValue(value, path);
      if (instant !== undefined) {
        instant.nanos -= instant.nanos % 1000;
        if (!isZeroInstant(instant)) {
          out.int64(1, instant.seconds);
          out.int64(2, instant.nanos);
        }
      }
      return out;
    }
    case 'IntOrString': {
      if (typeof value === 'string') {
        out.int64(1, 1);
        out.int64(2, 0);
        out.string(3, value);
      } else {
        const n = value === undefined || value === null ? 0 : integerOrString(value, path);
        out.int64(1, 0);
        out.int64(2, n);
        out.string(3, '');
      }
      return out;
    }
    case 'Quantity': {
      let text = '0';
      if (typeof value === 'string') {
        if (!isQuantity(value)) throw new CodecError(`${path}: not a valid quantity`);
        text = value;
      } else if (typeof value === 'number' && Number.isFinite(value)) {
        text = String(value);
      } else if (value !== undefined && value !== null) {
        throw new CodecError(`${path}: expected a quantity string`);
      }
      out.string(1, text);
      return out;
    }
    case 'RawJSON': {
      // The text clients send is the compact form JSON.stringify gives; a nil value leaves Raw out.
      if (value === undefined || value === null) return out;
      let text: unknown;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined; // a BigInt, or a cycle
      }
      if (typeof text !== 'string') throw new CodecError(`${path}: not a JSON value`);
      out.bytes(1, utf8(text));
      return out;
    }
    case undefined:
      return encodeMessage(descriptor, objectValue(value, path) ?? {}, path);
  }
}

// The JSON form, read as Go's JSON decoder reads it into the typed structs.

function own(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectValue(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new CodecError(`${path}: expected an object`);
  return value;
}

function stringValue(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new CodecError(`${path}: expected a string`);
  return value;
}

function boolValue(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new CodecError(`${path}: expected a boolean`);
  return value;
}

function integerValue(value: unknown, path: string, min: number, max: number): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new CodecError(`${path}: expected an integer`);
  }
  if (value < min || value > max) throw new CodecError(`${path}: the integer is out of range`);
  return value;
}

function integerOrString(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new CodecError(`${path}: expected an integer or a string`);
  }
  if (value < -0x80000000 || value > 0x7fffffff) throw new CodecError(`${path}: the integer is out of range`);
  return value;
}

function base64Value(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string') throw new CodecError(`${path}: expected a base64 string`);
  try {
    return decodeStdBase64(value);
  } catch (error) {
    if (error instanceof CloakError) throw new CodecError(`${path}: ${error.message}`);
    throw error;
  }
}

/** `undefined` for a nil (absent or null) time; else the instant, the zero time included. */
function timeValue(value: unknown, path: string): { seconds: bigint; nanos: number } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new CodecError(`${path}: expected an RFC 3339 time string`);
  const parsed = parseRfc3339(value);
  if (parsed === undefined) throw new CodecError(`${path}: not an RFC 3339 time`);
  return parsed;
}
