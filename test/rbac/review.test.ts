/** The authorization.k8s.io/v1 review responses: shapes, validation errors and the statuses kube writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../src/apiserver/status.ts';
import { impersonate } from '../../src/rbac/impersonation.ts';
import {
  localSubjectAccessReview,
  selfSubjectAccessReview,
  selfSubjectRulesReview,
  subjectAccessReview,
} from '../../src/rbac/review.ts';
import {
  clusterRole,
  clusterRoleBinding,
  indexWith,
  role,
  roleBinding,
  rule,
  user,
  userSubject,
} from './fixtures.ts';

const index = indexWith({
  clusterRoles: [clusterRole('named', [rule(['get'], [''], ['secrets'], ['a', 'b'])])],
  clusterRoleBindings: [
    clusterRoleBinding('named', 'named', [userSubject('alice')]),
    clusterRoleBinding('broken', 'gone', [userSubject('mia')]),
  ],
  roles: [role('team-a', 'cm', [rule(['update'], [''], ['configmaps'])])],
  roleBindings: [
    roleBinding('team-a', 'viewers', { kind: 'ClusterRole', name: 'view' }, [userSubject('alice')]),
    roleBinding('team-a', 'cm', { kind: 'Role', name: 'cm' }, [userSubject('alice')]),
  ],
});
const alice = user('alice');

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('expected an ApiError');
}

test('SelfSubjectAccessReview: the request comes back with its status', () => {
  const body = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } },
  };
  assert.deepEqual(selfSubjectAccessReview(body, alice, index), {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } },
    status: {
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "viewers/team-a" of ClusterRole "view" to User "alice"',
    },
  });
});

test('SelfSubjectAccessReview: denied has no reason and no denied field (RBAC never denies)', () => {
  const response = selfSubjectAccessReview(
    { spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'secrets', name: 'c' } } },
    alice,
    index,
  );
  assert.deepEqual(response['status'], { allowed: false });
  assert.deepEqual(response['spec'], {
    resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'secrets', name: 'c' },
  });
});

test('SelfSubjectAccessReview: resourceNames match the name; non-resource URLs; system:masters', () => {
  const ask = (resourceAttributes: Record<string, string>) =>
    selfSubjectAccessReview({ spec: { resourceAttributes } }, alice, index)['status'];
  assert.equal(
    (ask({ verb: 'get', resource: 'secrets', name: 'a', namespace: 'x' }) as { allowed: boolean }).allowed,
    true,
  );
  assert.equal(
    (ask({ verb: 'list', resource: 'secrets', name: 'a', namespace: 'x' }) as { allowed: boolean }).allowed,
    false,
  );
  assert.deepEqual(
    selfSubjectAccessReview(
      { spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } },
      alice,
      index,
    )['status'],
    {
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    },
  );
  assert.deepEqual(
    selfSubjectAccessReview(
      { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } },
      user('root', 'system:masters'),
      index,
    )['status'],
    { allowed: true },
  );
});

test('SelfSubjectAccessReview: a missing role is the reason', () => {
  assert.deepEqual(
    selfSubjectAccessReview(
      { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } },
      user('mia'),
      index,
    )['status'],
    { allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' },
  );
});

test('SelfSubjectAccessReview: invalid specs and metadata get kube’s 422', () => {
  const neither = apiError(() => selfSubjectAccessReview({ spec: {} }, alice, index));
  assert.equal(neither.code, 422);
  assert.equal(
    neither.message,
    'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": ' +
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
  );
  const both = apiError(() =>
    selfSubjectAccessReview(
      { spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/x', verb: 'get' } } },
      alice,
      index,
    ),
  );
  assert.equal(
    both.message,
    'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: ' +
      'authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
  );
  const named = apiError(() =>
    selfSubjectAccessReview(
      { metadata: { name: 'n' }, spec: { resourceAttributes: { verb: 'get' } } },
      alice,
      index,
    ),
  );
  assert.match(
    named.message,
    /is invalid: metadata: Invalid value: v1\.ObjectMeta\{Name:"n", GenerateName:"", .*: must be empty$/,
  );
  assert.deepEqual(named.details?.causes?.[0]?.field, 'metadata');
  const typed = apiError(() =>
    selfSubjectAccessReview({ spec: { resourceAttributes: { verb: 3 } } }, alice, index),
  );
  assert.equal(typed.code, 400);
  assert.match(
    typed.message,
    /cannot unmarshal number into Go struct field ResourceAttributes\.spec\.resourceAttributes\.verb of type string$/,
  );
});

test('SubjectAccessReview: the spec’s user, exactly (no system:authenticated added)', () => {
  const body = {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    spec: {
      resourceAttributes: { namespace: 'team-a', verb: 'update', resource: 'configmaps', name: 'c' },
      user: 'alice',
      groups: ['g'],
      extra: { scopes: ['a'] },
      uid: '42',
    },
  };
  assert.deepEqual(subjectAccessReview(body, index), {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status: {
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "cm/team-a" of Role "cm" to User "alice"',
    },
  });
  const discovery = subjectAccessReview(
    { spec: { nonResourceAttributes: { path: '/api', verb: 'get' }, user: 'alice' } },
    index,
  );
  assert.deepEqual(discovery['status'], { allowed: false }, 'alice without system:authenticated');
  const missingUser = apiError(() =>
    subjectAccessReview({ spec: { resourceAttributes: { verb: 'get' } } }, index),
  );
  assert.equal(
    missingUser.message,
    'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
  );
  const two = apiError(() => subjectAccessReview({ spec: {} }, index));
  assert.match(two.message, /is invalid: \[spec\.resourceAttributes: .*, spec\.user: .*\]$/);
  assert.equal(two.details?.causes?.length, 2);
});

test('LocalSubjectAccessReview: namespaced, resource attributes only', () => {
  const body = {
    metadata: { namespace: 'team-a' },
    spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' }, user: 'alice' },
  };
  const response = localSubjectAccessReview(body, 'team-a', index);
  assert.deepEqual(response['metadata'], { namespace: 'team-a', creationTimestamp: null });
  assert.equal((response['status'] as { allowed: boolean }).allowed, true);
  assert.equal(apiError(() => localSubjectAccessReview(body, 'team-b', index)).code, 400);
  const nonResource = apiError(() =>
    localSubjectAccessReview(
      { spec: { nonResourceAttributes: { path: '/x', verb: 'get' }, user: 'a' } },
      'team-a',
      index,
    ),
  );
  assert.match(
    nonResource.message,
    /spec\.nonResourceAttributes: Invalid value: .*: disallowed on this kind of request$/,
  );
});

test('SelfSubjectRulesReview: the status kubectl auth can-i --list reads', () => {
  const response = selfSubjectRulesReview(
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-a' } },
    alice,
    index,
  );
  assert.deepEqual(Object.keys(response), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  assert.deepEqual(response['spec'], {});
  const status = response['status'] as {
    resourceRules: Record<string, unknown>[];
    nonResourceRules: Record<string, unknown>[];
    incomplete: boolean;
  };
  assert.equal(status.incomplete, false);
  assert.ok(!('evaluationError' in status));
  assert.deepEqual(status.resourceRules[0], {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
  });
  assert.ok(
    status.resourceRules.some(
      (rule) =>
        JSON.stringify(rule) ===
        JSON.stringify({
          verbs: ['get'],
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['a', 'b'],
        }),
    ),
  );
  assert.ok(
    status.resourceRules.some(
      (rule) =>
        JSON.stringify(rule) ===
        JSON.stringify({ verbs: ['update'], apiGroups: [''], resources: ['configmaps'] }),
    ),
  );
  assert.ok(
    status.resourceRules.every((rule) => Array.isArray(rule['verbs']) && !('nonResourceURLs' in rule)),
  );
  assert.deepEqual(status.nonResourceRules[0], {
    verbs: ['get'],
    nonResourceURLs: [
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
  });
  const broken = selfSubjectRulesReview({ spec: { namespace: 'x' } }, user('mia'), index)['status'] as Record<
    string,
    unknown
  >;
  assert.equal(broken['evaluationError'], 'clusterrole.rbac.authorization.k8s.io "gone" not found');
  assert.equal(broken['incomplete'], false);
  const noNamespace = apiError(() => selfSubjectRulesReview({ spec: {} }, alice, index));
  assert.equal(noNamespace.code, 400);
  assert.equal(noNamespace.message, 'no namespace on request');
});

test('impersonation: who the request runs as, and the checks that guard it', () => {
  const requester = user('bob');
  const plain = impersonate(requester, { user: 'alice', groups: ['devs'] });
  assert.deepEqual(plain.user, { username: 'alice', groups: ['devs', 'system:authenticated'] });
  assert.deepEqual(
    plain.checks.map((check) => [
      check.verb,
      check.apiGroup,
      check.resource,
      check.namespace ?? '',
      check.name,
    ]),
    [
      ['impersonate', '', 'users', '', 'alice'],
      ['impersonate', '', 'groups', '', 'devs'],
    ],
  );
  const sa = impersonate(requester, { user: 'system:serviceaccount:ci:builder' });
  assert.deepEqual(sa.user.groups, [
    'system:serviceaccounts',
    'system:serviceaccounts:ci',
    'system:authenticated',
  ]);
  assert.deepEqual(sa.checks[0], {
    user: requester,
    verb: 'impersonate',
    resourceRequest: true,
    apiGroup: '',
    resource: 'serviceaccounts',
    namespace: 'ci',
    name: 'builder',
  });
  assert.deepEqual(impersonate(requester, { user: 'system:anonymous' }).user.groups, [
    'system:unauthenticated',
  ]);
  assert.deepEqual(impersonate(requester, { user: 'x', groups: ['system:unauthenticated'] }).user.groups, [
    'system:unauthenticated',
  ]);
  const extras = impersonate(requester, { user: 'x', uid: '7', extra: { scopes: ['a', 'b'] } });
  assert.deepEqual(
    extras.checks.map(
      (check) => `${check.apiGroup}/${check.resource}/${check.subresource ?? ''}:${check.name}`,
    ),
    [
      '/users/:x',
      'authentication.k8s.io/userextras/scopes:a',
      'authentication.k8s.io/userextras/scopes:b',
      'authentication.k8s.io/uids/:7',
    ],
  );
  assert.throws(() => impersonate(requester, { groups: ['g'] }), /without impersonating a user/);
});
