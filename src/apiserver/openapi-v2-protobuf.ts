/**
 * The OpenAPI v2 document in the protobuf form client-go asks for (`Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): gnostic's `openapi.v2.Document`
 * (openapiv2/OpenAPIv2.proto). Fields go out in field-number order and, as proto3 writes them, scalars only when
 * not zero. Values of free form (defaults, enums, examples, vendor extensions) travel as gnostic's `Any` with
 * their YAML text, which kube-openapi reads back with a YAML parser. Pure.
 */
import { WIRE_FIXED64, Writer } from '../common/protobuf-wire.ts';
import type { OpenApiV2Document } from './openapi-v2.ts';
import type { Schema } from './openapi.ts';

/** The media type kube-apiserver answers protobuf requests for /openapi/v2 with. */
export const OPENAPI_V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

// Field numbers of gnostic's OpenAPIv2.proto.
const DOCUMENT = { swagger: 1, info: 2, paths: 8, definitions: 9 } as const;
const INFO = { title: 1, version: 2 } as const;
const NAMED = { name: 1, value: 2 } as const; // NamedSchema, NamedAny
const REPEATED = 1; // Definitions, Properties (additional_properties); TypeItem (value); ItemsItem (schema)
const ANY_YAML = 2;
const ADDITIONAL_PROPERTIES = { schema: 1, boolean: 2 } as const;
const EXTERNAL_DOCS = { description: 1, url: 2 } as const;
const XML = { name: 1, namespace: 2, prefix: 3, attribute: 4, wrapped: 5 } as const;
const SCHEMA = {
  ref: 1,
  format: 2,
  title: 3,
  description: 4,
  default: 5,
  multipleOf: 6,
  maximum: 7,
  exclusiveMaximum: 8,
  minimum: 9,
  exclusiveMinimum: 10,
  maxLength: 11,
  minLength: 12,
  pattern: 13,
  maxItems: 14,
  minItems: 15,
  uniqueItems: 16,
  maxProperties: 17,
  minProperties: 18,
  required: 19,
  enum: 20,
  additionalProperties: 21,
  type: 22,
  items: 23,
  allOf: 24,
  properties: 25,
  discriminator: 26,
  readOnly: 27,
  xml: 28,
  externalDocs: 29,
  example: 30,
  vendorExtension: 31,
} as const;

export function encodeOpenApiV2(document: OpenApiV2Document): Uint8Array {
  const out = new Writer();
  out.string(DOCUMENT.swagger, document.swagger);
  const info = new Writer();
  nonEmptyString(info, INFO.title, document.info.title);
  nonEmptyString(info, INFO.version, document.info.version);
  out.message(DOCUMENT.info, info);
  // Present but empty: kubectl indexes operations by kind from here and finds none (see openapi-v2.ts).
  out.message(DOCUMENT.paths, new Writer());
  const definitions = new Writer();
  for (const [name, schema] of Object.entries(document.definitions)) {
    definitions.message(REPEATED, namedSchema(name, schema));
  }
  out.message(DOCUMENT.definitions, definitions);
  return out.finish();
}

function namedSchema(name: string, schema: Schema): Writer {
  const named = new Writer();
  named.string(NAMED.name, name);
  named.message(NAMED.value, encodeSchema(schema));
  return named;
}

function encodeSchema(schema: Schema): Writer {
  const out = new Writer();
  nonEmptyString(out, SCHEMA.ref, schema['$ref']);
  nonEmptyString(out, SCHEMA.format, schema['format']);
  nonEmptyString(out, SCHEMA.title, schema['title']);
  nonEmptyString(out, SCHEMA.description, schema['description']);
  if ('default' in schema) out.message(SCHEMA.default, yamlAny(schema['default']));
  double(out, SCHEMA.multipleOf, schema['multipleOf']);
  double(out, SCHEMA.maximum, schema['maximum']);
  trueFlag(out, SCHEMA.exclusiveMaximum, schema['exclusiveMaximum']);
  double(out, SCHEMA.minimum, schema['minimum']);
  trueFlag(out, SCHEMA.exclusiveMinimum, schema['exclusiveMinimum']);
  int64(out, SCHEMA.maxLength, schema['maxLength']);
  int64(out, SCHEMA.minLength, schema['minLength']);
  nonEmptyString(out, SCHEMA.pattern, schema['pattern']);
  int64(out, SCHEMA.maxItems, schema['maxItems']);
  int64(out, SCHEMA.minItems, schema['minItems']);
  trueFlag(out, SCHEMA.uniqueItems, schema['uniqueItems']);
  int64(out, SCHEMA.maxProperties, schema['maxProperties']);
  int64(out, SCHEMA.minProperties, schema['minProperties']);
  for (const name of strings(schema['required'])) out.string(SCHEMA.required, name);
  if (Array.isArray(schema['enum'])) {
    for (const value of schema['enum'] as unknown[]) out.message(SCHEMA.enum, yamlAny(value));
  }
  const additional = schema['additionalProperties'];
  if (isRecord(additional)) {
    const item = new Writer();
    item.message(ADDITIONAL_PROPERTIES.schema, encodeSchema(additional));
    out.message(SCHEMA.additionalProperties, item);
  } else if (typeof additional === 'boolean') {
    // A oneof member: written even when false.
    const item = new Writer();
    item.bool(ADDITIONAL_PROPERTIES.boolean, additional);
    out.message(SCHEMA.additionalProperties, item);
  }
  const types = typeof schema['type'] === 'string' ? [schema['type']] : strings(schema['type']);
  if (types.length > 0) {
    const item = new Writer();
    for (const type of types) item.string(REPEATED, type);
    out.message(SCHEMA.type, item);
  }
  const items = schema['items'];
  const itemSchemas = Array.isArray(items) ? items.filter(isRecord) : isRecord(items) ? [items] : [];
  if (items !== undefined) {
    const item = new Writer();
    for (const itemSchema of itemSchemas) item.message(REPEATED, encodeSchema(itemSchema));
    out.message(SCHEMA.items, item);
  }
  if (Array.isArray(schema['allOf'])) {
    for (const part of (schema['allOf'] as unknown[]).filter(isRecord)) {
      out.message(SCHEMA.allOf, encodeSchema(part));
    }
  }
  const properties = schema['properties'];
  if (isRecord(properties)) {
    // Written even when empty: kubectl tells an object with no fields from a map by its presence.
    const item = new Writer();
    for (const [name, property] of Object.entries(properties)) {
      if (isRecord(property)) item.message(REPEATED, namedSchema(name, property));
    }
    out.message(SCHEMA.properties, item);
  }
  nonEmptyString(out, SCHEMA.discriminator, schema['discriminator']);
  trueFlag(out, SCHEMA.readOnly, schema['readOnly']);
  const xml = schema['xml'];
  if (isRecord(xml)) {
    const item = new Writer();
    nonEmptyString(item, XML.name, xml['name']);
    nonEmptyString(item, XML.namespace, xml['namespace']);
    nonEmptyString(item, XML.prefix, xml['prefix']);
    trueFlag(item, XML.attribute, xml['attribute']);
    trueFlag(item, XML.wrapped, xml['wrapped']);
    out.message(SCHEMA.xml, item);
  }
  const externalDocs = schema['externalDocs'];
  if (isRecord(externalDocs)) {
    const item = new Writer();
    nonEmptyString(item, EXTERNAL_DOCS.description, externalDocs['description']);
    nonEmptyString(item, EXTERNAL_DOCS.url, externalDocs['url']);
    out.message(SCHEMA.externalDocs, item);
  }
  if ('example' in schema) out.message(SCHEMA.example, yamlAny(schema['example']));
  for (const [name, value] of Object.entries(schema)) {
    if (!name.startsWith('x-')) continue;
    const named = new Writer();
    named.string(NAMED.name, name);
    named.message(NAMED.value, yamlAny(value));
    out.message(SCHEMA.vendorExtension, named);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Scalars, proto3 style: absent when zero

function nonEmptyString(out: Writer, field: number, value: unknown): void {
  if (typeof value === 'string' && value !== '') out.string(field, value);
}

function trueFlag(out: Writer, field: number, value: unknown): void {
  if (value === true) out.bool(field, true);
}

function int64(out: Writer, field: number, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value) && Math.trunc(value) !== 0) {
    out.int64(field, BigInt(Math.trunc(value)));
  }
}

function double(out: Writer, field: number, value: unknown): void {
  if (typeof value !== 'number' || value === 0) return;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  out.tag(field, WIRE_FIXED64);
  out.raw(bytes);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// gnostic's Any: the value as YAML text

function yamlAny(value: unknown): Writer {
  const any = new Writer();
  any.string(ANY_YAML, `${yamlFlow(value)}\n`);
  return any;
}

/**
 * A JSON value as YAML flow text (`{"group": "", "kind": "Secret"}`): JSON with a space after each separator,
 * which YAML 1.1 parsers read as the same value. Characters YAML forbids or reads as line breaks are escaped.
 */
export function yamlFlow(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((item: unknown) => yamlFlow(item)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${yamlString(key)}: ${yamlFlow(item)}`).join(', ')}}`;
  }
  return 'null';
}

// DEL and C1 controls, NEL, the line and paragraph separators, the BOM and the non-characters U+FFFE/U+FFFF.
const YAML_UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

function yamlString(text: string): string {
  return JSON.stringify(text).replace(
    YAML_UNPRINTABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
