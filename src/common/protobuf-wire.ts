/**
 * The protobuf wire format as gogo's generated code reads and writes it: varints (at most ten bytes, bits past 64
 * dropped), length-delimited fields, groups skipped as a whole, fixed32/fixed64 skipped. Pure; no knowledge of
 * any message: callers (the API server's codec, KMS messages) give the fields their meaning.
 */
import { CloakError } from './errors.ts';

/** Bytes that are not the protobuf the reader expects (the message never quotes field values). */
export class ProtobufError extends CloakError {
  constructor(message: string) {
    super('ERR_CODEC', message);
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LENIENT_UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return UTF8.encode(text);
}

/** A field's key; its payload is read (or skipped) by the caller. */
export interface Field {
  number: number;
  wireType: number;
}

/** Reads one message (the range start..end of the whole value), reporting offsets within the whole value. */
export class Reader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;
  /** Where the message sits, for errors: `Secret.metadata.creationTimestamp`. */
  readonly path: string;
  /** A field whose payload the caller has not consumed yet. */
  private pending: Field | undefined;

  constructor(buf: Uint8Array, start: number, end: number, path: string) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.path = path;
  }

  /** The same message, named differently in errors. */
  renamed(path: string): Reader {
    return new Reader(this.buf, this.pos, this.end, path);
  }

  remaining(): number {
    return this.end - this.pos;
  }

  next(): Field | undefined {
    if (this.pending !== undefined) throw new Error('protobuf reader: field left unread');
    if (this.pos >= this.end) return undefined;
    const tagAt = this.pos;
    const tag = this.uint64();
    const wireType = Number(tag & 7n);
    const number = Number(BigInt.asIntN(32, tag >> 3n));
    if (number <= 0) throw this.error(`illegal tag ${number} (wire type ${wireType}) at byte ${tagAt}`);
    if (wireType === WIRE_END_GROUP) throw this.error(`end group without a group at byte ${tagAt}`);
    this.pending = { number, wireType };
    return this.pending;
  }

  expect(field: Field, wireType: number, name: string): void {
    if (field.wireType !== wireType) {
      throw this.error(
        `wrong wire type ${field.wireType} for field ${name} (${field.number}), expected ${wireType}`,
      );
    }
  }

  string(field: Field, name: string): string {
    return goString(this.bytes(field, name));
  }

  /** The payload of a length-delimited field (a view into the value, not a copy). */
  bytes(field: Field, name: string): Uint8Array {
    const [start, end] = this.delimited(field, name);
    return this.buf.subarray(start, end);
  }

  message(field: Field, name: string): Reader {
    const [start, end] = this.delimited(field, name);
    return new Reader(this.buf, start, end, `${this.path}.${name}`);
  }

  /** A varint field as gogo reads it into a uint64 (callers narrow it to int64, int32 or bool). */
  varint(field: Field, name: string): bigint {
    this.expect(field, WIRE_VARINT, name);
    this.pending = undefined;
    return this.uint64();
  }

  int64(field: Field, name: string): bigint {
    return BigInt.asIntN(64, this.varint(field, name));
  }

  bool(field: Field, name: string): boolean {
    return this.varint(field, name) !== 0n;
  }

  /** A packed repeated varint field: the payload is a run of varints. */
  packedVarints(field: Field, name: string): bigint[] {
    const sub = this.message(field, name);
    const values: bigint[] = [];
    while (sub.remaining() > 0) values.push(sub.uint64());
    return values;
  }

  /** Skips a field as gogo's `skipGenerated` does (a start group skips to its matching end group). */
  skip(field: Field): void {
    this.pending = undefined;
    let depth = 0;
    let wireType = field.wireType;
    for (;;) {
      switch (wireType) {
        case WIRE_VARINT:
          this.uint64();
          break;
        case WIRE_FIXED64:
          this.advance(8);
          break;
        case WIRE_BYTES:
          this.advance(this.length());
          break;
        case WIRE_FIXED32:
          this.advance(4);
          break;
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) throw this.error(`unexpected end of group at byte ${this.pos}`);
          depth--;
          break;
        default:
          throw this.error(`illegal wire type ${wireType} at byte ${this.pos}`);
      }
      if (depth === 0) return;
      if (this.pos >= this.end) throw this.error('truncated group');
      wireType = Number(this.uint64() & 7n);
    }
  }

  error(message: string): ProtobufError {
    return new ProtobufError(`protobuf ${this.path}: ${message}`);
  }

  private delimited(field: Field, name: string): [number, number] {
    this.expect(field, WIRE_BYTES, name);
    this.pending = undefined;
    const length = this.length();
    const start = this.pos;
    this.advance(length);
    return [start, this.pos];
  }

  private length(): number {
    const at = this.pos;
    const length = this.uint64();
    if (length > BigInt(this.end - this.pos)) {
      throw this.error(`length at byte ${at} runs past the end of the message (truncated value)`);
    }
    return Number(length);
  }

  private advance(count: number): void {
    if (count > this.end - this.pos) throw this.error(`truncated value at byte ${this.pos}`);
    this.pos += count;
  }

  /** A varint of at most ten bytes, as gogo reads it (bits past 64 dropped). */
  private uint64(): bigint {
    const start = this.pos;
    let small = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.byte(start);
      small |= (byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt(small);
    }
    let value = BigInt(small);
    for (let shift = 28n; ; shift += 7n) {
      if (shift >= 64n) throw this.error(`varint at byte ${start} overflows 64 bits`);
      const byte = this.byte(start);
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, value);
    }
  }

  private byte(varintStart: number): number {
    if (this.pos >= this.end) throw this.error(`truncated varint at byte ${varintStart}`);
    return this.buf[this.pos++] as number;
  }
}

/** Collects a message's bytes; nested messages are appended without copying until `finish`. */
export class Writer {
  length = 0;
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];

  raw(data: Uint8Array): void {
    if (data.length < 64) {
      for (const byte of data) this.pending.push(byte);
    } else {
      this.flush();
      this.parts.push(data);
    }
    this.length += data.length;
  }

  varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let n = value;
      while (n >= 0x80) {
        this.pending.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
        this.length++;
      }
      this.pending.push(n);
      this.length++;
      return;
    }
    // Negative int64s and int32s are written as their 64-bit two's complement: ten bytes.
    let n = BigInt.asUintN(64, BigInt(value));
    while (n >= 0x80n) {
      this.pending.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
      this.length++;
    }
    this.pending.push(Number(n));
    this.length++;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(data.length);
    this.raw(data);
  }

  string(field: number, value: string): void {
    this.bytes(field, UTF8.encode(value));
  }

  /** An int64 or int32 field (gogo sign-extends negative int32s to 64 bits). */
  int64(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  bool(field: number, value: boolean): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value ? 1 : 0);
  }

  message(field: number, child: Writer): void {
    this.tag(field, WIRE_BYTES);
    this.varint(child.length);
    this.flush();
    child.flush();
    for (const part of child.parts) this.parts.push(part);
    this.length += child.length;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
}

/**
 * Go's `string(bytes)` as its JSON encoder writes it: valid UTF-8 as is, each byte of an invalid sequence as
 * U+FFFD (TextDecoder's replacement groups bytes differently, so it is used only for valid runs).
 */
export function goString(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    let out = '';
    let runStart = 0;
    let i = 0;
    while (i < bytes.length) {
      const size = utf8SequenceLength(bytes, i);
      if (size > 0) {
        i += size;
        continue;
      }
      out += LENIENT_UTF8.decode(bytes.subarray(runStart, i)) + '\uFFFD';
      i++;
      runStart = i;
    }
    return out + LENIENT_UTF8.decode(bytes.subarray(runStart));
  }
}

/** The length of the valid UTF-8 sequence at `i` (Go's `utf8.DecodeRune` rules), or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  const cont = (at: number, low = 0x80, high = 0xbf): boolean => {
    const byte = bytes[at];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, low, high) && cont(i + 2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, low, high) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}
