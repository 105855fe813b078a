import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyJsonPatch,
  formatJsonPointer,
  parseJsonPointer,
  PatchError,
} from '../../src/apiserver/patch/json-patch.ts';

// RFC 6902, Appendix A: each example's document, patch and result (or error).
const rfcExamples: { name: string; doc: unknown; patch: unknown; result?: unknown; error?: RegExp }[] = [
  {
    name: 'A.1 adding an object member',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux' }],
    result: { baz: 'qux', foo: 'bar' },
  },
  {
    name: 'A.2 adding an array element',
    doc: { foo: ['bar', 'baz'] },
    patch: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    result: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'A.3 removing an object member',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'remove', path: '/baz' }],
    result: { foo: 'bar' },
  },
  {
    name: 'A.4 removing an array element',
    doc: { foo: ['bar', 'qux', 'baz'] },
    patch: [{ op: 'remove', path: '/foo/1' }],
    result: { foo: ['bar', 'baz'] },
  },
  {
    name: 'A.5 replacing a value',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'replace', path: '/baz', value: 'boo' }],
    result: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'A.6 moving a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    result: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 moving an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    result: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 testing a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    result: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    name: 'A.9 testing a value: error',
    doc: { baz: 'qux' },
    patch: [{ op: 'test', path: '/baz', value: 'bar' }],
    error: /^testing value \/baz failed: test failed$/,
  },
  {
    name: 'A.10 adding a nested member object',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    result: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.11 ignoring unrecognized elements',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    result: { foo: 'bar', baz: 'qux' },
  },
  {
    name: 'A.12 adding to a nonexistent target',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    error: /^add operation does not apply: doc is missing path: "\/baz\/bat": missing value$/,
  },
  {
    name: 'A.14 ~ escape ordering',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: 10 }],
    result: { '/': 9, '~1': 10 },
  },
  {
    name: 'A.15 comparing strings and numbers',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: '10' }],
    error: /^testing value \/~01 failed: test failed$/,
  },
  {
    name: 'A.16 adding an array value',
    doc: { foo: ['bar'] },
    patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    result: { foo: ['bar', ['abc', 'def']] },
  },
];

for (const example of rfcExamples) {
  test(`RFC 6902 ${example.name}`, () => {
    const before = structuredClone(example.doc);
    if (example.error) {
      assert.throws(() => applyJsonPatch(example.doc, example.patch), {
        code: 'ERR_PATCH',
        message: example.error,
      });
    } else {
      assert.deepEqual(applyJsonPatch(example.doc, example.patch), example.result);
    }
    assert.deepEqual(example.doc, before, 'the input document is not modified');
  });
}

test('JSON pointers escape ~ and / (RFC 6901)', () => {
  assert.deepEqual(parseJsonPointer('/a~1b/m~0n/~01'), ['a/b', 'm~n', '~1']);
  assert.deepEqual(parseJsonPointer(''), []);
  assert.deepEqual(parseJsonPointer('/'), ['']);
  assert.equal(formatJsonPointer(['a/b', 'm~n']), '/a~1b/m~0n');
  const doc = { metadata: { annotations: { 'example.com/a~b': 'x' } } };
  const patched = applyJsonPatch(doc, [
    { op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'y' },
  ]);
  assert.deepEqual(patched, { metadata: { annotations: { 'example.com/a~b': 'y' } } });
});

test('errors carry evanphx/json-patch messages and kube-apiserver statuses', () => {
  const secret = { data: { a: 'eA==' }, list: [1, 2] };
  const cases: [unknown, string][] = [
    [
      [{ op: 'remove', path: '/data/missing' }],
      "error in remove for path: '/data/missing': Unable to remove nonexistent key: missing: missing value",
    ],
    [
      [{ op: 'remove', path: '/nope/x' }],
      'remove operation does not apply: doc is missing path: "/nope/x": missing value',
    ],
    [
      [{ op: 'replace', path: '/nope/x', value: 1 }],
      'replace operation does not apply: doc is missing path: /nope/x: missing value',
    ],
    [
      [{ op: 'replace', path: '/list/5', value: 1 }],
      'replace operation does not apply: doc is missing key: /list/5: missing value',
    ],
    [
      [{ op: 'add', path: '/list/5', value: 1 }],
      "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced",
    ],
    [
      [{ op: 'add', path: '/list/x', value: 1 }],
      "error in add for path: '/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
    ],
    [
      [{ op: 'move', from: '/data/b', path: '/data/c' }],
      "error in move for path: 'b': Unable to remove nonexistent key: b: missing value",
    ],
    [
      [{ op: 'copy', from: '/nope/a', path: '/x' }],
      'copy operation does not apply: doc is missing from path: /nope/a: missing value',
    ],
    [
      [{ op: 'test', path: '/nope/a', value: 1 }],
      'test operation does not apply: is missing path: /nope/a: missing value',
    ],
    [[{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate'],
    [[{ path: '/a' }], 'Unexpected kind: unknown'],
    [[{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value'],
    [
      [{ op: 'replace', value: 1 }],
      'replace operation failed to decode path: operation missing path field: missing value',
    ],
  ];
  for (const [patch, message] of cases) {
    assert.throws(
      () => applyJsonPatch(secret, patch),
      (error: unknown) => {
        assert.ok(error instanceof PatchError);
        assert.equal(error.message, message);
        assert.equal(error.code, 'ERR_PATCH');
        assert.equal(error.status, 422);
        assert.equal(error.reason, 'Invalid');
        assert.equal(error.statusMessage, 'the server rejected our request due to an error in our request');
        return true;
      },
      JSON.stringify(patch),
    );
  }
});

test('a patch that is not a list of operations is a bad request; more than 10000 operations is too large', () => {
  assert.throws(() => applyJsonPatch({}, { op: 'add' }), {
    status: 400,
    message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
  });
  assert.throws(() => applyJsonPatch({}, ['add']), {
    status: 400,
    message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
  });
  const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.throws(() => applyJsonPatch({ a: 1 }, many), {
    status: 413,
    statusMessage:
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
  });
  assert.deepEqual(applyJsonPatch({ a: 1 }, null), { a: 1 });
});

test('kube-compatible behaviours of evanphx/json-patch v4', () => {
  // replace of a missing object member adds it (only a missing parent is an error)
  assert.deepEqual(applyJsonPatch({ data: {} }, [{ op: 'replace', path: '/data/k', value: 'v' }]), {
    data: { k: 'v' },
  });
  // negative indexes count from the end
  assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }]), { l: [1, 2] });
  assert.deepEqual(applyJsonPatch({ l: [1, 2] }, [{ op: 'add', path: '/l/-1', value: 9 }]), { l: [1, 2, 9] });
  // test with null passes for an absent member
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/b', value: null }]), { a: 1 });
  // the whole document can be replaced and tested, not added
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }]), { a: 1 });
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: {} }]), {
    message: 'add operation does not apply: doc is missing path: "": missing value',
  });
});

test('operations apply in order and the result shares nothing with the patch', () => {
  const value = { nested: ['x'] };
  const patch = [
    { op: 'add', path: '/a', value },
    { op: 'copy', from: '/a', path: '/b' },
    { op: 'add', path: '/b/nested/-', value: 'y' },
    { op: 'test', path: '/a/nested', value: ['x'] },
  ];
  const result = applyJsonPatch({}, patch) as { a: { nested: string[] }; b: { nested: string[] } };
  assert.deepEqual(result, { a: { nested: ['x'] }, b: { nested: ['x', 'y'] } });
  assert.deepEqual(value, { nested: ['x'] });
  assert.notEqual(result.a, value);
});

test('a failed operation leaves the input untouched (all or nothing)', () => {
  const doc = { data: { a: '1' } };
  assert.throws(() =>
    applyJsonPatch(doc, [
      { op: 'add', path: '/data/b', value: '2' },
      { op: 'test', path: '/data/a', value: 'other' },
    ]),
  );
  assert.deepEqual(doc, { data: { a: '1' } });
});
