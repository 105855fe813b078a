import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatObjects, toGoJson, toKubeYaml } from '../../src/manifests/encode.ts';

test('JSON is indented by two spaces and escapes HTML characters as Go does', () => {
  assert.equal(
    toGoJson({ a: '<b> & \u2028', n: null, e: {} }),
    '{\n  "a": "\\u003cb\\u003e \\u0026 \\u2028",\n  "n": null,\n  "e": {}\n}',
  );
  assert.deepEqual(JSON.parse(toGoJson({ a: '<&>' })), { a: '<&>' });
});

test('YAML sorts keys, does not indent lists, and quotes what YAML 1.1 would misread', () => {
  const yaml = toKubeYaml({
    metadata: {
      name: 'x',
      creationTimestamp: null,
      annotations: { on: 'yes', when: '2020-09-24T14:21:09Z', port: '8080', empty: '' },
    },
    items: [{ b: 1, a: 2 }],
  });
  assert.equal(
    yaml,
    [
      'items:',
      '- a: 2',
      '  b: 1',
      'metadata:',
      '  annotations:',
      '    empty: ""',
      '    "on": "yes"',
      '    port: "8080"',
      '    when: "2020-09-24T14:21:09Z"',
      '  creationTimestamp: null',
      '  name: x',
      '',
    ].join('\n'),
  );
});

test('long values are never folded', () => {
  const long = 'A'.repeat(700) + ' ' + 'B'.repeat(100);
  assert.equal(toKubeYaml({ v: long }), `v: ${long}\n`);
});

test('streams: JSON objects end with a newline, YAML documents start with ---', () => {
  assert.equal(formatObjects([{ a: 1 }, { b: 2 }], 'json'), '{\n  "a": 1\n}\n{\n  "b": 2\n}\n');
  assert.equal(formatObjects([{ a: 1 }, { b: 2 }], 'yaml'), '---\na: 1\n---\nb: 2\n');
});
