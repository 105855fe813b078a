/** Small builders for RBAC objects in tests, and an index of the default policy plus test objects. */
import { aggregateClusterRoles } from '../../src/rbac/aggregation.ts';
import { bootstrapPolicy } from '../../src/rbac/bootstrap.ts';
import { buildRbacIndex, type RbacIndex } from '../../src/rbac/evaluator.ts';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
  UserInfo,
} from '../../src/rbac/types.ts';

const API_VERSION = 'rbac.authorization.k8s.io/v1';

export function rule(
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  resourceNames?: string[],
): PolicyRule {
  return { verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) };
}

export function urlRule(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs, nonResourceURLs };
}

export function clusterRole(name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterRole',
    metadata: { name, ...(labels ? { labels } : {}) },
    rules,
  };
}

export function role(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: API_VERSION, kind: 'Role', metadata: { name, namespace }, rules };
}

export const userSubject = (name: string): Subject => ({
  kind: 'User',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});
export const groupSubject = (name: string): Subject => ({
  kind: 'Group',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});
export const saSubject = (name: string, namespace?: string): Subject => ({
  kind: 'ServiceAccount',
  name,
  ...(namespace ? { namespace } : {}),
});

export function clusterRoleBinding(name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    subjects,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  };
}

export function roleBinding(
  namespace: string,
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Subject[],
): RoleBinding {
  return {
    apiVersion: API_VERSION,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    subjects,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  };
}

export function user(username: string, ...groups: string[]): UserInfo {
  return { username, groups: [...groups, 'system:authenticated'] };
}

/** The default policy (aggregated as the controller would) plus the given objects. */
export function indexWith(objects: {
  clusterRoles?: ClusterRole[];
  clusterRoleBindings?: ClusterRoleBinding[];
  roles?: Role[];
  roleBindings?: RoleBinding[];
}): RbacIndex {
  const defaults = bootstrapPolicy();
  return buildRbacIndex({
    clusterRoles: aggregateClusterRoles([...defaults.clusterRoles, ...(objects.clusterRoles ?? [])]),
    clusterRoleBindings: [...defaults.clusterRoleBindings, ...(objects.clusterRoleBindings ?? [])],
    roles: objects.roles ?? [],
    roleBindings: objects.roleBindings ?? [],
  });
}
