/**
 * Go's unicode package as sprig's string helpers and the regexp engine use it: simple (one rune to one rune)
 * case mappings, which differ from JavaScript's full mappings ("ß" stays "ß" in Go's ToUpper, "İ" lowers to
 * "i", a final "Σ" lowers to "σ"), and the rune classes (IsSpace, IsUpper, IsLetter…). Runes are code points.
 * Pure.
 */
import { decodeLastRune, decodeRune, encodeRune, type ByteString } from './go-utf8.ts';

const UPPER = /^\p{Lu}$/u;
const LOWER = /^\p{Ll}$/u;
const TITLE = /^\p{Lt}$/u;
const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
const DIGIT = /^\p{Nd}$/u;
const PUNCT = /^\p{P}$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;

function test(pattern: RegExp, rune: number): boolean {
  return rune >= 0 && rune <= 0x10ffff && pattern.test(String.fromCodePoint(rune));
}

/** JavaScript's mapping when it maps the rune to exactly one rune; otherwise undefined. */
function single(mapped: string): number | undefined {
  const first = mapped.codePointAt(0);
  if (first === undefined) return undefined;
  return mapped.length === (first > 0xffff ? 2 : 1) ? first : undefined;
}

/** Greek letters with ypogegrammeni: their simple upper and title case is the prosgegrammeni form. */
function greekIotaSubscriptUpper(rune: number): number | undefined {
  if (rune >= 0x1f80 && rune <= 0x1faf && (rune & 0x0f) < 8) return rune + 8;
  if (rune === 0x1fb3 || rune === 0x1fc3 || rune === 0x1ff3) return rune + 9;
  return undefined;
}

/** unicode.ToUpper. */
export function toUpperRune(rune: number): number {
  if (rune < 0x80) return rune >= 0x61 && rune <= 0x7a ? rune - 32 : rune;
  if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return rune;
  return greekIotaSubscriptUpper(rune) ?? single(String.fromCodePoint(rune).toUpperCase()) ?? rune;
}

/** unicode.ToLower. */
export function toLowerRune(rune: number): number {
  if (rune < 0x80) return rune >= 0x41 && rune <= 0x5a ? rune + 32 : rune;
  if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return rune;
  if (rune === 0x130) return 0x69;
  return single(String.fromCodePoint(rune).toLowerCase()) ?? rune;
}

/** unicode.ToTitle: upper case, except the digraphs that have a title form (Ǆ ǅ ǆ → ǅ …). */
export function toTitleRune(rune: number): number {
  switch (rune) {
    case 0x1c4:
    case 0x1c5:
    case 0x1c6:
      return 0x1c5;
    case 0x1c7:
    case 0x1c8:
    case 0x1c9:
      return 0x1c8;
    case 0x1ca:
    case 0x1cb:
    case 0x1cc:
      return 0x1cb;
    case 0x1f1:
    case 0x1f2:
    case 0x1f3:
      return 0x1f2;
  }
  if (rune >= 0x10d0 && rune <= 0x10ff && rune !== 0x10fb && rune !== 0x10fc) return rune; // Georgian Mkhedruli
  return toUpperRune(rune);
}

/** unicode.IsSpace: ASCII white space, U+0085, U+00A0 and the White_Space property. */
export function isSpaceRune(rune: number): boolean {
  if (rune < 0x100) {
    return (rune >= 0x09 && rune <= 0x0d) || rune === 0x20 || rune === 0x85 || rune === 0xa0;
  }
  return test(WHITE_SPACE, rune);
}

export const isUpperRune = (rune: number): boolean =>
  rune < 0x80 ? rune >= 0x41 && rune <= 0x5a : test(UPPER, rune);
export const isLowerRune = (rune: number): boolean =>
  rune < 0x80 ? rune >= 0x61 && rune <= 0x7a : test(LOWER, rune);
export const isTitleRune = (rune: number): boolean => rune >= 0x80 && test(TITLE, rune);
export const isLetterRune = (rune: number): boolean =>
  rune < 0x80 ? (rune | 0x20) >= 0x61 && (rune | 0x20) <= 0x7a : test(LETTER, rune);
export const isDigitRune = (rune: number): boolean =>
  rune < 0x80 ? rune >= 0x30 && rune <= 0x39 : test(DIGIT, rune);
export const isNumberRune = (rune: number): boolean =>
  rune < 0x80 ? rune >= 0x30 && rune <= 0x39 : test(NUMBER, rune);
export const isPunctRune = (rune: number): boolean => test(PUNCT, rune);

/** The runes of a byte string as Go's []rune(s) makes them (each invalid byte is one U+FFFD). */
export function runesOf(text: ByteString): number[] {
  const runes: number[] = [];
  for (let index = 0; index < text.length;) {
    const [rune, size] = decodeRune(text, index);
    runes.push(rune);
    index += size;
  }
  return runes;
}

/** string([]rune): UTF-8 of the runes. */
export function stringOfRunes(runes: readonly number[]): ByteString {
  let out = '';
  for (const rune of runes) out += encodeRune(rune);
  return out;
}

/** strings.Map without dropping: every rune mapped (invalid bytes become U+FFFD, as Go's Map makes them). */
export function mapRunes(text: ByteString, mapping: (rune: number) => number): ByteString {
  return stringOfRunes(runesOf(text).map(mapping));
}

/** strings.TrimFunc-like trimming of runes from both ends. */
export function trimRunes(text: ByteString, drop: (rune: number) => boolean): ByteString {
  let start = 0;
  while (start < text.length) {
    const [rune, size] = decodeRune(text, start);
    if (!drop(rune)) break;
    start += size;
  }
  let end = text.length;
  while (end > start) {
    const [rune, size] = decodeLastRune(text, end);
    if (!drop(rune)) break;
    end -= size;
  }
  return text.slice(start, end);
}
