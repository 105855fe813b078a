/**
 * sprig's encodings: base64 and base32 (Go's StdEncoding: padded; on bad input the *decoders return the error
 * text as their result*, "illegal base64 data at input byte 4"), and JSON through encoding/json (json.ts):
 * toJson and toPrettyJson give "" where Go's Marshal fails, toRawJson panics, must* forms return the error,
 * fromJson gives nil on bad input. Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { byteStringFromBytes, bytesFromByteString, type ByteString } from '../../../common/go-utf8.ts';
import type { CallContext, GoFunc, GoValue } from '../../values.ts';
import { ANY, fn } from './define.ts';
import { base64Encode, JsonError, marshalJson, unmarshalJson } from './json.ts';

const str = (value: GoValue | undefined): ByteString => value as ByteString;

class CorruptInputError extends Error {
  readonly offset: number;

  constructor(offset: number) {
    super(`illegal data at input byte ${offset}`);
    this.offset = offset;
  }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function decodeMap(alphabet: string): Int16Array {
  const table = new Int16Array(256).fill(-1);
  for (let index = 0; index < alphabet.length; index++) table[alphabet.charCodeAt(index)] = index;
  return table;
}

const BASE64_MAP = decodeMap(BASE64_ALPHABET);
const BASE32_MAP = decodeMap(BASE32_ALPHABET);

/** base64.StdEncoding.DecodeString: "\r" and "\n" are skipped; the offset of an error counts them. */
export function decodeBase64(text: ByteString): Uint8Array {
  const out: number[] = [];
  let si = 0;
  const isNewline = (code: number): boolean => code === 0x0a || code === 0x0d;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let length = 4;
    let trailingError: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === text.length) {
        if (j === 0) return Uint8Array.from(out);
        throw new CorruptInputError(si - j);
      }
      const code = text.charCodeAt(si);
      si++;
      const value = BASE64_MAP[code] ?? -1;
      if (value >= 0) {
        quantum[j] = value;
        continue;
      }
      if (isNewline(code)) {
        j--;
        continue;
      }
      if (code !== 0x3d) throw new CorruptInputError(si - 1);
      // Padding: only after two or three symbols, and then the text must end.
      if (j < 2) throw new CorruptInputError(si - 1);
      if (j === 2) {
        while (si < text.length && isNewline(text.charCodeAt(si))) si++;
        if (si === text.length) throw new CorruptInputError(text.length);
        if (text.charCodeAt(si) !== 0x3d) throw new CorruptInputError(si - 1);
        si++;
      }
      while (si < text.length && isNewline(text.charCodeAt(si))) si++;
      if (si < text.length) trailingError = si;
      length = j;
      break;
    }
    const value = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
    const bytes = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
    out.push(...bytes.slice(0, length - 1));
    if (trailingError !== undefined) throw new CorruptInputError(trailingError);
    if (length < 4) return Uint8Array.from(out);
  }
}

/** base32.StdEncoding.DecodeString: newlines are removed first; offsets count the text without them. */
export function decodeBase32(input: ByteString): Uint8Array {
  const text = input.replace(/[\r\n]/g, '');
  const out: number[] = [];
  let position = 0;
  const total = text.length;
  let end = false;
  while (position < total && !end) {
    const quantum = [0, 0, 0, 0, 0, 0, 0, 0];
    let length = 8;
    for (let j = 0; j < 8;) {
      if (position === total) throw new CorruptInputError(total - j);
      const code = text.charCodeAt(position);
      position++;
      const remaining = total - position;
      if (code === 0x3d && j >= 2 && remaining < 8) {
        if (remaining + j < 7) throw new CorruptInputError(total);
        for (let k = 0; k < 7 - j; k++) {
          if (remaining > k && text.charCodeAt(position + k) !== 0x3d) {
            throw new CorruptInputError(total - remaining + k - 1);
          }
        }
        length = j;
        end = true;
        if (length === 1 || length === 3 || length === 6) throw new CorruptInputError(total - remaining - 1);
        break;
      }
      const value = BASE32_MAP[code] ?? -1;
      if (value < 0) throw new CorruptInputError(total - remaining - 1);
      quantum[j] = value;
      j++;
    }
    const bytes = [
      (quantum[0]! << 3) | (quantum[1]! >> 2),
      ((quantum[1]! << 6) | (quantum[2]! << 1) | (quantum[3]! >> 4)) & 0xff,
      ((quantum[3]! << 4) | (quantum[4]! >> 1)) & 0xff,
      ((quantum[4]! << 7) | (quantum[5]! << 2) | (quantum[6]! >> 3)) & 0xff,
      ((quantum[6]! << 5) | quantum[7]!) & 0xff,
    ];
    const produced = [0, 0, 1, 1, 2, 3, 3, 4, 5][length]!;
    out.push(...bytes.slice(0, produced));
  }
  return Uint8Array.from(out);
}

function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  for (let index = 0; index < bytes.length; index += 5) {
    const chunk = bytes.subarray(index, index + 5);
    let bits = 0n;
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0);
    const symbols = Math.ceil((chunk.length * 8) / 5);
    for (let k = 0; k < 8; k++) {
      out += k < symbols ? BASE32_ALPHABET[Number((bits >> BigInt(35 - 5 * k)) & 31n)] : '=';
    }
  }
  return out;
}

function decodeOrMessage(
  text: ByteString,
  decode: (text: ByteString) => Uint8Array,
  name: string,
): ByteString {
  try {
    return byteStringFromBytes(decode(text));
  } catch (error) {
    if (error instanceof CorruptInputError) return `illegal ${name} data at input byte ${error.offset}`;
    throw error;
  }
}

function toJson(
  value: GoValue,
  context: CallContext,
  options: { escapeHtml: boolean; indent?: string },
): ByteString {
  return marshalJson(value, { ...options, charge: (steps) => context.charge(steps) });
}

/** The Go error of a failed Marshal as a function error. */
function jsonFailure(error: unknown): never {
  if (error instanceof JsonError) throw new GoFuncError(error.message);
  throw error;
}

export function encodingFunctions(): GoFunc[] {
  const compact = { escapeHtml: true };
  const pretty = { escapeHtml: true, indent: '  ' };
  const raw = { escapeHtml: false };
  const swallow = (call: () => ByteString): ByteString => {
    try {
      return call();
    } catch (error) {
      if (error instanceof JsonError) return '';
      throw error;
    }
  };
  const must = (call: () => ByteString): ByteString => {
    try {
      return call();
    } catch (error) {
      return jsonFailure(error);
    }
  };
  return [
    fn('b64enc', ['string'], 'string', ([text]) => base64Encode(bytesFromByteString(str(text)))),
    fn('b64dec', ['string'], 'string', ([text]) => decodeOrMessage(str(text), decodeBase64, 'base64')),
    fn('b32enc', ['string'], 'string', ([text]) => encodeBase32(bytesFromByteString(str(text)))),
    fn('b32dec', ['string'], 'string', ([text]) => decodeOrMessage(str(text), decodeBase32, 'base32')),
    fn('toJson', [ANY], 'string', ([value], context) => swallow(() => toJson(value!, context, compact))),
    fn('mustToJson', [ANY], 'string', ([value], context) => must(() => toJson(value!, context, compact)), {
      returnsError: true,
    }),
    fn('toPrettyJson', [ANY], 'string', ([value], context) => swallow(() => toJson(value!, context, pretty))),
    fn(
      'mustToPrettyJson',
      [ANY],
      'string',
      ([value], context) => must(() => toJson(value!, context, pretty)),
      {
        returnsError: true,
      },
    ),
    fn('toRawJson', [ANY], 'string', ([value], context) => must(() => toJson(value!, context, raw))),
    fn('mustToRawJson', [ANY], 'string', ([value], context) => must(() => toJson(value!, context, raw)), {
      returnsError: true,
    }),
    fn('fromJson', ['string'], ANY, ([text], context) => {
      context.charge(Math.ceil(str(text).length / 64));
      let partial: GoValue = null;
      try {
        return unmarshalJson(str(text), (value) => {
          partial = value;
        });
      } catch (error) {
        if (error instanceof JsonError) return partial;
        throw error;
      }
    }),
    fn(
      'mustFromJson',
      ['string'],
      ANY,
      ([text], context) => {
        context.charge(Math.ceil(str(text).length / 64));
        try {
          return unmarshalJson(str(text));
        } catch (error) {
          return jsonFailure(error);
        }
      },
      { returnsError: true },
    ),
  ];
}
