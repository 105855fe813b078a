/**
 * Audit policies (`audit.k8s.io/v1` Policy) as kube-apiserver 1.32 reads and applies them: decoding with Go's
 * case-sensitive JSON rules (unknown fields are ignored, and reported so a linter can name them), validation with
 * kube's field error texts (apiserver/pkg/apis/audit/validation), and the rule checker
 * (apiserver/pkg/audit/policy/checker.go): the first rule whose every set field matches wins, no match is `None`.
 * Pure; no I/O.
 */
import { CloakError } from '../common/errors.ts';
import {
  type Cause,
  causeText,
  child,
  dedupeCauses,
  goStringSlice,
  index,
  invalidValue,
  notSupported,
  required,
  verbatim,
} from '../apiserver/field-errors.ts';
import { isDns1123Subdomain } from '../apiserver/validation.ts';
import { parseManifests, type ManifestObject } from '../manifests/decode.ts';

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type Level = (typeof LEVELS)[number];

export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type Stage = (typeof STAGES)[number];

export interface GroupResources {
  /** Exact API group; `""` is the core group. There is no group wildcard. */
  group: string;
  /** `res`, `res/sub`, `res/*`, `*` or a star before `/sub`; empty means every resource of the group. */
  resources: readonly string[];
  resourceNames: readonly string[];
}

export interface PolicyRule {
  level: Level;
  users: readonly string[];
  userGroups: readonly string[];
  verbs: readonly string[];
  resources: readonly GroupResources[];
  /** `""` matches cluster-scoped resources (and requests across all namespaces). */
  namespaces: readonly string[];
  /** `*`, an exact path, or a prefix ending in `*`. */
  nonResourceURLs: readonly string[];
  omitStages: readonly Stage[];
  /** Unset means the policy's default. */
  omitManagedFields: boolean | undefined;
}

export interface AuditPolicy {
  rules: readonly PolicyRule[];
  omitStages: readonly Stage[];
  omitManagedFields: boolean;
}

/** A policy as decoded, before validation: levels and stages are still arbitrary strings. */
export interface DecodedPolicy {
  rules: DecodedRule[];
  omitStages: string[];
  omitManagedFields: boolean;
  /** Fields kube's decoder ignores, as paths (`rules[2].resource`). */
  unknownFields: string[];
}

export interface DecodedRule extends Omit<PolicyRule, 'level' | 'omitStages'> {
  level: string;
  omitStages: readonly string[];
}

/** The policy file is unreadable as a Policy, or fails kube's validation. The message names fields, not values. */
export class AuditPolicyError extends CloakError {
  constructor(message: string) {
    super('ERR_AUDIT_POLICY', message);
  }
}

export interface LoadedPolicy {
  policy: AuditPolicy;
  /** Fields kube ignores (typos such as `resource:` lose their meaning silently). */
  unknownFields: string[];
}

/**
 * Reads a policy file's text (YAML or JSON) as kube-apiserver's `--audit-policy-file` does: one `audit.k8s.io/v1`
 * Policy, valid, with at least one rule. `source` names the input in messages.
 */
export function loadPolicy(text: string, source: string): LoadedPolicy {
  const documents = parseManifests(text, source);
  if (documents.length !== 1) {
    throw new AuditPolicyError(`${source}: expected one Policy object, found ${documents.length}`);
  }
  return policyFromObject(documents[0] as ManifestObject, source);
}

/** A decoded manifest object (YAML or JSON already parsed) as a validated policy. */
export function policyFromObject(object: Readonly<Record<string, unknown>>, source: string): LoadedPolicy {
  let decoded: DecodedPolicy;
  try {
    decoded = decodePolicy(object);
  } catch (error) {
    if (error instanceof DecodeError)
      throw new AuditPolicyError(`${source}: failed decoding: ${error.message}`);
    throw error;
  }
  const causes = validatePolicy(decoded);
  if (causes.length > 0) throw new AuditPolicyError(`${source}: ${aggregateMessage(causes)}`);
  if (decoded.rules.length === 0) throw new AuditPolicyError(`${source}: loaded illegal policy with 0 rules`);
  const policy: AuditPolicy = {
    rules: decoded.rules as PolicyRule[],
    omitStages: decoded.omitStages as Stage[],
    omitManagedFields: decoded.omitManagedFields,
  };
  return { policy, unknownFields: decoded.unknownFields };
}

/** field.ErrorList.ToAggregate().Error(): one message alone, several as `[a, b]`, repeats dropped. */
export function aggregateMessage(causes: readonly Cause[]): string {
  const texts = dedupeCauses(causes).map(causeText);
  return texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
}

// ---------- decoding ----------

class DecodeError extends Error {}

type JsonType = 'string' | 'number' | 'bool' | 'array' | 'object' | 'null';

function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** Go's UnmarshalTypeError text: the innermost struct, the field path from the root, the Go type. */
function typeError(value: unknown, struct: string, path: string, goType: string): DecodeError {
  return new DecodeError(
    `json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}.${path} of type ${goType}`,
  );
}

/**
 * The v1 Policy as Go's decoder fills the struct: kind and apiVersion must name it, field names match exactly,
 * unknown fields are skipped (and listed), `null` leaves a field at its zero value, a wrong JSON type fails.
 */
export function decodePolicy(object: Readonly<Record<string, unknown>>): DecodedPolicy {
  const kind = object['kind'];
  const apiVersion = object['apiVersion'];
  if (typeof kind !== 'string' || kind === '') throw new DecodeError("Object 'Kind' is missing");
  if (apiVersion !== AUDIT_API_VERSION || kind !== 'Policy') {
    throw new DecodeError(
      `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(typeof apiVersion === 'string' ? apiVersion : '')}`,
    );
  }
  const unknownFields: string[] = [];
  const known = new Set(['kind', 'apiVersion', 'metadata', 'rules', 'omitStages', 'omitManagedFields']);
  for (const key of Object.keys(object)) if (!known.has(key)) unknownFields.push(key);

  const rulesValue = object['rules'];
  const rules: DecodedRule[] = [];
  if (rulesValue !== null && rulesValue !== undefined) {
    if (!Array.isArray(rulesValue)) throw typeError(rulesValue, 'Policy', 'rules', '[]v1.PolicyRule');
    rulesValue.forEach((rule: unknown, i) => rules.push(decodeRule(rule, `rules[${i}]`, unknownFields)));
  }
  const metadata = object['metadata'];
  if (metadata !== null && metadata !== undefined && jsonType(metadata) !== 'object') {
    throw typeError(metadata, 'Policy', 'metadata', 'v1.ObjectMeta');
  }
  return {
    rules,
    omitStages: stringList(object['omitStages'], 'Policy', 'omitStages', 'v1.Stage'),
    omitManagedFields: boolField(object['omitManagedFields'], 'Policy', 'omitManagedFields') ?? false,
    unknownFields,
  };
}

const RULE_FIELDS = new Set([
  'level',
  'users',
  'userGroups',
  'verbs',
  'resources',
  'namespaces',
  'nonResourceURLs',
  'omitStages',
  'omitManagedFields',
]);

function decodeRule(value: unknown, where: string, unknownFields: string[]): DecodedRule {
  if (value === null || value === undefined) value = {};
  if (jsonType(value) !== 'object') throw typeError(value, 'Policy', 'rules', 'v1.PolicyRule');
  const rule = value as Record<string, unknown>;
  for (const key of Object.keys(rule)) if (!RULE_FIELDS.has(key)) unknownFields.push(`${where}.${key}`);
  const level = rule['level'];
  if (level !== null && level !== undefined && typeof level !== 'string') {
    throw typeError(level, 'PolicyRule', 'rules.level', 'v1.Level');
  }
  const resourcesValue = rule['resources'];
  const resources: GroupResources[] = [];
  if (resourcesValue !== null && resourcesValue !== undefined) {
    if (!Array.isArray(resourcesValue)) {
      throw typeError(resourcesValue, 'PolicyRule', 'rules.resources', '[]v1.GroupResources');
    }
    resourcesValue.forEach((entry: unknown, i) =>
      resources.push(decodeGroupResources(entry, `${where}.resources[${i}]`, unknownFields)),
    );
  }
  return {
    level: level ?? '',
    users: stringList(rule['users'], 'PolicyRule', 'rules.users', 'string'),
    userGroups: stringList(rule['userGroups'], 'PolicyRule', 'rules.userGroups', 'string'),
    verbs: stringList(rule['verbs'], 'PolicyRule', 'rules.verbs', 'string'),
    resources,
    namespaces: stringList(rule['namespaces'], 'PolicyRule', 'rules.namespaces', 'string'),
    nonResourceURLs: stringList(rule['nonResourceURLs'], 'PolicyRule', 'rules.nonResourceURLs', 'string'),
    omitStages: stringList(rule['omitStages'], 'PolicyRule', 'rules.omitStages', 'v1.Stage'),
    omitManagedFields: boolField(rule['omitManagedFields'], 'PolicyRule', 'rules.omitManagedFields'),
  };
}

function decodeGroupResources(value: unknown, where: string, unknownFields: string[]): GroupResources {
  if (value === null || value === undefined) value = {};
  if (jsonType(value) !== 'object')
    throw typeError(value, 'PolicyRule', 'rules.resources', 'v1.GroupResources');
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (key !== 'group' && key !== 'resources' && key !== 'resourceNames')
      unknownFields.push(`${where}.${key}`);
  }
  const group = entry['group'];
  if (group !== null && group !== undefined && typeof group !== 'string') {
    throw typeError(group, 'GroupResources', 'rules.resources.group', 'string');
  }
  return {
    group: group ?? '',
    resources: stringList(entry['resources'], 'GroupResources', 'rules.resources.resources', 'string'),
    resourceNames: stringList(
      entry['resourceNames'],
      'GroupResources',
      'rules.resources.resourceNames',
      'string',
    ),
  };
}

function stringList(value: unknown, struct: string, path: string, elementType: string): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw typeError(value, struct, path, `[]${elementType}`);
  return value.map((item: unknown) => {
    // A null element decodes to the zero value, as Go does.
    if (item === null || item === undefined) return '';
    if (typeof item !== 'string') throw typeError(item, struct, path, elementType);
    return item;
  });
}

function boolField(value: unknown, struct: string, path: string): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'boolean') throw typeError(value, struct, path, 'bool');
  return value;
}

// ---------- validation ----------

/** ValidatePolicy: policy-level omitStages, then each rule's level, URLs, resources and stages. */
export function validatePolicy(policy: Pick<DecodedPolicy, 'rules' | 'omitStages'>): Cause[] {
  const causes = validateOmitStages(policy.omitStages, 'omitStages');
  policy.rules.forEach((rule, i) => causes.push(...validateRule(rule, index('rules', i))));
  return causes;
}

function validateRule(rule: DecodedRule, path: string): Cause[] {
  const causes: Cause[] = [];
  const levelPath = child(path, 'level');
  if (rule.level === '') causes.push(required(levelPath));
  else if (!(LEVELS as readonly string[]).includes(rule.level)) {
    causes.push(notSupported(levelPath, rule.level, LEVELS));
  }
  const urlsPath = child(path, 'nonResourceURLs');
  rule.nonResourceURLs.forEach((url, i) => {
    if (url === '*') return;
    if (!url.startsWith('/')) {
      causes.push(
        invalidValue(index(urlsPath, i), url, "non-resource URL rules must begin with a '/' character"),
      );
    }
    if (url !== '' && url.slice(0, -1).includes('*')) {
      causes.push(
        invalidValue(
          index(urlsPath, i),
          url,
          "non-resource URL wildcards '*' must be the final character of the rule",
        ),
      );
    }
  });
  // kube names these paths without the entry's index (fldPath.Child("group") on the list's path).
  const resourcesPath = child(path, 'resources');
  for (const entry of rule.resources) {
    if (entry.group !== '') {
      const messages = isDns1123Subdomain(entry.group);
      if (messages.length > 0) {
        causes.push(invalidValue(child(resourcesPath, 'group'), entry.group, messages.join(',')));
      }
    }
    if (entry.resourceNames.length > 0 && entry.resources.length === 0) {
      causes.push(
        invalidValue(
          child(resourcesPath, 'resourceNames'),
          verbatim(goStringSlice(entry.resourceNames)),
          'using resourceNames requires at least one resource',
        ),
      );
    }
  }
  causes.push(...validateOmitStages(rule.omitStages, child(path, 'omitStages')));
  if (rule.nonResourceURLs.length > 0 && (rule.resources.length > 0 || rule.namespaces.length > 0)) {
    causes.push(
      invalidValue(
        urlsPath,
        verbatim(goStringSlice(rule.nonResourceURLs)),
        'rules cannot apply to both regular resources and non-resource URLs',
      ),
    );
  }
  return causes;
}

function validateOmitStages(stages: readonly string[], path: string): Cause[] {
  const causes: Cause[] = [];
  stages.forEach((stage, i) => {
    if (!(STAGES as readonly string[]).includes(stage)) {
      causes.push(invalidValue(index(path, i), stage, `allowed stages are ${STAGES.join(',')}`));
    }
  });
  return causes;
}

// ---------- matching ----------

/** What the checker looks at in a request (authorizer.Attributes). */
export interface AuditAttributes {
  /** Undefined for a request with no authenticated user: rules with `users` or `userGroups` never match. */
  user?: { readonly username: string; readonly groups?: readonly string[] | undefined } | undefined;
  /** The Kubernetes verb (get, list, watch, create, …) or, for non-resource requests, the lower-cased method. */
  verb: string;
  /** A request for an API resource, as opposed to a non-resource URL such as /healthz or /api. */
  resourceRequest: boolean;
  /** The URL path without the query (matched by nonResourceURLs). */
  path?: string | undefined;
  /** Undefined or `""` for cluster-scoped resources and requests across all namespaces. */
  namespace?: string | undefined;
  apiGroup?: string | undefined;
  resource?: string | undefined;
  subresource?: string | undefined;
  name?: string | undefined;
}

/** auditinternal.RequestAuditConfig: what to record for one request, plus which rule decided it. */
export interface RequestAuditConfig {
  level: Level;
  /** The rule's stages and the policy's, in stage order. */
  omitStages: readonly Stage[];
  omitManagedFields: boolean;
  /** Index of the matching rule; undefined when none matched (level None). */
  rule: number | undefined;
}

/** The audit level and options for a request: the first matching rule wins; without one, `None`. */
export function levelFor(policy: AuditPolicy, attributes: AuditAttributes): RequestAuditConfig {
  for (let i = 0; i < policy.rules.length; i++) {
    const rule = policy.rules[i];
    if (rule && ruleMatches(rule, attributes)) {
      return {
        level: rule.level,
        omitStages: unionStages(policy.omitStages, rule.omitStages),
        omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields,
        rule: i,
      };
    }
  }
  return {
    level: 'None',
    omitStages: unionStages(policy.omitStages),
    omitManagedFields: policy.omitManagedFields,
    rule: undefined,
  };
}

/** Whether an event is written for this stage: a level above None and the stage not omitted. */
export function recordsStage(
  config: Pick<RequestAuditConfig, 'level' | 'omitStages'>,
  stage: Stage,
): boolean {
  return config.level !== 'None' && !config.omitStages.includes(stage);
}

export function unionStages(...lists: readonly (readonly Stage[])[]): Stage[] {
  return STAGES.filter((stage) => lists.some((list) => list.includes(stage)));
}

/** `a` is at least as detailed as `b`. */
export function levelAtLeast(a: Level, b: Level): boolean {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b);
}

export function ruleMatches(rule: PolicyRule, attributes: AuditAttributes): boolean {
  const user = attributes.user;
  if (rule.users.length > 0 && (!user || !rule.users.includes(user.username))) return false;
  if (rule.userGroups.length > 0) {
    if (!user || !(user.groups ?? []).some((group) => rule.userGroups.includes(group))) return false;
  }
  if (rule.verbs.length > 0 && !rule.verbs.includes(attributes.verb)) return false;
  if (rule.namespaces.length > 0 || rule.resources.length > 0) return ruleMatchesResource(rule, attributes);
  if (rule.nonResourceURLs.length > 0) {
    if (attributes.resourceRequest) return false;
    const path = attributes.path ?? '';
    return rule.nonResourceURLs.some((spec) => pathMatches(path, spec));
  }
  return true;
}

/** `*`, the exact path, or a prefix when the spec ends in `*` (every trailing `*` is trimmed, as Go's TrimRight). */
export function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function ruleMatchesResource(rule: PolicyRule, attributes: AuditAttributes): boolean {
  if (!attributes.resourceRequest) return false;
  if (rule.namespaces.length > 0 && !rule.namespaces.includes(attributes.namespace ?? '')) return false;
  if (rule.resources.length === 0) return true;
  const group = attributes.apiGroup ?? '';
  return rule.resources.some(
    (entry) =>
      entry.group === group &&
      groupResourcesMatch(
        entry,
        attributes.resource ?? '',
        attributes.subresource ?? '',
        attributes.name ?? '',
      ),
  );
}

/** One `{group, resources, resourceNames}` entry against a request in its group. */
export function groupResourcesMatch(
  entry: GroupResources,
  resource: string,
  subresource: string,
  name: string,
): boolean {
  if (entry.resources.length === 0) return true;
  if (entry.resourceNames.length > 0 && !entry.resourceNames.includes(name)) return false;
  return entry.resources.some((spec) => resourceSpecMatches(spec, resource, subresource));
}

/** `res` / `res/sub` exactly, `*`, a star before `/sub` (any resource), or `res/*` (which also matches `res`). */
export function resourceSpecMatches(spec: string, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  if (spec === combined || spec === '*') return true;
  if (subresource !== '' && spec.startsWith('*/') && spec.slice(2) === subresource) return true;
  return spec.endsWith('/*') && spec.slice(0, -2) === resource;
}
