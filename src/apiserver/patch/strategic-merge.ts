/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) over plain JSON values, and the
 * merge schema both it and server-side apply (managed-fields.ts) read.
 *
 * The schema says, per field of a built-in kind, what its Go type's tags say:
 * - for strategic merge patch: `patchStrategy` (`merge` on lists merges by `patchMergeKey`, or as a set for
 *   lists of primitives; `retainKeys`; `replace`) — everything else merges maps and replaces lists;
 * - for server-side apply: `listType` (`atomic`, `set`, `map` with `keys`), atomic structs and maps.
 *
 * Applying a patch follows apimachinery's strategicpatch (MergeParallelList and IgnoreUnmatchedNulls, as the
 * API server calls it): `null` deletes a member, `$patch: replace|delete|merge`, `$retainKeys`,
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, ordering of merged lists (the patch's order,
 * then the live order), and the library's error messages. Kinds without a schema (custom resources) are
 * refused with kube-apiserver's 415.
 *
 * Pure: inputs are never modified.
 */
import { compareGoStrings } from '../../common/go-strings.ts';
import {
  cloneJson,
  hasOwn,
  isJsonObject,
  jsonEqual,
  PatchError,
  setOwn,
  type JsonObject,
} from './json-patch.ts';

// ---------------------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------------------

/** A string, number, boolean (or null): replaced as a whole. */
export interface ScalarSchema {
  readonly type: 'scalar';
}

/** An object with named fields (a Go struct). */
export interface StructSchema {
  readonly type: 'struct';
  readonly fields: Readonly<Record<string, SchemaNode>>;
  /** `+structType=atomic`: server-side apply owns and replaces it as a whole. */
  readonly atomic?: boolean | undefined;
  /** The `patchStrategy` of the field holding it: `retainKeys` (clients send `$retainKeys`) or `replace`. */
  readonly patchStrategy?: 'retainKeys' | 'replace' | undefined;
  /** Fields not listed: by default untyped objects with named fields, atomic lists. */
  readonly otherFields?: SchemaNode | undefined;
}

/** An object with arbitrary keys (labels, data): every key is an element. */
export interface MapSchema {
  readonly type: 'map';
  readonly values: SchemaNode;
  /** `+mapType=atomic`. */
  readonly atomic?: boolean | undefined;
}

export interface ListSchema {
  readonly type: 'list';
  readonly items: SchemaNode;
  /** Server-side apply (`x-kubernetes-list-type`): replaced whole, a set of primitives, or keyed items. */
  readonly listType: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` of a `map` list. */
  readonly keys?: readonly string[] | undefined;
  /** Defaults of key fields, used when an item omits one (`protocol: TCP` for ports). */
  readonly keyDefaults?: Readonly<Record<string, unknown>> | undefined;
  /** Strategic merge patch: `merge` merges (by patchMergeKey for objects, as a set for primitives). */
  readonly patchStrategy?: 'merge' | 'merge,retainKeys' | undefined;
  readonly patchMergeKey?: string | undefined;
}

/**
 * A value without a schema: objects merge member by member, lists are atomic. `objects: 'struct'` treats
 * object members as named fields (unknown fields of built-in kinds); `objects: 'map'` treats them as map
 * keys, like the schema structured-merge-diff deduces for objects without one.
 */
export interface UntypedSchema {
  readonly type: 'untyped';
  readonly objects: 'struct' | 'map';
}

export type SchemaNode = ScalarSchema | StructSchema | MapSchema | ListSchema | UntypedSchema;

/** How the API server merges one kind. */
export interface MergeSchema {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly root: StructSchema;
  /** Built-in kinds accept strategic merge patches; custom resources do not. */
  readonly strategicMerge: boolean;
  /** status is written through /status: writes to the main resource own no status field, and vice versa. */
  readonly statusSubresource: boolean;
  /** What the Go zero value of the kind encodes to: the "previous" object of a create, for managedFields. */
  readonly zero?: JsonObject | undefined;
}

export const SCALAR: ScalarSchema = { type: 'scalar' };
export const UNTYPED_STRUCT: UntypedSchema = { type: 'untyped', objects: 'struct' };
export const UNTYPED_MAP: UntypedSchema = { type: 'untyped', objects: 'map' };

/** The schema of member `key` of an object with schema `node`. */
export function childSchema(node: SchemaNode, key: string): SchemaNode {
  switch (node.type) {
    case 'struct':
      return node.fields[key] ?? node.otherFields ?? UNTYPED_STRUCT;
    case 'map':
      return node.values;
    case 'untyped':
      return node;
    default:
      return UNTYPED_STRUCT;
  }
}

/** Whether member `key` is a named field (a struct field) rather than a map key. */
export function isNamedField(node: SchemaNode, key: string): boolean {
  if (node.type === 'struct') {
    if (hasOwn(node.fields, key)) return true;
    const other = node.otherFields ?? UNTYPED_STRUCT;
    return !(other.type === 'untyped' && other.objects === 'map');
  }
  return node.type === 'untyped' && node.objects === 'struct';
}

// Builders for the built-in schemas.

function struct(
  fields: Record<string, SchemaNode> = {},
  options: { atomic?: boolean; patchStrategy?: 'retainKeys' | 'replace' } = {},
): StructSchema {
  return { type: 'struct', fields, ...options };
}

function stringMap(atomic = false): MapSchema {
  return atomic ? { type: 'map', values: SCALAR, atomic } : { type: 'map', values: SCALAR };
}

function atomicList(items: SchemaNode = UNTYPED_STRUCT, mergeKey?: string): ListSchema {
  return mergeKey
    ? { type: 'list', items, listType: 'atomic', patchStrategy: 'merge', patchMergeKey: mergeKey }
    : { type: 'list', items, listType: 'atomic' };
}

function setList(): ListSchema {
  return { type: 'list', items: SCALAR, listType: 'set', patchStrategy: 'merge' };
}

function mapList(
  keys: readonly string[],
  items: StructSchema,
  options: { mergeKey?: string; retainKeys?: boolean; keyDefaults?: Record<string, unknown> } = {},
): ListSchema {
  return {
    type: 'list',
    items,
    listType: 'map',
    keys,
    ...(options.keyDefaults ? { keyDefaults: options.keyDefaults } : {}),
    ...(options.mergeKey
      ? { patchStrategy: options.retainKeys ? 'merge,retainKeys' : 'merge', patchMergeKey: options.mergeKey }
      : {}),
  };
}

const objectMeta = struct({
  labels: stringMap(),
  annotations: stringMap(),
  ownerReferences: mapList(['uid'], struct(), { mergeKey: 'uid' }),
  finalizers: setList(),
  managedFields: atomicList(),
});

const labelSelector = struct({ matchLabels: stringMap(), matchExpressions: atomicList() }, { atomic: true });

const container = struct({
  ports: mapList(['containerPort', 'protocol'], struct(), {
    mergeKey: 'containerPort',
    keyDefaults: { protocol: 'TCP' },
  }),
  env: mapList(['name'], struct(), { mergeKey: 'name' }),
  volumeMounts: mapList(['mountPath'], struct(), { mergeKey: 'mountPath' }),
  volumeDevices: mapList(['devicePath'], struct(), { mergeKey: 'devicePath' }),
  resources: struct({
    limits: stringMap(),
    requests: stringMap(),
    claims: mapList(['name'], struct()),
  }),
});

const podSpec = struct({
  volumes: mapList(['name'], struct(), { mergeKey: 'name', retainKeys: true }),
  initContainers: mapList(['name'], container, { mergeKey: 'name' }),
  containers: mapList(['name'], container, { mergeKey: 'name' }),
  ephemeralContainers: mapList(['name'], container, { mergeKey: 'name' }),
  imagePullSecrets: mapList(['name'], struct(), { mergeKey: 'name' }),
  tolerations: atomicList(),
  hostAliases: mapList(['ip'], struct(), { mergeKey: 'ip' }),
  topologySpreadConstraints: mapList(['topologyKey', 'whenUnsatisfiable'], struct({ labelSelector }), {
    mergeKey: 'topologyKey',
  }),
  schedulingGates: mapList(['name'], struct(), { mergeKey: 'name' }),
  resourceClaims: mapList(['name'], struct(), { mergeKey: 'name', retainKeys: true }),
  readinessGates: atomicList(),
  nodeSelector: stringMap(true),
  overhead: stringMap(),
});

const conditionsByType = mapList(['type'], struct(), { mergeKey: 'type' });

const podStatus = struct({
  conditions: conditionsByType,
  podIPs: mapList(['ip'], struct(), { mergeKey: 'ip' }),
  hostIPs: mapList(['ip'], struct(), { mergeKey: 'ip' }),
});

const podTemplateSpec = struct({ metadata: objectMeta, spec: podSpec });
const workloadStatus = struct({ conditions: conditionsByType });
const jobSpec = struct({ selector: labelSelector, template: podTemplateSpec });

function root(fields: Record<string, SchemaNode>): StructSchema {
  return struct({ apiVersion: SCALAR, kind: SCALAR, metadata: objectMeta, ...fields });
}

const META_ZERO = { creationTimestamp: null };
const POD_TEMPLATE_ZERO = { metadata: META_ZERO, spec: { containers: null } };

interface BuiltIn {
  root: StructSchema;
  statusSubresource: boolean;
  zero: JsonObject;
}

const BUILT_IN: Record<string, BuiltIn> = {
  'v1/Secret': {
    root: root({ data: stringMap(), stringData: stringMap() }),
    statusSubresource: false,
    zero: { metadata: META_ZERO },
  },
  'v1/ConfigMap': {
    root: root({ data: stringMap(), binaryData: stringMap() }),
    statusSubresource: false,
    zero: { metadata: META_ZERO },
  },
  'v1/ServiceAccount': {
    root: root({
      secrets: mapList(['name'], struct(), { mergeKey: 'name' }),
      imagePullSecrets: atomicList(),
    }),
    statusSubresource: false,
    zero: { metadata: META_ZERO },
  },
  'v1/Service': {
    root: root({
      spec: struct({
        ports: mapList(['port', 'protocol'], struct(), {
          mergeKey: 'port',
          keyDefaults: { protocol: 'TCP' },
        }),
        selector: stringMap(true),
      }),
      status: struct({ conditions: conditionsByType }),
    }),
    statusSubresource: true,
    zero: { metadata: META_ZERO, spec: {}, status: { loadBalancer: {} } },
  },
  'v1/Pod': {
    root: root({ spec: podSpec, status: podStatus }),
    statusSubresource: true,
    zero: { metadata: META_ZERO, spec: { containers: null }, status: {} },
  },
  'v1/Namespace': {
    root: root({ spec: struct({ finalizers: atomicList(SCALAR) }), status: workloadStatus }),
    statusSubresource: true,
    zero: { metadata: META_ZERO, spec: {}, status: {} },
  },
  'apps/v1/Deployment': {
    root: root({
      spec: struct({
        selector: labelSelector,
        template: podTemplateSpec,
        strategy: struct({}, { patchStrategy: 'retainKeys' }),
      }),
      status: workloadStatus,
    }),
    statusSubresource: true,
    zero: {
      metadata: META_ZERO,
      spec: { selector: null, template: POD_TEMPLATE_ZERO, strategy: {} },
      status: {},
    },
  },
  'apps/v1/StatefulSet': {
    root: root({
      spec: struct({
        selector: labelSelector,
        template: podTemplateSpec,
        volumeClaimTemplates: atomicList(),
      }),
      status: workloadStatus,
    }),
    statusSubresource: true,
    zero: {
      metadata: META_ZERO,
      spec: { selector: null, template: POD_TEMPLATE_ZERO, updateStrategy: {} },
      status: { replicas: 0, availableReplicas: 0 },
    },
  },
  'apps/v1/DaemonSet': {
    root: root({
      spec: struct({ selector: labelSelector, template: podTemplateSpec }),
      status: workloadStatus,
    }),
    statusSubresource: true,
    zero: {
      metadata: META_ZERO,
      spec: { selector: null, template: POD_TEMPLATE_ZERO, updateStrategy: {} },
      status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
    },
  },
  'batch/v1/Job': {
    root: root({ spec: jobSpec, status: struct({ conditions: atomicList(UNTYPED_STRUCT, 'type') }) }),
    statusSubresource: true,
    zero: { metadata: META_ZERO, spec: { template: POD_TEMPLATE_ZERO }, status: {} },
  },
  'batch/v1/CronJob': {
    root: root({
      spec: struct({ jobTemplate: struct({ metadata: objectMeta, spec: jobSpec }) }),
      status: struct({ active: atomicList() }),
    }),
    statusSubresource: true,
    zero: {
      metadata: META_ZERO,
      spec: { schedule: '', jobTemplate: { metadata: META_ZERO, spec: { template: POD_TEMPLATE_ZERO } } },
      status: {},
    },
  },
};

/**
 * The merge schema of a built-in kind (group `''` is the core group), or undefined for kinds this server does
 * not know — custom resources, which take no strategic merge patch (see customResourceMergeSchema).
 */
export function mergeSchemaFor(group: string, version: string, kind: string): MergeSchema | undefined {
  const builtIn = BUILT_IN[group === '' ? `${version}/${kind}` : `${group}/${version}/${kind}`];
  if (!builtIn) return undefined;
  return {
    group,
    version,
    kind,
    root: builtIn.root,
    strategicMerge: true,
    statusSubresource: builtIn.statusSubresource,
    zero: builtIn.zero,
  };
}

/**
 * The schema server-side apply uses for a custom resource without a structural schema: ObjectMeta as for
 * every kind, and everything else deduced (objects are granular maps, lists atomic).
 */
export function customResourceMergeSchema(
  group: string,
  version: string,
  kind: string,
  options: { statusSubresource?: boolean } = {},
): MergeSchema {
  return {
    group,
    version,
    kind,
    root: {
      type: 'struct',
      fields: { apiVersion: SCALAR, kind: SCALAR, metadata: objectMeta },
      otherFields: UNTYPED_MAP,
    },
    strategicMerge: false,
    statusSubresource: options.statusSubresource ?? false,
  };
}

/**
 * The schema server-side apply uses for a custom resource whose CRD version has a structural
 * `openAPIV3Schema`: objects with `properties` are structs, with `additionalProperties` maps,
 * `x-kubernetes-preserve-unknown-fields` objects without properties are deduced; lists follow
 * `x-kubernetes-list-type` (default atomic) and `x-kubernetes-list-map-keys` (key defaults from the items'
 * `default`); `x-kubernetes-map-type: atomic` makes an object atomic. metadata is always ObjectMeta.
 */
export function customResourceMergeSchemaFromOpenAPI(
  group: string,
  version: string,
  kind: string,
  openAPIV3Schema: unknown,
  options: { statusSubresource?: boolean } = {},
): MergeSchema {
  const node = schemaFromOpenAPI(openAPIV3Schema);
  const fields: Record<string, SchemaNode> = node.type === 'struct' ? { ...node.fields } : {};
  Object.assign(fields, { apiVersion: SCALAR, kind: SCALAR, metadata: objectMeta });
  return {
    group,
    version,
    kind,
    root: { type: 'struct', fields, otherFields: node.type === 'struct' ? node.otherFields : UNTYPED_MAP },
    strategicMerge: false,
    statusSubresource: options.statusSubresource ?? false,
  };
}

function schemaFromOpenAPI(schema: unknown): SchemaNode {
  if (!isJsonObject(schema)) return UNTYPED_MAP;
  const atomic = schema['x-kubernetes-map-type'] === 'atomic';
  if (schema['type'] === 'array') {
    const items = schemaFromOpenAPI(schema['items']);
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set') return { type: 'list', items, listType: 'set' };
    if (listType === 'map') {
      const keys = Array.isArray(schema['x-kubernetes-list-map-keys'])
        ? schema['x-kubernetes-list-map-keys'].filter((key): key is string => typeof key === 'string')
        : [];
      const itemProperties = isJsonObject(schema['items']) ? schema['items']['properties'] : undefined;
      const keyDefaults: Record<string, unknown> = {};
      for (const key of keys) {
        const property = isJsonObject(itemProperties) ? itemProperties[key] : undefined;
        if (isJsonObject(property) && hasOwn(property, 'default')) keyDefaults[key] = property['default'];
      }
      return {
        type: 'list',
        items,
        listType: 'map',
        keys,
        ...(Object.keys(keyDefaults).length > 0 ? { keyDefaults } : {}),
      };
    }
    return { type: 'list', items, listType: 'atomic' };
  }
  const properties = schema['properties'];
  if (isJsonObject(properties) && Object.keys(properties).length > 0) {
    const fields: Record<string, SchemaNode> = {};
    for (const [key, value] of Object.entries(properties)) fields[key] = schemaFromOpenAPI(value);
    return {
      type: 'struct',
      fields,
      ...(atomic ? { atomic } : {}),
      otherFields: schema['x-kubernetes-preserve-unknown-fields'] === true ? UNTYPED_MAP : UNTYPED_STRUCT,
    };
  }
  const additional = schema['additionalProperties'];
  if (isJsonObject(additional)) {
    return { type: 'map', values: schemaFromOpenAPI(additional), ...(atomic ? { atomic } : {}) };
  }
  if (schema['type'] === 'object' || schema['x-kubernetes-preserve-unknown-fields'] === true) {
    return atomic ? { type: 'map', values: UNTYPED_MAP, atomic } : UNTYPED_MAP;
  }
  return SCALAR;
}

/** What a schema says about each field with non-default merge semantics, keyed by path (`[]` is a list item). */
export interface FieldDescription {
  listType?: 'atomic' | 'set' | 'map';
  keys?: readonly string[];
  patchStrategy?: string;
  patchMergeKey?: string;
  atomic?: true;
  map?: true;
}

export function describeMergeSchema(schema: MergeSchema): Record<string, FieldDescription> {
  const out: Record<string, FieldDescription> = {};
  const visit = (node: SchemaNode, path: string): void => {
    if (node.type === 'struct') {
      if (path && (node.atomic || node.patchStrategy)) {
        out[path] = {
          ...(node.atomic ? { atomic: true as const } : {}),
          ...(node.patchStrategy ? { patchStrategy: node.patchStrategy } : {}),
        };
      }
      for (const [key, child] of Object.entries(node.fields)) visit(child, path ? `${path}.${key}` : key);
    } else if (node.type === 'map') {
      out[path] = { map: true, ...(node.atomic ? { atomic: true as const } : {}) };
    } else if (node.type === 'list') {
      out[path] = {
        listType: node.listType,
        ...(node.keys ? { keys: node.keys } : {}),
        ...(node.patchStrategy ? { patchStrategy: node.patchStrategy } : {}),
        ...(node.patchMergeKey ? { patchMergeKey: node.patchMergeKey } : {}),
      };
      visit(node.items, `${path}[]`);
    }
  };
  visit(schema.root, '');
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Custom resources: 415
// ---------------------------------------------------------------------------------------------------------

export const STRATEGIC_MERGE_PATCH_TYPE = 'application/strategic-merge-patch+json';

/** The patch types kube-apiserver accepts for custom resources (SMP is not among them). */
export const CUSTOM_RESOURCE_PATCH_TYPES: readonly string[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/** 415 UnsupportedMediaType, as kube-apiserver answers a strategic merge patch on a custom resource. */
export class UnsupportedPatchTypeError extends PatchError {
  readonly accepted: readonly string[];

  constructor(accepted: readonly string[] = CUSTOM_RESOURCE_PATCH_TYPES) {
    super(
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      {
        status: 415,
        reason: 'UnsupportedMediaType',
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      },
    );
    this.accepted = accepted;
  }
}

/** True for the error applyStrategicMergePatch throws for a kind without a strategic merge schema. */
export function isStrategicMergeUnsupported(error: unknown): error is UnsupportedPatchTypeError {
  return error instanceof UnsupportedPatchTypeError;
}

// ---------------------------------------------------------------------------------------------------------
// Go formatting of values in error messages (the library formats with %v and reflect.TypeOf)
// ---------------------------------------------------------------------------------------------------------

function goFloat(value: number): string {
  if (Number.isSafeInteger(value)) return String(value);
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** Go's `%v` of a decoded JSON value (maps print with sorted keys). */
export function goFormatValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goFormatValue).join(' ')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort(compareGoStrings);
    return `map[${keys.map((key) => `${key}:${goFormatValue(value[key])}`).join(' ')}]`;
  }
  return JSON.stringify(value) ?? '';
}

/** Go's reflect.TypeOf of a decoded JSON value, as `%s` prints it. */
function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '%!s(<nil>)';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
}

// ---------------------------------------------------------------------------------------------------------
// Errors (mergepatch's messages; status as kube-apiserver's interpretStrategicMergePatchError maps them)
// ---------------------------------------------------------------------------------------------------------

function badRequest(message: string): PatchError {
  return new PatchError(message, { status: 400, reason: 'BadRequest' });
}

function unprocessable(message: string): PatchError {
  return new PatchError(message, { status: 422, reason: 'Invalid' });
}

/** Errors the API server does not classify: 500 with the library's message. */
function unclassified(message: string): PatchError {
  return new PatchError(message, { status: 500, reason: '' });
}

const errBadJSONDoc = (): PatchError => badRequest('invalid JSON document');
const errNoListOfLists = (): PatchError => unprocessable('lists of lists are not supported');
const errPrimitiveListFormat = (): PatchError => badRequest('invalid patch format of primitive list');
const errRetainKeysFormat = (): PatchError => badRequest('invalid patch format of retainKeys');
const errSetElementOrderFormat = (): PatchError => badRequest('invalid patch format of setElementOrder list');
const errNoMergeKey = (map: JsonObject, key: string): PatchError =>
  unclassified(`map: ${goFormatValue(map)} does not contain declared merge key: ${key}`);
const errBadArgType = (expected: string, actual: unknown): PatchError =>
  unclassified(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const errBadPatchType = (directive: unknown, map: JsonObject): PatchError =>
  unclassified(`unknown patch type: ${goFormatValue(directive)} in map: ${goFormatValue(map)}`);

const MAP_TYPE = 'map[string]interface {}';
const SLICE_TYPE = '[]interface {}';

// ---------------------------------------------------------------------------------------------------------
// Applying a patch
// ---------------------------------------------------------------------------------------------------------

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/**
 * Applies a strategic merge patch to an object of the kind `schema` describes. Throws an
 * UnsupportedPatchTypeError (415) when the kind has no strategic merge schema (custom resources), and a
 * PatchError with the library's message when the patch is malformed.
 */
export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  schema: MergeSchema | undefined,
): JsonObject {
  if (!schema?.strategicMerge) throw new UnsupportedPatchTypeError();
  if (!isJsonObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type map[string]interface {}`);
  }
  if (original !== undefined && original !== null && !isJsonObject(original)) throw errBadJSONDoc();
  return mergeMap(isJsonObject(original) ? cloneJson(original) : {}, patch, schema.root);
}

function goKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

type Kind = 'map' | 'slice' | 'string' | 'int' | 'float' | 'bool' | 'null';

function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'slice';
  if (isJsonObject(value)) return 'map';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

/** Go's `==` on two interface values holding decoded JSON scalars (absent and null are both nil). */
function sameScalar(a: unknown, b: unknown): boolean {
  return (a ?? null) === (b ?? null);
}

/** `original` is owned by the merge (already a copy); `patch` is never modified. */
function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      const rest: JsonObject = {};
      for (const [key, value] of Object.entries(patch)) if (key !== DIRECTIVE) setOwn(rest, key, value);
      return mergeMap({}, rest, node);
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  const handled = new Set<string>();
  applyRetainKeys(original, patch);
  handled.add(RETAIN_KEYS);
  mergeOrderedLists(original, patch, node, handled);

  for (const [rawKey, patchValue] of Object.entries(patch)) {
    if (handled.has(rawKey)) continue;
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const child = childSchema(node, key);
    const current = hasOwn(original, key) ? original[key] : undefined;
    if (current === undefined || kindOf(current) !== kindOf(patchValue)) {
      if (!isDeleteList) setFresh(original, key, patchValue, child);
      continue;
    }
    if (isJsonObject(current) && isJsonObject(patchValue)) {
      const replace = child.type === 'struct' && child.patchStrategy === 'replace';
      setOwn(original, key, replace ? mergeMap({}, patchValue, child) : mergeMap(current, patchValue, child));
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      setOwn(original, key, mergeSliceHandler(current, patchValue, child, isDeleteList));
    } else {
      setOwn(original, key, cloneJson(patchValue));
    }
  }
  return original;
}

/** `$retainKeys`: members of the original not listed are cleared; the patch may only set listed members. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw errRetainKeysFormat();
  const retained = new Set(list);
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || value === null) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retained.has(key)) throw errRetainKeysFormat();
  }
  for (const key of Object.keys(original)) if (!retained.has(key)) delete original[key];
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? errPrimitiveListFormat() : errSetElementOrderFormat();
  }
  return key.slice(slash + 1);
}

function listMeta(node: SchemaNode): { merge: boolean; mergeKey: string; items: SchemaNode } {
  if (node.type !== 'list') return { merge: false, mergeKey: '', items: UNTYPED_STRUCT };
  const merge = node.patchStrategy === 'merge' || node.patchStrategy === 'merge,retainKeys';
  return { merge, mergeKey: merge ? (node.patchMergeKey ?? '') : '', items: node.items };
}

/** `$setElementOrder/<list>`: merge the list with its patch, then order it as the directive says. */
function mergeOrderedLists(
  original: JsonObject,
  patch: JsonObject,
  node: SchemaNode,
  handled: Set<string>,
): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    handled.add(key);
    if (!Array.isArray(order)) throw errBadArgType(SLICE_TYPE, order);
    const listKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, listKey);
    const foundPatch = hasOwn(patch, listKey);
    const originalList = original[listKey];
    const patchList = patch[listKey];
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType(SLICE_TYPE, originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType(SLICE_TYPE, patchList);
    const child = childSchema(node, listKey);
    const { mergeKey, items } = listMeta(child);
    validateAgainstOrder(foundPatch ? (patchList as unknown[]) : [], order, mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList as unknown[];
    else if (!foundOriginal && foundPatch) merged = freshList(patchList as unknown[], items);
    else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(originalList as unknown[], patchList as unknown[], child, false);
    } else continue;

    const [inOrder, serverOnly] = partition(merged, order, mergeKey);
    const originalValues = foundOriginal ? (originalList as unknown[]) : [];
    const kind = sliceElementKind([originalValues, foundPatch ? (patchList as unknown[]) : []]);
    setOwn(
      original,
      listKey,
      normalizeElementOrder(inOrder, serverOnly, order, originalValues, mergeKey, kind),
    );
    handled.add(listKey);
  }
}

/** The patch list's items (deletions aside) must appear in the `$setElementOrder` list, in the same order. */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isJsonObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    throw unclassified(
      `the order in patch list:\n${goFormatValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormatValue(order)}`,
    );
  }
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return sameScalar(left, right);
  if (!isJsonObject(left)) throw errBadArgType(MAP_TYPE, left);
  if (!isJsonObject(right)) throw errBadArgType(MAP_TYPE, right);
  if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return sameScalar(left[mergeKey], right[mergeKey]);
}

function mergeSliceHandler(
  original: unknown[],
  patch: unknown[],
  node: SchemaNode,
  isDeleteList: boolean,
): unknown[] {
  const meta = listMeta(node);
  if (!meta.merge) return freshList(patch, meta.items);
  return mergeSlice(original, patch, meta.mergeKey, meta.items, isDeleteList);
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  items: SchemaNode,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind([original, patch]);
  let serverOrder = original;
  let patchItems = patch;
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((value) => !patch.some((item) => sameScalar(item, value)));
    merged = deduplicateScalars([...original, ...patch.map((value) => cloneJson(value))]);
  } else {
    if (!mergeKey) throw unclassified('cannot merge lists without merge key for type struct');
    [serverOrder, patchItems] = applySpecialElements(original, patch, mergeKey, items);
    merged = mergeByKey(serverOrder, patchItems, mergeKey, items);
  }
  const [inPatch, serverOnly] = partition(merged, patchItems, mergeKey);
  return normalizeElementOrder(inPatch, serverOnly, patchItems, serverOrder, mergeKey, kind);
}

/** `$patch: delete` items delete by key, a `$patch: replace` item makes the rest of the patch the list. */
function applySpecialElements(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  items: SchemaNode,
): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  let remaining = original;
  for (const value of patch) {
    const item = value as JsonObject;
    if (!hasOwn(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const target = item[mergeKey];
      remaining = remaining.filter((entry) => {
        if (!isJsonObject(entry))
          throw unclassified(`value for key ${remaining.indexOf(entry)} is not a map.`);
        return !(hasOwn(entry, mergeKey) && sameScalar(entry[mergeKey], target));
      });
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unclassified('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, item);
    }
  }
  if (replace) return [freshList(plain, items), []];
  return [remaining, plain];
}

/** Patch items merge into the original item with the same key, or are appended. */
function mergeByKey(original: unknown[], patch: unknown[], mergeKey: string, items: SchemaNode): unknown[] {
  const merged = [...original];
  for (const value of patch) {
    const item = value as JsonObject;
    if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const index = findByKey(merged, mergeKey, item[mergeKey]);
    if (index >= 0) {
      merged[index] = mergeMap(cloneJson(merged[index] as JsonObject), item, items);
    } else {
      const added = fresh(item, items);
      if (added !== DROP) merged.push(added);
    }
  }
  return merged;
}

function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let index = 0; index < list.length; index++) {
    const entry = list[index];
    if (!isJsonObject(entry)) throw unclassified(`value for key ${index} is not a map.`);
    if (hasOwn(entry, mergeKey) && sameScalar(entry[mergeKey], value)) return index;
  }
  return -1;
}

/** The library's in-place deduplication (it moves the last element into each duplicate's place). */
function deduplicateScalars(values: unknown[]): unknown[] {
  const s = [...values];
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (sameScalar(s[i], s[j])) {
        s[j] = s[length];
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function sliceElementKind(slices: unknown[][]): Kind {
  let previous: Kind | undefined;
  for (const slice of slices) {
    for (const value of slice) {
      const kind = kindOf(value);
      if (previous === undefined) {
        previous = kind;
        if (kind === 'slice') throw errNoListOfLists();
      } else if (previous !== kind) {
        throw unclassified(`list element types are not identical: ${goFormatValue(slices)}`);
      }
    }
  }
  if (previous === undefined) throw unclassified('no elements in any of the given slices');
  return previous;
}

/** Items present in `by` (by merge key, or by value for primitives), and the others. */
function partition(values: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inList: unknown[] = [];
  const others: unknown[] = [];
  for (const value of values) {
    let found: boolean;
    if (mergeKey) {
      if (!isJsonObject(value)) throw errBadArgType(MAP_TYPE, value);
      if (!hasOwn(value, mergeKey)) throw errNoMergeKey(value, mergeKey);
      found = findByKey(by, mergeKey, value[mergeKey]) >= 0;
    } else {
      found = by.some((item) =>
        isJsonObject(item) || Array.isArray(item) ? jsonEqual(item, value) : sameScalar(item, value),
      );
    }
    (found ? inList : others).push(value);
  }
  return [inList, others];
}

function extractToDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const remove: unknown[] = [];
  for (const value of list) {
    if (!isJsonObject(value)) throw errBadArgType(MAP_TYPE, value);
    (value[DIRECTIVE] === 'delete' ? remove : keep).push(value);
  }
  return [keep, remove];
}

function indexIn(list: unknown[], value: unknown, mergeKey: string, kind: Kind): number {
  const valueOf = (item: unknown): unknown =>
    kind === 'map' ? (isJsonObject(item) ? item[mergeKey] : undefined) : item;
  const wanted = valueOf(value);
  return list.findIndex((item) => sameScalar(valueOf(item), wanted));
}

/** Sorts `toSort` by the order of `order` (stable; insertion sort, as Go's stable sort is on short lists). */
function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: Kind): unknown[] {
  let sorted = [...toSort];
  let deletions: unknown[] = [];
  if (kind === 'map') {
    for (const list of [sorted, order]) {
      for (const item of list) {
        if (!isJsonObject(item)) throw errBadArgType(MAP_TYPE, item);
        if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [sorted, deletions] = extractToDeleteItems(sorted);
  }
  const less = (a: unknown, b: unknown): boolean => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < sorted.length; i++) {
    for (let j = i; j > 0 && less(sorted[j], sorted[j - 1]); j--) {
      [sorted[j], sorted[j - 1]] = [sorted[j - 1], sorted[j]];
    }
  }
  return [...sorted, ...deletions];
}

/**
 * The patch's items in the patch order, the server-only items in the live order, interleaved: a server-only
 * item goes before a patch item that comes after it in the live list.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: Kind,
): unknown[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

const DROP = Symbol('drop');

/**
 * A patch value for a member the original lacks: directives are processed (a map with `$patch: delete` is
 * dropped) and nulls discarded, as the library does before it takes the value.
 */
function fresh(value: unknown, node: SchemaNode): unknown {
  if (isJsonObject(value)) {
    if (value[DIRECTIVE] === 'delete') return DROP;
    return mergeMap({}, value, node);
  }
  if (Array.isArray(value)) return freshList(value, node.type === 'list' ? node.items : UNTYPED_STRUCT);
  return value;
}

function freshList(values: unknown[], items: SchemaNode): unknown[] {
  const out: unknown[] = [];
  for (const value of values) {
    if (isJsonObject(value) && hasOwn(value, DIRECTIVE)) continue;
    out.push(fresh(value, items));
  }
  return out;
}

function setFresh(target: JsonObject, key: string, value: unknown, node: SchemaNode): void {
  const added = fresh(value, node);
  if (added === DROP) delete target[key];
  else setOwn(target, key, added);
}
