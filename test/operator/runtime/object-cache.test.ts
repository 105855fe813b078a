import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byLabel, byOwnerUid, ObjectCache } from '../../../src/operator/runtime/object-cache.ts';
import {
  objectKey,
  splitKey,
  toMetadataOnly,
  type KubeObject,
} from '../../../src/operator/runtime/resource.ts';

function object(
  namespace: string,
  name: string,
  rv: string,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { metadata: { namespace, name, resourceVersion: rv, ...extra } };
}

test('keys, namespaces and custom indexes stay right through updates and removals', () => {
  const cache = new ObjectCache({ owner: byOwnerUid, tier: byLabel('tier') });
  cache.upsert(
    object('a', 'x', '1', {
      labels: { tier: 'db' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'o', uid: 'u1' }],
    }),
  );
  cache.upsert(object('a', 'y', '2', { labels: { tier: 'web' } }));
  cache.upsert(object('b', 'x', '3', { labels: { tier: 'db' } }));
  cache.upsert({ metadata: { name: 'cluster-wide', resourceVersion: '4' } });
  assert.deepEqual(cache.keys().sort(), ['a/x', 'a/y', 'b/x', 'cluster-wide']);
  assert.equal(cache.getByName('b', 'x')?.metadata.resourceVersion, '3');
  assert.equal(cache.getByName(undefined, 'cluster-wide')?.metadata.resourceVersion, '4');
  assert.deepEqual(
    cache
      .list('a')
      .map((o) => o.metadata.name)
      .sort(),
    ['x', 'y'],
  );
  assert.deepEqual(
    cache
      .byIndex('tier', 'db')
      .map((o) => objectKey(o.metadata))
      .sort(),
    ['a/x', 'b/x'],
  );
  assert.deepEqual(
    cache.byIndex('owner', 'u1').map((o) => objectKey(o.metadata)),
    ['a/x'],
  );
  // The label moves: the index follows.
  cache.upsert(object('a', 'x', '5', { labels: { tier: 'web' } }));
  assert.deepEqual(
    cache.byIndex('tier', 'db').map((o) => objectKey(o.metadata)),
    ['b/x'],
  );
  assert.deepEqual(cache.byIndex('owner', 'u1'), []);
  cache.remove('a/y');
  assert.deepEqual(
    cache.byIndex('tier', 'web').map((o) => objectKey(o.metadata)),
    ['a/x'],
  );
  assert.throws(() => cache.byIndex('nope', 'x'), RangeError);
  assert.deepEqual(splitKey('ns/name'), { namespace: 'ns', name: 'name' });
  assert.deepEqual(splitKey('name'), { namespace: undefined, name: 'name' });
});

test('replace reports what a relist changed', () => {
  const cache = new ObjectCache();
  cache.replace([object('n', 'keep', '1'), object('n', 'change', '1'), object('n', 'gone', '1')]);
  const changes = cache.replace([
    object('n', 'keep', '1'),
    object('n', 'change', '2'),
    object('n', 'new', '3'),
  ]);
  assert.deepEqual(
    changes.added.map((o) => o.metadata.name),
    ['new'],
  );
  assert.deepEqual(
    changes.updated.map((u) => [u.previous.metadata.resourceVersion, u.current.metadata.resourceVersion]),
    [['1', '2']],
  );
  assert.deepEqual(
    changes.deleted.map((o) => o.metadata.name),
    ['gone'],
  );
  assert.equal(cache.size, 3);
});

test('metadata-only objects keep no data, managed fields or last-applied copy', () => {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      namespace: 'n',
      labels: { a: 'b' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
        keep: 'me',
      },
      managedFields: [{ manager: 'kubectl' }],
    },
    data: { password: 'aHVudGVyMg==' },
    type: 'Opaque',
  };
  const reduced = toMetadataOnly(secret);
  assert.deepEqual(reduced, {
    apiVersion: 'meta.k8s.io/v1',
    kind: 'PartialObjectMetadata',
    metadata: { name: 's', namespace: 'n', labels: { a: 'b' }, annotations: { keep: 'me' } },
  });
  assert.ok(!JSON.stringify(reduced).includes('aHVudGVyMg'));
  assert.ok(secret.data, 'the input is left alone');

  // `kubectl apply`'s annotation was the only one: no empty map is kept for it.
  const applied = toMetadataOnly({
    ...secret,
    metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  });
  assert.deepEqual(applied.metadata, { name: 's' });
  assert.ok(!('annotations' in applied.metadata));
});
