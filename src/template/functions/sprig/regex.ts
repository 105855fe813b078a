/**
 * sprig's regular expression functions on Go's regexp (src/common/go-regexp/): the plain forms panic on a bad
 * pattern (regexp.MustCompile's message) except regexMatch, which answers false; the must* forms return the
 * error.
 */
import { GoFuncError } from '../../errors.ts';
import { canBackquote, quote } from '../../go-strconv.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import {
  GoList,
  goStringList,
  type GoInt,
  type CallContext,
  type GoFunc,
  type GoValue,
} from '../../values.ts';
import { fn } from './define.ts';
import {
  compileGoRegexpBytes as compile,
  expandTemplate,
  quoteMeta,
  type GoRegexp,
} from '../../../common/go-regexp/engine.ts';

/** regexp.MustCompile: the panic message names the expression. */
function mustCompile(pattern: ByteString): GoRegexp {
  try {
    return compile(pattern);
  } catch (error) {
    const shown = canBackquote(pattern) ? `\`${pattern}\`` : quote(pattern);
    throw new GoFuncError(`regexp: Compile(${shown}): ${(error as Error).message}`);
  }
}

/** The must* forms report the compile error as the function's error. */
function compileOrError(pattern: ByteString): GoRegexp {
  try {
    return compile(pattern);
  } catch (error) {
    throw new GoFuncError((error as Error).message);
  }
}

const str = (value: GoValue | undefined): ByteString => value as ByteString;
const int = (value: GoValue | undefined): number => Number((value as GoInt).value);

function findAll(regexp: GoRegexp, text: ByteString, n: number, context: CallContext): GoValue {
  const matches = regexp.allMatches(text, n, (steps) => context.charge(steps));
  if (matches.length === 0) return nilStrings();
  return goStringList(matches.map((match) => text.slice(match[0], match[1])));
}

/** A nil []string: prints "[]", toJson says null. */
function nilStrings(): GoValue {
  return new GoList('[]string', [], true);
}

function find(regexp: GoRegexp, text: ByteString, context: CallContext): ByteString {
  const match = regexp.firstMatch(text, (steps) => context.charge(steps));
  return match ? text.slice(match[0], match[1]) : '';
}

function replaceAll(
  regexp: GoRegexp,
  text: ByteString,
  replacement: ByteString,
  context: CallContext,
): ByteString {
  return regexp.replaceAll(
    text,
    (match) => expandTemplate(replacement, text, match, regexp.groupNames),
    (steps) => context.charge(steps),
  );
}

function replaceAllLiteral(
  regexp: GoRegexp,
  text: ByteString,
  replacement: ByteString,
  context: CallContext,
): ByteString {
  return regexp.replaceAll(
    text,
    () => replacement,
    (steps) => context.charge(steps),
  );
}

/** Regexp.Split. */
function split(regexp: GoRegexp, text: ByteString, n: number, context: CallContext): GoValue {
  if (n === 0) return nilStrings();
  if (regexp.source.length > 0 && text.length === 0) return goStringList(['']);
  const matches = regexp.allMatches(text, n, (steps) => context.charge(steps));
  const parts: ByteString[] = [];
  let begin = 0;
  let end = 0;
  for (const match of matches) {
    if (n > 0 && parts.length === n - 1) break;
    end = match[0]!;
    if (match[1] !== 0) parts.push(text.slice(begin, end));
    begin = match[1]!;
  }
  if (end !== text.length) parts.push(text.slice(begin));
  return goStringList(parts);
}

export function regexFunctions(): GoFunc[] {
  const params3 = ['string', 'string', 'string'];
  return [
    fn('regexMatch', ['string', 'string'], 'bool', ([pattern, text], context) => {
      let regexp: GoRegexp;
      try {
        regexp = compile(str(pattern));
      } catch {
        return false;
      }
      return regexp.matches(str(text), (steps) => context.charge(steps));
    }),
    fn(
      'mustRegexMatch',
      ['string', 'string'],
      'bool',
      ([pattern, text], context) =>
        compileOrError(str(pattern)).matches(str(text), (steps) => context.charge(steps)),
      { returnsError: true },
    ),
    fn('regexFindAll', ['string', 'string', 'int'], '[]string', ([pattern, text, n], context) =>
      findAll(mustCompile(str(pattern)), str(text), int(n), context),
    ),
    fn(
      'mustRegexFindAll',
      ['string', 'string', 'int'],
      '[]string',
      ([pattern, text, n], context) => findAll(compileOrError(str(pattern)), str(text), int(n), context),
      { returnsError: true },
    ),
    fn('regexFind', ['string', 'string'], 'string', ([pattern, text], context) =>
      find(mustCompile(str(pattern)), str(text), context),
    ),
    fn(
      'mustRegexFind',
      ['string', 'string'],
      'string',
      ([pattern, text], context) => find(compileOrError(str(pattern)), str(text), context),
      { returnsError: true },
    ),
    fn('regexReplaceAll', params3, 'string', ([pattern, text, replacement], context) =>
      replaceAll(mustCompile(str(pattern)), str(text), str(replacement), context),
    ),
    fn(
      'mustRegexReplaceAll',
      params3,
      'string',
      ([pattern, text, replacement], context) =>
        replaceAll(compileOrError(str(pattern)), str(text), str(replacement), context),
      { returnsError: true },
    ),
    fn('regexReplaceAllLiteral', params3, 'string', ([pattern, text, replacement], context) =>
      replaceAllLiteral(mustCompile(str(pattern)), str(text), str(replacement), context),
    ),
    fn(
      'mustRegexReplaceAllLiteral',
      params3,
      'string',
      ([pattern, text, replacement], context) =>
        replaceAllLiteral(compileOrError(str(pattern)), str(text), str(replacement), context),
      { returnsError: true },
    ),
    fn('regexSplit', ['string', 'string', 'int'], '[]string', ([pattern, text, n], context) =>
      split(mustCompile(str(pattern)), str(text), int(n), context),
    ),
    fn(
      'mustRegexSplit',
      ['string', 'string', 'int'],
      '[]string',
      ([pattern, text, n], context) => split(compileOrError(str(pattern)), str(text), int(n), context),
      { returnsError: true },
    ),
    fn('regexQuoteMeta', ['string'], 'string', ([text]) => quoteMeta(str(text))),
  ];
}
