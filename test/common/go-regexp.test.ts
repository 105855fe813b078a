import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CloakError } from '../../src/common/errors.ts';
import { compileGoRegexp, GoRegexpError } from '../../src/common/go-regexp/index.ts';
import { outputWithinLimit } from '../helpers/time-limit.ts';

const matches = (pattern: string, text: string): boolean => compileGoRegexp(pattern).test(text);

describe('compileGoRegexp', () => {
  it('searches unanchored, as regexp.MatchString does', () => {
    assert.equal(matches('b+', 'abbbc'), true);
    assert.equal(matches('^b', 'abc'), false);
    assert.equal(compileGoRegexp('^(data|stringData)$').source, '^(data|stringData)$');
  });

  it("has Go's syntax: POSIX classes, flags anywhere, ungreedy mode, \\A \\z \\Q…\\E, \\pL and \\x{…}", () => {
    assert.equal(matches('^[[:alpha:]]+$', 'Secret'), true);
    assert.equal(matches('^[[:^digit:]]+$', 'key'), true);
    assert.equal(matches('^[[:^digit:]]+$', 'key1'), false);
    assert.equal(matches('^data(?i)key$', 'dataKEY'), true);
    assert.equal(matches('^data(?i)key$', 'DATAkey'), false);
    assert.equal(matches('(?U)^a+$', 'aaa'), true);
    assert.equal(matches('\\Aa.c\\z', 'abc'), true);
    assert.equal(matches('^\\Q*.yaml\\E$', '*.yaml'), true);
    assert.equal(matches('^\\pL+$', 'héllo'), true);
    assert.equal(matches('^\\x{1F600}$', '😀'), true);
  });

  it("has Go's meaning: runes not UTF-16 units, lines end at \\n only, . matches \\r, simple case folding", () => {
    assert.equal(matches('^.$', '😀'), true);
    assert.equal(matches('a$', 'a\n'), false); // $ is the end of the text without (?m)
    assert.equal(matches('(?m)a$', 'a\nb'), true);
    assert.equal(matches('(?m)a$', 'a\rb'), false);
    assert.equal(matches('^a.b$', 'a\rb'), true);
    assert.equal(matches('^a.b$', 'a\u2028b'), true);
    assert.equal(matches('(?i)^k$', '\u212a'), true); // KELVIN SIGN folds to k
    assert.equal(matches('^\\w+$', 'héllo'), false); // \w is ASCII
  });

  it("refuses what Go refuses, with Go's message, as one line", () => {
    const cases: [string, string][] = [
      ['a(?=b)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
      ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
      ['(a', 'error parsing regexp: missing closing ): `(a`'],
      ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
      ['\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
    ];
    for (const [pattern, message] of cases) {
      assert.throws(
        () => compileGoRegexp(pattern),
        (error: unknown) =>
          error instanceof GoRegexpError &&
          error instanceof CloakError &&
          error.code === 'ERR_REGEXP' &&
          error.message === message &&
          error.goMessage === message,
        pattern,
      );
    }
    // A second compile meets the cached error.
    assert.throws(() => compileGoRegexp('(a'), { message: 'error parsing regexp: missing closing ): `(a`' });
    assert.throws(
      () => compileGoRegexp('a\n('),
      (error: unknown) => {
        assert.ok(error instanceof GoRegexpError);
        assert.equal(error.goMessage, 'error parsing regexp: missing closing ): `a\n(`');
        assert.equal(error.message, 'error parsing regexp: missing closing ): `a\\n(`');
        return true;
      },
    );
  });

  it('compiles a pattern once: the same text gives the same GoPattern, other texts their own', () => {
    const first = compileGoRegexp('^cache-[a-z]+$');
    assert.equal(compileGoRegexp('^cache-[a-z]+$'), first);
    const other = compileGoRegexp('^cache-[0-9]+$');
    assert.notEqual(other, first);
    assert.equal(first.test('cache-abc'), true);
    assert.equal(other.test('cache-abc'), false);
    assert.equal(other.test('cache-123'), true);
    assert.equal(compileGoRegexp('^é+$').test('éé'), true);
    assert.equal(compileGoRegexp('^é+$').test('e'), false);
  });

  it('takes time linear in the text: a nested repetition cannot hang it', () => {
    const module = new URL('../../src/common/go-regexp/index.ts', import.meta.url).href;
    const output = outputWithinLimit(`
      const { compileGoRegexp } = await import(${JSON.stringify(module)});
      const pattern = compileGoRegexp('(a+)+$');
      process.stdout.write(JSON.stringify([pattern.test('a'.repeat(20000) + '!'), pattern.test('a'.repeat(20000))]));
    `);
    assert.equal(output, '[false,true]', 'killed at the time limit: the match backtracked');
  });
});
