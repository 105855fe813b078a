/**
 * sprig's semver and semverCompare on Masterminds/semver v3.2.0: NewVersion's lenient parsing ("v1.2" is
 * 1.2.0), versions as *semver.Version values with their methods (.Major, .IncPatch, .LessThan …), and
 * constraints (comparisons, ~ and ^ ranges, x wildcards, hyphen ranges, "," and "||"), including the rule
 * that a prerelease version only satisfies constraints that name a prerelease. Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { quote } from '../../go-strconv.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { GoFunc, GoInt, GoStruct, goInt, type GoValue } from '../../values.ts';
import { fn } from './define.ts';
import { encodeJsonString, setJsonMarshaler } from './json.ts';
import { GoRegexp } from '../../../common/go-regexp/engine.ts';

export interface Version {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: string;
  readonly metadata: string;
  readonly original: string;
}

const VERSION =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

const MAX_UINT64 = 2n ** 64n - 1n;

function parseSegment(text: string): bigint {
  const value = BigInt(text);
  if (value > MAX_UINT64) {
    throw new GoFuncError(
      `Error parsing version segment: strconv.ParseUint: parsing ${quote(text)}: value out of range`,
    );
  }
  return value;
}

function validatePrerelease(pre: string): void {
  for (const part of pre.split('.')) {
    if (/^[0-9]*$/.test(part)) {
      if (part.length > 1 && part.startsWith('0')) throw new GoFuncError('Version segment starts with 0');
    } else if (!/^[0-9A-Za-z-]*$/.test(part)) {
      throw new GoFuncError('Invalid Prerelease string');
    }
  }
}

function validateMetadata(metadata: string): void {
  for (const part of metadata.split('.')) {
    if (!/^[0-9A-Za-z-]*$/.test(part)) throw new GoFuncError('Invalid Metadata string');
  }
}

/** semver.NewVersion. Throws GoFuncError with the library's message. */
export function parseVersion(text: string): Version {
  const match = VERSION.exec(text);
  if (!match) throw new GoFuncError('Invalid Semantic Version');
  const version: Version = {
    major: parseSegment(match[1]!),
    minor: match[2] ? parseSegment(match[2].slice(1)) : 0n,
    patch: match[3] ? parseSegment(match[3].slice(1)) : 0n,
    pre: match[5] ?? '',
    metadata: match[8] ?? '',
    original: text,
  };
  if (version.pre !== '') validatePrerelease(version.pre);
  if (version.metadata !== '') validateMetadata(version.metadata);
  return version;
}

export function versionString(version: Version): string {
  let out = `${version.major}.${version.minor}.${version.patch}`;
  if (version.pre !== '') out += `-${version.pre}`;
  if (version.metadata !== '') out += `+${version.metadata}`;
  return out;
}

function compareSegment(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return o !== '' ? -1 : 1;
  if (o === '') return s !== '' ? 1 : -1;
  const numeric = (text: string): bigint | undefined =>
    /^[0-9]+$/.test(text) && BigInt(text) <= MAX_UINT64 ? BigInt(text) : undefined;
  const oi = numeric(o);
  const si = numeric(s);
  if (oi === undefined && si === undefined) return s > o ? 1 : -1;
  if (oi === undefined) return -1;
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}

function comparePrerelease(v: string, o: string): number {
  const sparts = v.split('.');
  const oparts = o.split('.');
  for (let index = 0; index < Math.max(sparts.length, oparts.length); index++) {
    const d = comparePrePart(sparts[index] ?? '', oparts[index] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

export function compareVersions(v: Version, o: Version): number {
  const d =
    compareSegment(v.major, o.major) || compareSegment(v.minor, o.minor) || compareSegment(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePrerelease(v.pre, o.pre);
}

// -- constraints -------------------------------------------------------------------------------------------

// The library's regular expressions, run by Go's regexp semantics (common/go-regexp: linear time, so a hostile
// constraint string cannot make a render backtrack for ever).
const CV =
  'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?' +
  '(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?' +
  '(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
const OPS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const CONSTRAINT = new GoRegexp(`^\\s*(${OPS})\\s*(${CV})\\s*$`);
const RANGE = new GoRegexp(`\\s*(${CV})\\s+-\\s+(${CV})\\s*`);
const FIND = new GoRegexp(`(${OPS})\\s*(${CV})`);
const VALID = new GoRegexp(`^(\\s*(${OPS})\\s*(${CV})\\s*)((?:\\s+|,\\s*)(${OPS})\\s*(${CV})\\s*)*$`);

/** FindStringSubmatch: the groups' texts ("" for a group that took no part), or undefined. */
function submatch(regexp: GoRegexp, text: string): string[] | undefined {
  const offsets = regexp.exec(text, 0);
  if (!offsets) return undefined;
  const groups: string[] = [];
  for (let index = 0; index < offsets.length; index += 2) {
    groups.push(offsets[index]! < 0 ? '' : text.slice(offsets[index], offsets[index + 1]));
  }
  return groups;
}

interface Constraint {
  con: Version;
  orig: string;
  op: string;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (text: string | undefined): boolean => text === 'x' || text === '*' || text === 'X';

function parseConstraint(text: string): Constraint {
  if (text === '') {
    return {
      con: parseVersion('0.0.0'),
      orig: '',
      op: '',
      dirty: true,
      minorDirty: false,
      patchDirty: false,
    };
  }
  const m = submatch(CONSTRAINT, text);
  if (!m) throw new GoFuncError(`improper constraint: ${text}`);
  let version = m[2]!;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  const pre = m[6]!;
  const minor = m[4]!;
  const patch = m[5]!;
  if (isX(m[3]) || m[3] === '') {
    version = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.replace(/^\./, '')) || minor === '') {
    minorDirty = true;
    dirty = true;
    version = `${m[3]}.0.0${pre}`;
  } else if (isX(patch.replace(/^\./, '')) || patch === '') {
    dirty = true;
    patchDirty = true;
    version = `${m[3]}${minor}.0${pre}`;
  }
  let con: Version;
  try {
    con = parseVersion(version);
  } catch {
    throw new GoFuncError('constraint Parser Error');
  }
  return { con, orig: m[2]!, op: m[1]!, dirty, minorDirty, patchDirty };
}

function rewriteRange(text: string): string {
  let out = text;
  for (const match of RANGE.allMatches(text, -1)) {
    const group = (n: number): string =>
      match[2 * n]! < 0 ? '' : text.slice(match[2 * n], match[2 * n + 1]);
    out = out.replace(group(0), `>= ${group(1)}, <= ${group(11)}`);
  }
  return out;
}

export function parseConstraints(text: string): Constraint[][] {
  return rewriteRange(text)
    .split('||')
    .map((segment) => {
      if (!VALID.firstMatch(segment)) throw new GoFuncError(`improper constraint: ${segment}`);
      const found = FIND.allMatches(segment, -1).map((match) => segment.slice(match[0], match[1]));
      return (found.length === 0 ? [segment] : found).map(parseConstraint);
    });
}

function tilde(v: Version, c: Constraint): boolean {
  if (v.pre !== '' && c.con.pre === '') return false;
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty)
    return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

function check(v: Version, c: Constraint): boolean {
  const prereleaseExcluded = v.pre !== '' && c.con.pre === '';
  switch (c.op) {
    case '':
    case '=':
      if (prereleaseExcluded) return false;
      if (c.dirty) return tilde(v, c);
      return compareVersions(v, c.con) === 0;
    case '!=':
      if (c.dirty) {
        if (prereleaseExcluded) return false;
        if (c.con.major !== v.major) return true;
        if (c.con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (c.con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) {
          if (v.pre !== '' || c.con.pre !== '') return comparePrerelease(v.pre, c.con.pre) !== 0;
          return false;
        }
      }
      return compareVersions(v, c.con) !== 0;
    case '>':
      if (prereleaseExcluded) return false;
      if (!c.dirty) return compareVersions(v, c.con) === 1;
      if (v.major > c.con.major) return true;
      if (v.major < c.con.major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return compareVersions(v, c.con) === 1;
    case '<':
      if (prereleaseExcluded) return false;
      return compareVersions(v, c.con) < 0;
    case '>=':
    case '=>':
      if (prereleaseExcluded) return false;
      return compareVersions(v, c.con) >= 0;
    case '<=':
    case '=<':
      if (prereleaseExcluded) return false;
      if (!c.dirty) return compareVersions(v, c.con) <= 0;
      if (v.major > c.con.major) return false;
      if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
      return true;
    case '~':
    case '~>':
      return tilde(v, c);
    case '^': {
      if (prereleaseExcluded) return false;
      if (compareVersions(v, c.con) < 0) return false;
      if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
      if (c.con.major === 0n && v.major > 0n) return false;
      if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
      if (c.con.minor === 0n && v.minor > 0n) return false;
      return c.con.patch === v.patch;
    }
  }
  return false;
}

export function satisfies(constraints: Constraint[][], v: Version): boolean {
  return constraints.some((group) => group.every((c) => check(v, c)));
}

// -- versions as template values ---------------------------------------------------------------------------

const VERSION_TYPE = 'semver.Version';

function method(
  name: string,
  params: string[],
  result: string,
  call: (args: GoValue[]) => GoValue,
  returnsError = false,
): [string, GoFunc] {
  return [name, new GoFunc(name, { params, variadic: false, result, returnsError }, call)];
}

function versionOf(value: GoValue | undefined): Version {
  const fields = (value as GoStruct).fields;
  return {
    major: (fields.get('major') as GoInt).value,
    minor: (fields.get('minor') as GoInt).value,
    patch: (fields.get('patch') as GoInt).value,
    pre: fields.get('pre') as string,
    metadata: fields.get('metadata') as string,
    original: fields.get('original') as string,
  };
}

function originalVPrefix(version: Version): string {
  return version.original.startsWith('v') ? 'v' : '';
}

/** A semver.Version (pointer: *semver.Version, what semver returns) with the methods Go's method set allows. */
export function versionValue(version: Version, pointer: boolean): GoStruct {
  const text = versionString(version);
  const next = (changes: Partial<Version>): GoStruct => {
    const updated = { ...version, ...changes };
    return versionValue({ ...updated, original: originalVPrefix(version) + versionString(updated) }, false);
  };
  const uint64 = (value: bigint): GoInt => new GoInt('uint64', value);
  const other = (value: GoValue | undefined): Version => versionOf(value);
  const methods: [string, GoFunc][] = [
    method('String', [], 'string', () => text),
    method('Major', [], 'uint64', () => uint64(version.major)),
    method('Minor', [], 'uint64', () => uint64(version.minor)),
    method('Patch', [], 'uint64', () => uint64(version.patch)),
    method('Prerelease', [], 'string', () => version.pre),
    method('Metadata', [], 'string', () => version.metadata),
    method('IncPatch', [], VERSION_TYPE, () =>
      version.pre !== ''
        ? next({ pre: '', metadata: '' })
        : next({ pre: '', metadata: '', patch: version.patch + 1n }),
    ),
    method('IncMinor', [], VERSION_TYPE, () =>
      next({ pre: '', metadata: '', patch: 0n, minor: version.minor + 1n }),
    ),
    method('IncMajor', [], VERSION_TYPE, () =>
      next({ pre: '', metadata: '', patch: 0n, minor: 0n, major: version.major + 1n }),
    ),
    method(
      'SetPrerelease',
      ['string'],
      VERSION_TYPE,
      ([pre]) => {
        if ((pre as string) !== '') validatePrerelease(pre as string);
        return next({ pre: pre as string });
      },
      true,
    ),
    method(
      'SetMetadata',
      ['string'],
      VERSION_TYPE,
      ([metadata]) => {
        if ((metadata as string) !== '') validateMetadata(metadata as string);
        return next({ metadata: metadata as string });
      },
      true,
    ),
  ];
  if (pointer) {
    methods.push(
      method('Original', [], 'string', () => version.original),
      method('LessThan', [`*${VERSION_TYPE}`], 'bool', ([o]) => compareVersions(version, other(o)) < 0),
      method('GreaterThan', [`*${VERSION_TYPE}`], 'bool', ([o]) => compareVersions(version, other(o)) > 0),
      method('Equal', [`*${VERSION_TYPE}`], 'bool', ([o]) => compareVersions(version, other(o)) === 0),
      method('Compare', [`*${VERSION_TYPE}`], 'int', ([o]) => goInt(compareVersions(version, other(o)))),
    );
  }
  const value = new GoStruct({
    type: VERSION_TYPE,
    pointer,
    fields: [
      ['major', uint64(version.major)],
      ['minor', uint64(version.minor)],
      ['patch', uint64(version.patch)],
      ['pre', version.pre],
      ['metadata', version.metadata],
      ['original', version.original],
    ],
    methods: methods.sort(([a], [b]) => (a < b ? -1 : 1)),
    string: () => text,
  });
  setJsonMarshaler(value, () => encodeJsonString(text, false));
  return value;
}

export function semverFunctions(): GoFunc[] {
  return [
    fn(
      'semver',
      ['string'],
      `*${VERSION_TYPE}`,
      ([text]) => versionValue(parseVersion(text as ByteString), true),
      {
        returnsError: true,
      },
    ),
    fn(
      'semverCompare',
      ['string', 'string'],
      'bool',
      ([constraint, version]) => {
        const constraints = parseConstraints(constraint as ByteString);
        return satisfies(constraints, parseVersion(version as ByteString));
      },
      { returnsError: true },
    ),
  ];
}
