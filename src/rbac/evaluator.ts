/**
 * The RBAC authorizer (kube's plugin/pkg/auth/authorizer/rbac and pkg/registry/rbac/validation/rule.go), as a pure
 * function of the request and an index of RBAC objects:
 *
 * - every ClusterRoleBinding is consulted, and for a namespaced request the RoleBindings of that namespace (so a
 *   RoleBinding to a ClusterRole grants its rules in the binding's namespace only, and non-resource URLs, which
 *   have no namespace, are only ever granted through ClusterRoleBindings);
 * - a binding applies when one of its subjects is the user (User by name, Group by membership, ServiceAccount by
 *   `system:serviceaccount:<ns>:<name>`, a RoleBinding's SA subject defaulting to the binding's namespace);
 * - its roleRef names a Role (in the binding's namespace) or a ClusterRole; a missing role skips the binding and
 *   its error becomes the denial reason;
 * - RBAC only allows: the decision is allow, or no opinion.
 *
 * `authorize` puts the `system:masters` privileged-group authorizer in front, as kube-apiserver's chain does.
 */
import { compareGoStrings, goQuote } from '../apiserver/field-errors.ts';
import {
  normalRule,
  policyRule,
  ruleAllowsNonResource,
  ruleAllowsResource,
  type NormalRule,
} from './rules.ts';
import {
  SYSTEM_MASTERS,
  serviceAccountUsername,
  type PolicyRule,
  type RbacMetadata,
  type RbacObjects,
  type RequestAttributes,
  type RoleRef,
  type Subject,
  type UserInfo,
} from './types.ts';

// ---------- the index ----------

export interface IndexedRole {
  kind: 'Role' | 'ClusterRole';
  name: string;
  namespace: string;
  labels: Record<string, string>;
  rules: NormalRule[];
  /** The object as given (for explanations and for callers that need other fields). */
  object: object;
}

export interface IndexedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** "" for ClusterRoleBindings. */
  namespace: string;
  subjects: Subject[];
  roleRef: RoleRef;
  object: object;
}

/** RBAC objects ready for evaluation. Build a new one when the objects change (it is cheap). */
export interface RbacIndex {
  readonly clusterRoles: ReadonlyMap<string, IndexedRole>;
  /** namespace → name → Role */
  readonly roles: ReadonlyMap<string, ReadonlyMap<string, IndexedRole>>;
  readonly clusterRoleBindings: readonly IndexedBinding[];
  /** namespace → RoleBindings, in the order given */
  readonly roleBindings: ReadonlyMap<string, readonly IndexedBinding[]>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function metadataOf(object: object): RbacMetadata {
  return record((object as Record<string, unknown>)['metadata']);
}

function labelsOf(metadata: RbacMetadata): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(metadata.labels)).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function indexRole(object: object, kind: 'Role' | 'ClusterRole'): IndexedRole {
  const metadata = metadataOf(object);
  const rules = (object as Record<string, unknown>)['rules'];
  return {
    kind,
    name: text(metadata.name),
    namespace: kind === 'Role' ? text(metadata.namespace) : '',
    labels: labelsOf(metadata),
    rules: Array.isArray(rules) ? rules.map(normalRule) : [],
    object,
  };
}

function indexBinding(object: object, kind: 'RoleBinding' | 'ClusterRoleBinding'): IndexedBinding {
  const metadata = metadataOf(object);
  const fields = object as Record<string, unknown>;
  const subjects = Array.isArray(fields['subjects']) ? fields['subjects'] : [];
  const roleRef = record(fields['roleRef']);
  return {
    kind,
    name: text(metadata.name),
    namespace: kind === 'RoleBinding' ? text(metadata.namespace) : '',
    subjects: subjects.map((subject) => {
      const value = record(subject);
      const out: Subject = { kind: text(value['kind']), name: text(value['name']) };
      if (typeof value['apiGroup'] === 'string') out.apiGroup = value['apiGroup'];
      if (typeof value['namespace'] === 'string') out.namespace = value['namespace'];
      return out;
    }),
    roleRef: {
      apiGroup: text(roleRef['apiGroup']),
      kind: text(roleRef['kind']),
      name: text(roleRef['name']),
    },
    object,
  };
}

/** Indexes RBAC objects. Later objects with the same namespace and name replace earlier ones (as `kubectl apply`). */
export function buildRbacIndex(objects: RbacObjects): RbacIndex {
  const clusterRoles = new Map<string, IndexedRole>();
  for (const object of objects.clusterRoles ?? []) {
    const role = indexRole(object, 'ClusterRole');
    clusterRoles.set(role.name, role);
  }
  const roles = new Map<string, Map<string, IndexedRole>>();
  for (const object of objects.roles ?? []) {
    const role = indexRole(object, 'Role');
    let inNamespace = roles.get(role.namespace);
    if (!inNamespace) roles.set(role.namespace, (inNamespace = new Map<string, IndexedRole>()));
    inNamespace.set(role.name, role);
  }
  const clusterRoleBindings = new Map<string, IndexedBinding>();
  for (const object of objects.clusterRoleBindings ?? []) {
    const binding = indexBinding(object, 'ClusterRoleBinding');
    clusterRoleBindings.delete(binding.name);
    clusterRoleBindings.set(binding.name, binding);
  }
  const roleBindings = new Map<string, Map<string, IndexedBinding>>();
  for (const object of objects.roleBindings ?? []) {
    const binding = indexBinding(object, 'RoleBinding');
    let inNamespace = roleBindings.get(binding.namespace);
    if (!inNamespace) roleBindings.set(binding.namespace, (inNamespace = new Map<string, IndexedBinding>()));
    inNamespace.delete(binding.name);
    inNamespace.set(binding.name, binding);
  }
  return {
    clusterRoles,
    roles,
    clusterRoleBindings: [...clusterRoleBindings.values()],
    roleBindings: new Map([...roleBindings].map(([namespace, byName]) => [namespace, [...byName.values()]])),
  };
}

// ---------- subjects ----------

/** Whether a binding subject is this user (kube's appliesToUser); `namespace` is the RoleBinding's, or "". */
export function subjectMatches(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const saNamespace = subject.namespace || namespace;
      if (saNamespace === '') return false;
      return user.username === serviceAccountUsername(saNamespace, subject.name);
    }
    default:
      return false;
  }
}

/** The first subject of the binding that is this user, if any. */
export function matchingSubject(user: UserInfo, binding: IndexedBinding): Subject | undefined {
  return binding.subjects.find((subject) => subjectMatches(user, subject, binding.namespace));
}

// ---------- role references ----------

/** A roleRef that could not be resolved. */
export interface RoleRefError {
  missing: true;
  kind: string;
  name: string;
  namespace: string;
}

/**
 * The error text for a missing role. kube's authorizer reads roles through informer listers
 * (`clusterrole.rbac.authorization.k8s.io "x" not found`); the RBAC registry's escalation checks read them through
 * storage (`clusterroles.rbac.authorization.k8s.io "x" not found`).
 */
export function roleRefErrorText(
  error: RoleRefError,
  flavor: 'authorizer' | 'registry' = 'authorizer',
): string {
  if (error.kind !== 'Role' && error.kind !== 'ClusterRole') {
    return `unsupported role reference kind: ${goQuote(error.kind)}`;
  }
  const singular = error.kind.toLowerCase();
  const resource = flavor === 'registry' ? `${singular}s` : singular;
  return `${resource}.rbac.authorization.k8s.io ${goQuote(error.name)} not found`;
}

/** The role a roleRef names, resolved as kube does (a Role in the binding's namespace, or a ClusterRole). */
export function resolveRoleRef(
  index: RbacIndex,
  roleRef: RoleRef,
  bindingNamespace: string,
): IndexedRole | RoleRefError {
  const missing: RoleRefError = {
    missing: true,
    kind: roleRef.kind,
    name: roleRef.name,
    namespace: bindingNamespace,
  };
  if (roleRef.kind === 'ClusterRole') return index.clusterRoles.get(roleRef.name) ?? missing;
  if (roleRef.kind === 'Role') return index.roles.get(bindingNamespace)?.get(roleRef.name) ?? missing;
  return missing;
}

export function isRoleRefError(value: IndexedRole | RoleRefError): value is RoleRefError {
  return 'missing' in value;
}

// ---------- visiting the rules that apply to a user ----------

/** Where a rule came from: the binding, the subject that matched, and the role. */
export interface RuleSource {
  binding: IndexedBinding;
  subject: Subject;
  role: IndexedRole;
  /** The rule's position in the role's rules. */
  ruleIndex: number;
}

/** Called for each applicable rule, or with an error for a binding whose role is missing; return false to stop. */
export type RuleVisitor = (
  source: RuleSource | undefined,
  rule: NormalRule | undefined,
  error: RoleRefError | undefined,
) => boolean;

/** kube's VisitRulesFor: ClusterRoleBindings first, then the RoleBindings of `namespace` (when not empty). */
export function visitRulesFor(
  user: UserInfo,
  namespace: string,
  index: RbacIndex,
  visitor: RuleVisitor,
): void {
  const bindings = [
    ...index.clusterRoleBindings,
    ...(namespace === '' ? [] : (index.roleBindings.get(namespace) ?? [])),
  ];
  for (const binding of bindings) {
    const subject = matchingSubject(user, binding);
    if (!subject) continue;
    const role = resolveRoleRef(index, binding.roleRef, binding.namespace);
    if (isRoleRefError(role)) {
      if (!visitor(undefined, undefined, role)) return;
      continue;
    }
    for (const [ruleIndex, rule] of role.rules.entries()) {
      if (!visitor({ binding, subject, role, ruleIndex }, rule, undefined)) return;
    }
  }
}

/** Every rule that applies to the user in the namespace ("" for cluster scope), with the role lookup errors. */
export function rulesFor(
  user: UserInfo,
  namespace: string,
  index: RbacIndex,
): { rules: { rule: NormalRule; source: RuleSource }[]; errors: RoleRefError[] } {
  const rules: { rule: NormalRule; source: RuleSource }[] = [];
  const errors: RoleRefError[] = [];
  visitRulesFor(user, namespace, index, (source, rule, error) => {
    if (source && rule) rules.push({ rule, source });
    if (error) errors.push(error);
    return true;
  });
  return { rules, errors };
}

// ---------- describing sources (the reason text) ----------

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}

/**
 * `ClusterRoleBinding "x" of ClusterRole "y" to User "u"`, or `RoleBinding "x/ns" of Role "y" to Group "g"` (kube
 * names RoleBindings name/namespace here).
 */
export function describeSource(binding: IndexedBinding, subject: Subject): string {
  const name = binding.kind === 'RoleBinding' ? `${binding.name}/${binding.namespace}` : binding.name;
  return (
    `${binding.kind} ${goQuote(name)} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} ` +
    `to ${describeSubject(subject, binding.namespace)}`
  );
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several (deduplicated) in brackets. */
export function aggregateErrorText(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `[${unique.join(', ')}]`;
}

// ---------- deciding ----------

export interface AllowingBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** Set for RoleBindings. */
  namespace?: string | undefined;
  roleRef: RoleRef;
  /** The subject of the binding that matched the user. */
  subject: Subject;
}

export interface Decision {
  allowed: boolean;
  /**
   * kube's reason: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "u"`; on denial empty, or
   * `RBAC: <role lookup errors>`; empty when a privileged group allowed the request.
   */
  reason: string;
  /** Set when `system:masters` allowed the request before RBAC was asked. */
  privilegedGroup?: string | undefined;
  binding?: AllowingBinding | undefined;
  /** The role the allowing binding refers to (kind, name, and namespace for Roles). */
  role?: { kind: 'Role' | 'ClusterRole'; name: string; namespace?: string | undefined } | undefined;
  /** The rule that allowed the request, as kube serializes it, and its position in the role's rules. */
  rule?: PolicyRule | undefined;
  ruleIndex?: number | undefined;
  /** Role lookup errors met on the way (each in kube's text), also on allowed requests. */
  errors: string[];
}

const VALID_PATH_SEGMENT = (name: string): boolean =>
  name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');

/**
 * The value a field selector requires for `field` (fields.Selector.RequiresExactMatch), or undefined: the selector's
 * terms are split on unescaped commas and sorted, and the first `field=v` or `field==v` term wins. An unparsable
 * selector requires nothing (kube then authorizes the list without a name).
 */
export function fieldSelectorExactMatch(selector: string, field: string): string | undefined {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const char = selector[i] ?? '';
    if (char === '\\' && i + 1 < selector.length) {
      current += char + (selector[i + 1] ?? '');
      i++;
    } else if (char === ',') {
      terms.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  terms.push(current);
  const parsed: { field: string; op: string; value: string }[] = [];
  for (const term of terms.sort(compareGoStrings)) {
    if (term === '') continue;
    const split = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!split) return undefined;
    const value = unescapeFieldValue(split[3] ?? '');
    if (value === undefined) return undefined;
    parsed.push({ field: split[1] ?? '', op: split[2] ?? '', value });
  }
  return parsed.find((term) => term.field === field && term.op !== '!=')?.value;
}

function unescapeFieldValue(value: string): string | undefined {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    if (char !== '\\') {
      if (char === ',' || char === '=') return undefined;
      out += char;
      continue;
    }
    const next = value[i + 1];
    if (next !== '\\' && next !== ',' && next !== '=') return undefined;
    out += next;
    i++;
  }
  return out;
}

/**
 * The name the authorizer matches resourceNames against: the URL's name, or for list and watch the name a
 * `metadata.name=` field selector requires (when it is a valid path segment). Create and deletecollection on a
 * collection have no name, so rules with resourceNames never allow them.
 */
export function requestName(attributes: RequestAttributes): string {
  const name = attributes.name ?? '';
  if (name !== '' || !attributes.fieldSelector) return name;
  if (attributes.verb !== 'list' && attributes.verb !== 'watch') return name;
  const selected = fieldSelectorExactMatch(attributes.fieldSelector, 'metadata.name');
  return selected !== undefined && VALID_PATH_SEGMENT(selected) ? selected : '';
}

/** Whether one rule allows the request (kube's RuleAllows). */
export function ruleAllows(attributes: RequestAttributes, rule: PolicyRule | NormalRule): boolean {
  const normal = normalRule(rule);
  if (!attributes.resourceRequest)
    return ruleAllowsNonResource(normal, attributes.verb, attributes.path ?? '');
  return ruleAllowsResource(normal, {
    verb: attributes.verb,
    apiGroup: attributes.apiGroup ?? '',
    resource: attributes.resource ?? '',
    subresource: attributes.subresource ?? '',
    name: requestName(attributes),
  });
}

/** The RBAC authorizer alone (no privileged groups): allow, or no opinion. */
export function rbacAuthorize(attributes: RequestAttributes, index: RbacIndex): Decision {
  const namespace = attributes.resourceRequest ? (attributes.namespace ?? '') : '';
  const matches = ruleMatcher(attributes);
  const errors: string[] = [];
  let decision: Decision | undefined;
  visitRulesFor(attributes.user, namespace, index, (source, rule, error) => {
    if (source && rule && matches(rule)) {
      const { binding, subject, role, ruleIndex } = source;
      decision = {
        allowed: true,
        reason: `RBAC: allowed by ${describeSource(binding, subject)}`,
        binding: {
          kind: binding.kind,
          name: binding.name,
          ...(binding.kind === 'RoleBinding' ? { namespace: binding.namespace } : {}),
          roleRef: { ...binding.roleRef },
          subject: { ...subject },
        },
        role: {
          kind: role.kind,
          name: role.name,
          ...(role.kind === 'Role' ? { namespace: role.namespace } : {}),
        },
        rule: policyRule(rule),
        ruleIndex,
        errors,
      };
      return false;
    }
    if (error) errors.push(roleRefErrorText(error));
    return true;
  });
  if (decision) return decision;
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrorText(errors)}` : '', errors };
}

function ruleMatcher(attributes: RequestAttributes): (rule: NormalRule) => boolean {
  if (!attributes.resourceRequest) {
    const path = attributes.path ?? '';
    return (rule) => ruleAllowsNonResource(rule, attributes.verb, path);
  }
  const ask = {
    verb: attributes.verb,
    apiGroup: attributes.apiGroup ?? '',
    resource: attributes.resource ?? '',
    subresource: attributes.subresource ?? '',
    name: requestName(attributes),
  };
  return (rule) => ruleAllowsResource(rule, ask);
}

/**
 * kube-apiserver's authorization chain as far as Cloak runs it: members of `system:masters` are allowed (with an
 * empty reason, as the privileged-groups authorizer answers), everyone else is asked of RBAC.
 */
export function authorize(attributes: RequestAttributes, index: RbacIndex): Decision {
  if (attributes.user.groups.includes(SYSTEM_MASTERS)) {
    return { allowed: true, reason: '', privilegedGroup: SYSTEM_MASTERS, errors: [] };
  }
  return rbacAuthorize(attributes, index);
}

// ---------- the 403 ----------

/** `secrets` or `deployments.apps` (schema.GroupResource.String()). */
function groupResourceText(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

/**
 * The Forbidden Status kube-apiserver answers a denied request with (responsewriters.Forbidden + NewForbidden):
 * `secrets "x" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "ns"`, the
 * authorizer's reason appended after `: ` when there is one. `details.kind` is the resource, as kube puts it.
 */
export function forbiddenStatus(
  attributes: RequestAttributes,
  reason: string,
): {
  code: 403;
  reason: 'Forbidden';
  message: string;
  details: { name?: string; group?: string; kind?: string };
} {
  const username = goQuote(attributes.user.username);
  let why: string;
  if (!attributes.resourceRequest) {
    why = `User ${username} cannot ${attributes.verb} path ${goQuote(attributes.path ?? '')}`;
  } else {
    const resource = attributes.subresource
      ? `${attributes.resource ?? ''}/${attributes.subresource}`
      : (attributes.resource ?? '');
    const scope = attributes.namespace
      ? `in the namespace ${goQuote(attributes.namespace)}`
      : 'at the cluster scope';
    why =
      `User ${username} cannot ${attributes.verb} resource ${goQuote(resource)} ` +
      `in API group ${goQuote(attributes.apiGroup ?? '')} ${scope}`;
  }
  if (reason !== '') why = `${why}: ${reason}`;
  const group = attributes.resourceRequest ? (attributes.apiGroup ?? '') : '';
  const resource = attributes.resourceRequest ? (attributes.resource ?? '') : '';
  const name = attributes.resourceRequest ? requestName(attributes) : '';
  let message: string;
  if (group === '' && resource === '') message = `forbidden: ${why}`;
  else if (name === '') message = `${groupResourceText(group, resource)} is forbidden: ${why}`;
  else message = `${groupResourceText(group, resource)} ${goQuote(name)} is forbidden: ${why}`;
  const details: { name?: string; group?: string; kind?: string } = {};
  if (name) details.name = name;
  if (group) details.group = group;
  if (resource) details.kind = resource;
  return { code: 403, reason: 'Forbidden', message, details };
}
