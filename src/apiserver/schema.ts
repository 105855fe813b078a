/**
 * A CustomResourceDefinition's structural schema (openAPIV3Schema) applied to custom resources as kube-apiserver 1.32
 * does on every write: defaults, pruning of unknown fields (reported for fieldValidation=Strict|Warn), removal of nulls
 * the schema does not allow, then validation with kube-openapi's rules and the message texts kube builds from them.
 *
 * Not evaluated: x-kubernetes-validations (CEL rules need a CEL interpreter; such rules simply pass), and the
 * "ratcheting" that lets unchanged invalid values through on update. Patterns are Go's regexp (RE2), as kube-openapi
 * runs them (common/go-regexp: compiled once per pattern). Pure; no I/O.
 */
import { isDeepStrictEqual } from 'node:util';
import { isIP } from 'node:net';

import {
  type Cause,
  child,
  compareGoStrings,
  duplicate,
  goFloat,
  goQuote,
  index,
  invalidValue,
  key,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from './field-errors.ts';
import {
  base64DecodeError,
  isDns1035Label,
  dropUnknownMetadataFields,
  validateObjectMeta,
} from './validation.ts';
import { isObject, type JsonObject } from './json-access.ts';
import { compileGoRegexp, GoRegexpError, type GoPattern } from '../common/go-regexp/index.ts';

export type Schema = Record<string, unknown>;

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface SchemaOutcome {
  /** A new object: defaulted, pruned, with disallowed nulls removed. */
  object: JsonObject;
  /** Removed fields as kube names them in `unknown field "…"`; empty for fieldValidation=Ignore. */
  unknownFields: string[];
  /** Validation causes for status.ts invalid(), in kube's order. */
  causes: Cause[];
}

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

// ---------- schema accessors ----------

function schemaType(s: Schema): string {
  return typeof s['type'] === 'string' ? s['type'] : '';
}

function properties(s: Schema | undefined): Record<string, Schema> {
  const value = s?.['properties'];
  return isObject(value) ? (value as Record<string, Schema>) : {};
}

function hasProperty(s: Schema | undefined, name: string): boolean {
  return Object.hasOwn(properties(s), name);
}

/** additionalProperties: a schema, `true`/`false`, or undefined when absent. */
function additional(s: Schema | undefined): Schema | boolean | undefined {
  const value = s?.['additionalProperties'];
  if (typeof value === 'boolean') return value;
  return isObject(value) ? value : undefined;
}

/** The schema that applies to values under additionalProperties (none for `true`/`false`). */
function additionalSchema(s: Schema | undefined): Schema | undefined {
  const value = additional(s);
  return typeof value === 'object' ? value : undefined;
}

function items(s: Schema | undefined): Schema | undefined {
  const value = s?.['items'];
  return isObject(value) ? value : undefined;
}

function flag(s: Schema | undefined, name: string): boolean {
  return s?.[name] === true;
}

const preservesUnknown = (s: Schema | undefined): boolean => flag(s, 'x-kubernetes-preserve-unknown-fields');
const isEmbedded = (s: Schema | undefined): boolean => flag(s, 'x-kubernetes-embedded-resource');
const isIntOrString = (s: Schema | undefined): boolean => flag(s, 'x-kubernetes-int-or-string');
const isNullable = (s: Schema | undefined): boolean => flag(s, 'nullable');
const hasDefault = (s: Schema | undefined): boolean => s !== undefined && s['default'] !== undefined;

function numberAt(s: Schema, name: string): number | undefined {
  return typeof s[name] === 'number' ? s[name] : undefined;
}

function schemaList(s: Schema, name: string): Schema[] {
  const value = s[name];
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** The schema for a property, or for any key under additionalProperties. */
function fieldSchema(s: Schema | undefined, name: string): Schema | undefined {
  return properties(s)[name] ?? additionalSchema(s);
}

// ---------- entry point ----------

/**
 * Applies `schema` to a custom resource on create or update. Without a schema everything is kept (kube only allows
 * that for CRDs with preserveUnknownFields, which v1 forbids).
 */
export function applySchema(
  schema: Schema | undefined,
  object: JsonObject,
  options: { fieldValidation: FieldValidation },
): SchemaOutcome {
  const copy = structuredClone(object);
  // Unknown metadata fields go first: kube decodes ObjectMeta before it prunes (sorted: it re-marshals a map).
  const unknownFields = dropUnknownMetadata(copy, 'metadata');
  let causes: Cause[] = [];
  if (schema) {
    applyDefaults(copy, schema);
    unknownFields.push(...pruneValue(copy, schema, true));
    dropNullsWithoutDefaults(copy, schema);
    unknownFields.push(...coerceEmbeddedMetadata(copy, schema));
    causes = [
      ...validateValue(schema, copy),
      ...validateEmbeddedResources(copy, schema),
      ...validateListTypes(copy, schema),
    ];
  }
  return { object: copy, unknownFields: options.fieldValidation === 'Ignore' ? [] : unknownFields, causes };
}

/** kube re-marshals ObjectMeta from a Go map, so the paths come out sorted. */
function dropUnknownMetadata(object: JsonObject, path: string): string[] {
  const metadata = object['metadata'];
  return isObject(metadata) ? dropUnknownMetadataFields(metadata, path).sort(compareGoStrings) : [];
}

// ---------- defaulting (structuraldefaulting.Default) ----------

/** Fills absent properties (and non-nullable nulls) that have a default, then recurses into the result. */
export function applyDefaults(value: unknown, s: Schema | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, items(s));
    return;
  }
  if (!isObject(value)) return;
  for (const [name, prop] of Object.entries(properties(s))) {
    if (!hasDefault(prop)) continue;
    const current = value[name];
    if (current === undefined || (current === null && !isNullable(prop)))
      value[name] = structuredClone(prop['default']);
  }
  for (const [name, item] of Object.entries(value)) applyDefaults(item, fieldSchema(s, name));
}

// ---------- pruning (structuralpruning.PruneWithOptions) ----------

/**
 * Removes fields the schema does not specify, in place, and returns their paths sorted (`spec.foo`,
 * `spec.list[0].bar`). At a resource root (and in embedded resources) apiVersion, kind and metadata are kept.
 */
export function pruneValue(value: unknown, s: Schema | undefined, isResourceRoot: boolean): string[] {
  const root = isResourceRoot ? { ...(s ?? {}), 'x-kubernetes-embedded-resource': true } : s;
  const unknown: string[] = [];
  prune(value, root, '', unknown);
  return unknown.sort(compareGoStrings);
}

function joinKey(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function prune(value: unknown, s: Schema | undefined, path: string, unknown: string[]): void {
  if (s !== undefined && preservesUnknown(s)) {
    pruneKnown(value, s, path, unknown);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, items(s), index(path, i), unknown));
    return;
  }
  if (!isObject(value)) return;
  for (const [name, item] of Object.entries(value)) {
    if (isEmbedded(s) && META_FIELDS.has(name)) continue;
    if (hasProperty(s, name)) prune(item, properties(s)[name], joinKey(path, name), unknown);
    else if (additional(s) !== undefined) prune(item, additionalSchema(s), joinKey(path, name), unknown);
    else {
      if (!META_FIELDS.has(name) || path !== '') unknown.push(joinKey(path, name));
      delete value[name];
    }
  }
}

/** Under x-kubernetes-preserve-unknown-fields unknown keys stay, but known ones are still pruned inside. */
function pruneKnown(value: unknown, s: Schema, path: string, unknown: string[]): void {
  if (Array.isArray(value)) {
    const itemSchema = items(s);
    if (itemSchema) value.forEach((item, i) => pruneKnown(item, itemSchema, index(path, i), unknown));
    return;
  }
  if (!isObject(value)) return;
  for (const [name, item] of Object.entries(value)) {
    if (isEmbedded(s) && META_FIELDS.has(name)) continue;
    if (hasProperty(s, name)) prune(item, properties(s)[name], joinKey(path, name), unknown);
    else if (additional(s) !== undefined) prune(item, additionalSchema(s), joinKey(path, name), unknown);
  }
}

/** structuraldefaulting.PruneNonNullableNullsWithoutDefaults: a null the schema does not allow is dropped. */
function dropNullsWithoutDefaults(value: unknown, s: Schema | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) dropNullsWithoutDefaults(item, items(s));
    return;
  }
  if (!isObject(value)) return;
  for (const [name, item] of Object.entries(value)) {
    const prop = fieldSchema(s, name);
    if (prop === undefined) continue;
    if (item === null && !isNullable(prop) && !hasDefault(prop)) delete value[name];
    else dropNullsWithoutDefaults(item, prop);
  }
}

// ---------- embedded resources (schemaobjectmeta) ----------

/** Drops unknown ObjectMeta fields of embedded resources (not the root's) and returns their sorted paths. */
function coerceEmbeddedMetadata(value: unknown, s: Schema | undefined, path = ''): string[] {
  if (s === undefined) return [];
  const unknown: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknown.push(...coerceEmbeddedMetadata(item, items(s), index(path, i))));
  } else if (isObject(value)) {
    if (isEmbedded(s) && path !== '') unknown.push(...dropUnknownMetadata(value, child(path, 'metadata')));
    for (const [name, item] of Object.entries(value)) {
      if (hasProperty(s, name))
        unknown.push(...coerceEmbeddedMetadata(item, properties(s)[name], child(path, name)));
      else if (additionalSchema(s))
        unknown.push(...coerceEmbeddedMetadata(item, additionalSchema(s), key(path, name)));
    }
  }
  return unknown.sort(compareGoStrings);
}

/** schemaobjectmeta.Validate: embedded resources need apiVersion and kind, and valid metadata. */
function validateEmbeddedResources(value: unknown, s: Schema | undefined, path = ''): Cause[] {
  if (s === undefined) return [];
  if (Array.isArray(value))
    return value.flatMap((item, i) => validateEmbeddedResources(item, items(s), index(path, i)));
  if (!isObject(value)) return [];
  const causes = isEmbedded(s) && path !== '' ? validateEmbeddedResource(value, path) : [];
  for (const [name, item] of Object.entries(value)) {
    if (hasProperty(s, name))
      causes.push(...validateEmbeddedResources(item, properties(s)[name], child(path, name)));
    else if (additionalSchema(s))
      causes.push(...validateEmbeddedResources(item, additionalSchema(s), key(path, name)));
  }
  return causes;
}

function validateEmbeddedResource(resource: JsonObject, path: string): Cause[] {
  const causes: Cause[] = [];
  if (!Object.hasOwn(resource, 'apiVersion'))
    causes.push(required(child(path, 'apiVersion'), 'must not be empty'));
  if (!Object.hasOwn(resource, 'kind')) causes.push(required(child(path, 'kind'), 'must not be empty'));
  for (const [name, value] of Object.entries(resource)) {
    if (name === 'apiVersion') causes.push(...validateEmbeddedApiVersion(value, child(path, name)));
    if (name === 'kind') causes.push(...validateEmbeddedKind(value, child(path, name)));
    if (name === 'metadata' && isObject(value))
      causes.push(...validateEmbeddedMeta(value, child(path, name)));
  }
  return causes;
}

function validateEmbeddedApiVersion(value: unknown, field: string): Cause[] {
  if (typeof value !== 'string') return [invalidValue(field, value, 'must be a string')];
  if (value === '') return [invalidValue(field, value, 'must not be empty')];
  if (value.split('/').length > 2)
    return [invalidValue(field, value, `unexpected GroupVersion string: ${value}`)];
  return [];
}

function validateEmbeddedKind(value: unknown, field: string): Cause[] {
  if (typeof value !== 'string') return [invalidValue(field, value, 'must be a string')];
  if (value === '') return [invalidValue(field, value, 'must not be empty')];
  const errors = isDns1035Label(value.toLowerCase());
  return errors.length === 0
    ? []
    : [invalidValue(field, value, `may have mixed case, but should otherwise match: ${errors.join(',')}`)];
}

function validateEmbeddedMeta(metadata: JsonObject, path: string): Cause[] {
  // kube fills in a fake name (embedded resources may be nameless) and checks a namespace only when one is set.
  const withName =
    typeof metadata['name'] === 'string' && metadata['name'] !== ''
      ? metadata
      : { ...metadata, name: 'fakename' };
  const namespaced = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '';
  return validateObjectMeta(withName, { namespaced, nameRule: 'path-segment', kubeFinalizers: false }, path);
}

// ---------- x-kubernetes-list-type (structurallisttype) ----------

function validateListTypes(value: unknown, s: Schema | undefined, path = ''): Cause[] {
  if (s === undefined) return [];
  if (Array.isArray(value)) {
    const causes = listDuplicates(value, s, path);
    return [...causes, ...value.flatMap((item, i) => validateListTypes(item, items(s), index(path, i)))];
  }
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([name, item]) => {
    if (hasProperty(s, name)) return validateListTypes(item, properties(s)[name], child(path, name));
    const extra = additionalSchema(s);
    return extra ? validateListTypes(item, extra, key(path, name)) : [];
  });
}

function listDuplicates(list: unknown[], s: Schema, path: string): Cause[] {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') return duplicatesBy(list, path, (item) => item);
  if (listType !== 'map') return [];
  const mapKeys = Array.isArray(s['x-kubernetes-list-map-keys'])
    ? (s['x-kubernetes-list-map-keys'] as unknown[])
    : [];
  const itemProps = properties(items(s));
  const keyOf = (item: unknown): unknown => {
    const object = isObject(item) ? item : {};
    const entries = mapKeys.map((name) => {
      const keyName = String(name);
      return [keyName, object[keyName] ?? itemProps[keyName]?.['default'] ?? null];
    });
    return Object.fromEntries(entries);
  };
  return duplicatesBy(list, path, keyOf);
}

function duplicatesBy(list: unknown[], path: string, keyOf: (item: unknown) => unknown): Cause[] {
  const seen: unknown[] = [];
  const causes: Cause[] = [];
  list.forEach((item, i) => {
    const itemKey = keyOf(item);
    if (seen.some((earlier) => isDeepStrictEqual(earlier, itemKey)))
      causes.push(duplicate(index(path, i), itemKey));
    else seen.push(itemKey);
  });
  return causes;
}

// ---------- validation (kube-openapi SchemaValidator + apiextensions' error mapping) ----------

interface Walk {
  causes: Cause[];
  /** The field path errors hang off (`…default` when validating a default); undefined for a resource. */
  base: string | undefined;
}

/**
 * Validates `value` against `s` and returns kube's causes. kube-openapi names a value by its path (`spec.replicas`,
 * `spec.items[0]`, "" for the root); `base` is the field path the whole value sits at (kube uses it when it
 * validates a CRD's default values).
 */
export function validateValue(s: Schema, value: unknown, base?: string): Cause[] {
  const walk: Walk = { causes: [], base };
  validateNode(s, value, '', walk);
  return walk.causes;
}

/** The field of an error about the value named `name` (kube drops a leading dot from kube-openapi's name). */
function fieldOf(walk: Walk, name: string): string {
  const trimmed = name.startsWith('.') ? name.slice(1) : name;
  if (walk.base === undefined) return trimmed === '' ? '<nil>' : trimmed;
  return trimmed === '' ? walk.base : `${walk.base}.${trimmed}`;
}

/** Errors that are not field errors (composition, number ranges) hang off the base path itself. */
function rootError(walk: Walk, message: string): void {
  walk.causes.push(invalidValue(walk.base ?? '<nil>', '', message));
}

function validateNode(s: Schema, value: unknown, name: string, walk: Walk): void {
  if (value === null || value === undefined) {
    checkType(s, value, name, walk);
    return;
  }
  checkType(s, value, name, walk);
  checkComposition(s, value, name, walk);
  if (typeof value === 'string') {
    checkString(s, value, name, walk);
    checkFormat(s, value, name, walk);
  }
  if (typeof value === 'number') checkNumber(s, value, name, walk);
  if (Array.isArray(value)) checkArray(s, value, name, walk);
  checkEnum(s, value, name, walk);
  if (isObject(value)) checkObject(s, value, name, walk);
}

/** The JSON type kube-openapi sees: integral numbers decode to int64, others to float64. */
function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function declaredTypes(s: Schema): string[] {
  if (isIntOrString(s)) return ['integer', 'string'];
  const type = schemaType(s);
  return type === '' ? [] : [type];
}

function checkType(s: Schema, value: unknown, name: string, walk: Walk): void {
  const types = declaredTypes(s);
  if (types.length === 0) return;
  const actual = jsonType(value);
  if (actual === 'null' && isNullable(s)) return;
  if (types.includes(actual) || (actual === 'integer' && types.includes('number'))) return;
  // A string with a format is the format validator's business unless the type is numeric.
  if (
    actual === 'string' &&
    typeof s['format'] === 'string' &&
    s['format'] !== '' &&
    !types.some((t) => t === 'number' || t === 'integer')
  ) {
    return;
  }
  const message = `${name} in body must be of type ${types.join(',')}: ${goQuote(actual)}`;
  walk.causes.push(typeInvalid(fieldOf(walk, name), actual, message));
}

/** Whether `value` satisfies `s` alone (used for allOf/anyOf/oneOf/not). */
function subschemaCauses(s: Schema, value: unknown, name: string, walk: Walk): Cause[] {
  const inner: Walk = { causes: [], base: walk.base };
  validateNode(s, value, name, inner);
  return inner.causes;
}

function checkComposition(s: Schema, value: unknown, name: string, walk: Walk): void {
  const quoted = goQuote(name);
  const anyOf = schemaList(s, 'anyOf');
  if (anyOf.length > 0) {
    const results = anyOf.map((sub) => subschemaCauses(sub, value, name, walk));
    if (!results.some((causes) => causes.length === 0)) {
      rootError(walk, `${quoted} must validate at least one schema (anyOf)`);
      walk.causes.push(...(results[0] ?? []));
    }
  }
  const oneOf = schemaList(s, 'oneOf');
  if (oneOf.length > 0) checkOneOf(oneOf, value, name, walk);
  const not = s['not'];
  if (isObject(not) && subschemaCauses(not, value, name, walk).length === 0) {
    rootError(walk, `${quoted} must not validate the schema (not)`);
  }
  const allOf = schemaList(s, 'allOf');
  if (allOf.length > 0) {
    const results = allOf.map((sub) => subschemaCauses(sub, value, name, walk));
    const valid = results.filter((causes) => causes.length === 0).length;
    for (const causes of results) walk.causes.push(...causes);
    if (valid !== allOf.length) {
      rootError(
        walk,
        `${quoted} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`,
      );
    }
  }
}

function checkOneOf(oneOf: Schema[], value: unknown, name: string, walk: Walk): void {
  const results = oneOf.map((sub) => subschemaCauses(sub, value, name, walk));
  const valid = results.filter((causes) => causes.length === 0).length;
  if (valid === 1) return;
  const found = valid > 1 ? `. Found ${valid} valid alternatives` : '';
  rootError(walk, `${goQuote(name)} must validate one and only one schema (oneOf)${found}`);
  if (valid === 0) walk.causes.push(...(results[0] ?? []));
}

/** kube-openapi stops at the first failing string rule: maxLength, then minLength, then pattern. */
function checkString(s: Schema, value: string, name: string, walk: Walk): void {
  const length = [...value].length; // runes, not bytes
  const maxLength = numberAt(s, 'maxLength');
  const minLength = numberAt(s, 'minLength');
  const pattern = typeof s['pattern'] === 'string' ? s['pattern'] : undefined;
  if (maxLength !== undefined && length > maxLength)
    walk.causes.push(tooLong(fieldOf(walk, name), maxLength));
  else if (minLength !== undefined && length < minLength) {
    walk.causes.push(
      invalidValue(fieldOf(walk, name), value, `${name} in body should be at least ${minLength} chars long`),
    );
  } else if (pattern !== undefined) checkPattern(pattern, value, name, walk);
}

/** kube-openapi's validate.Pattern: regexp.MatchString, unanchored. */
function checkPattern(pattern: string, value: string, name: string, walk: Walk): void {
  let regex: GoPattern;
  try {
    regex = compileGoRegexp(pattern);
  } catch (error) {
    if (!(error instanceof GoRegexpError)) throw error;
    const reason = error.goMessage;
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        value,
        `${name} in body should match '${pattern}, but pattern is invalid: ${reason}'`,
      ),
    );
    return;
  }
  if (!regex.test(value))
    walk.causes.push(invalidValue(fieldOf(walk, name), value, `${name} in body should match '${pattern}'`));
}

// The formats kube keeps (apiextensions' supported list); unknown formats are stripped and never checked.
const FORMAT_CHECKS: Record<string, (value: string) => boolean> = {
  'date-time': isDateTime,
  datetime: isDateTime,
  date: isDate,
  byte: (value) => base64DecodeError(value) === undefined,
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  uuid3: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  uuid4: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(value),
  uuid5: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(value),
  ipv4: (value) => isIP(value) === 4,
  ipv6: (value) => isIP(value) === 6,
  cidr: isCidr,
  hostname: (value) =>
    value.length <= 255 &&
    /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(
      value,
    ),
  email: (value) => /^[^@\s]+@[^@\s]+$/.test(value),
  mac: (value) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(value),
};

function isDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isDateTime(value: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!match || !isDate(match[1] ?? '')) return false;
  return Number(match[2]) <= 23 && Number(match[3]) <= 59 && Number(match[4]) <= 59;
}

function isCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length > 0 || !/^\d+$/.test(prefix)) return false;
  const version = isIP(address);
  return version !== 0 && Number(prefix) <= (version === 4 ? 32 : 128);
}

function checkFormat(s: Schema, value: string, name: string, walk: Walk): void {
  const format = typeof s['format'] === 'string' ? s['format'] : '';
  const check = FORMAT_CHECKS[format];
  if (check === undefined || check(value)) return;
  walk.causes.push(
    typeInvalid(fieldOf(walk, name), value, `${name} in body must be of type ${format}: ${goQuote(value)}`),
  );
}

const INT32_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;

function checkNumber(s: Schema, value: number, name: string, walk: Walk): void {
  if (
    schemaType(s) === 'integer' &&
    s['format'] === 'int32' &&
    (value < INT32_RANGE[0] || value > INT32_RANGE[1])
  ) {
    rootError(walk, `Checked value must be of type integer with format int32 in ${name}`);
  }
  checkMultipleOf(s, value, name, walk);
  checkBound(s, value, name, walk, 'maximum');
  checkBound(s, value, name, walk, 'minimum');
}

/**
 * Go compares an int64 value with the bound truncated to int64, unless the bound does not fit the declared integer
 * type; a float value is compared as float64. The bound is printed the same way.
 */
function nativeBound(s: Schema, value: number, bound: number): { limit: number; text: string } {
  const asInteger = Number.isInteger(value) && !(schemaType(s) === 'integer' && !Number.isInteger(bound));
  return asInteger
    ? { limit: Math.trunc(bound), text: String(Math.trunc(bound)) }
    : { limit: bound, text: goFloat(bound) };
}

function checkBound(s: Schema, value: number, name: string, walk: Walk, which: 'maximum' | 'minimum'): void {
  const bound = numberAt(s, which);
  if (bound === undefined) return;
  const exclusive = s[which === 'maximum' ? 'exclusiveMaximum' : 'exclusiveMinimum'] === true;
  const { limit, text } = nativeBound(s, value, bound);
  const fails =
    which === 'maximum'
      ? exclusive
        ? value >= limit
        : value > limit
      : exclusive
        ? value <= limit
        : value < limit;
  if (!fails) return;
  const relation =
    which === 'maximum'
      ? exclusive
        ? 'less than'
        : 'less than or equal to'
      : exclusive
        ? 'greater than'
        : 'greater than or equal to';
  walk.causes.push(invalidValue(fieldOf(walk, name), value, `${name} in body should be ${relation} ${text}`));
}

function checkMultipleOf(s: Schema, value: number, name: string, walk: Walk): void {
  const factor = numberAt(s, 'multipleOf');
  if (factor === undefined || factor === 0) return;
  const integral = Number.isInteger(value) && Number.isInteger(factor);
  const multiple = integral
    ? value % factor === 0
    : Number.isInteger(factor < 1 ? (1 / factor) * value : value / factor);
  if (multiple) return;
  const text = integral ? String(factor) : goFloat(factor);
  walk.causes.push(
    invalidValue(fieldOf(walk, name), value, `${name} in body should be a multiple of ${text}`),
  );
}

/** Items first, then the size rules (kube-openapi's schemaSliceValidator order). */
function checkArray(s: Schema, value: unknown[], name: string, walk: Walk): void {
  const itemSchema = items(s);
  if (itemSchema) value.forEach((item, i) => validateNode(itemSchema, item, `${name}[${i}]`, walk));
  const minItems = numberAt(s, 'minItems');
  const maxItems = numberAt(s, 'maxItems');
  if (minItems !== undefined && value.length < minItems) {
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        value.length,
        `${name} in body should have at least ${minItems} items`,
      ),
    );
  }
  if (maxItems !== undefined && value.length > maxItems)
    walk.causes.push(tooMany(fieldOf(walk, name), value.length, maxItems));
  if (
    s['uniqueItems'] === true &&
    value.some((item, i) => value.slice(0, i).some((earlier) => isDeepStrictEqual(earlier, item)))
  ) {
    walk.causes.push(invalidValue(fieldOf(walk, name), '', `${name} in body shouldn't contain duplicates`));
  }
}

function checkEnum(s: Schema, value: unknown, name: string, walk: Walk): void {
  const allowed = s['enum'];
  if (!Array.isArray(allowed) || allowed.length === 0) return;
  if (allowed.some((candidate) => isDeepStrictEqual(candidate, value))) return;
  // kube lists strings as they are and anything else as JSON.
  const supported = allowed.map((candidate) =>
    typeof candidate === 'string' ? candidate : JSON.stringify(candidate),
  );
  walk.causes.push(notSupported(fieldOf(walk, name), value, supported));
}

function checkObject(s: Schema, value: JsonObject, name: string, walk: Walk): void {
  const count = Object.keys(value).length;
  const minProperties = numberAt(s, 'minProperties');
  const maxProperties = numberAt(s, 'maxProperties');
  // kube-openapi skips the rest of the object once a property count rule fails.
  if (minProperties !== undefined && count < minProperties) {
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        count,
        `${name} in body should have at least ${minProperties} properties`,
      ),
    );
    return;
  }
  if (maxProperties !== undefined && count > maxProperties) {
    walk.causes.push(tooMany(fieldOf(walk, name), count, maxProperties));
    return;
  }
  checkAdditionalProperties(s, value, name, walk);
  for (const [prop, item] of Object.entries(value)) {
    const propSchema = properties(s)[prop];
    if (propSchema && item !== undefined)
      validateNode(propSchema, item, name === '' ? prop : `${name}.${prop}`, walk);
  }
  const requiredList = Array.isArray(s['required']) ? (s['required'] as unknown[]) : [];
  for (const prop of requiredList) {
    // An undefined property cannot come from JSON; it counts as absent.
    if (typeof prop === 'string' && value[prop] === undefined)
      walk.causes.push(required(fieldOf(walk, `${name}.${prop}`)));
  }
}

function checkAdditionalProperties(s: Schema, value: JsonObject, name: string, walk: Walk): void {
  const extra = additional(s);
  for (const [prop, item] of Object.entries(value)) {
    if (hasProperty(s, prop)) continue;
    if (extra === false) {
      walk.causes.push(
        invalidValue(fieldOf(walk, name), prop, `${name}.${prop} in body is a forbidden property`),
      );
    } else if (typeof extra === 'object') validateNode(extra, item, `${name}.${prop}`, walk);
  }
}
