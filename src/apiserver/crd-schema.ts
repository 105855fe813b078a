/**
 * The rules kube-apiserver 1.32 applies to a CustomResourceDefinition's openAPIV3Schema: the keywords it refuses,
 * the invariants of a structural schema (errors sorted as kube sorts them), and the default values inside the schema
 * (which must be pruned and must validate). Paths and messages are kube's. Pure; no I/O.
 */
import { isObject, objectAt, objectList, stringAt, stringList } from './json-access.ts';
import { isDeepStrictEqual } from 'node:util';

import {
  type Cause,
  child,
  forbidden,
  goStringSlice,
  index,
  invalidValue,
  key,
  notSupported,
  required,
  sortCauses,
  verbatim,
} from './field-errors.ts';
import { type Schema, pruneValue, validateValue } from './schema.ts';
import { compileGoRegexp, GoRegexpError } from '../common/go-regexp/index.ts';

// ---------- openAPIV3Schema ----------

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const META_FIELDS = new Set(['metadata', 'kind', 'apiVersion']);
const UNSUPPORTED_KEYWORDS: [string, string][] = [
  ['id', 'id is not supported'],
  ['additionalItems', 'additionalItems is not supported'],
  ['patternProperties', 'patternProperties is not supported'],
  ['definitions', 'definitions is not supported'],
  ['dependencies', 'dependencies is not supported'],
  ['$ref', '$ref is not supported'],
];

interface SchemaContext {
  isRoot: boolean;
  insideResourceMeta: boolean;
  /** Why defaults are forbidden here ("in top-level metadata"), if they are. */
  forbiddenDefaults: string | undefined;
}

/**
 * Causes for a version's `schema` object (or the promoted spec.validation) found at `path`: nothing when it has no
 * openAPIV3Schema (crd.ts reports missing schemas).
 */
export function validateCrdSchema(schemaHolder: unknown, path: string): Cause[] {
  const root = objectAt(isObject(schemaHolder) ? schemaHolder : undefined, 'openAPIV3Schema');
  if (!root) return [];
  const rootPath = child(path, 'openAPIV3Schema');
  const causes: Cause[] = [];
  if (root['nullable'] === true)
    causes.push(forbidden(child(rootPath, 'nullable'), 'nullable cannot be true at the root'));
  causes.push(
    ...validateSchemaNode(root, rootPath, {
      isRoot: true,
      insideResourceMeta: false,
      forbiddenDefaults: undefined,
    }),
  );
  if (usesUnsupportedKeywords(root)) return causes; // kube cannot build a structural schema; it reports only the above
  const structural = sortCauses(validateStructural(root, 'root', rootPath));
  if (structural.length > 0) return [...causes, ...structural];
  return [...causes, ...validateDefaults(root, rootPath, true)];
}

function usesUnsupportedKeywords(schema: Schema): boolean {
  if (
    UNSUPPORTED_KEYWORDS.some(([keyword]) => schema[keyword] !== undefined) ||
    Array.isArray(schema['items'])
  )
    return true;
  return subschemas(schema).some(({ schema: sub }) => usesUnsupportedKeywords(sub));
}

/** Every directly nested schema with its path segment. */
function subschemas(schema: Schema): { schema: Schema; path: (parent: string) => string }[] {
  const nested: { schema: Schema; path: (parent: string) => string }[] = [];
  for (const [name, sub] of Object.entries(objectAt(schema, 'properties') ?? {})) {
    if (isObject(sub)) nested.push({ schema: sub, path: (parent) => key(child(parent, 'properties'), name) });
  }
  const extra = schema['additionalProperties'];
  if (isObject(extra))
    nested.push({ schema: extra, path: (parent) => child(parent, 'additionalProperties') });
  const itemSchema = schema['items'];
  if (isObject(itemSchema)) nested.push({ schema: itemSchema, path: (parent) => child(parent, 'items') });
  const not = schema['not'];
  if (isObject(not)) nested.push({ schema: not, path: (parent) => child(parent, 'not') });
  for (const keyword of ['allOf', 'oneOf', 'anyOf']) {
    objectList(schema[keyword]).forEach((sub, i) =>
      nested.push({ schema: sub, path: (parent) => index(child(parent, keyword), i) }),
    );
  }
  return nested;
}

/** ValidateCustomResourceDefinitionOpenAPISchema: the keyword rules, node by node. */
function validateSchemaNode(schema: Schema, path: string, context: SchemaContext): Cause[] {
  const causes = validateKeywords(schema, path, context);
  if (schema['uniqueItems'] === true) {
    causes.push(
      forbidden(
        child(path, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  const extra = schema['additionalProperties'];
  const props = objectAt(schema, 'properties') ?? {};
  if (extra !== undefined && Object.keys(props).length > 0 && (extra === false || isObject(extra))) {
    causes.push(
      forbidden(
        child(path, 'additionalProperties'),
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (isObject(extra)) {
    const inner = context.insideResourceMeta
      ? { ...context, forbiddenDefaults: 'inside additionalProperties applying to object metadata' }
      : context;
    causes.push(
      ...validateSchemaNode(extra, child(path, 'additionalProperties'), { ...inner, isRoot: false }),
    );
  }
  for (const [name, sub] of Object.entries(props)) {
    if (!isObject(sub)) continue;
    causes.push(
      ...validateSchemaNode(
        sub,
        key(child(path, 'properties'), name),
        propertyContext(schema, name, context),
      ),
    );
  }
  const nested = { ...context, isRoot: false };
  const not = schema['not'];
  if (isObject(not)) causes.push(...validateSchemaNode(not, child(path, 'not'), nested));
  for (const keyword of ['allOf', 'oneOf', 'anyOf']) {
    objectList(schema[keyword]).forEach((sub, i) =>
      causes.push(...validateSchemaNode(sub, index(child(path, keyword), i), nested)),
    );
  }
  const itemSchema = schema['items'];
  if (isObject(itemSchema)) causes.push(...validateSchemaNode(itemSchema, child(path, 'items'), nested));
  return [...causes, ...validateExtensions(schema, path)];
}

function propertyContext(parent: Schema, name: string, context: SchemaContext): SchemaContext {
  const resourceLevel = context.isRoot || parent['x-kubernetes-embedded-resource'] === true;
  if (!resourceLevel || !META_FIELDS.has(name)) return { ...context, isRoot: false };
  return {
    isRoot: false,
    insideResourceMeta: true,
    forbiddenDefaults: context.isRoot ? `in top-level ${name}` : context.forbiddenDefaults,
  };
}

/** specStandardValidatorV3.validate. */
function validateKeywords(schema: Schema, path: string, context: SchemaContext): Cause[] {
  const causes: Cause[] = [];
  const type = typeof schema['type'] === 'string' ? schema['type'] : '';
  if (type !== '' && !OPENAPI_TYPES.includes(type))
    causes.push(notSupported(child(path, 'type'), type, OPENAPI_TYPES));
  if (schema['default'] !== undefined && context.forbiddenDefaults !== undefined) {
    causes.push(forbidden(child(path, 'default'), `must not be set ${context.forbiddenDefaults}`));
  }
  for (const [keyword, message] of UNSUPPORTED_KEYWORDS) {
    if (schema[keyword] !== undefined) causes.push(forbidden(child(path, keyword), message));
  }
  if (type === 'null')
    causes.push(forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(schema['items']))
    causes.push(forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (context.insideResourceMeta && schema['x-kubernetes-embedded-resource'] === true) {
    causes.push(
      forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'),
    );
  }
  return causes;
}

function validateExtensions(schema: Schema, path: string): Cause[] {
  const causes: Cause[] = [];
  const type = typeof schema['type'] === 'string' ? schema['type'] : '';
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    causes.push(
      invalidValue(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'),
    );
  }
  const mapType = schema['x-kubernetes-map-type'];
  if (mapType !== undefined && type !== 'object')
    causes.push(typeRequirement(path, type, 'must be object if x-kubernetes-map-type is specified'));
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    causes.push(notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  }
  causes.push(...validateListType(schema, path, type), ...validateCelRules(schema, path));
  return causes;
}

function typeRequirement(path: string, type: string, message: string): Cause {
  return type === ''
    ? required(child(path, 'type'), message)
    : invalidValue(child(path, 'type'), type, message);
}

function validateListType(schema: Schema, path: string, type: string): Cause[] {
  const causes: Cause[] = [];
  const listType = schema['x-kubernetes-list-type'];
  const mapKeys = stringList(schema['x-kubernetes-list-map-keys']);
  if (listType !== undefined && type !== 'array')
    causes.push(typeRequirement(path, type, 'must be array if x-kubernetes-list-type is specified'));
  if (
    listType !== undefined &&
    !(typeof listType === 'string' && ['atomic', 'set', 'map'].includes(listType))
  ) {
    causes.push(notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }
  const listTypeField = child(path, 'x-kubernetes-list-type');
  if (mapKeys.length > 0 && listType === undefined)
    causes.push(required(listTypeField, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  else if (mapKeys.length > 0 && listType !== 'map')
    causes.push(
      invalidValue(listTypeField, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'),
    );
  if (listType === 'map') causes.push(...validateListMap(schema, path, mapKeys));
  return causes;
}

function validateListMap(schema: Schema, path: string, mapKeys: string[]): Cause[] {
  const causes: Cause[] = [];
  if (mapKeys.length === 0)
    causes.push(
      required(
        child(path, 'x-kubernetes-list-map-keys'),
        'must not be empty if x-kubernetes-list-type is map',
      ),
    );
  const itemSchema = objectAt(schema, 'items');
  if (!itemSchema)
    return [...causes, required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map')];
  if (itemSchema['type'] !== 'object') {
    return [
      ...causes,
      invalidValue(
        child(path, 'items', 'type'),
        itemSchema['type'] ?? '',
        "must be object if parent array's x-kubernetes-list-type is map",
      ),
    ];
  }
  const itemProps = objectAt(itemSchema, 'properties') ?? {};
  const itemRequired = stringList(itemSchema['required']);
  for (const mapKey of mapKeys) {
    const prop = objectAt(itemProps, mapKey);
    const propPath = key(child(path, 'items', 'properties'), mapKey);
    if (!prop) {
      causes.push(
        invalidValue(
          child(path, 'x-kubernetes-list-map-keys'),
          verbatim(goStringSlice(mapKeys)),
          'entries must all be names of item properties',
        ),
      );
      continue;
    }
    if (prop['type'] === 'array' || prop['type'] === 'object') {
      causes.push(
        invalidValue(
          child(propPath, 'type'),
          'object',
          "must be a scalar type if parent array's x-kubernetes-list-type is map",
        ),
      );
    }
    if (!itemRequired.includes(mapKey) && prop['default'] === undefined) {
      causes.push(
        required(
          child(propPath, 'default'),
          'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
        ),
      );
    }
    if (prop['nullable'] === true)
      causes.push(
        forbidden(
          child(propPath, 'nullable'),
          'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
        ),
      );
  }
  return causes;
}

/** Only the shape of x-kubernetes-validations is checked: the rules themselves are CEL, which is not compiled here. */
function validateCelRules(schema: Schema, path: string): Cause[] {
  return objectList(schema['x-kubernetes-validations']).flatMap((rule, i) => {
    const rulePath = index(child(path, 'x-kubernetes-validations'), i);
    const text = stringAt(rule, 'rule').trim();
    const message = stringAt(rule, 'message');
    if (text === '') return [required(child(rulePath, 'rule'), 'rule is not specified')];
    if (message !== '' && message.trim() === '')
      return [invalidValue(child(rulePath, 'message'), message, 'message must be non-empty if specified')];
    if (/[\n\r]/.test(message.trim()))
      return [invalidValue(child(rulePath, 'message'), message, 'message must not contain line breaks')];
    if (/[\n\r]/.test(text) && message.trim() === '')
      return [required(child(rulePath, 'message'), 'message must be specified if rule contains line breaks')];
    return [];
  });
}

// ---------- structural schema invariants (apiextensions schema.ValidateStructural) ----------

type Level = 'root' | 'item' | 'field';

const EMPTY_TYPE_MESSAGE: Record<Level, string> = {
  root: 'must not be empty at the root',
  item: 'must not be empty for specified array items',
  field: 'must not be empty for specified object fields',
};

function validateStructural(schema: Schema, level: Level, path: string): Cause[] {
  const causes: Cause[] = [];
  const type = typeof schema['type'] === 'string' ? schema['type'] : '';
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const itemSchema = objectAt(schema, 'items');
  if (type === 'array' && !itemSchema) causes.push(required(child(path, 'items'), 'must be specified'));
  if (itemSchema) causes.push(...validateStructural(itemSchema, 'item', child(path, 'items')));
  for (const [name, sub] of Object.entries(objectAt(schema, 'properties') ?? {})) {
    if (isObject(sub)) causes.push(...validateStructural(sub, 'field', key(child(path, 'properties'), name)));
  }
  causes.push(...validateStructuralGenerics(schema, level, path));
  if (intOrString && preserve) {
    causes.push(
      invalidValue(
        child(path, 'x-kubernetes-preserve-unknown-fields'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (intOrString && embedded) {
    causes.push(
      invalidValue(
        child(path, 'x-kubernetes-embedded-resource'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  causes.push(...validateValueValidations(schema, path));
  if (embedded && type !== 'object')
    causes.push(typeRequirement(path, type, 'must be object if x-kubernetes-embedded-resource is true'));
  else if (type === '' && !intOrString && !preserve)
    causes.push(required(child(path, 'type'), EMPTY_TYPE_MESSAGE[level]));
  if (embedded && schema['additionalProperties'] !== undefined) {
    causes.push(
      forbidden(
        child(path, 'additionalProperties'),
        'must not be used if x-kubernetes-embedded-resource is set',
      ),
    );
  }
  if (level === 'root' && type !== '' && type !== 'object')
    causes.push(invalidValue(child(path, 'type'), type, 'must be object at the root'));
  causes.push(...validateResourceMetaSchemas(schema, level === 'root' || embedded, level === 'root', path));
  if (embedded && !preserve && Object.keys(objectAt(schema, 'properties') ?? {}).length === 0) {
    causes.push(
      required(
        child(path, 'properties'),
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
  return causes;
}

function validateStructuralGenerics(schema: Schema, level: Level, path: string): Cause[] {
  const extra = schema['additionalProperties'];
  if (extra === undefined) return [];
  const causes =
    level === 'root' ? [forbidden(child(path, 'additionalProperties'), 'must not be used at the root')] : [];
  if (isObject(extra))
    causes.push(...validateStructural(extra, 'field', child(path, 'additionalProperties')));
  return causes;
}

function validateResourceMetaSchemas(
  schema: Schema,
  checkMetadata: boolean,
  isRoot: boolean,
  path: string,
): Cause[] {
  const props = objectAt(schema, 'properties') ?? {};
  const propPath = (name: string): string => key(child(path, 'properties'), name);
  const causes: Cause[] = [];
  const expectType = (name: string, type: string): void => {
    const prop = objectAt(props, name);
    if (!checkMetadata || !prop || prop['type'] === type) return;
    causes.push(
      invalidValue(
        child(propPath(name), 'type'),
        typeof prop['type'] === 'string' ? prop['type'] : '',
        `must be ${type}`,
      ),
    );
  };
  expectType('kind', 'string');
  expectType('apiVersion', 'string');
  expectType('metadata', 'object');
  const metadata = objectAt(props, 'metadata');
  if (isRoot && metadata && !isNameOnlyMetadataSchema(metadata)) {
    causes.push(
      forbidden(
        propPath('metadata'),
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      ),
    );
  }
  return causes;
}

/** The root metadata schema may only restrict name and generateName (and say it is an object, with a default). */
function isNameOnlyMetadataSchema(metadata: Schema): boolean {
  const props = Object.keys(objectAt(metadata, 'properties') ?? {});
  const onlyNames = props.every((name) => name === 'name' || name === 'generateName');
  return (
    onlyNames && Object.keys(metadata).every((keyword) => ['type', 'default', 'properties'].includes(keyword))
  );
}

const FORBIDDEN_IN_VALUE_VALIDATION: [string, string][] = [
  ['type', 'must be empty to be structural'],
  ['additionalProperties', 'must be undefined to be structural'],
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
];

function isIntOrStringPattern(list: unknown): boolean {
  return isDeepStrictEqual(list, [{ type: 'integer' }, { type: 'string' }]);
}

/** allOf/anyOf/oneOf/not may only add value validations, never types or structure. */
function validateValueValidations(schema: Schema, path: string, nested = false): Cause[] {
  const causes: Cause[] = [];
  if (!isIntOrStringPattern(schema['anyOf'])) {
    objectList(schema['anyOf']).forEach((sub, i) =>
      causes.push(...validateNestedValueValidation(sub, index(child(path, 'anyOf'), i))),
    );
  }
  objectList(schema['allOf']).forEach((sub, i) => {
    const skipAnyOf = i === 0 && isIntOrStringPattern(sub['anyOf']);
    const subPath = index(child(path, 'allOf'), i);
    causes.push(...validateNestedValueValidation(skipAnyOf ? { ...sub, anyOf: undefined } : sub, subPath));
  });
  objectList(schema['oneOf']).forEach((sub, i) =>
    causes.push(...validateNestedValueValidation(sub, index(child(path, 'oneOf'), i))),
  );
  const not = schema['not'];
  if (isObject(not)) causes.push(...validateNestedValueValidation(not, child(path, 'not')));
  if (!nested) causes.push(...validatePatternSyntax(schema, path));
  return causes;
}

function validateNestedValueValidation(schema: Schema, path: string): Cause[] {
  const causes = validateValueValidations(schema, path, true);
  causes.push(...validatePatternSyntax(schema, path));
  const itemSchema = objectAt(schema, 'items');
  if (itemSchema) causes.push(...validateNestedValueValidation(itemSchema, child(path, 'items')));
  const props = objectAt(schema, 'properties') ?? {};
  for (const [name, sub] of Object.entries(props)) {
    if (isObject(sub))
      causes.push(...validateNestedValueValidation(sub, key(child(path, 'properties'), name)));
  }
  for (const [keyword, message] of FORBIDDEN_IN_VALUE_VALIDATION) {
    const value = schema[keyword];
    if (
      value !== undefined &&
      value !== false &&
      value !== '' &&
      !(Array.isArray(value) && value.length === 0)
    ) {
      causes.push(forbidden(child(path, keyword), message));
    }
  }
  if (Object.hasOwn(props, 'metadata'))
    causes.push(
      forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'),
    );
  return causes;
}

function validatePatternSyntax(schema: Schema, path: string): Cause[] {
  const pattern = schema['pattern'];
  if (typeof pattern !== 'string' || pattern === '') return [];
  try {
    compileGoRegexp(pattern); // regexp.Compile, as apiextensions validation does
    return [];
  } catch (error) {
    if (!(error instanceof GoRegexpError)) throw error;
    const reason = error.goMessage;
    return [
      invalidValue(
        child(path, 'pattern'),
        pattern,
        `must be a valid regular expression, but isn't: ${reason}`,
      ),
    ];
  }
}

// ---------- defaults in the schema (structuraldefaulting.ValidateDefaults) ----------

/** Each default must already be pruned and must itself validate against its schema. */
function validateDefaults(schema: Schema, path: string, isRoot: boolean): Cause[] {
  const causes: Cause[] = [];
  const value = schema['default'];
  if (value !== undefined) {
    const defaultPath = child(path, 'default');
    const pruned = structuredClone(value);
    pruneValue(pruned, schema, schema['x-kubernetes-embedded-resource'] === true);
    if (!isDeepStrictEqual(pruned, value))
      causes.push(invalidValue(defaultPath, value, 'must not have unknown fields'));
    else causes.push(...validateValue(schema, value, defaultPath));
  }
  for (const [name, sub] of Object.entries(objectAt(schema, 'properties') ?? {})) {
    // Defaults in top-level apiVersion/kind/metadata are already forbidden.
    if (isObject(sub) && !(isRoot && META_FIELDS.has(name)))
      causes.push(...validateDefaults(sub, key(child(path, 'properties'), name), false));
  }
  const extra = schema['additionalProperties'];
  if (isObject(extra)) causes.push(...validateDefaults(extra, child(path, 'additionalProperties'), false));
  const itemSchema = schema['items'];
  if (isObject(itemSchema)) causes.push(...validateDefaults(itemSchema, child(path, 'items'), false));
  return causes;
}
