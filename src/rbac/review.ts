/**
 * The authorization.k8s.io/v1 reviews, answered from RBAC as kube-apiserver answers them
 * (pkg/registry/authorization/*): SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview and
 * SelfSubjectRulesReview — what `kubectl auth can-i` and `can-i --list` send.
 *
 * Each function takes the decoded request body and returns the response object (the request echoed, with
 * `metadata.creationTimestamp: null` and a `status`), or throws the ApiError kube answers (422 Invalid, 400
 * BadRequest). Pure.
 */
import { goQuote, invalidValue, verbatim, type Cause } from '../apiserver/field-errors.ts';
import { badRequest, invalid, type ApiError } from '../apiserver/status.ts';
import { aggregateErrorText, authorize, roleRefErrorText, rulesFor, type RbacIndex } from './evaluator.ts';
import type { NormalRule } from './rules.ts';
import type { RequestAttributes, UserInfo } from './types.ts';

const GROUP = 'authorization.k8s.io';
const API_VERSION = `${GROUP}/v1`;

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** The decoding error kube answers when a field has the wrong JSON type. */
function typeError(kind: string, struct: string, path: string, value: unknown, goType: string): ApiError {
  return badRequest(
    `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${jsonType(value)} ` +
      `into Go struct field ${struct}.${path} of type ${goType}`,
  );
}

function stringField(kind: string, struct: string, path: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw typeError(kind, struct, path, value, 'string');
  return value;
}

function stringList(kind: string, struct: string, path: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw typeError(kind, struct, path, value, '[]string');
  }
  return value as string[];
}

// ---------- the spec, read and echoed in Go's field order (all fields omitempty) ----------

interface ResourceAttributes {
  namespace: string;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  name: string;
  /** Kept as sent (selector-aware authorizers read them; RBAC does not). */
  fieldSelector?: unknown;
  labelSelector?: unknown;
}

interface NonResourceAttributes {
  path: string;
  verb: string;
}

interface ReviewSpec {
  resourceAttributes?: ResourceAttributes | undefined;
  nonResourceAttributes?: NonResourceAttributes | undefined;
  user: string;
  groups: string[];
  extra: Record<string, string[]>;
  uid: string;
}

const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;

/** The spec of a review; `self` reviews have no user fields (kube drops them as unknown). */
function readSpec(kind: string, body: unknown, self: boolean): ReviewSpec {
  const spec = record(record(body)['spec']);
  const out: ReviewSpec = { user: '', groups: [], extra: {}, uid: '' };
  if (!self) {
    out.user = stringField(kind, 'SubjectAccessReviewSpec', 'spec.user', spec['user']);
    out.groups = stringList(kind, 'SubjectAccessReviewSpec', 'spec.groups', spec['groups']);
    out.uid = stringField(kind, 'SubjectAccessReviewSpec', 'spec.uid', spec['uid']);
    for (const [key, values] of Object.entries(record(spec['extra']))) {
      out.extra[key] = stringList(kind, 'SubjectAccessReviewSpec', 'spec.extra', values);
    }
  }
  const resource = spec['resourceAttributes'];
  if (resource !== undefined && resource !== null) {
    const fields = record(resource);
    const attributes = {} as ResourceAttributes;
    for (const field of RESOURCE_FIELDS) {
      attributes[field] = stringField(
        kind,
        'ResourceAttributes',
        `spec.resourceAttributes.${field}`,
        fields[field],
      );
    }
    if (fields['fieldSelector'] !== undefined && fields['fieldSelector'] !== null) {
      attributes.fieldSelector = fields['fieldSelector'];
    }
    if (fields['labelSelector'] !== undefined && fields['labelSelector'] !== null) {
      attributes.labelSelector = fields['labelSelector'];
    }
    out.resourceAttributes = attributes;
  }
  const nonResource = spec['nonResourceAttributes'];
  if (nonResource !== undefined && nonResource !== null) {
    const fields = record(nonResource);
    out.nonResourceAttributes = {
      path: stringField(kind, 'NonResourceAttributes', 'spec.nonResourceAttributes.path', fields['path']),
      verb: stringField(kind, 'NonResourceAttributes', 'spec.nonResourceAttributes.verb', fields['verb']),
    };
  }
  return out;
}

function omitEmpty(entries: [string, unknown][]): Json {
  return Object.fromEntries(
    entries.filter(([, value]) => {
      if (value === undefined || value === '') return false;
      if (Array.isArray(value)) return value.length > 0;
      if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
      return true;
    }),
  );
}

function echoResourceAttributes(attributes: ResourceAttributes): Json {
  return omitEmpty([
    ...RESOURCE_FIELDS.map((field): [string, unknown] => [field, attributes[field]]),
    ['fieldSelector', attributes.fieldSelector],
    ['labelSelector', attributes.labelSelector],
  ]);
}

function echoSpec(spec: ReviewSpec, self: boolean): Json {
  const out: Json = {};
  if (spec.resourceAttributes) out['resourceAttributes'] = echoResourceAttributes(spec.resourceAttributes);
  if (spec.nonResourceAttributes)
    out['nonResourceAttributes'] = omitEmpty(Object.entries(spec.nonResourceAttributes));
  if (self) return out;
  return {
    ...out,
    ...omitEmpty([
      ['user', spec.user],
      ['groups', spec.groups],
      ['extra', spec.extra],
      ['uid', spec.uid],
    ]),
  };
}

// ---------- validation (pkg/apis/authorization/validation) ----------

function goStruct(type: string, fields: [string, string][]): string {
  return `${type}{${fields.map(([name, value]) => `${name}:${goQuote(value)}`).join(', ')}}`;
}

function nonResourceValue(attributes: NonResourceAttributes): ReturnType<typeof verbatim> {
  return verbatim(
    goStruct('authorization.NonResourceAttributes', [
      ['Path', attributes.path],
      ['Verb', attributes.verb],
    ]),
  );
}

function goStringMap(value: unknown): string {
  const entries = Object.entries(record(value))
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return 'map[string]string(nil)';
  return `map[string]string{${entries.map(([k, v]) => `${goQuote(k)}:${goQuote(v)}`).join(', ')}}`;
}

/** Go's %#v of the metav1.ObjectMeta kube prints when review metadata is not empty (common fields only). */
function goObjectMeta(metadata: Json): ReturnType<typeof verbatim> {
  const text = (field: string): string => {
    const value = metadata[field];
    return typeof value === 'string' ? value : '';
  };
  const finalizers = Array.isArray(metadata['finalizers'])
    ? `[]string{${(metadata['finalizers'] as unknown[]).map((item) => goQuote(String(item))).join(', ')}}`
    : '[]string(nil)';
  const generation = typeof metadata['generation'] === 'number' ? String(metadata['generation']) : '0';
  return verbatim(
    `v1.ObjectMeta{Name:${goQuote(text('name'))}, GenerateName:${goQuote(text('generateName'))}, ` +
      `Namespace:${goQuote(text('namespace'))}, SelfLink:${goQuote(text('selfLink'))}, UID:${goQuote(text('uid'))}, ` +
      `ResourceVersion:${goQuote(text('resourceVersion'))}, Generation:${generation}, ` +
      'CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), DeletionTimestamp:<nil>, ' +
      `DeletionGracePeriodSeconds:(*int64)(nil), Labels:${goStringMap(metadata['labels'])}, ` +
      `Annotations:${goStringMap(metadata['annotations'])}, OwnerReferences:[]v1.OwnerReference(nil), ` +
      `Finalizers:${finalizers}, ManagedFields:[]v1.ManagedFieldsEntry(nil)}`,
  );
}

function specCauses(spec: ReviewSpec, withUser: boolean): Cause[] {
  const causes: Cause[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    causes.push(
      invalidValue(
        'spec.nonResourceAttributes',
        nonResourceValue(spec.nonResourceAttributes),
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    causes.push(
      invalidValue(
        'spec.resourceAttributes',
        verbatim('"null"'),
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  }
  if (withUser && spec.user === '' && spec.groups.length === 0) {
    causes.push(invalidValue('spec.user', '', 'at least one of user or group must be specified'));
  }
  return causes;
}

/** Metadata other than managedFields (and, where allowed, namespace) makes a review invalid. */
function metadataCause(metadata: Json, allowNamespace: boolean, detail: string): Cause | undefined {
  const extra = Object.entries(metadata).filter(([key, value]) => {
    if (key === 'managedFields' || (allowNamespace && key === 'namespace')) return false;
    if (key === 'creationTimestamp' && value === null) return false;
    if (value === null || value === undefined || value === '' || value === 0) return false;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === 'object') return Object.keys(value).length > 0;
    return true;
  });
  return extra.length > 0 ? invalidValue('metadata', goObjectMeta(metadata), detail) : undefined;
}

function throwIfInvalid(kind: string, causes: (Cause | undefined)[]): void {
  const found = causes.filter((cause): cause is Cause => cause !== undefined);
  if (found.length > 0) throw invalid(kind, GROUP, '', found);
}

// ---------- deciding ----------

/** The authorizer attributes of a review spec, for `user` (authorizationutil.ResourceAttributesFrom and friends). */
function reviewAttributes(spec: ReviewSpec, user: UserInfo): RequestAttributes {
  if (spec.resourceAttributes) {
    const attributes = spec.resourceAttributes;
    return {
      user,
      verb: attributes.verb,
      resourceRequest: true,
      namespace: attributes.namespace,
      apiGroup: attributes.group,
      apiVersion: attributes.version === '' ? '*' : attributes.version,
      resource: attributes.resource,
      subresource: attributes.subresource,
      name: attributes.name,
    };
  }
  const attributes = spec.nonResourceAttributes ?? { path: '', verb: '' };
  return { user, verb: attributes.verb, resourceRequest: false, path: attributes.path };
}

/** status of an access review: `allowed` always, `denied` never (RBAC has no deny), `reason` when there is one. */
export function accessReviewStatus(attributes: RequestAttributes, index: RbacIndex): Json {
  const decision = authorize(attributes, index);
  return decision.reason === ''
    ? { allowed: decision.allowed }
    : { allowed: decision.allowed, reason: decision.reason };
}

function response(kind: string, metadata: Json, spec: Json, status: Json): Json {
  return { kind, apiVersion: API_VERSION, metadata: { ...metadata, creationTimestamp: null }, spec, status };
}

function userFromSpec(spec: ReviewSpec): UserInfo {
  return {
    username: spec.user,
    groups: spec.groups,
    ...(spec.uid === '' ? {} : { uid: spec.uid }),
    ...(Object.keys(spec.extra).length === 0 ? {} : { extra: spec.extra }),
  };
}

/** POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews, for the requesting `user`. */
export function selfSubjectAccessReview(body: unknown, user: UserInfo, index: RbacIndex): Json {
  const kind = 'SelfSubjectAccessReview';
  const spec = readSpec(kind, body, true);
  const metadata = record(record(body)['metadata']);
  throwIfInvalid(kind, [...specCauses(spec, false), metadataCause(metadata, false, 'must be empty')]);
  return response(kind, {}, echoSpec(spec, true), accessReviewStatus(reviewAttributes(spec, user), index));
}

/** POST /apis/authorization.k8s.io/v1/subjectaccessreviews: the user is the spec's (no groups are added). */
export function subjectAccessReview(body: unknown, index: RbacIndex): Json {
  const kind = 'SubjectAccessReview';
  const spec = readSpec(kind, body, false);
  const metadata = record(record(body)['metadata']);
  throwIfInvalid(kind, [...specCauses(spec, true), metadataCause(metadata, false, 'must be empty')]);
  const attributes = reviewAttributes(spec, userFromSpec(spec));
  return response(kind, {}, echoSpec(spec, false), accessReviewStatus(attributes, index));
}

/** POST /apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews. */
export function localSubjectAccessReview(body: unknown, namespace: string, index: RbacIndex): Json {
  const kind = 'LocalSubjectAccessReview';
  const spec = readSpec(kind, body, false);
  const metadata = record(record(body)['metadata']);
  const objectNamespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  if (objectNamespace !== '' && objectNamespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  throwIfInvalid(kind, [
    ...specCauses(spec, true),
    metadataCause(metadata, true, 'must be empty except for namespace'),
    spec.nonResourceAttributes
      ? invalidValue(
          'spec.nonResourceAttributes',
          nonResourceValue(spec.nonResourceAttributes),
          'disallowed on this kind of request',
        )
      : undefined,
  ]);
  if (namespace === '') throw badRequest('namespace is required on this type: ');
  const attributes = reviewAttributes(spec, userFromSpec(spec));
  return response(kind, { namespace }, echoSpec(spec, false), accessReviewStatus(attributes, index));
}

// ---------- rules reviews ----------

/** What RBAC lets the user do in `namespace`: every applicable rule, split into resource and non-resource rules. */
export function subjectRulesReviewStatus(user: UserInfo, namespace: string, index: RbacIndex): Json {
  const { rules, errors } = rulesFor(user, namespace, index);
  const resourceRules: Json[] = [];
  const nonResourceRules: Json[] = [];
  for (const { rule } of rules) {
    if (rule.resources.length > 0) resourceRules.push(resourceRule(rule));
    if (rule.nonResourceURLs.length > 0) {
      nonResourceRules.push({ verbs: [...rule.verbs], nonResourceURLs: [...rule.nonResourceURLs] });
    }
  }
  const status: Json = { resourceRules, nonResourceRules, incomplete: false };
  if (errors.length > 0)
    status['evaluationError'] = aggregateErrorText(errors.map((error) => roleRefErrorText(error)));
  return status;
}

function resourceRule(rule: NormalRule): Json {
  return {
    verbs: [...rule.verbs],
    ...omitEmpty([
      ['apiGroups', [...rule.apiGroups]],
      ['resources', [...rule.resources]],
      ['resourceNames', [...rule.resourceNames]],
    ]),
  };
}

/** POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews, for the requesting `user`. */
export function selfSubjectRulesReview(body: unknown, user: UserInfo, index: RbacIndex): Json {
  const kind = 'SelfSubjectRulesReview';
  const namespace = stringField(
    kind,
    'SelfSubjectRulesReviewSpec',
    'spec.namespace',
    record(record(body)['spec'])['namespace'],
  );
  if (namespace === '') throw badRequest('no namespace on request');
  // kube answers with a new object: the spec is not echoed.
  return response(kind, {}, {}, subjectRulesReviewStatus(user, namespace, index));
}
