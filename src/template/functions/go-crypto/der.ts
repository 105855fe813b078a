/**
 * DER, as Go's encoding/asn1 reads and writes it, for the few structures the crypto template functions handle
 * (certificates, private keys, PKCS#12). Reading is strict DER (definite, minimal lengths); the errors carry
 * Go's wording where a template user could see them ("asn1: syntax error: …", "asn1: structure error: …").
 * Pure: bytes in, values out.
 */

export class Asn1Error extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
} as const;

/** One TLV: `tag` is the whole identifier octet (class, constructed bit and number below 31). */
export interface Der {
  readonly tag: number;
  /** The contents octets. */
  readonly value: Uint8Array;
  /** The whole element, header included. */
  readonly raw: Uint8Array;
}

/** Reads one element at `offset`; returns it and the offset after it. */
export function readElement(bytes: Uint8Array, offset = 0): [Der, number] {
  if (offset >= bytes.length) throw new Asn1Error('asn1: syntax error: sequence truncated');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('asn1: syntax error: high-tag-number form is not supported');
  let position = offset + 1;
  if (position >= bytes.length) throw new Asn1Error('asn1: syntax error: truncated tag or length');
  let length = bytes[position++]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new Asn1Error('asn1: syntax error: indefinite length found (not DER)');
    if (count > 4 || position + count > bytes.length)
      throw new Asn1Error('asn1: syntax error: truncated tag or length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[position++]!;
      if (i === 0 && byte === 0)
        throw new Asn1Error('asn1: structure error: superfluous leading zeros in length');
      length = length * 256 + byte;
    }
    if (length < 0x80) throw new Asn1Error('asn1: structure error: non-minimal length');
  }
  const end = position + length;
  if (end > bytes.length) throw new Asn1Error('asn1: syntax error: data truncated');
  return [{ tag, value: bytes.subarray(position, end), raw: bytes.subarray(offset, end) }, end];
}

/** Exactly one element filling `bytes`; trailing bytes are an error (as Go's callers that check `rest`). */
export function parseDer(bytes: Uint8Array, trailingMessage = 'x509: trailing data'): Der {
  const [element, end] = readElement(bytes);
  if (end !== bytes.length) throw new Asn1Error(trailingMessage);
  return element;
}

/** The elements inside a constructed element. */
export function children(element: Der): Der[] {
  const out: Der[] = [];
  let offset = 0;
  while (offset < element.value.length) {
    const [child, next] = readElement(element.value, offset);
    out.push(child);
    offset = next;
  }
  return out;
}

/** The children of a SEQUENCE (or SET), checking the tag. */
export function sequence(element: Der | undefined, what = 'sequence'): Der[] {
  if (!element || (element.tag !== TAG.SEQUENCE && element.tag !== TAG.SET))
    throw new Asn1Error(`asn1: structure error: tags don't match (16 vs ${describeTag(element)}) ${what}`);
  return children(element);
}

function describeTag(element: Der | undefined): string {
  if (!element) return 'missing';
  return `{class:${element.tag >> 6} tag:${element.tag & 0x1f} compound:${(element.tag & 0x20) !== 0}}`;
}

export function expectTag(element: Der | undefined, tag: number, what: string): Der {
  if (!element || element.tag !== tag)
    throw new Asn1Error(
      `asn1: structure error: tags don't match (${tag & 0x1f} vs ${describeTag(element)}) ${what}`,
    );
  return element;
}

export function readInteger(element: Der | undefined, what = 'integer'): bigint {
  const { value } = expectTag(element, TAG.INTEGER, what);
  if (value.length === 0) throw new Asn1Error('asn1: syntax error: empty integer');
  if (
    value.length > 1 &&
    ((value[0] === 0 && !(value[1]! & 0x80)) || (value[0] === 0xff && value[1]! & 0x80))
  )
    throw new Asn1Error('asn1: structure error: integer not minimally-encoded');
  let result = 0n;
  for (const byte of value) result = (result << 8n) | BigInt(byte);
  if (value[0]! & 0x80) result -= 1n << BigInt(value.length * 8);
  return result;
}

export function readSmallInteger(element: Der | undefined, what = 'integer'): number {
  const value = readInteger(element, what);
  if (value > 0x7fffffffn || value < -0x80000000n)
    throw new Asn1Error('asn1: structure error: integer too large');
  return Number(value);
}

export function readOid(element: Der | undefined, what = 'object identifier'): string {
  const { value } = expectTag(element, TAG.OID, what);
  if (value.length === 0) throw new Asn1Error('asn1: syntax error: zero length OBJECT IDENTIFIER');
  const parts: bigint[] = [];
  let current = 0n;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i]!;
    current = (current << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(current);
      current = 0n;
    } else if (i === value.length - 1) {
      throw new Asn1Error('asn1: syntax error: truncated base 128 integer');
    }
  }
  const first = parts[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...parts.slice(1)].join('.');
}

export function readOctetString(element: Der | undefined, what = 'octet string'): Uint8Array {
  return expectTag(element, TAG.OCTET_STRING, what).value;
}

/** A BIT STRING's bytes (the unused-bits count must be 0–7; trailing unused bits are kept as they are). */
export function readBitString(
  element: Der | undefined,
  what = 'bit string',
): { bytes: Uint8Array; unused: number } {
  const { value } = expectTag(element, TAG.BIT_STRING, what);
  if (value.length === 0) throw new Asn1Error('asn1: syntax error: zero length BIT STRING');
  const unused = value[0]!;
  if (unused > 7 || (value.length === 1 && unused > 0))
    throw new Asn1Error('asn1: syntax error: invalid padding bits in BIT STRING');
  return { bytes: value.subarray(1), unused };
}

// -- writing -----------------------------------------------------------------------------------------------

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  const header = [tag, ...lengthBytes(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let offset = header.length;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const seq = (...contents: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, ...contents);

/** A SET OF, with its elements in DER order (sorted by their encodings). */
export function setOf(...contents: Uint8Array[]): Uint8Array {
  return tlv(TAG.SET, ...[...contents].sort(compareBytes));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A non-negative or negative integer, minimally encoded (two's complement). */
export function integer(value: bigint | number): Uint8Array {
  let n = BigInt(value);
  const bytes: number[] = [];
  if (n >= 0n) {
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n < -1n || !(bytes[0]! & 0x80));
  }
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** An unsigned big-endian magnitude as an INTEGER (what Go writes for *big.Int fields). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return trimmed.length > 0 && trimmed[0]! & 0x80
    ? tlv(TAG.INTEGER, Uint8Array.of(0), trimmed)
    : tlv(TAG.INTEGER, trimmed.length > 0 ? trimmed : Uint8Array.of(0));
}

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map((part) => BigInt(part));
  const encoded: number[] = [];
  const push = (value: bigint): void => {
    const chunk: number[] = [Number(value & 0x7fn)];
    for (let n = value >> 7n; n > 0n; n >>= 7n) chunk.unshift(Number(n & 0x7fn) | 0x80);
    encoded.push(...chunk);
  };
  push(parts[0]! * 40n + parts[1]!);
  for (const part of parts.slice(2)) push(part);
  return tlv(TAG.OID, Uint8Array.from(encoded));
}

export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, bytes);
export const derNull = (): Uint8Array => Uint8Array.of(TAG.NULL, 0);
export const boolean = (value: boolean): Uint8Array => Uint8Array.of(TAG.BOOLEAN, 1, value ? 0xff : 0);

export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return tlv(TAG.BIT_STRING, Uint8Array.of(unusedBits), bytes);
}

/** `[n] EXPLICIT`: a context-specific constructed wrapper. */
export const explicit = (n: number, ...contents: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...contents);

export function text(tag: number, value: string): Uint8Array {
  return tlv(tag, Buffer.from(value, tag === TAG.UTF8_STRING ? 'utf8' : 'latin1'));
}

/** Go's rule for a time in a certificate: UTCTime from 1950 through 2049, GeneralizedTime otherwise. */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString();
  const year = date.getUTCFullYear();
  const digits = `${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  if (year >= 1950 && year < 2050)
    return text(TAG.UTC_TIME, `${String(year % 100).padStart(2, '0')}${digits}`);
  return text(TAG.GENERALIZED_TIME, `${String(year).padStart(4, '0')}${digits}`);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  // Go's bytes.Equal: a nil slice equals an empty one.
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}
