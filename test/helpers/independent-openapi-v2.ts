/**
 * An independent reader of gnostic's OpenAPI v2 protobuf (openapiv2/OpenAPIv2.proto), written from the .proto's
 * field numbers without the code under test: its own varint and length-delimited parsing, and the messages
 * client-go decodes for kubectl (Document, Info, Paths, Definitions, NamedSchema, Schema, TypeItem, ItemsItem,
 * Properties, AdditionalPropertiesItem, NamedAny, Any, ExternalDocs, Xml). It turns the bytes back into the
 * Swagger JSON shape, YAML of `Any` values parsed, so tests can compare it with the JSON document.
 */
import { parse as parseYaml } from 'yaml';

type Json = Record<string, unknown>;

interface RawField {
  number: number;
  wireType: number;
  /** Varint value, or the fixed64 bytes, or the length-delimited payload. */
  varint?: bigint;
  bytes?: Uint8Array;
}

function fields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const byte = buf[pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new Error('field number 0');
    if (wireType === 0) out.push({ number, wireType, varint: varint() });
    else if (wireType === 1) {
      if (pos + 8 > buf.length) throw new Error('truncated fixed64');
      out.push({ number, wireType, bytes: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wireType === 2) {
      const length = Number(varint());
      if (pos + length > buf.length) throw new Error('truncated length-delimited field');
      out.push({ number, wireType, bytes: buf.subarray(pos, pos + length) });
      pos += length;
    } else throw new Error(`unexpected wire type ${wireType} for field ${number}`);
  }
  return out;
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

function text(field: RawField): string {
  if (field.wireType !== 2 || !field.bytes) throw new Error(`field ${field.number} is not a string`);
  return TEXT.decode(field.bytes);
}

function payload(field: RawField): Uint8Array {
  if (field.wireType !== 2 || !field.bytes) throw new Error(`field ${field.number} is not a message`);
  return field.bytes;
}

function int(field: RawField): number {
  if (field.wireType !== 0 || field.varint === undefined)
    throw new Error(`field ${field.number} not a varint`);
  return Number(BigInt.asIntN(64, field.varint));
}

function bool(field: RawField): boolean {
  return int(field) !== 0;
}

function double(field: RawField): number {
  if (field.wireType !== 1 || !field.bytes) throw new Error(`field ${field.number} is not a double`);
  return new DataView(field.bytes.buffer, field.bytes.byteOffset, 8).getFloat64(0, true);
}

/** gnostic Any: value = 1 (google.protobuf.Any, unused here), yaml = 2. */
function decodeAny(buf: Uint8Array): unknown {
  let yaml: string | undefined;
  for (const field of fields(buf)) {
    if (field.number === 2) yaml = text(field);
    else throw new Error(`Any: unexpected field ${field.number}`);
  }
  if (yaml === undefined) throw new Error('Any without yaml');
  return parseYaml(yaml) as unknown;
}

/** NamedSchema / NamedAny: name = 1, value = 2. */
function named<T>(buf: Uint8Array, value: (bytes: Uint8Array) => T): [string, T] {
  let name = '';
  let decoded: T | undefined;
  for (const field of fields(buf)) {
    if (field.number === 1) name = text(field);
    else if (field.number === 2) decoded = value(payload(field));
  }
  if (decoded === undefined) throw new Error(`named value ${name} without a value`);
  return [name, decoded];
}

const STRING_FIELDS: Record<number, string> = {
  1: '$ref',
  2: 'format',
  3: 'title',
  4: 'description',
  13: 'pattern',
  26: 'discriminator',
};
const DOUBLE_FIELDS: Record<number, string> = { 6: 'multipleOf', 7: 'maximum', 9: 'minimum' };
const BOOL_FIELDS: Record<number, string> = {
  8: 'exclusiveMaximum',
  10: 'exclusiveMinimum',
  16: 'uniqueItems',
  27: 'readOnly',
};
const INT_FIELDS: Record<number, string> = {
  11: 'maxLength',
  12: 'minLength',
  14: 'maxItems',
  15: 'minItems',
  17: 'maxProperties',
  18: 'minProperties',
};

/** Schema, back to Swagger JSON (a one-element TypeItem or ItemsItem as the single value JSON would have). */
export function decodeSchema(buf: Uint8Array): Json {
  const out: Json = {};
  const extensions: Json = {};
  for (const field of fields(buf)) {
    const n = field.number;
    if (STRING_FIELDS[n]) out[STRING_FIELDS[n]] = text(field);
    else if (DOUBLE_FIELDS[n]) out[DOUBLE_FIELDS[n]] = double(field);
    else if (BOOL_FIELDS[n]) out[BOOL_FIELDS[n]] = bool(field);
    else if (INT_FIELDS[n]) out[INT_FIELDS[n]] = int(field);
    else if (n === 5) out['default'] = decodeAny(payload(field));
    else if (n === 30) out['example'] = decodeAny(payload(field));
    else if (n === 19)
      ((out['required'] as string[] | undefined) ?? (out['required'] = [])).push(text(field));
    else if (n === 20)
      ((out['enum'] as unknown[] | undefined) ?? (out['enum'] = [])).push(decodeAny(payload(field)));
    else if (n === 21) {
      // AdditionalPropertiesItem: oneof schema = 1, boolean = 2.
      const [inner] = fields(payload(field));
      if (inner?.number === 1) out['additionalProperties'] = decodeSchema(payload(inner));
      else if (inner?.number === 2) out['additionalProperties'] = bool(inner);
      else throw new Error('AdditionalPropertiesItem without a member');
    } else if (n === 22) {
      // TypeItem: repeated string value = 1.
      const types = fields(payload(field)).map((inner) => text(inner));
      out['type'] = types.length === 1 ? types[0] : types;
    } else if (n === 23) {
      // ItemsItem: repeated Schema schema = 1.
      const items = fields(payload(field)).map((inner) => decodeSchema(payload(inner)));
      out['items'] = items.length === 1 ? items[0] : items;
    } else if (n === 24)
      ((out['allOf'] as Json[] | undefined) ?? (out['allOf'] = [])).push(decodeSchema(payload(field)));
    else if (n === 25) {
      // Properties: repeated NamedSchema additional_properties = 1.
      out['properties'] = Object.fromEntries(
        fields(payload(field)).map((inner) => named(payload(inner), decodeSchema)),
      );
    } else if (n === 28) {
      const xml: Json = {};
      for (const inner of fields(payload(field))) {
        const key = ['', 'name', 'namespace', 'prefix', 'attribute', 'wrapped'][inner.number];
        if (!key) throw new Error(`Xml: unexpected field ${inner.number}`);
        xml[key] = inner.number >= 4 ? bool(inner) : text(inner);
      }
      out['xml'] = xml;
    } else if (n === 29) {
      const docs: Json = {};
      for (const inner of fields(payload(field))) {
        if (inner.number === 1) docs['description'] = text(inner);
        else if (inner.number === 2) docs['url'] = text(inner);
        else throw new Error(`ExternalDocs: unexpected field ${inner.number}`);
      }
      out['externalDocs'] = docs;
    } else if (n === 31) {
      const [name, value] = named(payload(field), decodeAny);
      extensions[name] = value;
    } else throw new Error(`Schema: unexpected field ${n}`);
  }
  return { ...out, ...extensions };
}

export interface DecodedDocument {
  swagger: string;
  info: { title?: string; version?: string };
  /** Whether the paths message is present, and how many paths it holds. */
  paths: { present: boolean; count: number };
  /** Definitions in wire order. */
  definitions: [string, Json][];
}

/** Document: swagger = 1, info = 2, paths = 8, definitions = 9 (other fields are reported as unexpected). */
export function decodeOpenApiV2(buf: Uint8Array): DecodedDocument {
  const document: DecodedDocument = {
    swagger: '',
    info: {},
    paths: { present: false, count: 0 },
    definitions: [],
  };
  for (const field of fields(buf)) {
    if (field.number === 1) document.swagger = text(field);
    else if (field.number === 2) {
      for (const inner of fields(payload(field))) {
        if (inner.number === 1) document.info.title = text(inner);
        else if (inner.number === 2) document.info.version = text(inner);
        else throw new Error(`Info: unexpected field ${inner.number}`);
      }
    } else if (field.number === 8) {
      // Paths: vendor_extension = 1, path = 2.
      document.paths = {
        present: true,
        count: fields(payload(field)).filter((inner) => inner.number === 2).length,
      };
    } else if (field.number === 9) {
      // Definitions: repeated NamedSchema additional_properties = 1.
      for (const inner of fields(payload(field))) {
        if (inner.number !== 1) throw new Error(`Definitions: unexpected field ${inner.number}`);
        document.definitions.push(named(payload(inner), decodeSchema));
      }
    } else throw new Error(`Document: unexpected field ${field.number}`);
  }
  return document;
}
