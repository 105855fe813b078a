import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeForStorage } from '../../src/apiserver/codec/codec.ts';
import { validateEncryptionConfiguration } from '../../src/encryption/config.ts';
import { encryptionTransformers } from '../../src/encryption/transformer.ts';
import {
  absoluteKey,
  decryptEntries,
  kubectlView,
  objectFromStored,
  resourceOfKey,
  selectEntries,
  type StoredEntry,
} from '../../src/encryption/tools/decrypt.ts';
import { parseEtcdctlDump } from '../../src/encryption/tools/dump.ts';
import { EncryptionToolError } from '../../src/encryption/tools/errors.ts';

const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');

/** What `etcdctl get --prefix /registry/ -w json` prints (etcdctl 3.4/3.5): one line, base64 keys and values. */
function etcdctlJson(
  kvs: { key: string; value?: Uint8Array | string; mod?: number; create?: number }[],
): string {
  const items = kvs.map(({ key, value, mod = 5, create = 4 }) => {
    const item: Record<string, unknown> = {
      key: b64(key),
      create_revision: create,
      mod_revision: mod,
      version: 1,
    };
    if (value !== undefined) item['value'] = b64(value);
    return item;
  });
  return `{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"revision":69,"raft_term":2},"kvs":${JSON.stringify(items)},"count":${items.length}}\n`;
}

function dumpFails(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseEtcdctlDump(text, 'dump.json'),
    (error: unknown) => {
      assert.ok(error instanceof EncryptionToolError, String(error));
      assert.equal(error.code, 'ERR_ENCRYPTION_DUMP');
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('TOPSECRET'), error.message);
      return true;
    },
  );
}

test('parseEtcdctlDump: base64 keys and values, revisions; empty values; a dump without kvs', () => {
  const binary = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0x00, 0x80]);
  const entries = parseEtcdctlDump(
    etcdctlJson([
      { key: '/registry/secrets/a/one', value: binary, mod: 12, create: 10 },
      { key: '/registry/secrets/b/empty' },
    ]),
    'dump.json',
  );
  assert.deepEqual(
    entries.map((entry) => ({ ...entry, value: Buffer.from(entry.value).toString('hex') })),
    [
      { key: '/registry/secrets/a/one', value: '6b387300ff0080', modRevision: 12, createRevision: 10 },
      { key: '/registry/secrets/b/empty', value: '', modRevision: 5, createRevision: 4 },
    ],
  );
  // Nothing matched: etcdctl prints the header alone.
  assert.deepEqual(
    parseEtcdctlDump('{"header":{"cluster_id":1,"member_id":2,"revision":3,"raft_term":2}}', 'd'),
    [],
  );
  // Revisions as strings (the gRPC gateway's JSON) are read too.
  const [fromGateway] = parseEtcdctlDump(
    `{"kvs":[{"key":"${b64('/k')}","value":"${b64('v')}","mod_revision":"7"}]}`,
    'd',
  );
  assert.equal(fromGateway?.key, '/k');
  assert.equal(Buffer.from(fromGateway?.value ?? []).toString(), 'v');
  assert.equal(fromGateway?.modRevision, 7);
  assert.equal(fromGateway?.createRevision, undefined);
});

test('parseEtcdctlDump: several dumps one after the other; the later write of a key wins', () => {
  const text =
    etcdctlJson([{ key: '/registry/secrets/a/x', value: 'old', mod: 5 }]) +
    etcdctlJson([
      { key: '/registry/secrets/a/x', value: 'new', mod: 9 },
      { key: '/registry/secrets/a/y', value: 'y', mod: 3 },
    ]) +
    etcdctlJson([{ key: '/registry/secrets/a/x', value: 'older', mod: 2 }]);
  const entries = parseEtcdctlDump(text, 'dump.json');
  assert.deepEqual(
    entries.map((entry) => [entry.key, Buffer.from(entry.value).toString(), entry.modRevision]),
    [
      ['/registry/secrets/a/x', 'new', 9],
      ['/registry/secrets/a/y', 'y', 3],
    ],
  );
});

test('parseEtcdctlDump: what is not a dump is refused, saying where and never what', () => {
  dumpFails(
    '/registry/secrets/a/x\nTOPSECRET\n',
    /^dump\.json: not the JSON output of etcdctl get --prefix -w json \(expected a JSON object with kvs\)$/,
  );
  dumpFails('{"kvs": [ {"key": "TOPSECRET"', /^dump\.json: invalid JSON at the end of the input$/);
  dumpFails(
    '{"apiVersion":"v1","kind":"Secret"}',
    /^dump\.json: not etcdctl JSON output \(no header, kvs or count field\)$/,
  );
  dumpFails('{"kvs":{"key":"eA=="}}', /^dump\.json: kvs is not a list$/);
  dumpFails('{"kvs":["TOPSECRET"]}', /^dump\.json: kvs\[0\] is not an object$/);
  dumpFails('{"kvs":[{"value":"eA=="}]}', /^dump\.json: kvs\[0\]\.key is not a base64 string$/);
  dumpFails('{"kvs":[{"key":""}]}', /^dump\.json: kvs\[0\]\.key is empty$/);
  dumpFails(
    '{"kvs":[{"key":"eA==","value":"TOPSECRET!"}]}',
    /^dump\.json: kvs\[0\]\.value is not valid base64$/,
  );
  dumpFails(
    '{"kvs":[{"key":"eA==","mod_revision":-1}]}',
    /^dump\.json: kvs\[0\]\.mod_revision is not a revision number$/,
  );
  dumpFails(
    `${etcdctlJson([{ key: '/x', value: 'x' }])}{"kvs":[{"key":"eA==","create_revision":1.5}]}`,
    /^dump\.json: document 2: kvs\[0\]\.create_revision is not a revision number$/,
  );
});

const SECRET = {
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: {
    name: 'db',
    namespace: 'prod',
    uid: '9b1c8f1e-0000-4000-8000-000000000001',
    creationTimestamp: '2025-01-02T03:04:05Z',
  },
  data: { password: b64('TOPSECRET') },
  type: 'Opaque',
};

const K1 = b64(Buffer.alloc(32, 7));
const K2 = b64(Buffer.alloc(32, 8));

function transformersFor(keys: [string, string][], identity = true) {
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [
          { aesgcm: { keys: keys.map(([name, secret]) => ({ name, secret })) } },
          ...(identity ? [{ identity: {} }] : []),
        ],
      },
    ],
  });
  return encryptionTransformers(config, () => assert.fail('no KMS here'));
}

test('decryptEntries opens values with the configuration and sets resourceVersion from mod_revision', async () => {
  const writer = transformersFor([['k1', K1]]);
  const secrets = { group: '', plural: 'secrets' };
  const key = '/registry/secrets/prod/db';
  const stored = await writer(secrets).toStorage(encodeForStorage('protobuf', SECRET), key);
  assert.ok(Buffer.from(stored).toString('latin1').startsWith('k8s:enc:aesgcm:v1:k1:'));
  const plain = encodeForStorage('protobuf', { ...SECRET, metadata: { ...SECRET.metadata, name: 'plain' } });
  const entries: StoredEntry[] = [
    { key, value: stored, modRevision: 42 },
    { key: '/registry/secrets/prod/plain', value: plain, modRevision: 43 },
    // The right value under another key: AES-GCM authenticates the etcd key, so it does not open.
    { key: '/registry/secrets/prod/moved', value: stored, modRevision: 44 },
    { key: '/elsewhere/x', value: plain },
  ];
  const result = await decryptEntries(entries, transformersFor([['k1', K1]]));
  assert.equal(result.objects.length, 2);
  const [db, plainObject] = result.objects as [Record<string, unknown>, Record<string, unknown>];
  assert.deepEqual(db, { ...SECRET, metadata: { ...SECRET.metadata, resourceVersion: '42' } });
  // resourceVersion sits where Go's ObjectMeta puts it: after uid, before creationTimestamp.
  assert.deepEqual(Object.keys(db['metadata'] as object), [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'creationTimestamp',
  ]);
  assert.equal((plainObject['metadata'] as Record<string, unknown>)['resourceVersion'], '43');
  assert.deepEqual(
    result.failures.map((failure) => failure.key),
    ['/registry/secrets/prod/moved', '/elsewhere/x'],
  );
  assert.equal(result.failures[1]?.message, 'not a Kubernetes object key (outside the etcd prefix)');
  for (const failure of result.failures) assert.ok(!failure.message.includes('TOPSECRET'));

  // A configuration without the key names it; skip() reasons are reported as they are.
  const other = await decryptEntries([{ key, value: stored }], transformersFor([['k2', K2]], false));
  assert.equal(other.objects.length, 0);
  assert.match(other.failures[0]?.message ?? '', /"k1"/);
  const skipped = await decryptEntries([{ key, value: stored }], transformersFor([['k1', K1]]), {
    skip: () => 'the plugin is down',
  });
  assert.deepEqual(skipped.failures, [{ key, message: 'the plugin is down' }]);
});

test('objectFromStored: JSON values too; what does not decode is refused without its content', () => {
  const json = Buffer.from('{"kind":"Widget","apiVersion":"example.com/v1","metadata":{"name":"w"}}');
  assert.deepEqual(objectFromStored(json, 3), {
    kind: 'Widget',
    apiVersion: 'example.com/v1',
    metadata: { name: 'w', resourceVersion: '3' },
  });
  assert.deepEqual(objectFromStored(json, undefined), {
    kind: 'Widget',
    apiVersion: 'example.com/v1',
    metadata: { name: 'w' },
  });
  assert.throws(
    () => objectFromStored(Buffer.from('TOPSECRET not json'), 1),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal((error as { code?: string }).code, 'ERR_DECODE');
      assert.match(error.message, /^the decrypted value does not decode: /);
      assert.ok(!error.message.includes('TOPSECRET'));
      return true;
    },
  );
  assert.throws(() => objectFromStored(Buffer.from('[1,2]'), 1), { code: 'ERR_DECODE' });
});

test('selectEntries: named keys in the order given (missing ones listed), else a prefix in key order', () => {
  const entry = (key: string): StoredEntry => ({ key, value: new Uint8Array(0) });
  const entries = ['/registry/secrets/b/x', '/registry/secrets/a/y', '/registry/configmaps/a/z'].map(entry);
  assert.deepEqual(
    selectEntries(entries, {
      keys: ['/registry/secrets/a/y', '/registry/secrets/c/no', '/registry/secrets/b/x'],
      prefix: '/',
    }),
    {
      entries: [entry('/registry/secrets/a/y'), entry('/registry/secrets/b/x')],
      missing: ['/registry/secrets/c/no'],
    },
  );
  assert.deepEqual(selectEntries(entries, { keys: [], prefix: '/registry/secrets/' }), {
    entries: [entry('/registry/secrets/a/y'), entry('/registry/secrets/b/x')],
    missing: [],
  });
});

test('absoluteKey, resourceOfKey and kubectlView', () => {
  assert.equal(absoluteKey('secrets/a/b'), '/registry/secrets/a/b');
  assert.equal(absoluteKey('/registry/secrets/a/b'), '/registry/secrets/a/b');
  assert.equal(absoluteKey('secrets/a/b', '/kube/'), '/kube/secrets/a/b');
  assert.deepEqual(resourceOfKey('/registry/secrets/a/b'), { group: '', plural: 'secrets' });
  assert.deepEqual(resourceOfKey('/registry/example.com/widgets/a/b'), {
    group: 'example.com',
    plural: 'widgets',
  });
  assert.equal(resourceOfKey('/other/secrets/a/b'), undefined);
  const one = { kind: 'Secret' };
  assert.equal(kubectlView([one], true), one);
  assert.deepEqual(kubectlView([one], false), {
    apiVersion: 'v1',
    items: [one],
    kind: 'List',
    metadata: { resourceVersion: '' },
  });
  assert.deepEqual(kubectlView([], true), {
    apiVersion: 'v1',
    items: [],
    kind: 'List',
    metadata: { resourceVersion: '' },
  });
  // As kubectl prints: managedFields left out unless asked for.
  const managed = {
    kind: 'Secret',
    metadata: { name: 'x', managedFields: [{ manager: 'kubectl' }], uid: 'u' },
  };
  assert.deepEqual(kubectlView([managed], true), { kind: 'Secret', metadata: { name: 'x', uid: 'u' } });
  assert.deepEqual(kubectlView([managed], true, true), managed);
  assert.deepEqual((kubectlView([managed, one], false) as { items: unknown[] }).items, [
    { kind: 'Secret', metadata: { name: 'x', uid: 'u' } },
    one,
  ]);
});
