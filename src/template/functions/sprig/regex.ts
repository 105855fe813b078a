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
  type GoType,
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

/**
 * `regexX` and `mustRegexX` over one body, whose first parameter is the pattern: the plain form panics on a bad
 * pattern, the must form returns the error.
 */
function regexPair(
  name: string,
  params: GoType[],
  result: GoType,
  body: (regexp: GoRegexp, args: GoValue[], context: CallContext) => GoValue,
): GoFunc[] {
  return [
    fn(`regex${name}`, params, result, (args, context) => body(mustCompile(str(args[0])), args, context)),
    fn(
      `mustRegex${name}`,
      params,
      result,
      (args, context) => body(compileOrError(str(args[0])), args, context),
      { returnsError: true },
    ),
  ];
}

export function regexFunctions(): GoFunc[] {
  const params3: GoType[] = ['string', 'string', 'string'];
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
    ...regexPair('FindAll', ['string', 'string', 'int'], '[]string', (regexp, [, text, n], context) =>
      findAll(regexp, str(text), int(n), context),
    ),
    ...regexPair('Find', ['string', 'string'], 'string', (regexp, [, text], context) =>
      find(regexp, str(text), context),
    ),
    ...regexPair('ReplaceAll', params3, 'string', (regexp, [, text, replacement], context) =>
      replaceAll(regexp, str(text), str(replacement), context),
    ),
    ...regexPair('ReplaceAllLiteral', params3, 'string', (regexp, [, text, replacement], context) =>
      replaceAllLiteral(regexp, str(text), str(replacement), context),
    ),
    ...regexPair('Split', ['string', 'string', 'int'], '[]string', (regexp, [, text, n], context) =>
      split(regexp, str(text), int(n), context),
    ),
    fn('regexQuoteMeta', ['string'], 'string', ([text]) => quoteMeta(str(text))),
  ];
}
