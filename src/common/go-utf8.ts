/**
 * Go strings are byte sequences; the template engine keeps them as "byte strings": JavaScript strings whose
 * code units are all 0–255, one per byte. Lengths, indexes, slices and map-key order are then Go's (bytes),
 * binary secret values pass through untouched, and output is exactly the bytes Go would write. These helpers
 * cross between byte strings and ordinary (UTF-16) text, decoding the way Go's unicode/utf8 does: every byte
 * that does not start a valid sequence is one U+FFFD, where WHATWG's TextDecoder would merge some of them.
 */

/** U+FFFD, what Go's decoder returns for an invalid byte. */
export const RUNE_ERROR = 0xfffd;

/** A byte string: one code unit per byte. The type is an alias; the convention is what matters. */
export type ByteString = string;

const encoder = new TextEncoder();

/** UTF-8 bytes of ordinary text, as a byte string (lone surrogates become U+FFFD, as Go's encoding/json does). */
export function byteStringFromText(text: string): ByteString {
  // ASCII is the same in both representations; skipping the encoder keeps the common case cheap.
  if (isAscii(text)) return text;
  return byteStringFromBytes(encoder.encode(text));
}

/** Ordinary text from a byte string, decoding UTF-8 as Go does (each invalid byte is one U+FFFD). */
export function textFromByteString(bytes: ByteString): string {
  if (isAscii(bytes)) return bytes;
  let text = '';
  for (let index = 0; index < bytes.length;) {
    const [rune, size] = decodeRune(bytes, index);
    text += String.fromCodePoint(rune);
    index += size;
  }
  return text;
}

export function byteStringFromBytes(bytes: Uint8Array): ByteString {
  let text = '';
  const chunk = 0x8000;
  for (let start = 0; start < bytes.length; start += chunk) {
    text += String.fromCharCode(...bytes.subarray(start, start + chunk));
  }
  return text;
}

export function bytesFromByteString(text: ByteString): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(text);
}

/**
 * The rune starting at `index` and its size in bytes: Go's utf8.DecodeRuneInString. Invalid or truncated
 * sequences, surrogates and overlong forms give (U+FFFD, 1).
 */
export function decodeRune(bytes: ByteString, index: number): [rune: number, size: number] {
  const first = bytes.charCodeAt(index);
  if (first < 0x80) return [first, 1];
  const continuation = (offset: number): number => {
    const byte = bytes.charCodeAt(index + offset);
    return byte >= 0x80 && byte <= 0xbf ? byte & 0x3f : -1;
  };
  if (first >= 0xc2 && first <= 0xdf) {
    const b1 = continuation(1);
    if (b1 >= 0) return [((first & 0x1f) << 6) | b1, 2];
  } else if (first >= 0xe0 && first <= 0xef) {
    const b1 = continuation(1);
    const b2 = b1 >= 0 ? continuation(2) : -1;
    if (b2 >= 0) {
      const rune = ((first & 0x0f) << 12) | (b1 << 6) | b2;
      if (rune >= 0x800 && (rune < 0xd800 || rune > 0xdfff)) return [rune, 3];
    }
  } else if (first >= 0xf0 && first <= 0xf4) {
    const b1 = continuation(1);
    const b2 = b1 >= 0 ? continuation(2) : -1;
    const b3 = b2 >= 0 ? continuation(3) : -1;
    if (b3 >= 0) {
      const rune = ((first & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3;
      if (rune >= 0x10000 && rune <= 0x10ffff) return [rune, 4];
    }
  }
  return [RUNE_ERROR, 1];
}

/** The rune ending at `end` (exclusive) and its size: Go's utf8.DecodeLastRuneInString. */
export function decodeLastRune(bytes: ByteString, end: number): [rune: number, size: number] {
  for (let start = end - 1; start >= Math.max(0, end - 4); start--) {
    const byte = bytes.charCodeAt(start);
    if (byte < 0x80 || byte >= 0xc0) {
      const [rune, size] = decodeRune(bytes, start);
      return start + size === end ? [rune, size] : [RUNE_ERROR, 1];
    }
  }
  return [RUNE_ERROR, 1];
}

/** UTF-8 encoding of one rune as a byte string; invalid runes encode U+FFFD, as Go's utf8.AppendRune does. */
export function encodeRune(rune: number): ByteString {
  if (rune < 0 || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) rune = RUNE_ERROR;
  if (rune < 0x80) return String.fromCharCode(rune);
  if (rune < 0x800) return String.fromCharCode(0xc0 | (rune >> 6), 0x80 | (rune & 0x3f));
  if (rune < 0x10000) {
    return String.fromCharCode(0xe0 | (rune >> 12), 0x80 | ((rune >> 6) & 0x3f), 0x80 | (rune & 0x3f));
  }
  return String.fromCharCode(
    0xf0 | (rune >> 18),
    0x80 | ((rune >> 12) & 0x3f),
    0x80 | ((rune >> 6) & 0x3f),
    0x80 | (rune & 0x3f),
  );
}

/** Number of runes, counting each invalid byte as one: Go's utf8.RuneCountInString. */
export function runeCount(bytes: ByteString): number {
  let count = 0;
  for (let index = 0; index < bytes.length; count++) {
    index += bytes.charCodeAt(index) < 0x80 ? 1 : decodeRune(bytes, index)[1];
  }
  return count;
}

export function isValidUtf8(bytes: ByteString): boolean {
  for (let index = 0; index < bytes.length;) {
    if (bytes.charCodeAt(index) < 0x80) {
      index++;
      continue;
    }
    const [rune, size] = decodeRune(bytes, index);
    if (rune === RUNE_ERROR && size === 1) return false;
    index += size;
  }
  return true;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

/** Go's unicode.IsPrint / strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrintRune(rune: number): boolean {
  if (rune < 0x80) return rune >= 0x20 && rune < 0x7f;
  return PRINTABLE.test(String.fromCodePoint(rune));
}

/** Go's unicode.IsLetter. */
export function isLetterRune(rune: number): boolean {
  if (rune < 0x80) return (rune >= 0x41 && rune <= 0x5a) || (rune >= 0x61 && rune <= 0x7a);
  return rune <= 0x10ffff && LETTER.test(String.fromCodePoint(rune));
}

/** Go's unicode.IsDigit (decimal digits, Nd). */
export function isDigitRune(rune: number): boolean {
  if (rune < 0x80) return rune >= 0x30 && rune <= 0x39;
  return rune <= 0x10ffff && DIGIT.test(String.fromCodePoint(rune));
}
