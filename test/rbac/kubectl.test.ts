/**
 * The real kubectl 1.32 against `cloak dev cluster` (RBAC on, the bootstrap policy in place, the objects below
 * applied): `kubectl auth can-i` answers a table of cases from Kubernetes' documented semantics, and prints
 * exactly what `cloak rbac can-i -f` prints offline for the same objects (also --list). Then `cloak rbac can-i`
 * live, reading the objects from that server.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';

const MANIFESTS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-editor, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [update, patch]}
- {apiGroups: [""], resources: [secrets], resourceNames: [db-creds, api-key], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: team-a}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: cm, namespace: team-a}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-editor}
---
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: editors, namespace: team-a}
  subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: broken}
  subjects: [{kind: User, name: mia, apiGroup: rbac.authorization.k8s.io}]
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gone}
`;

async function rbacCluster(t: TestContext): Promise<DevCluster> {
  const cluster = await startDevCluster(t);
  for (const namespace of ['team-a', 'team-b']) await kubectlOk(cluster, ['create', 'namespace', namespace]);
  await kubectlOk(cluster, ['apply', '-f', '-'], MANIFESTS);
  return cluster;
}

/**
 * `kubectl auth can-i` arguments and the answer Kubernetes' RBAC semantics give for them (kubectl appends the
 * authorizer's reason to a "no" when there is one).
 */
const TABLE: [string[], string][] = [
  // view: reads most things, never secrets.
  [['get', 'pods', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['list', 'configmaps', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['watch', 'deployments.apps', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['get', 'secrets', '-n', 'team-a', '--as', 'alice'], 'no'],
  [['list', 'secrets', '-n', 'team-a', '--as', 'alice'], 'no'],
  [['create', 'pods', '-n', 'team-a', '--as', 'alice'], 'no'],
  [['delete', 'configmaps', '-n', 'team-a', '--as', 'alice'], 'no'],
  // A RoleBinding scopes its ClusterRole to its namespace.
  [['get', 'pods', '-n', 'team-b', '--as', 'alice'], 'no'],
  [['get', 'pods', '-A', '--as', 'alice'], 'no'],
  // resourceNames: named gets only; never list, create or deletecollection.
  [['get', 'secrets/db-creds', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['get', 'secrets/api-key', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['get', 'secrets/other', '-n', 'team-a', '--as', 'alice'], 'no'],
  [['update', 'configmaps', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['patch', 'configmaps/anything', '-n', 'team-a', '--as', 'alice'], 'yes'],
  // Subresources are separate resources.
  [['get', 'pods', '--subresource', 'log', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['create', 'pods', '--subresource', 'exec', '-n', 'team-a', '--as', 'alice'], 'no'],
  [['get', 'deployments.apps', '--subresource', 'scale', '-n', 'team-a', '--as', 'alice'], 'yes'],
  // edit (through group devs): secrets yes, RBAC no.
  [['get', 'secrets', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes'],
  [['delete', 'secrets', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes'],
  [['create', 'deployments.apps', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes'],
  [['create', 'pods', '--subresource', 'exec', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes'],
  [['impersonate', 'serviceaccounts', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes'],
  [['create', 'roles.rbac.authorization.k8s.io', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'no'],
  [
    ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'],
    'no',
  ],
  [['get', 'secrets', '-n', 'team-b', '--as', 'bob', '--as-group', 'devs'], 'no'],
  [['list', 'secrets', '-A', '--as', 'bob', '--as-group', 'devs'], 'no'],
  [['get', 'secrets', '-n', 'team-a', '--as', 'bob'], 'no'],
  // Non-resource URLs: discovery and health for authenticated users, nothing else.
  [['get', '/healthz', '--as', 'alice'], 'yes'],
  [['get', '/version', '--as', 'alice'], 'yes'],
  [['get', '/api', '--as', 'alice'], 'yes'],
  [['get', '/openapi/v3', '--as', 'alice'], 'yes'],
  [['get', '/metrics', '--as', 'alice'], 'no'],
  [['post', '/healthz', '--as', 'alice'], 'no'],
  // Self reviews are open to every authenticated user (system:basic-user).
  [['create', 'selfsubjectaccessreviews.authorization.k8s.io', '--as', 'nobody'], 'yes'],
  [['create', 'selfsubjectrulesreviews.authorization.k8s.io', '--as', 'nobody'], 'yes'],
  [['get', 'pods', '-n', 'team-a', '--as', 'nobody'], 'no'],
  // A binding to a missing role grants nothing, and the RBAC authorizer says why.
  [
    ['get', 'pods', '-n', 'team-a', '--as', 'mia'],
    'no - RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
  ],
  // ServiceAccounts: their username and their implied groups.
  [['get', 'pods', '-n', 'team-a', '--as', 'system:serviceaccount:team-a:default'], 'no'],
  [['get', 'configmaps', '-n', 'team-a', '--as', 'system:serviceaccount:team-a:builder'], 'yes'],
  [['get', 'secrets', '-n', 'team-a', '--as', 'system:serviceaccount:team-a:builder'], 'no'],
  [['list', 'pods', '-n', 'team-b', '--as', 'system:serviceaccount:team-b:anyone'], 'yes'],
  [['list', 'pods', '-n', 'team-a', '--as', 'system:serviceaccount:team-b:anyone'], 'no'],
  // system:masters may do anything; cluster-admin through a ClusterRoleBinding too.
  [['*', '*', '-n', 'team-a', '--as', 'root', '--as-group', 'system:masters'], 'yes'],
  [['delete', 'nodes', '--as', 'root', '--as-group', 'system:masters'], 'yes'],
  [['delete', 'secrets', '-n', 'kube-system', '--as', 'ops'], 'yes'],
  [['get', '/metrics', '--as', 'ops'], 'yes'],
  // Aggregation: a ClusterRole labelled for view extends view.
  [['get', 'widgets.example.com', '-n', 'team-a', '--as', 'alice'], 'yes'],
  [['delete', 'widgets.example.com', '-n', 'team-a', '--as', 'alice'], 'no'],
];

const EXTRA_MANIFESTS = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-view, namespace: team-a}
subjects: [{kind: ServiceAccount, name: builder, namespace: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: all-sas-view, namespace: team-b}
subjects: [{kind: Group, name: "system:serviceaccounts:team-b", apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-admin}
subjects: [{kind: User, name: ops, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widget-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}
`;

test('kubectl auth can-i against the local control plane: a table of documented RBAC semantics', async (t) => {
  const cluster = await rbacCluster(t);
  await kubectlOk(cluster, ['apply', '-f', '-'], EXTRA_MANIFESTS);
  // Aggregation runs in the server's control loop, and kubectl resolves widgets.example.com through discovery:
  // wait for both.
  for (let attempt = 0; attempt < 100; attempt++) {
    const rules = await kubectlOk(cluster, ['get', 'clusterrole', 'view', '-o', 'jsonpath={.rules}']);
    const served = await cluster.kubectl(['api-resources', '--api-group', 'example.com', '-o', 'name']);
    if (rules.includes('widgets') && served.stdout.includes('widgets.example.com')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(TABLE.length >= 40, String(TABLE.length));
  const wrong: string[] = [];
  for (const [args, expected] of TABLE) {
    const result = await cluster.kubectl(['auth', 'can-i', ...args]);
    const answer = result.stdout.trim();
    if (answer !== expected)
      wrong.push(`${args.join(' ')}: ${answer || result.stderr.trim()} (expected ${expected})`);
  }
  assert.deepEqual(wrong, []);
});

test('kubectl auth can-i and cloak rbac can-i -f give the same answers (also --list)', async (t) => {
  const cluster = await rbacCluster(t);
  const dir = await tempDir(t);
  const file = await writeTemp(dir, 'rbac.yaml', MANIFESTS);
  const cases = TABLE.map(([args]) => args).filter(
    (args) => !args.join(' ').includes('example.com') && !args.includes('ops'),
  );
  for (const args of cases) {
    const theirs = await cluster.kubectl(['auth', 'can-i', ...args]);
    const ours = await runCloak(['rbac', 'can-i', ...args, '-f', file]);
    const what = args.join(' ');
    assert.equal(ours.stdout, theirs.stdout, `${what}: ${theirs.stderr}`);
    assert.equal(ours.code, theirs.code, `${what}: ${theirs.stderr} / ${ours.stderr}`);
  }
  for (const args of [
    ['-n', 'team-a', '--as', 'alice'],
    ['-n', 'team-a', '--as', 'bob', '--as-group', 'devs'],
    ['-n', 'team-b', '--as', 'alice', '--no-headers'],
    ['-n', 'team-a', '--as', 'mia'],
  ]) {
    const theirs = await cluster.kubectl(['auth', 'can-i', '--list', ...args]);
    const ours = await runCloak(['rbac', 'can-i', '--list', ...args, '-f', file]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout, args.join(' '));
  }
});

test('cloak rbac can-i live: the RBAC objects of the kubeconfig’s cluster, evaluated here', async (t) => {
  const cluster = await rbacCluster(t);
  const env = { KUBECONFIG: cluster.kubeconfig };
  const bob = await runCloak(
    ['rbac', 'can-i', 'get', 'secrets', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs', '--explain'],
    { env },
  );
  assert.equal(bob.code, 0, bob.stderr);
  assert.equal(
    bob.stdout.split('\n').slice(0, 2).join('\n'),
    'yes\nallowed by RoleBinding "editors/team-a" of ClusterRole "edit" to Group "devs"',
  );
  const alice = await runCloak(
    ['rbac', 'can-i', 'get', 'secrets', '-n', 'team-a', '--as', 'alice', '--explain'],
    { env },
  );
  assert.equal(alice.code, 1);
  assert.match(alice.stdout, /^no\nno RBAC rule allows User "alice"/);
  const list = await runCloak(['rbac', 'can-i', '--list', '-n', 'team-a', '--as', 'alice', '--no-headers'], {
    env,
  });
  assert.equal(list.code, 0, list.stderr);
  // Verbs of rules for the same resource are merged in the order the bindings are visited, which Kubernetes
  // leaves unspecified.
  const configmaps = /^configmaps\s+\[\]\s+\[\]\s+\[([a-z ]+)\]$/m.exec(list.stdout);
  assert.deepEqual(
    configmaps?.[1]?.split(' ').sort(),
    ['get', 'list', 'patch', 'update', 'watch'],
    list.stdout,
  );
  const forbidden = await runCloak(['rbac', 'can-i', 'get', 'secrets', '--token', 'wrong'], { env });
  assert.equal(forbidden.code, 1);
  assert.match(forbidden.stderr, /^error: /);
});
