/**
 * OpenAPI v3 documents for /openapi/v3 and /openapi/v3/<api|apis/group>/<version>. kubectl reads them for
 * three things: whether the server takes `?fieldValidation=` (a PATCH operation carrying the object's GVK and
 * that query parameter; then it skips client-side validation), whether it may build strategic merge patches from
 * the schema (the PATCH request body lists application/strategic-merge-patch+json), and `kubectl explain`.
 * Pure functions of the registry; the server memoises them per registry.generation.
 */
import { createHash } from 'node:crypto';
import type { GroupVersion, ResourceInfo, ResourceRegistry } from './resources.ts';
import { apiVersionOf } from './resources.ts';
import type { GroupVersionKind, SubresourceInfo } from './discovery.ts';
import { kindOf, subresourcesOf } from './discovery.ts';

export type Schema = Record<string, unknown>;

export interface OpenApiOptions {
  /**
   * Whether PATCH operations on this resource list application/strategic-merge-patch+json. kubectl then builds
   * `apply` patches from the schema instead of its compiled-in types. Default: info.strategicMerge.
   */
  advertiseStrategicMerge?: (info: ResourceInfo) => boolean;
  /** info.version of every document. */
  serverVersion?: string;
}

export interface OpenApiDocument {
  openapi: '3.0.0';
  info: { title: 'Kubernetes'; version: string };
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, Schema> };
}

export interface PathItem {
  get?: Operation;
  put?: Operation;
  post?: Operation;
  delete?: Operation;
  patch?: Operation;
  parameters: Parameter[];
}

export interface Operation {
  tags: string[];
  description: string;
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }>; required: true };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  description: string;
  required?: true;
  schema: Schema;
}

export interface OpenApiIndex {
  paths: Record<string, { serverRelativeURL: string }>;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

// ---------------------------------------------------------------------------------------------------------
// The index and the paths that name group-versions

/** `/openapi/v3`: one entry per served group-version, its URL carrying the hash of the current document. */
export function openApiIndex(registry: ResourceRegistry, options: OpenApiOptions = {}): OpenApiIndex {
  const paths: OpenApiIndex['paths'] = {};
  for (const gv of registry.groupVersions()) {
    const document = openApiGroupVersion(registry, gv.group, gv.version, options);
    if (!document) continue;
    paths[openApiPath(gv)] = {
      serverRelativeURL: `/openapi/v3/${openApiPath(gv)}?hash=${openApiHash(document)}`,
    };
  }
  return { paths };
}

/** The index key of a group-version: `api/v1`, `apis/apps/v1`. */
export function openApiPath({ group, version }: GroupVersion): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The group-version an index key (the URL after `/openapi/v3/`, without the query) names, if any. */
export function groupVersionOfOpenApiPath(path: string): GroupVersion | undefined {
  const core = /^api\/([^/]+)$/.exec(path);
  if (core) return { group: '', version: core[1] ?? '' };
  const named = /^apis\/([^/]+)\/([^/]+)$/.exec(path);
  return named ? { group: named[1] ?? '', version: named[2] ?? '' } : undefined;
}

/**
 * Uppercase hex SHA-512 of JSON.stringify(document), as kube-openapi hashes a served document: the `hash`
 * query of the index URL and, quoted, the document's ETag when the server sends JSON.stringify(document).
 */
export function openApiHash(document: OpenApiDocument): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------
// One group-version's document

/** The OpenAPI 3.0 document of one served group-version, or undefined when it is not served. */
export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
  options: OpenApiOptions = {},
): OpenApiDocument | undefined {
  const resources = resourcesOf(registry, group, version);
  if (resources.length === 0) return undefined;
  const advertise = options.advertiseStrategicMerge ?? ((info: ResourceInfo) => info.strategicMerge);
  const paths: Record<string, PathItem> = {};
  for (const info of resources) Object.assign(paths, resourcePaths(info, advertise(info)));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: options.serverVersion ?? 'unversioned' },
    paths: sortedByKey(paths),
    components: { schemas: schemasOf(resources) },
  };
}

/**
 * The schemas (components.schemas, sorted by name) of one group-version's document; empty when it is not
 * served. The OpenAPI v2 document is made of these.
 */
export function openApiSchemas(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, Schema> {
  const resources = resourcesOf(registry, group, version);
  return resources.length === 0 ? {} : schemasOf(resources);
}

function resourcesOf(registry: ResourceRegistry, group: string, version: string): ResourceInfo[] {
  return registry
    .all()
    .filter((info) => info.group === group && info.version === version)
    .sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
}

function schemasOf(resources: readonly ResourceInfo[]): Record<string, Schema> {
  const schemas: Record<string, Schema> = { ...metaSchemas() };
  for (const info of resources) Object.assign(schemas, resourceSchemas(info));
  return sortedByKey(schemas);
}

function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------------------
// Paths and operations

interface OperationContext {
  info: ResourceInfo;
  /** The kind the operation reads or writes (a subresource's may differ from the resource's). */
  gvk: GroupVersionKind;
  /** `Namespaced` for namespaced resources (upstream operation ids say so), `` otherwise. */
  scope: string;
  /** Appended to the operation id: `Status`, `ForAllNamespaces`, ``. */
  suffix: string;
  advertiseStrategicMerge: boolean;
}

function resourcePaths(info: ResourceInfo, advertiseStrategicMerge: boolean): Record<string, PathItem> {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const collection = info.namespaced
    ? `${prefix}/namespaces/{namespace}/${info.plural}`
    : `${prefix}/${info.plural}`;
  const item = `${collection}/{name}`;
  const scopeParameters = info.namespaced ? [NAMESPACE_PARAMETER] : [];
  const context: OperationContext = {
    info,
    gvk: kindOf(info),
    scope: info.namespaced ? 'Namespaced' : '',
    suffix: '',
    advertiseStrategicMerge,
  };
  const paths: Record<string, PathItem> = {};
  addPath(paths, collection, [...scopeParameters, PRETTY_PARAMETER], collectionOperations(context));
  addPath(paths, item, [NAME_PARAMETER, ...scopeParameters, PRETTY_PARAMETER], itemOperations(context));
  if (info.namespaced && info.verbs.includes('list')) {
    const allNamespaces = { ...context, scope: '', suffix: 'ForAllNamespaces' };
    addPath(paths, `${prefix}/${info.plural}`, [PRETTY_PARAMETER], { get: listOperation(allNamespaces) });
  }
  // Connect subresources (the service proxy) take and return whatever the backend speaks: no operations here.
  for (const sub of subresourcesOf(info).filter((candidate) => !candidate.connect)) {
    const subContext = { ...context, gvk: sub.responseKind, suffix: capitalize(sub.name) };
    const parameters = [NAME_PARAMETER, ...scopeParameters, PRETTY_PARAMETER];
    addPath(paths, `${item}/${sub.name}`, parameters, subresourceOperations(subContext, sub));
  }
  return paths;
}

type Operations = Partial<Record<'get' | 'put' | 'post' | 'delete' | 'patch', Operation>>;

function addPath(
  paths: Record<string, PathItem>,
  path: string,
  parameters: Parameter[],
  operations: Operations,
) {
  if (Object.keys(operations).length > 0) paths[path] = { ...operations, parameters };
}

function collectionOperations(context: OperationContext): Operations {
  const verbs = context.info.verbs;
  return {
    ...(verbs.includes('list') ? { get: listOperation(context) } : {}),
    ...(verbs.includes('create') ? { post: createOperation(context) } : {}),
    ...(verbs.includes('deletecollection') ? { delete: deleteCollectionOperation(context) } : {}),
  };
}

function itemOperations(context: OperationContext): Operations {
  const verbs = context.info.verbs;
  return {
    ...(verbs.includes('get') ? { get: readOperation(context) } : {}),
    ...(verbs.includes('update') ? { put: replaceOperation(context) } : {}),
    ...(verbs.includes('delete') ? { delete: deleteOperation(context) } : {}),
    ...(verbs.includes('patch') ? { patch: patchOperation(context) } : {}),
  };
}

function subresourceOperations(context: OperationContext, sub: SubresourceInfo): Operations {
  return {
    ...(sub.verbs.includes('get') ? { get: readOperation(context) } : {}),
    ...(sub.verbs.includes('update') ? { put: replaceOperation(context) } : {}),
    ...(sub.verbs.includes('create') ? { post: createOperation(context) } : {}),
    ...(sub.verbs.includes('patch') ? { patch: patchOperation(context) } : {}),
  };
}

function listOperation(context: OperationContext): Operation {
  return operation(context, {
    action: 'list',
    verb: 'list',
    description: `list or watch objects of kind ${context.gvk.kind}`,
    parameters: LIST_PARAMETERS,
    responses: { '200': ok(ref(listSchemaName(context.info))) },
  });
}

function createOperation(context: OperationContext): Operation {
  const schema = ref(schemaName(context.gvk, context.info));
  return operation(context, {
    action: 'post',
    verb: 'create',
    description: `create ${article(context.gvk.kind)}`,
    parameters: WRITE_PARAMETERS,
    requestBody: { content: { '*/*': { schema } }, required: true },
    responses: { '200': ok(schema), '201': created(schema), '202': accepted(schema) },
  });
}

function readOperation(context: OperationContext): Operation {
  const schema = ref(schemaName(context.gvk, context.info));
  return operation(context, {
    action: 'get',
    verb: 'read',
    description: `read the specified ${context.gvk.kind}`,
    responses: { '200': ok(schema) },
  });
}

function replaceOperation(context: OperationContext): Operation {
  const schema = ref(schemaName(context.gvk, context.info));
  return operation(context, {
    action: 'put',
    verb: 'replace',
    description: `replace the specified ${context.gvk.kind}`,
    parameters: WRITE_PARAMETERS,
    requestBody: { content: { '*/*': { schema } }, required: true },
    responses: { '200': ok(schema), '201': created(schema) },
  });
}

/** kubectl's checks read this operation: its GVK, its fieldValidation parameter, its request content types. */
function patchOperation(context: OperationContext): Operation {
  const schema = ref(schemaName(context.gvk, context.info));
  const patchSchema = { schema: ref(`${META}.Patch`) };
  const content: Record<string, { schema: Schema }> = {
    'application/apply-patch+yaml': patchSchema,
    'application/json-patch+json': patchSchema,
    'application/merge-patch+json': patchSchema,
    ...(context.advertiseStrategicMerge ? { 'application/strategic-merge-patch+json': patchSchema } : {}),
  };
  return operation(context, {
    action: 'patch',
    verb: 'patch',
    description: `partially update the specified ${context.gvk.kind}`,
    parameters: PATCH_PARAMETERS,
    requestBody: { content, required: true },
    responses: { '200': ok(schema), '201': created(schema) },
  });
}

function deleteOperation(context: OperationContext): Operation {
  return operation(context, {
    action: 'delete',
    verb: 'delete',
    description: `delete ${article(context.gvk.kind)}`,
    parameters: DELETE_PARAMETERS,
    requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } }, required: true },
    responses: { '200': ok(ref(`${META}.Status`)), '202': accepted(ref(`${META}.Status`)) },
  });
}

function deleteCollectionOperation(context: OperationContext): Operation {
  return operation(
    { ...context, scope: `Collection${context.scope}` },
    {
      action: 'deletecollection',
      verb: 'delete',
      description: `delete collection of ${context.gvk.kind}`,
      parameters: [...DELETE_PARAMETERS, ...LIST_PARAMETERS.filter((p) => p.name !== 'watch')].sort(byName),
      requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } }, required: true },
      responses: { '200': ok(ref(`${META}.Status`)) },
    },
  );
}

interface OperationShape {
  action: string;
  /** The first word of the operation id: list, create, read, replace, patch, delete. */
  verb: string;
  description: string;
  parameters?: Parameter[];
  requestBody?: Operation['requestBody'];
  responses: Operation['responses'];
}

function operation(context: OperationContext, shape: OperationShape): Operation {
  const { group, version, kind } = context.info;
  const groupName = groupWordsOf(group).map(capitalize).join('');
  return {
    // Upstream's tags and ids: core_v1, rbacAuthorization_v1; listCoreV1NamespacedSecret, patchAppsV1…Status.
    tags: [`${groupName.charAt(0).toLowerCase()}${groupName.slice(1)}_${version}`],
    description: shape.description,
    operationId: `${shape.verb}${groupName}${capitalize(version)}${context.scope}${kind}${context.suffix}`,
    ...(shape.parameters ? { parameters: shape.parameters } : {}),
    ...(shape.requestBody ? { requestBody: shape.requestBody } : {}),
    responses: { ...shape.responses, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': shape.action,
    'x-kubernetes-group-version-kind': context.gvk,
  };
}

/** `core`; `apps`; `rbac`, `authorization` for rbac.authorization.k8s.io; `example`, `com` for example.com. */
function groupWordsOf(group: string): string[] {
  if (!group) return ['core'];
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .filter((word) => word !== '');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function byName(a: Parameter, b: Parameter): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

function responseWith(description: string, schema: Schema) {
  return { description, content: { 'application/json': { schema }, 'application/yaml': { schema } } };
}

const ok = (schema: Schema) => responseWith('OK', schema);
const created = (schema: Schema) => responseWith('Created', schema);
const accepted = (schema: Schema) => responseWith('Accepted', schema);

// ---------------------------------------------------------------------------------------------------------
// Parameters

function queryParameter(
  name: string,
  type: 'string' | 'boolean' | 'integer',
  description: string,
): Parameter {
  return { name, in: 'query', description, schema: { type } };
}

const NAME_PARAMETER: Parameter = {
  name: 'name',
  in: 'path',
  description: 'name of the object',
  required: true,
  schema: { type: 'string' },
};

const NAMESPACE_PARAMETER: Parameter = {
  name: 'namespace',
  in: 'path',
  description: 'object name and auth scope, such as for teams and projects',
  required: true,
  schema: { type: 'string' },
};

const PRETTY_PARAMETER = queryParameter('pretty', 'string', "If 'true', then the output is pretty printed.");

const DRY_RUN = queryParameter(
  'dryRun',
  'string',
  'When present, modifications are not persisted. The only valid value is All: process every dry-run stage.',
);
const FIELD_MANAGER = queryParameter(
  'fieldManager',
  'string',
  'A name for the actor making these changes, recorded in managedFields. Required for apply patches.',
);
const FIELD_VALIDATION = queryParameter(
  'fieldValidation',
  'string',
  'How the server treats unknown and duplicate fields in the request: Ignore, Warn (the default) or Strict ' +
    '(reject the request).',
);

const WRITE_PARAMETERS: Parameter[] = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];

// The parameters kubectl's fieldValidation check looks for sit inline on the operation: it does not follow
// references to shared parameters in an OpenAPI v3 document.
const PATCH_PARAMETERS: Parameter[] = [
  ...WRITE_PARAMETERS,
  queryParameter(
    'force',
    'boolean',
    'Force an apply patch to take over fields other managers own. Must be unset for other patch types.',
  ),
];

const LIST_PARAMETERS: Parameter[] = [
  queryParameter('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events in a watch.'),
  queryParameter('continue', 'string', 'The continue token of the previous page of a paginated list.'),
  queryParameter('fieldSelector', 'string', 'Restrict the returned objects by their fields.'),
  queryParameter('labelSelector', 'string', 'Restrict the returned objects by their labels.'),
  queryParameter('limit', 'integer', 'The largest number of objects to return in one page.'),
  queryParameter('resourceVersion', 'string', 'Which resource version the list or watch starts from.'),
  queryParameter(
    'resourceVersionMatch',
    'string',
    'How resourceVersion applies to a list: Exact or NotOlderThan.',
  ),
  queryParameter(
    'sendInitialEvents',
    'boolean',
    'Start a watch with synthetic events for the current objects.',
  ),
  queryParameter('timeoutSeconds', 'integer', 'End the list or watch call after this many seconds.'),
  queryParameter('watch', 'boolean', 'Watch for changes instead of listing.'),
];

const DELETE_PARAMETERS: Parameter[] = [
  DRY_RUN,
  queryParameter('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes at once.'),
  queryParameter('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  queryParameter(
    'propagationPolicy',
    'string',
    'Garbage collection of dependents: Orphan, Background or Foreground.',
  ),
];

// ---------------------------------------------------------------------------------------------------------
// Schema names

/**
 * Upstream definition names: `io.k8s.api.<package>.<version>.<Kind>` for Kubernetes' own groups, and the
 * reversed group for custom resources (`com.example.v1.Widget`), as apiextensions-apiserver names them.
 */
function schemaName(gvk: GroupVersionKind, owner: ResourceInfo): string {
  const custom = owner.crd !== undefined && gvk.group === owner.group && gvk.version === owner.version;
  return `${custom ? reversedGroup(gvk.group) : builtinPackage(gvk.group)}.${gvk.version}.${gvk.kind}`;
}

function listSchemaName(info: ResourceInfo): string {
  return schemaName({ ...kindOf(info), kind: info.listKind }, info);
}

// Groups whose Go types live outside k8s.io/api.
const BUILTIN_PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

function builtinPackage(group: string): string {
  const known = BUILTIN_PACKAGES[group];
  if (known !== undefined) return known;
  // k8s.io/api names its packages after the group's first label: rbac.authorization.k8s.io → rbac.
  if (!group.includes('.') || group.endsWith('.k8s.io')) return `io.k8s.api.${group.split('.')[0] ?? group}`;
  return reversedGroup(group);
}

function reversedGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

// ---------------------------------------------------------------------------------------------------------
// Resource schemas

function resourceSchemas(info: ResourceInfo): Record<string, Schema> {
  const schemas: Record<string, Schema> = {
    [schemaName(kindOf(info), info)]: info.crd ? customResourceSchema(info) : builtinSchema(info),
    [listSchemaName(info)]: listSchema(info),
  };
  for (const sub of subresourcesOf(info).filter((candidate) => !candidate.connect)) {
    const name = schemaName(sub.responseKind, info);
    // A subresource speaking another kind (TokenRequest, Scale) needs that kind's schema in this document.
    if (!(name in schemas)) schemas[name] = foreignKindSchema(sub.responseKind);
  }
  return schemas;
}

function gvkExtension(gvk: GroupVersionKind): Schema {
  return { 'x-kubernetes-group-version-kind': [{ group: gvk.group, kind: gvk.kind, version: gvk.version }] };
}

function typeMetaProperties(metaSchema: 'ObjectMeta' | 'ListMeta'): Record<string, Schema> {
  return {
    apiVersion: {
      type: 'string',
      description: 'The versioned schema of this representation of an object, such as v1 or apps/v1.',
    },
    kind: { type: 'string', description: 'The REST resource this object represents, in CamelCase.' },
    metadata: {
      // OpenAPI 3.0 ignores siblings of $ref; allOf carries the description, as kube-openapi writes it.
      allOf: [ref(`${META}.${metaSchema}`)],
      default: {},
      description: metaSchema === 'ObjectMeta' ? "Standard object's metadata." : 'Standard list metadata.',
    },
  };
}

/** The CRD's openAPIV3Schema with apiVersion, kind and metadata set the way apiextensions-apiserver sets them. */
function customResourceSchema(info: ResourceInfo): Schema {
  const schema: Schema = structuredClone(
    info.crd?.schema ?? { 'x-kubernetes-preserve-unknown-fields': true },
  );
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  return {
    ...schema,
    type: 'object',
    properties: sortedByKey({ ...properties, ...typeMetaProperties('ObjectMeta') }),
    ...gvkExtension(kindOf(info)),
  };
}

function isRecord(value: unknown): value is Record<string, Schema> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listSchema(info: ResourceInfo): Schema {
  return {
    description: `${info.listKind} is a list of ${info.kind} objects.`,
    type: 'object',
    required: ['items'],
    properties: sortedByKey({
      ...typeMetaProperties('ListMeta'),
      items: {
        type: 'array',
        description: `The ${info.plural} in the list.`,
        items: ref(schemaName(kindOf(info), info)),
      },
    }),
    ...gvkExtension({ ...kindOf(info), kind: info.listKind }),
  };
}

function foreignKindSchema(gvk: GroupVersionKind): Schema {
  return {
    description: `${gvk.kind} (${gvk.group}/${gvk.version}).`,
    type: 'object',
    properties: {
      ...typeMetaProperties('ObjectMeta'),
      spec: openObject('The request.'),
      status: openObject('The result.'),
    },
    ...gvkExtension(gvk),
  };
}

function builtinSchema(info: ResourceInfo): Schema {
  const shape = BUILTIN_SHAPES[`${info.group}/${info.kind}`] ?? genericShape(info);
  return {
    description: shape.description,
    type: 'object',
    properties: sortedByKey({ ...typeMetaProperties('ObjectMeta'), ...shape.fields }),
    ...gvkExtension(kindOf(info)),
  };
}

/**
 * Whether every top-level field of the kind is described as deep as strategic merge patching looks. kubectl
 * computing an `apply` patch from a schema fails on an undescribed nested field (it warns, then falls back to
 * its compiled-in types), so advertising strategic merge for the others only buys that warning. A good
 * `advertiseStrategicMerge` is `(info) => info.strategicMerge && schemaCoversStrategicMerge(info)`.
 */
export function schemaCoversStrategicMerge(info: ResourceInfo): boolean {
  return !info.crd && BUILTIN_SHAPES[`${info.group}/${info.kind}`] !== undefined;
}

interface KindShape {
  description: string;
  fields: Record<string, Schema>;
}

/** What kubectl explain shows for kinds whose fields are not described here: spec and status, left open. */
function genericShape(info: ResourceInfo): KindShape {
  return {
    description: `${info.kind} (${apiVersionOf(info)}). Fields below spec and status are not described by this server.`,
    fields: {
      spec: openObject(`The desired state of the ${info.kind}.`),
      ...(info.subresources.includes('status')
        ? { status: openObject(`The observed state of the ${info.kind}.`) }
        : {}),
    },
  };
}

function text(description: string): Schema {
  return { type: 'string', description };
}

function flag(description: string): Schema {
  return { type: 'boolean', description };
}

function stringMap(description: string, format?: 'byte'): Schema {
  return {
    type: 'object',
    additionalProperties: { type: 'string', ...(format ? { format } : {}) },
    description,
  };
}

function openObject(description: string): Schema {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description };
}

function objectList(description: string, patch?: { mergeKey: string }): Schema {
  return {
    type: 'array',
    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    description,
    // Mirrors the upstream patch strategy, so schema-built patches merge list items the way kube does.
    ...(patch
      ? { 'x-kubernetes-patch-merge-key': patch.mergeKey, 'x-kubernetes-patch-strategy': 'merge' }
      : {}),
  };
}

const RBAC_RULES = objectList(
  'The PolicyRules of this role: verbs allowed on resources or non-resource URLs.',
);
const ROLE_BINDING_FIELDS: Record<string, Schema> = {
  roleRef: {
    type: 'object',
    description: 'The Role or ClusterRole granted (apiGroup, kind, name); it cannot change once set.',
    properties: {
      apiGroup: text('The group of the role.'),
      kind: text('Role or ClusterRole.'),
      name: text('The role.'),
    },
  },
  subjects: objectList('The users, groups and service accounts the role is granted to.'),
};
const WEBHOOKS = objectList('The webhooks called, with their rules and client configuration.', {
  mergeKey: 'name',
});

// Kinds described field by field (top level; nested objects are left open where patches never look inside).
const BUILTIN_SHAPES: Record<string, KindShape> = {
  '/Secret': {
    description:
      'Secret holds secret data of a certain type, base64-encoded in data, or as text in stringData.',
    fields: {
      data: stringMap('Secret values by key, each base64-encoded. Keys: alphanumerics, -, _ or .', 'byte'),
      immutable: flag('If true, data cannot change after creation; only metadata can.'),
      stringData: stringMap('Write-only convenience: plain-text values merged into data on write.'),
      type: text('Used to validate and process the secret data, e.g. Opaque or kubernetes.io/tls.'),
    },
  },
  '/ConfigMap': {
    description: 'ConfigMap holds configuration data for pods to consume.',
    fields: {
      binaryData: stringMap(
        'Binary values by key, each base64-encoded; keys must not repeat keys in data.',
        'byte',
      ),
      data: stringMap('Configuration values by key, as UTF-8 text.'),
      immutable: flag('If true, data and binaryData cannot change after creation.'),
    },
  },
  '/ServiceAccount': {
    description: 'ServiceAccount binds together a name that pods run as, credentials, and secrets.',
    fields: {
      automountServiceAccountToken: flag('Whether pods running as this account get an API token mounted.'),
      imagePullSecrets: objectList('References to Secrets in the same namespace used to pull images.'),
      secrets: objectList('Secrets pods running as this account may use.', { mergeKey: 'name' }),
    },
  },
  '/Event': {
    description: 'Event is a report of an event somewhere in the cluster.',
    fields: {
      action: text('What action was taken or failed regarding the object.'),
      count: { type: 'integer', format: 'int32', description: 'How many times this event occurred.' },
      eventTime: { type: 'string', format: 'date-time', description: 'When this event was first observed.' },
      firstTimestamp: {
        type: 'string',
        format: 'date-time',
        description: 'When this event was first recorded.',
      },
      involvedObject: openObject('The object this event is about.'),
      lastTimestamp: { type: 'string', format: 'date-time', description: 'When this event last recurred.' },
      message: text('A human-readable description of the status of this operation.'),
      reason: text('A short, machine-understandable reason for the transition into the current state.'),
      related: openObject('An optional secondary object for more complex actions.'),
      reportingComponent: text('The controller that emitted this event.'),
      reportingInstance: text('The ID of the controller instance.'),
      series: openObject('Data about the event series this event represents.'),
      source: openObject('The component reporting this event.'),
      type: text('Normal or Warning.'),
    },
  },
  '/Endpoints': {
    description:
      'Endpoints is a collection of endpoints that implement the actual service: its subsets of addresses and ports.',
    fields: {
      subsets: objectList(
        'The set of all endpoints is the union of all subsets: addresses (ready and not ready) with the ports they serve.',
      ),
    },
  },
  'discovery.k8s.io/EndpointSlice': {
    description: 'EndpointSlice represents a subset of the endpoints that implement a service.',
    fields: {
      addressType: text('The type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN. Immutable.'),
      endpoints: objectList('The unique endpoints in this slice (at most 1000).'),
      ports: objectList('The network ports exposed by each endpoint in this slice (at most 100).'),
    },
  },
  'rbac.authorization.k8s.io/Role': {
    description: 'Role is a namespaced set of PolicyRules, granted by a RoleBinding.',
    fields: { rules: RBAC_RULES },
  },
  'rbac.authorization.k8s.io/ClusterRole': {
    description:
      'ClusterRole is a cluster-wide set of PolicyRules, granted by a RoleBinding or ClusterRoleBinding.',
    fields: {
      aggregationRule: {
        type: 'object',
        description: 'Selects ClusterRoles whose rules the controller aggregates into this one.',
        properties: { clusterRoleSelectors: objectList('Label selectors of the ClusterRoles to aggregate.') },
      },
      rules: RBAC_RULES,
    },
  },
  'rbac.authorization.k8s.io/RoleBinding': {
    description: 'RoleBinding grants a Role or ClusterRole to subjects within a namespace.',
    fields: ROLE_BINDING_FIELDS,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    description: 'ClusterRoleBinding grants a ClusterRole to subjects across the cluster.',
    fields: ROLE_BINDING_FIELDS,
  },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': {
    description: 'MutatingWebhookConfiguration lists admission webhooks that may change objects.',
    fields: { webhooks: WEBHOOKS },
  },
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': {
    description: 'ValidatingWebhookConfiguration lists admission webhooks that accept or reject objects.',
    fields: { webhooks: WEBHOOKS },
  },
};

// ---------------------------------------------------------------------------------------------------------
// apimachinery's meta/v1 schemas the resources refer to

function metaSchemas(): Record<string, Schema> {
  const time = ref(`${META}.Time`);
  return {
    [`${META}.Time`]: { type: 'string', format: 'date-time', description: 'An RFC 3339 timestamp.' },
    [`${META}.FieldsV1`]: { type: 'object', description: 'A set of fields, in the structure of the object.' },
    [`${META}.Patch`]: {
      type: 'object',
      description: 'The body of a PATCH request, in the request Content-Type.',
    },
    [`${META}.ObjectMeta`]: objectMetaSchema(time),
    [`${META}.ListMeta`]: {
      type: 'object',
      description: 'Metadata of a list: its resource version and the continue token of the next page.',
      properties: {
        continue: text('Token for the next page of this list, if any.'),
        remainingItemCount: { type: 'integer', format: 'int64', description: 'Items after this page.' },
        resourceVersion: text('The version of the list, for watching from it.'),
        selfLink: text('Deprecated; not set.'),
      },
    },
    [`${META}.OwnerReference`]: {
      type: 'object',
      description: 'Identifies an owning object in the same namespace.',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: text('API version of the owner.'),
        blockOwnerDeletion: flag(
          'If true, the owner cannot be deleted in the foreground before this object.',
        ),
        controller: flag('If true, this reference points to the managing controller.'),
        kind: text('Kind of the owner.'),
        name: text('Name of the owner.'),
        uid: text('UID of the owner.'),
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [`${META}.ManagedFieldsEntry`]: {
      type: 'object',
      description: 'The fields one manager owns, by operation.',
      properties: {
        apiVersion: text('The version of the fields set.'),
        fieldsType: text('The format of fieldsV1; always FieldsV1.'),
        fieldsV1: { allOf: [ref(`${META}.FieldsV1`)], description: 'The fields owned.' },
        manager: text('Who manages these fields.'),
        operation: text('Apply or Update.'),
        subresource: text('The subresource the fields were written through, if any.'),
        time: { allOf: [time], description: 'When the fields last changed.' },
      },
    },
    [`${META}.Status`]: {
      type: 'object',
      description: 'The result of an operation that returns no object, and every error.',
      properties: {
        apiVersion: text('v1'),
        code: { type: 'integer', format: 'int32', description: 'The HTTP status code.' },
        details: { allOf: [ref(`${META}.StatusDetails`)], description: 'Data about the reason.' },
        kind: text('Status'),
        message: text('A human-readable description of the status.'),
        metadata: { allOf: [ref(`${META}.ListMeta`)], default: {}, description: 'Standard list metadata.' },
        reason: text('A machine-readable reason, such as NotFound or Conflict.'),
        status: text('Success or Failure.'),
      },
      ...gvkExtension({ group: '', version: 'v1', kind: 'Status' }),
    },
    [`${META}.StatusDetails`]: {
      type: 'object',
      description: 'The object a Status is about.',
      properties: {
        causes: {
          type: 'array',
          description: 'The individual errors.',
          items: { allOf: [ref(`${META}.StatusCause`)], default: {} },
        },
        group: text('The group of the resource.'),
        kind: text('The resource (plural).'),
        name: text('The name of the object.'),
        retryAfterSeconds: { type: 'integer', format: 'int32', description: 'When to retry.' },
        uid: text('The UID of the object.'),
      },
    },
    [`${META}.StatusCause`]: {
      type: 'object',
      description: 'One error behind a Status.',
      properties: {
        field: text('The field at fault.'),
        message: text('What went wrong.'),
        reason: text('Why.'),
      },
    },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      description: 'Options of a DELETE request.',
      properties: {
        apiVersion: text('The versioned schema of this representation of an object.'),
        dryRun: {
          type: 'array',
          items: { type: 'string', default: '' },
          description: 'All: do not persist.',
        },
        gracePeriodSeconds: { type: 'integer', format: 'int64', description: 'Seconds before deletion.' },
        kind: text('DeleteOptions'),
        orphanDependents: flag('Deprecated: use propagationPolicy.'),
        preconditions: {
          allOf: [ref(`${META}.Preconditions`)],
          description: 'Must hold for the delete to happen.',
        },
        propagationPolicy: text('Orphan, Background or Foreground.'),
      },
    },
    [`${META}.Preconditions`]: {
      type: 'object',
      description: 'Conditions an object must meet before a delete.',
      properties: { resourceVersion: text('The expected resource version.'), uid: text('The expected UID.') },
    },
  };
}

function objectMetaSchema(time: Schema): Schema {
  return {
    type: 'object',
    description: 'Metadata every persisted object has.',
    properties: {
      annotations: stringMap('Arbitrary non-identifying metadata, for tools.'),
      creationTimestamp: { allOf: [time], description: 'When the object was created; set by the server.' },
      deletionGracePeriodSeconds: {
        type: 'integer',
        format: 'int64',
        description: 'Seconds allowed to terminate.',
      },
      deletionTimestamp: {
        allOf: [time],
        description: 'When the object will be deleted; set by the server.',
      },
      finalizers: {
        type: 'array',
        items: { type: 'string', default: '' },
        description: 'Must be empty before the object is removed from the registry.',
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      },
      generateName: text('A prefix the server completes into a unique name when name is empty.'),
      generation: { type: 'integer', format: 'int64', description: 'The generation of the desired state.' },
      labels: stringMap('Labels that selectors match.'),
      managedFields: {
        type: 'array',
        items: { allOf: [ref(`${META}.ManagedFieldsEntry`)], default: {} },
        description: 'Which manager owns which fields.',
      },
      name: text('Unique within a namespace.'),
      namespace: text('The namespace of the object; empty for cluster-scoped objects.'),
      ownerReferences: {
        type: 'array',
        items: { allOf: [ref(`${META}.OwnerReference`)], default: {} },
        description: 'Objects this one depends on; it is garbage collected when they are all gone.',
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: text('The version of the object, for optimistic concurrency and watches.'),
      selfLink: text('Deprecated; not set.'),
      uid: text('Unique in time and space; set by the server.'),
    },
  };
}
