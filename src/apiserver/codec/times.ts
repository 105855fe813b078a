/**
 * `meta.v1.Time` and `meta.v1.MicroTime` between their JSON text (RFC 3339, UTC, whole seconds or microseconds)
 * and their protobuf form (Unix seconds and nanoseconds). Pure.
 */

/** Unix seconds of Go's zero time, 0001-01-01T00:00:00Z: the time `IsZero()`. */
export const ZERO_TIME_SECONDS = -62135596800n;

export interface Instant {
  /** Unix seconds. */
  seconds: bigint;
  /** 0 ≤ nanos < 1e9. */
  nanos: number;
}

/** Go's `time.Unix(seconds, nanos)`: nanoseconds outside [0, 1e9) carry into the seconds. */
export function normalizeInstant(seconds: bigint, nanos: bigint): Instant {
  const carry = nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n);
  return { seconds: seconds + carry, nanos: Number(nanos - carry * 1_000_000_000n) };
}

export function isZeroInstant(instant: Instant): boolean {
  return instant.seconds === ZERO_TIME_SECONDS && instant.nanos === 0;
}

/**
 * Go's `time.Parse(time.RFC3339, s)`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, fields in range. Go reads at
 * most nine fraction digits. `undefined` when the text is not such a time.
 */
export function parseRfc3339(text: string): Instant | undefined {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (match[8] !== undefined) {
    const offsetHours = Number(match[9]);
    const offsetMinutes = Number(match[10]);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (match[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60;
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  const nanos = Number((match[7] ?? '').slice(0, 9).padEnd(9, '0'));
  return { seconds: BigInt(seconds), nanos };
}

/** `t.UTC().Format(time.RFC3339)`: whole seconds. */
export function formatRfc3339(seconds: bigint): string {
  return formatSeconds(seconds) + 'Z';
}

/** `t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")`, MicroTime's JSON form: the fraction truncated. */
export function formatRfc3339Micro(instant: Instant): string {
  const micros = String(Math.floor(instant.nanos / 1000)).padStart(6, '0');
  return `${formatSeconds(instant.seconds)}.${micros}Z`;
}

function formatSeconds(seconds: bigint): string {
  let days = seconds / 86400n;
  let secondOfDay = seconds % 86400n;
  if (secondOfDay < 0n) {
    days -= 1n;
    secondOfDay += 86400n;
  }
  const [year, month, day] = civilFromDays(Number(days));
  const sod = Number(secondOfDay);
  const yearText = (year < 0 ? '-' : '') + String(Math.abs(year)).padStart(4, '0');
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${yearText}-${two(month)}-${two(day)}T${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}
