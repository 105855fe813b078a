/**
 * Go's time package as sprig's date functions need it: instants with a location, formatting and parsing with
 * reference-time layouts ("2006-01-02 15:04:05 MST"), Time.String (with the monotonic reading), durations
 * (ParseDuration, Duration.String, Round), and locations from TZif data (zoneinfo files, with the POSIX TZ
 * rule for times after the last transition), exactly as Go reads them. Pure: zone data comes in as bytes.
 */
const SECONDS_PER_DAY = 86400;

// -- locations ---------------------------------------------------------------------------------------------

interface ZoneType {
  readonly name: string;
  readonly offset: number;
  readonly isDST: boolean;
}

interface Transition {
  readonly when: number;
  readonly index: number;
}

export interface ZoneLookup {
  readonly name: string;
  readonly offset: number;
  readonly start: number;
  readonly end: number;
  readonly isDST: boolean;
}

const ALPHA = -Number.MAX_VALUE;
const OMEGA = Number.MAX_VALUE;

/** A time.Location: a name ("UTC", "Local", "Europe/Berlin") and its zone rules. */
export class Location {
  readonly name: string;
  readonly #zones: readonly ZoneType[];
  readonly #transitions: readonly Transition[];
  readonly #extend: string;

  constructor(name: string, zones: readonly ZoneType[], transitions: readonly Transition[], extend = '') {
    this.name = name;
    this.#zones = zones;
    this.#transitions = transitions;
    this.#extend = extend;
  }

  /** The same rules under another name (time.Local is the system zone named "Local"). */
  renamed(name: string): Location {
    return new Location(name, this.#zones, this.#transitions, this.#extend);
  }

  /** Location.lookup: the zone in effect at a Unix second. */
  lookup(sec: number): ZoneLookup {
    const zones = this.#zones;
    const tx = this.#transitions;
    if (zones.length === 0) return { name: 'UTC', offset: 0, start: ALPHA, end: OMEGA, isDST: false };
    if (tx.length === 0 || sec < tx[0]!.when) {
      const zone = zones[this.#firstZone()]!;
      return { ...zone, start: ALPHA, end: tx.length > 0 ? tx[0]!.when : OMEGA };
    }
    let end = OMEGA;
    let lo = 0;
    let hi = tx.length;
    while (hi - lo > 1) {
      const m = (lo + hi) >>> 1;
      const lim = tx[m]!.when;
      if (sec < lim) {
        end = lim;
        hi = m;
      } else {
        lo = m;
      }
    }
    const zone = zones[tx[lo]!.index]!;
    const start = tx[lo]!.when;
    if (lo === tx.length - 1 && this.#extend !== '') {
      const extended = tzset(this.#extend, start, sec);
      if (extended) return extended;
    }
    return { ...zone, start, end };
  }

  /** Location.lookupName: the offset of a zone abbreviation in effect near a time. */
  lookupName(name: string, unix: number): number | undefined {
    for (const zone of this.#zones) {
      if (zone.name === name) {
        const found = this.lookup(unix - zone.offset);
        if (found.name === zone.name) return found.offset;
      }
    }
    for (const zone of this.#zones) {
      if (zone.name === name) return zone.offset;
    }
    return undefined;
  }

  #firstZone(): number {
    const zones = this.#zones;
    const tx = this.#transitions;
    if (!tx.some((transition) => transition.index === 0)) return 0;
    if (tx.length > 0 && zones[tx[0]!.index]!.isDST) {
      for (let zi = tx[0]!.index - 1; zi >= 0; zi--) if (!zones[zi]!.isDST) return zi;
    }
    const standard = zones.findIndex((zone) => !zone.isDST);
    return standard >= 0 ? standard : 0;
  }
}

export const UTC = new Location('UTC', [], []);

/** time.FixedZone. */
export function fixedZone(name: string, offset: number): Location {
  return new Location(name, [{ name, offset, isDST: false }], [{ when: ALPHA, index: 0 }]);
}

/** time.LoadLocationFromTZData. Returns undefined for data Go would reject. */
export function locationFromTzif(name: string, data: Uint8Array): Location | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let position = 0;
  const read = (count: number): Uint8Array | undefined => {
    if (position + count > data.length) return undefined;
    const bytes = data.subarray(position, position + count);
    position += count;
    return bytes;
  };
  const magic = read(4);
  if (!magic || String.fromCharCode(...magic) !== 'TZif') return undefined;
  const header = read(16);
  if (!header) return undefined;
  const versionByte = header[0]!;
  if (versionByte !== 0 && versionByte !== 0x32 && versionByte !== 0x33) return undefined;
  const counts = (): number[] | undefined => {
    const values: number[] = [];
    for (let index = 0; index < 6; index++) {
      if (position + 4 > data.length) return undefined;
      values.push(view.getUint32(position));
      position += 4;
    }
    return values;
  };
  let n = counts();
  if (!n) return undefined;
  let size = 4;
  if (versionByte !== 0) {
    const [utcLocal, stdWall, leap, time, zone, chars] = n as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    read(time * 4 + time + zone * 6 + chars + leap * 8 + stdWall + utcLocal + 4 + 16);
    n = counts();
    if (!n) return undefined;
    size = 8;
  }
  const [, , leapCount, timeCount, zoneCount, charCount] = n as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const times = read(timeCount * size);
  const indexes = read(timeCount);
  const zoneData = read(zoneCount * 6);
  const abbreviations = read(charCount);
  read(leapCount * (size + 4));
  if (!times || !indexes || !zoneData || !abbreviations || zoneCount === 0) return undefined;
  // (isstd and isut indicators follow; Go reads but does not use them for lookups.)
  position += n[1]! + n[0]!;
  let extend = '';
  const rest = data.subarray(Math.min(position, data.length));
  if (rest.length > 2 && rest[0] === 0x0a && rest[rest.length - 1] === 0x0a) {
    extend = String.fromCharCode(...rest.subarray(1, rest.length - 1));
  }
  const zoneView = new DataView(zoneData.buffer, zoneData.byteOffset, zoneData.byteLength);
  const zones: ZoneType[] = [];
  for (let index = 0; index < zoneCount; index++) {
    const offset = zoneView.getInt32(index * 6);
    const isDST = zoneData[index * 6 + 4] !== 0;
    const nameIndex = zoneData[index * 6 + 5]!;
    if (nameIndex >= abbreviations.length) return undefined;
    let end = abbreviations.indexOf(0, nameIndex);
    if (end < 0) end = abbreviations.length;
    zones.push({ offset, isDST, name: String.fromCharCode(...abbreviations.subarray(nameIndex, end)) });
  }
  const timeView = new DataView(times.buffer, times.byteOffset, times.byteLength);
  const transitions: Transition[] = [];
  for (let index = 0; index < timeCount; index++) {
    const when = size === 4 ? timeView.getInt32(index * 4) : Number(timeView.getBigInt64(index * 8));
    if (indexes[index]! >= zones.length) return undefined;
    transitions.push({ when, index: indexes[index]! });
  }
  if (transitions.length === 0) transitions.push({ when: ALPHA, index: 0 });
  return new Location(name, zones, transitions, extend);
}

// -- POSIX TZ rules (tzset) --------------------------------------------------------------------------------

interface Rule {
  kind: 'julian' | 'doy' | 'mwd';
  day: number;
  week: number;
  mon: number;
  time: number;
}

function tzsetName(s: string): [string, string] | undefined {
  if (s.length === 0) return undefined;
  if (s[0] !== '<') {
    for (let index = 0; index < s.length; index++) {
      if ('0123456789,-+'.includes(s[index]!)) {
        if (index < 3) return undefined;
        return [s.slice(0, index), s.slice(index)];
      }
    }
    if (s.length < 3) return undefined;
    return [s, ''];
  }
  const close = s.indexOf('>');
  return close < 0 ? undefined : [s.slice(1, close), s.slice(close + 1)];
}

function tzsetNum(s: string, min: number, max: number): [number, string] | undefined {
  if (s.length === 0) return undefined;
  let num = 0;
  for (let index = 0; index < s.length; index++) {
    const c = s.charCodeAt(index);
    if (c < 0x30 || c > 0x39) {
      if (index === 0 || num < min) return undefined;
      return [num, s.slice(index)];
    }
    num = num * 10 + (c - 0x30);
    if (num > max) return undefined;
  }
  if (num < min) return undefined;
  return [num, ''];
}

function tzsetOffset(s: string): [number, string] | undefined {
  if (s.length === 0) return undefined;
  let negative = false;
  if (s[0] === '+') s = s.slice(1);
  else if (s[0] === '-') {
    s = s.slice(1);
    negative = true;
  }
  let parsed = tzsetNum(s, 0, 24 * 7);
  if (!parsed) return undefined;
  let offset = parsed[0] * 3600;
  s = parsed[1];
  for (const unit of [60, 1]) {
    if (s.length === 0 || s[0] !== ':') break;
    parsed = tzsetNum(s.slice(1), 0, 59);
    if (!parsed) return undefined;
    offset += parsed[0] * unit;
    s = parsed[1];
  }
  return [negative ? -offset : offset, s];
}

function tzsetRule(s: string): [Rule, string] | undefined {
  if (s.length === 0) return undefined;
  const rule: Rule = { kind: 'doy', day: 0, week: 0, mon: 0, time: 0 };
  if (s[0] === 'J') {
    const parsed = tzsetNum(s.slice(1), 1, 365);
    if (!parsed) return undefined;
    rule.kind = 'julian';
    [rule.day, s] = parsed;
  } else if (s[0] === 'M') {
    const mon = tzsetNum(s.slice(1), 1, 12);
    if (!mon || mon[1][0] !== '.') return undefined;
    const week = tzsetNum(mon[1].slice(1), 1, 5);
    if (!week || week[1][0] !== '.') return undefined;
    const day = tzsetNum(week[1].slice(1), 0, 6);
    if (!day) return undefined;
    rule.kind = 'mwd';
    rule.mon = mon[0];
    rule.week = week[0];
    [rule.day, s] = day;
  } else {
    const parsed = tzsetNum(s, 0, 365);
    if (!parsed) return undefined;
    [rule.day, s] = parsed;
  }
  if (s.length === 0 || s[0] !== '/') {
    rule.time = 2 * 3600;
    return [rule, s];
  }
  const offset = tzsetOffset(s.slice(1));
  if (!offset) return undefined;
  [rule.time, s] = offset;
  return [rule, s];
}

function tzruleTime(year: number, rule: Rule, offset: number): number {
  let s = 0;
  switch (rule.kind) {
    case 'julian':
      s = (rule.day - 1) * SECONDS_PER_DAY;
      if (isLeap(year) && rule.day >= 60) s += SECONDS_PER_DAY;
      break;
    case 'doy':
      s = rule.day * SECONDS_PER_DAY;
      break;
    case 'mwd': {
      const m1 = ((rule.mon + 9) % 12) + 1;
      let yy0 = year;
      if (rule.mon <= 2) yy0--;
      const yy1 = Math.trunc(yy0 / 100);
      const yy2 = yy0 % 100;
      let dow =
        (Math.trunc((26 * m1 - 2) / 10) + 1 + yy2 + Math.trunc(yy2 / 4) + Math.trunc(yy1 / 4) - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      let d = rule.day - dow;
      if (d < 0) d += 7;
      for (let i = 1; i < rule.week; i++) {
        if (d + 7 >= daysIn(rule.mon, year)) break;
        d += 7;
      }
      d += DAYS_BEFORE[rule.mon - 1]!;
      if (isLeap(year) && rule.mon > 2) d++;
      s = d * SECONDS_PER_DAY;
    }
  }
  return s + rule.time - offset;
}

function tzset(text: string, lastTxSec: number, sec: number): ZoneLookup | undefined {
  let s = text;
  const std = tzsetName(s);
  if (!std) return undefined;
  let stdName = std[0];
  const stdParsed = tzsetOffset(std[1]);
  if (!stdParsed) return undefined;
  let stdOffset = -stdParsed[0];
  s = stdParsed[1];
  if (s.length === 0 || s[0] === ',')
    return { name: stdName, offset: stdOffset, start: lastTxSec, end: OMEGA, isDST: false };
  const dst = tzsetName(s);
  if (!dst) return undefined;
  let dstName = dst[0];
  s = dst[1];
  let dstOffset: number;
  if (s.length === 0 || s[0] === ',') dstOffset = stdOffset + 3600;
  else {
    const parsed = tzsetOffset(s);
    if (!parsed) return undefined;
    dstOffset = -parsed[0];
    s = parsed[1];
  }
  if (s.length === 0) s = ',M3.2.0,M11.1.0';
  if (s[0] !== ',' && s[0] !== ';') return undefined;
  const startRule = tzsetRule(s.slice(1));
  if (!startRule || startRule[1][0] !== ',') return undefined;
  const endRule = tzsetRule(startRule[1].slice(1));
  if (!endRule || endRule[1].length > 0) return undefined;
  const { year, yday } = civil(sec);
  const ysec = yday * SECONDS_PER_DAY + (sec % SECONDS_PER_DAY);
  const abs = daysFromCivil(year, 1, 1) * SECONDS_PER_DAY;
  let startSec = tzruleTime(year, startRule[0], stdOffset);
  let endSec = tzruleTime(year, endRule[0], dstOffset);
  let dstIsDST = true;
  let stdIsDST = false;
  if (endSec < startSec) {
    [startSec, endSec] = [endSec, startSec];
    [stdName, dstName] = [dstName, stdName];
    [stdOffset, dstOffset] = [dstOffset, stdOffset];
    [stdIsDST, dstIsDST] = [dstIsDST, stdIsDST];
  }
  if (ysec < startSec)
    return { name: stdName, offset: stdOffset, start: abs, end: startSec + abs, isDST: stdIsDST };
  if (ysec >= endSec) {
    return {
      name: stdName,
      offset: stdOffset,
      start: endSec + abs,
      end: abs + 365 * SECONDS_PER_DAY,
      isDST: stdIsDST,
    };
  }
  return { name: dstName, offset: dstOffset, start: startSec + abs, end: endSec + abs, isDST: dstIsDST };
}

// -- calendar ----------------------------------------------------------------------------------------------

const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month]! - DAYS_BEFORE[month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month may be outside 1..12, day any). */
function daysFromCivil(year: number, month: number, day: number): number {
  // Normalize the month into the year first, as Go's Date does.
  year += Math.floor((month - 1) / 12);
  month = ((((month - 1) % 12) + 12) % 12) + 1;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

interface Civil {
  year: number;
  month: number;
  day: number;
  /** Zero-based day of the year. */
  yday: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

/** The calendar fields of a second count (already shifted by the zone offset). */
function civil(sec: number): Civil {
  const days = Math.floor(sec / SECONDS_PER_DAY);
  const secondOfDay = sec - days * SECONDS_PER_DAY;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yday = days - daysFromCivil(year, 1, 1);
  return {
    year,
    month,
    day,
    yday,
    weekday: (((days + 4) % 7) + 7) % 7,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
  };
}

// -- instants ----------------------------------------------------------------------------------------------

/** A time.Time: Unix seconds and nanoseconds, a location, and maybe a monotonic clock reading. */
export interface GoTime {
  readonly sec: number;
  readonly nsec: number;
  readonly loc: Location;
  /** Nanoseconds on the monotonic clock (time.Now only); printed by String as m=±s.nnnnnnnnn. */
  readonly mono?: bigint;
}

/** time.Date: wall-clock fields in a location (normalized like Go's: month 13 is January of the next year). */
export function date(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  nsec: number,
  loc: Location,
): GoTime {
  second += Math.floor(nsec / 1e9);
  nsec = ((nsec % 1e9) + 1e9) % 1e9;
  let unix = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
  const { offset, start, end } = loc.lookup(unix);
  if (offset !== 0) {
    const utc = unix - offset;
    unix -= utc < start || utc >= end ? loc.lookup(utc).offset : offset;
  }
  return { sec: unix, nsec, loc };
}

export function unixTime(sec: number, nsec: number, loc: Location): GoTime {
  return { sec, nsec, loc };
}

/** The zero Time (January 1, year 1, 00:00:00 UTC). */
export const ZERO_TIME: GoTime = { sec: daysFromCivil(1, 1, 1) * SECONDS_PER_DAY, nsec: 0, loc: UTC };

export function isZeroTime(time: GoTime): boolean {
  return time.sec === ZERO_TIME.sec && time.nsec === 0;
}

function fields(time: GoTime): Civil & { name: string; offset: number } {
  const { name, offset } = time.loc.lookup(time.sec);
  return { ...civil(time.sec + offset), name, offset };
}

export function timeFields(time: GoTime): Civil & { name: string; offset: number } {
  return fields(time);
}

// -- layouts -----------------------------------------------------------------------------------------------

const Std = {
  None: 0,
  LongMonth: 1,
  Month: 2,
  NumMonth: 3,
  ZeroMonth: 4,
  LongWeekDay: 5,
  WeekDay: 6,
  Day: 7,
  UnderDay: 8,
  ZeroDay: 9,
  UnderYearDay: 10,
  ZeroYearDay: 11,
  Hour: 12,
  Hour12: 13,
  ZeroHour12: 14,
  Minute: 15,
  ZeroMinute: 16,
  Second: 17,
  ZeroSecond: 18,
  LongYear: 19,
  Year: 20,
  PM: 21,
  pm: 22,
  TZ: 23,
  ISO8601TZ: 24,
  ISO8601SecondsTZ: 25,
  ISO8601ShortTZ: 26,
  ISO8601ColonTZ: 27,
  ISO8601ColonSecondsTZ: 28,
  NumTZ: 29,
  NumSecondsTz: 30,
  NumShortTZ: 31,
  NumColonTZ: 32,
  NumColonSecondsTZ: 33,
  FracSecond0: 34,
  FracSecond9: 35,
} as const;
type Std = (typeof Std)[keyof typeof Std];

interface Chunk {
  prefix: string;
  std: Std;
  /** Digits of a fractional second element, and its separator. */
  digits: number;
  separator: string;
  suffix: string;
}

const STD_0X = [Std.ZeroMonth, Std.ZeroDay, Std.ZeroHour12, Std.ZeroMinute, Std.ZeroSecond, Std.Year];

const isDigitAt = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';
const startsWithLowerCase = (s: string): boolean => s.length > 0 && s[0]! >= 'a' && s[0]! <= 'z';

/** Go's nextStdChunk. */
function nextStdChunk(layout: string): Chunk {
  const chunk = (i: number, std: Std, length: number, prefixEnd = i): Chunk => ({
    prefix: layout.slice(0, prefixEnd),
    std,
    digits: 0,
    separator: '',
    suffix: layout.slice(i + length),
  });
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i]!;
    const at = (text: string): boolean => layout.startsWith(text, i);
    switch (c) {
      case 'J':
        if (at('Jan')) {
          if (at('January')) return chunk(i, Std.LongMonth, 7);
          if (!startsWithLowerCase(layout.slice(i + 3))) return chunk(i, Std.Month, 3);
        }
        break;
      case 'M':
        if (at('Mon')) {
          if (at('Monday')) return chunk(i, Std.LongWeekDay, 6);
          if (!startsWithLowerCase(layout.slice(i + 3))) return chunk(i, Std.WeekDay, 3);
        }
        if (at('MST')) return chunk(i, Std.TZ, 3);
        break;
      case '0':
        if (i + 1 < layout.length && layout[i + 1]! >= '1' && layout[i + 1]! <= '6') {
          return chunk(i, STD_0X[layout.charCodeAt(i + 1) - 0x31]!, 2);
        }
        if (at('002')) return chunk(i, Std.ZeroYearDay, 3);
        break;
      case '1':
        if (at('15')) return chunk(i, Std.Hour, 2);
        return chunk(i, Std.NumMonth, 1);
      case '2':
        if (at('2006')) return chunk(i, Std.LongYear, 4);
        return chunk(i, Std.Day, 1);
      case '_':
        if (layout[i + 1] === '2') {
          if (layout.startsWith('2006', i + 1)) return chunk(i + 1, Std.LongYear, 4, i + 1);
          return chunk(i, Std.UnderDay, 2);
        }
        if (at('__2')) return chunk(i, Std.UnderYearDay, 3);
        break;
      case '3':
        return chunk(i, Std.Hour12, 1);
      case '4':
        return chunk(i, Std.Minute, 1);
      case '5':
        return chunk(i, Std.Second, 1);
      case 'P':
        if (at('PM')) return chunk(i, Std.PM, 2);
        break;
      case 'p':
        if (at('pm')) return chunk(i, Std.pm, 2);
        break;
      case '-':
        if (at('-070000')) return chunk(i, Std.NumSecondsTz, 7);
        if (at('-07:00:00')) return chunk(i, Std.NumColonSecondsTZ, 9);
        if (at('-0700')) return chunk(i, Std.NumTZ, 5);
        if (at('-07:00')) return chunk(i, Std.NumColonTZ, 6);
        if (at('-07')) return chunk(i, Std.NumShortTZ, 3);
        break;
      case 'Z':
        if (at('Z070000')) return chunk(i, Std.ISO8601SecondsTZ, 7);
        if (at('Z07:00:00')) return chunk(i, Std.ISO8601ColonSecondsTZ, 9);
        if (at('Z0700')) return chunk(i, Std.ISO8601TZ, 5);
        if (at('Z07:00')) return chunk(i, Std.ISO8601ColonTZ, 6);
        if (at('Z07')) return chunk(i, Std.ISO8601ShortTZ, 3);
        break;
      case '.':
      case ',':
        if (i + 1 < layout.length && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
          const ch = layout[i + 1];
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            return {
              prefix: layout.slice(0, i),
              std: ch === '0' ? Std.FracSecond0 : Std.FracSecond9,
              digits: j - (i + 1),
              separator: c,
              suffix: layout.slice(j),
            };
          }
        }
        break;
    }
  }
  return { prefix: layout, std: Std.None, digits: 0, separator: '', suffix: '' };
}

function pad(value: number, width: number): string {
  const negative = value < 0;
  const digits = String(Math.abs(value)).padStart(width, '0');
  return negative ? `-${digits}` : digits;
}

/** Time.Format. */
export function formatTime(time: GoTime, layout: string): string {
  const f = fields(time);
  const yday = f.yday + 1;
  let out = '';
  for (;;) {
    const { prefix, std, digits, separator, suffix } = nextStdChunk(layout);
    out += prefix;
    if (std === Std.None) break;
    layout = suffix;
    switch (std) {
      case Std.Year:
        out += pad(Math.abs(f.year) % 100, 2);
        break;
      case Std.LongYear:
        out += pad(f.year, 4);
        break;
      case Std.Month:
        out += MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case Std.LongMonth:
        out += MONTHS[f.month - 1]!;
        break;
      case Std.NumMonth:
        out += String(f.month);
        break;
      case Std.ZeroMonth:
        out += pad(f.month, 2);
        break;
      case Std.WeekDay:
        out += DAYS[f.weekday]!.slice(0, 3);
        break;
      case Std.LongWeekDay:
        out += DAYS[f.weekday]!;
        break;
      case Std.Day:
        out += String(f.day);
        break;
      case Std.UnderDay:
        out += (f.day < 10 ? ' ' : '') + String(f.day);
        break;
      case Std.ZeroDay:
        out += pad(f.day, 2);
        break;
      case Std.UnderYearDay:
        out += (yday < 100 ? (yday < 10 ? '  ' : ' ') : '') + String(yday);
        break;
      case Std.ZeroYearDay:
        out += pad(yday, 3);
        break;
      case Std.Hour:
        out += pad(f.hour, 2);
        break;
      case Std.Hour12:
        out += String(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case Std.ZeroHour12:
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case Std.Minute:
        out += String(f.minute);
        break;
      case Std.ZeroMinute:
        out += pad(f.minute, 2);
        break;
      case Std.Second:
        out += String(f.second);
        break;
      case Std.ZeroSecond:
        out += pad(f.second, 2);
        break;
      case Std.PM:
        out += f.hour >= 12 ? 'PM' : 'AM';
        break;
      case Std.pm:
        out += f.hour >= 12 ? 'pm' : 'am';
        break;
      case Std.TZ:
        if (f.name !== '') out += f.name;
        else {
          const zone = Math.trunc(f.offset / 60);
          out +=
            (zone < 0 ? '-' : '+') + pad(Math.trunc(Math.abs(zone) / 60), 2) + pad(Math.abs(zone) % 60, 2);
        }
        break;
      case Std.FracSecond0:
      case Std.FracSecond9:
        out += formatNanos(time.nsec, std === Std.FracSecond9, digits, separator);
        break;
      default: {
        const iso =
          std === Std.ISO8601TZ ||
          std === Std.ISO8601ColonTZ ||
          std === Std.ISO8601SecondsTZ ||
          std === Std.ISO8601ShortTZ ||
          std === Std.ISO8601ColonSecondsTZ;
        if (f.offset === 0 && iso) {
          out += 'Z';
          break;
        }
        let zone = Math.trunc(f.offset / 60);
        let absOffset = f.offset;
        if (zone < 0) {
          out += '-';
          zone = -zone;
          absOffset = -absOffset;
        } else out += '+';
        out += pad(Math.trunc(zone / 60), 2);
        const colon =
          std === Std.ISO8601ColonTZ ||
          std === Std.NumColonTZ ||
          std === Std.ISO8601ColonSecondsTZ ||
          std === Std.NumColonSecondsTZ;
        if (colon) out += ':';
        if (std !== Std.NumShortTZ && std !== Std.ISO8601ShortTZ) out += pad(zone % 60, 2);
        if (
          std === Std.ISO8601SecondsTZ ||
          std === Std.NumSecondsTz ||
          std === Std.NumColonSecondsTZ ||
          std === Std.ISO8601ColonSecondsTZ
        ) {
          if (std === Std.NumColonSecondsTZ || std === Std.ISO8601ColonSecondsTZ) out += ':';
          out += pad(absOffset % 60, 2);
        }
      }
    }
  }
  return out;
}

function formatNanos(nsec: number, trim: boolean, digits: number, separator: string): string {
  if (trim && (digits === 0 || nsec === 0)) return '';
  let out = separator + pad(nsec, 9);
  if (digits < 9) out = out.slice(0, out.length - 9 + digits);
  if (trim) {
    out = out.replace(/0+$/, '');
    if (out === separator) out = '';
  }
  return out;
}

/** Time.String: "2006-01-02 15:04:05.999999999 -0700 MST", and " m=+0.000000001" after time.Now. */
export function timeString(time: GoTime): string {
  let out = formatTime(time, '2006-01-02 15:04:05.999999999 -0700 MST');
  if (time.mono !== undefined) {
    let m = time.mono;
    const sign = m < 0n ? '-' : '+';
    if (m < 0n) m = -m;
    const m2 = m % 1_000_000_000n;
    const m1 = (m / 1_000_000_000n) % 1_000_000_000n;
    const m0 = m / 1_000_000_000_000_000_000n;
    out += ` m=${sign}${m0 !== 0n ? `${m0}${String(m1).padStart(9, '0')}` : String(m1)}.${String(m2).padStart(9, '0')}`;
  }
  return out;
}

/** RFC 3339 with nanoseconds, as Time.MarshalJSON writes it; undefined outside years 0–9999. */
export function timeRfc3339Nano(time: GoTime): string | undefined {
  const year = fields(time).year;
  if (year < 0 || year > 9999) return undefined;
  return formatTime(time, '2006-01-02T15:04:05.999999999Z07:00');
}

// -- parsing -----------------------------------------------------------------------------------------------

/** time's own quoting for ParseError and duration errors (non-ASCII bytes as \x escapes). */
export function timeQuote(s: string): string {
  let out = '"';
  for (let index = 0; index < s.length; index++) {
    const code = s.charCodeAt(index);
    if (code >= 0x80 || code < 0x20) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += (s[index] === '"' || s[index] === '\\' ? '\\' : '') + s[index];
  }
  return `${out}"`;
}

export class TimeParseError extends Error {}

function parseError(
  layout: string,
  value: string,
  layoutElem: string,
  valueElem: string,
  message: string,
): TimeParseError {
  if (message === '') {
    return new TimeParseError(
      `parsing time ${timeQuote(value)} as ${timeQuote(layout)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`,
    );
  }
  return new TimeParseError(`parsing time ${timeQuote(value)}${message}`);
}

class Bad extends Error {}

function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw new Bad();
  if (!isDigitAt(s, 1)) {
    if (fixed) throw new Bad();
    return [s.charCodeAt(0) - 0x30, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 0x30) * 10 + (s.charCodeAt(1) - 0x30), s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 0x30);
  if (i === 0 || (fixed && i !== 3)) throw new Bad();
  return [n, s.slice(i)];
}

/** time's atoi: optional sign, then digits only ("" is 0). */
function atoi(s: string): number {
  let negative = false;
  if (s.length > 0 && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (!/^[0-9]*$/.test(s) || (s !== '' && BigInt(s) > 2n ** 63n)) throw new Bad();
  const value = s === '' ? 0 : Number(s);
  return negative ? -value : value;
}

/** Go's match: ASCII letters compare case-insensitively, other bytes exactly. */
function matchFold(a: string, b: string): boolean {
  for (let k = 0; k < a.length; k++) {
    let c1 = a.charCodeAt(k);
    let c2 = b.charCodeAt(k);
    if (c1 !== c2) {
      c1 |= 0x20;
      c2 |= 0x20;
      if (c1 !== c2 || c1 < 0x61 || c1 > 0x7a) return false;
    }
  }
  return true;
}

function lookupName(table: readonly string[], value: string): [number, string] {
  for (let index = 0; index < table.length; index++) {
    const name = table[index]!;
    if (value.length >= name.length && matchFold(value.slice(0, name.length), name)) {
      return [index, value.slice(name.length)];
    }
  }
  throw new Bad();
}

function cutspace(s: string): string {
  let index = 0;
  while (index < s.length && s[index] === ' ') index++;
  return s.slice(index);
}

function skip(value: string, prefix: string): string {
  while (prefix.length > 0) {
    if (prefix[0] === ' ') {
      if (value.length > 0 && value[0] !== ' ') throw new Bad();
      prefix = cutspace(prefix);
      value = cutspace(value);
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) throw new Bad();
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

function parseSignedOffset(value: string): number {
  const sign = value[0];
  if (sign !== '-' && sign !== '+') return 0;
  const match = /^[0-9]+/.exec(value.slice(1));
  if (!match) return 0;
  if (match[0].length > 19 || Number(match[0]) > 23) return 0;
  return 1 + match[0].length;
}

function parseTimeZone(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) return value.length === 3 ? 3 : 3 + parseSignedOffset(value.slice(3));
  if (value[0] === '+' || value[0] === '-') return parseSignedOffset(value);
  let upper = 0;
  while (upper < 6 && upper < value.length && value[upper]! >= 'A' && value[upper]! <= 'Z') upper++;
  switch (upper) {
    case 5:
      return value[4] === 'T' ? 5 : 0;
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0;
    case 3:
      return 3;
  }
  return 0;
}

function parseNanoseconds(value: string, nbytes: number): [number, string] {
  if (value[0] !== '.' && value[0] !== ',') throw new Bad();
  if (nbytes > 10) nbytes = 10;
  let ns = atoi(value.slice(1, nbytes));
  if (ns < 0) return [0, 'fractional second'];
  for (let i = 0; i < 10 - nbytes; i++) ns *= 10;
  return [ns, ''];
}

const SHORT_DAYS = DAYS.map((day) => day.slice(0, 3));
const SHORT_MONTHS = MONTHS.map((month) => month.slice(0, 3));

/** time.ParseInLocation (Parse is ParseInLocation with UTC). Throws TimeParseError with Go's message. */
export function parseTime(layout: string, value: string, defaultLocation: Location, local: Location): GoTime {
  const originalLayout = layout;
  const originalValue = value;
  let rangeError = '';
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nsec = 0;
  let zone: Location | undefined;
  let zoneOffset = -1;
  let zoneName = '';
  for (;;) {
    const { prefix, std, digits, suffix } = nextStdChunk(layout);
    const stdText = layout.slice(prefix.length, layout.length - suffix.length);
    try {
      value = skip(value, prefix);
    } catch {
      throw parseError(originalLayout, originalValue, prefix, value, '');
    }
    if (std === Std.None) {
      if (value.length !== 0) {
        throw parseError(originalLayout, originalValue, '', value, `: extra text: ${timeQuote(value)}`);
      }
      break;
    }
    layout = suffix;
    const hold = value;
    try {
      switch (std) {
        case Std.Year: {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          year = atoi(p);
          year += year >= 69 ? 1900 : 2000;
          break;
        }
        case Std.LongYear:
          if (value.length < 4 || !isDigitAt(value, 0)) throw new Bad();
          year = atoi(value.slice(0, 4));
          value = value.slice(4);
          break;
        case Std.Month:
          [month, value] = lookupName(SHORT_MONTHS, value);
          month++;
          break;
        case Std.LongMonth:
          [month, value] = lookupName(MONTHS, value);
          month++;
          break;
        case Std.NumMonth:
        case Std.ZeroMonth:
          [month, value] = getnum(value, std === Std.ZeroMonth);
          if (month <= 0 || month > 12) rangeError = 'month';
          break;
        case Std.WeekDay:
          [, value] = lookupName(SHORT_DAYS, value);
          break;
        case Std.LongWeekDay:
          [, value] = lookupName(DAYS, value);
          break;
        case Std.Day:
        case Std.UnderDay:
        case Std.ZeroDay:
          if (std === Std.UnderDay && value[0] === ' ') value = value.slice(1);
          [day, value] = getnum(value, std === Std.ZeroDay);
          break;
        case Std.UnderYearDay:
        case Std.ZeroYearDay:
          for (let i = 0; i < 2; i++)
            if (std === Std.UnderYearDay && value[0] === ' ') value = value.slice(1);
          [yday, value] = getnum3(value, std === Std.ZeroYearDay);
          break;
        case Std.Hour:
          [hour, value] = getnum(value, false);
          if (hour < 0 || hour >= 24) rangeError = 'hour';
          break;
        case Std.Hour12:
        case Std.ZeroHour12:
          [hour, value] = getnum(value, std === Std.ZeroHour12);
          if (hour < 0 || hour > 12) rangeError = 'hour';
          break;
        case Std.Minute:
        case Std.ZeroMinute:
          [minute, value] = getnum(value, std === Std.ZeroMinute);
          if (minute < 0 || minute >= 60) rangeError = 'minute';
          break;
        case Std.Second:
        case Std.ZeroSecond: {
          [second, value] = getnum(value, std === Std.ZeroSecond);
          if (second < 0 || second >= 60) {
            rangeError = 'second';
            break;
          }
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1)) {
            const next = nextStdChunk(layout).std;
            if (next === Std.FracSecond0 || next === Std.FracSecond9) break;
            let n = 2;
            while (n < value.length && isDigitAt(value, n)) n++;
            [nsec, rangeError] = parseNanoseconds(value, n);
            value = value.slice(n);
          }
          break;
        }
        case Std.PM:
        case Std.pm: {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          const [pmText, amText] = std === Std.PM ? ['PM', 'AM'] : ['pm', 'am'];
          if (p === pmText) pmSet = true;
          else if (p === amText) amSet = true;
          else throw new Bad();
          break;
        }
        case Std.TZ: {
          if (value.startsWith('UTC')) {
            zone = UTC;
            value = value.slice(3);
            break;
          }
          const n = parseTimeZone(value);
          if (n === 0) throw new Bad();
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case Std.FracSecond0: {
          const ndigit = 1 + digits;
          if (value.length < ndigit) throw new Bad();
          [nsec, rangeError] = parseNanoseconds(value, ndigit);
          value = value.slice(ndigit);
          break;
        }
        case Std.FracSecond9: {
          if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigitAt(value, 1)) break;
          let i = 0;
          while (i + 1 < value.length && isDigitAt(value, i + 1)) i++;
          [nsec, rangeError] = parseNanoseconds(value, 1 + i);
          value = value.slice(1 + i);
          break;
        }
        default: {
          const iso =
            std === Std.ISO8601TZ ||
            std === Std.ISO8601ShortTZ ||
            std === Std.ISO8601ColonTZ ||
            std === Std.ISO8601SecondsTZ ||
            std === Std.ISO8601ColonSecondsTZ;
          if (iso && value[0] === 'Z') {
            value = value.slice(1);
            zone = UTC;
            break;
          }
          let sign: string;
          let hh: string;
          let mm: string;
          let ss = '00';
          if (std === Std.ISO8601ColonTZ || std === Std.NumColonTZ) {
            if (value.length < 6 || value[3] !== ':') throw new Bad();
            [sign, hh, mm] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6)];
            value = value.slice(6);
          } else if (std === Std.NumShortTZ || std === Std.ISO8601ShortTZ) {
            if (value.length < 3) throw new Bad();
            [sign, hh, mm] = [value.slice(0, 1), value.slice(1, 3), '00'];
            value = value.slice(3);
          } else if (std === Std.ISO8601ColonSecondsTZ || std === Std.NumColonSecondsTZ) {
            if (value.length < 9 || value[3] !== ':' || value[6] !== ':') throw new Bad();
            [sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), value.slice(7, 9)];
            value = value.slice(9);
          } else if (std === Std.ISO8601SecondsTZ || std === Std.NumSecondsTz) {
            if (value.length < 7) throw new Bad();
            [sign, hh, mm, ss] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), value.slice(5, 7)];
            value = value.slice(7);
          } else {
            if (value.length < 5) throw new Bad();
            [sign, hh, mm] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5)];
            value = value.slice(5);
          }
          const hr = getnum(hh, true)[0];
          const mi = getnum(mm, true)[0];
          const se = getnum(ss, true)[0];
          if (hr > 24) rangeError = 'time zone offset hour';
          if (mi > 60) rangeError = 'time zone offset minute';
          if (se > 60) rangeError = 'time zone offset second';
          zoneOffset = (hr * 60 + mi) * 60 + se;
          if (sign === '-') zoneOffset = -zoneOffset;
          else if (sign !== '+') throw new Bad();
        }
      }
    } catch (error) {
      if (!(error instanceof Bad)) throw error;
      if (rangeError !== '')
        throw parseError(originalLayout, originalValue, stdText, value, `: ${rangeError} out of range`);
      throw parseError(originalLayout, originalValue, stdText, hold, '');
    }
    if (rangeError !== '') {
      throw parseError(originalLayout, originalValue, stdText, value, `: ${rangeError} out of range`);
    }
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        yday--;
      }
    }
    if (yday < 1 || yday > 365)
      throw parseError(originalLayout, originalValue, '', value, ': day-of-year out of range');
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (DAYS_BEFORE[m]! < yday) m++;
      d = yday - DAYS_BEFORE[m - 1]!;
    }
    if (month >= 0 && month !== m) {
      throw parseError(originalLayout, originalValue, '', value, ': day-of-year does not match month');
    }
    month = m;
    if (day >= 0 && day !== d) {
      throw parseError(originalLayout, originalValue, '', value, ': day-of-year does not match day');
    }
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year))
    throw parseError(originalLayout, originalValue, '', value, ': day out of range');
  if (zone) return date(year, month, day, hour, minute, second, nsec, zone);
  if (zoneOffset !== -1) {
    const t = date(year, month, day, hour, minute, second, nsec, UTC);
    const sec = t.sec - zoneOffset;
    const found = local.lookup(sec);
    if (found.offset === zoneOffset && (zoneName === '' || found.name === zoneName))
      return { sec, nsec, loc: local };
    return { sec, nsec, loc: fixedZone(zoneName, zoneOffset) };
  }
  if (zoneName !== '') {
    const t = date(year, month, day, hour, minute, second, nsec, UTC);
    const offset = local.lookupName(zoneName, t.sec);
    if (offset !== undefined) return { sec: t.sec - offset, nsec, loc: local };
    let fake = 0;
    if (zoneName.length > 3 && zoneName.startsWith('GMT')) fake = Number(zoneName.slice(3)) * 3600;
    return { sec: t.sec, nsec, loc: fixedZone(zoneName, fake) };
  }
  return date(year, month, day, hour, minute, second, nsec, defaultLocation);
}

// -- durations ---------------------------------------------------------------------------------------------

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = 2n ** 63n - 1n;

export class DurationError extends Error {}

/** time.ParseDuration on a byte string; the result in nanoseconds. Throws DurationError with Go's message. */
export function parseDuration(text: string): bigint {
  const invalid = (): DurationError => new DurationError(`time: invalid duration ${timeQuote(text)}`);
  let s = text;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigitAt(s, 0))) throw invalid();
    const integer = /^[0-9]*/.exec(s)![0];
    const pre = integer.length > 0;
    let v = 0n;
    for (const digit of integer) {
      if (v > 2n ** 63n / 10n) throw invalid();
      v = v * 10n + BigInt(digit);
      if (v > 2n ** 63n) throw invalid();
    }
    s = s.slice(integer.length);
    let post = false;
    let fraction = 0n;
    let scale = 1;
    if (s[0] === '.') {
      s = s.slice(1);
      const digitsText = /^[0-9]*/.exec(s)![0];
      post = digitsText.length > 0;
      let overflow = false;
      for (const digit of digitsText) {
        if (overflow) continue;
        if (fraction > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const next = fraction * 10n + BigInt(digit);
        if (next > 2n ** 63n) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      s = s.slice(digitsText.length);
    }
    if (!pre && !post) throw invalid();
    let i = 0;
    while (i < s.length && s[i] !== '.' && !isDigitAt(s, i)) i++;
    if (i === 0) throw new DurationError(`time: missing unit in duration ${timeQuote(text)}`);
    const unitText = s.slice(0, i);
    s = s.slice(i);
    // Units are matched on the UTF-8 bytes ("µs" is two bytes).
    const unit = UNITS[decodeUtf8(unitText)];
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${timeQuote(unitText)} in duration ${timeQuote(text)}`);
    }
    if (v > 2n ** 63n / unit) throw invalid();
    v *= unit;
    if (fraction > 0n) {
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > 2n ** 63n) throw invalid();
    }
    total += v;
    if (total > 2n ** 63n) throw invalid();
  }
  if (negative) return -total;
  if (total > MAX_INT64) throw invalid();
  return total;
}

function decodeUtf8(bytes: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  } catch {
    return bytes;
  }
}

function fractionDigits(v: bigint, precision: number): [string, bigint] {
  let out = '';
  let print = false;
  for (let i = 0; i < precision; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) out = String(digit) + out;
    v /= 10n;
  }
  return [print ? `.${out}` : '', v];
}

/** Duration.String ("1h2m3.5s", "1.5µs", "0s"); µ is returned as UTF-8 bytes. */
export function durationString(d: bigint): string {
  let u = d < 0n ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let precision: number;
    let unit: string;
    if (u < 1000n) {
      precision = 0;
      unit = 'ns';
    } else if (u < 1_000_000n) {
      precision = 3;
      unit = '\xc2\xb5s';
    } else {
      precision = 6;
      unit = 'ms';
    }
    const [fraction, whole] = fractionDigits(u, precision);
    out = `${whole}${fraction}${unit}`;
  } else {
    const [fraction, whole] = fractionDigits(u, 9);
    u = whole;
    out = `${u % 60n}${fraction}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return d < 0n ? `-${out}` : out;
}

/** Duration.Round(m): half away from zero, saturating. */
export function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    const d1 = d - m + r;
    return d1 < d && d1 >= -(2n ** 63n) ? d1 : -(2n ** 63n);
  }
  if (r + r < m) return d - r;
  const d1 = d + m - r;
  return d1 > d && d1 <= MAX_INT64 ? d1 : MAX_INT64;
}

/** Nanoseconds between two instants (t - u), saturating like Time.Sub. */
export function subTimes(t: GoTime, u: GoTime): bigint {
  const d = (BigInt(t.sec) - BigInt(u.sec)) * 1_000_000_000n + BigInt(t.nsec - u.nsec);
  if (d > MAX_INT64) return MAX_INT64;
  if (d < -(2n ** 63n)) return -(2n ** 63n);
  return d;
}

/** t + d nanoseconds. */
export function addDuration(t: GoTime, d: bigint): GoTime {
  const total = BigInt(t.nsec) + d;
  const seconds = total / 1_000_000_000n - (total % 1_000_000_000n < 0n ? 1n : 0n);
  const nsec = Number(total - seconds * 1_000_000_000n);
  return {
    sec: t.sec + Number(seconds),
    nsec,
    loc: t.loc,
    ...(t.mono !== undefined ? { mono: t.mono + d } : {}),
  };
}

/** Time.AddDate. */
export function addDate(t: GoTime, years: number, months: number, days: number): GoTime {
  const f = fields(t);
  return date(f.year + years, f.month + months, f.day + days, f.hour, f.minute, f.second, t.nsec, t.loc);
}
