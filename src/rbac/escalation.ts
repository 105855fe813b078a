/**
 * Escalation prevention (kube's pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased,
 * escalation_check.go and validation/rule.go ConfirmNoEscalation): nobody grants permissions they do not hold.
 *
 * Writing a Role or ClusterRole is allowed to `system:masters`, to whoever may `escalate` roles/clusterroles (for
 * that name and namespace), and otherwise only when the writer's own rules cover the new rules; setting, changing
 * or keeping an aggregationRule additionally needs `*` on `*.*` and `*` on every URL. Writing a RoleBinding or
 * ClusterRoleBinding is allowed to `system:masters`, to whoever may `bind` the referenced role, and otherwise only
 * when the writer holds every rule of that role. Updates that only touch what the garbage collector changes
 * (ownerReferences, finalizers) pass.
 *
 * Pure: the caller passes the request and the current RBAC objects, and gets a decision and kube's 403 text.
 */
import { compareGoStrings, goQuote } from '../apiserver/field-errors.ts';
import { jsonEqual } from '../apiserver/objects/object.ts';
import {
  aggregateErrorText,
  authorize,
  isRoleRefError,
  resolveRoleRef,
  roleRefErrorText,
  rulesFor,
  type RbacIndex,
} from './evaluator.ts';
import {
  compactRules,
  compactString,
  covers,
  goQuotedList,
  normalRule,
  policyRule,
  type NormalRule,
} from './rules.ts';
import { RBAC_GROUP, SYSTEM_MASTERS, type PolicyRule, type RoleRef, type UserInfo } from './types.ts';

export type RbacResource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

export interface EscalationRequest {
  user: UserInfo;
  /** Which RBAC resource is written. */
  resource: RbacResource;
  operation: 'create' | 'update';
  /** The object to be stored. */
  object: object;
  /** The stored object, for updates. */
  oldObject?: object | undefined;
  /** The request's namespace (from the URL): "" for ClusterRoles and ClusterRoleBindings. */
  namespace: string;
  /**
   * The name in the URL, which the `escalate` check is made for: "" for create (a POST to the collection, so an
   * `escalate` rule limited by resourceNames never helps creating), the object's name for updates (default).
   */
  requestName?: string | undefined;
}

export type EscalationAllowed = {
  allowed: true;
  /** Why: a privileged group, the escalate or bind verb, a garbage-collection-only update, or rules held. */
  via: 'privileged-group' | 'escalate' | 'bind' | 'gc-fields-only' | 'rules-held';
};

export interface EscalationDenied {
  allowed: false;
  code: 403;
  reason: 'Forbidden';
  /** `clusterroles.rbac.authorization.k8s.io "x" is forbidden: user "u" (groups=[...]) is attempting to grant…` */
  message: string;
  details: { name?: string; group: string; kind: RbacResource };
  /** The permissions not held (compacted as in the message), for explanations. */
  missing: PolicyRule[];
}

export type EscalationResult = EscalationAllowed | EscalationDenied;

const FULL_AUTHORITY: NormalRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [], nonResourceURLs: [] },
  { verbs: ['*'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['*'] },
];

export const AGGREGATION_RULE_MESSAGE = 'must have cluster-admin privileges to use the aggregationRule';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function nameOf(object: object | undefined): string {
  const name = record(record(object)['metadata'])['name'];
  return typeof name === 'string' ? name : '';
}

function rulesOf(object: object): NormalRule[] {
  const rules = record(object)['rules'];
  return Array.isArray(rules) ? rules.map(normalRule) : [];
}

/** An aggregationRule counts when it has at least one selector (kube's hasAggregationRule). */
export function hasAggregationRule(object: object | undefined): boolean {
  const selectors = record(record(object)['aggregationRule'])['clusterRoleSelectors'];
  return Array.isArray(selectors) && selectors.length > 0;
}

export type NoEscalation = { ok: true } | { ok: false; message: string; missing: NormalRule[] };

/**
 * Whether the user's own rules in `namespace` ("" for cluster scope) cover `rules` (kube's ConfirmNoEscalation),
 * with its message when they do not: the missing permissions compacted, one per line, sorted.
 */
export function confirmNoEscalation(
  user: UserInfo,
  namespace: string,
  rules: readonly (PolicyRule | NormalRule)[],
  index: RbacIndex,
): NoEscalation {
  const owned = rulesFor(user, namespace, index);
  const result = covers(
    owned.rules.map((entry) => entry.rule),
    rules.map(normalRule),
  );
  if (result.covered) return { ok: true };
  const missing = compactRules(result.missing);
  const lines = [...new Set(missing.map(compactString))].sort(compareGoStrings);
  let message =
    `user ${goQuote(user.username)} (groups=${goQuotedList(user.groups)}) ` +
    `is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (owned.errors.length > 0) {
    const errors = owned.errors.map((error) => roleRefErrorText(error, 'registry'));
    message += `; resolution errors: [${aggregateErrorText(errors)}]`;
  }
  return { ok: false, message, missing };
}

function denied(resource: RbacResource, name: string, why: string, missing: NormalRule[]): EscalationDenied {
  const qualified = `${resource}.${RBAC_GROUP}`;
  return {
    allowed: false,
    code: 403,
    reason: 'Forbidden',
    message:
      name === ''
        ? `${qualified} is forbidden: ${why}`
        : `${qualified} ${goQuote(name)} is forbidden: ${why}`,
    details: { ...(name === '' ? {} : { name }), group: RBAC_GROUP, kind: resource },
    missing: missing.map(policyRule),
  };
}

/** May the user do `verb` on roles/clusterroles (the `escalate` and `bind` checks go through the full authorizer). */
function mayDo(
  user: UserInfo,
  verb: string,
  apiGroup: string,
  resource: string,
  name: string,
  namespace: string,
  index: RbacIndex,
): boolean {
  return authorize({ user, verb, apiGroup, resource, name, namespace, resourceRequest: true }, index).allowed;
}

/** Decides whether a create or update of an RBAC object is an escalation, as kube's RBAC registry does. */
export function checkEscalation(request: EscalationRequest, index: RbacIndex): EscalationResult {
  const { user, resource, object, namespace } = request;
  const update = request.operation === 'update';
  const name = nameOf(object);
  if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, via: 'privileged-group' };

  if (resource === 'roles' || resource === 'clusterroles') {
    const requestName = request.requestName ?? (update ? name : '');
    if (mayDo(user, 'escalate', RBAC_GROUP, resource, requestName, namespace, index)) {
      return { allowed: true, via: 'escalate' };
    }
    if (update && onlyGarbageCollectionFieldsChanged(object, request.oldObject)) {
      return { allowed: true, via: 'gc-fields-only' };
    }
    const held = confirmNoEscalation(user, namespace, rulesOf(object), index);
    if (!held.ok) return denied(resource, name, held.message, held.missing);
    if (
      resource === 'clusterroles' &&
      (hasAggregationRule(object) || (update && hasAggregationRule(request.oldObject)))
    ) {
      const full = confirmNoEscalation(user, namespace, FULL_AUTHORITY, index);
      if (!full.ok) return denied(resource, name, AGGREGATION_RULE_MESSAGE, full.missing);
    }
    return { allowed: true, via: 'rules-held' };
  }

  const bindingNamespace = resource === 'rolebindings' ? namespace : '';
  if (update && onlyGarbageCollectionFieldsChanged(object, request.oldObject)) {
    return { allowed: true, via: 'gc-fields-only' };
  }
  const roleRef = roleRefOf(object);
  const target =
    roleRef.kind === 'ClusterRole' ? 'clusterroles' : roleRef.kind === 'Role' ? 'roles' : undefined;
  if (target && mayDo(user, 'bind', roleRef.apiGroup, target, roleRef.name, bindingNamespace, index)) {
    return { allowed: true, via: 'bind' };
  }
  const role = resolveRoleRef(index, roleRef, bindingNamespace);
  if (isRoleRefError(role)) return denied(resource, name, roleRefErrorText(role, 'registry'), []);
  const held = confirmNoEscalation(user, bindingNamespace, role.rules, index);
  if (!held.ok) return denied(resource, name, held.message, held.missing);
  return { allowed: true, via: 'rules-held' };
}

function roleRefOf(object: object): RoleRef {
  const ref = record(record(object)['roleRef']);
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return { apiGroup: text(ref['apiGroup']), kind: text(ref['kind']), name: text(ref['name']) };
}

const GC_FIELDS = ['ownerReferences', 'finalizers', 'selfLink', 'managedFields'];

/**
 * kube's IsOnlyMutatingGCFields: the new object equals the old one once its ownerReferences, finalizers, selfLink
 * and managedFields are taken from the old one. Go's semantic equality treats absent, null and empty alike.
 */
export function onlyGarbageCollectionFieldsChanged(object: object, old: object | undefined): boolean {
  if (!old) return false;
  const copy = structuredClone(object) as Record<string, unknown>;
  const metadata = { ...record(copy['metadata']) };
  const oldMetadata = record(record(old)['metadata']);
  for (const field of GC_FIELDS) {
    if (field in oldMetadata) metadata[field] = oldMetadata[field];
    else delete metadata[field];
  }
  copy['metadata'] = metadata;
  return jsonEqual(semantic(copy), semantic(old));
}

/** Drops what Go would decode to a zero value: null, and empty lists, maps and strings (not inside string maps). */
function semantic(value: unknown, inStringMap = false): unknown {
  if (Array.isArray(value)) return value.map((item) => semantic(item));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const normal = semantic(item, key === 'labels' || key === 'annotations');
    if (normal === null || normal === undefined) continue;
    if (!inStringMap && normal === '') continue;
    if (Array.isArray(normal) && normal.length === 0) continue;
    if (typeof normal === 'object' && !Array.isArray(normal) && Object.keys(normal).length === 0) continue;
    out[key] = normal;
  }
  return out;
}
