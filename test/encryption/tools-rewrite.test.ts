import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncryptionToolError } from '../../src/encryption/tools/errors.ts';
import {
  CHECKPOINT_KIND,
  DoneMark,
  isDone,
  newCheckpoint,
  objectRef,
  parseCheckpoint,
  progressLine,
  rewriteScope,
  serializeCheckpoint,
} from '../../src/encryption/tools/rewrite.ts';

function checkpointFails(text: string, scope: string, message: string): void {
  assert.throws(
    () => parseCheckpoint(text, 'ck.json', scope),
    (error: unknown) => {
      assert.ok(error instanceof EncryptionToolError, String(error));
      assert.equal(error.code, 'ERR_ENCRYPTION_CHECKPOINT');
      assert.equal(error.message, message);
      return true;
    },
  );
}

test('a checkpoint serializes to JSON and parses back for the same scope', () => {
  assert.equal(rewriteScope(undefined), 'all-namespaces');
  assert.equal(rewriteScope('prod'), 'namespace/prod');
  const checkpoint = newCheckpoint('all-namespaces');
  checkpoint.resources['secrets'] = { last: 'b/x', done: 7 };
  checkpoint.resources['configmaps'] = { complete: true };
  const text = serializeCheckpoint(checkpoint);
  assert.equal(
    text,
    `{\n  "kind": "${CHECKPOINT_KIND}",\n  "scope": "all-namespaces",\n  "resources": {\n    "secrets": {\n      "last": "b/x",\n      "done": 7\n    },\n    "configmaps": {\n      "complete": true\n    }\n  }\n}\n`,
  );
  assert.deepEqual(parseCheckpoint(text, 'ck.json', 'all-namespaces'), checkpoint);
});

test('a checkpoint that cannot be used is refused, saying why', () => {
  const good = (resources: unknown, scope = 'all-namespaces'): string =>
    JSON.stringify({ kind: CHECKPOINT_KIND, scope, resources });
  checkpointFails('{', 'all-namespaces', 'ck.json: not a rewrite checkpoint (invalid JSON)');
  checkpointFails('[]', 'all-namespaces', 'ck.json: not a rewrite checkpoint');
  checkpointFails(
    '{"kind":"x","scope":"all-namespaces","resources":{}}',
    'all-namespaces',
    'ck.json: not a rewrite checkpoint (wrong kind)',
  );
  checkpointFails(
    `{"kind":"${CHECKPOINT_KIND}","resources":{}}`,
    'all-namespaces',
    'ck.json: not a rewrite checkpoint (no scope)',
  );
  checkpointFails(
    `{"kind":"${CHECKPOINT_KIND}","scope":"all-namespaces"}`,
    'all-namespaces',
    'ck.json: not a rewrite checkpoint (no resources)',
  );
  checkpointFails(
    good({}, 'namespace/prod'),
    'all-namespaces',
    'ck.json: was made for namespace prod, not all namespaces (-A): use the same -n/-A, or remove the file to start over',
  );
  checkpointFails(
    good({}),
    'namespace/dev',
    'ck.json: was made for all namespaces (-A), not namespace dev: use the same -n/-A, or remove the file to start over',
  );
  checkpointFails(good({ secrets: 1 }), 'all-namespaces', 'ck.json: resources.secrets is not an object');
  checkpointFails(
    good({ secrets: { last: 3 } }),
    'all-namespaces',
    'ck.json: resources.secrets.last is not a string',
  );
  checkpointFails(
    good({ secrets: { complete: 'yes' } }),
    'all-namespaces',
    'ck.json: resources.secrets.complete is not a boolean',
  );
  checkpointFails(
    good({ secrets: { done: -1 } }),
    'all-namespaces',
    'ck.json: resources.secrets.done is not a count',
  );
});

test('done objects: at or before the mark in byte order, or the whole resource', () => {
  const progress = { last: 'b/m' };
  assert.ok(isDone('a/zzz', progress));
  assert.ok(isDone('b/m', progress));
  assert.ok(!isDone('b/n', progress));
  assert.ok(!isDone('ba/a', progress));
  // Byte order, as etcd lists keys: "B" (0x42) sorts before "a" (0x61).
  assert.ok(isDone('B/z', progress));
  assert.ok(isDone('anything', { complete: true }));
  assert.ok(!isDone('a/a', undefined));
  assert.ok(!isDone('a/a', {}));
  assert.equal(objectRef({ metadata: { namespace: 'ns', name: 'x' } }), 'ns/x');
  assert.equal(objectRef({ metadata: { name: 'cluster-wide' } }), 'cluster-wide');
  assert.equal(objectRef({ metadata: { namespace: '', name: 'x' } }), 'x');
});

test('the mark moves over the finished run from the start and stops at the first failure', () => {
  const mark = new DoneMark('a/1');
  mark.record('a/2', true);
  mark.record('a/3', true);
  assert.equal(mark.last, 'a/3');
  assert.ok(!mark.blocked);
  mark.record('a/4', false);
  mark.record('a/5', true);
  assert.equal(mark.last, 'a/3');
  assert.ok(mark.blocked);
  const fresh = new DoneMark(undefined);
  assert.equal(fresh.last, undefined);
  fresh.record('x/1', true);
  assert.equal(fresh.last, 'x/1');
  // Never moves backwards.
  fresh.record('a/0', true);
  assert.equal(fresh.last, 'x/1');
});

test('progress lines', () => {
  assert.equal(progressLine('secrets', 120, 3400), 'rewrote 120/3400 secrets');
  assert.equal(progressLine('secrets', 120, undefined), 'rewrote 120 secrets');
});
