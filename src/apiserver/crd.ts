/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) as kube-apiserver 1.32 handles them: the defaults it fills
 * in, its validation (with the paths and messages kube prints), the ResourceInfo entries a CRD adds to the registry,
 * and the status its naming and establishing controllers write. Pure; no I/O.
 *
 * kube validates the internal (hub) form of a CRD: when every version carries the same schema, subresources or
 * printer columns, conversion from v1 moves them to the top level, so errors about them are reported at
 * `spec.validation.openAPIV3Schema…`, `spec.subresources…` and `spec.additionalPrinterColumns[i]…`. That is
 * reproduced here, including the Go dump of spec.versions that some messages carry (pointer addresses are fixed
 * placeholders: kube prints real, random ones).
 */
import { isObject, objectAt, objectList, stringAt, stringList, type JsonObject } from './json-access.ts';
import { Buffer } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';

import {
  type Cause,
  child,
  dedupeCauses,
  forbidden,
  goQuote,
  goStringSlice,
  index,
  invalidValue,
  key,
  notSupported,
  required,
  verbatim,
} from './field-errors.ts';
import { validateCrdSchema } from './crd-schema.ts';
import {
  type PrinterColumn,
  type ResourceInfo,
  type ScalePaths,
  STANDARD_VERBS,
  customResourcePrefix,
} from './resources.ts';
import {
  FIELD_IMMUTABLE,
  isDns1035Label,
  isDns1123Subdomain,
  type NameValidator,
  nameErrors,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './validation.ts';

function specOf(crd: JsonObject): JsonObject {
  return objectAt(crd, 'spec') ?? {};
}

function versionsOf(crd: JsonObject): JsonObject[] {
  return objectList(specOf(crd)['versions']);
}

/** The version objects are stored in: the first one marked `storage: true`. */
export function storageVersionOf(crd: JsonObject): string | undefined {
  const version = versionsOf(crd).find((v) => v['storage'] === true);
  return version ? stringAt(version, 'name') : undefined;
}

// ---------- defaults (apiextensions v1 SetDefaults_*) ----------

/** What kube's defaulting fills in. Returns a new object. */
export function crdDefaults(crd: JsonObject): JsonObject {
  const spec = specOf(crd);
  const names: JsonObject = { ...objectAt(spec, 'names') };
  const kind = stringAt(names, 'kind');
  if (stringAt(names, 'singular') === '') names['singular'] = kind.toLowerCase();
  if (stringAt(names, 'listKind') === '' && kind !== '') names['listKind'] = `${kind}List`;
  const result: JsonObject = {
    ...crd,
    spec: { ...spec, names, conversion: defaultConversion(spec['conversion']) },
  };
  const status = objectAt(crd, 'status');
  const storage = storageVersionOf(result);
  if (storage !== undefined && stringList(status?.['storedVersions']).length === 0) {
    result['status'] = { ...status, storedVersions: [storage] };
  }
  return result;
}

function defaultConversion(conversion: unknown): JsonObject {
  if (!isObject(conversion)) return { strategy: 'None' };
  const service = objectAt(objectAt(objectAt(conversion, 'webhook'), 'clientConfig'), 'service');
  if (!service || service['port'] !== undefined) return conversion;
  const webhook = objectAt(conversion, 'webhook') ?? {};
  const clientConfig = objectAt(webhook, 'clientConfig') ?? {};
  return {
    ...conversion,
    webhook: { ...webhook, clientConfig: { ...clientConfig, service: { ...service, port: 443 } } },
  };
}

/**
 * The status a freshly created CRD has before the controllers run (the create strategy resets whatever the client
 * sent): empty accepted names and the storage version as the only stored version.
 */
export function crdCreateStatus(crd: JsonObject): JsonObject {
  const storage = storageVersionOf(crd);
  return { acceptedNames: { plural: '', kind: '' }, storedVersions: storage === undefined ? [] : [storage] };
}

// ---------- the internal (hub) form kube validates ----------

interface HubVersion {
  source: JsonObject;
  schema: unknown;
  subresources: unknown;
  columns: unknown;
  selectableFields: unknown;
}

interface HubSpec {
  versions: HubVersion[];
  /** Present when every version has the same value (moved to the top level by conversion). */
  validation: unknown;
  subresources: unknown;
  columns: unknown;
}

const PER_VERSION_FIELDS = {
  schema: 'schema',
  subresources: 'subresources',
  columns: 'additionalPrinterColumns',
  selectableFields: 'selectableFields',
} as const;

/** Conversion v1 → internal: a per-version field equal in all versions moves to the top level. */
function hubSpec(spec: JsonObject): HubSpec {
  const versions = objectList(spec['versions']);
  const promoted = (field: string): unknown => {
    const first = versions[0]?.[field];
    if (first === undefined || !versions.every((v) => isDeepStrictEqual(v[field], first))) return undefined;
    return first;
  };
  const validation = promoted(PER_VERSION_FIELDS.schema);
  const subresources = promoted(PER_VERSION_FIELDS.subresources);
  const columns = promoted(PER_VERSION_FIELDS.columns);
  const selectable = promoted(PER_VERSION_FIELDS.selectableFields);
  return {
    versions: versions.map((source) => ({
      source,
      schema: validation === undefined ? source[PER_VERSION_FIELDS.schema] : undefined,
      subresources: subresources === undefined ? source[PER_VERSION_FIELDS.subresources] : undefined,
      columns: columns === undefined ? source[PER_VERSION_FIELDS.columns] : undefined,
      selectableFields: selectable === undefined ? source[PER_VERSION_FIELDS.selectableFields] : undefined,
    })),
    validation,
    subresources,
    columns,
  };
}

const POINTER = '0xc000000000';

function goPointer(type: string, value: unknown): string {
  return `(*${type})(${value === undefined || value === null ? 'nil' : POINTER})`;
}

function goColumns(value: unknown): string {
  const columns = objectList(value);
  if (columns.length === 0) return '[]apiextensions.CustomResourceColumnDefinition(nil)';
  const rendered = columns.map(
    (c) =>
      `apiextensions.CustomResourceColumnDefinition{Name:${goQuote(stringAt(c, 'name'))}, Type:${goQuote(stringAt(c, 'type'))}, ` +
      `Format:${goQuote(stringAt(c, 'format'))}, Description:${goQuote(stringAt(c, 'description'))}, ` +
      `Priority:${typeof c['priority'] === 'number' ? c['priority'] : 0}, JSONPath:${goQuote(stringAt(c, 'jsonPath'))}}`,
  );
  return `[]apiextensions.CustomResourceColumnDefinition{${rendered.join(', ')}}`;
}

function goSelectableFields(value: unknown): string {
  const fields = objectList(value);
  if (fields.length === 0) return '[]apiextensions.SelectableField(nil)';
  const rendered = fields.map(
    (f) => `apiextensions.SelectableField{JSONPath:${goQuote(stringAt(f, 'jsonPath'))}}`,
  );
  return `[]apiextensions.SelectableField{${rendered.join(', ')}}`;
}

/** %#v of one internal CustomResourceDefinitionVersion. */
function goVersion(version: HubVersion): string {
  const v = version.source;
  const warning = typeof v['deprecationWarning'] === 'string' ? v['deprecationWarning'] : undefined;
  return (
    `apiextensions.CustomResourceDefinitionVersion{Name:${goQuote(stringAt(v, 'name'))}, Served:${v['served'] === true}, ` +
    `Storage:${v['storage'] === true}, Deprecated:${v['deprecated'] === true}, DeprecationWarning:${goPointer('string', warning)}, ` +
    `Schema:${goPointer('apiextensions.CustomResourceValidation', version.schema)}, ` +
    `Subresources:${goPointer('apiextensions.CustomResourceSubresources', version.subresources)}, ` +
    `AdditionalPrinterColumns:${goColumns(version.columns)}, SelectableFields:${goSelectableFields(version.selectableFields)}}`
  );
}

function goVersions(versions: HubVersion[]): string {
  if (versions.length === 0) return '[]apiextensions.CustomResourceDefinitionVersion(nil)';
  return `[]apiextensions.CustomResourceDefinitionVersion{${versions.map(goVersion).join(', ')}}`;
}

// ---------- validation ----------

/**
 * Causes for creating a CRD, after crdDefaults(). Includes ObjectMeta validation (with the CRD's name rule) and the
 * stored versions kube's create strategy derives.
 */
export function validateCrd(crd: JsonObject): Cause[] {
  const storage = storageVersionOf(crd);
  return dedupeCauses([
    ...validateObjectMeta(crd['metadata'], {
      namespaced: false,
      nameRule: crdNameRule(crd),
      kubeFinalizers: false,
    }),
    ...validateSpec(specOf(crd)),
    ...validateAcceptedNames(objectAt(crd, 'status')),
    ...validateStoredVersions(storage === undefined ? [] : [storage], specOf(crd)),
    ...validateApiApproval(crd, undefined),
    ...validatePreserveUnknownFields(specOf(crd)),
  ]);
}

/**
 * Causes for replacing `old` with `crd`. `status.storedVersions` is taken from the old object plus the new storage
 * version, as kube's update strategy does.
 */
export function validateCrdUpdate(crd: JsonObject, old: JsonObject): Cause[] {
  const spec = specOf(crd);
  const oldSpec = specOf(old);
  const stored = stringList(objectAt(old, 'status')?.['storedVersions']);
  const storage = storageVersionOf(crd);
  if (storage !== undefined && !stored.includes(storage)) stored.push(storage);
  const rules = { namespaced: false, nameRule: crdNameRule(crd), kubeFinalizers: false };
  return dedupeCauses([
    ...validateObjectMetaUpdate(crd['metadata'], old['metadata'], rules),
    ...validateSpec(spec),
    ...validateSpecUpdate(spec, oldSpec, isCrdEstablished(old)),
    ...validateAcceptedNames(objectAt(crd, 'status')),
    ...validateStoredVersions(stored, spec),
    ...validateApiApproval(crd, old),
    // A CRD that already preserves unknown fields may keep doing so.
    ...(oldSpec['preserveUnknownFields'] === true ? [] : validatePreserveUnknownFields(spec)),
  ]);
}

/** metadata.name must be `<plural>.<group>` on top of being a DNS subdomain (generateName gets the same check). */
function crdNameRule(crd: JsonObject): NameValidator {
  const spec = specOf(crd);
  const expected = `${stringAt(objectAt(spec, 'names'), 'plural')}.${stringAt(spec, 'group')}`;
  return (name, isPrefix) => [
    ...nameErrors('dns-subdomain', name, isPrefix),
    ...(name === expected ? [] : ['must be spec.names.plural+"."+spec.group']),
  ];
}

function validateSpec(spec: JsonObject): Cause[] {
  const hub = hubSpec(spec);
  return [
    ...validateGroup(stringAt(spec, 'group')),
    ...validateEnum('spec.scope', stringAt(spec, 'scope'), ['Cluster', 'Namespaced']),
    ...validateSchemasPresent(hub),
    ...validateVersions(hub, spec),
    ...validateRequiredNames(objectAt(spec, 'names') ?? {}),
    ...validateNamesFormat(objectAt(spec, 'names') ?? {}, 'spec.names'),
    ...validateCrdSchema(hub.validation, 'spec.validation'),
    ...validateSubresources(hub.subresources, 'spec.subresources'),
    ...objectList(hub.columns).flatMap((column, i) =>
      validateColumn(column, index('spec.additionalPrinterColumns', i)),
    ),
    ...validateConversion(objectAt(spec, 'conversion'), 'spec.conversion'),
  ];
}

function validateGroup(group: string): Cause[] {
  if (group === '') return [required('spec.group')];
  const errors = isDns1123Subdomain(group);
  if (errors.length > 0) return [invalidValue('spec.group', group, errors.join(','))];
  if (!group.includes('.'))
    return [invalidValue('spec.group', group, 'should be a domain with at least one dot')];
  return [];
}

function validateEnum(field: string, value: string, accepted: string[]): Cause[] {
  if (value === '') return [required(field)];
  return accepted.includes(value) ? [] : [notSupported(field, value, accepted)];
}

function hasOpenApiSchema(schema: unknown): boolean {
  return isObject(objectAt(isObject(schema) ? schema : undefined, 'openAPIV3Schema'));
}

function validateSchemasPresent(hub: HubSpec): Cause[] {
  if (hasOpenApiSchema(hub.validation)) return [];
  return hub.versions.flatMap((version, i) =>
    hasOpenApiSchema(version.schema)
      ? []
      : [required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required')],
  );
}

function validateVersions(hub: HubSpec, spec: JsonObject): Cause[] {
  const causes: Cause[] = [];
  const names = new Set<string>();
  let unique = true;
  hub.versions.forEach((version, i) => {
    const name = stringAt(version.source, 'name');
    if (names.has(name)) unique = false;
    names.add(name);
    const path = index('spec.versions', i);
    const errors = isDns1035Label(name);
    if (errors.length > 0) causes.push(invalidValue(child(path, 'name'), name, errors.join(',')));
    causes.push(...validateVersion(version, path));
  });
  const dump = verbatim(goVersions(hub.versions));
  if (!unique) causes.push(invalidValue('spec.versions', dump, 'must contain unique version names'));
  if (hub.versions.filter((v) => v.source['storage'] === true).length !== 1) {
    causes.push(
      invalidValue('spec.versions', dump, 'must have exactly one version marked as storage version'),
    );
  }
  const first = hub.versions[0];
  if (
    first &&
    stringAt(spec, 'version') !== '' &&
    stringAt(spec, 'version') !== stringAt(first.source, 'name')
  ) {
    causes.push(
      invalidValue(
        'spec.version',
        stringAt(spec, 'version'),
        'must match the first version in spec.versions',
      ),
    );
  }
  return causes;
}

function validateVersion(version: HubVersion, path: string): Cause[] {
  return [
    ...validateDeprecationWarning(version.source, path),
    ...validateCrdSchema(version.schema, child(path, 'schema')),
    ...validateSubresources(version.subresources, child(path, 'subresources')),
    ...objectList(version.columns).flatMap((column, i) =>
      validateColumn(column, index(child(path, 'additionalPrinterColumns'), i)),
    ),
  ];
}

function validateDeprecationWarning(version: JsonObject, path: string): Cause[] {
  const warning = version['deprecationWarning'];
  if (typeof warning !== 'string') return [];
  const field = child(path, 'deprecationWarning');
  if (version['deprecated'] !== true)
    return [invalidValue(field, warning, 'can only be set for deprecated versions')];
  const causes: Cause[] = [];
  if (Buffer.byteLength(warning) > 256)
    causes.push(invalidValue(field, warning, 'must be <= 256 characters long'));
  if (warning === '') causes.push(invalidValue(field, warning, 'must not be an empty string'));
  const control = [...warning].findIndex((char) => /[\p{Cc}]/u.test(char));
  if (control >= 0) {
    const offset = Buffer.byteLength([...warning].slice(0, control).join(''));
    causes.push(
      invalidValue(
        field,
        warning,
        `must only contain printable UTF-8 characters; non-printable character found at index ${offset}`,
      ),
    );
  }
  return causes;
}

function validateRequiredNames(names: JsonObject): Cause[] {
  return ['plural', 'singular', 'kind', 'listKind']
    .filter((name) => stringAt(names, name) === '')
    .map((name) => required(`spec.names.${name}`));
}

/** ValidateCustomResourceDefinitionNames (also applied to status.acceptedNames). */
function validateNamesFormat(names: JsonObject, path: string): Cause[] {
  const causes: Cause[] = [];
  const lowerCase = (field: string): void => {
    const value = stringAt(names, field);
    const errors = isDns1035Label(value);
    if (value !== '' && errors.length > 0)
      causes.push(invalidValue(child(path, field), value, errors.join(',')));
  };
  const mixedCase = (field: string): void => {
    const value = stringAt(names, field);
    const errors = isDns1035Label(value.toLowerCase());
    if (value !== '' && errors.length > 0) {
      causes.push(
        invalidValue(
          child(path, field),
          value,
          `may have mixed case, but should otherwise match: ${errors.join(',')}`,
        ),
      );
    }
  };
  lowerCase('plural');
  lowerCase('singular');
  mixedCase('kind');
  mixedCase('listKind');
  stringList(names['shortNames']).forEach((shortName, i) => {
    const errors = isDns1035Label(shortName);
    if (errors.length > 0)
      causes.push(invalidValue(index(child(path, 'shortNames'), i), shortName, errors.join(',')));
  });
  const kind = stringAt(names, 'kind');
  if (kind !== '' && kind === stringAt(names, 'listKind')) {
    causes.push(invalidValue(child(path, 'listKind'), kind, 'kind and listKind may not be the same'));
  }
  stringList(names['categories']).forEach((category, i) => {
    const errors = isDns1035Label(category);
    if (errors.length > 0)
      causes.push(invalidValue(index(child(path, 'categories'), i), category, errors.join(',')));
  });
  return causes;
}

function validateAcceptedNames(status: JsonObject | undefined): Cause[] {
  return validateNamesFormat(objectAt(status, 'acceptedNames') ?? {}, 'status.acceptedNames');
}

function validateStoredVersions(stored: string[], spec: JsonObject): Cause[] {
  const field = 'status.storedVersions';
  if (stored.length === 0)
    return [invalidValue(field, verbatim(goStringSlice(stored)), 'must have at least one stored version')];
  const hub = hubSpec(spec);
  const causes: Cause[] = [];
  const remaining = new Map(stored.map((version, i) => [version, i]));
  for (const version of hub.versions) {
    const name = stringAt(version.source, 'name');
    if (version.source['storage'] === true && !remaining.has(name)) {
      causes.push(invalidValue(field, verbatim(goVersion(version)), `must have the storage version ${name}`));
    }
    remaining.delete(name);
  }
  for (const [version, i] of remaining)
    causes.push(invalidValue(index(field, i), version, 'must appear in spec.versions'));
  return causes;
}

function validateSpecUpdate(spec: JsonObject, oldSpec: JsonObject, established: boolean): Cause[] {
  const causes: Cause[] = [];
  const immutable = (field: string, value: string, oldValue: string): void => {
    if (value !== oldValue) causes.push(invalidValue(field, value, FIELD_IMMUTABLE));
  };
  const names = objectAt(spec, 'names');
  const oldNames = objectAt(oldSpec, 'names');
  // Once served, scope and kind define the storage; the group and plural are part of the CRD's name anyway.
  if (established) {
    immutable('spec.scope', stringAt(spec, 'scope'), stringAt(oldSpec, 'scope'));
    immutable('spec.names.kind', stringAt(names, 'kind'), stringAt(oldNames, 'kind'));
  }
  immutable('spec.group', stringAt(spec, 'group'), stringAt(oldSpec, 'group'));
  immutable('spec.names.plural', stringAt(names, 'plural'), stringAt(oldNames, 'plural'));
  return causes;
}

const APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';
const APPROVAL_HELP = 'see https://github.com/kubernetes/enhancements/pull/1111';

function isProtectedGroup(group: string): boolean {
  return ['k8s.io', 'kubernetes.io'].some((domain) => group === domain || group.endsWith(`.${domain}`));
}

type ApprovalState = 'missing' | 'bypassed' | 'approved' | 'invalid';

function approvalState(crd: JsonObject): ApprovalState {
  const value = stringAt(objectAt(objectAt(crd, 'metadata'), 'annotations'), APPROVAL_ANNOTATION);
  if (value === '') return 'missing';
  if (value.startsWith('unapproved')) return 'bypassed';
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$|^\/\S*$/.test(value) ? 'approved' : 'invalid';
}

/** Groups under k8s.io and kubernetes.io need an approval annotation (KEP-1111). */
function validateApiApproval(crd: JsonObject, old: JsonObject | undefined): Cause[] {
  if (!isProtectedGroup(stringAt(specOf(crd), 'group'))) return [];
  const state = approvalState(crd);
  if (old !== undefined && approvalState(old) === state) return [];
  const field = key('metadata.annotations', APPROVAL_ANNOTATION);
  if (state === 'missing')
    return [
      required(
        field,
        `protected groups must have approval annotation ${goQuote(APPROVAL_ANNOTATION)}, ${APPROVAL_HELP}`,
      ),
    ];
  if (state !== 'invalid') return [];
  const value = stringAt(objectAt(objectAt(crd, 'metadata'), 'annotations'), APPROVAL_ANNOTATION);
  return [
    invalidValue(
      field,
      value,
      `protected groups must have approval annotation ${goQuote(APPROVAL_ANNOTATION)} with either a URL or a reason starting with "unapproved", ${APPROVAL_HELP}`,
    ),
  ];
}

function validatePreserveUnknownFields(spec: JsonObject): Cause[] {
  if (spec['preserveUnknownFields'] !== true) return [];
  return [
    invalidValue(
      'spec.preserveUnknownFields',
      true,
      'cannot set to true, set x-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ),
  ];
}

// ---------- subresources, printer columns, conversion ----------

function validateSubresources(value: unknown, path: string): Cause[] {
  const scale = objectAt(isObject(value) ? value : undefined, 'scale');
  if (!scale) return [];
  const causes: Cause[] = [];
  const replicasPath = (field: string, under: string): void => {
    const jsonPath = stringAt(scale, field);
    const fieldPath = `${path}.scale.${field}`;
    if (jsonPath === '') causes.push(required(fieldPath));
    else if (!jsonPath.startsWith('.'))
      causes.push(invalidValue(fieldPath, jsonPath, 'must be a simple json path starting with .'));
    else if (!jsonPath.startsWith(`.${under}.`))
      causes.push(invalidValue(fieldPath, jsonPath, `should be a json path under .${under}`));
  };
  replicasPath('specReplicasPath', 'spec');
  replicasPath('statusReplicasPath', 'status');
  const selectorPath = stringAt(scale, 'labelSelectorPath');
  const fieldPath = `${path}.scale.labelSelectorPath`;
  if (selectorPath !== '' && !selectorPath.startsWith('.')) {
    causes.push(invalidValue(fieldPath, selectorPath, 'must be a simple json path starting with .'));
  } else if (
    selectorPath !== '' &&
    !selectorPath.startsWith('.spec.') &&
    !selectorPath.startsWith('.status.')
  ) {
    causes.push(invalidValue(fieldPath, selectorPath, 'should be a json path under either .spec or .status'));
  }
  return causes;
}

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

function validateColumn(column: JsonObject, path: string): Cause[] {
  const causes: Cause[] = [];
  if (stringAt(column, 'name') === '') causes.push(required(child(path, 'name')));
  const type = stringAt(column, 'type');
  const typeRule = `must be one of ${COLUMN_TYPES.join(',')}`;
  if (type === '') causes.push(required(child(path, 'type'), typeRule));
  else if (!COLUMN_TYPES.includes(type)) causes.push(invalidValue(child(path, 'type'), type, typeRule));
  const format = stringAt(column, 'format');
  if (format !== '' && !COLUMN_FORMATS.includes(format)) {
    causes.push(invalidValue(child(path, 'format'), format, `must be one of ${COLUMN_FORMATS.join(',')}`));
  }
  const jsonPath = stringAt(column, 'jsonPath');
  if (jsonPath === '') causes.push(required(child(path, 'JSONPath')));
  else if (!jsonPath.startsWith('.'))
    causes.push(
      invalidValue(child(path, 'JSONPath'), jsonPath, 'must be a simple json path starting with .'),
    );
  return causes;
}

const CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];

function validateConversion(conversion: JsonObject | undefined, path: string): Cause[] {
  if (!conversion) return [];
  const strategy = stringAt(conversion, 'strategy');
  const causes = validateEnum(child(path, 'strategy'), strategy, ['None', 'Webhook']);
  const webhook = objectAt(conversion, 'webhook');
  const clientConfig = objectAt(webhook, 'clientConfig');
  const reviewVersions = stringList(webhook?.['conversionReviewVersions']);
  if (strategy !== 'Webhook') {
    // The internal type has these two directly under conversion; kube reports them there.
    if (clientConfig)
      causes.push(
        forbidden(
          child(path, 'webhookClientConfig'),
          'should not be set when strategy is not set to Webhook',
        ),
      );
    if (reviewVersions.length > 0) {
      causes.push(
        forbidden(
          child(path, 'conversionReviewVersions'),
          'should not be set when strategy is not set to Webhook',
        ),
      );
    }
    return causes;
  }
  if (!clientConfig)
    causes.push(required(child(path, 'webhookClientConfig'), 'required when strategy is set to Webhook'));
  else if ((clientConfig['url'] === undefined) === (clientConfig['service'] === undefined)) {
    causes.push(required(child(path, 'webhookClientConfig'), 'exactly one of url or service is required'));
  }
  causes.push(...validateReviewVersions(reviewVersions, child(path, 'conversionReviewVersions')));
  return causes;
}

function validateReviewVersions(versions: string[], path: string): Cause[] {
  if (versions.length === 0) return [required(path)];
  const causes: Cause[] = [];
  const seen = new Set<string>();
  versions.forEach((version, i) => {
    if (seen.has(version)) {
      causes.push(invalidValue(index(path, i), version, 'duplicate version'));
      return;
    }
    seen.add(version);
    for (const message of isDns1035Label(version))
      causes.push(invalidValue(index(path, i), version, message));
  });
  if (!versions.some((version) => CONVERSION_REVIEW_VERSIONS.includes(version))) {
    causes.push(
      invalidValue(
        path,
        verbatim(goStringSlice(versions)),
        `must include at least one of ${CONVERSION_REVIEW_VERSIONS.join(', ')}`,
      ),
    );
  }
  return causes;
}

// ---------- serving ----------

/** True once kube's establishing controller has marked the CRD Established. */
export function isCrdEstablished(crd: JsonObject): boolean {
  return objectList(objectAt(crd, 'status')?.['conditions']).some(
    (condition) => condition['type'] === 'Established' && condition['status'] === 'True',
  );
}

/** The names kube serves under: status.acceptedNames once the naming controller has set them, else spec.names. */
function servedNames(crd: JsonObject): JsonObject {
  const accepted = objectAt(objectAt(crd, 'status'), 'acceptedNames');
  if (accepted && stringAt(accepted, 'plural') !== '') return accepted;
  return objectAt(crdDefaults(crd)['spec'] as JsonObject, 'names') ?? {};
}

/** kube's table shows Age when a version declares no printer columns. */
const DEFAULT_COLUMNS: readonly PrinterColumn[] = [
  {
    name: 'Age',
    type: 'date',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    jsonPath: '.metadata.creationTimestamp',
  },
];

function printerColumns(version: JsonObject): PrinterColumn[] {
  const columns = objectList(version['additionalPrinterColumns']).map((column): PrinterColumn => ({
    name: stringAt(column, 'name'),
    type: stringAt(column, 'type'),
    format: stringAt(column, 'format') || undefined,
    description: stringAt(column, 'description') || undefined,
    priority: typeof column['priority'] === 'number' ? column['priority'] : undefined,
    jsonPath: stringAt(column, 'jsonPath'),
  }));
  return columns.length > 0 ? columns : [...DEFAULT_COLUMNS];
}

function scalePathsOf(version: JsonObject): ScalePaths | undefined {
  const scale = objectAt(objectAt(version, 'subresources'), 'scale');
  if (!scale) return undefined;
  const labelSelectorPath = stringAt(scale, 'labelSelectorPath');
  return {
    specReplicasPath: stringAt(scale, 'specReplicasPath'),
    statusReplicasPath: stringAt(scale, 'statusReplicasPath'),
    labelSelectorPath: labelSelectorPath || undefined,
  };
}

function subresourcesOf(version: JsonObject): string[] {
  const subresources = objectAt(version, 'subresources');
  return ['status', 'scale'].filter((name) => isObject(subresources?.[name]));
}

/** One ResourceInfo per served version of the CRD. */
export function crdResourceInfos(crd: JsonObject): ResourceInfo[] {
  const spec = specOf(crd);
  const group = stringAt(spec, 'group');
  const names = servedNames(crd);
  const plural = stringAt(names, 'plural');
  const kind = stringAt(names, 'kind');
  const storageVersion = storageVersionOf(crd) ?? '';
  const crdName = stringAt(objectAt(crd, 'metadata'), 'name') || `${plural}.${group}`;
  return versionsOf(crd)
    .filter((version) => version['served'] === true)
    .map((version): ResourceInfo => ({
      group,
      version: stringAt(version, 'name'),
      kind,
      listKind: stringAt(names, 'listKind') || `${kind}List`,
      plural,
      singular: stringAt(names, 'singular') || kind.toLowerCase(),
      namespaced: stringAt(spec, 'scope') === 'Namespaced',
      shortNames: stringList(names['shortNames']),
      categories: stringList(names['categories']),
      verbs: STANDARD_VERBS,
      subresources: subresourcesOf(version),
      storagePrefix: customResourcePrefix(group, plural),
      codec: 'json',
      generation: 'non-metadata',
      strategicMerge: false,
      storageVersion,
      crd: {
        name: crdName,
        schema: objectAt(objectAt(version, 'schema'), 'openAPIV3Schema'),
        printerColumns: printerColumns(version),
        scale: scalePathsOf(version),
      },
    }));
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
function kubeTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function acceptedNames(crd: JsonObject): JsonObject {
  const names = objectAt(crdDefaults(crd)['spec'] as JsonObject, 'names') ?? {};
  // Field order of CustomResourceDefinitionNames; empty lists are omitted.
  const result: JsonObject = { plural: stringAt(names, 'plural'), singular: stringAt(names, 'singular') };
  const shortNames = stringList(names['shortNames']);
  if (shortNames.length > 0) result['shortNames'] = shortNames;
  result['kind'] = stringAt(names, 'kind');
  result['listKind'] = stringAt(names, 'listKind');
  const categories = stringList(names['categories']);
  if (categories.length > 0) result['categories'] = categories;
  return result;
}

function condition(
  existing: JsonObject[],
  type: string,
  reason: string,
  message: string,
  now: Date,
): JsonObject {
  const previous = existing.find((c) => c['type'] === type);
  const unchanged = previous?.['status'] === 'True' && typeof previous['lastTransitionTime'] === 'string';
  return {
    type,
    status: 'True',
    lastTransitionTime: unchanged ? previous['lastTransitionTime'] : kubeTime(now),
    reason,
    message,
  };
}

/**
 * The status kube's controllers leave on an established CRD whose names do not clash: NamesAccepted and
 * Established conditions (a transition time is kept when the condition was already true), the accepted names,
 * and the stored versions with the current storage version added. Other conditions are kept after these two.
 */
export function crdStatus(crd: JsonObject, now: Date): JsonObject {
  const status = objectAt(crd, 'status') ?? {};
  const existing = objectList(status['conditions']);
  const conditions = [
    condition(existing, 'NamesAccepted', 'NoConflicts', 'no conflicts found', now),
    condition(existing, 'Established', 'InitialNamesAccepted', 'the initial names have been accepted', now),
    ...existing.filter((c) => c['type'] !== 'NamesAccepted' && c['type'] !== 'Established'),
  ];
  const storedVersions = stringList(status['storedVersions']);
  const storage = storageVersionOf(crd);
  if (storage !== undefined && !storedVersions.includes(storage)) storedVersions.push(storage);
  return { conditions, acceptedNames: acceptedNames(crd), storedVersions };
}
