/**
 * The default ClusterRoles and ClusterRoleBindings kube-apiserver creates at start-up (its RBAC bootstrap policy),
 * as data. Source: kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/
 * cluster-roles.yaml and cluster-role-bindings.yaml, the generated fixtures of policy.go's ClusterRoles() and
 * ClusterRoleBindings() with default feature gates; lists are sorted as the rule builder sorts them. The
 * feature-gated roles (cluster-roles-featuregates.yaml), the system:controller:* roles and the namespaced
 * kube-system/kube-public Roles are left out.
 *
 * admin, edit and view carry no rules of their own: their aggregationRules select the `system:aggregate-to-*` roles
 * (and edit/view themselves, through their labels), and the aggregation controller fills `.rules`. kube creates them
 * with `rules: null`; `aggregateClusterRoles` (aggregation.ts) computes what the controller would write.
 *
 * Pure data; each call returns fresh objects.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from './types.ts';
import { RBAC_GROUP } from './types.ts';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
export const BOOTSTRAPPING_VALUE = 'rbac-defaults';
export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const EVENTS_WRITE = ['create', 'patch', 'update'];

function rule(
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  resourceNames?: string[],
): PolicyRule {
  return resourceNames
    ? {
        verbs: [...verbs],
        apiGroups: [...apiGroups],
        resources: [...resources],
        resourceNames: [...resourceNames],
      }
    : { verbs: [...verbs], apiGroups: [...apiGroups], resources: [...resources] };
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs: [...verbs], nonResourceURLs: [...nonResourceURLs] };
}

interface RoleSpec {
  name: string;
  /** Aggregation labels beyond kubernetes.io/bootstrapping. */
  labels?: Record<string, string>;
  /** The label an aggregated role selects; its rules are then null. */
  aggregates?: string;
  rules?: PolicyRule[];
}

function roleSpecs(): RoleSpec[] {
  return [
    { name: 'admin', aggregates: AGGREGATE_TO_ADMIN },
    {
      name: 'cluster-admin',
      rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])],
    },
    { name: 'edit', labels: { [AGGREGATE_TO_ADMIN]: 'true' }, aggregates: AGGREGATE_TO_EDIT },
    {
      name: 'system:aggregate-to-admin',
      labels: { [AGGREGATE_TO_ADMIN]: 'true' },
      rules: [
        rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
        rule(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles']),
      ],
    },
    {
      name: 'system:aggregate-to-edit',
      labels: { [AGGREGATE_TO_EDIT]: 'true' },
      rules: [
        rule(
          READ,
          [''],
          ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
        ),
        rule(['impersonate'], [''], ['serviceaccounts']),
        rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
        rule(['create'], [''], ['pods/eviction']),
        rule(
          WRITE,
          [''],
          [
            'configmaps',
            'events',
            'persistentvolumeclaims',
            'replicationcontrollers',
            'replicationcontrollers/scale',
            'secrets',
            'serviceaccounts',
            'services',
            'services/proxy',
          ],
        ),
        rule(['create'], [''], ['serviceaccounts/token']),
        rule(
          WRITE,
          ['apps'],
          [
            'daemonsets',
            'deployments',
            'deployments/rollback',
            'deployments/scale',
            'replicasets',
            'replicasets/scale',
            'statefulsets',
            'statefulsets/scale',
          ],
        ),
        rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
        rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
        rule(
          WRITE,
          ['extensions'],
          [
            'daemonsets',
            'deployments',
            'deployments/rollback',
            'deployments/scale',
            'ingresses',
            'networkpolicies',
            'replicasets',
            'replicasets/scale',
            'replicationcontrollers/scale',
          ],
        ),
        rule(WRITE, ['policy'], ['poddisruptionbudgets']),
        rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
        rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
      ],
    },
    {
      name: 'system:aggregate-to-view',
      labels: { [AGGREGATE_TO_VIEW]: 'true' },
      rules: [
        rule(
          READ,
          [''],
          [
            'configmaps',
            'endpoints',
            'persistentvolumeclaims',
            'persistentvolumeclaims/status',
            'pods',
            'replicationcontrollers',
            'replicationcontrollers/scale',
            'serviceaccounts',
            'services',
            'services/status',
          ],
        ),
        rule(
          READ,
          [''],
          [
            'bindings',
            'events',
            'limitranges',
            'namespaces/status',
            'pods/log',
            'pods/status',
            'replicationcontrollers/status',
            'resourcequotas',
            'resourcequotas/status',
          ],
        ),
        rule(READ, [''], ['namespaces']),
        rule(READ, ['discovery.k8s.io'], ['endpointslices']),
        rule(
          READ,
          ['apps'],
          [
            'controllerrevisions',
            'daemonsets',
            'daemonsets/status',
            'deployments',
            'deployments/scale',
            'deployments/status',
            'replicasets',
            'replicasets/scale',
            'replicasets/status',
            'statefulsets',
            'statefulsets/scale',
            'statefulsets/status',
          ],
        ),
        rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
        rule(
          READ,
          ['extensions'],
          [
            'daemonsets',
            'daemonsets/status',
            'deployments',
            'deployments/scale',
            'deployments/status',
            'ingresses',
            'ingresses/status',
            'networkpolicies',
            'replicasets',
            'replicasets/scale',
            'replicasets/status',
            'replicationcontrollers/scale',
          ],
        ),
        rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
      ],
    },
    {
      name: 'system:auth-delegator',
      rules: [
        rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
        rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      ],
    },
    {
      name: 'system:basic-user',
      rules: [
        rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
        rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
      ],
    },
    {
      name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
      rules: [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'])],
    },
    {
      name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      rules: [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'])],
    },
    ...[
      ['kube-apiserver-client-approver', 'kubernetes.io/kube-apiserver-client'],
      ['kube-apiserver-client-kubelet-approver', 'kubernetes.io/kube-apiserver-client-kubelet'],
      ['kubelet-serving-approver', 'kubernetes.io/kubelet-serving'],
      ['legacy-unknown-approver', 'kubernetes.io/legacy-unknown'],
    ].map(([suffix = '', signer = '']) => ({
      name: `system:certificates.k8s.io:${suffix}`,
      rules: [rule(['approve'], ['certificates.k8s.io'], ['signers'], [signer])],
    })),
    {
      name: 'system:discovery',
      rules: [
        urls(
          ['get'],
          [
            '/api',
            '/api/*',
            '/apis',
            '/apis/*',
            '/healthz',
            '/livez',
            '/openapi',
            '/openapi/*',
            '/readyz',
            '/version',
            '/version/',
          ],
        ),
      ],
    },
    {
      name: 'system:heapster',
      rules: [
        rule(READ, [''], ['events', 'namespaces', 'nodes', 'pods']),
        rule(READ, ['extensions'], ['deployments']),
      ],
    },
    { name: 'system:kube-aggregator', rules: [rule(READ, [''], ['endpoints', 'services'])] },
    {
      name: 'system:kube-controller-manager',
      rules: [
        rule(EVENTS_WRITE, ['', 'events.k8s.io'], ['events']),
        rule(['create'], ['coordination.k8s.io'], ['leases']),
        rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
        rule(['create'], [''], ['secrets', 'serviceaccounts']),
        rule(['delete'], [''], ['secrets']),
        rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
        rule(['update'], [''], ['secrets', 'serviceaccounts']),
        rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
        rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
        rule(['list', 'watch'], ['*'], ['*']),
        rule(['create'], [''], ['serviceaccounts/token']),
      ],
    },
    { name: 'system:kube-dns', rules: [rule(['list', 'watch'], [''], ['endpoints', 'services'])] },
    {
      name: 'system:kube-scheduler',
      rules: [
        rule(EVENTS_WRITE, ['', 'events.k8s.io'], ['events']),
        rule(['create'], ['coordination.k8s.io'], ['leases']),
        rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
        rule(READ, [''], ['nodes']),
        rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
        rule(['create'], [''], ['bindings', 'pods/binding']),
        rule(['patch', 'update'], [''], ['pods/status']),
        rule(READ, [''], ['replicationcontrollers', 'services']),
        rule(READ, ['apps', 'extensions'], ['replicasets']),
        rule(READ, ['apps'], ['statefulsets']),
        rule(READ, ['policy'], ['poddisruptionbudgets']),
        rule(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
        rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
        rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
        rule(READ, ['storage.k8s.io'], ['csinodes']),
        rule(READ, [''], ['namespaces']),
        rule(READ, ['storage.k8s.io'], ['csidrivers']),
        rule(READ, ['storage.k8s.io'], ['csistoragecapacities']),
      ],
    },
    {
      name: 'system:kubelet-api-admin',
      rules: [
        rule(READ, [''], ['nodes']),
        rule(['proxy'], [''], ['nodes']),
        rule(['*'], [''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats']),
      ],
    },
    {
      name: 'system:monitoring',
      rules: [
        urls(
          ['get'],
          [
            '/healthz',
            '/healthz/*',
            '/livez',
            '/livez/*',
            '/metrics',
            '/metrics/slis',
            '/readyz',
            '/readyz/*',
          ],
        ),
      ],
    },
    {
      name: 'system:node',
      rules: [
        rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
        rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
        rule(READ, [''], ['services']),
        rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
        rule(['patch', 'update'], [''], ['nodes/status']),
        rule(['patch', 'update'], [''], ['nodes']),
        rule(EVENTS_WRITE, [''], ['events']),
        rule(READ, [''], ['pods']),
        rule(['create', 'delete'], [''], ['pods']),
        rule(['patch', 'update'], [''], ['pods/status']),
        rule(['create'], [''], ['pods/eviction']),
        rule(READ, [''], ['configmaps', 'secrets']),
        rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
        rule(['get'], [''], ['endpoints']),
        rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
        rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
        rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
        rule(['create'], [''], ['serviceaccounts/token']),
        rule(['get', 'patch', 'update'], [''], ['persistentvolumeclaims/status']),
        rule(READ, ['storage.k8s.io'], ['csidrivers']),
        rule(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
        rule(READ, ['node.k8s.io'], ['runtimeclasses']),
      ],
    },
    {
      name: 'system:node-bootstrapper',
      rules: [
        rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
      ],
    },
    {
      name: 'system:node-problem-detector',
      rules: [
        rule(['get'], [''], ['nodes']),
        rule(['patch'], [''], ['nodes/status']),
        rule(EVENTS_WRITE, ['', 'events.k8s.io'], ['events']),
      ],
    },
    {
      name: 'system:node-proxier',
      rules: [
        rule(['list', 'watch'], [''], ['endpoints', 'services']),
        rule(READ, [''], ['nodes']),
        rule(EVENTS_WRITE, ['', 'events.k8s.io'], ['events']),
        rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
      ],
    },
    {
      name: 'system:persistent-volume-provisioner',
      rules: [
        rule(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']),
        rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']),
        rule(READ, ['storage.k8s.io'], ['storageclasses']),
        rule(['watch'], [''], ['events']),
        rule(EVENTS_WRITE, ['', 'events.k8s.io'], ['events']),
      ],
    },
    {
      name: 'system:public-info-viewer',
      rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
    },
    {
      name: 'system:service-account-issuer-discovery',
      rules: [urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks'])],
    },
    {
      name: 'system:volume-scheduler',
      rules: [
        rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes']),
        rule(READ, ['storage.k8s.io'], ['storageclasses']),
        rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumeclaims']),
      ],
    },
    { name: 'view', labels: { [AGGREGATE_TO_EDIT]: 'true' }, aggregates: AGGREGATE_TO_VIEW },
  ];
}

interface BindingSpec {
  name: string;
  subjects: Subject[];
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC_GROUP, name });

/** Each binds the ClusterRole of the same name. */
function bindingSpecs(): BindingSpec[] {
  return [
    { name: 'cluster-admin', subjects: [group('system:masters')] },
    { name: 'system:basic-user', subjects: [group('system:authenticated')] },
    { name: 'system:discovery', subjects: [group('system:authenticated')] },
    { name: 'system:kube-controller-manager', subjects: [user('system:kube-controller-manager')] },
    {
      name: 'system:kube-dns',
      subjects: [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }],
    },
    { name: 'system:kube-scheduler', subjects: [user('system:kube-scheduler')] },
    { name: 'system:monitoring', subjects: [group('system:monitoring')] },
    // Deprecated since the Node authorizer (1.7): kept with no subjects so reconciliation can tighten it.
    { name: 'system:node', subjects: [] },
    { name: 'system:node-proxier', subjects: [user('system:kube-proxy')] },
    {
      name: 'system:public-info-viewer',
      subjects: [group('system:authenticated'), group('system:unauthenticated')],
    },
    { name: 'system:service-account-issuer-discovery', subjects: [group('system:serviceaccounts')] },
    { name: 'system:volume-scheduler', subjects: [user('system:kube-scheduler')] },
  ];
}

function bootstrapMetadata(name: string, labels: Record<string, string> = {}): ClusterRole['metadata'] {
  return {
    name,
    labels: { [BOOTSTRAPPING_LABEL]: BOOTSTRAPPING_VALUE, ...labels },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

export function bootstrapClusterRoles(): ClusterRole[] {
  return roleSpecs().map((spec) => {
    const role: ClusterRole = {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRole',
      metadata: bootstrapMetadata(spec.name, spec.labels),
      rules: spec.aggregates ? null : (spec.rules ?? []),
    };
    if (spec.aggregates)
      role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [spec.aggregates]: 'true' } }] };
    return role;
  });
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return bindingSpecs().map((spec) => {
    // Go field order (subjects before roleRef); `subjects` is omitempty: the system:node binding has none.
    return {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: bootstrapMetadata(spec.name),
      ...(spec.subjects.length > 0 ? { subjects: spec.subjects } : {}),
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: spec.name },
    };
  });
}

/** The bootstrap policy of Kubernetes 1.32 (default feature gates), as the API server creates it. */
export function bootstrapPolicy(): {
  clusterRoles: ClusterRole[];
  clusterRoleBindings: ClusterRoleBinding[];
} {
  return { clusterRoles: bootstrapClusterRoles(), clusterRoleBindings: bootstrapClusterRoleBindings() };
}
