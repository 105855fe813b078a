/**
 * The top-level kinds with a protobuf descriptor, by `apiVersion` and `kind` as the envelope's typeMeta names them.
 */
import type { MessageDescriptor } from './types.ts';
import { resolve } from './types.ts';
import './meta.ts';
import './core.ts';
import './apps.ts';
import './batch.ts';
import './rbac.ts';
import './networking.ts';
import './coordination.ts';
import './authentication.ts';
import './authorization.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** `[apiVersion, kind, descriptor name]`. */
const KIND_TABLE: readonly (readonly [string, string, string])[] = [
  ['v1', 'Secret', 'core.Secret'],
  ['v1', 'ConfigMap', 'core.ConfigMap'],
  ['v1', 'Namespace', 'core.Namespace'],
  ['v1', 'ServiceAccount', 'core.ServiceAccount'],
  ['v1', 'Service', 'core.Service'],
  ['v1', 'Pod', 'core.Pod'],
  ['v1', 'Event', 'core.Event'],
  ['authentication.k8s.io/v1', 'TokenRequest', 'authentication.TokenRequest'],
  [RBAC, 'Role', 'rbac.Role'],
  [RBAC, 'ClusterRole', 'rbac.ClusterRole'],
  [RBAC, 'RoleBinding', 'rbac.RoleBinding'],
  [RBAC, 'ClusterRoleBinding', 'rbac.ClusterRoleBinding'],
  ['apps/v1', 'Deployment', 'apps.Deployment'],
  ['apps/v1', 'StatefulSet', 'apps.StatefulSet'],
  ['apps/v1', 'DaemonSet', 'apps.DaemonSet'],
  ['batch/v1', 'Job', 'batch.Job'],
  ['batch/v1', 'CronJob', 'batch.CronJob'],
  ['networking.k8s.io/v1', 'Ingress', 'networking.Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'networking.NetworkPolicy'],
  ['coordination.k8s.io/v1', 'Lease', 'coordination.Lease'],
  ['authentication.k8s.io/v1', 'SelfSubjectReview', 'authentication.SelfSubjectReview'],
  ['authentication.k8s.io/v1', 'TokenReview', 'authentication.TokenReview'],
  ...(
    [
      'SelfSubjectAccessReview',
      'SubjectAccessReview',
      'LocalSubjectAccessReview',
      'SelfSubjectRulesReview',
    ] as const
  ).map((kind) => ['authorization.k8s.io/v1', kind, `authorization.${kind}`] as const),
];

export interface KindDescriptor {
  apiVersion: string;
  kind: string;
  message: MessageDescriptor;
}

const KINDS = new Map<string, KindDescriptor>(
  KIND_TABLE.map(([apiVersion, kind, name]) => [
    `${apiVersion}/${kind}`,
    { apiVersion, kind, message: resolve(name) },
  ]),
);

export function kindDescriptor(apiVersion: string, kind: string): KindDescriptor | undefined {
  return KINDS.get(`${apiVersion}/${kind}`);
}

export function allKinds(): KindDescriptor[] {
  return [...KINDS.values()];
}
