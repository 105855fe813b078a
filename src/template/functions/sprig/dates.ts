/**
 * sprig's date functions over Go's time (go-time.ts): now, date, dateInZone (date_in_zone), htmlDate,
 * htmlDateInZone, dateModify (date_modify) and mustDateModify (must_date_modify), toDate and mustToDate, ago,
 * duration, durationRound, unixEpoch. Times are time.Time values with the methods templates call on them
 * (.Unix, .Format, .UTC …). sprig's quirks are kept: a date that is not a time.Time or an int, int32 or int64
 * (a float64 from JSON data, say) formats the current time; duration counts only a string or an int64 (a
 * plain integer constant is an int, which gives "0s"); an unknown zone means UTC.
 */
import { GoFuncError } from '../../errors.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { GoFunc, GoInt, GoStruct, goInt, type CallContext, type GoValue } from '../../values.ts';
import { alias, ANY, fn } from './define.ts';
import type { SprigEnvironment } from './environment.ts';
import {
  addDate,
  DurationError,
  durationString,
  formatTime,
  isZeroTime,
  parseDuration,
  parseTime,
  roundDuration,
  subTimes,
  timeFields,
  TimeParseError,
  timeRfc3339Nano,
  timeString,
  unixTime,
  UTC,
  ZERO_TIME,
  type GoTime,
  type Location,
} from './go-time.ts';
import { encodeJsonString, JsonError, setJsonMarshaler } from './json.ts';

const TIME_TYPE = 'time.Time';
const times = new WeakMap<GoStruct, GoTime>();

const str = (value: GoValue | undefined): ByteString => value as ByteString;

/** The Go time behind a time.Time value. */
export function goTimeOf(value: GoValue | undefined): GoTime | undefined {
  return value instanceof GoStruct ? times.get(value) : undefined;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export class DateFunctions {
  readonly #environment: SprigEnvironment;

  constructor(environment: SprigEnvironment) {
    this.#environment = environment;
  }

  /**
   * time.Now: the render's clock (CallContext.now: RenderOptions.now, or the system clock; millisecond
   * resolution, and the same clock sprig's certificate functions use), else the environment's; the monotonic
   * reading (Time.String's m=…) is the environment's.
   */
  now(context?: CallContext): GoTime {
    const reading = this.#environment.now();
    const { monotonicNanos } = reading;
    const unixNanos = context?.now ? BigInt(context.now().getTime()) * 1_000_000n : reading.unixNanos;
    const sec = floorDiv(unixNanos, 1_000_000_000n);
    return {
      sec: Number(sec),
      nsec: Number(unixNanos - sec * 1_000_000_000n),
      loc: this.#environment.local,
      mono: monotonicNanos,
    };
  }

  /** time.LoadLocation; undefined where Go returns an error. */
  loadLocation(name: string): Location | undefined {
    if (name === '' || name === 'UTC') return UTC;
    if (name === 'Local') return this.#environment.local;
    return this.#environment.loadLocation(name);
  }

  /** time.Since(t), using the monotonic readings when both have one. */
  since(t: GoTime, context?: CallContext): bigint {
    const now = this.now(context);
    if (t.mono !== undefined && now.mono !== undefined) return now.mono - t.mono;
    return subTimes(now, t);
  }

  /** A time.Time template value. */
  value(t: GoTime): GoStruct {
    const method = (
      name: string,
      params: string[],
      result: string,
      call: (args: GoValue[]) => GoValue,
    ): [string, GoFunc] => [
      name,
      new GoFunc(name, { params, variadic: false, result, returnsError: false }, call),
    ];
    const int = (value: number): GoInt => goInt(value);
    const int64 = (value: bigint): GoInt => new GoInt('int64', value);
    const nanos = BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    const other = (value: GoValue | undefined): GoTime => goTimeOf(value) ?? ZERO_TIME;
    const compare = (u: GoTime): number =>
      t.sec !== u.sec ? Math.sign(t.sec - u.sec) : Math.sign(t.nsec - u.nsec);
    const field = (pick: (f: ReturnType<typeof timeFields>) => number) => () => int(pick(timeFields(t)));
    const result = new GoStruct({
      type: TIME_TYPE,
      fields: [
        ['wall', int64(BigInt(t.nsec))],
        ['ext', int64(BigInt(t.sec))],
        ['loc', t.loc.name],
      ],
      methods: [
        method('AddDate', ['int', 'int', 'int'], TIME_TYPE, ([y, m, d]) =>
          this.value(
            addDate(t, Number((y as GoInt).value), Number((m as GoInt).value), Number((d as GoInt).value)),
          ),
        ),
        method('After', [TIME_TYPE], 'bool', ([u]) => compare(other(u)) > 0),
        method('Before', [TIME_TYPE], 'bool', ([u]) => compare(other(u)) < 0),
        method('Compare', [TIME_TYPE], 'int', ([u]) => int(compare(other(u)))),
        method(
          'Day',
          [],
          'int',
          field((f) => f.day),
        ),
        method('Equal', [TIME_TYPE], 'bool', ([u]) => compare(other(u)) === 0),
        method('Format', ['string'], 'string', ([layout]) => formatTime(t, str(layout))),
        method(
          'Hour',
          [],
          'int',
          field((f) => f.hour),
        ),
        method('IsZero', [], 'bool', () => isZeroTime(t)),
        method('Local', [], TIME_TYPE, () =>
          this.value({ sec: t.sec, nsec: t.nsec, loc: this.#environment.local }),
        ),
        method(
          'Minute',
          [],
          'int',
          field((f) => f.minute),
        ),
        method('Nanosecond', [], 'int', () => int(t.nsec)),
        method(
          'Second',
          [],
          'int',
          field((f) => f.second),
        ),
        method('String', [], 'string', () => timeString(t)),
        method('UTC', [], TIME_TYPE, () => this.value({ sec: t.sec, nsec: t.nsec, loc: UTC })),
        method('Unix', [], 'int64', () => int64(BigInt(t.sec))),
        method('UnixMicro', [], 'int64', () => int64(nanos / 1000n)),
        method('UnixMilli', [], 'int64', () => int64(nanos / 1_000_000n)),
        method('UnixNano', [], 'int64', () => int64(BigInt.asIntN(64, nanos))),
        method(
          'Year',
          [],
          'int',
          field((f) => f.year),
        ),
        method(
          'YearDay',
          [],
          'int',
          field((f) => f.yday + 1),
        ),
      ],
      string: () => timeString(t),
    });
    times.set(result, t);
    setJsonMarshaler(result, () => {
      const text = timeRfc3339Nano(t);
      if (text === undefined) {
        throw new JsonError(
          'json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]',
        );
      }
      return encodeJsonString(text, false);
    });
    return result;
  }

  /** sprig's dateInZone: the date argument's time, or now for anything else. */
  dateInZone(layout: ByteString, value: GoValue, zone: ByteString, context?: CallContext): ByteString {
    let t = goTimeOf(value);
    if (!t) {
      if (
        value instanceof GoInt &&
        (value.kind === 'int' || value.kind === 'int64' || value.kind === 'int32')
      ) {
        t = unixTime(Number(value.value), 0, this.#environment.local);
      } else {
        t = this.now(context);
      }
    }
    const location = this.loadLocation(zone) ?? UTC;
    return formatTime({ ...t, loc: location }, layout);
  }

  functions(): GoFunc[] {
    const dateInZone = fn(
      'dateInZone',
      ['string', ANY, 'string'],
      'string',
      ([layout, value, zone], context) => this.dateInZone(str(layout), value!, str(zone), context),
    );
    const dateModify = fn('dateModify', ['string', TIME_TYPE], TIME_TYPE, ([text, value]) => {
      const t = goTimeOf(value)!;
      try {
        return this.value(addNanos(t, parseDuration(str(text))));
      } catch (error) {
        if (error instanceof DurationError) return value!;
        throw error;
      }
    });
    const mustDateModify = fn(
      'mustDateModify',
      ['string', TIME_TYPE],
      TIME_TYPE,
      ([text, value]) => {
        try {
          return this.value(addNanos(goTimeOf(value)!, parseDuration(str(text))));
        } catch (error) {
          if (error instanceof DurationError) throw new GoFuncError(error.message);
          throw error;
        }
      },
      { returnsError: true },
    );
    const toDate = (layout: ByteString, text: ByteString): GoTime =>
      parseTime(layout, text, this.#environment.local, this.#environment.local);
    return [
      fn('now', [], TIME_TYPE, (_, context) => this.value(this.now(context))),
      fn('date', ['string', ANY], 'string', ([layout, value], context) =>
        this.dateInZone(str(layout), value!, 'Local', context),
      ),
      fn('htmlDate', [ANY], 'string', ([value], context) =>
        this.dateInZone('2006-01-02', value!, 'Local', context),
      ),
      fn('htmlDateInZone', [ANY, 'string'], 'string', ([value, zone], context) =>
        this.dateInZone('2006-01-02', value!, str(zone), context),
      ),
      dateInZone,
      alias('date_in_zone', dateInZone),
      dateModify,
      alias('date_modify', dateModify),
      mustDateModify,
      alias('must_date_modify', mustDateModify),
      fn('toDate', ['string', 'string'], TIME_TYPE, ([layout, text]) => {
        try {
          return this.value(toDate(str(layout), str(text)));
        } catch (error) {
          if (error instanceof TimeParseError) return this.value(ZERO_TIME);
          throw error;
        }
      }),
      fn(
        'mustToDate',
        ['string', 'string'],
        TIME_TYPE,
        ([layout, text]) => {
          try {
            return this.value(toDate(str(layout), str(text)));
          } catch (error) {
            if (error instanceof TimeParseError) throw new GoFuncError(error.message);
            throw error;
          }
        },
        { returnsError: true },
      ),
      fn('unixEpoch', [TIME_TYPE], 'string', ([value]) => String(goTimeOf(value)!.sec)),
      fn('ago', [ANY], 'string', ([value], context) => {
        let t = goTimeOf(value);
        if (!t) {
          if (value instanceof GoInt && (value.kind === 'int' || value.kind === 'int64')) {
            t = unixTime(Number(value.value), 0, this.#environment.local);
          } else {
            t = this.now(context);
          }
        }
        return durationString(roundDuration(this.since(t, context), 1_000_000_000n));
      }),
      fn('duration', [ANY], 'string', ([value]) => {
        let n = 0n;
        if (typeof value === 'string') n = parseDecimalInt64(value);
        else if (value instanceof GoInt && value.kind === 'int64') n = value.value;
        return durationString(BigInt.asIntN(64, n * 1_000_000_000n));
      }),
      fn('durationRound', [ANY], 'string', ([value], context) => {
        let d = 0n;
        if (typeof value === 'string') {
          try {
            d = parseDuration(value);
          } catch (error) {
            if (!(error instanceof DurationError)) throw error;
          }
        } else if (value instanceof GoInt && value.kind === 'int64') {
          d = value.value;
        } else {
          const t = goTimeOf(value);
          if (t) d = this.since(t, context);
        }
        return roundedDuration(d);
      }),
    ];
  }
}

function addNanos(t: GoTime, d: bigint): GoTime {
  const total = BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec) + d;
  const sec = floorDiv(total, 1_000_000_000n);
  return {
    sec: Number(sec),
    nsec: Number(total - sec * 1_000_000_000n),
    loc: t.loc,
    ...(t.mono !== undefined ? { mono: t.mono + d } : {}),
  };
}

/** strconv.ParseInt(s, 10, 64) with the error dropped: 0 for bad syntax, the clamped value when out of range. */
function parseDecimalInt64(text: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(text)) return 0n;
  const value = BigInt(text);
  if (value > 2n ** 63n - 1n) return 2n ** 63n - 1n;
  if (value < -(2n ** 63n)) return -(2n ** 63n);
  return value;
}

/** sprig's durationRound: the largest whole unit (y = 365 days, mo = 30 days, d, h, m, s). */
function roundedDuration(d: bigint): string {
  let u = BigInt.asUintN(64, d);
  if (d < 0n) u = BigInt.asUintN(64, -u);
  const hour = 3_600_000_000_000n;
  const units: [bigint, string][] = [
    [hour * 24n * 365n, 'y'],
    [hour * 24n * 30n, 'mo'],
    [hour * 24n, 'd'],
    [hour, 'h'],
    [60_000_000_000n, 'm'],
    [1_000_000_000n, 's'],
  ];
  for (const [size, unit] of units) if (u > size) return `${u / size}${unit}`;
  return '0s';
}
