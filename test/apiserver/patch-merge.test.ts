import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyMergePatch, createMergePatch } from '../../src/apiserver/patch/merge-patch.ts';

// RFC 7386, Appendix A: original, patch, result.
const rfcExamples: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [
    ['a', 'b'],
    ['c', 'd'],
    ['c', 'd'],
  ],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

for (const [index, [original, patch, result]] of rfcExamples.entries()) {
  test(`RFC 7386 appendix A example ${index + 1}`, () => {
    const before = structuredClone(original);
    assert.deepEqual(applyMergePatch(original, patch), result);
    assert.deepEqual(original, before, 'the target is not modified');
  });
}

test('RFC 7386 section 3 example', () => {
  const target = {
    title: 'Goodbye!',
    author: { givenName: 'John', familyName: 'Doe' },
    tags: ['example', 'sample'],
    content: 'This will be unchanged',
  };
  const patch = {
    title: 'Hello!',
    phoneNumber: '+01-123-456-7890',
    author: { familyName: null },
    tags: ['example'],
  };
  assert.deepEqual(applyMergePatch(target, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
});

test('a Secret: null deletes a data key, other keys stay', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { a: 'YQ==', b: 'Yg==' },
  };
  assert.deepEqual(applyMergePatch(secret, { data: { a: null, c: 'Yw==' } }), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { b: 'Yg==', c: 'Yw==' },
  });
});

test('the result shares no objects with the patch, and __proto__ is an ordinary key', () => {
  const patch = JSON.parse('{"a":{"b":[1]},"__proto__":{"polluted":true}}') as Record<string, unknown>;
  const result = applyMergePatch({}, patch) as Record<string, { b: number[] }>;
  result['a']?.b.push(2);
  assert.deepEqual(patch['a'], { b: [1] });
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(result, '__proto__'));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('createMergePatch is the inverse of applyMergePatch', () => {
  const original = { a: 1, b: { c: 2, d: [1, 2] }, e: 'x' };
  const modified = { a: 1, b: { c: 3, d: [1] }, f: true };
  const patch = createMergePatch(original, modified);
  assert.deepEqual(patch, { e: null, b: { c: 3, d: [1] }, f: true });
  assert.deepEqual(applyMergePatch(original, patch), modified);
  assert.deepEqual(createMergePatch(modified, modified), {});
});
