import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.ts';
import { validateEncryptionConfiguration } from '../../src/encryption/config.ts';
import {
  coveringEntry,
  parseEtcdKey,
  parseResourceList,
  resourceKeyPrefix,
  resourceName,
  resourceProviders,
} from '../../src/encryption/tools/resources.ts';
import { shellQuote } from '../../src/encryption/tools/shell-quote.ts';

function listFails(value: string, message: string): void {
  assert.throws(
    () => parseResourceList(value),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.equal(error.message, message);
      return true;
    },
  );
}

test('--resources: lowercase plural names, with a group or not', () => {
  assert.deepEqual(parseResourceList('secrets'), [{ name: 'secrets', group: '', plural: 'secrets' }]);
  assert.deepEqual(parseResourceList(' secrets , widgets.example.com,,'), [
    { name: 'secrets', group: '', plural: 'secrets' },
    { name: 'widgets.example.com', group: 'example.com', plural: 'widgets' },
  ]);
});

test('--resources: what is not a resource list is a usage error naming the entry', () => {
  listFails('', '--resources needs at least one resource, e.g. secrets');
  listFails(' , ', '--resources needs at least one resource, e.g. secrets');
  listFails(
    'Secrets',
    '--resources: "Secrets" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
  );
  listFails(
    '*.*',
    '--resources: "*.*" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
  );
  listFails(
    'secrets/x',
    '--resources: "secrets/x" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
  );
  listFails('secrets,configmaps,secrets', '--resources: "secrets" is listed twice');
  assert.throws(() => parseResourceList('', '--only'), {
    message: '--only needs at least one resource, e.g. secrets',
  });
});

test('etcd key prefixes and keys, as kube-apiserver lays them out', () => {
  assert.equal(resourceKeyPrefix({ group: '', plural: 'secrets' }), '/registry/secrets/');
  assert.equal(resourceKeyPrefix({ group: '', plural: 'configmaps' }, '/kube/'), '/kube/configmaps/');
  assert.equal(
    resourceKeyPrefix({ group: 'example.com', plural: 'widgets' }),
    '/registry/example.com/widgets/',
  );
  assert.deepEqual(parseEtcdKey('/registry/secrets/ns/name'), {
    group: '',
    plural: 'secrets',
    namespace: 'ns',
    name: 'name',
  });
  assert.deepEqual(parseEtcdKey('/registry/namespaces/default'), {
    group: '',
    plural: 'namespaces',
    name: 'default',
  });
  assert.deepEqual(parseEtcdKey('/registry/example.com/widgets/ns/w'), {
    group: 'example.com',
    plural: 'widgets',
    namespace: 'ns',
    name: 'w',
  });
  assert.deepEqual(parseEtcdKey('/kube/secrets/ns/name', '/kube'), {
    group: '',
    plural: 'secrets',
    namespace: 'ns',
    name: 'name',
  });
  assert.equal(parseEtcdKey('/registry/secrets/'), undefined);
  assert.equal(parseEtcdKey('/registry/secrets/ns/'), undefined);
  assert.equal(parseEtcdKey('/other/secrets/ns/name'), undefined);
  assert.equal(resourceName({ group: '', plural: 'secrets' }), 'secrets');
  assert.equal(resourceName({ group: 'example.com', plural: 'widgets' }), 'widgets.example.com');
});

test('which configuration entry covers a resource: exact, then *.group, then *.*', () => {
  const key = Buffer.alloc(32).toString('base64');
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      { resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'a', secret: key }] } }] },
      { resources: ['*.example.com'], providers: [{ secretbox: { keys: [{ name: 'b', secret: key }] } }] },
      { resources: ['secrets'], providers: [{ identity: {} }] },
      { resources: ['*.*'], providers: [{ aescbc: { keys: [{ name: 'c', secret: key }] } }] },
    ],
  });
  assert.equal(coveringEntry(config, { group: '', plural: 'secrets' }), 0);
  assert.equal(coveringEntry(config, { group: 'example.com', plural: 'widgets' }), 1);
  assert.equal(coveringEntry(config, { group: '', plural: 'configmaps' }), 3);
  // Every entry naming secrets contributes its providers, in order.
  assert.deepEqual(
    resourceProviders(config, { group: '', plural: 'secrets' }).map((provider) => provider.type),
    ['aesgcm', 'identity'],
  );
  const none = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['configmaps'], providers: [{ identity: {} }] }],
  });
  assert.equal(coveringEntry(none, { group: '', plural: 'secrets' }), undefined);
  assert.deepEqual(resourceProviders(none, { group: '', plural: 'secrets' }), [{ type: 'identity' }]);
});

test('shell words for printed commands are quoted only when needed', () => {
  assert.equal(shellQuote('/etc/kubernetes/enc.yaml'), '/etc/kubernetes/enc.yaml');
  assert.equal(shellQuote('my file'), "'my file'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$HOME'), "'$HOME'");
});
