/** k8s.io/api/rbac/v1 (package k8s.io.api.rbac.v1 in generated.proto at 1.32): roles and bindings. */
import type { FieldSpec } from './types.ts';
import { message } from './types.ts';
import './meta.ts';

const OBJECT_META: FieldSpec = [1, 'metadata', 'meta.ObjectMeta'];

message('rbac.Role', [OBJECT_META, [2, 'rules', 'rbac.PolicyRule', 'r']]);
message('rbac.ClusterRole', [
  OBJECT_META,
  [2, 'rules', 'rbac.PolicyRule', 'r'],
  [3, 'aggregationRule', 'rbac.AggregationRule', 'p'],
]);
message('rbac.AggregationRule', [[1, 'clusterRoleSelectors', 'meta.LabelSelector', 'ro']]);
message('rbac.PolicyRule', [
  [1, 'verbs', 'string', 'r'],
  [2, 'apiGroups', 'string', 'ro'],
  [3, 'resources', 'string', 'ro'],
  [4, 'resourceNames', 'string', 'ro'],
  [5, 'nonResourceURLs', 'string', 'ro'],
]);

const BINDING_FIELDS: readonly FieldSpec[] = [
  OBJECT_META,
  [2, 'subjects', 'rbac.Subject', 'ro'],
  [3, 'roleRef', 'rbac.RoleRef'],
];
message('rbac.RoleBinding', BINDING_FIELDS);
message('rbac.ClusterRoleBinding', BINDING_FIELDS);
message('rbac.Subject', [
  [1, 'kind', 'string'],
  [2, 'apiGroup', 'string', 'o'],
  [3, 'name', 'string'],
  [4, 'namespace', 'string', 'o'],
]);
message('rbac.RoleRef', [
  [1, 'apiGroup', 'string'],
  [2, 'kind', 'string'],
  [3, 'name', 'string'],
]);
