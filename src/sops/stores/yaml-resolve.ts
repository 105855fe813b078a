/**
 * How yaml.v3 (which sops uses) types an untagged plain scalar. The type decides the `type:` of the encrypted
 * value and the bytes hashed into the MAC, so it must match exactly: `yes`/`on` stay strings, `0777` is an
 * octal int, `1_000` is 1000, `2024-01-01` is a timestamp, `.5` a float. Pure.
 */
import { isInt64, parseYamlTimestamp } from '../go-format.ts';
import type { SopsScalar } from '../tree.ts';

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const SPECIAL_FLOATS: Record<string, number> = {
  '.inf': Infinity,
  '.Inf': Infinity,
  '.INF': Infinity,
  '+.inf': Infinity,
  '+.Inf': Infinity,
  '+.INF': Infinity,
  '-.inf': -Infinity,
  '-.Inf': -Infinity,
  '-.INF': -Infinity,
  '.nan': NaN,
  '.NaN': NaN,
  '.NAN': NaN,
};
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** The value of an untagged plain scalar, typed as yaml.v3 types it when decoding into interface{}. */
export function resolvePlainScalar(text: string): SopsScalar {
  // Every non-string form is short or starts with a digit, sign or dot: decide long words at once.
  if (text.length > 5 && !/^[-+.0-9]/.test(text)) return text;
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  if (text in SPECIAL_FLOATS) return SPECIAL_FLOATS[text] as number;
  const first = text[0] ?? '';
  if (first === '.') {
    const value = goParseFloat(text);
    return value === undefined ? text : value;
  }
  if (!/[-+0-9]/.test(first)) return text;
  const timestamp = parseYamlTimestamp(text);
  if (timestamp) return timestamp;
  const plain = text.replace(/_/g, '');
  const integer = goParseIntBase0(plain);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = goParseFloat(plain);
    if (value !== undefined) return value;
  }
  for (const [prefix, radix] of [
    ['0b', 2],
    ['-0b', 2],
    ['0o', 8],
    ['-0o', 8],
  ] as const) {
    if (plain.startsWith(prefix)) {
      const value = parseRadix(plain.slice(prefix.length), radix, prefix.startsWith('-'));
      if (value !== undefined) return value;
    }
  }
  return text;
}

/** Does yaml.v3 read `text` back as the string it is? (Strings that would not are written quoted.) */
export function resolvesToString(text: string): boolean {
  return typeof resolvePlainScalar(text) === 'string';
}

/** strconv.ParseInt(s, 0, 64), falling back to ParseUint as yaml.v3 does (uint64 above int64 stays an int). */
function goParseIntBase0(text: string): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign = '', body = ''] = match;
  let magnitude: bigint;
  if (/^0[xXoObB]/.test(body)) magnitude = BigInt(body.toLowerCase());
  else if (body.length > 1 && body.startsWith('0')) magnitude = BigInt(`0o${body.slice(1)}`);
  else magnitude = BigInt(body);
  const value = sign === '-' ? -magnitude : magnitude;
  if (isInt64(value)) return value;
  return sign !== '-' && value <= 2n ** 64n - 1n ? value : undefined;
}

function parseRadix(digits: string, radix: 2 | 8, negative: boolean): bigint | undefined {
  const pattern = radix === 2 ? /^[01]+$/ : /^[0-7]+$/;
  if (!pattern.test(digits)) return undefined;
  const magnitude = BigInt(`${radix === 2 ? '0b' : '0o'}${digits}`);
  const value = negative ? -magnitude : magnitude;
  return isInt64(value) || (!negative && value <= 2n ** 64n - 1n) ? value : undefined;
}

/** strconv.ParseFloat(s, 64): decimal, with Inf/NaN words; an out-of-range value is an error in Go. */
function goParseFloat(text: string): number | undefined {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
