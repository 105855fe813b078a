/**
 * The value kube-apiserver (1.32) writes to etcd for a Secret or a ConfigMap, byte for byte: the magic `k8s\0`
 * followed by a proto2 `runtime.Unknown` {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding,
 * 4: contentType} whose `raw` is the `k8s.io.api.core.v1.Secret` / `ConfigMap` message. Pure.
 *
 * The encoder follows gogo's generated `MarshalToSizedBuffer`: fields in ascending number order; non-pointer
 * strings and int64s always written, even when empty or zero; pointer fields (`immutable`, `deletionTimestamp`,
 * `deletionGracePeriodSeconds`, `controller`, `blockOwnerDeletion`, `time`, `fieldsV1`) only when set; maps only
 * when non-empty, as entries {1: key, 2: value} in Go's sorted key order (a nil `[]byte` value leaves field 2
 * out); `meta.v1.Time` as {1: seconds, 2: nanos = 0}, or a zero-length message for the zero time; Unknown's
 * fields 3 and 4 as empty strings.
 *
 * The decoder follows gogo's generated `Unmarshal` (fields in any order, unknown fields skipped, a repeated
 * singular message merged into the earlier one, a later scalar or map key winning) and then Go's JSON encoder:
 * fields in Go struct order, `omitempty` rules, `creationTimestamp: null` for the zero time, map keys in Go's
 * order, invalid UTF-8 replaced byte by byte with U+FFFD.
 *
 * The object in JSON form is read as Go's JSON decoder reads it into the typed struct: `null` is the same as
 * absent (except that a `null` value in `data`/`binaryData` is a nil byte slice), fields it does not know are
 * dropped, and a value of the wrong type is an error.
 */
import { CloakError } from '../../common/errors.ts';
import { compareGoStrings } from '../../common/go-strings.ts';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';

export class CodecError extends CloakError {
  constructor(message: string) {
    super('ERR_CODEC', message);
  }
}

/** The kinds kube-apiserver stores in this envelope here, all with apiVersion {@link PROTOBUF_API_VERSION}. */
export const PROTOBUF_KINDS: ReadonlySet<string> = new Set(['Secret', 'ConfigMap']);
export const PROTOBUF_API_VERSION = 'v1';

const MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

/** Whether a stored value is in the Kubernetes protobuf envelope (it starts with `k8s\0`). */
export function isProtobufEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((byte, i) => bytes[i] === byte);
}

type JsonObject = Record<string, unknown>;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** Unix seconds of Go's zero time, 0001-01-01T00:00:00Z: the time `IsZero()`. */
const ZERO_TIME_SECONDS = -62135596800n;

/** ObjectMeta's string fields 1 to 6, in field-number (and Go struct) order. */
const OBJECT_META_STRINGS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
] as const;

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LENIENT_UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

// ---------------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------------

/** Encodes a v1 Secret or ConfigMap, given in its JSON form, as kube-apiserver writes it to etcd. */
export function encodeStorageObject(object: Record<string, unknown>): Uint8Array {
  if (!isObject(object)) throw new CodecError('cannot encode: the object is not a JSON object');
  const kind = own(object, 'kind');
  const apiVersion = own(object, 'apiVersion');
  if (typeof kind !== 'string' || !PROTOBUF_KINDS.has(kind) || apiVersion !== PROTOBUF_API_VERSION) {
    throw new CodecError(
      `cannot encode ${describeType(apiVersion, kind)} as protobuf: only v1 Secret and ConfigMap are supported`,
    );
  }
  const body = kind === 'Secret' ? secretMessage(object) : configMapMessage(object);

  const typeMeta = new Writer();
  typeMeta.string(1, apiVersion);
  typeMeta.string(2, kind);
  const unknown = new Writer();
  unknown.raw(MAGIC);
  unknown.message(1, typeMeta);
  unknown.message(2, body);
  unknown.string(3, '');
  unknown.string(4, '');
  return unknown.finish();
}

function secretMessage(secret: JsonObject): Writer {
  const out = new Writer();
  out.message(1, objectMetaMessage(optObject(secret, 'metadata', 'metadata') ?? {}, 'metadata'));
  bytesMap(out, 2, secret, 'data');
  out.string(3, optString(secret, 'type', 'type'));
  stringMap(out, 4, secret, 'stringData');
  const immutable = optBool(secret, 'immutable', 'immutable');
  if (immutable !== undefined) out.bool(5, immutable);
  return out;
}

function configMapMessage(configMap: JsonObject): Writer {
  const out = new Writer();
  out.message(1, objectMetaMessage(optObject(configMap, 'metadata', 'metadata') ?? {}, 'metadata'));
  stringMap(out, 2, configMap, 'data');
  bytesMap(out, 3, configMap, 'binaryData');
  const immutable = optBool(configMap, 'immutable', 'immutable');
  if (immutable !== undefined) out.bool(4, immutable);
  return out;
}

function objectMetaMessage(meta: JsonObject, path: string): Writer {
  const out = new Writer();
  OBJECT_META_STRINGS.forEach((field, i) => out.string(i + 1, optString(meta, field, `${path}.${field}`)));
  out.int64(7, optInteger(meta, 'generation', `${path}.generation`) ?? 0);
  out.message(8, timeMessage(optTime(meta, 'creationTimestamp', `${path}.creationTimestamp`)));
  const deletion = optTime(meta, 'deletionTimestamp', `${path}.deletionTimestamp`);
  if (deletion !== undefined) out.message(9, timeMessage(deletion));
  const grace = optInteger(meta, 'deletionGracePeriodSeconds', `${path}.deletionGracePeriodSeconds`);
  if (grace !== undefined) out.int64(10, grace);
  stringMap(out, 11, meta, 'labels', path);
  stringMap(out, 12, meta, 'annotations', path);
  optArray(meta, 'ownerReferences', path).forEach((item, i) => {
    out.message(13, ownerReferenceMessage(item, `${path}.ownerReferences[${i}]`));
  });
  optArray(meta, 'finalizers', path).forEach((item, i) => {
    out.string(14, stringValue(item, `${path}.finalizers[${i}]`));
  });
  optArray(meta, 'managedFields', path).forEach((item, i) => {
    out.message(17, managedFieldsEntryMessage(item, `${path}.managedFields[${i}]`));
  });
  return out;
}

function ownerReferenceMessage(item: unknown, path: string): Writer {
  const ref = objectValue(item, path) ?? {};
  const out = new Writer();
  out.string(1, optString(ref, 'kind', `${path}.kind`));
  out.string(3, optString(ref, 'name', `${path}.name`));
  out.string(4, optString(ref, 'uid', `${path}.uid`));
  out.string(5, optString(ref, 'apiVersion', `${path}.apiVersion`));
  const controller = optBool(ref, 'controller', `${path}.controller`);
  if (controller !== undefined) out.bool(6, controller);
  const blockOwnerDeletion = optBool(ref, 'blockOwnerDeletion', `${path}.blockOwnerDeletion`);
  if (blockOwnerDeletion !== undefined) out.bool(7, blockOwnerDeletion);
  return out;
}

function managedFieldsEntryMessage(item: unknown, path: string): Writer {
  const entry = objectValue(item, path) ?? {};
  const out = new Writer();
  out.string(1, optString(entry, 'manager', `${path}.manager`));
  out.string(2, optString(entry, 'operation', `${path}.operation`));
  out.string(3, optString(entry, 'apiVersion', `${path}.apiVersion`));
  const time = optTime(entry, 'time', `${path}.time`);
  if (time !== undefined) out.message(4, timeMessage(time));
  out.string(6, optString(entry, 'fieldsType', `${path}.fieldsType`));
  const fields = own(entry, 'fieldsV1');
  if (fields !== undefined && fields !== null) {
    // FieldsV1.UnmarshalJSON keeps the JSON text itself as Raw; its compact form is what clients send.
    let text: unknown;
    try {
      text = JSON.stringify(fields);
    } catch {
      text = undefined; // a BigInt, or a cycle
    }
    if (typeof text !== 'string') throw new CodecError(`${path}.fieldsV1: not a JSON value`);
    const fieldsV1 = new Writer();
    fieldsV1.bytes(1, UTF8.encode(text));
    out.message(7, fieldsV1);
  }
  out.string(8, optString(entry, 'subresource', `${path}.subresource`));
  return out;
}

/** `undefined`: no time (nil pointer); `null`: the zero time; else Unix seconds. */
type TimeValue = bigint | null;

function timeMessage(time: TimeValue | undefined): Writer {
  const out = new Writer();
  if (time !== undefined && time !== null) {
    out.int64(1, time);
    out.int64(2, 0);
  }
  return out;
}

function stringMap(out: Writer, field: number, parent: JsonObject, name: string, parentPath?: string): void {
  const path = parentPath === undefined ? name : `${parentPath}.${name}`;
  const map = optObject(parent, name, path);
  if (map === undefined) return;
  for (const key of Object.keys(map).sort(compareGoStrings)) {
    const entry = new Writer();
    entry.string(1, key);
    entry.string(2, optString(map, key, `${path}[${JSON.stringify(key)}]`));
    out.message(field, entry);
  }
}

function bytesMap(out: Writer, field: number, parent: JsonObject, name: string): void {
  const map = optObject(parent, name, name);
  if (map === undefined) return;
  for (const key of Object.keys(map).sort(compareGoStrings)) {
    const value = map[key];
    const entry = new Writer();
    entry.string(1, key);
    // A JSON null is a nil []byte, whose field gogo leaves out; "" is an empty, non-nil one.
    if (value !== null) entry.bytes(2, base64Value(value, `${name}[${JSON.stringify(key)}]`));
    out.message(field, entry);
  }
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

// The JSON form, read as Go's JSON decoder reads it into the typed structs.

function own(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectValue(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new CodecError(`${path}: expected an object`);
  return value;
}

function optObject(parent: JsonObject, name: string, path: string): JsonObject | undefined {
  return objectValue(own(parent, name), path);
}

function stringValue(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new CodecError(`${path}: expected a string`);
  return value;
}

function optString(parent: JsonObject, name: string, path: string): string {
  return stringValue(own(parent, name), path);
}

function optBool(parent: JsonObject, name: string, path: string): boolean | undefined {
  const value = own(parent, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new CodecError(`${path}: expected a boolean`);
  return value;
}

function optInteger(parent: JsonObject, name: string, path: string): number | undefined {
  const value = own(parent, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new CodecError(`${path}: expected an integer`);
  }
  return value;
}

function optArray(parent: JsonObject, name: string, parentPath: string): unknown[] {
  const value = own(parent, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new CodecError(`${parentPath}.${name}: expected an array`);
  return value;
}

/** `undefined` when absent or null (a nil pointer), `null` for the zero time, else Unix seconds. */
function optTime(parent: JsonObject, name: string, path: string): TimeValue | undefined {
  const value = own(parent, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new CodecError(`${path}: expected an RFC 3339 time string`);
  const parsed = parseRfc3339(value);
  if (parsed === undefined) throw new CodecError(`${path}: not an RFC 3339 time`);
  return parsed.seconds === ZERO_TIME_SECONDS && !parsed.fraction ? null : parsed.seconds;
}

/**
 * Go's `time.Parse(time.RFC3339, s)` fast path: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, fields in range.
 * The seconds are what `Time.Unix()` returns; the fraction matters only for `IsZero()` (protobuf drops it).
 */
function parseRfc3339(text: string): { seconds: bigint; fraction: boolean } | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (match[8] !== undefined) {
    const offsetHours = Number(match[9]);
    const offsetMinutes = Number(match[10]);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (match[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60;
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  // Go reads at most nine fraction digits.
  const fraction = /[1-9]/.test((match[7] ?? '').slice(0, 9));
  return { seconds: BigInt(seconds), fraction };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** `t.UTC().Format(time.RFC3339)` for a whole-second time. */
function formatRfc3339(seconds: bigint): string {
  let days = seconds / 86400n;
  let secondOfDay = seconds % 86400n;
  if (secondOfDay < 0n) {
    days -= 1n;
    secondOfDay += 86400n;
  }
  const [year, month, day] = civilFromDays(Number(days));
  const sod = Number(secondOfDay);
  const yearText = (year < 0 ? '-' : '') + String(Math.abs(year)).padStart(4, '0');
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${yearText}-${two(month)}-${two(day)}T${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}Z`;
}

/** Collects a message's bytes; nested messages are appended without copying until `finish`. */
class Writer {
  length = 0;
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];

  raw(data: Uint8Array): void {
    if (data.length < 64) {
      for (const byte of data) this.pending.push(byte);
    } else {
      this.flush();
      this.parts.push(data);
    }
    this.length += data.length;
  }

  varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let n = value;
      while (n >= 0x80) {
        this.pending.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
        this.length++;
      }
      this.pending.push(n);
      this.length++;
      return;
    }
    // Negative int64s are written as their 64-bit two's complement: ten bytes.
    let n = BigInt.asUintN(64, BigInt(value));
    while (n >= 0x80n) {
      this.pending.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
      this.length++;
    }
    this.pending.push(Number(n));
    this.length++;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(data.length);
    this.raw(data);
  }

  string(field: number, value: string): void {
    this.bytes(field, UTF8.encode(value));
  }

  int64(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  bool(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value ? 1 : 0);
  }

  message(field: number, child: Writer): void {
    this.tag(field, WIRE_BYTES);
    this.varint(child.length);
    this.flush();
    child.flush();
    for (const part of child.parts) this.parts.push(part);
    this.length += child.length;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------------

/** Decodes a value kube-apiserver stored in etcd into the object's JSON form, as the API would return it. */
export function decodeStorageObject(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) throw new CodecError('cannot decode an empty value');
  if (!isProtobufEnvelope(bytes)) {
    throw new CodecError('not a Kubernetes protobuf value: it does not start with the magic "k8s\\0"');
  }
  const typeMeta = { apiVersion: '', kind: '' };
  let raw: Reader | undefined;
  const reader = new Reader(bytes, MAGIC.length, bytes.length, 'Unknown');
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === 1) {
      const sub = reader.message(field, 'typeMeta');
      for (let f = sub.next(); f !== undefined; f = sub.next()) {
        if (f.number === 1) typeMeta.apiVersion = sub.string(f, 'apiVersion');
        else if (f.number === 2) typeMeta.kind = sub.string(f, 'kind');
        else sub.skip(f);
      }
    } else if (field.number === 2) {
      raw = reader.message(field, 'raw');
    } else if (field.number === 3 || field.number === 4) {
      reader.string(field, field.number === 3 ? 'contentEncoding' : 'contentType');
    } else {
      reader.skip(field);
    }
  }
  const { apiVersion, kind } = typeMeta;
  if (apiVersion !== PROTOBUF_API_VERSION || !PROTOBUF_KINDS.has(kind)) {
    throw new CodecError(
      `cannot decode ${describeType(apiVersion, kind)}: only v1 Secret and ConfigMap are supported`,
    );
  }
  // Without raw, Go unmarshals nothing into an empty object.
  const body = (raw ?? new Reader(bytes, bytes.length, bytes.length, '')).renamed(kind);
  return kind === 'Secret' ? decodeSecret(body) : decodeConfigMap(body);
}

function decodeSecret(reader: Reader): JsonObject {
  const meta = emptyObjectMeta();
  const data = new Map<string, Uint8Array>();
  const stringData = new Map<string, string>();
  let type = '';
  let immutable: boolean | undefined;
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field.number) {
      case 1:
        decodeObjectMeta(reader.message(field, 'metadata'), meta);
        break;
      case 2:
        decodeMapEntry(reader.message(field, 'data'), data, true);
        break;
      case 3:
        type = reader.string(field, 'type');
        break;
      case 4:
        decodeMapEntry(reader.message(field, 'stringData'), stringData, false);
        break;
      case 5:
        immutable = reader.bool(field, 'immutable');
        break;
      default:
        reader.skip(field);
    }
  }
  const out: JsonObject = {
    kind: 'Secret',
    apiVersion: PROTOBUF_API_VERSION,
    metadata: objectMetaJson(meta),
  };
  if (immutable !== undefined) out['immutable'] = immutable;
  if (data.size > 0) out['data'] = sortedJsonMap(data, encodeStdBase64);
  if (stringData.size > 0) out['stringData'] = sortedJsonMap(stringData, (value) => value);
  if (type !== '') out['type'] = type;
  return out;
}

function decodeConfigMap(reader: Reader): JsonObject {
  const meta = emptyObjectMeta();
  const data = new Map<string, string>();
  const binaryData = new Map<string, Uint8Array>();
  let immutable: boolean | undefined;
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field.number) {
      case 1:
        decodeObjectMeta(reader.message(field, 'metadata'), meta);
        break;
      case 2:
        decodeMapEntry(reader.message(field, 'data'), data, false);
        break;
      case 3:
        decodeMapEntry(reader.message(field, 'binaryData'), binaryData, true);
        break;
      case 4:
        immutable = reader.bool(field, 'immutable');
        break;
      default:
        reader.skip(field);
    }
  }
  const out: JsonObject = {
    kind: 'ConfigMap',
    apiVersion: PROTOBUF_API_VERSION,
    metadata: objectMetaJson(meta),
  };
  if (immutable !== undefined) out['immutable'] = immutable;
  if (data.size > 0) out['data'] = sortedJsonMap(data, (value) => value);
  if (binaryData.size > 0) out['binaryData'] = sortedJsonMap(binaryData, encodeStdBase64);
  return out;
}

function decodeMapEntry(reader: Reader, map: Map<string, string>, bytesValue: false): void;
function decodeMapEntry(reader: Reader, map: Map<string, Uint8Array>, bytesValue: true): void;
function decodeMapEntry(reader: Reader, map: Map<string, unknown>, bytesValue: boolean): void {
  let key = '';
  // gogo starts from an empty value: a missing field 2 reads as "" (never as a nil []byte).
  let value: string | Uint8Array = bytesValue ? new Uint8Array(0) : '';
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === 1) key = reader.string(field, 'key');
    else if (field.number === 2)
      value = bytesValue ? reader.bytes(field, 'value') : reader.string(field, 'value');
    else reader.skip(field);
  }
  map.set(key, value);
}

interface ObjectMetaFields {
  strings: string[];
  generation: bigint;
  creationTimestamp: TimeValue;
  deletionTimestamp: TimeValue | undefined;
  deletionGracePeriodSeconds: bigint | undefined;
  labels: Map<string, string>;
  annotations: Map<string, string>;
  ownerReferences: OwnerReferenceFields[];
  finalizers: string[];
  managedFields: ManagedFieldsEntryFields[];
}

function emptyObjectMeta(): ObjectMetaFields {
  return {
    strings: OBJECT_META_STRINGS.map(() => ''),
    generation: 0n,
    creationTimestamp: null,
    deletionTimestamp: undefined,
    deletionGracePeriodSeconds: undefined,
    labels: new Map(),
    annotations: new Map(),
    ownerReferences: [],
    finalizers: [],
    managedFields: [],
  };
}

function decodeObjectMeta(reader: Reader, meta: ObjectMetaFields): void {
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    const n = field.number;
    if (n >= 1 && n <= 6) {
      meta.strings[n - 1] = reader.string(field, OBJECT_META_STRINGS[n - 1] ?? '');
    } else if (n === 7) {
      meta.generation = reader.int64(field, 'generation');
    } else if (n === 8) {
      meta.creationTimestamp = decodeTime(reader.message(field, 'creationTimestamp'));
    } else if (n === 9) {
      meta.deletionTimestamp = decodeTime(reader.message(field, 'deletionTimestamp'));
    } else if (n === 10) {
      meta.deletionGracePeriodSeconds = reader.int64(field, 'deletionGracePeriodSeconds');
    } else if (n === 11) {
      decodeMapEntry(reader.message(field, 'labels'), meta.labels, false);
    } else if (n === 12) {
      decodeMapEntry(reader.message(field, 'annotations'), meta.annotations, false);
    } else if (n === 13) {
      meta.ownerReferences.push(decodeOwnerReference(reader.message(field, 'ownerReferences')));
    } else if (n === 14) {
      meta.finalizers.push(reader.string(field, 'finalizers'));
    } else if (n === 17) {
      meta.managedFields.push(decodeManagedFieldsEntry(reader.message(field, 'managedFields')));
    } else {
      reader.skip(field);
    }
  }
}

function objectMetaJson(meta: ObjectMetaFields): JsonObject {
  const out: JsonObject = {};
  OBJECT_META_STRINGS.forEach((name, i) => {
    const value = meta.strings[i] ?? '';
    if (value !== '') out[name] = value;
  });
  if (meta.generation !== 0n) out['generation'] = jsonInteger(meta.generation, 'metadata.generation');
  out['creationTimestamp'] = timeJson(meta.creationTimestamp);
  if (meta.deletionTimestamp !== undefined) out['deletionTimestamp'] = timeJson(meta.deletionTimestamp);
  if (meta.deletionGracePeriodSeconds !== undefined) {
    out['deletionGracePeriodSeconds'] = jsonInteger(
      meta.deletionGracePeriodSeconds,
      'metadata.deletionGracePeriodSeconds',
    );
  }
  if (meta.labels.size > 0) out['labels'] = sortedJsonMap(meta.labels, (value) => value);
  if (meta.annotations.size > 0) out['annotations'] = sortedJsonMap(meta.annotations, (value) => value);
  if (meta.ownerReferences.length > 0) out['ownerReferences'] = meta.ownerReferences.map(ownerReferenceJson);
  if (meta.finalizers.length > 0) out['finalizers'] = meta.finalizers;
  if (meta.managedFields.length > 0) {
    out['managedFields'] = meta.managedFields.map((entry, i) => managedFieldsEntryJson(entry, i));
  }
  return out;
}

interface OwnerReferenceFields {
  kind: string;
  name: string;
  uid: string;
  apiVersion: string;
  controller: boolean | undefined;
  blockOwnerDeletion: boolean | undefined;
}

function decodeOwnerReference(reader: Reader): OwnerReferenceFields {
  const ref: OwnerReferenceFields = {
    kind: '',
    name: '',
    uid: '',
    apiVersion: '',
    controller: undefined,
    blockOwnerDeletion: undefined,
  };
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field.number) {
      case 1:
        ref.kind = reader.string(field, 'kind');
        break;
      case 3:
        ref.name = reader.string(field, 'name');
        break;
      case 4:
        ref.uid = reader.string(field, 'uid');
        break;
      case 5:
        ref.apiVersion = reader.string(field, 'apiVersion');
        break;
      case 6:
        ref.controller = reader.bool(field, 'controller');
        break;
      case 7:
        ref.blockOwnerDeletion = reader.bool(field, 'blockOwnerDeletion');
        break;
      default:
        reader.skip(field);
    }
  }
  return ref;
}

function ownerReferenceJson(ref: OwnerReferenceFields): JsonObject {
  // apiVersion, kind, name and uid have no omitempty: Go writes them even when empty.
  const out: JsonObject = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid };
  if (ref.controller !== undefined) out['controller'] = ref.controller;
  if (ref.blockOwnerDeletion !== undefined) out['blockOwnerDeletion'] = ref.blockOwnerDeletion;
  return out;
}

interface ManagedFieldsEntryFields {
  manager: string;
  operation: string;
  apiVersion: string;
  time: TimeValue | undefined;
  fieldsType: string;
  /** `undefined`: no FieldsV1; `null`: a FieldsV1 whose Raw is nil. */
  fieldsV1: Uint8Array | null | undefined;
  subresource: string;
}

function decodeManagedFieldsEntry(reader: Reader): ManagedFieldsEntryFields {
  const entry: ManagedFieldsEntryFields = {
    manager: '',
    operation: '',
    apiVersion: '',
    time: undefined,
    fieldsType: '',
    fieldsV1: undefined,
    subresource: '',
  };
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field.number) {
      case 1:
        entry.manager = reader.string(field, 'manager');
        break;
      case 2:
        entry.operation = reader.string(field, 'operation');
        break;
      case 3:
        entry.apiVersion = reader.string(field, 'apiVersion');
        break;
      case 4:
        entry.time = decodeTime(reader.message(field, 'time'));
        break;
      case 6:
        entry.fieldsType = reader.string(field, 'fieldsType');
        break;
      case 7: {
        const sub = reader.message(field, 'fieldsV1');
        entry.fieldsV1 ??= null;
        for (let f = sub.next(); f !== undefined; f = sub.next()) {
          if (f.number === 1) entry.fieldsV1 = sub.bytes(f, 'Raw');
          else sub.skip(f);
        }
        break;
      }
      case 8:
        entry.subresource = reader.string(field, 'subresource');
        break;
      default:
        reader.skip(field);
    }
  }
  return entry;
}

function managedFieldsEntryJson(entry: ManagedFieldsEntryFields, index: number): JsonObject {
  const out: JsonObject = {};
  if (entry.manager !== '') out['manager'] = entry.manager;
  if (entry.operation !== '') out['operation'] = entry.operation;
  if (entry.apiVersion !== '') out['apiVersion'] = entry.apiVersion;
  if (entry.time !== undefined) out['time'] = timeJson(entry.time);
  if (entry.fieldsType !== '') out['fieldsType'] = entry.fieldsType;
  if (entry.fieldsV1 !== undefined) out['fieldsV1'] = fieldsV1Json(entry.fieldsV1, index);
  if (entry.subresource !== '') out['subresource'] = entry.subresource;
  return out;
}

function fieldsV1Json(raw: Uint8Array | null, index: number): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(goString(raw)) as unknown;
  } catch {
    // JSON.parse's own message quotes the input: it is not passed on.
    throw new CodecError(`metadata.managedFields[${index}].fieldsV1 is not valid JSON`);
  }
}

/** `meta.v1.Time.Unmarshal`: a zero-length message is the zero time; nanos are dropped. */
function decodeTime(reader: Reader): TimeValue {
  if (reader.remaining() === 0) return null;
  let seconds = 0n;
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === 1) seconds = reader.int64(field, 'seconds');
    else if (field.number === 2) reader.int64(field, 'nanos');
    else reader.skip(field);
  }
  return seconds === ZERO_TIME_SECONDS ? null : seconds;
}

function timeJson(time: TimeValue): string | null {
  return time === null ? null : formatRfc3339(time);
}

function jsonInteger(value: bigint, path: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new CodecError(`${path} is outside the integers JSON numbers hold exactly`);
  return n;
}

/** A JSON object with Go's map key order, safe for keys such as `__proto__`. */
function sortedJsonMap<T>(map: Map<string, T>, toJson: (value: T) => unknown): JsonObject {
  const out: JsonObject = {};
  for (const key of [...map.keys()].sort(compareGoStrings)) {
    Object.defineProperty(out, key, {
      value: toJson(map.get(key) as T),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Go's `string(bytes)` as its JSON encoder writes it: valid UTF-8 as is, each byte of an invalid sequence as
 * U+FFFD (TextDecoder's replacement groups bytes differently, so it is used only for valid runs).
 */
function goString(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    let out = '';
    let runStart = 0;
    let i = 0;
    while (i < bytes.length) {
      const size = utf8SequenceLength(bytes, i);
      if (size > 0) {
        i += size;
        continue;
      }
      out += LENIENT_UTF8.decode(bytes.subarray(runStart, i)) + '\uFFFD';
      i++;
      runStart = i;
    }
    return out + LENIENT_UTF8.decode(bytes.subarray(runStart));
  }
}

/** The length of the valid UTF-8 sequence at `i` (Go's `utf8.DecodeRune` rules), or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  const cont = (at: number, low = 0x80, high = 0xbf): boolean => {
    const byte = bytes[at];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, low, high) && cont(i + 2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, low, high) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** A field's key and where its payload is; the payload is read (or skipped) by the caller. */
interface Field {
  number: number;
  wireType: number;
}

/** Reads one message (the range start..end of the whole value), reporting offsets within the whole value. */
class Reader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;
  private readonly path: string;
  /** A field whose payload the caller has not consumed yet. */
  private pending: Field | undefined;

  constructor(buf: Uint8Array, start: number, end: number, path: string) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.path = path;
  }

  /** The same message, named differently in errors. */
  renamed(path: string): Reader {
    return new Reader(this.buf, this.pos, this.end, path);
  }

  remaining(): number {
    return this.end - this.pos;
  }

  next(): Field | undefined {
    if (this.pending !== undefined) throw new Error('protobuf reader: field left unread');
    if (this.pos >= this.end) return undefined;
    const tagAt = this.pos;
    const tag = this.uint64();
    const wireType = Number(tag & 7n);
    const number = Number(BigInt.asIntN(32, tag >> 3n));
    if (number <= 0) throw this.error(`illegal tag ${number} (wire type ${wireType}) at byte ${tagAt}`);
    if (wireType === WIRE_END_GROUP) throw this.error(`end group without a group at byte ${tagAt}`);
    this.pending = { number, wireType };
    return this.pending;
  }

  expect(field: Field, wireType: number, name: string): void {
    if (field.wireType !== wireType) {
      throw this.error(
        `wrong wire type ${field.wireType} for field ${name} (${field.number}), expected ${wireType}`,
      );
    }
  }

  string(field: Field, name: string): string {
    return goString(this.bytes(field, name));
  }

  /** The payload of a length-delimited field (a view into the value, not a copy). */
  bytes(field: Field, name: string): Uint8Array {
    const [start, end] = this.delimited(field, name);
    return this.buf.subarray(start, end);
  }

  message(field: Field, name: string): Reader {
    const [start, end] = this.delimited(field, name);
    return new Reader(this.buf, start, end, `${this.path}.${name}`);
  }

  int64(field: Field, name: string): bigint {
    this.expect(field, WIRE_VARINT, name);
    this.pending = undefined;
    return BigInt.asIntN(64, this.uint64());
  }

  bool(field: Field, name: string): boolean {
    this.expect(field, WIRE_VARINT, name);
    this.pending = undefined;
    return this.uint64() !== 0n;
  }

  /** Skips a field as gogo's `skipGenerated` does (a start group skips to its matching end group). */
  skip(field: Field): void {
    this.pending = undefined;
    let depth = 0;
    let wireType = field.wireType;
    for (;;) {
      switch (wireType) {
        case WIRE_VARINT:
          this.uint64();
          break;
        case WIRE_FIXED64:
          this.advance(8);
          break;
        case WIRE_BYTES:
          this.advance(this.length());
          break;
        case WIRE_FIXED32:
          this.advance(4);
          break;
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) throw this.error(`unexpected end of group at byte ${this.pos}`);
          depth--;
          break;
        default:
          throw this.error(`illegal wire type ${wireType} at byte ${this.pos}`);
      }
      if (depth === 0) return;
      if (this.pos >= this.end) throw this.error('truncated group');
      wireType = Number(this.uint64() & 7n);
    }
  }

  private error(message: string): CodecError {
    return new CodecError(`protobuf ${this.path}: ${message}`);
  }

  private delimited(field: Field, name: string): [number, number] {
    this.expect(field, WIRE_BYTES, name);
    this.pending = undefined;
    const length = this.length();
    const start = this.pos;
    this.advance(length);
    return [start, this.pos];
  }

  private length(): number {
    const at = this.pos;
    const length = this.uint64();
    if (length > BigInt(this.end - this.pos)) {
      throw this.error(`length at byte ${at} runs past the end of the message (truncated value)`);
    }
    return Number(length);
  }

  private advance(count: number): void {
    if (count > this.end - this.pos) throw this.error(`truncated value at byte ${this.pos}`);
    this.pos += count;
  }

  /** A varint of at most ten bytes, as gogo reads it (bits past 64 dropped). */
  private uint64(): bigint {
    const start = this.pos;
    let small = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.byte(start);
      small |= (byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt(small);
    }
    let value = BigInt(small);
    for (let shift = 28n; ; shift += 7n) {
      if (shift >= 64n) throw this.error(`varint at byte ${start} overflows 64 bits`);
      const byte = this.byte(start);
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, value);
    }
  }

  private byte(varintStart: number): number {
    if (this.pos >= this.end) throw this.error(`truncated varint at byte ${varintStart}`);
    return this.buf[this.pos++] as number;
  }
}

/** Names a type in an error: the kind and apiVersion are shown only when they look like ones. */
function describeType(apiVersion: unknown, kind: unknown): string {
  const show = (value: unknown): string =>
    typeof value === 'string' && /^[A-Za-z0-9./-]{1,63}$/.test(value)
      ? JSON.stringify(value)
      : 'an unreadable value';
  if (kind === undefined || kind === '') return 'an object without a kind';
  return `kind ${show(kind)} (apiVersion ${apiVersion === undefined || apiVersion === '' ? 'none' : show(apiVersion)})`;
}
