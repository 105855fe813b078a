/**
 * Create and update validation of objects as kube-apiserver 1.32 does it: apimachinery's name, key and ObjectMeta
 * rules, pkg/apis/core's Secret, ConfigMap and Namespace rules, the unknown-field check behind `fieldValidation`, and
 * the write-time changes kube makes to Secrets (stringData folded into data). Functions return causes for status.ts
 * `invalid()`; messages match kube's text because kubectl prints them verbatim. Pure; no I/O.
 *
 * CustomResourceDefinitions are validated by crd.ts, the schema part of custom resources by schema.ts.
 */
import { Buffer } from 'node:buffer';
import { isObject, objectAt, stringAt, type JsonObject } from './json-access.ts';
import { OBJECT_META_ORDER } from '../kube/objects.ts';

import {
  type Cause,
  child,
  dedupeCauses,
  duplicate,
  forbidden,
  goQuote,
  goStringSlice,
  index,
  invalidValue,
  key,
  notSupported,
  required,
  tooLong,
  tooMany,
  verbatim,
} from './field-errors.ts';
import { isLinkLocalMulticast, isLinkLocalUnicast, isUnspecified, parseIp } from './ip.ts';
import type { ResourceInfo } from './resources.ts';
import { ApiError, badRequest } from './status.ts';

/** core.MaxSecretSize, also the ConfigMap limit. */
export const MAX_SECRET_SIZE = 1024 * 1024;
/** apimachinery TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
export const FIELD_IMMUTABLE = 'field is immutable';
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

/** Go's len() of a string: its UTF-8 byte count. */
function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// ---------- names and keys (k8s.io/apimachinery/pkg/util/validation) ----------

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';

const DNS1123_LABEL = anchored(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN = anchored(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL = anchored(DNS1035_LABEL_FMT);
const QUALIFIED_NAME = anchored(QUALIFIED_NAME_FMT);
const LABEL_VALUE = anchored(LABEL_VALUE_FMT);
const CONFIG_MAP_KEY = anchored(CONFIG_MAP_KEY_FMT);

const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function anchored(format: string): RegExp {
  return new RegExp(`^${format}$`);
}

/** apimachinery RegexError: the message, the examples, then the regex (note the double space kube prints). */
function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  return `${message} (e.g. ${examples.map((example) => `'${example}', `).join(' or ')}regex used for validation is '${format}')`;
}

function maxLengthError(length: number): string {
  return `must be no more than ${length} characters`;
}

const EMPTY_ERROR = 'must be non-empty';

export function isDns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 63) errors.push(maxLengthError(63));
  if (!DNS1123_LABEL.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  }
  return errors;
}

export function isDns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 253) errors.push(maxLengthError(253));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errors;
}

export function isDns1035Label(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 63) errors.push(maxLengthError(63));
  if (!DNS1035_LABEL.test(value)) {
    errors.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errors;
}

/** Label keys, annotation keys and finalizers: an optional DNS-subdomain prefix and `/`, then a 63-byte name. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const errors: string[] = [];
  const name = parts.length === 2 ? (parts[1] ?? '') : value;
  if (parts.length === 2) errors.push(...prefixErrors(parts[0] ?? ''));
  if (name === '') errors.push(`name part ${EMPTY_ERROR}`);
  else if (byteLength(name) > 63) errors.push(`name part ${maxLengthError(63)}`);
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(
      `name part ${regexError(QUALIFIED_NAME_MESSAGE, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errors;
}

function prefixErrors(prefix: string): string[] {
  if (prefix === '') return [`prefix part ${EMPTY_ERROR}`];
  return isDns1123Subdomain(prefix).map((message) => `prefix part ${message}`);
}

export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 63) errors.push(maxLengthError(63));
  if (!LABEL_VALUE.test(value)) {
    errors.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errors;
}

/** Keys of Secret data and ConfigMap data/binaryData. */
export function isConfigMapKey(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 253) errors.push(maxLengthError(253));
  if (!CONFIG_MAP_KEY.test(value)) {
    errors.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_MAP_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** RBAC object names end up as one URL path segment. */
export function isValidPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  return pathSegmentPrefixErrors(value);
}

function pathSegmentPrefixErrors(value: string): string[] {
  return ['/', '%']
    .filter((illegal) => value.includes(illegal))
    .map((illegal) => `may not contain '${illegal}'`);
}

/** How a kind's metadata.name is validated. */
export type NameRule = 'dns-subdomain' | 'dns-label' | 'dns1035-label' | 'path-segment';

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

export function nameRuleFor(info: Pick<ResourceInfo, 'group' | 'kind'>): NameRule {
  if (info.group === '' && info.kind === 'Namespace') return 'dns-label';
  if (info.group === '' && info.kind === 'Service') return 'dns1035-label';
  if (info.group === 'rbac.authorization.k8s.io' && RBAC_KINDS.has(info.kind)) return 'path-segment';
  return 'dns-subdomain';
}

/**
 * The messages for a name (or, with `isPrefix`, a generateName). For prefixes kube masks a trailing dash, because
 * random characters will follow it.
 */
export function nameErrors(rule: NameRule, name: string, isPrefix = false): string[] {
  if (rule === 'path-segment') return isPrefix ? pathSegmentPrefixErrors(name) : isValidPathSegmentName(name);
  const value = isPrefix ? maskTrailingDash(name) : name;
  if (rule === 'dns-label') return isDns1123Label(value);
  if (rule === 'dns1035-label') return isDns1035Label(value);
  return isDns1123Subdomain(value);
}

// apimachinery's maskTrailingDash replaces the last two characters, not one; kept as is.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

// ---------- generateName ----------

/** utilrand's alphabet: no vowels (no accidental words) and no look-alikes (0/o, 1/l, 3/e). */
export const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATED_NAME_LENGTH = 63 - GENERATED_SUFFIX_LENGTH;

/** Five random characters; `pick(n)` returns an integer in [0, n) (pass crypto.randomInt in the server). */
export function randomNameSuffix(pick: (n: number) => number = (n) => Math.floor(Math.random() * n)): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++)
    suffix += GENERATED_NAME_ALPHABET[pick(GENERATED_NAME_ALPHABET.length)];
  return suffix;
}

/** kube's SimpleNameGenerator: the prefix cut to 58 bytes so the name fits a 63-character label, then the suffix. */
export function generateNameFrom(prefix: string, randomSuffix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  const base =
    bytes.length > MAX_GENERATED_NAME_LENGTH
      ? bytes.subarray(0, MAX_GENERATED_NAME_LENGTH).toString('utf8')
      : prefix;
  return base + randomSuffix;
}

// ---------- ObjectMeta ----------

export interface MetaRules {
  namespaced: boolean;
  /** A kind's rule, or a function for kinds with extra name rules (CRDs). */
  nameRule: NameRule | NameValidator;
  /** pkg/apis/core's extra finalizer check (standard name or domain-qualified), used by built-in kinds. */
  kubeFinalizers: boolean;
}

export function metaRulesFor(info: Pick<ResourceInfo, 'group' | 'kind' | 'namespaced' | 'crd'>): MetaRules {
  // CRDs, custom resources and webhook configurations use apimachinery's generic ObjectMeta validation only.
  const generic =
    info.crd !== undefined ||
    info.group === 'apiextensions.k8s.io' ||
    info.group === 'admissionregistration.k8s.io';
  return { namespaced: info.namespaced, nameRule: nameRuleFor(info), kubeFinalizers: !generic };
}

/**
 * apimachinery ValidateObjectMeta. Expects the server to have generated the name from generateName already and, for
 * cluster-scoped kinds, to have cleared metadata.namespace (kube's BeforeCreate does both).
 */
export function validateObjectMeta(meta: unknown, rules: MetaRules, path = 'metadata'): Cause[] {
  const m = isObject(meta) ? meta : {};
  return [
    ...validateNames(m, rules.nameRule, path),
    ...validateNamespaceField(m, rules, path),
    ...validateGeneration(m, path),
    ...validateLabels(m['labels'], child(path, 'labels')),
    ...validateAnnotations(m['annotations'], child(path, 'annotations')),
    ...validateOwnerReferences(m['ownerReferences'], child(path, 'ownerReferences')),
    ...validateFinalizers(m['finalizers'], child(path, 'finalizers')),
    ...(rules.kubeFinalizers ? validateKubeFinalizers(m['finalizers'], child(path, 'finalizers')) : []),
  ];
}

/** A name function of kube's shape: messages for a name, or for a generateName when `isPrefix`. */
export type NameValidator = (name: string, isPrefix: boolean) => string[];

export function validateNames(meta: JsonObject, rule: NameRule | NameValidator, path = 'metadata'): Cause[] {
  const check: NameValidator =
    typeof rule === 'function' ? rule : (name, isPrefix) => nameErrors(rule, name, isPrefix);
  const causes: Cause[] = [];
  const generateName = stringAt(meta, 'generateName');
  const name = stringAt(meta, 'name');
  if (generateName !== '') {
    for (const message of check(generateName, true))
      causes.push(invalidValue(child(path, 'generateName'), generateName, message));
  }
  if (name === '') causes.push(required(child(path, 'name'), 'name or generateName is required'));
  else
    for (const message of check(name, false)) causes.push(invalidValue(child(path, 'name'), name, message));
  return causes;
}

function validateNamespaceField(meta: JsonObject, rules: MetaRules, path: string): Cause[] {
  const namespace = stringAt(meta, 'namespace');
  const field = child(path, 'namespace');
  if (!rules.namespaced) return namespace === '' ? [] : [forbidden(field, 'not allowed on this type')];
  if (namespace === '') return [required(field)];
  return isDns1123Label(namespace).map((message) => invalidValue(field, namespace, message));
}

function validateGeneration(meta: JsonObject, path: string): Cause[] {
  const generation = meta['generation'];
  if (typeof generation !== 'number' || generation >= 0) return [];
  return [invalidValue(child(path, 'generation'), generation, 'must be greater than or equal to 0')];
}

function stringEntries(value: unknown): [string, string][] {
  if (!isObject(value)) return [];
  return Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : '']);
}

export function validateLabels(labels: unknown, path: string): Cause[] {
  const causes: Cause[] = [];
  for (const [labelKey, labelValue] of stringEntries(labels)) {
    for (const message of isQualifiedName(labelKey)) causes.push(invalidValue(path, labelKey, message));
    for (const message of isValidLabelValue(labelValue)) causes.push(invalidValue(path, labelValue, message));
  }
  return causes;
}

export function validateAnnotations(annotations: unknown, path: string): Cause[] {
  const causes: Cause[] = [];
  let size = 0;
  for (const [annotationKey, annotationValue] of stringEntries(annotations)) {
    // Annotation keys are qualified names compared case-insensitively.
    for (const message of isQualifiedName(annotationKey.toLowerCase()))
      causes.push(invalidValue(path, annotationKey, message));
    size += byteLength(annotationKey) + byteLength(annotationValue);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

/** schema.ParseGroupVersion's version part; undefined when the string is not a group/version at all. */
function versionOf(apiVersion: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length === 1) return apiVersion;
  return parts.length === 2 ? parts[1] : undefined;
}

function validateOwnerReferences(value: unknown, path: string): Cause[] {
  if (!Array.isArray(value)) return [];
  const references = value.map((item) => (isObject(item) ? item : {}));
  const causes = references.flatMap((reference) => validateOwnerReference(reference, path));
  const controllers = references.filter((reference) => reference['controller'] === true);
  const [first, second] = controllers;
  if (first && second) {
    const names = [first, second].map((ref) => `${stringAt(ref, 'kind')}/${stringAt(ref, 'name')}`);
    causes.push(
      invalidValue(
        path,
        verbatim(goOwnerReferences(references)),
        `Only one reference can have Controller set to true. Found "true" in references for ${names[0]} and ${names[1]}`,
      ),
    );
  }
  return causes;
}

function validateOwnerReference(reference: JsonObject, path: string): Cause[] {
  const causes: Cause[] = [];
  const apiVersion = stringAt(reference, 'apiVersion');
  const kind = stringAt(reference, 'kind');
  const version = versionOf(apiVersion) ?? '';
  if (version === '')
    causes.push(invalidValue(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
  if (kind === '') causes.push(invalidValue(child(path, 'kind'), kind, 'kind must not be empty'));
  if (stringAt(reference, 'name') === '')
    causes.push(invalidValue(child(path, 'name'), '', 'name must not be empty'));
  if (stringAt(reference, 'uid') === '')
    causes.push(invalidValue(child(path, 'uid'), '', 'uid must not be empty'));
  if (apiVersion === 'v1' && kind === 'Event') {
    causes.push(
      invalidValue(
        path,
        verbatim(goOwnerReference(reference)),
        '/v1, Kind=Event is disallowed from being an owner',
      ),
    );
  }
  return causes;
}

// %#v of metav1.OwnerReference; pointer fields print as addresses in kube, so a set pointer shows a placeholder.
function goOwnerReference(reference: JsonObject): string {
  const pointer = (value: unknown): string =>
    typeof value === 'boolean' ? '(*bool)(0xc000000000)' : '(*bool)(nil)';
  return (
    `v1.OwnerReference{APIVersion:${goQuote(stringAt(reference, 'apiVersion'))}, Kind:${goQuote(stringAt(reference, 'kind'))}, ` +
    `Name:${goQuote(stringAt(reference, 'name'))}, UID:${goQuote(stringAt(reference, 'uid'))}, ` +
    `Controller:${pointer(reference['controller'])}, BlockOwnerDeletion:${pointer(reference['blockOwnerDeletion'])}}`
  );
}

function goOwnerReferences(references: JsonObject[]): string {
  return `[]v1.OwnerReference{${references.map(goOwnerReference).join(', ')}}`;
}

function finalizerList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : '')) : [];
}

const ORPHAN_FINALIZER = 'orphan';
const FOREGROUND_FINALIZER = 'foregroundDeletion';
const STANDARD_FINALIZERS = new Set(['kubernetes', ORPHAN_FINALIZER, FOREGROUND_FINALIZER]);

/** apimachinery ValidateFinalizers: every entry reported against the list itself (no index). */
function validateFinalizers(value: unknown, path: string): Cause[] {
  const finalizers = finalizerList(value);
  const causes = finalizers.flatMap((finalizer) =>
    isQualifiedName(finalizer).map((message) => invalidValue(path, finalizer, message)),
  );
  if (finalizers.includes(ORPHAN_FINALIZER) && finalizers.includes(FOREGROUND_FINALIZER)) {
    causes.push(
      invalidValue(
        path,
        verbatim(goStringSlice(finalizers)),
        `finalizer ${ORPHAN_FINALIZER} and ${FOREGROUND_FINALIZER} cannot be both set`,
      ),
    );
  }
  return causes;
}

/** pkg/apis/core validateKubeFinalizerName: indexed, and a name without `/` must be a standard finalizer. */
function validateKubeFinalizers(value: unknown, path: string): Cause[] {
  return finalizerList(value).flatMap((finalizer, i) => kubeFinalizerCauses(finalizer, index(path, i)));
}

function kubeFinalizerCauses(finalizer: string, field: string): Cause[] {
  const causes = isQualifiedName(finalizer).map((message) => invalidValue(field, finalizer, message));
  if (!finalizer.includes('/') && !STANDARD_FINALIZERS.has(finalizer)) {
    causes.push(
      invalidValue(field, finalizer, 'name is neither a standard finalizer name nor is it fully qualified'),
    );
  }
  return causes;
}

/**
 * apimachinery ValidateObjectMetaUpdate. Assumes the server has already carried over what kube's BeforeUpdate
 * restores (creationTimestamp, deletionTimestamp, a missing uid, the generation, the resourceVersion of an
 * unconditional update), so those are not re-checked here.
 */
export function validateObjectMetaUpdate(meta: unknown, oldMeta: unknown, rules: MetaRules): Cause[] {
  const m = isObject(meta) ? meta : {};
  const old = isObject(oldMeta) ? oldMeta : {};
  return [
    ...validateNoNewFinalizers(m, old),
    ...validateGenerationNotDecremented(m, old),
    ...immutable('metadata.name', stringAt(m, 'name'), stringAt(old, 'name')),
    ...immutable('metadata.namespace', stringAt(m, 'namespace'), stringAt(old, 'namespace')),
    ...immutable('metadata.uid', stringAt(m, 'uid'), stringAt(old, 'uid')),
    ...immutableGracePeriod(m, old),
    ...validateLabels(m['labels'], 'metadata.labels'),
    ...validateAnnotations(m['annotations'], 'metadata.annotations'),
    ...validateOwnerReferences(m['ownerReferences'], 'metadata.ownerReferences'),
    ...(rules.kubeFinalizers ? validateKubeFinalizers(m['finalizers'], 'metadata.finalizers') : []),
  ];
}

function immutable(field: string, value: string, oldValue: string): Cause[] {
  return value === oldValue ? [] : [invalidValue(field, value, FIELD_IMMUTABLE)];
}

function validateNoNewFinalizers(meta: JsonObject, old: JsonObject): Cause[] {
  if (!old['deletionTimestamp']) return [];
  const before = new Set(finalizerList(old['finalizers']));
  const added = [
    ...new Set(finalizerList(meta['finalizers']).filter((finalizer) => !before.has(finalizer))),
  ].sort();
  if (added.length === 0) return [];
  return [
    forbidden(
      'metadata.finalizers',
      `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`,
    ),
  ];
}

function validateGenerationNotDecremented(meta: JsonObject, old: JsonObject): Cause[] {
  const generation = typeof meta['generation'] === 'number' ? meta['generation'] : 0;
  const oldGeneration = typeof old['generation'] === 'number' ? old['generation'] : 0;
  return generation < oldGeneration
    ? [invalidValue('metadata.generation', generation, 'must not be decremented')]
    : [];
}

function immutableGracePeriod(meta: JsonObject, old: JsonObject): Cause[] {
  const value = meta['deletionGracePeriodSeconds'] ?? null;
  const oldValue = old['deletionGracePeriodSeconds'] ?? null;
  return value === oldValue
    ? []
    : [invalidValue('metadata.deletionGracePeriodSeconds', value, FIELD_IMMUTABLE)];
}

// ---------- Secret ----------

export const SECRET_TYPES = {
  opaque: 'Opaque',
  serviceAccountToken: 'kubernetes.io/service-account-token',
  dockercfg: 'kubernetes.io/dockercfg',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
  tls: 'kubernetes.io/tls',
} as const;

const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

/** Decoded bytes of a base64 value (decode errors are decodeProblem()'s business). */
function decodedBytes(value: unknown): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
}

/** pkg/apis/core ValidateSecret without the ObjectMeta part: keys, total size, per-type required keys. */
export function validateSecretFields(secret: JsonObject): Cause[] {
  const data = objectAt(secret, 'data') ?? {};
  const causes: Cause[] = [];
  let size = 0;
  for (const [dataKey, value] of Object.entries(data)) {
    for (const message of isConfigMapKey(dataKey))
      causes.push(invalidValue(key('data', dataKey), dataKey, message));
    size += decodedBytes(value).length;
  }
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('data', MAX_SECRET_SIZE));
  return [...causes, ...validateSecretType(secret, data)];
}

function validateSecretType(secret: JsonObject, data: JsonObject): Cause[] {
  const has = (dataKey: string): boolean => Object.hasOwn(data, dataKey);
  switch (stringAt(secret, 'type')) {
    case SECRET_TYPES.serviceAccountToken: {
      const annotations = objectAt(objectAt(secret, 'metadata') ?? {}, 'annotations');
      if (stringAt(annotations, SERVICE_ACCOUNT_NAME_ANNOTATION) !== '') return [];
      return [required(key('metadata.annotations', SERVICE_ACCOUNT_NAME_ANNOTATION))];
    }
    case SECRET_TYPES.dockercfg:
      return validateDockerConfig(data, '.dockercfg');
    case SECRET_TYPES.dockerConfigJson:
      return validateDockerConfig(data, '.dockerconfigjson');
    case SECRET_TYPES.basicAuth:
      // Either key may be empty, but at least one must be present.
      if (has('username') || has('password')) return [];
      return [required(key('data', 'username')), required(key('data', 'password'))];
    case SECRET_TYPES.sshAuth:
      return decodedBytes(data['ssh-privatekey']).length === 0
        ? [required(key('data', 'ssh-privatekey'))]
        : [];
    case SECRET_TYPES.tls:
      return ['tls.crt', 'tls.key']
        .filter((dataKey) => !has(dataKey))
        .map((dataKey) => required(key('data', dataKey)));
    default:
      return [];
  }
}

function validateDockerConfig(data: JsonObject, dataKey: string): Cause[] {
  const field = key('data', dataKey);
  if (!Object.hasOwn(data, dataKey)) return [required(field)];
  const problem = goJsonMapError(decodedBytes(data[dataKey]).toString('utf8'));
  // kube never echoes the secret value in the error.
  return problem === undefined ? [] : [invalidValue(field, '<secret contents redacted>', problem)];
}

/**
 * Go's json.Unmarshal into map[string]interface{} as an error string, or undefined when it would succeed. Syntax
 * errors are approximated: Go reports the offending character, JavaScript's parser words it differently.
 */
export function goJsonMapError(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return goJsonSyntaxError(text);
  }
  if (parsed === null || isObject(parsed)) return undefined;
  const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'boolean' ? 'bool' : typeof parsed;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

function goJsonSyntaxError(text: string): string {
  const trimmed = text.trimStart();
  const first = trimmed[0];
  if (first === undefined) return 'unexpected end of JSON input';
  if (!'{["-0123456789tfn'.includes(first))
    return `invalid character ${goQuoteChar(first)} looking for beginning of value`;
  return 'unexpected end of JSON input';
}

function goQuoteChar(char: string): string {
  if (char === "'") return `'\\''`;
  if (char === '"') return `'"'`;
  return `'${goQuote(char).slice(1, -1)}'`;
}

export function validateSecretUpdate(secret: JsonObject, old: JsonObject): Cause[] {
  const causes: Cause[] = [];
  const type = stringAt(secret, 'type');
  if (type !== stringAt(old, 'type')) causes.push(invalidValue('type', type, FIELD_IMMUTABLE));
  if (old['immutable'] === true) {
    if (secret['immutable'] !== true) causes.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!sameBinaryMap(objectAt(secret, 'data'), objectAt(old, 'data')))
      causes.push(forbidden('data', IMMUTABLE_WHEN_SET));
  }
  return causes;
}

// An absent map and an empty one are the same here (kube stores both as nil).
function sameBinaryMap(a: JsonObject | undefined, b: JsonObject | undefined): boolean {
  const left = Object.entries(a ?? {});
  const right = b ?? {};
  if (left.length !== Object.keys(right).length) return false;
  return left.every(([k, v]) => Object.hasOwn(right, k) && decodedBytes(v).equals(decodedBytes(right[k])));
}

function sameStringMap(a: JsonObject | undefined, b: JsonObject | undefined): boolean {
  const left = Object.entries(a ?? {});
  const right = b ?? {};
  return (
    left.length === Object.keys(right).length &&
    left.every(([k, v]) => Object.hasOwn(right, k) && right[k] === v)
  );
}

/**
 * What kube does to a Secret on write: stringData entries (UTF-8 text) replace data entries of the same key, and
 * stringData itself is never stored. Data keys come out sorted, as kube serializes maps. Returns a new object.
 */
export function foldStringData<T extends JsonObject>(secret: T): T {
  const { stringData, ...rest } = secret;
  if (!isObject(stringData)) return secret;
  const data: JsonObject = { ...(objectAt(secret, 'data') ?? {}) };
  for (const [dataKey, value] of Object.entries(stringData)) {
    data[dataKey] = Buffer.from(typeof value === 'string' ? value : '', 'utf8').toString('base64');
  }
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { ...rest, data: sorted } as unknown as T;
}

/** SetDefaults_Secret: an empty type means Opaque. Returns a new object. */
export function applySecretDefaults<T extends JsonObject>(secret: T): T {
  return stringAt(secret, 'type') === '' ? { ...secret, type: SECRET_TYPES.opaque } : secret;
}

// ---------- ConfigMap ----------

export function validateConfigMapFields(configMap: JsonObject): Cause[] {
  const data = objectAt(configMap, 'data') ?? {};
  const binaryData = objectAt(configMap, 'binaryData') ?? {};
  const causes: Cause[] = [];
  let size = 0;
  for (const [dataKey, value] of Object.entries(data)) {
    const field = key('data', dataKey);
    for (const message of isConfigMapKey(dataKey)) causes.push(invalidValue(field, dataKey, message));
    if (Object.hasOwn(binaryData, dataKey))
      causes.push(invalidValue(field, dataKey, 'duplicate of key present in binaryData'));
    size += typeof value === 'string' ? byteLength(value) : 0;
  }
  for (const [dataKey, value] of Object.entries(binaryData)) {
    const field = key('binaryData', dataKey);
    for (const message of isConfigMapKey(dataKey)) causes.push(invalidValue(field, dataKey, message));
    if (Object.hasOwn(data, dataKey))
      causes.push(invalidValue(field, dataKey, 'duplicate of key present in data'));
    size += decodedBytes(value).length;
  }
  // kube reports the size against the whole object, whose path prints as `[]`.
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('[]', MAX_SECRET_SIZE));
  return causes;
}

export function validateConfigMapUpdate(configMap: JsonObject, old: JsonObject): Cause[] {
  if (old['immutable'] !== true) return [];
  const causes: Cause[] = [];
  if (configMap['immutable'] !== true) causes.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
  if (!sameStringMap(objectAt(configMap, 'data'), objectAt(old, 'data')))
    causes.push(forbidden('data', IMMUTABLE_WHEN_SET));
  if (!sameBinaryMap(objectAt(configMap, 'binaryData'), objectAt(old, 'binaryData'))) {
    causes.push(forbidden('binaryData', IMMUTABLE_WHEN_SET));
  }
  return causes;
}

// ---------- Namespace, CronJob ----------

/** spec.finalizers of a Namespace: kube finalizer names, reported against the list. */
export function validateNamespaceFields(namespace: JsonObject): Cause[] {
  const finalizers = finalizerList(objectAt(namespace, 'spec')?.['finalizers']);
  return finalizers.flatMap((finalizer) => kubeFinalizerCauses(finalizer, 'spec.finalizers'));
}

/** The CronJob controller appends 11 characters to job names, which must stay within 63. */
const MAX_CRONJOB_NAME_LENGTH = 52;

function validateCronJobName(cronJob: JsonObject): Cause[] {
  const name = stringAt(objectAt(cronJob, 'metadata'), 'name');
  if (byteLength(name) <= MAX_CRONJOB_NAME_LENGTH) return [];
  return [invalidValue('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`)];
}

// ---------- Endpoints, EndpointSlice ----------

const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function records(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.map((item) => (isObject(item) ? item : {})) : [];
}

function labelCauses(field: string, value: string): Cause[] {
  return isDns1123Label(value).map((message) => invalidValue(field, value, message));
}

/**
 * ValidateNonSpecialIP. kube-apiserver also refuses loopback addresses here ("may not be in the loopback range
 * (127.0.0.0/8, ::1/128)"); the local control plane accepts them, because the processes behind its Services
 * listen on 127.0.0.1 and register their own Endpoints (the service proxy forwards only to loopback).
 */
function nonSpecialIpCauses(field: string, address: string): Cause[] {
  const ip = parseIp(address);
  if (!ip) return [invalidValue(field, address, 'must be a valid IP address')];
  const causes: Cause[] = [];
  if (isUnspecified(ip)) causes.push(invalidValue(field, address, `may not be unspecified (${address})`));
  if (isLinkLocalUnicast(ip))
    causes.push(
      invalidValue(field, address, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'),
    );
  if (isLinkLocalMulticast(ip)) {
    causes.push(
      invalidValue(field, address, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'),
    );
  }
  return causes;
}

function nodeNameCauses(field: string, value: unknown): Cause[] {
  if (typeof value !== 'string') return [];
  return isDns1123Subdomain(value).map((message) => invalidValue(field, value, message));
}

function appProtocolCauses(field: string, value: unknown): Cause[] {
  if (typeof value !== 'string') return [];
  return isQualifiedName(value).map((message) => invalidValue(field, value, message));
}

/** pkg/apis/core validateEndpointSubsets (kube defaults a port's protocol to TCP first). */
export function validateEndpointsFields(endpoints: JsonObject): Cause[] {
  const causes: Cause[] = [];
  records(endpoints['subsets']).forEach((subset, i) => {
    const path = index('subsets', i);
    const addresses = records(subset['addresses']);
    const notReady = records(subset['notReadyAddresses']);
    if (addresses.length === 0 && notReady.length === 0)
      causes.push(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    for (const [list, name] of [
      [addresses, 'addresses'],
      [notReady, 'notReadyAddresses'],
    ] as const) {
      list.forEach((address, j) =>
        causes.push(...endpointAddressCauses(address, index(child(path, name), j))),
      );
    }
    const ports = records(subset['ports']);
    ports.forEach((port, j) =>
      causes.push(...endpointPortCauses(port, ports.length > 1, index(child(path, 'ports'), j))),
    );
  });
  return causes;
}

function endpointAddressCauses(address: JsonObject, path: string): Cause[] {
  const ip = stringAt(address, 'ip');
  const causes: Cause[] = [];
  if (!parseIp(ip))
    causes.push(
      invalidValue(child(path, 'ip'), ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
    );
  const hostname = stringAt(address, 'hostname');
  if (hostname !== '') causes.push(...labelCauses(child(path, 'hostname'), hostname));
  causes.push(...nodeNameCauses(child(path, 'nodeName'), address['nodeName']));
  causes.push(...nonSpecialIpCauses(child(path, 'ip'), ip));
  return causes;
}

function endpointPortCauses(port: JsonObject, requireName: boolean, path: string): Cause[] {
  const causes: Cause[] = [];
  const name = stringAt(port, 'name');
  if (requireName && name === '') causes.push(required(child(path, 'name')));
  else if (name !== '') causes.push(...labelCauses(child(path, 'name'), name));
  const number = typeof port['port'] === 'number' ? port['port'] : 0;
  if (!Number.isInteger(number) || number < 1 || number > 65535)
    causes.push(invalidValue(child(path, 'port'), number, 'must be between 1 and 65535, inclusive'));
  causes.push(...protocolCauses(child(path, 'protocol'), port['protocol']));
  causes.push(...appProtocolCauses(child(path, 'appProtocol'), port['appProtocol']));
  return causes;
}

function protocolCauses(field: string, protocol: unknown): Cause[] {
  if (typeof protocol !== 'string' || protocol === '') return [required(field)];
  return PORT_PROTOCOLS.includes(protocol) ? [] : [notSupported(field, protocol, PORT_PROTOCOLS)];
}

const MAX_SLICE_ENDPOINTS = 1000;
const MAX_ENDPOINT_ADDRESSES = 100;
const MAX_SLICE_PORTS = 20000;

/** pkg/apis/discovery ValidateEndpointSlice without ObjectMeta (the address type is checked on create only). */
export function validateEndpointSliceFields(slice: JsonObject, create: boolean): Cause[] {
  const causes: Cause[] = [];
  const addressType = stringAt(slice, 'addressType');
  const endpoints = records(slice['endpoints']);
  if (endpoints.length > MAX_SLICE_ENDPOINTS)
    causes.push(tooMany('endpoints', endpoints.length, MAX_SLICE_ENDPOINTS));
  else
    endpoints.forEach((endpoint, i) =>
      causes.push(...sliceEndpointCauses(endpoint, addressType, index('endpoints', i))),
    );
  const ports = records(slice['ports']);
  if (ports.length > MAX_SLICE_PORTS) causes.push(tooMany('ports', ports.length, MAX_SLICE_PORTS));
  else {
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const path = index('ports', i);
      const name = stringAt(port, 'name');
      if (name !== '') causes.push(...labelCauses(child(path, 'name'), name));
      if (names.has(name)) causes.push(duplicate(child(path, 'name'), name));
      names.add(name);
      causes.push(...protocolCauses(child(path, 'protocol'), port['protocol']));
      causes.push(...appProtocolCauses(child(path, 'appProtocol'), port['appProtocol']));
    });
  }
  if (create) {
    if (addressType === '') causes.push(required('addressType'));
    else if (!ADDRESS_TYPES.includes(addressType))
      causes.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  }
  return causes;
}

function sliceEndpointCauses(endpoint: JsonObject, addressType: string, path: string): Cause[] {
  const causes: Cause[] = [];
  const addressesPath = child(path, 'addresses');
  const addresses = Array.isArray(endpoint['addresses']) ? (endpoint['addresses'] as unknown[]) : [];
  if (addresses.length === 0) causes.push(required(addressesPath, 'must contain at least 1 address'));
  else if (addresses.length > MAX_ENDPOINT_ADDRESSES)
    causes.push(tooMany(addressesPath, addresses.length, MAX_ENDPOINT_ADDRESSES));
  addresses.forEach((value, i) => {
    const address = typeof value === 'string' ? value : '';
    const field = index(addressesPath, i);
    const ip = parseIp(address);
    if (addressType === 'IPv4' || addressType === 'IPv6') {
      const family = addressType === 'IPv4' ? 4 : 6;
      if (!ip || ip.family !== family)
        causes.push(invalidValue(field, address, `must be a valid ${addressType} address`));
      else causes.push(...nonSpecialIpCauses(field, address));
    } else if (addressType === 'FQDN') causes.push(...fqdnCauses(field, address));
  });
  causes.push(...nodeNameCauses(child(path, 'nodeName'), endpoint['nodeName']));
  if (typeof endpoint['hostname'] === 'string')
    causes.push(...labelCauses(child(path, 'hostname'), endpoint['hostname']));
  return causes;
}

/** validation.IsFullyQualifiedDomainName. */
function fqdnCauses(field: string, value: string): Cause[] {
  if (value === '') return [required(field)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const subdomain = isDns1123Subdomain(name);
  if (subdomain.length > 0) return [invalidValue(field, name, subdomain.join(','))];
  const labels = name.split('.');
  if (labels.length < 2)
    return [invalidValue(field, name, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errors = isDns1123Label(label);
    if (errors.length > 0) return [invalidValue(field, label, errors.join(','))];
  }
  return [];
}

// ---------- entry points ----------

function kindFields(info: Pick<ResourceInfo, 'group' | 'kind'>, object: JsonObject): Cause[] {
  if (info.group === '' && info.kind === 'Secret') return validateSecretFields(object);
  if (info.group === '' && info.kind === 'ConfigMap') return validateConfigMapFields(object);
  if (info.group === '' && info.kind === 'Namespace') return validateNamespaceFields(object);
  if (info.group === 'batch' && info.kind === 'CronJob') return validateCronJobName(object);
  if (info.group === '' && info.kind === 'Endpoints') return validateEndpointsFields(object);
  if (info.group === 'discovery.k8s.io' && info.kind === 'EndpointSlice')
    return validateEndpointSliceFields(object, true);
  return [];
}

function kindUpdate(
  info: Pick<ResourceInfo, 'group' | 'kind'>,
  object: JsonObject,
  old: JsonObject,
): Cause[] {
  if (info.group === '' && info.kind === 'Secret') return validateSecretUpdate(object, old);
  if (info.group === '' && info.kind === 'ConfigMap') return validateConfigMapUpdate(object, old);
  if (info.group === 'discovery.k8s.io' && info.kind === 'EndpointSlice') {
    const addressType = stringAt(object, 'addressType');
    return addressType === stringAt(old, 'addressType')
      ? []
      : [invalidValue('addressType', addressType, FIELD_IMMUTABLE)];
  }
  return [];
}

/** Custom resources must say what they are (customResourceValidator.ValidateTypeMeta). */
export function validateTypeMeta(
  info: Pick<ResourceInfo, 'group' | 'version' | 'kind'>,
  object: JsonObject,
): Cause[] {
  const causes: Cause[] = [];
  const kind = stringAt(object, 'kind');
  const apiVersion = stringAt(object, 'apiVersion');
  const expected = `${info.group}/${info.version}`;
  if (kind !== info.kind) causes.push(invalidValue('kind', kind, `must be ${info.kind}`));
  if (apiVersion !== expected) causes.push(invalidValue('apiVersion', apiVersion, `must be ${expected}`));
  return causes;
}

/**
 * All causes for creating `object` as `info`. Run it after defaulting, name generation and (for Secrets)
 * foldStringData. For custom resources pass the causes of schema.ts applySchema() as `schemaCauses`: kube reports
 * them after the metadata ones, and not at all when the kind or apiVersion is wrong. Not for CRDs (crd.ts).
 */
export function validateCreate(
  info: ResourceInfo,
  object: JsonObject,
  schemaCauses: readonly Cause[] = [],
): Cause[] {
  if (info.crd) {
    const typeMeta = validateTypeMeta(info, object);
    if (typeMeta.length > 0) return typeMeta;
  }
  return dedupeCauses([
    ...validateObjectMeta(object['metadata'], metaRulesFor(info)),
    ...kindFields(info, object),
    ...schemaCauses,
  ]);
}

/** All causes for replacing `old` with `object` (after the same preparation as validateCreate). */
export function validateUpdate(
  info: ResourceInfo,
  object: JsonObject,
  old: JsonObject,
  schemaCauses: readonly Cause[] = [],
): Cause[] {
  const rules = metaRulesFor(info);
  const metaUpdate = validateObjectMetaUpdate(object['metadata'], old['metadata'], rules);
  if (info.crd) {
    const typeMeta = validateTypeMeta(info, object);
    if (typeMeta.length > 0) return typeMeta;
    return dedupeCauses([...metaUpdate, ...schemaCauses]);
  }
  // Built-in update validators check the changes, then validate the new object as on create.
  return dedupeCauses([
    ...metaUpdate,
    ...kindUpdate(info, object, old),
    ...validateObjectMeta(object['metadata'], rules),
    ...kindFields(info, object),
  ]);
}

/**
 * validateCreate, or validateUpdate when `old` is given. CustomResourceDefinitions get no causes here: crd.ts
 * validateCrd / validateCrdUpdate cover them, metadata included.
 */
export function validateObject(
  info: ResourceInfo,
  object: JsonObject,
  old?: JsonObject,
  schemaCauses: readonly Cause[] = [],
): Cause[] {
  if (!info.crd && info.group === 'apiextensions.k8s.io' && info.kind === 'CustomResourceDefinition')
    return [];
  return old === undefined
    ? validateCreate(info, object, schemaCauses)
    : validateUpdate(info, object, old, schemaCauses);
}

// ---------- decoding problems (400 before validation) ----------

function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * Go's base64.StdEncoding error for a []byte field, or undefined when the value decodes. Padding is required and
 * line breaks are skipped, as in Go.
 */
export function base64DecodeError(value: string): string | undefined {
  const offset = base64ErrorOffset(value);
  return offset === undefined ? undefined : `illegal base64 data at input byte ${offset}`;
}

const BASE64_ALPHABET = /[A-Za-z0-9+/]/;
/** Padded standard base64 without line breaks: what clients send, and always decodable. */
const WELL_FORMED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64ErrorOffset(src: string): number | undefined {
  // The walk below finds Go's error offset one character at a time; almost every value has none.
  if (WELL_FORMED_BASE64.test(src)) return undefined;
  let si = 0;
  while (si < src.length) {
    let j = 0;
    while (j < 4) {
      if (si === src.length) return j === 0 ? undefined : si - j;
      const char = src[si++] ?? '';
      if (char === '\n' || char === '\r') continue;
      if (char === '=') return paddingErrorOffset(src, si, j);
      if (!BASE64_ALPHABET.test(char)) return si - 1;
      j++;
    }
  }
  return undefined;
}

function skipLineBreaks(src: string, from: number): number {
  let si = from;
  while (si < src.length && (src[si] === '\n' || src[si] === '\r')) si++;
  return si;
}

/** Go's decodeQuantum once it meets '=' after `j` characters of a quantum. */
function paddingErrorOffset(src: string, afterPad: number, j: number): number | undefined {
  if (j < 2) return afterPad - 1;
  let si = afterPad;
  if (j === 2) {
    si = skipLineBreaks(src, si);
    if (si === src.length) return src.length;
    if (src[si] !== '=') return si - 1;
    si++;
  }
  si = skipLineBreaks(src, si);
  return si < src.length ? si : undefined;
}

const BINARY_MAPS: Record<string, readonly string[]> = { Secret: ['data'], ConfigMap: ['binaryData'] };
const STRING_MAPS: Record<string, readonly string[]> = { Secret: ['stringData'], ConfigMap: ['data'] };

/**
 * Why kube could not decode a core Secret or ConfigMap body into its Go type, or undefined. The server answers 400
 * with undecodableMessage(kind, version, problem). Other kinds are not checked.
 */
export function decodeProblem(kind: string, object: JsonObject): string | undefined {
  for (const field of BINARY_MAPS[kind] ?? []) {
    const problem = mapProblem(kind, object[field], field, '[]uint8', (value) => base64DecodeError(value));
    if (problem) return problem;
  }
  for (const field of STRING_MAPS[kind] ?? []) {
    const problem = mapProblem(kind, object[field], field, 'string', () => undefined);
    if (problem) return problem;
  }
  return undefined;
}

function mapProblem(
  kind: string,
  value: unknown,
  field: string,
  goType: string,
  checkString: (value: string) => string | undefined,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    return `json: cannot unmarshal ${goJsonKind(value)} into Go struct field ${kind}.${field} of type map[string]${goType}`;
  for (const entry of Object.values(value)) {
    if (entry === null) continue;
    if (typeof entry !== 'string')
      return `json: cannot unmarshal ${goJsonKind(entry)} into Go struct field ${kind}.${field} of type ${goType}`;
    const problem = checkString(entry);
    if (problem) return problem;
  }
  return undefined;
}

/** The 400 message kube gives when a create/update body cannot be decoded (handlers.transformDecodeError). */
export function undecodableMessage(kind: string, version: string, detail: string): string {
  return `${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${detail}`;
}

// ---------- unknown fields (fieldValidation=Strict|Warn) ----------

const OBJECT_META_FIELDS: ReadonlySet<string> = new Set(OBJECT_META_ORDER);
const OWNER_REFERENCE_FIELDS = new Set([
  'apiVersion',
  'kind',
  'name',
  'uid',
  'controller',
  'blockOwnerDeletion',
]);
const MANAGED_FIELDS_ENTRY_FIELDS = new Set([
  'manager',
  'operation',
  'apiVersion',
  'time',
  'fieldsType',
  'fieldsV1',
  'subresource',
]);

const TYPE_META = ['apiVersion', 'kind', 'metadata'];
const SPEC_AND_STATUS = ['spec', 'status'];
const EVENT_FIELDS = [
  'involvedObject',
  'reason',
  'message',
  'source',
  'firstTimestamp',
  'lastTimestamp',
  'count',
  'type',
  'eventTime',
  'series',
  'action',
  'related',
  'reportingComponent',
  'reportingInstance',
];

/** Top-level fields of the built-in Go types, besides apiVersion, kind and metadata. */
const TOP_LEVEL_FIELDS: Record<string, readonly string[]> = {
  Secret: ['data', 'stringData', 'type', 'immutable'],
  ConfigMap: ['data', 'binaryData', 'immutable'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Event: EVENT_FIELDS,
  Role: ['rules'],
  ClusterRole: ['rules', 'aggregationRule'],
  RoleBinding: ['subjects', 'roleRef'],
  ClusterRoleBinding: ['subjects', 'roleRef'],
  MutatingWebhookConfiguration: ['webhooks'],
  ValidatingWebhookConfiguration: ['webhooks'],
  Lease: ['spec'],
  NetworkPolicy: ['spec'],
  Endpoints: ['subsets'],
  EndpointSlice: ['addressType', 'endpoints', 'ports'],
};

/**
 * Fields a built-in kind does not have, as paths kube prints in `unknown field "…"` (no leading dot:
 * `foo`, `metadata.bar`, `metadata.ownerReferences[0].baz`), in document order like kube's streaming decoder.
 * Matching is case-sensitive, as in kube. Custom resources get theirs from schema.ts applySchema().
 */
export function unknownTopLevelFields(kind: string, object: JsonObject): string[] {
  const known = new Set([...TYPE_META, ...(TOP_LEVEL_FIELDS[kind] ?? SPEC_AND_STATUS)]);
  const unknown: string[] = [];
  for (const [field, value] of Object.entries(object)) {
    if (!known.has(field)) unknown.push(field);
    else if (field === 'metadata') unknown.push(...unknownMetadataFields(value, 'metadata'));
  }
  return unknown;
}

/** ObjectMeta fields (and those of its owner references and managedFields entries) that do not exist. */
export function unknownMetadataFields(metadata: unknown, path: string): string[] {
  if (!isObject(metadata)) return [];
  const unknown: string[] = [];
  for (const [field, value] of Object.entries(metadata)) {
    if (!OBJECT_META_FIELDS.has(field)) unknown.push(child(path, field));
    else if (field === 'ownerReferences')
      unknown.push(...unknownListItemFields(value, child(path, field), OWNER_REFERENCE_FIELDS));
    else if (field === 'managedFields')
      unknown.push(...unknownListItemFields(value, child(path, field), MANAGED_FIELDS_ENTRY_FIELDS));
  }
  return unknown;
}

/** Removes, in place, the fields unknownMetadataFields reports, and returns their paths. */
export function dropUnknownMetadataFields(metadata: JsonObject, path: string): string[] {
  const unknown = unknownMetadataFields(metadata, path);
  for (const [field, value] of Object.entries(metadata)) {
    if (!OBJECT_META_FIELDS.has(field)) delete metadata[field];
    else if (field === 'ownerReferences') dropListItemFields(value, OWNER_REFERENCE_FIELDS);
    else if (field === 'managedFields') dropListItemFields(value, MANAGED_FIELDS_ENTRY_FIELDS);
  }
  return unknown;
}

function dropListItemFields(list: unknown, known: ReadonlySet<string>): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isObject(item)) continue;
    for (const field of Object.keys(item)) if (!known.has(field)) delete item[field];
  }
}

/**
 * A built-in object without the fields unknownTopLevelFields reports: kube decodes into Go structs, so with
 * fieldValidation Warn or Ignore those fields are silently gone. Returns a new object.
 */
export function withoutUnknownFields<T extends JsonObject>(kind: string, object: T): T {
  const known = new Set([...TYPE_META, ...(TOP_LEVEL_FIELDS[kind] ?? SPEC_AND_STATUS)]);
  const result: JsonObject = {};
  for (const [field, value] of Object.entries(object)) {
    if (!known.has(field)) continue;
    if (field === 'metadata' && isObject(value)) {
      const metadata = structuredClone(value);
      dropUnknownMetadataFields(metadata, 'metadata');
      result[field] = metadata;
    } else result[field] = value;
  }
  return result as T;
}

function unknownListItemFields(list: unknown, path: string, known: ReadonlySet<string>): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, i) =>
    isObject(item)
      ? Object.keys(item)
          .filter((field) => !known.has(field))
          .map((field) => child(index(path, i), field))
      : [],
  );
}

/** `unknown field "spec.foo"`: one strict-decoding error, also the text of each Warn-mode warning header. */
export function unknownFieldMessage(path: string): string {
  return `unknown field ${goQuote(path)}`;
}

/** runtime.NewStrictDecodingError's text. */
export function strictDecodingMessage(unknownFields: readonly string[]): string {
  return `strict decoding error: ${unknownFields.map(unknownFieldMessage).join(', ')}`;
}

/**
 * The 400 for fieldValidation=Strict. Create and update wrap the decoding error in undecodableMessage; patch
 * requests (`patch: true`) report it bare.
 */
export function strictDecodingError(
  kind: string,
  version: string,
  unknownFields: readonly string[],
  options: { patch?: boolean } = {},
): ApiError {
  const message = strictDecodingMessage(unknownFields);
  return badRequest(options.patch ? message : undecodableMessage(kind, version, message));
}

// ---------- resourceVersion on create ----------

/**
 * kube's storage refuses a create whose resourceVersion parses as a non-zero number (anything else, like "0" or
 * "abc", is silently dropped).
 */
export function resourceVersionSetOnCreate(object: JsonObject): boolean {
  const resourceVersion = stringAt(objectAt(object, 'metadata'), 'resourceVersion');
  return (
    /^[0-9]+$/.test(resourceVersion) && BigInt(resourceVersion) !== 0n && BigInt(resourceVersion) < 2n ** 64n
  );
}

/**
 * What kube answers then: a plain storage error turned into a 500 Status with an empty reason (not a 422, not a
 * 400), message "resourceVersion should not be set on objects to be created".
 */
export function resourceVersionOnCreateError(): ApiError {
  return new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
}
