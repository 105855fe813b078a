/**
 * Go's formatting of numbers, booleans and times, as sops writes them into encrypted values and the MAC, and
 * as yaml.v3 writes them into YAML. JavaScript's own number formatting differs (exponents, shortest digits
 * placement), so each Go verb used is reproduced here. Pure.
 */
import { SopsTime } from './tree.ts';

interface Decimal {
  negative: boolean;
  /** Shortest round-trip digits, no leading zeros ("1234568"). */
  digits: string;
  /** Decimal point position: value = 0.digits × 10^point. */
  point: number;
}

function decimal(value: number): Decimal {
  const [mantissa = '0', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  return { negative: value < 0 || Object.is(value, -0), digits, point: Number(exponent) + 1 };
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(value: number): string {
  const special = specialFloat(value);
  if (special) return special;
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const { negative, digits, point } = decimal(value);
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}

/**
 * strconv.FormatFloat(v, 'g', -1, 64), as yaml.v3 and fmt's %v print a float64: shortest digits, with an
 * exponent when it is below -4 or at least 6 (Go decides with precision 6 for shortest formatting).
 */
export function formatFloatG(value: number): string {
  const special = specialFloat(value);
  if (special) return special;
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const { negative, digits, point } = decimal(value);
  const exponent = point - 1;
  const text = exponent < -4 || exponent >= 6 ? exponential(digits, exponent) : formatFloatF(Math.abs(value));
  return negative ? `-${text}` : text;
}

function exponential(digits: string, exponent: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function specialFloat(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return undefined;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A decimal int64 (strconv.Atoi / ParseInt base 10), or undefined. */
export function parseGoInt(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

export function isInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** strconv.ParseFloat(s, 64) for decimal input (what sops itself writes), or undefined. */
export function parseGoFloat(text: string): number | undefined {
  const trimmed = text.replace(/_/g, '');
  if (/^[+-]?(?:inf|infinity)$/i.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(trimmed)) return NaN;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

// ---------------------------------------------------------------------------------------------------------
// Times: yaml.v3 accepts a few layouts for unquoted timestamps; Go's MarshalText writes RFC 3339 with nanoseconds.

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?))?$/;

/**
 * Parses a timestamp as yaml.v3 does for untagged plain scalars (RFC 3339 with short fields, lower-case `t`,
 * space-separated without zone, or a date alone) and returns it as Go's MarshalText writes it.
 */
export function parseYamlTimestamp(text: string): SopsTime | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, year, month, day] = match;
  const hour = match[4] ?? match[9] ?? '0';
  const minute = match[5] ?? match[10] ?? '0';
  const second = match[6] ?? match[11] ?? '0';
  const fraction = match[7] ?? match[12] ?? '';
  const zone = match[8] ?? 'Z';
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return undefined;
  const pad = (value: string | undefined, width: number): string =>
    String(Number(value)).padStart(width, '0');
  const trimmedFraction = fraction.replace(/0+$/, '');
  const offset = zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return new SopsTime(
    `${year}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}` +
      `${trimmedFraction ? `.${trimmedFraction}` : ''}${offset}`,
  );
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** RFC 3339 with seconds in UTC, as sops writes `lastmodified` and `created_at`. */
export function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
