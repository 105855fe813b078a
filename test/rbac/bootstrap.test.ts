/** The default policy: the facts of kube 1.32's bootstrap roles that matter for Secrets, and their aggregation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregatedRules } from '../../src/apiserver/controllers/clusterrole-aggregation.ts';
import type { KubeObject } from '../../src/apiserver/objects/object.ts';
import { aggregateClusterRoles } from '../../src/rbac/aggregation.ts';
import { bootstrapPolicy } from '../../src/rbac/bootstrap.ts';
import { covers, normalRule } from '../../src/rbac/rules.ts';
import type { ClusterRole, PolicyRule } from '../../src/rbac/types.ts';

const aggregated = aggregateClusterRoles(bootstrapPolicy().clusterRoles);
const named = (name: string): ClusterRole => {
  const found = aggregated.find((role) => role.metadata.name === name);
  assert.ok(found, name);
  return found;
};
const rulesOf = (name: string): PolicyRule[] => named(name).rules ?? [];

function verbsOn(rules: readonly PolicyRule[], group: string, resource: string): Set<string> {
  const verbs = new Set<string>();
  for (const rule of rules) {
    if (!(rule.apiGroups ?? []).some((g) => g === group || g === '*')) continue;
    if (!(rule.resources ?? []).some((r) => r === resource || r === '*')) continue;
    for (const verb of rule.verbs) verbs.add(verb);
  }
  return verbs;
}

test('the roles that matter are there, labelled and annotated as kube does', () => {
  const { clusterRoles, clusterRoleBindings } = bootstrapPolicy();
  const names = clusterRoles.map((role) => role.metadata.name);
  for (const name of [
    'cluster-admin',
    'admin',
    'edit',
    'view',
    'system:aggregate-to-admin',
    'system:aggregate-to-edit',
    'system:aggregate-to-view',
    'system:discovery',
    'system:basic-user',
    'system:public-info-viewer',
    'system:kube-controller-manager',
    'system:node',
  ]) {
    assert.ok(names.includes(name), name);
  }
  assert.deepEqual(names, [...names].sort(), 'sorted by name, as the fixtures are');
  for (const object of [...clusterRoles, ...clusterRoleBindings]) {
    assert.equal(object.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
    assert.equal(object.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true');
  }
});

test('admin, edit and view aggregate, and carry the labels that nest them', () => {
  const { clusterRoles } = bootstrapPolicy();
  const raw = (name: string) => clusterRoles.find((role) => role.metadata.name === name);
  for (const [name, label] of [
    ['admin', 'aggregate-to-admin'],
    ['edit', 'aggregate-to-edit'],
    ['view', 'aggregate-to-view'],
  ] as const) {
    assert.equal(raw(name)?.rules, null, `${name} has no rules of its own`);
    assert.deepEqual(raw(name)?.aggregationRule, {
      clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/${label}`]: 'true' } }],
    });
  }
  assert.equal(raw('edit')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin'], 'true');
  assert.equal(raw('view')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
  assert.equal(
    raw('system:aggregate-to-view')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'],
    'true',
  );
});

test('view cannot read secrets; edit reads and writes them', () => {
  assert.deepEqual([...verbsOn(rulesOf('view'), '', 'secrets')], []);
  assert.deepEqual([...verbsOn(rulesOf('system:aggregate-to-view'), '', 'secrets')], []);
  assert.deepEqual([...verbsOn(rulesOf('edit'), '', 'secrets')].sort(), [
    'create',
    'delete',
    'deletecollection',
    'get',
    'list',
    'patch',
    'update',
    'watch',
  ]);
  assert.deepEqual([...verbsOn(rulesOf('admin'), '', 'secrets')].length, 8);
  assert.ok(verbsOn(rulesOf('edit'), '', 'serviceaccounts').has('impersonate'));
  assert.ok(!verbsOn(rulesOf('view'), '', 'pods/exec').has('get'));
  assert.ok(verbsOn(rulesOf('view'), '', 'pods/log').has('get'));
});

test('admin ⊇ edit ⊇ view once aggregated', () => {
  const rules = (name: string) => rulesOf(name).map(normalRule);
  assert.equal(covers(rules('edit'), rules('view')).covered, true);
  assert.equal(covers(rules('admin'), rules('edit')).covered, true);
  assert.equal(covers(rules('view'), rules('edit')).covered, false);
  assert.equal(covers(rules('edit'), rules('admin')).covered, false);
});

test('aggregation is the controller’s own, iterated: edit = aggregate-to-edit then view', () => {
  const asObjects = aggregated as unknown as KubeObject[];
  for (const name of ['admin', 'edit', 'view']) {
    const role = asObjects.find((object) => object.metadata.name === name);
    assert.ok(role);
    assert.deepEqual(
      aggregatedRules(role, asObjects),
      role['rules'],
      `${name} is at the controller's fixed point`,
    );
  }
  const edit = rulesOf('edit');
  assert.deepEqual(
    edit.slice(0, rulesOf('system:aggregate-to-edit').length),
    rulesOf('system:aggregate-to-edit'),
  );
  assert.deepEqual(edit.slice(rulesOf('system:aggregate-to-edit').length), rulesOf('view'));
});

test('the rules are kube’s, in kube’s JSON shape', () => {
  assert.deepEqual(rulesOf('cluster-admin'), [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ]);
  assert.deepEqual(rulesOf('system:basic-user'), [
    {
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    },
    { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  ]);
  assert.deepEqual(rulesOf('system:public-info-viewer'), [
    { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
  ]);
  assert.deepEqual(
    rulesOf('system:kube-controller-manager').filter((rule) => rule.resources?.includes('secrets')),
    [
      { verbs: ['create'], apiGroups: [''], resources: ['secrets', 'serviceaccounts'] },
      { verbs: ['delete'], apiGroups: [''], resources: ['secrets'] },
      {
        verbs: ['get'],
        apiGroups: [''],
        resources: ['configmaps', 'namespaces', 'secrets', 'serviceaccounts'],
      },
      { verbs: ['update'], apiGroups: [''], resources: ['secrets', 'serviceaccounts'] },
    ],
  );
  for (const role of bootstrapPolicy().clusterRoles) {
    for (const rule of role.rules ?? []) {
      for (const list of [
        rule.verbs,
        rule.apiGroups,
        rule.resources,
        rule.resourceNames,
        rule.nonResourceURLs,
      ]) {
        if (list)
          assert.deepEqual(
            list,
            [...list].sort(),
            `${role.metadata.name}: lists are sorted as kube's rule builder sorts them`,
          );
      }
    }
  }
});

test('the bindings: cluster-admin to system:masters, the everyone-roles to their groups', () => {
  const bindings = bootstrapPolicy().clusterRoleBindings;
  const binding = (name: string) => bindings.find((object) => object.metadata.name === name);
  assert.deepEqual(binding('cluster-admin'), {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name: 'cluster-admin',
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  });
  assert.deepEqual(
    binding('system:discovery')?.subjects?.map((s) => s.name),
    ['system:authenticated'],
  );
  assert.deepEqual(
    binding('system:basic-user')?.subjects?.map((s) => s.name),
    ['system:authenticated'],
  );
  assert.deepEqual(
    binding('system:public-info-viewer')?.subjects?.map((s) => s.name),
    ['system:authenticated', 'system:unauthenticated'],
  );
  assert.ok(!('subjects' in (binding('system:node') ?? {})), 'system:node is bound to nobody');
  for (const object of bindings) {
    assert.ok(
      aggregated.some((role) => role.metadata.name === object.roleRef.name),
      `${object.metadata.name} binds an existing role`,
    );
  }
});

test('each call returns fresh objects', () => {
  const first = bootstrapPolicy();
  first.clusterRoles[1]?.rules?.push({ verbs: ['x'] });
  (first.clusterRoleBindings[0]?.subjects ?? []).length = 0;
  const second = bootstrapPolicy();
  assert.equal(second.clusterRoles[1]?.rules?.length, 2);
  assert.equal(second.clusterRoleBindings[0]?.subjects?.length, 1);
});
