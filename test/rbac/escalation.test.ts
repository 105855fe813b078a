/** Escalation prevention: who may write Roles, ClusterRoles and bindings, and kube's 403 texts when they may not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRbacIndex } from '../../src/rbac/evaluator.ts';
import {
  AGGREGATION_RULE_MESSAGE,
  checkEscalation,
  confirmNoEscalation,
  onlyGarbageCollectionFieldsChanged,
  type EscalationRequest,
} from '../../src/rbac/escalation.ts';
import { covers, normalRule } from '../../src/rbac/rules.ts';
import type { ClusterRole, PolicyRule, UserInfo } from '../../src/rbac/types.ts';
import {
  clusterRole,
  clusterRoleBinding,
  groupSubject,
  indexWith,
  role,
  roleBinding,
  rule,
  urlRule,
  user,
  userSubject,
} from './fixtures.ts';

const index = indexWith({
  clusterRoles: [
    clusterRole('role-escalator', [rule(['escalate'], ['rbac.authorization.k8s.io'], ['roles'])]),
    clusterRole('named-escalator', [rule(['escalate'], ['rbac.authorization.k8s.io'], ['roles'], ['r'])]),
    clusterRole('admin-binder', [rule(['bind'], ['rbac.authorization.k8s.io'], ['clusterroles'], ['admin'])]),
    clusterRole('almost-everything', [rule(['get', 'list'], ['*'], ['*'])]),
  ],
  clusterRoleBindings: [
    clusterRoleBinding('root-like', 'cluster-admin', [userSubject('root')]),
    clusterRoleBinding('readers', 'almost-everything', [userSubject('reader')]),
    clusterRoleBinding('gone', 'gone', [userSubject('unlucky')]),
  ],
  roles: [role('team-a', 'secret-reader', [rule(['get'], [''], ['secrets'])])],
  roleBindings: [
    roleBinding('team-a', 'editors', { kind: 'ClusterRole', name: 'edit' }, [groupSubject('devs')]),
    roleBinding('team-a', 'escalators', { kind: 'ClusterRole', name: 'role-escalator' }, [
      userSubject('esc'),
    ]),
    roleBinding('team-a', 'named-escalators', { kind: 'ClusterRole', name: 'named-escalator' }, [
      userSubject('nes'),
    ]),
    roleBinding('team-a', 'binders', { kind: 'ClusterRole', name: 'admin-binder' }, [userSubject('binder')]),
    roleBinding('team-a', 'unlucky-edit', { kind: 'ClusterRole', name: 'edit' }, [userSubject('unlucky')]),
  ],
});

const bob = user('bob', 'devs');

function roleRequest(
  who: UserInfo,
  rules: PolicyRule[],
  extra: Partial<EscalationRequest> = {},
): EscalationRequest {
  return {
    user: who,
    resource: 'roles',
    operation: 'create',
    object: role('team-a', 'r', rules),
    namespace: 'team-a',
    ...extra,
  };
}

function bindingRequest(
  who: UserInfo,
  namespace: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
): EscalationRequest {
  return {
    user: who,
    resource: 'rolebindings',
    operation: 'create',
    object: roleBinding(namespace, 'b', roleRef, [userSubject('someone')]),
    namespace,
  };
}

test('a Role within the rules the writer holds is allowed', () => {
  const result = checkEscalation(roleRequest(bob, [rule(['get', 'list'], [''], ['secrets'])]), index);
  assert.deepEqual(result, { allowed: true, via: 'rules-held' });
});

test('a Role granting more is refused with kube’s message', () => {
  const result = checkEscalation(
    roleRequest(bob, [
      rule(['get'], [''], ['secrets']),
      rule(['create', 'delete'], ['rbac.authorization.k8s.io'], ['rolebindings']),
    ]),
    index,
  );
  assert.equal(result.allowed, false);
  assert.equal(
    result.allowed ? '' : result.message,
    'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) ' +
      'is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["create" "delete"]}',
  );
  assert.deepEqual(result.allowed ? {} : result.details, {
    name: 'r',
    group: 'rbac.authorization.k8s.io',
    kind: 'roles',
  });
});

test('missing permissions are compacted per resource and sorted', () => {
  const result = checkEscalation(
    roleRequest(bob, [
      rule(['list', 'get'], ['', 'apps'], ['nodes', 'secrets']),
      urlRule(['get'], ['/metrics']),
    ]),
    index,
  );
  assert.equal(result.allowed, false);
  const lines = (result.allowed ? '' : result.message).split('\n').slice(1);
  assert.deepEqual(lines, [
    '{APIGroups:[""], Resources:["nodes"], Verbs:["list" "get"]}',
    '{APIGroups:["apps"], Resources:["nodes"], Verbs:["list" "get"]}',
    '{APIGroups:["apps"], Resources:["secrets"], Verbs:["list" "get"]}',
    '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
  ]);
});

test('namespace rights do not cover a ClusterRole', () => {
  const result = checkEscalation(
    {
      user: bob,
      resource: 'clusterroles',
      operation: 'create',
      object: clusterRole('c', [rule(['get'], [''], ['secrets'])]),
      namespace: '',
    },
    index,
  );
  assert.equal(result.allowed, false);
  assert.match(
    result.allowed ? '' : result.message,
    /^clusterroles\.rbac\.authorization\.k8s\.io "c" is forbidden: user "bob"/,
  );
});

test('escalate on roles allows granting anything', () => {
  const result = checkEscalation(roleRequest(user('esc'), [rule(['*'], ['*'], ['*'])]), index);
  assert.deepEqual(result, { allowed: true, via: 'escalate' });
});

test('escalate limited by resourceNames helps updates, never creates', () => {
  const wants = [rule(['*'], ['*'], ['*'])];
  assert.equal(checkEscalation(roleRequest(user('nes'), wants), index).allowed, false);
  assert.deepEqual(checkEscalation(roleRequest(user('nes'), wants, { operation: 'update' }), index), {
    allowed: true,
    via: 'escalate',
  });
});

test('system:masters may grant anything', () => {
  const result = checkEscalation(
    roleRequest(user('root', 'system:masters'), [rule(['*'], ['*'], ['*'])]),
    index,
  );
  assert.deepEqual(result, { allowed: true, via: 'privileged-group' });
});

test('binding a role the writer covers is allowed; a bigger one is not', () => {
  assert.deepEqual(
    checkEscalation(bindingRequest(bob, 'team-a', { kind: 'ClusterRole', name: 'view' }), index),
    {
      allowed: true,
      via: 'rules-held',
    },
  );
  assert.deepEqual(
    checkEscalation(bindingRequest(bob, 'team-a', { kind: 'Role', name: 'secret-reader' }), index),
    {
      allowed: true,
      via: 'rules-held',
    },
  );
  const admin = checkEscalation(bindingRequest(bob, 'team-a', { kind: 'ClusterRole', name: 'admin' }), index);
  assert.equal(admin.allowed, false);
  const message = admin.allowed ? '' : admin.message;
  assert.match(
    message,
    /^rolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: user "bob" \(groups=\["devs" "system:authenticated"\]\)/,
  );
  assert.ok(
    message.includes(
      '\n{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["create" "delete" "deletecollection" "get" "list" "patch" "update" "watch"]}',
    ),
    message,
  );
  assert.ok(
    message.includes(
      '\n{APIGroups:["authorization.k8s.io"], Resources:["localsubjectaccessreviews"], Verbs:["create"]}',
    ),
    message,
  );
});

test('edit rights do not reach into another namespace', () => {
  const result = checkEscalation(bindingRequest(bob, 'team-b', { kind: 'ClusterRole', name: 'view' }), index);
  assert.equal(result.allowed, false);
});

test('bind on a named ClusterRole allows binding it in that namespace only', () => {
  assert.deepEqual(
    checkEscalation(bindingRequest(user('binder'), 'team-a', { kind: 'ClusterRole', name: 'admin' }), index),
    {
      allowed: true,
      via: 'bind',
    },
  );
  assert.equal(
    checkEscalation(bindingRequest(user('binder'), 'team-b', { kind: 'ClusterRole', name: 'admin' }), index)
      .allowed,
    false,
  );
  assert.equal(
    checkEscalation(bindingRequest(user('binder'), 'team-a', { kind: 'ClusterRole', name: 'edit' }), index)
      .allowed,
    false,
  );
});

test('a ClusterRoleBinding needs the rules at the cluster scope', () => {
  const request: EscalationRequest = {
    user: bob,
    resource: 'clusterrolebindings',
    operation: 'create',
    object: clusterRoleBinding('crb', 'view', [userSubject('x')]),
    namespace: '',
  };
  assert.equal(checkEscalation(request, index).allowed, false);
  // cluster-admin holds every verb, bind included.
  assert.deepEqual(checkEscalation({ ...request, user: user('root') }, index), {
    allowed: true,
    via: 'bind',
  });
});

test('binding a missing role is refused with the registry’s not-found text', () => {
  const result = checkEscalation(bindingRequest(bob, 'team-a', { kind: 'Role', name: 'nope' }), index);
  assert.equal(result.allowed, false);
  assert.equal(
    result.allowed ? '' : result.message,
    'rolebindings.rbac.authorization.k8s.io "b" is forbidden: roles.rbac.authorization.k8s.io "nope" not found',
  );
});

test('an aggregationRule needs * on *.* even when every rule is held', () => {
  const aggregating: ClusterRole = {
    ...clusterRole('agg', [rule(['get'], [''], ['pods'])]),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
  };
  const request: EscalationRequest = {
    user: user('reader'),
    resource: 'clusterroles',
    operation: 'create',
    object: aggregating,
    namespace: '',
  };
  const result = checkEscalation(request, index);
  assert.equal(result.allowed, false);
  assert.equal(
    result.allowed ? '' : result.message,
    `clusterroles.rbac.authorization.k8s.io "agg" is forbidden: ${AGGREGATION_RULE_MESSAGE}`,
  );
  // `*` on `*.*` includes escalate, so whoever holds it passes before the rules are compared.
  assert.deepEqual(checkEscalation({ ...request, user: user('root') }, index), {
    allowed: true,
    via: 'escalate',
  });
  // Removing the aggregationRule is checked against the old object too.
  const removed = checkEscalation(
    {
      ...request,
      operation: 'update',
      object: clusterRole('agg', [rule(['get'], [''], ['pods'])]),
      oldObject: aggregating,
    },
    index,
  );
  assert.equal(removed.allowed, false);
  // An empty aggregationRule (no selectors) does not count.
  const empty = checkEscalation(
    { ...request, object: { ...aggregating, aggregationRule: { clusterRoleSelectors: [] } } },
    index,
  );
  assert.deepEqual(empty, { allowed: true, via: 'rules-held' });
});

test('updates that only change garbage-collection fields pass', () => {
  const old = role('team-a', 'r', [rule(['*'], ['*'], ['*'])]);
  const updated = {
    ...old,
    metadata: {
      ...old.metadata,
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'u' }],
      finalizers: ['x'],
    },
  };
  assert.equal(onlyGarbageCollectionFieldsChanged(updated, old), true);
  assert.equal(
    onlyGarbageCollectionFieldsChanged(
      { ...updated, metadata: { ...updated.metadata, labels: { a: 'b' } } },
      old,
    ),
    false,
  );
  assert.equal(
    onlyGarbageCollectionFieldsChanged({ ...old, rules: [] }, { ...old, rules: null }),
    true,
    'empty equals null',
  );
  assert.deepEqual(
    checkEscalation(roleRequest(bob, [], { operation: 'update', object: updated, oldObject: old }), index),
    {
      allowed: true,
      via: 'gc-fields-only',
    },
  );
});

test('role lookup errors of the writer are appended to the message', () => {
  const result = confirmNoEscalation(user('unlucky'), 'team-a', [rule(['create'], [''], ['nodes'])], index);
  assert.equal(result.ok, false);
  assert.ok(
    (result.ok ? '' : result.message).endsWith(
      '\n{APIGroups:[""], Resources:["nodes"], Verbs:["create"]}; resolution errors: [clusterroles.rbac.authorization.k8s.io "gone" not found]',
    ),
  );
});

test('a role without a name (generateName) is named nowhere in the message', () => {
  const result = checkEscalation(
    {
      ...roleRequest(bob, [rule(['create'], [''], ['nodes'])]),
      object: {
        metadata: { generateName: 'r-', namespace: 'team-a' },
        rules: [rule(['create'], [''], ['nodes'])],
      },
    },
    index,
  );
  assert.match(result.allowed ? '' : result.message, /^roles\.rbac\.authorization\.k8s\.io is forbidden: /);
});

test('covers: kube’s comparison piece by piece', () => {
  const owned = (...rules: PolicyRule[]) => rules.map(normalRule);
  const wanted = (...rules: PolicyRule[]) => rules.map(normalRule);
  assert.equal(
    covers(owned(rule(['get'], [''], ['*/status'])), wanted(rule(['get'], [''], ['pods/status']))).covered,
    true,
  );
  assert.equal(
    covers(owned(rule(['get'], [''], ['*/status'])), wanted(rule(['get'], [''], ['pods']))).covered,
    false,
  );
  assert.equal(
    covers(owned(rule(['get'], [''], ['pods'], ['a'])), wanted(rule(['get'], [''], ['pods'], ['a']))).covered,
    true,
  );
  assert.equal(
    covers(owned(rule(['get'], [''], ['pods'], ['a'])), wanted(rule(['get'], [''], ['pods']))).covered,
    false,
  );
  assert.equal(
    covers(owned(rule(['get'], [''], ['pods'])), wanted(rule(['get'], [''], ['pods'], ['a', 'b']))).covered,
    true,
  );
  assert.equal(
    covers(owned(urlRule(['get'], ['/logs/*'])), wanted(urlRule(['get'], ['/logs/a', '/logs/*']))).covered,
    true,
  );
  assert.equal(
    covers(owned(urlRule(['get'], ['/logs/*'])), wanted(urlRule(['get'], ['/metrics']))).covered,
    false,
  );
  assert.equal(
    covers(owned(rule(['*'], ['*'], ['*'])), wanted(urlRule(['get'], ['/metrics']))).covered,
    false,
  );
  // Each piece must be covered by one rule, but different pieces by different rules.
  assert.equal(
    covers(
      owned(rule(['get'], [''], ['pods']), rule(['list'], [''], ['pods'])),
      wanted(rule(['get', 'list'], [''], ['pods'])),
    ).covered,
    true,
  );
  assert.equal(buildRbacIndex({}).clusterRoles.size, 0);
});
