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

// ---------- schema nodes, compiled once ----------

/**
 * A schema node as the walks below use it: every write of a custom resource walks the same schema, so keys, flags
 * and keywords are read once, and children are compiled nodes too. Compiled nodes are kept in a WeakMap keyed by
 * the schema node (they go when the CRD does). Schemas are never changed in place: a CRD's comes from a stored
 * object, and stored objects are shared and never mutated (objects/object.ts).
 */
interface SchemaNode {
  readonly schema: Schema;
  /**
   * Every key under `properties`. An entry that is not an object acts as an empty schema, except that for a null
   * one fieldSchema() falls through to additionalProperties (undefined here).
   */
  readonly properties: ReadonlyMap<string, SchemaNode | undefined>;
  /** The properties that have a default. */
  readonly defaulted: readonly (readonly [string, SchemaNode])[];
  /** additionalProperties: a schema, `true`/`false`, or undefined when absent. */
  readonly additional: SchemaNode | boolean | undefined;
  /** The schema that applies to values under additionalProperties (none for `true`/`false`). */
  readonly additionalSchema: SchemaNode | undefined;
  readonly items: SchemaNode | undefined;
  readonly preservesUnknown: boolean;
  readonly embedded: boolean;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  /** Whether defaults, embedded resources or list types occur at or below this node: walks skip the rest. */
  readonly reachesDefaults: boolean;
  readonly reachesEmbedded: boolean;
  readonly reachesListType: boolean;
  readonly rules: Rules;
}

const compiled = new WeakMap<Schema, SchemaNode>();

/** The compiled node of `s`; no schema is the empty one. */
function nodeOf(s: Schema | undefined): SchemaNode {
  if (s === undefined) return EMPTY_NODE;
  let node = compiled.get(s);
  if (node === undefined) {
    node = compile(s);
    compiled.set(s, node);
  }
  return node;
}

function compile(s: Schema): SchemaNode {
  const properties = new Map<string, SchemaNode | undefined>();
  const declared = s['properties'];
  if (isObject(declared)) {
    for (const [name, prop] of Object.entries(declared))
      properties.set(name, isObject(prop) ? nodeOf(prop) : prop === null ? undefined : EMPTY_NODE);
  }
  const additional = readAdditional(s);
  const additionalSchema = typeof additional === 'object' ? additional : undefined;
  const itemSchema = s['items'];
  const items = isObject(itemSchema) ? nodeOf(itemSchema) : undefined;
  const defaulted: [string, SchemaNode][] = [];
  for (const [name, prop] of properties) if (prop?.hasDefault) defaulted.push([name, prop]);
  const children = [...properties.values(), additionalSchema, items].filter((sub) => sub !== undefined);
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const listType = s['x-kubernetes-list-type'];
  return {
    schema: s,
    properties,
    defaulted,
    additional,
    additionalSchema,
    items,
    preservesUnknown: s['x-kubernetes-preserve-unknown-fields'] === true,
    embedded,
    nullable: s['nullable'] === true,
    hasDefault: s['default'] !== undefined,
    reachesDefaults: defaulted.length > 0 || children.some((sub) => sub.reachesDefaults),
    reachesEmbedded: embedded || children.some((sub) => sub.reachesEmbedded),
    reachesListType: listType === 'set' || listType === 'map' || children.some((sub) => sub.reachesListType),
    rules: readRules(s),
  };
}

const EMPTY_NODE = compile(Object.freeze({}));

function readAdditional(s: Schema): SchemaNode | boolean | undefined {
  const value = s['additionalProperties'];
  if (typeof value === 'boolean') return value;
  return isObject(value) ? nodeOf(value) : undefined;
}

/** The schema for a property, or for any key under additionalProperties. */
function fieldSchema(node: SchemaNode, name: string): SchemaNode | undefined {
  return node.properties.get(name) ?? node.additionalSchema;
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
  const copy = copyJson(object) as JsonObject;
  // Unknown metadata fields go first: kube decodes ObjectMeta before it prunes (sorted: it re-marshals a map).
  const unknownFields = dropUnknownMetadata(copy, 'metadata');
  let causes: Cause[] = [];
  if (schema) {
    const root = nodeOf(schema);
    applyDefaults(copy, root);
    unknownFields.push(...pruneValue(copy, schema, true));
    dropNullsWithoutDefaults(copy, root);
    unknownFields.push(...coerceEmbeddedMetadata(copy, root));
    causes = [
      ...validateValue(schema, copy),
      ...validateEmbeddedResources(copy, root),
      ...validateListTypes(copy, root),
    ];
  }
  return { object: copy, unknownFields: options.fieldValidation === 'Ignore' ? [] : unknownFields, causes };
}

/**
 * A deep copy of a decoded JSON value, as structuredClone makes it but several times faster: structuredClone
 * serializes every string, and a custom resource is mostly long strings. Values JSON cannot hold go to structuredClone.
 */
function copyJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const original = value as JsonObject;
  const copy: JsonObject = {};
  for (const name of Object.keys(original)) {
    const item = copyJson(original[name]);
    // A decoded `"__proto__"` key is an ordinary property; assigning it would set the prototype instead.
    if (name === '__proto__') {
      Object.defineProperty(copy, name, {
        value: item,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else copy[name] = item;
  }
  return copy;
}

/** kube re-marshals ObjectMeta from a Go map, so the paths come out sorted. */
function dropUnknownMetadata(object: JsonObject, path: string): string[] {
  const metadata = object['metadata'];
  return isObject(metadata) ? dropUnknownMetadataFields(metadata, path).sort(compareGoStrings) : [];
}

// ---------- defaulting (structuraldefaulting.Default) ----------

/** Fills absent properties (and non-nullable nulls) that have a default, then recurses into the result. */
function applyDefaults(value: unknown, node: SchemaNode | undefined): void {
  if (node === undefined || !node.reachesDefaults) return;
  if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, node.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [name, prop] of node.defaulted) {
    const current = value[name];
    if (current === undefined || (current === null && !prop.nullable))
      value[name] = structuredClone(prop.schema['default']);
  }
  for (const name of Object.keys(value)) applyDefaults(value[name], fieldSchema(node, name));
}

// ---------- pruning (structuralpruning.PruneWithOptions) ----------

/**
 * Removes fields the schema does not specify, in place, and returns their paths sorted (`spec.foo`,
 * `spec.list[0].bar`). At a resource root (and in embedded resources) apiVersion, kind and metadata are kept.
 */
export function pruneValue(value: unknown, s: Schema | undefined, isResourceRoot: boolean): string[] {
  const unknown: string[] = [];
  prune(value, nodeOf(s), '', unknown, isResourceRoot);
  return unknown.sort(compareGoStrings);
}

function joinKey(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** `resourceRoot` makes the node an embedded resource, whatever its schema says. */
function prune(
  value: unknown,
  node: SchemaNode = EMPTY_NODE,
  path: string,
  unknown: string[],
  resourceRoot = false,
): void {
  const keepsTypeAndMeta = resourceRoot || node.embedded;
  if (node.preservesUnknown) {
    pruneKnown(value, node, keepsTypeAndMeta, path, unknown);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, node.items, index(path, i), unknown));
    return;
  }
  if (isObject(value)) pruneFields(value, node, keepsTypeAndMeta, path, unknown, true);
}

/** Under x-kubernetes-preserve-unknown-fields unknown keys stay, but known ones are still pruned inside. */
function pruneKnown(
  value: unknown,
  node: SchemaNode,
  keepsTypeAndMeta: boolean,
  path: string,
  unknown: string[],
): void {
  if (Array.isArray(value)) {
    const itemNode = node.items;
    if (itemNode === undefined) return;
    value.forEach((item, i) => pruneKnown(item, itemNode, itemNode.embedded, index(path, i), unknown));
    return;
  }
  if (isObject(value)) pruneFields(value, node, keepsTypeAndMeta, path, unknown, false);
}

/** Prunes inside each field the schema knows; with `dropUnknown` the other fields are removed and reported. */
function pruneFields(
  value: Record<string, unknown>,
  node: SchemaNode,
  keepsTypeAndMeta: boolean,
  path: string,
  unknown: string[],
  dropUnknown: boolean,
): void {
  for (const name of Object.keys(value)) {
    if (keepsTypeAndMeta && META_FIELDS.has(name)) continue;
    if (node.properties.has(name))
      prune(value[name], node.properties.get(name), joinKey(path, name), unknown);
    else if (node.additional !== undefined)
      prune(value[name], node.additionalSchema, joinKey(path, name), unknown);
    else if (dropUnknown) {
      if (!META_FIELDS.has(name) || path !== '') unknown.push(joinKey(path, name));
      delete value[name];
    }
  }
}

/** structuraldefaulting.PruneNonNullableNullsWithoutDefaults: a null the schema does not allow is dropped. */
function dropNullsWithoutDefaults(value: unknown, node: SchemaNode | undefined): void {
  if (node === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) dropNullsWithoutDefaults(item, node.items);
    return;
  }
  // Without properties or an additionalProperties schema no key has a schema, so no null is refused.
  if (!isObject(value) || (node.properties.size === 0 && node.additionalSchema === undefined)) return;
  for (const name of Object.keys(value)) {
    const prop = fieldSchema(node, name);
    if (prop === undefined) continue;
    const item = value[name];
    if (item === null && !prop.nullable && !prop.hasDefault) delete value[name];
    else dropNullsWithoutDefaults(item, prop);
  }
}

// ---------- embedded resources (schemaobjectmeta) ----------

/** Drops unknown ObjectMeta fields of embedded resources (not the root's) and returns their sorted paths. */
function coerceEmbeddedMetadata(value: unknown, node: SchemaNode | undefined, path = ''): string[] {
  if (node === undefined || !node.reachesEmbedded) return [];
  const unknown: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknown.push(...coerceEmbeddedMetadata(item, node.items, index(path, i))));
  } else if (isObject(value)) {
    if (node.embedded && path !== '') unknown.push(...dropUnknownMetadata(value, child(path, 'metadata')));
    for (const [name, item] of Object.entries(value)) {
      if (node.properties.has(name))
        unknown.push(...coerceEmbeddedMetadata(item, node.properties.get(name), child(path, name)));
      else if (node.additionalSchema)
        unknown.push(...coerceEmbeddedMetadata(item, node.additionalSchema, key(path, name)));
    }
  }
  return unknown.sort(compareGoStrings);
}

/** schemaobjectmeta.Validate: embedded resources need apiVersion and kind, and valid metadata. */
function validateEmbeddedResources(value: unknown, node: SchemaNode | undefined, path = ''): Cause[] {
  if (node === undefined || !node.reachesEmbedded) return [];
  if (Array.isArray(value))
    return value.flatMap((item, i) => validateEmbeddedResources(item, node.items, index(path, i)));
  if (!isObject(value)) return [];
  const causes = node.embedded && path !== '' ? validateEmbeddedResource(value, path) : [];
  for (const [name, item] of Object.entries(value)) {
    if (node.properties.has(name))
      causes.push(...validateEmbeddedResources(item, node.properties.get(name), child(path, name)));
    else if (node.additionalSchema)
      causes.push(...validateEmbeddedResources(item, node.additionalSchema, key(path, name)));
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

function validateListTypes(value: unknown, node: SchemaNode | undefined, path = ''): Cause[] {
  if (node === undefined || !node.reachesListType) return [];
  if (Array.isArray(value)) {
    const causes = listDuplicates(value, node, path);
    return [...causes, ...value.flatMap((item, i) => validateListTypes(item, node.items, index(path, i)))];
  }
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([name, item]) => {
    if (node.properties.has(name))
      return validateListTypes(item, node.properties.get(name), child(path, name));
    const extra = node.additionalSchema;
    return extra ? validateListTypes(item, extra, key(path, name)) : [];
  });
}

function listDuplicates(list: unknown[], node: SchemaNode, path: string): Cause[] {
  const s = node.schema;
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') return duplicatesBy(list, path, (item) => item);
  if (listType !== 'map') return [];
  const mapKeys = Array.isArray(s['x-kubernetes-list-map-keys'])
    ? (s['x-kubernetes-list-map-keys'] as unknown[])
    : [];
  const itemProps = (node.items ?? EMPTY_NODE).properties;
  const keyOf = (item: unknown): unknown => {
    const object = isObject(item) ? item : {};
    const entries = mapKeys.map((name) => {
      const keyName = String(name);
      return [keyName, object[keyName] ?? itemProps.get(keyName)?.schema['default'] ?? null];
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

/** The validation keywords of a node, read once (see SchemaNode). */
interface Rules {
  readonly type: string;
  /** The JSON types a value may have; none means any. */
  readonly types: readonly string[];
  /** The format, '' when there is none. */
  readonly format: string;
  readonly anyOf: readonly SchemaNode[];
  readonly oneOf: readonly SchemaNode[];
  readonly allOf: readonly SchemaNode[];
  readonly not: SchemaNode | undefined;
  /** Whether any of anyOf, oneOf, allOf or not is there. */
  readonly composed: boolean;
  readonly maxLength: number | undefined;
  readonly minLength: number | undefined;
  readonly pattern: string | undefined;
  readonly maximum: number | undefined;
  readonly exclusiveMaximum: boolean;
  readonly minimum: number | undefined;
  readonly exclusiveMinimum: boolean;
  readonly multipleOf: number | undefined;
  readonly minItems: number | undefined;
  readonly maxItems: number | undefined;
  readonly uniqueItems: boolean;
  /** The allowed values; undefined when any value is (no enum, or an empty one). */
  readonly enum: readonly unknown[] | undefined;
  /** The allowed strings, for a lookup instead of a deep comparison with each value. */
  readonly enumStrings: ReadonlySet<string>;
  readonly minProperties: number | undefined;
  readonly maxProperties: number | undefined;
  readonly required: readonly string[];
}

function readRules(s: Schema): Rules {
  const type = typeof s['type'] === 'string' ? s['type'] : '';
  const format = typeof s['format'] === 'string' ? s['format'] : '';
  const anyOf = schemaList(s, 'anyOf');
  const oneOf = schemaList(s, 'oneOf');
  const allOf = schemaList(s, 'allOf');
  const not = isObject(s['not']) ? nodeOf(s['not']) : undefined;
  const allowed = s['enum'];
  const enumValues = Array.isArray(allowed) && allowed.length > 0 ? (allowed as unknown[]) : undefined;
  const required = Array.isArray(s['required']) ? (s['required'] as unknown[]) : [];
  return {
    type,
    types: s['x-kubernetes-int-or-string'] === true ? ['integer', 'string'] : type === '' ? [] : [type],
    format,
    anyOf,
    oneOf,
    allOf,
    not,
    composed: anyOf.length > 0 || oneOf.length > 0 || allOf.length > 0 || not !== undefined,
    maxLength: numberAt(s, 'maxLength'),
    minLength: numberAt(s, 'minLength'),
    pattern: typeof s['pattern'] === 'string' ? s['pattern'] : undefined,
    maximum: numberAt(s, 'maximum'),
    exclusiveMaximum: s['exclusiveMaximum'] === true,
    minimum: numberAt(s, 'minimum'),
    exclusiveMinimum: s['exclusiveMinimum'] === true,
    multipleOf: numberAt(s, 'multipleOf'),
    minItems: numberAt(s, 'minItems'),
    maxItems: numberAt(s, 'maxItems'),
    uniqueItems: s['uniqueItems'] === true,
    enum: enumValues,
    enumStrings: new Set(enumValues?.filter((value) => typeof value === 'string')),
    minProperties: numberAt(s, 'minProperties'),
    maxProperties: numberAt(s, 'maxProperties'),
    required: required.filter((prop) => typeof prop === 'string'),
  };
}

function numberAt(s: Schema, name: string): number | undefined {
  return typeof s[name] === 'number' ? s[name] : undefined;
}

function schemaList(s: Schema, name: string): SchemaNode[] {
  const value = s[name];
  return Array.isArray(value) ? value.filter(isObject).map(nodeOf) : [];
}

/** How kube-openapi names a value after its parent. */
type Step = 'property' | 'additional' | 'item';

/**
 * The name kube-openapi gives the value being validated (`spec.ports[0].name`), kept as a stack of steps and only
 * rendered when an error reports it: validating a valid object, the usual case, builds no names at all.
 */
class ValueName {
  readonly #steps: Step[] = [];
  readonly #keys: (string | number)[] = [];

  push(step: Step, key: string | number): void {
    this.#steps.push(step);
    this.#keys.push(key);
  }

  pop(): void {
    this.#steps.pop();
    this.#keys.pop();
  }

  /** A key under `properties` follows a dot except at the root, one under additionalProperties always does. */
  toString(): string {
    let name = '';
    this.#steps.forEach((step, i) => {
      const key = String(this.#keys[i]);
      if (step === 'item') name = `${name}[${key}]`;
      else if (step === 'property' && name === '') name = key;
      else name = `${name}.${key}`;
    });
    return name;
  }
}

interface Walk {
  causes: Cause[];
  /** The field path errors hang off (`…default` when validating a default); undefined for a resource. */
  base: string | undefined;
  /** The value being validated; "" for the root. */
  name: ValueName;
}

/**
 * Validates `value` against `s` and returns kube's causes. kube-openapi names a value by its path (`spec.replicas`,
 * `spec.items[0]`, "" for the root); `base` is the field path the whole value sits at (kube uses it when it
 * validates a CRD's default values).
 */
export function validateValue(s: Schema, value: unknown, base?: string): Cause[] {
  const walk: Walk = { causes: [], base, name: new ValueName() };
  validateNode(nodeOf(s), value, walk);
  return walk.causes;
}

function nameOf(walk: Walk): string {
  return walk.name.toString();
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

function validateNode(node: SchemaNode, value: unknown, walk: Walk): void {
  const { rules } = node;
  checkType(node, value, walk);
  if (value === null || value === undefined) return;
  if (rules.composed) checkComposition(rules, value, walk);
  if (typeof value === 'string') {
    checkString(rules, value, walk);
    checkFormat(rules, value, walk);
  }
  if (typeof value === 'number') checkNumber(rules, value, walk);
  if (Array.isArray(value)) checkArray(node, value, walk);
  if (rules.enum !== undefined) checkEnum(rules, rules.enum, value, walk);
  if (isObject(value)) checkObject(node, value, walk);
}

/** Validates a value inside the current one: a property, an additionalProperties key or a list item. */
function validateChild(node: SchemaNode, value: unknown, walk: Walk, step: Step, key: string | number): void {
  walk.name.push(step, key);
  validateNode(node, value, walk);
  walk.name.pop();
}

/** The JSON type kube-openapi sees: integral numbers decode to int64, others to float64. */
function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function checkType(node: SchemaNode, value: unknown, walk: Walk): void {
  const { rules } = node;
  const { types } = rules;
  if (types.length === 0) return;
  const actual = jsonType(value);
  if (actual === 'null' && node.nullable) return;
  if (types.includes(actual) || (actual === 'integer' && types.includes('number'))) return;
  // A string with a format is the format validator's business unless the type is numeric.
  if (actual === 'string' && rules.format !== '' && !types.some((t) => t === 'number' || t === 'integer'))
    return;
  const name = nameOf(walk);
  const message = `${name} in body must be of type ${types.join(',')}: ${goQuote(actual)}`;
  walk.causes.push(typeInvalid(fieldOf(walk, name), actual, message));
}

/** Whether `value` satisfies `s` alone (used for allOf/anyOf/oneOf/not). */
function subschemaCauses(node: SchemaNode, value: unknown, walk: Walk): Cause[] {
  const inner: Walk = { causes: [], base: walk.base, name: walk.name };
  validateNode(node, value, inner);
  return inner.causes;
}

function quotedName(walk: Walk): string {
  return goQuote(nameOf(walk));
}

function checkComposition(rules: Rules, value: unknown, walk: Walk): void {
  const { anyOf, oneOf, not, allOf } = rules;
  if (anyOf.length > 0) {
    const results = anyOf.map((sub) => subschemaCauses(sub, value, walk));
    if (!results.some((causes) => causes.length === 0)) {
      rootError(walk, `${quotedName(walk)} must validate at least one schema (anyOf)`);
      walk.causes.push(...(results[0] ?? []));
    }
  }
  if (oneOf.length > 0) checkOneOf(oneOf, value, walk);
  if (not !== undefined && subschemaCauses(not, value, walk).length === 0) {
    rootError(walk, `${quotedName(walk)} must not validate the schema (not)`);
  }
  if (allOf.length > 0) {
    const results = allOf.map((sub) => subschemaCauses(sub, value, walk));
    const valid = results.filter((causes) => causes.length === 0).length;
    for (const causes of results) walk.causes.push(...causes);
    if (valid !== allOf.length) {
      rootError(
        walk,
        `${quotedName(walk)} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`,
      );
    }
  }
}

function checkOneOf(oneOf: readonly SchemaNode[], value: unknown, walk: Walk): void {
  const results = oneOf.map((sub) => subschemaCauses(sub, value, walk));
  const valid = results.filter((causes) => causes.length === 0).length;
  if (valid === 1) return;
  const found = valid > 1 ? `. Found ${valid} valid alternatives` : '';
  rootError(walk, `${quotedName(walk)} must validate one and only one schema (oneOf)${found}`);
  if (valid === 0) walk.causes.push(...(results[0] ?? []));
}

/** kube-openapi stops at the first failing string rule: maxLength, then minLength, then pattern. */
function checkString(rules: Rules, value: string, walk: Walk): void {
  const { maxLength, minLength, pattern } = rules;
  if (maxLength !== undefined || minLength !== undefined) {
    const length = runeCount(value);
    if (maxLength !== undefined && length > maxLength) {
      walk.causes.push(tooLong(fieldOf(walk, nameOf(walk)), maxLength));
      return;
    }
    if (minLength !== undefined && length < minLength) {
      const name = nameOf(walk);
      walk.causes.push(
        invalidValue(
          fieldOf(walk, name),
          value,
          `${name} in body should be at least ${minLength} chars long`,
        ),
      );
      return;
    }
  }
  if (pattern !== undefined) checkPattern(pattern, value, walk);
}

/** The length in runes, as `[...text].length` counts it, without building the array. */
function runeCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      count--; // a surrogate pair is one rune
      i++;
    }
  }
  return count;
}

/** kube-openapi's validate.Pattern: regexp.MatchString, unanchored. */
function checkPattern(pattern: string, value: string, walk: Walk): void {
  let regex: GoPattern;
  try {
    regex = compileGoRegexp(pattern);
  } catch (error) {
    if (!(error instanceof GoRegexpError)) throw error;
    const reason = error.goMessage;
    const name = nameOf(walk);
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        value,
        `${name} in body should match '${pattern}, but pattern is invalid: ${reason}'`,
      ),
    );
    return;
  }
  if (regex.test(value)) return;
  const name = nameOf(walk);
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

function checkFormat(rules: Rules, value: string, walk: Walk): void {
  const check = Object.hasOwn(FORMAT_CHECKS, rules.format) ? FORMAT_CHECKS[rules.format] : undefined;
  if (check === undefined || check(value)) return;
  const name = nameOf(walk);
  walk.causes.push(
    typeInvalid(
      fieldOf(walk, name),
      value,
      `${name} in body must be of type ${rules.format}: ${goQuote(value)}`,
    ),
  );
}

const INT32_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;

function checkNumber(rules: Rules, value: number, walk: Walk): void {
  if (
    rules.type === 'integer' &&
    rules.format === 'int32' &&
    (value < INT32_RANGE[0] || value > INT32_RANGE[1])
  ) {
    rootError(walk, `Checked value must be of type integer with format int32 in ${nameOf(walk)}`);
  }
  checkMultipleOf(rules, value, walk);
  checkBound(rules, value, walk, 'maximum');
  checkBound(rules, value, walk, 'minimum');
}

/**
 * Go compares an int64 value with the bound truncated to int64, unless the bound does not fit the declared integer
 * type; a float value is compared as float64. The bound is printed the same way.
 */
function nativeBound(rules: Rules, value: number, bound: number): { limit: number; text: string } {
  const asInteger = Number.isInteger(value) && !(rules.type === 'integer' && !Number.isInteger(bound));
  return asInteger
    ? { limit: Math.trunc(bound), text: String(Math.trunc(bound)) }
    : { limit: bound, text: goFloat(bound) };
}

function checkBound(rules: Rules, value: number, walk: Walk, which: 'maximum' | 'minimum'): void {
  const bound = rules[which];
  if (bound === undefined) return;
  const exclusive = which === 'maximum' ? rules.exclusiveMaximum : rules.exclusiveMinimum;
  const { limit, text } = nativeBound(rules, value, bound);
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
  const name = nameOf(walk);
  walk.causes.push(invalidValue(fieldOf(walk, name), value, `${name} in body should be ${relation} ${text}`));
}

function checkMultipleOf(rules: Rules, value: number, walk: Walk): void {
  const factor = rules.multipleOf;
  if (factor === undefined || factor === 0) return;
  const integral = Number.isInteger(value) && Number.isInteger(factor);
  const multiple = integral
    ? value % factor === 0
    : Number.isInteger(factor < 1 ? (1 / factor) * value : value / factor);
  if (multiple) return;
  const text = integral ? String(factor) : goFloat(factor);
  const name = nameOf(walk);
  walk.causes.push(
    invalidValue(fieldOf(walk, name), value, `${name} in body should be a multiple of ${text}`),
  );
}

/** Items first, then the size rules (kube-openapi's schemaSliceValidator order). */
function checkArray(node: SchemaNode, value: unknown[], walk: Walk): void {
  const { items, rules } = node;
  if (items) value.forEach((item, i) => validateChild(items, item, walk, 'item', i));
  const { minItems, maxItems } = rules;
  if (minItems !== undefined && value.length < minItems) {
    const name = nameOf(walk);
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        value.length,
        `${name} in body should have at least ${minItems} items`,
      ),
    );
  }
  if (maxItems !== undefined && value.length > maxItems)
    walk.causes.push(tooMany(fieldOf(walk, nameOf(walk)), value.length, maxItems));
  if (
    rules.uniqueItems &&
    value.some((item, i) => value.slice(0, i).some((earlier) => isDeepStrictEqual(earlier, item)))
  ) {
    const name = nameOf(walk);
    walk.causes.push(invalidValue(fieldOf(walk, name), '', `${name} in body shouldn't contain duplicates`));
  }
}

function checkEnum(rules: Rules, allowed: readonly unknown[], value: unknown, walk: Walk): void {
  const found =
    typeof value === 'string'
      ? rules.enumStrings.has(value)
      : allowed.some((candidate) => isDeepStrictEqual(candidate, value));
  if (found) return;
  // kube lists strings as they are and anything else as JSON.
  const supported = allowed.map((candidate) =>
    typeof candidate === 'string' ? candidate : JSON.stringify(candidate),
  );
  walk.causes.push(notSupported(fieldOf(walk, nameOf(walk)), value, supported));
}

function checkObject(node: SchemaNode, value: JsonObject, walk: Walk): void {
  const { rules } = node;
  if (!checkPropertyCount(rules, value, walk)) return;
  checkAdditionalProperties(node, value, walk);
  if (node.properties.size > 0) {
    for (const prop of Object.keys(value)) {
      const propSchema = node.properties.get(prop);
      const item = value[prop];
      if (propSchema !== undefined && item !== undefined)
        validateChild(propSchema, item, walk, 'property', prop);
    }
  }
  for (const prop of rules.required) {
    // An undefined property cannot come from JSON; it counts as absent.
    if (value[prop] === undefined) walk.causes.push(required(fieldOf(walk, `${nameOf(walk)}.${prop}`)));
  }
}

/** minProperties and maxProperties; kube-openapi skips the rest of the object once one fails (false). */
function checkPropertyCount(rules: Rules, value: JsonObject, walk: Walk): boolean {
  const { minProperties, maxProperties } = rules;
  if (minProperties === undefined && maxProperties === undefined) return true;
  const count = Object.keys(value).length;
  if (minProperties !== undefined && count < minProperties) {
    const name = nameOf(walk);
    walk.causes.push(
      invalidValue(
        fieldOf(walk, name),
        count,
        `${name} in body should have at least ${minProperties} properties`,
      ),
    );
    return false;
  }
  if (maxProperties !== undefined && count > maxProperties) {
    walk.causes.push(tooMany(fieldOf(walk, nameOf(walk)), count, maxProperties));
    return false;
  }
  return true;
}

function checkAdditionalProperties(node: SchemaNode, value: JsonObject, walk: Walk): void {
  const extra = node.additional;
  if (extra === undefined || extra === true) return;
  for (const prop of Object.keys(value)) {
    if (node.properties.has(prop)) continue;
    if (extra === false) {
      const name = nameOf(walk);
      walk.causes.push(
        invalidValue(fieldOf(walk, name), prop, `${name}.${prop} in body is a forbidden property`),
      );
    } else validateChild(extra, value[prop], walk, 'additional', prop);
  }
}
