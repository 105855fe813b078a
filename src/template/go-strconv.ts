/**
 * Go's strconv, as far as templates need it: quoting (%q, error messages), unquoting string and character
 * literals, parsing number literals with Go's syntax, and formatting float64 with every verb fmt uses. All
 * strings are byte strings (common/go-utf8.ts). Float digits are exact: shortest digits come from JavaScript (which,
 * like Go, picks the shortest string that reads back to the same float, closest to the exact value), and
 * fixed precisions are rounded half-to-even from the exact binary value, as Go does; JavaScript's toFixed and
 * toPrecision round exact ties away from zero, so they are not used.
 */
import {
  decodeRune,
  encodeRune,
  isPrintRune,
  isValidUtf8,
  RUNE_ERROR,
  type ByteString,
} from '../common/go-utf8.ts';

const LOWER_HEX = '0123456789abcdef';

export class InvalidSyntaxError extends Error {
  constructor() {
    super('invalid syntax');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Quoting

function appendEscapedRune(rune: number, quote: number, asciiOnly: boolean): ByteString {
  if (rune === quote || rune === 0x5c) return `\\${String.fromCharCode(rune)}`;
  if (asciiOnly ? rune < 0x80 && isPrintRune(rune) : isPrintRune(rune)) return encodeRune(rune);
  switch (rune) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (rune < 0x20 || rune === 0x7f) return `\\x${hex2(rune)}`;
  if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) rune = RUNE_ERROR;
  if (rune < 0x10000) return `\\u${rune.toString(16).padStart(4, '0')}`;
  return `\\U${rune.toString(16).padStart(8, '0')}`;
}

function hex2(byte: number): string {
  return LOWER_HEX[byte >> 4]! + LOWER_HEX[byte & 15]!;
}

/** strconv.Quote (or QuoteToASCII): a double-quoted Go string literal; invalid bytes become \xNN. */
export function quote(text: ByteString, asciiOnly = false): ByteString {
  let out = '"';
  for (let index = 0; index < text.length;) {
    const [rune, size] = decodeRune(text, index);
    if (size === 1 && rune === RUNE_ERROR) out += `\\x${hex2(text.charCodeAt(index))}`;
    else out += appendEscapedRune(rune, 0x22, asciiOnly);
    index += size;
  }
  return `${out}"`;
}

/** strconv.QuoteRune (or QuoteRuneToASCII). */
export function quoteRune(rune: number, asciiOnly = false): ByteString {
  if (rune > 0x10ffff || rune < 0 || (rune >= 0xd800 && rune <= 0xdfff)) rune = RUNE_ERROR;
  return `'${appendEscapedRune(rune, 0x27, asciiOnly)}'`;
}

/** strconv.CanBackquote: printable on one line without a backquote, valid UTF-8, no BOM. */
export function canBackquote(text: ByteString): boolean {
  for (let index = 0; index < text.length;) {
    const [rune, size] = decodeRune(text, index);
    index += size;
    if (size > 1) {
      if (rune === 0xfeff) return false;
      continue;
    }
    if (rune === RUNE_ERROR) return false;
    if ((rune < 0x20 && rune !== 0x09) || rune === 0x60 || rune === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Unquoting

function unhex(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/**
 * strconv.UnquoteChar: the first character or escape of `text` inside a literal quoted by `quote`. Returns the
 * value, whether it is a rune (to be UTF-8 encoded) rather than a single byte, and the remaining offset.
 */
export function unquoteChar(
  text: ByteString,
  start: number,
  quoteChar: number,
): { value: number; multibyte: boolean; next: number } {
  const first = text.charCodeAt(start);
  if (Number.isNaN(first)) throw new InvalidSyntaxError();
  if (first === quoteChar && (quoteChar === 0x27 || quoteChar === 0x22)) throw new InvalidSyntaxError();
  if (first >= 0x80) {
    const [rune, size] = decodeRune(text, start);
    return { value: rune, multibyte: true, next: start + size };
  }
  if (first !== 0x5c) return { value: first, multibyte: false, next: start + 1 };
  const escape = text.charCodeAt(start + 1);
  if (Number.isNaN(escape)) throw new InvalidSyntaxError();
  let next = start + 2;
  const simple: Record<number, number> = {
    0x61: 7,
    0x62: 8,
    0x66: 12,
    0x6e: 10,
    0x72: 13,
    0x74: 9,
    0x76: 11,
  };
  if (simple[escape] !== undefined) return { value: simple[escape], multibyte: false, next };
  switch (escape) {
    case 0x78: // \x
    case 0x75: // \u
    case 0x55: {
      // \U
      const digits = escape === 0x78 ? 2 : escape === 0x75 ? 4 : 8;
      let value = 0;
      for (let index = 0; index < digits; index++) {
        const digit = unhex(text.charCodeAt(next + index));
        if (digit < 0) throw new InvalidSyntaxError();
        value = value * 16 + digit;
      }
      next += digits;
      if (escape === 0x78) return { value, multibyte: false, next };
      if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) throw new InvalidSyntaxError();
      return { value, multibyte: true, next };
    }
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x36:
    case 0x37: {
      let value = escape - 0x30;
      for (let index = 0; index < 2; index++) {
        const digit = text.charCodeAt(next + index) - 0x30;
        if (!(digit >= 0 && digit <= 7)) throw new InvalidSyntaxError();
        value = value * 8 + digit;
      }
      next += 2;
      if (value > 255) throw new InvalidSyntaxError();
      return { value, multibyte: false, next };
    }
    case 0x5c:
      return { value: 0x5c, multibyte: false, next };
    case 0x27:
    case 0x22:
      if (escape !== quoteChar) throw new InvalidSyntaxError();
      return { value: escape, multibyte: false, next };
  }
  throw new InvalidSyntaxError();
}

/** strconv.Unquote for the template lexer's string literals: "…" with escapes, or `…` raw (CRs dropped). */
export function unquote(literal: ByteString): ByteString {
  const quoteChar = literal.charCodeAt(0);
  if (literal.length < 2 || literal.charCodeAt(literal.length - 1) !== quoteChar)
    throw new InvalidSyntaxError();
  const body = literal.slice(1, -1);
  if (quoteChar === 0x60) {
    if (body.includes('`')) throw new InvalidSyntaxError();
    return body.includes('\r') ? body.replaceAll('\r', '') : body;
  }
  if (quoteChar !== 0x22 || body.includes('\n')) throw new InvalidSyntaxError();
  if (!body.includes('\\') && isValidUtf8(body)) return body;
  let out = '';
  for (let index = 0; index < body.length;) {
    const { value, multibyte, next } = unquoteChar(body, index, quoteChar);
    out += multibyte ? encodeRune(value) : String.fromCharCode(value);
    index = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Number literals (strconv.ParseInt/ParseUint/ParseFloat with base 0: Go's literal syntax)

/** Whether underscores in a literal are where Go's syntax allows them (strconv's underscoreOK). */
function underscoresOk(text: string): boolean {
  // Rule: '_' must separate digits (or follow the base prefix); a leading sign is ignored.
  let body = text;
  if (body.startsWith('+') || body.startsWith('-')) body = body.slice(1);
  let hexOk = false;
  let previous = '^'; // '^' start, '0' digit or prefix, '_' underscore, '!' other
  if (body.length >= 2 && body[0] === '0' && /[bBoOxX]/.test(body[1]!)) {
    hexOk = /[xX]/.test(body[1]!);
    body = body.slice(2);
    previous = '0';
  }
  for (const char of body) {
    if (/[0-9]/.test(char) || (hexOk && /[a-fA-F]/.test(char))) previous = '0';
    else if (char === '_') {
      if (previous !== '0') return false;
      previous = '_';
    } else {
      if (previous === '_') return false;
      previous = '!';
    }
  }
  return previous !== '_';
}

/** strconv.ParseUint(text, 0, 64) / ParseInt(text, 0, 64): the value, or undefined when invalid or out of range. */
export function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  let body = text;
  let negative = false;
  if (signed && (body.startsWith('+') || body.startsWith('-'))) {
    negative = body[0] === '-';
    body = body.slice(1);
  }
  let base = 10;
  let prefixed = false;
  if (body.length >= 2 && body[0] === '0') {
    const marker = body[1]!.toLowerCase();
    if (marker === 'x' || marker === 'b' || marker === 'o') {
      base = marker === 'x' ? 16 : marker === 'b' ? 2 : 8;
      body = body.slice(2);
      prefixed = true;
    } else {
      base = 8;
      body = body.slice(1);
      prefixed = true;
    }
  }
  if (body.includes('_')) {
    if (!underscoresOk(text)) return undefined;
    body = body.replaceAll('_', '');
  }
  if (body === '') return prefixed && base === 8 ? 0n : undefined;
  const digits =
    base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : base === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!digits.test(body)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  let value = BigInt(prefix + body);
  if (negative) value = -value;
  if (signed ? value < -(2n ** 63n) || value > 2n ** 63n - 1n : value > 2n ** 64n - 1n) return undefined;
  return value;
}

/** strconv.ParseFloat(text, 64) on Go's syntax (decimal, hex with p exponent, underscores, inf, nan). */
export function parseGoFloat(text: string): number | undefined {
  let body = text;
  let sign = 1;
  if (body.startsWith('+') || body.startsWith('-')) {
    sign = body[0] === '-' ? -1 : 1;
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (body.includes('_')) {
    if (!underscoresOk(text)) return undefined;
    body = body.replaceAll('_', '');
  }
  let value: number;
  if (/^0[xX]/.test(body)) {
    const match = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(body);
    if (!match || (match[1] === '' && (match[2] ?? '') === '')) return undefined;
    const fraction = match[2] ?? '';
    const mantissa = BigInt(`0x${match[1]}${fraction}` === '0x' ? '0' : `0x${match[1]}${fraction}`);
    const exponent = Number(match[3]) - 4 * fraction.length;
    value = scaleByPowerOfTwo(mantissa, exponent);
  } else {
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(body)) return undefined;
    value = Number(body);
  }
  if (!Number.isFinite(value)) return undefined; // Go reports ErrRange; the template parser treats it as no float.
  return sign * value;
}

function scaleByPowerOfTwo(mantissa: bigint, exponent: number): number {
  if (mantissa === 0n) return 0;
  // Number(bigint) rounds to nearest even; shifting first keeps the rounding to one step for normal results.
  if (exponent >= 0) return Number(mantissa << BigInt(exponent));
  const bits = mantissa.toString(2).length;
  const keep = Math.max(bits + exponent + 1074, 0);
  if (bits > 60 && keep < bits) {
    // Reduce very long mantissas to 60 bits with a sticky bit, then let Number() round once.
    const drop = BigInt(bits - 60);
    const sticky = mantissa & ((1n << drop) - 1n) ? 1n : 0n;
    return Number((mantissa >> drop) | sticky) * 2 ** (exponent + Number(drop));
  }
  return Number(mantissa) * 2 ** exponent;
}

// ---------------------------------------------------------------------------------------------------------
// Float formatting (strconv.FormatFloat with bitSize 64)

interface Digits {
  /** Decimal digits without leading zeros; "" for zero. */
  digits: string;
  /** Position of the decimal point: value = 0.digits × 10^point. */
  point: number;
}

function floatBits(value: number): { negative: boolean; mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return { negative, mantissa, exponent };
}

/** Shortest digits that read back as the same float64. */
function shortestDigits(value: number): Digits {
  if (value === 0) return { digits: '', point: 0 };
  const [mantissa = '0', exponent = '0'] = Math.abs(value).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), point: Number(exponent) + 1 };
}

/** All digits of the exact binary value. */
function exactDigits(value: number): Digits {
  if (value === 0) return { digits: '', point: 0 };
  const { mantissa, exponent } = floatBits(value);
  let digits: string;
  let point: number;
  if (exponent >= 0) {
    digits = (mantissa << BigInt(exponent)).toString();
    point = digits.length;
  } else {
    digits = (mantissa * 5n ** BigInt(-exponent)).toString();
    point = digits.length + exponent;
  }
  return { digits: digits.replace(/0+$/, ''), point };
}

/** Rounds to `count` digits, half to even (Go's decimal rounding on exact values). */
function roundDigits(number: Digits, count: number): Digits {
  const { digits, point } = number;
  if (count < 0 || count >= digits.length) return number;
  const next = digits.charCodeAt(count) - 0x30;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (count + 1 < digits.length) up = true;
  else up = count > 0 && (digits.charCodeAt(count - 1) - 0x30) % 2 === 1;
  if (!up) return { digits: digits.slice(0, count).replace(/0+$/, ''), point };
  let index = count - 1;
  while (index >= 0 && digits[index] === '9') index--;
  if (index < 0) return { digits: '1', point: point + 1 };
  return { digits: digits.slice(0, index) + String.fromCharCode(digits.charCodeAt(index) + 1), point };
}

function formatE(number: Digits, precision: number, letter: string): string {
  let out = number.digits[0] ?? '0';
  if (precision > 0) out += `.${number.digits.slice(1, precision + 1).padEnd(precision, '0')}`;
  const exponent = number.digits === '' ? 0 : number.point - 1;
  const magnitude = Math.abs(exponent);
  return `${out}${letter}${exponent < 0 ? '-' : '+'}${magnitude < 10 ? `0${magnitude}` : magnitude}`;
}

function formatF(number: Digits, precision: number): string {
  const { digits, point } = number;
  let out = point > 0 ? digits.slice(0, point).padEnd(point, '0') : '0';
  if (precision > 0) {
    let fraction = '';
    for (let index = 0; index < precision; index++) {
      const position = point + index;
      fraction += position >= 0 && position < digits.length ? digits[position] : '0';
    }
    out += `.${fraction}`;
  }
  return out;
}

/** strconv.FormatFloat(value, format, precision, 64) for formats b e E f g G x X; precision -1 is shortest. */
export function formatFloat(value: number, format: string, precision: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative ? '-' : '';
  if (format === 'b') return sign + formatBinary(value);
  if (format === 'x' || format === 'X') return sign + formatHexFloat(Math.abs(value), precision, format);
  const shortest = precision < 0;
  let number: Digits;
  if (shortest) {
    number = shortestDigits(value);
    if (format === 'e' || format === 'E') precision = Math.max(number.digits.length - 1, 0);
    else if (format === 'f') precision = Math.max(number.digits.length - number.point, 0);
    else precision = number.digits.length;
  } else if (format === 'f') {
    const exact = exactDigits(value);
    number = roundDigits(exact, exact.point + precision);
  } else {
    if ((format === 'g' || format === 'G') && precision === 0) precision = 1;
    const count = format === 'e' || format === 'E' ? precision + 1 : precision;
    number = roundDigits(exactDigits(value), count);
  }
  switch (format) {
    case 'e':
    case 'E':
      return sign + formatE(number, precision, format);
    case 'f':
      return sign + formatF(number, precision);
    case 'g':
    case 'G': {
      const count = number.digits.length;
      let exponentLimit = precision;
      if (exponentLimit > count && count >= number.point) exponentLimit = count;
      if (shortest) exponentLimit = 6;
      const exponent = number.point - 1;
      if (exponent < -4 || exponent >= exponentLimit) {
        return sign + formatE(number, Math.min(precision, count) - 1, format === 'g' ? 'e' : 'E');
      }
      return (
        sign + formatF(number, Math.max((precision > number.point ? count : precision) - number.point, 0))
      );
    }
  }
  return `%${format}`;
}

function formatBinary(value: number): string {
  const { mantissa, exponent } = floatBits(value);
  return `${mantissa}p${exponent >= 0 ? '+' : ''}${exponent}`;
}

/** %x of a float: -0x1.yyyyp±dd, mantissa normalised to a leading 1, rounded to `precision` hex digits. */
function formatHexFloat(value: number, precision: number, format: string): string {
  const bits = floatBits(value);
  let mantissa = bits.mantissa;
  const exponent = bits.exponent;
  // Value = mantissa × 2^exponent; express as 1.fraction × 2^e with the leading 1 at bit 60.
  let e = mantissa === 0n ? 0 : exponent + 52;
  mantissa <<= 8n; // 52 fraction bits → 60
  const top = 1n << 60n;
  while (mantissa !== 0n && (mantissa & top) === 0n) {
    mantissa <<= 1n;
    e--;
  }
  if (precision >= 0 && precision < 15) {
    const shift = BigInt(precision * 4);
    const extra = (mantissa << shift) & (top - 1n);
    mantissa >>= 60n - shift;
    if ((extra | (mantissa & 1n)) > 1n << 59n) mantissa++;
    mantissa <<= 60n - shift;
    if (mantissa & (1n << 61n)) {
      mantissa >>= 1n;
      e++;
    }
  }
  const digits = format === 'X' ? '0123456789ABCDEF' : LOWER_HEX;
  let out = `0${format}${(mantissa >> 60n) & 1n}`;
  mantissa = (mantissa << 4n) & ((1n << 64n) - 1n);
  const mask = (1n << 64n) - 1n;
  if (precision < 0 && mantissa !== 0n) {
    out += '.';
    while (mantissa !== 0n) {
      out += digits[Number((mantissa >> 60n) & 15n)];
      mantissa = (mantissa << 4n) & mask;
    }
  } else if (precision > 0) {
    out += '.';
    for (let index = 0; index < precision; index++) {
      out += digits[Number((mantissa >> 60n) & 15n)];
      mantissa = (mantissa << 4n) & mask;
    }
  }
  const magnitude = Math.abs(e);
  return `${out}${format === 'X' ? 'P' : 'p'}${e < 0 ? '-' : '+'}${magnitude < 10 ? `0${magnitude}` : magnitude}`;
}
