/**
 * sprig's string functions: Go's strings package and the helpers sprig takes from Masterminds/goutils (abbrev,
 * initials, nospace, swapcase, wrap, untitle) and huandu/xstrings 1.3.3 (snakecase, camelcase, kebabcase),
 * with their quirks: goutils works on bytes (a non-ASCII byte becomes the Latin-1 rune of the same number),
 * xstrings on runes, strings.Title treats any non-letter ASCII as a word break. Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { sprintf } from '../../go-fmt.ts';
import { quote as goQuote } from '../../go-strconv.ts';
import { decodeRune, encodeRune, RUNE_ERROR, type ByteString } from '../../../common/go-utf8.ts';
import { GoList, GoMap, goStringList, type GoFunc, type GoInt, type GoValue } from '../../values.ts';
import { isSliceLike, sliceItems, strval } from './convert.ts';
import { alias, ANY, checkSize, fn } from './define.ts';
import {
  isLetterRune,
  isLowerRune,
  isNumberRune,
  isPunctRune,
  isSpaceRune,
  isTitleRune,
  isUpperRune,
  mapRunes,
  runesOf,
  stringOfRunes,
  toLowerRune,
  toTitleRune,
  toUpperRune,
  trimRunes,
} from '../../../common/go-unicode.ts';

const int = (value: GoValue | undefined): number => Number((value as GoInt).value);
const str = (value: GoValue | undefined): ByteString => value as ByteString;

// -- Go's strings package ----------------------------------------------------------------------------------

function isAsciiText(text: ByteString): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text);
}

export function goToUpper(text: ByteString): ByteString {
  return isAsciiText(text) ? text.toUpperCase() : mapRunes(text, toUpperRune);
}

export function goToLower(text: ByteString): ByteString {
  return isAsciiText(text) ? text.toLowerCase() : mapRunes(text, toLowerRune);
}

/** strings.Title's word breaks. */
function isTitleSeparator(rune: number): boolean {
  if (rune <= 0x7f) {
    if ((rune >= 0x30 && rune <= 0x39) || ((rune | 0x20) >= 0x61 && (rune | 0x20) <= 0x7a) || rune === 0x5f) {
      return false;
    }
    return true;
  }
  if (isLetterRune(rune) || isDigitLike(rune)) return false;
  return isSpaceRune(rune);
}

function isDigitLike(rune: number): boolean {
  return /^\p{Nd}$/u.test(String.fromCodePoint(rune));
}

function goTitle(text: ByteString): ByteString {
  let previous = 0x20;
  return mapRunes(text, (rune) => {
    const mapped = isTitleSeparator(previous) ? toTitleRune(rune) : rune;
    previous = rune;
    return mapped;
  });
}

export function trimSpace(text: ByteString): ByteString {
  return trimRunes(text, isSpaceRune);
}

/** strings.Trim(s, cutset). */
function trimCutset(text: ByteString, cutset: ByteString): ByteString {
  if (text === '' || cutset === '') return text;
  const runes = new Set(runesOf(cutset));
  return trimRunes(text, (rune) => runes.has(rune));
}

function repeat(
  text: ByteString,
  count: number,
  context: Parameters<GoFunc['implementation']>[1],
): ByteString {
  if (count < 0) throw new GoFuncError('strings: negative Repeat count');
  checkSize(text.length * count, context);
  return text.repeat(count);
}

/** The UTF-8 sequences of a string, each invalid byte on its own (strings' explode). */
function explode(text: ByteString, limit: number): ByteString[] {
  const parts: ByteString[] = [];
  let index = 0;
  while (index < text.length) {
    if (limit > 0 && parts.length === limit - 1) {
      parts.push(text.slice(index));
      return parts;
    }
    const [, size] = decodeRune(text, index);
    parts.push(text.slice(index, index + size));
    index += size;
  }
  return parts;
}

/** strings.SplitN (n < 0: all parts; n == 0: nil). */
export function splitN(text: ByteString, separator: ByteString, n: number): ByteString[] | undefined {
  if (n === 0) return undefined;
  if (separator === '') return explode(text, n);
  const parts: ByteString[] = [];
  let start = 0;
  for (;;) {
    if (n > 0 && parts.length === n - 1) break;
    const found = text.indexOf(separator, start);
    if (found < 0) break;
    parts.push(text.slice(start, found));
    start = found + separator.length;
  }
  parts.push(text.slice(start));
  return parts;
}

/** strings.Replace(s, old, new, -1). */
function replaceAll(text: ByteString, old: ByteString, replacement: ByteString): ByteString {
  if (old === replacement) return text;
  if (old === '') {
    // An empty old string matches before every rune and at the end.
    return (
      replacement +
      explode(text, -1)
        .map((part) => part + replacement)
        .join('')
    );
  }
  return text.split(old).join(replacement);
}

// -- goutils (byte-wise helpers) ---------------------------------------------------------------------------

/** A byte as goutils turns it into a rune and writes it back: bytes ≥ 0x80 become two UTF-8 bytes. */
function byteAsRune(text: ByteString, index: number): ByteString {
  return encodeRune(text.charCodeAt(index));
}

function isSpaceByte(text: ByteString, index: number): boolean {
  return isSpaceRune(text.charCodeAt(index));
}

function deleteWhiteSpace(text: ByteString): ByteString {
  let out = '';
  let kept = 0;
  for (let index = 0; index < text.length; index++) {
    if (!isSpaceByte(text, index)) {
      out += byteAsRune(text, index);
      kept++;
    }
  }
  return kept === text.length ? text : out;
}

function initials(text: ByteString): ByteString {
  let out = '';
  let lastWasGap = true;
  for (let index = 0; index < text.length; index++) {
    if (isSpaceByte(text, index)) lastWasGap = true;
    else if (lastWasGap) {
      out += byteAsRune(text, index);
      lastWasGap = false;
    }
  }
  return out;
}

/** goutils.AbbreviateFull (maxWidth ≥ 4 guaranteed by the callers). */
function abbreviateFull(text: ByteString, offset: number, maxWidth: number): ByteString {
  if (text === '') return '';
  if (text.length <= maxWidth) return text;
  if (offset > text.length) offset = text.length;
  if (text.length - offset < maxWidth - 3) offset = text.length - (maxWidth - 3);
  if (offset <= 4) return `${text.slice(0, maxWidth - 3)}...`;
  if (maxWidth < 7) return '';
  if (offset + maxWidth - 3 < text.length) return `...${abbreviateFull(text.slice(offset), 0, maxWidth - 3)}`;
  return `...${text.slice(text.length - (maxWidth - 3))}`;
}

/** goutils.WrapCustom. */
function wrapCustom(
  text: ByteString,
  width: number,
  newline: ByteString,
  wrapLongWords: boolean,
): ByteString {
  if (text === '') return '';
  if (newline === '') newline = '\n';
  if (width < 1) width = 1;
  const length = text.length;
  let offset = 0;
  let out = '';
  while (length - offset > width) {
    if (text[offset] === ' ') {
      offset++;
      continue;
    }
    const lastSpace = text.slice(offset, width + offset + 1).lastIndexOf(' ');
    if (lastSpace >= 0) {
      out += text.slice(offset, offset + lastSpace) + newline;
      offset += lastSpace + 1;
    } else if (wrapLongWords) {
      out += text.slice(offset, offset + width) + newline;
      offset += width;
    } else {
      const end = width + offset;
      const space = text.indexOf(' ', end);
      if (space < 0) {
        out += text.slice(offset);
        offset = length;
      } else {
        out += text.slice(offset, space) + newline;
        offset = space + 1;
      }
    }
  }
  return out + text.slice(offset);
}

function uncapitalize(text: ByteString): ByteString {
  if (text === '') return text;
  let next = true;
  return mapRunes(text, (rune) => {
    if (isSpaceRune(rune)) {
      next = true;
      return rune;
    }
    if (next) {
      next = false;
      return toLowerRune(rune);
    }
    return rune;
  });
}

function swapCase(text: ByteString): ByteString {
  if (text === '') return text;
  let whitespace = true;
  return mapRunes(text, (rune) => {
    if (isUpperRune(rune) || isTitleRune(rune)) {
      whitespace = false;
      return toLowerRune(rune);
    }
    if (isLowerRune(rune)) {
      const mapped = whitespace ? toTitleRune(rune) : toUpperRune(rune);
      whitespace = false;
      return mapped;
    }
    whitespace = isSpaceRune(rune);
    return rune;
  });
}

// -- xstrings 1.3.3 (case conversions) ---------------------------------------------------------------------

const isConnector = (rune: number): boolean => rune === 0x2d || rune === 0x5f || isSpaceRune(rune);

/** A letter that is not a CJK ideograph (xstrings' isAlphabet). */
function isAlphabet(rune: number): boolean {
  if (!isLetterRune(rune)) return false;
  if (rune < 0x3400) return true;
  if (rune >= 0x4e00 && rune <= 0x9fcc) return false;
  if (rune >= 0x3400 && rune <= 0x4d85) return false;
  if (rune >= 0x20000 && rune <= 0x2b81d) return false;
  return true;
}

function camelCase(text: ByteString): ByteString {
  if (text === '') return '';
  let out = '';
  let index = 0;
  let r0 = 0;
  let size = 0;
  let found = false;
  while (index < text.length) {
    [r0, size] = decodeRune(text, index);
    index += size;
    if (!isConnector(r0)) {
      r0 = toUpperRune(r0);
      found = true;
      break;
    }
    out += encodeRune(r0);
  }
  if (index >= text.length) {
    if (size !== 0 && (found || true)) out += encodeRune(r0);
    return out;
  }
  while (index < text.length) {
    const r1 = r0;
    [r0, size] = decodeRune(text, index);
    index += size;
    if (isConnector(r0) && isConnector(r1)) {
      out += encodeRune(r1);
      continue;
    }
    if (isConnector(r1)) {
      r0 = toUpperRune(r0);
    } else {
      r0 = toLowerRune(r0);
      out += encodeRune(r1);
    }
  }
  return out + encodeRune(r0);
}

const Word = {
  Invalid: 0,
  Number: 1,
  UpperCase: 2,
  Alphabet: 3,
  Connector: 4,
  Punct: 5,
  Other: 6,
} as const;
type Word = (typeof Word)[keyof typeof Word];

/** The next valid rune from index (skipping invalid bytes), with the bytes consumed; `previous` at the end. */
function nextValidRune(text: ByteString, index: number, previous: number): [rune: number, size: number] {
  let size = 0;
  while (index + size < text.length) {
    const [rune, width] = decodeRune(text, index + size);
    size += width;
    if (!(rune === RUNE_ERROR && width === 1) && rune !== RUNE_ERROR) return [rune, size];
  }
  return [previous, size];
}

interface NextWord {
  type: Word;
  word: ByteString;
  remaining: ByteString;
}

function nextWord(text: ByteString): NextWord {
  if (text === '') return { type: Word.Invalid, word: '', remaining: '' };
  let offset = 0;
  let remaining = text;
  let [rune, size] = nextValidRune(remaining, 0, RUNE_ERROR);
  offset += size;
  if (rune === RUNE_ERROR)
    return { type: Word.Invalid, word: text.slice(0, offset), remaining: text.slice(offset) };
  let type: Word;
  const consumeWhile = (keep: (rune: number) => boolean): void => {
    remaining = remaining.slice(size);
    while (remaining.length > 0) {
      [rune, size] = nextValidRune(remaining, 0, rune);
      if (!keep(rune)) break;
      offset += size;
      remaining = remaining.slice(size);
    }
  };
  if (isConnector(rune)) {
    type = Word.Connector;
    consumeWhile(isConnector);
  } else if (isPunctRune(rune)) {
    type = Word.Punct;
    consumeWhile(isPunctRune);
  } else if (isUpperRune(rune)) {
    type = Word.UpperCase;
    remaining = remaining.slice(size);
    if (remaining.length > 0) {
      [rune, size] = nextValidRune(remaining, 0, rune);
      if (isUpperRune(rune)) {
        let previousSize = size;
        offset += size;
        remaining = remaining.slice(size);
        while (remaining.length > 0) {
          [rune, size] = nextValidRune(remaining, 0, rune);
          if (!isUpperRune(rune)) break;
          previousSize = size;
          offset += size;
          remaining = remaining.slice(size);
        }
        if (remaining.length > 0 && isAlphabet(rune)) {
          offset -= previousSize;
          remaining = text.slice(offset);
        }
      } else if (isAlphabet(rune)) {
        offset += size;
        remaining = remaining.slice(size);
        while (remaining.length > 0) {
          [rune, size] = nextValidRune(remaining, 0, rune);
          if (!isAlphabet(rune) || isUpperRune(rune)) break;
          offset += size;
          remaining = remaining.slice(size);
        }
      }
    }
  } else if (isAlphabet(rune)) {
    type = Word.Alphabet;
    consumeWhile((r) => isAlphabet(r) && !isUpperRune(r));
  } else if (isNumberRune(rune)) {
    type = Word.Number;
    consumeWhile(isNumberRune);
  } else {
    type = Word.Other;
    remaining = remaining.slice(size);
    while (remaining.length > 0) {
      [rune, size] = nextValidRune(remaining, 0, rune);
      if (size === 0 || isConnector(rune) || isAlphabet(rune) || isNumberRune(rune) || isPunctRune(rune))
        break;
      offset += size;
      remaining = remaining.slice(size);
    }
  }
  return { type, word: text.slice(0, offset), remaining };
}

function lowerWord(type: Word, word: ByteString, connector: string): ByteString {
  if (type !== Word.UpperCase && type !== Word.Connector) return word;
  let out = '';
  for (let index = 0; index < word.length;) {
    const [rune, size] = decodeRune(word, index);
    index += size;
    if (isConnector(rune)) out += connector;
    else if (isUpperRune(rune)) out += encodeRune(toLowerRune(rune));
    else out += encodeRune(rune);
  }
  return out;
}

/** xstrings' camelCaseToLowerCase (snakecase with "_", kebabcase with "-"). */
function camelCaseToLowerCase(text: ByteString, connector: string): ByteString {
  if (text === '') return '';
  let out = '';
  let state = nextWord(text);
  // Read through a function: the state changes in advance(), which the compiler's narrowing cannot see.
  const type = (): Word => state.type;
  const advance = (): void => {
    state = nextWord(state.remaining);
  };
  while (state.remaining.length > 0) {
    if (type() !== Word.Connector) out += lowerWord(type(), state.word, connector);
    const previous = type();
    const last = state.word;
    advance();
    switch (previous) {
      case Word.Number:
        while (type() === Word.Alphabet || type() === Word.Number) {
          out += lowerWord(type(), state.word, connector);
          advance();
        }
        if (type() !== Word.Invalid && type() !== Word.Punct && type() !== Word.Connector) out += connector;
        break;
      case Word.Connector:
        out += lowerWord(previous, last, connector);
        break;
      case Word.Punct:
        break;
      default: {
        if (type() !== Word.Number) {
          if (type() !== Word.Connector && type() !== Word.Punct) out += connector;
          break;
        }
        if (state.remaining.length === 0) break;
        const number = state.word;
        advance();
        if (type() !== Word.Alphabet) {
          out += lowerWord(Word.Number, number, connector);
          if (type() !== Word.Connector && type() !== Word.Punct) out += connector;
          break;
        }
        out += connector + lowerWord(Word.Number, number, connector);
        while (type() === Word.Alphabet || type() === Word.Number) {
          out += lowerWord(type(), state.word, connector);
          advance();
        }
        if (type() !== Word.Invalid && type() !== Word.Connector && type() !== Word.Punct) out += connector;
      }
    }
  }
  return out + lowerWord(type(), state.word, connector);
}

// -- sprig's own -------------------------------------------------------------------------------------------

/** strslice: a value as []string (sprig's toStrings, join, sortAlpha). */
export function toStringSlice(value: GoValue): ByteString[] {
  if (value instanceof GoList && value.type === '[]string') return [...(value.items as ByteString[])];
  if (isSliceLike(value)) {
    return sliceItems(value)
      .filter((item) => item !== null)
      .map(strval);
  }
  if (value === null) return [];
  return [strval(value)];
}

function sliceOutOfRange(low: number | undefined, high: number | undefined, length: number): GoFuncError {
  let message: string;
  if (low === undefined) message = `slice bounds out of range [:${high}] with length ${length}`;
  else if (high === undefined) message = `slice bounds out of range [${low}:${length}]`;
  else if (high > length) message = `slice bounds out of range [:${high}] with length ${length}`;
  else message = `slice bounds out of range [${low}:${high}]`;
  return new GoFuncError(`runtime error: ${message}`);
}

/** Go's s[low:high] on a string, panicking as Go does. */
function sliceString(text: ByteString, low: number | undefined, high: number | undefined): ByteString {
  const start = low ?? 0;
  const end = high ?? text.length;
  if (high !== undefined && (high < 0 || high > text.length))
    throw sliceOutOfRange(undefined, high, text.length);
  if (low !== undefined && (low < 0 || low > end)) throw sliceOutOfRange(low, high, text.length);
  return text.slice(start, end);
}

function substring(start: number, end: number, text: ByteString): ByteString {
  if (start < 0) return sliceString(text, undefined, end);
  if (end < 0 || end > text.length) return sliceString(text, start, undefined);
  return sliceString(text, start, end);
}

function splitMap(parts: ByteString[] | undefined): GoMap {
  return new GoMap(
    'map[string]string',
    new Map((parts ?? []).map((part, index) => [`_${index}`, part] as const)),
  );
}

export function stringFunctions(): GoFunc[] {
  const trimAll = fn('trimAll', ['string', 'string'], 'string', ([cutset, text]) =>
    trimCutset(str(text), str(cutset)),
  );
  return [
    fn('hello', [], 'string', () => 'Hello!'),
    fn('abbrev', ['int', 'string'], 'string', ([width, text]) =>
      int(width) < 4 ? str(text) : abbreviateFull(str(text), 0, int(width)),
    ),
    fn('abbrevboth', ['int', 'int', 'string'], 'string', ([left, right, text]) => {
      const l = int(left);
      const r = int(right);
      if (r < 4 || (l > 0 && r < 7)) return str(text);
      return abbreviateFull(str(text), l, r);
    }),
    fn('trunc', ['int', 'string'], 'string', ([count, text]) => {
      const c = int(count);
      const s = str(text);
      if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
      if (c >= 0 && s.length > c) return s.slice(0, c);
      return s;
    }),
    fn('trim', ['string'], 'string', ([text]) => trimSpace(str(text))),
    fn('upper', ['string'], 'string', ([text]) => goToUpper(str(text))),
    fn('lower', ['string'], 'string', ([text]) => goToLower(str(text))),
    fn('title', ['string'], 'string', ([text]) => goTitle(str(text))),
    fn('untitle', ['string'], 'string', ([text]) => uncapitalize(str(text))),
    fn('substr', ['int', 'int', 'string'], 'string', ([start, end, text]) =>
      substring(int(start), int(end), str(text)),
    ),
    fn('repeat', ['int', 'string'], 'string', ([count, text], context) =>
      repeat(str(text), int(count), context),
    ),
    alias('trimall', trimAll),
    trimAll,
    fn('trimSuffix', ['string', 'string'], 'string', ([suffix, text]) =>
      str(text).endsWith(str(suffix)) ? str(text).slice(0, str(text).length - str(suffix).length) : str(text),
    ),
    fn('trimPrefix', ['string', 'string'], 'string', ([prefix, text]) =>
      str(text).startsWith(str(prefix)) ? str(text).slice(str(prefix).length) : str(text),
    ),
    fn('nospace', ['string'], 'string', ([text]) => deleteWhiteSpace(str(text))),
    fn('initials', ['string'], 'string', ([text]) => initials(str(text))),
    fn('swapcase', ['string'], 'string', ([text]) => swapCase(str(text))),
    fn('snakecase', ['string'], 'string', ([text]) => camelCaseToLowerCase(str(text), '_')),
    fn('camelcase', ['string'], 'string', ([text]) => camelCase(str(text))),
    fn('kebabcase', ['string'], 'string', ([text]) => camelCaseToLowerCase(str(text), '-')),
    fn('wrap', ['int', 'string'], 'string', ([width, text]) => wrapCustom(str(text), int(width), '', false)),
    fn('wrapWith', ['int', 'string', 'string'], 'string', ([width, separator, text]) =>
      wrapCustom(str(text), int(width), str(separator), true),
    ),
    fn('contains', ['string', 'string'], 'bool', ([sub, text]) => str(text).includes(str(sub))),
    fn('hasPrefix', ['string', 'string'], 'bool', ([prefix, text]) => str(text).startsWith(str(prefix))),
    fn('hasSuffix', ['string', 'string'], 'bool', ([suffix, text]) => str(text).endsWith(str(suffix))),
    fn(
      'quote',
      [ANY],
      'string',
      (values) =>
        values
          .filter((value) => value !== null)
          .map((value) => goQuote(strval(value)))
          .join(' '),
      { variadic: true },
    ),
    fn(
      'squote',
      [ANY],
      'string',
      (values) =>
        values
          .filter((value) => value !== null)
          .map((value) => sprintf("'%v'", [value]))
          .join(' '),
      { variadic: true },
    ),
    fn(
      'cat',
      [ANY],
      'string',
      (values) => {
        const present = values.filter((value) => value !== null);
        return sprintf(present.map(() => '%v').join(' '), present);
      },
      { variadic: true },
    ),
    fn('indent', ['int', 'string'], 'string', ([spaces, text], context) =>
      indent(int(spaces), str(text), context),
    ),
    fn(
      'nindent',
      ['int', 'string'],
      'string',
      ([spaces, text], context) => `\n${indent(int(spaces), str(text), context)}`,
    ),
    fn('replace', ['string', 'string', 'string'], 'string', ([old, replacement, text], context) => {
      const result = replaceAll(str(text), str(old), str(replacement));
      checkSize(result.length, context);
      return result;
    }),
    fn('plural', ['string', 'string', 'int'], 'string', ([one, many, count]) =>
      int(count) === 1 ? str(one) : str(many),
    ),
    fn('toString', [ANY], 'string', ([value]) => strval(value!)),
    fn('toStrings', [ANY], '[]string', ([value]) => goStringList(toStringSlice(value!))),
    fn('join', ['string', ANY], 'string', ([separator, value]) => toStringSlice(value!).join(str(separator))),
    fn('split', ['string', 'string'], 'map[string]string', ([separator, text]) =>
      splitMap(splitN(str(text), str(separator), -1)),
    ),
    fn('splitn', ['string', 'int', 'string'], 'map[string]string', ([separator, n, text]) =>
      splitMap(splitN(str(text), str(separator), int(n))),
    ),
    fn('splitList', ['string', 'string'], '[]string', ([separator, text]) =>
      goStringList(splitN(str(text), str(separator), -1)!),
    ),
    fn('sortAlpha', [ANY], '[]string', ([value]) => {
      if (!isSliceLike(value!)) return goStringList([strval(value!)]);
      return goStringList(toStringSlice(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }),
  ];
}

function indent(
  spaces: number,
  text: ByteString,
  context: Parameters<GoFunc['implementation']>[1],
): ByteString {
  const pad = repeat(' ', spaces, context);
  const lines = text.split('\n');
  checkSize(text.length + lines.length * pad.length, context);
  return pad + lines.join(`\n${pad}`);
}

export { runesOf, stringOfRunes };
