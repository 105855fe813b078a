import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addFinalizer,
  AlreadyOwnedError,
  controllerOf,
  hasFinalizer,
  isBeingDeleted,
  isControlledBy,
  isOwnedBy,
  removeFinalizer,
  removeOwnerReference,
  setControllerReference,
} from '../../../src/operator/runtime/owners.ts';
import type { KubeObject } from '../../../src/operator/runtime/resource.ts';

const owner: KubeObject = {
  apiVersion: 'bitnami.com/v1alpha1',
  kind: 'SealedSecret',
  metadata: { name: 'db', namespace: 'app', uid: 'uid-1' },
};
const other: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', uid: 'uid-2' } };

test('controller references: set, upgrade, refuse a second controller, remove', () => {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'app',
      ownerReferences: [
        { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', name: 'db', uid: 'uid-1' },
      ],
    },
  };
  const owned = setControllerReference(secret, owner);
  assert.deepEqual(owned.metadata.ownerReferences, [
    {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      name: 'db',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(secret.metadata.ownerReferences?.[0]?.controller, undefined, 'input unchanged');
  assert.ok(isControlledBy(owned, owner) && isOwnedBy(owned, owner));
  assert.equal(controllerOf(owned)?.uid, 'uid-1');
  assert.throws(() => setControllerReference(owned, other), AlreadyOwnedError);
  assert.throws(() => setControllerReference(owned, other), /already controlled by SealedSecret "db"/);
  const freed = removeOwnerReference(owned, owner);
  assert.equal(freed.metadata.ownerReferences, undefined);
  assert.throws(() => setControllerReference(secret, { metadata: { name: 'n' } }), RangeError);
});

test('finalizers: add once, remove, deletion in progress', () => {
  const object: KubeObject = { metadata: { name: 'a', finalizers: ['other/keep'] } };
  const added = addFinalizer(object, 'cloak.dev/cleanup');
  assert.deepEqual(added.metadata.finalizers, ['other/keep', 'cloak.dev/cleanup']);
  assert.equal(addFinalizer(added, 'cloak.dev/cleanup'), added);
  assert.ok(hasFinalizer(added, 'cloak.dev/cleanup'));
  assert.deepEqual(removeFinalizer(added, 'cloak.dev/cleanup').metadata.finalizers, ['other/keep']);
  assert.equal(
    removeFinalizer(removeFinalizer(added, 'cloak.dev/cleanup'), 'other/keep').metadata.finalizers,
    undefined,
  );
  assert.ok(!isBeingDeleted(object));
  assert.ok(isBeingDeleted({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }));
});
