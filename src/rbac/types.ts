/**
 * The data RBAC works on, as plain JSON values: who is asking (UserInfo), what they ask (RequestAttributes, kube's
 * authorizer.Attributes), and the rbac.authorization.k8s.io/v1 objects. Objects come from storage, manifests or a
 * live cluster; evaluator.ts normalizes them, so these types describe well-formed objects and the index builder
 * accepts anything object-shaped. Pure; no I/O.
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** kube's user.Info: the authenticated (or impersonated) identity. */
export interface UserInfo {
  username: string;
  uid?: string | undefined;
  groups: readonly string[];
  extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

/**
 * One request as the authorizer sees it (kube's authorizer.AttributesRecord, built from RequestInfo).
 *
 * Resource requests: `verb` is create/get/list/watch/update/patch/delete/deletecollection (or a special verb such
 * as bind, escalate, impersonate), `apiGroup` is "" for the core group, `name` is the object name from the URL
 * (empty for create, list, watch and deletecollection on a collection).
 *
 * Non-resource requests: `verb` is the lower-cased HTTP method (get, post, put, patch, delete, head, options) and
 * `path` the URL path; `namespace` is ignored.
 */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string | undefined;
  apiVersion?: string | undefined;
  resource?: string | undefined;
  subresource?: string | undefined;
  name?: string | undefined;
  namespace?: string | undefined;
  /**
   * The raw `fieldSelector` query parameter of a list or watch. When it requires `metadata.name=<x>` and `name` is
   * empty, x becomes the name (kube's RequestInfo does this), so resourceNames rules can allow the request.
   */
  fieldSelector?: string | undefined;
  /** Non-resource requests: the URL path, e.g. `/healthz`. */
  path?: string | undefined;
}

/** rbac/v1 PolicyRule. Go field order, which is also the JSON order kube writes. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[] | undefined;
  resources?: string[] | undefined;
  resourceNames?: string[] | undefined;
  nonResourceURLs?: string[] | undefined;
}

export interface RbacMetadata {
  name?: string | undefined;
  namespace?: string | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  [field: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: string; values?: string[] | undefined }[] | undefined;
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[] | undefined;
}

export interface Role {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata: RbacMetadata;
  /** `null` in freshly bootstrapped aggregated roles, until the aggregation controller fills them. */
  rules?: PolicyRule[] | null | undefined;
}

export interface ClusterRole extends Role {
  aggregationRule?: AggregationRule | null | undefined;
}

export interface Subject {
  kind: string;
  apiGroup?: string | undefined;
  name: string;
  namespace?: string | undefined;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface RoleBinding {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata: RbacMetadata;
  subjects?: Subject[] | null | undefined;
  roleRef: RoleRef;
}

export type ClusterRoleBinding = RoleBinding;

/**
 * The RBAC objects to evaluate against. Any object-shaped values are accepted (typed objects, the API server's
 * stored KubeObjects, parsed manifests); malformed fields are read as empty, as Go's decoder would leave them.
 */
export interface RbacObjects {
  roles?: readonly object[] | undefined;
  clusterRoles?: readonly object[] | undefined;
  roleBindings?: readonly object[] | undefined;
  clusterRoleBindings?: readonly object[] | undefined;
}

/** Well-known users and groups (apiserver/pkg/authentication/user and serviceaccount). */
export const SYSTEM_MASTERS = 'system:masters';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS = 'system:anonymous';
export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';

/** `system:serviceaccount:<namespace>:<name>` */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** The groups every service account of a namespace is in: `system:serviceaccounts`, `system:serviceaccounts:<ns>`. */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS, `${ALL_SERVICE_ACCOUNTS}:${namespace}`];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The namespace and name of a service account username, or undefined when `username` is not one (kube's
 * serviceaccount.SplitUsername: exactly two parts, a DNS-label namespace and a DNS-subdomain name).
 */
export function splitServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace = '', name = ''] = parts;
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) return undefined;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}
