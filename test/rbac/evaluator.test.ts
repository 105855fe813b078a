/**
 * The RBAC authorizer against a table derived from Kubernetes' documented semantics (RBAC docs, evaluation_helpers.go,
 * rule.go): each case is a request and the decision and reason kube-apiserver gives for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  authorize,
  buildRbacIndex,
  fieldSelectorExactMatch,
  forbiddenStatus,
  rbacAuthorize,
  requestName,
  ruleAllows,
  rulesFor,
} from '../../src/rbac/evaluator.ts';
import type { RequestAttributes, UserInfo } from '../../src/rbac/types.ts';
import {
  clusterRole,
  clusterRoleBinding,
  groupSubject,
  indexWith,
  role,
  roleBinding,
  rule,
  saSubject,
  urlRule,
  user,
  userSubject,
} from './fixtures.ts';

const index = indexWith({
  clusterRoles: [
    clusterRole('named-secret-reader', [rule(['get', 'list', 'watch'], [''], ['secrets'], ['db-creds'])]),
    clusterRole('named-secret-writer', [
      rule(['create', 'delete', 'deletecollection', 'update'], [''], ['secrets'], ['db-creds']),
    ]),
    clusterRole('pod-logs', [rule(['get'], [''], ['pods/log'])]),
    clusterRole('status-reader', [rule(['get'], ['*'], ['*/status'])]),
    clusterRole('pods-star', [rule(['get'], [''], ['pods/*'])]),
    clusterRole('apps-admin', [rule(['*'], ['apps'], ['*'])]),
    clusterRole('any-group-deployments', [rule(['get'], ['*'], ['deployments'])]),
    clusterRole('metrics-reader', [urlRule(['get'], ['/metrics', '/logs/*'])]),
    clusterRole('debug-urls', [urlRule(['get'], ['/debug/*'])]),
    clusterRole('sa-token-creator', [rule(['create'], [''], ['serviceaccounts/token'], ['builder'])]),
    clusterRole('widget-viewer', [rule(['get', 'list', 'watch'], ['example.com'], ['widgets'])], {
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    }),
  ],
  clusterRoleBindings: [
    clusterRoleBinding('named-readers', 'named-secret-reader', [userSubject('nora')]),
    clusterRoleBinding('named-writers', 'named-secret-writer', [userSubject('nora')]),
    clusterRoleBinding('loggers', 'pod-logs', [userSubject('logan')]),
    clusterRoleBinding('status', 'status-reader', [userSubject('stan')]),
    clusterRoleBinding('pods-star', 'pods-star', [userSubject('pat')]),
    clusterRoleBinding('apps', 'apps-admin', [groupSubject('app-admins')]),
    clusterRoleBinding('any-group', 'any-group-deployments', [userSubject('dee')]),
    clusterRoleBinding('metrics', 'metrics-reader', [groupSubject('monitoring')]),
    clusterRoleBinding('missing', 'does-not-exist', [userSubject('mia')]),
    clusterRoleBinding('ci', 'edit', [saSubject('ci', 'tools')]),
    clusterRoleBinding('sa-without-namespace', 'view', [saSubject('x')]),
  ],
  roles: [role('team-a', 'cm-updater', [rule(['update', 'patch'], [''], ['configmaps'])])],
  roleBindings: [
    roleBinding('team-a', 'viewers', { kind: 'ClusterRole', name: 'view' }, [userSubject('alice')]),
    roleBinding('team-a', 'editors', { kind: 'ClusterRole', name: 'edit' }, [groupSubject('devs')]),
    roleBinding('team-a', 'admins', { kind: 'ClusterRole', name: 'admin' }, [userSubject('ada')]),
    roleBinding('team-a', 'cm', { kind: 'Role', name: 'cm-updater' }, [userSubject('carl')]),
    roleBinding('team-a', 'debug', { kind: 'ClusterRole', name: 'debug-urls' }, [userSubject('dan')]),
    roleBinding('team-a', 'local-sa', { kind: 'ClusterRole', name: 'view' }, [saSubject('builder')]),
    roleBinding('team-a', 'robots', { kind: 'ClusterRole', name: 'edit' }, [
      groupSubject('system:serviceaccounts:robots'),
    ]),
    roleBinding('team-a', 'broken', { kind: 'Role', name: 'nope' }, [userSubject('mo')]),
    roleBinding('team-a', 'tokens', { kind: 'ClusterRole', name: 'sa-token-creator' }, [userSubject('tina')]),
    roleBinding('team-b', 'anonymous-view', { kind: 'ClusterRole', name: 'view' }, [
      groupSubject('system:unauthenticated'),
    ]),
  ],
});

const sa = (namespace: string, name: string): UserInfo => ({
  username: `system:serviceaccount:${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
});
const anonymous: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

function res(
  who: UserInfo,
  verb: string,
  resource: string,
  options: { group?: string; namespace?: string; name?: string; fieldSelector?: string } = {},
): RequestAttributes {
  const [plural = '', subresource = ''] = resource.split('/');
  return {
    user: who,
    verb,
    resourceRequest: true,
    apiGroup: options.group ?? '',
    resource: plural,
    subresource,
    name: options.name ?? '',
    namespace: options.namespace ?? '',
    fieldSelector: options.fieldSelector,
  };
}

function url(who: UserInfo, verb: string, path: string): RequestAttributes {
  return { user: who, verb, resourceRequest: false, path };
}

const A = { namespace: 'team-a' };
const alice = user('alice');
const bob = user('bob', 'devs');
const ada = user('ada');
const nora = user('nora');
const carl = user('carl');

interface Case {
  title: string;
  request: RequestAttributes;
  allowed: boolean;
  /** The exact reason, when the case pins it. */
  reason?: string;
}

const cases: Case[] = [
  // The default roles and Secrets: view cannot read them, edit and admin can.
  { title: 'view cannot get secrets', request: res(alice, 'get', 'secrets', A), allowed: false, reason: '' },
  { title: 'view cannot list secrets', request: res(alice, 'list', 'secrets', A), allowed: false },
  { title: 'view cannot watch secrets', request: res(alice, 'watch', 'secrets', A), allowed: false },
  {
    title: 'view gets pods, through a RoleBinding to a ClusterRole',
    request: res(alice, 'get', 'pods', A),
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "viewers/team-a" of ClusterRole "view" to User "alice"',
  },
  {
    title: 'a RoleBinding grants nothing in another namespace',
    request: res(alice, 'get', 'pods', { namespace: 'team-b' }),
    allowed: false,
  },
  {
    title: 'a RoleBinding grants nothing at the cluster scope',
    request: res(alice, 'list', 'pods'),
    allowed: false,
  },
  { title: 'view reads pods/log', request: res(alice, 'get', 'pods/log', A), allowed: true },
  { title: 'view cannot exec', request: res(alice, 'create', 'pods/exec', A), allowed: false },
  { title: 'view cannot create pods', request: res(alice, 'create', 'pods', A), allowed: false },
  {
    title: 'edit gets secrets (Group subject)',
    request: res(bob, 'get', 'secrets', A),
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "editors/team-a" of ClusterRole "edit" to Group "devs"',
  },
  {
    title: 'edit deletes secrets',
    request: res(bob, 'delete', 'secrets', { ...A, name: 'x' }),
    allowed: true,
  },
  {
    title: 'edit deletes collections of secrets',
    request: res(bob, 'deletecollection', 'secrets', A),
    allowed: true,
  },
  {
    title: 'edit in one namespace only',
    request: res(bob, 'create', 'secrets', { namespace: 'team-b' }),
    allowed: false,
  },
  {
    title: 'edit impersonates service accounts',
    request: res(bob, 'impersonate', 'serviceaccounts', A),
    allowed: true,
  },
  {
    title: 'edit evicts pods',
    request: res(bob, 'create', 'pods/eviction', { ...A, name: 'p' }),
    allowed: true,
  },
  {
    title: 'edit cannot write rolebindings',
    request: res(bob, 'create', 'rolebindings', { ...A, group: 'rbac.authorization.k8s.io' }),
    allowed: false,
  },
  {
    title: 'admin writes rolebindings',
    request: res(ada, 'create', 'rolebindings', { ...A, group: 'rbac.authorization.k8s.io' }),
    allowed: true,
  },
  {
    title: 'admin aggregates edit: secrets',
    request: res(ada, 'update', 'secrets', { ...A, name: 's' }),
    allowed: true,
  },
  {
    title: 'view aggregates custom roles labelled aggregate-to-view',
    request: res(alice, 'list', 'widgets', { ...A, group: 'example.com' }),
    allowed: true,
  },
  {
    title: 'admin aggregates them too, through edit and view',
    request: res(ada, 'watch', 'widgets', { ...A, group: 'example.com' }),
    allowed: true,
  },
  // resourceNames
  {
    title: 'resourceNames: get of the named secret',
    request: res(nora, 'get', 'secrets', { ...A, name: 'db-creds' }),
    allowed: true,
    reason:
      'RBAC: allowed by ClusterRoleBinding "named-readers" of ClusterRole "named-secret-reader" to User "nora"',
  },
  {
    title: 'resourceNames: get of another secret',
    request: res(nora, 'get', 'secrets', { ...A, name: 'other' }),
    allowed: false,
  },
  {
    title: 'resourceNames: list without a selector',
    request: res(nora, 'list', 'secrets', A),
    allowed: false,
  },
  {
    title: 'resourceNames: list with metadata.name=',
    request: res(nora, 'list', 'secrets', { ...A, fieldSelector: 'metadata.name=db-creds' }),
    allowed: true,
  },
  {
    title: 'resourceNames: watch with metadata.name==',
    request: res(nora, 'watch', 'secrets', { ...A, fieldSelector: 'metadata.name==db-creds' }),
    allowed: true,
  },
  {
    title: 'resourceNames: list selecting another name',
    request: res(nora, 'list', 'secrets', { ...A, fieldSelector: 'metadata.name=other' }),
    allowed: false,
  },
  {
    title: 'resourceNames: list with metadata.name!=',
    request: res(nora, 'list', 'secrets', { ...A, fieldSelector: 'metadata.name!=db-creds' }),
    allowed: false,
  },
  {
    title: 'resourceNames: list with the name among other terms',
    request: res(nora, 'list', 'secrets', { ...A, fieldSelector: 'type=Opaque,metadata.name=db-creds' }),
    allowed: true,
  },
  { title: 'resourceNames never allow create', request: res(nora, 'create', 'secrets', A), allowed: false },
  {
    title: 'resourceNames: deletecollection ignores field selectors',
    request: res(nora, 'deletecollection', 'secrets', { ...A, fieldSelector: 'metadata.name=db-creds' }),
    allowed: false,
  },
  {
    title: 'resourceNames: delete of the named secret',
    request: res(nora, 'delete', 'secrets', { ...A, name: 'db-creds' }),
    allowed: true,
  },
  {
    title: 'resourceNames: update of the named secret',
    request: res(nora, 'update', 'secrets', { ...A, name: 'db-creds' }),
    allowed: true,
  },
  {
    title: 'resourceNames on a subresource create (the name is in the URL)',
    request: res(user('tina'), 'create', 'serviceaccounts/token', { ...A, name: 'builder' }),
    allowed: true,
  },
  {
    title: 'resourceNames on a subresource create, another name',
    request: res(user('tina'), 'create', 'serviceaccounts/token', { ...A, name: 'deployer' }),
    allowed: false,
  },
  // subresources and wildcards
  { title: 'pods/log allows the log', request: res(user('logan'), 'get', 'pods/log', A), allowed: true },
  { title: 'pods/log does not allow pods', request: res(user('logan'), 'get', 'pods', A), allowed: false },
  {
    title: '*/status in any group',
    request: res(user('stan'), 'get', 'deployments/status', { ...A, group: 'apps' }),
    allowed: true,
  },
  {
    title: '*/status does not allow the object',
    request: res(user('stan'), 'get', 'deployments', { ...A, group: 'apps' }),
    allowed: false,
  },
  { title: 'pods/* is not a wildcard', request: res(user('pat'), 'get', 'pods/log', A), allowed: false },
  {
    title: 'resources * covers every resource of the group',
    request: res(user('eve', 'app-admins'), 'delete', 'deployments', { ...A, group: 'apps', name: 'd' }),
    allowed: true,
  },
  {
    title: 'resources * covers subresources',
    request: res(user('eve', 'app-admins'), 'update', 'deployments/scale', {
      ...A,
      group: 'apps',
      name: 'd',
    }),
    allowed: true,
  },
  {
    title: 'apps is not extensions',
    request: res(user('eve', 'app-admins'), 'get', 'deployments', { ...A, group: 'extensions' }),
    allowed: false,
  },
  {
    title: 'apiGroups * matches any group',
    request: res(user('dee'), 'get', 'deployments', { ...A, group: 'extensions' }),
    allowed: true,
  },
  {
    title: 'a resource does not cover its subresources',
    request: res(user('dee'), 'get', 'deployments/scale', { ...A, group: 'apps' }),
    allowed: false,
  },
  // non-resource URLs
  { title: 'URL exact match', request: url(user('mon', 'monitoring'), 'get', '/metrics'), allowed: true },
  {
    title: 'URL prefix match with a trailing *',
    request: url(user('mon', 'monitoring'), 'get', '/logs/kube-apiserver.log'),
    allowed: true,
  },
  {
    title: 'URL prefix does not match the bare prefix',
    request: url(user('mon', 'monitoring'), 'get', '/logs'),
    allowed: false,
  },
  {
    title: 'URL verb is the HTTP method',
    request: url(user('mon', 'monitoring'), 'post', '/metrics'),
    allowed: false,
  },
  {
    title: 'URL rules through a RoleBinding grant nothing',
    request: url(user('dan'), 'get', '/debug/pprof'),
    allowed: false,
  },
  {
    title: 'system:discovery for authenticated users',
    request: url(alice, 'get', '/apis/apps/v1'),
    allowed: true,
    reason:
      'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
  },
  { title: 'anonymous: /healthz is public', request: url(anonymous, 'get', '/healthz'), allowed: true },
  { title: 'anonymous: discovery is not', request: url(anonymous, 'get', '/api'), allowed: false },
  {
    title: 'anonymous: system:unauthenticated bindings apply',
    request: res(anonymous, 'get', 'pods', { namespace: 'team-b' }),
    allowed: true,
  },
  // Roles and subjects
  {
    title: 'a RoleBinding to a Role',
    request: res(carl, 'patch', 'configmaps', { ...A, name: 'c' }),
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "cm/team-a" of Role "cm-updater" to User "carl"',
  },
  {
    title: 'a Role is of its namespace only',
    request: res(carl, 'patch', 'configmaps', { namespace: 'team-b', name: 'c' }),
    allowed: false,
  },
  {
    title: 'a ServiceAccount subject without namespace is of the RoleBinding namespace',
    request: res(sa('team-a', 'builder'), 'get', 'pods', A),
    allowed: true,
    reason:
      'RBAC: allowed by RoleBinding "local-sa/team-a" of ClusterRole "view" to ServiceAccount "builder/team-a"',
  },
  {
    title: 'the same SA name in another namespace is another user',
    request: res(sa('team-b', 'builder'), 'get', 'pods', A),
    allowed: false,
  },
  {
    title: 'a ServiceAccount in a ClusterRoleBinding',
    request: res(sa('tools', 'ci'), 'get', 'secrets', { namespace: 'anywhere' }),
    allowed: true,
    reason: 'RBAC: allowed by ClusterRoleBinding "ci" of ClusterRole "edit" to ServiceAccount "ci/tools"',
  },
  {
    title: 'a ClusterRoleBinding SA subject without namespace matches nobody',
    request: res(sa('default', 'x'), 'get', 'pods', { namespace: 'default' }),
    allowed: false,
  },
  {
    title: 'system:serviceaccounts:<ns> group',
    request: res(sa('robots', 'r2'), 'get', 'secrets', A),
    allowed: true,
  },
  {
    title: 'system:basic-user for everyone authenticated',
    request: res(alice, 'create', 'selfsubjectaccessreviews', { group: 'authorization.k8s.io' }),
    allowed: true,
  },
  {
    title: 'system:node has no subjects',
    request: res(user('system:node:n1', 'system:nodes'), 'get', 'secrets', A),
    allowed: false,
  },
  {
    title: 'kube-controller-manager lists everything',
    request: res(user('system:kube-controller-manager'), 'list', 'secrets'),
    allowed: true,
  },
  // system:masters and missing roles
  {
    title: 'system:masters is always allowed',
    request: res(user('root', 'system:masters'), 'delete', 'nodes', { name: 'n1' }),
    allowed: true,
    reason: '',
  },
  {
    title: 'a binding to a missing ClusterRole is skipped, its error is the reason',
    request: res(user('mia'), 'get', 'pods', A),
    allowed: false,
    reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "does-not-exist" not found',
  },
  {
    title: 'a binding to a missing Role',
    request: res(user('mo'), 'get', 'pods', A),
    allowed: false,
    reason: 'RBAC: role.rbac.authorization.k8s.io "nope" not found',
  },
];

for (const c of cases) {
  test(`authorize: ${c.title}`, () => {
    const decision = authorize(c.request, index);
    assert.equal(decision.allowed, c.allowed, decision.reason);
    if (c.reason !== undefined) assert.equal(decision.reason, c.reason);
  });
}

test('the table has at least 40 cases', () => {
  assert.ok(cases.length >= 40, String(cases.length));
});

test('the decision names the binding, the role and the rule', () => {
  const decision = authorize(res(bob, 'get', 'secrets', A), index);
  assert.deepEqual(decision.binding, {
    kind: 'RoleBinding',
    name: 'editors',
    namespace: 'team-a',
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subject: { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
  });
  assert.deepEqual(decision.role, { kind: 'ClusterRole', name: 'edit' });
  assert.ok(decision.rule?.resources?.includes('secrets'));
  assert.ok(decision.rule?.verbs.includes('get'));
});

test('system:masters is decided before RBAC; rbacAuthorize alone still needs a binding', () => {
  const root: UserInfo = { username: 'root', groups: ['system:masters'] };
  const empty = buildRbacIndex({});
  assert.equal(authorize(res(root, 'get', 'secrets', A), empty).privilegedGroup, 'system:masters');
  assert.equal(rbacAuthorize(res(root, 'get', 'secrets', A), empty).allowed, false);
  // With the default policy, the cluster-admin binding allows them through RBAC too.
  const viaRbac = rbacAuthorize(res(root, 'get', 'secrets', A), index);
  assert.equal(
    viaRbac.reason,
    'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
  );
});

test('several missing roles are reported together, each once', () => {
  const broken = buildRbacIndex({
    clusterRoleBindings: [
      clusterRoleBinding('a', 'gone-1', [userSubject('u')]),
      clusterRoleBinding('b', 'gone-2', [userSubject('u')]),
      clusterRoleBinding('c', 'gone-1', [userSubject('u')]),
    ],
  });
  assert.equal(
    authorize(res(user('u'), 'get', 'pods', A), broken).reason,
    'RBAC: [clusterrole.rbac.authorization.k8s.io "gone-1" not found, clusterrole.rbac.authorization.k8s.io "gone-2" not found]',
  );
});

test('later objects with the same name replace earlier ones', () => {
  const replaced = buildRbacIndex({
    clusterRoles: [
      clusterRole('r', [rule(['get'], [''], ['pods'])]),
      clusterRole('r', [rule(['get'], [''], ['secrets'])]),
    ],
    clusterRoleBindings: [clusterRoleBinding('b', 'r', [userSubject('u')])],
  });
  assert.equal(authorize(res(user('u'), 'get', 'pods', A), replaced).allowed, false);
  assert.equal(authorize(res(user('u'), 'get', 'secrets', A), replaced).allowed, true);
});

test('malformed objects are read as empty, never thrown on', () => {
  const odd = buildRbacIndex({
    clusterRoles: [
      {
        metadata: { name: 'odd' },
        rules: [{ verbs: 'get' }, null, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      },
    ],
    clusterRoleBindings: [
      {
        metadata: { name: 'b' },
        subjects: [{ kind: 'User', name: 'u' }, 7],
        roleRef: { kind: 'ClusterRole', name: 'odd' },
      },
      {},
    ],
  });
  assert.equal(authorize(res(user('u'), 'get', 'pods', A), odd).allowed, true);
});

test('ruleAllows: the matching rules one by one', () => {
  const get = (resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => ({
    ...res(alice, 'get', resource, A),
    ...extra,
  });
  assert.equal(ruleAllows(get('pods'), rule(['*'], [''], ['pods'])), true);
  assert.equal(ruleAllows(get('pods'), rule(['list'], [''], ['pods'])), false);
  assert.equal(ruleAllows(get('pods'), rule(['get'], ['apps'], ['pods'])), false);
  assert.equal(ruleAllows(get('pods'), rule(['get'], [''], ['*/status'])), false);
  assert.equal(ruleAllows(get('pods/status'), rule(['get'], [''], ['*/status'])), true);
  assert.equal(ruleAllows(get('pods/status'), rule(['get'], [''], ['*/stat'])), false);
  assert.equal(ruleAllows(get('pods/*'), rule(['get'], [''], ['pods/*'])), true);
  assert.equal(ruleAllows(get('pods'), rule(['get'], [''], ['pods'], ['a'])), false);
  assert.equal(ruleAllows(url(alice, 'get', '/a/b'), urlRule(['get'], ['/a**'])), true);
  assert.equal(ruleAllows(url(alice, 'get', '/anything'), urlRule(['get'], ['*'])), true);
  assert.equal(ruleAllows(url(alice, 'get', '/pods'), rule(['get'], ['*'], ['*'])), false);
  assert.equal(ruleAllows(get('pods'), urlRule(['*'], ['*'])), false);
});

test('field selectors: what metadata.name a list requires', () => {
  assert.equal(fieldSelectorExactMatch('metadata.name=a', 'metadata.name'), 'a');
  assert.equal(fieldSelectorExactMatch('metadata.name==a', 'metadata.name'), 'a');
  assert.equal(fieldSelectorExactMatch('metadata.name!=a', 'metadata.name'), undefined);
  assert.equal(fieldSelectorExactMatch('x=1,metadata.name=a', 'metadata.name'), 'a');
  // kube sorts the terms: the first of two names after sorting wins.
  assert.equal(fieldSelectorExactMatch('metadata.name=b,metadata.name=a', 'metadata.name'), 'a');
  assert.equal(fieldSelectorExactMatch('metadata.name=a\\,b', 'metadata.name'), 'a,b');
  assert.equal(fieldSelectorExactMatch('metadata.name=a=b', 'metadata.name'), undefined);
  assert.equal(fieldSelectorExactMatch('nonsense', 'metadata.name'), undefined);
  assert.equal(fieldSelectorExactMatch('', 'metadata.name'), undefined);
  const list = (fieldSelector: string, verb = 'list'): string =>
    requestName({ user: alice, verb, resourceRequest: true, resource: 'secrets', fieldSelector });
  assert.equal(list('metadata.name=x'), 'x');
  assert.equal(list('metadata.name=x', 'get'), '');
  assert.equal(list('metadata.name=..'), '', 'not a valid path segment');
  assert.equal(list('metadata.name=a/b'), '');
});

test('rulesFor lists cluster rules, then the namespace rules', () => {
  const { rules, errors } = rulesFor(alice, 'team-a', index);
  assert.deepEqual(errors, []);
  const sources = [
    ...new Set(rules.map((entry) => `${entry.source.binding.kind}/${entry.source.binding.name}`)),
  ];
  assert.deepEqual(sources, [
    'ClusterRoleBinding/system:basic-user',
    'ClusterRoleBinding/system:discovery',
    'ClusterRoleBinding/system:public-info-viewer',
    'RoleBinding/viewers',
  ]);
});

test('the 403 message for a denied request, as kube-apiserver writes it', () => {
  assert.deepEqual(forbiddenStatus(res(alice, 'get', 'secrets', { ...A, name: 'db' }), ''), {
    code: 403,
    reason: 'Forbidden',
    message:
      'secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "team-a"',
    details: { name: 'db', kind: 'secrets' },
  });
  assert.equal(
    forbiddenStatus(res(alice, 'list', 'deployments/scale', { group: 'apps' }), 'RBAC: x').message,
    'deployments.apps is forbidden: User "alice" cannot list resource "deployments/scale" in API group "apps" at the cluster scope: RBAC: x',
  );
  assert.equal(
    forbiddenStatus(res(alice, 'list', 'secrets', { ...A, fieldSelector: 'metadata.name=s1' }), '').message,
    'secrets "s1" is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "team-a"',
  );
  assert.equal(
    forbiddenStatus(url(alice, 'get', '/metrics'), '').message,
    'forbidden: User "alice" cannot get path "/metrics"',
  );
});
