import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandLists, parseManifests } from '../../src/manifests/decode.ts';

test('reads multi-document YAML, skipping empty documents', () => {
  const objects = parseManifests(
    '---\nkind: Secret\nmetadata: {name: a}\n---\n---\n# only a comment\n---\nkind: Secret\nmetadata: {name: b}\n',
    'in.yaml',
  );
  assert.deepEqual(
    objects.map((object) => (object['metadata'] as { name: string }).name),
    ['a', 'b'],
  );
});

test('reads one JSON object, or several one after another', () => {
  assert.equal(parseManifests('{"kind":"Secret"}', 'x').length, 1);
  const stream = parseManifests(
    '{"kind":"Secret","data":{"a":"}{"}}\n{"kind":"ConfigMap"}{"kind":"List","items":[]}',
    'x',
  );
  assert.deepEqual(
    stream.map((object) => object['kind']),
    ['Secret', 'ConfigMap', 'List'],
  );
});

test('reports where the YAML or JSON is broken, on one line', () => {
  assert.throws(
    () => parseManifests('kind: Secret\ndata:\n  a: [unclosed\n', 'in.yaml'),
    (error: Error & { code: string }) => {
      assert.equal(error.code, 'ERR_INPUT_PARSE');
      assert.match(error.message, /^in\.yaml: invalid YAML at line \d+, column \d+: /);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );
  assert.throws(() => parseManifests('{"kind": "Secret",}', 'in.json'), {
    message: 'in.json: invalid JSON at line 1, column 19',
  });
});

test('rejects documents that are not objects', () => {
  assert.throws(
    () => parseManifests('just a string\n', 'stdin'),
    /stdin: expected a Kubernetes object, found a string/,
  );
  assert.throws(() => parseManifests('- a\n- b\n', 'stdin'), /found a list/);
  assert.throws(
    () => parseManifests('kind: Secret\n---\n42\n', 'stdin'),
    /stdin \(document 2\): expected a Kubernetes object, found a number/,
  );
});

test('expands v1 Lists into their items', () => {
  const objects = expandLists(
    parseManifests('kind: List\nitems:\n- kind: Secret\n- kind: Secret\n---\nkind: Secret\n', 's'),
    's',
  );
  assert.equal(objects.length, 3);
  assert.deepEqual(expandLists([{ kind: 'List', items: null }], 's'), []);
  assert.throws(() => expandLists([{ kind: 'List', items: 'x' }], 's'), /List.items must be a list/);
});

test('parse errors never echo the input (it may hold secret values), but say where', () => {
  const cases: [string, string][] = [
    ['{"kind": "Secret", "stringData": {"password": hunter2}}', 'in: invalid JSON at line 1, column 47'],
    ['{\n  "stringData": {"password": "hunter2"\n', 'in: invalid JSON at the end of the input'],
    ['{"a": "hunter2" "b": 1}', 'in: invalid JSON at line 1, column 17'],
    ['{"a": [1, 2,]}', 'in: invalid JSON at line 1, column 13'],
    ['{"a": "tab\there"}', 'in: invalid JSON at line 1, column 11'],
    ['{"a": 1}x', 'in: invalid JSON at line 1, column 9'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseManifests(input, 'in'), { message }, input);
  }
  for (const input of ['a: b\n]hunter2', '- a\nb: hunter2secret\n']) {
    assert.throws(
      () => parseManifests(input, 'in'),
      (error: Error) => !error.message.includes('hunter2'),
      input,
    );
  }
});
