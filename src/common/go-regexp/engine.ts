/**
 * Go's regexp, implemented as Go implements it, for all of Cloak (templates use it on byte strings directly;
 * index.ts puts it over JavaScript strings): the pattern is parsed with Go's syntax (RE2, Perl flags) and
 * Go's error messages ("error parsing regexp: missing closing ): `(a`"), compiled to Go's instruction program
 * (the same construction, so alternatives and repetitions have Go's priorities), and run by a Pike VM, as
 * Go's regexp runs in general. Matching is leftmost-first, takes time linear in the input (a pattern like
 * `(a+)+$` cannot hang a render or an API write, as it could on JavaScript's backtracking engine), and works
 * on byte strings as Go's does: an invalid byte is one U+FFFD rune, offsets are bytes, results keep the
 * input's bytes.
 * `.` never matches "\n" unless (?s), `^`/`$` are text edges unless (?m), `\s` `\d` `\w` `\b` and the POSIX
 * classes are ASCII, `\pL` and `\p{Greek}` are Unicode's, (?i) folds case simply (k K K, s S ſ). FindAll,
 * ReplaceAll and Split follow Go's rules for empty matches. Pure.
 */
import { decodeLastRune, decodeRune, type ByteString } from '../go-utf8.ts';
import { toLowerRune, toUpperRune } from '../go-unicode.ts';

export class RegexpSyntaxError extends Error {
  constructor(code: string, expr: ByteString) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
  }
}

const Flag = {
  FoldCase: 1,
  OneLine: 2, // ^ and $ at text edges only (cleared by (?m))
  DotNL: 4,
  NonGreedy: 8,
} as const;

// -- runes and classes -------------------------------------------------------------------------------------

type RuneTest = (rune: number) => boolean;
type Range = readonly [number, number];

const POSIX: Record<string, readonly Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const PERL: Record<string, readonly Range[]> = {
  d: POSIX.digit!,
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: POSIX.word!,
};

/** General categories Go knows (unicode.Categories); any other name must be a script. */
const CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

const properties = new Map<string, RuneTest | undefined>();

/** The rune test of a Unicode class name (\pL, \p{Greek}), or undefined when Go does not know the name. */
function unicodeProperty(name: string): RuneTest | undefined {
  if (properties.has(name)) return properties.get(name);
  let test: RuneTest | undefined;
  if (name === 'Any') test = () => true;
  else {
    let source: string | undefined;
    // Go's "C" is Cc, Cf, Co and Cs (unassigned code points are not in it).
    if (name === 'C') source = '[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}]';
    else if (CATEGORIES.has(name)) source = `\\p{${name}}`;
    else if (/^[A-Z][A-Za-z_]*$/.test(name)) source = `\\p{Script=${name}}`;
    if (source !== undefined) {
      try {
        const pattern = new RegExp(`^${source}$`, 'u');
        const cache = new Map<number, boolean>();
        test = (rune) => {
          let found = cache.get(rune);
          if (found === undefined) {
            found = rune >= 0 && rune <= 0x10ffff && pattern.test(String.fromCodePoint(rune));
            if (cache.size < 4096) cache.set(rune, found);
          }
          return found;
        };
      } catch {
        test = undefined;
      }
    }
  }
  properties.set(name, test);
  return test;
}

let orbits: Map<number, number[]> | undefined;

/** The runes that fold to the same rune (Go's simple case folding orbit), the rune itself included. */
function foldOrbit(rune: number): readonly number[] {
  const key = (r: number): number => toLowerRune(toUpperRune(r));
  if (!orbits) {
    orbits = new Map();
    for (let r = 0; r < 0x20000; r++) {
      if (r >= 0xd800 && r <= 0xdfff) continue;
      if (toUpperRune(r) === r && toLowerRune(r) === r) continue;
      const k = key(r);
      const orbit = orbits.get(k);
      if (orbit) orbit.push(r);
      else orbits.set(k, [r]);
    }
  }
  const orbit = orbits.get(key(rune));
  return orbit && orbit.includes(rune) ? orbit : [rune];
}

function inRanges(ranges: readonly Range[], rune: number): boolean {
  for (const [lo, hi] of ranges) if (rune >= lo && rune <= hi) return true;
  return false;
}

/**
 * A class test; with (?i) a rune matches when any rune of its fold orbit is in the class. The answers for ASCII
 * are worked out once, since most texts are mostly ASCII.
 */
function classTest(items: readonly RuneTest[], negated: boolean, fold: boolean): RuneTest {
  const base = (rune: number): boolean => items.some((item) => item(rune));
  const folded = fold ? (rune: number) => base(rune) || foldOrbit(rune).some(base) : base;
  const test = negated ? (rune: number) => !folded(rune) : folded;
  const ascii = new Uint8Array(0x80);
  for (let rune = 0; rune < 0x80; rune++) ascii[rune] = test(rune) ? 1 : 0;
  return (rune) => (rune >= 0 && rune < 0x80 ? ascii[rune] === 1 : test(rune));
}

const rangeTest =
  (ranges: readonly Range[], negated = false): RuneTest =>
  (rune) =>
    inRanges(ranges, rune) !== negated;

// -- syntax tree -------------------------------------------------------------------------------------------

const Empty = {
  BeginLine: 1,
  EndLine: 2,
  BeginText: 4,
  EndText: 8,
  WordBoundary: 16,
  NoWordBoundary: 32,
} as const;

type Node =
  | { readonly op: 'empty' }
  | { readonly op: 'rune'; readonly test: RuneTest }
  | { readonly op: 'assert'; readonly condition: number }
  | { readonly op: 'cat'; readonly subs: Node[] }
  | { readonly op: 'alt'; readonly subs: Node[] }
  | { readonly op: 'cap'; readonly index: number; readonly sub: Node }
  | {
      readonly op: 'rep';
      readonly min: number;
      readonly max: number;
      readonly greedy: boolean;
      readonly sub: Node;
    };

interface Frame {
  alternatives: Node[][];
  flags: number;
  /** The capture index of the group, or undefined for (?:…). */
  capture: number | undefined;
}

interface Parsed {
  root: Node;
  groupNames: (string | undefined)[];
}

/** Go's repeatIsValid: nested repetitions may not multiply past 1000. */
function repeatIsValid(node: Node, n: number): boolean {
  if (node.op === 'rep') {
    let m = node.max;
    if (m === 0) return true;
    if (m < 0) m = node.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
    return repeatIsValid(node.sub, n);
  }
  if (node.op === 'cat' || node.op === 'alt') return node.subs.every((sub) => repeatIsValid(sub, n));
  if (node.op === 'cap') return repeatIsValid(node.sub, n);
  return true;
}

/** Parses a Go regular expression into a tree (throws RegexpSyntaxError with Go's message). */
export function parseGoRegexp(pattern: ByteString): Parsed {
  const text = pattern;
  for (let index = 0; index < text.length;) {
    const [rune, size] = decodeRune(text, index);
    if (rune === 0xfffd && size === 1) throw new RegexpSyntaxError('invalid UTF-8', text.slice(index));
    index += size;
  }
  const groupNames: (string | undefined)[] = [undefined];
  let flags: number = Flag.OneLine;
  const stack: Frame[] = [];
  let current: Node[][] = [[]];
  let pieces = current[0]!;
  /** The text of the last repetition operator when the previous piece was one (Go's lastRepeat). */
  let lastRepeat: string | undefined;
  /** Whether the last piece can be repeated (not after "(", "|" or at the start). */
  let lastRepeatable = false;
  let index = 0;

  const push = (node: Node): void => {
    pieces.push(node);
    lastRepeatable = true;
    lastRepeat = undefined;
  };
  const literal = (rune: number): Node => {
    if (flags & Flag.FoldCase) {
      const orbit = foldOrbit(rune);
      if (orbit.length > 1) return { op: 'rune', test: (r) => orbit.includes(r) };
    }
    return { op: 'rune', test: (r) => r === rune };
  };
  const group = (alternatives: Node[][]): Node => {
    const branches = alternatives.map((alternative): Node => {
      if (alternative.length === 0) return { op: 'empty' };
      return alternative.length === 1 ? alternative[0]! : { op: 'cat', subs: alternative };
    });
    return branches.length === 1 ? branches[0]! : { op: 'alt', subs: branches };
  };
  const open = (capture: number | undefined): void => {
    stack.push({ alternatives: current, flags, capture });
    current = [[]];
    pieces = current[0]!;
    lastRepeatable = false;
    lastRepeat = undefined;
  };

  while (index < text.length) {
    const char = text[index]!;
    let repeat: { text: string; min: number; max: number } | undefined;
    switch (char) {
      case '(': {
        if (text.startsWith('(?', index)) {
          const rest = text.slice(index);
          if ((rest.length > 4 && rest[2] === 'P') || (rest.length > 3 && rest[2] === '<')) {
            const begin = rest[2] === '<' ? 3 : 4;
            const end = rest.indexOf('>');
            if (end < 0) throw new RegexpSyntaxError('invalid named capture', rest);
            const name = rest.slice(begin, end);
            if (!/^[0-9A-Za-z_]+$/.test(name)) {
              throw new RegexpSyntaxError('invalid named capture', rest.slice(0, end + 1));
            }
            groupNames.push(name);
            open(groupNames.length - 1);
            index += end + 1;
            continue;
          }
          // Flags, and maybe a non-capturing group.
          let position = index + 2;
          let newFlags = flags;
          let sign = 1;
          let sawFlag = false;
          let done = false;
          while (position < text.length) {
            const [c, size] = decodeRune(text, position);
            position += size;
            const letter = String.fromCodePoint(c);
            const set = (flag: number, on: boolean): void => {
              newFlags = on ? newFlags | flag : newFlags & ~flag;
              sawFlag = true;
            };
            if (letter === 'i') set(Flag.FoldCase, sign > 0);
            else if (letter === 'm') set(Flag.OneLine, sign < 0);
            else if (letter === 's') set(Flag.DotNL, sign > 0);
            else if (letter === 'U') set(Flag.NonGreedy, sign > 0);
            else if (letter === '-') {
              if (sign < 0) break;
              sign = -1;
              sawFlag = false;
            } else if (letter === ':' || letter === ')') {
              if (sign < 0 && !sawFlag) break;
              if (letter === ':') open(undefined);
              flags = newFlags;
              lastRepeatable = false;
              lastRepeat = undefined;
              index = position;
              done = true;
              break;
            } else break;
          }
          if (!done) {
            throw new RegexpSyntaxError('invalid or unsupported Perl syntax', text.slice(index, position));
          }
          continue;
        }
        groupNames.push(undefined);
        open(groupNames.length - 1);
        index++;
        continue;
      }
      case ')': {
        const frame = stack.pop();
        if (!frame) throw new RegexpSyntaxError('unexpected )', text);
        const body = group(current);
        current = frame.alternatives;
        pieces = current[current.length - 1]!;
        flags = frame.flags;
        push(frame.capture === undefined ? body : { op: 'cap', index: frame.capture, sub: body });
        index++;
        continue;
      }
      case '|':
        current.push([]);
        pieces = current[current.length - 1]!;
        lastRepeatable = false;
        lastRepeat = undefined;
        index++;
        continue;
      case '^':
        push({ op: 'assert', condition: flags & Flag.OneLine ? Empty.BeginText : Empty.BeginLine });
        index++;
        continue;
      case '$':
        push({ op: 'assert', condition: flags & Flag.OneLine ? Empty.EndText : Empty.EndLine });
        index++;
        continue;
      case '.': {
        const dotNL = (flags & Flag.DotNL) !== 0;
        push({ op: 'rune', test: dotNL ? () => true : (r) => r !== 0x0a });
        index++;
        continue;
      }
      case '[': {
        const [test, end] = parseClass(text, index, flags);
        push({ op: 'rune', test });
        index = end;
        continue;
      }
      case '*':
        repeat = { text: char, min: 0, max: -1 };
        break;
      case '+':
        repeat = { text: char, min: 1, max: -1 };
        break;
      case '?':
        repeat = { text: char, min: 0, max: 1 };
        break;
      case '{': {
        const match = /^\{(\d+)(?:(,)(\d*))?\}/.exec(text.slice(index));
        if (!match) {
          push(literal(0x7b));
          index++;
          continue;
        }
        const min = match[1]!.length > 8 ? -1 : Number(match[1]);
        const max =
          match[2] === undefined
            ? min
            : match[3] === ''
              ? -1
              : match[3]!.length > 8
                ? 1001
                : Number(match[3]);
        if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max)) {
          throw new RegexpSyntaxError('invalid repeat count', match[0]);
        }
        repeat = { text: match[0], min, max };
        break;
      }
      case '\\': {
        const [node, end] = parseEscapeAtom(text, index, flags);
        push(node);
        index = end;
        continue;
      }
      default: {
        const [c, size] = decodeRune(text, index);
        push(literal(c));
        index += size;
        continue;
      }
    }
    // A repetition operator.
    let end = index + repeat.text.length;
    let lazy = false;
    if (text[end] === '?') {
      lazy = true;
      end++;
    }
    const opText = text.slice(index, end);
    if (lastRepeat !== undefined) {
      throw new RegexpSyntaxError('invalid nested repetition operator', lastRepeat + opText);
    }
    if (!lastRepeatable || pieces.length === 0) {
      throw new RegexpSyntaxError('missing argument to repetition operator', opText);
    }
    if (flags & Flag.NonGreedy) lazy = !lazy;
    const node: Node = { op: 'rep', min: repeat.min, max: repeat.max, greedy: !lazy, sub: pieces.pop()! };
    if (repeat.text.startsWith('{') && (repeat.min >= 2 || repeat.max >= 2) && !repeatIsValid(node, 1000)) {
      throw new RegexpSyntaxError('invalid repeat count', repeat.text);
    }
    pieces.push(node);
    lastRepeat = opText;
    lastRepeatable = true;
    index = end;
  }
  if (stack.length > 0) throw new RegexpSyntaxError('missing closing )', text);
  return { root: group(current), groupNames };
}

/** An escape outside a class: \d, \pL, \b, \A, \z, \Q…\E, or one rune. Returns [node, end]. */
function parseEscapeAtom(text: ByteString, index: number, flags: number): [Node, number] {
  const next = text[index + 1];
  if (next === undefined) throw new RegexpSyntaxError('trailing backslash at end of expression', '');
  const fold = (flags & Flag.FoldCase) !== 0;
  switch (next) {
    case 'A':
      return [{ op: 'assert', condition: Empty.BeginText }, index + 2];
    case 'z':
      return [{ op: 'assert', condition: Empty.EndText }, index + 2];
    case 'b':
      return [{ op: 'assert', condition: Empty.WordBoundary }, index + 2];
    case 'B':
      return [{ op: 'assert', condition: Empty.NoWordBoundary }, index + 2];
    case 'Q': {
      const end = text.indexOf('\\E', index + 2);
      const literal = text.slice(index + 2, end < 0 ? undefined : end);
      const subs: Node[] = [];
      for (let position = 0; position < literal.length;) {
        const [c, size] = decodeRune(literal, position);
        const orbit = fold ? foldOrbit(c) : [c];
        subs.push({ op: 'rune', test: (r) => orbit.includes(r) });
        position += size;
      }
      const node: Node =
        subs.length === 0 ? { op: 'empty' } : subs.length === 1 ? subs[0]! : { op: 'cat', subs };
      return [node, end < 0 ? text.length : end + 2];
    }
  }
  const perl = perlClass(text, index);
  if (perl) return [{ op: 'rune', test: classTest([perl[0]], false, fold) }, perl[1]];
  const unicode = unicodeClass(text, index);
  if (unicode) return [{ op: 'rune', test: classTest([unicode[0]], false, fold) }, unicode[1]];
  const [rune, end] = parseEscapeRune(text, index);
  const orbit = fold ? foldOrbit(rune) : [rune];
  return [{ op: 'rune', test: (r) => orbit.includes(r) }, end];
}

/** \d \s \w and their negations. */
function perlClass(text: ByteString, index: number): [RuneTest, number] | undefined {
  const letter = text[index + 1];
  if (letter === undefined || !/^[dswDSW]$/.test(letter)) return undefined;
  return [rangeTest(PERL[letter.toLowerCase()]!, letter !== letter.toLowerCase()), index + 2];
}

/** \pL, \p{Greek}, \PL, \p{^Greek}. */
function unicodeClass(text: ByteString, index: number): [RuneTest, number] | undefined {
  const letter = text[index + 1];
  if (letter !== 'p' && letter !== 'P') return undefined;
  let negated = letter === 'P';
  let name: string;
  let end: number;
  if (text[index + 2] === '{') {
    const close = text.indexOf('}', index + 3);
    if (close < 0) throw new RegexpSyntaxError('invalid character class range', text.slice(index));
    name = text.slice(index + 3, close);
    end = close + 1;
  } else {
    if (index + 2 >= text.length)
      throw new RegexpSyntaxError('invalid character class range', text.slice(index));
    const [, size] = decodeRune(text, index + 2);
    name = text.slice(index + 2, index + 2 + size);
    end = index + 2 + size;
  }
  const whole = text.slice(index, end);
  if (name.startsWith('^')) {
    negated = !negated;
    name = name.slice(1);
  }
  const property = unicodeProperty(name);
  if (property === undefined) throw new RegexpSyntaxError('invalid character class range', whole);
  return [negated ? (rune) => !property(rune) : property, end];
}

function unhex(char: string | undefined): number {
  if (char === undefined || !/^[0-9A-Fa-f]$/.test(char)) return -1;
  return parseInt(char, 16);
}

function parseEscapeRune(text: ByteString, index: number): [number, number] {
  const start = index;
  let position = index + 1;
  if (position >= text.length) throw new RegexpSyntaxError('trailing backslash at end of expression', '');
  const [c, size] = decodeRune(text, position);
  position += size;
  const invalid = (): never => {
    throw new RegexpSyntaxError('invalid escape sequence', text.slice(start, position));
  };
  if (c < 0x80 && !/[0-9A-Za-z]/.test(String.fromCharCode(c))) return [c, position];
  const isOctal = (at: number): boolean => at < text.length && text[at]! >= '0' && text[at]! <= '7';
  if (c >= 0x30 && c <= 0x37) {
    // A single non-zero digit would be a backreference, which RE2 does not have.
    if (c !== 0x30 && !isOctal(position)) return invalid();
    let value = c - 0x30;
    for (let count = 1; count < 3 && isOctal(position); count++) {
      value = value * 8 + (text.charCodeAt(position) - 0x30);
      position++;
    }
    return [value, position];
  }
  switch (String.fromCharCode(c)) {
    case 'x': {
      if (position >= text.length) return invalid();
      if (text[position] === '{') {
        position++;
        let value = 0;
        let digits = 0;
        for (;;) {
          if (position >= text.length) return invalid();
          const char = text[position]!;
          position++;
          if (char === '}') break;
          const digit = unhex(char);
          if (digit < 0) return invalid();
          value = value * 16 + digit;
          if (value > 0x10ffff) return invalid();
          digits++;
        }
        if (digits === 0) return invalid();
        return [value, position];
      }
      const x = unhex(text[position]);
      position++;
      if (position > text.length) return invalid();
      const y = unhex(text[position]);
      position++;
      if (x < 0 || y < 0) {
        position = Math.min(position, text.length);
        return invalid();
      }
      return [x * 16 + y, position];
    }
    case 'a':
      return [7, position];
    case 'f':
      return [12, position];
    case 'n':
      return [10, position];
    case 'r':
      return [13, position];
    case 't':
      return [9, position];
    case 'v':
      return [11, position];
  }
  return invalid();
}

/** A character class [...] starting at index: [test, end]. */
function parseClass(text: ByteString, index: number, flags: number): [RuneTest, number] {
  const whole = text.slice(index);
  let position = index + 1;
  let negated = false;
  if (text[position] === '^') {
    negated = true;
    position++;
  }
  const items: RuneTest[] = [];
  let first = true;
  while (position >= text.length || text[position] !== ']' || first) {
    if (position >= text.length) throw new RegexpSyntaxError('missing closing ]', whole);
    first = false;
    // [:alpha:] and [:^alpha:]
    if (text.startsWith('[:', position)) {
      const close = text.indexOf(':]', position + 2);
      if (close >= 0) {
        const name = text.slice(position + 2, close);
        const negatedPosix = name.startsWith('^');
        const ranges = POSIX[negatedPosix ? name.slice(1) : name];
        if (ranges === undefined) {
          throw new RegexpSyntaxError('invalid character class range', text.slice(position, close + 2));
        }
        items.push(rangeTest(ranges, negatedPosix));
        position = close + 2;
        continue;
      }
    }
    if (text[position] === '\\') {
      const unicode = unicodeClass(text, position);
      if (unicode) {
        items.push(unicode[0]);
        position = unicode[1];
        continue;
      }
      const perl = perlClass(text, position);
      if (perl) {
        items.push(perl[0]);
        position = perl[1];
        continue;
      }
    }
    const rangeStart = position;
    let lo: number;
    [lo, position] = classChar(text, position, whole);
    let hi = lo;
    if (position + 1 < text.length && text[position] === '-' && text[position + 1] !== ']') {
      [hi, position] = classChar(text, position + 1, whole);
      if (hi < lo) {
        throw new RegexpSyntaxError('invalid character class range', text.slice(rangeStart, position));
      }
    }
    items.push(rangeTest([[lo, hi]]));
  }
  return [classTest(items, negated, (flags & Flag.FoldCase) !== 0), position + 1];
}

function classChar(text: ByteString, position: number, whole: string): [number, number] {
  if (position >= text.length) throw new RegexpSyntaxError('missing closing ]', whole);
  if (text[position] === '\\') return parseEscapeRune(text, position);
  const [rune, size] = decodeRune(text, position);
  return [rune, position + size];
}

// -- program (Go's compile.go) -----------------------------------------------------------------------------

type Inst =
  | { op: 'alt'; out: number; arg: number }
  | { op: 'rune'; test: RuneTest; out: number }
  | { op: 'assert'; condition: number; out: number }
  | { op: 'save'; slot: number; out: number }
  | { op: 'nop'; out: number }
  | { op: 'match' }
  | { op: 'fail' };

/** A hole to patch: an instruction's out (or an alt's arg). */
interface Hole {
  pc: number;
  arg: boolean;
}

interface Frag {
  start: number;
  holes: Hole[];
  nullable: boolean;
}

/** Programs larger than this are refused (Go's limit is in bytes of program; this is generous for templates). */
const MAX_PROGRAM = 200_000;

class Compiler {
  readonly program: Inst[] = [{ op: 'fail' }];
  readonly #pattern: ByteString;

  constructor(pattern: ByteString) {
    this.#pattern = pattern;
  }

  #inst(inst: Inst): number {
    if (this.program.length >= MAX_PROGRAM)
      throw new RegexpSyntaxError('expression too large', this.#pattern);
    this.program.push(inst);
    return this.program.length - 1;
  }

  #patch(holes: readonly Hole[], target: number): void {
    for (const { pc, arg } of holes) {
      const inst = this.program[pc] as { out: number; arg?: number };
      if (arg) inst.arg = target;
      else inst.out = target;
    }
  }

  #nop(): Frag {
    const pc = this.#inst({ op: 'nop', out: 0 });
    return { start: pc, holes: [{ pc, arg: false }], nullable: true };
  }

  #cat(f1: Frag, f2: Frag): Frag {
    this.#patch(f1.holes, f2.start);
    return { start: f1.start, holes: f2.holes, nullable: f1.nullable && f2.nullable };
  }

  #alt(f1: Frag | undefined, f2: Frag): Frag {
    if (!f1) return f2;
    const pc = this.#inst({ op: 'alt', out: f1.start, arg: f2.start });
    return { start: pc, holes: [...f1.holes, ...f2.holes], nullable: f1.nullable || f2.nullable };
  }

  #quest(f1: Frag, greedy: boolean): Frag {
    const pc = this.#inst(
      greedy ? { op: 'alt', out: f1.start, arg: 0 } : { op: 'alt', out: 0, arg: f1.start },
    );
    return { start: pc, holes: [{ pc, arg: greedy }, ...f1.holes], nullable: true };
  }

  #loop(f1: Frag, greedy: boolean): Frag {
    const pc = this.#inst(
      greedy ? { op: 'alt', out: f1.start, arg: 0 } : { op: 'alt', out: 0, arg: f1.start },
    );
    this.#patch(f1.holes, pc);
    return { start: pc, holes: [{ pc, arg: greedy }], nullable: true };
  }

  #star(f1: Frag, greedy: boolean): Frag {
    // Go compiles a star of something that can match empty as (x+)? to keep its priorities right.
    if (f1.nullable) return this.#quest(this.#plus(f1, greedy), greedy);
    return this.#loop(f1, greedy);
  }

  #plus(f1: Frag, greedy: boolean): Frag {
    return { start: f1.start, holes: this.#loop(f1, greedy).holes, nullable: f1.nullable };
  }

  compile(node: Node): Frag {
    switch (node.op) {
      case 'empty':
        return this.#nop();
      case 'rune': {
        const pc = this.#inst({ op: 'rune', test: node.test, out: 0 });
        return { start: pc, holes: [{ pc, arg: false }], nullable: false };
      }
      case 'assert': {
        const pc = this.#inst({ op: 'assert', condition: node.condition, out: 0 });
        return { start: pc, holes: [{ pc, arg: false }], nullable: true };
      }
      case 'cap': {
        const open = this.#inst({ op: 'save', slot: node.index * 2, out: 0 });
        const sub = this.compile(node.sub);
        const close = this.#inst({ op: 'save', slot: node.index * 2 + 1, out: 0 });
        this.program[open] = { op: 'save', slot: node.index * 2, out: sub.start };
        this.#patch(sub.holes, close);
        return { start: open, holes: [{ pc: close, arg: false }], nullable: sub.nullable };
      }
      case 'cat':
        return node.subs.map((sub) => this.compile(sub)).reduce((f1, f2) => this.#cat(f1, f2));
      case 'alt': {
        let frag: Frag | undefined;
        for (const sub of node.subs) frag = this.#alt(frag, this.compile(sub));
        return frag!;
      }
      case 'rep':
        return this.#repeat(node.sub, node.min, node.max, node.greedy);
    }
  }

  /** Go's Simplify for x{n,m} (n copies, then nested optionals) and the star/plus/quest compilers. */
  #repeat(sub: Node, min: number, max: number, greedy: boolean): Frag {
    if (min === 0 && max === 0) return this.#nop();
    if (sub.op === 'empty') return this.#nop();
    if (max === -1) {
      if (min === 0) return this.#star(this.compile(sub), greedy);
      let frag: Frag | undefined;
      for (let i = 0; i < min - 1; i++) frag = frag ? this.#cat(frag, this.compile(sub)) : this.compile(sub);
      const plus = this.#plus(this.compile(sub), greedy);
      return frag ? this.#cat(frag, plus) : plus;
    }
    if (min === 0 && max === 1) return this.#quest(this.compile(sub), greedy);
    if (min === 1 && max === 1) return this.compile(sub);
    let prefix: Frag | undefined;
    for (let i = 0; i < min; i++) prefix = prefix ? this.#cat(prefix, this.compile(sub)) : this.compile(sub);
    if (max > min) {
      // (x(x(x)?)?)? built from the inside out, as Go's Simplify nests it.
      const nest = (count: number): Frag => {
        const first = this.compile(sub);
        const inner = count > 1 ? this.#cat(first, nest(count - 1)) : first;
        return this.#quest(inner, greedy);
      };
      const suffix = nest(max - min);
      prefix = prefix ? this.#cat(prefix, suffix) : suffix;
    }
    return prefix!;
  }
}

// -- matching (Go's Pike VM, regexp/exec.go) ---------------------------------------------------------------

/** Whether every path from pc passes \A (Go's StartCond having EmptyBeginText) before reading a rune. */
function startsAtBeginText(program: readonly Inst[], pc: number): boolean {
  for (;;) {
    const inst = program[pc]!;
    if (inst.op === 'assert' && (inst.condition & Empty.BeginText) !== 0) return true;
    if (inst.op !== 'assert' && inst.op !== 'save' && inst.op !== 'nop') return false;
    pc = inst.out;
  }
}

const END = -1;

const isWordChar = (rune: number): boolean =>
  (rune >= 0x30 && rune <= 0x39) ||
  (rune >= 0x41 && rune <= 0x5a) ||
  (rune >= 0x61 && rune <= 0x7a) ||
  rune === 0x5f;

/** syntax.EmptyOpContext: which empty-width assertions hold between r1 and r2 (END at the text's edges). */
function emptyContext(r1: number, r2: number): number {
  let op: number = Empty.NoWordBoundary;
  let boundary = 0;
  if (isWordChar(r1)) boundary = 1;
  else if (r1 === 0x0a) op |= Empty.BeginLine;
  else if (r1 === END) op |= Empty.BeginText | Empty.BeginLine;
  if (isWordChar(r2)) boundary ^= 1;
  else if (r2 === 0x0a) op |= Empty.EndLine;
  else if (r2 === END) op |= Empty.EndText | Empty.EndLine;
  if (boundary !== 0) op ^= Empty.WordBoundary | Empty.NoWordBoundary;
  return op;
}

interface Thread {
  pc: number;
  caps: number[];
}

const Op = { Fail: 0, Alt: 1, Rune: 2, Assert: 3, Skip: 4, Match: 5 } as const;

/** A program as parallel arrays: opcode, out, and arg (an alt's other branch, or an assertion's condition). */
interface FlatProgram {
  readonly ops: Uint8Array;
  readonly outs: Int32Array;
  readonly args: Int32Array;
  readonly tests: readonly (RuneTest | undefined)[];
}

function flatten(program: readonly Inst[]): FlatProgram {
  const ops = new Uint8Array(program.length);
  const outs = new Int32Array(program.length);
  const args = new Int32Array(program.length);
  const tests: (RuneTest | undefined)[] = [];
  program.forEach((inst, pc) => {
    tests.push(inst.op === 'rune' ? inst.test : undefined);
    if (inst.op === 'fail' || inst.op === 'match') {
      ops[pc] = inst.op === 'fail' ? Op.Fail : Op.Match;
      return;
    }
    outs[pc] = inst.out;
    if (inst.op === 'alt') [ops[pc], args[pc]] = [Op.Alt, inst.arg];
    else if (inst.op === 'assert') [ops[pc], args[pc]] = [Op.Assert, inst.condition];
    else ops[pc] = inst.op === 'rune' ? Op.Rune : Op.Skip;
  });
  return { ops, outs, args, tests };
}

/**
 * The rune at byte `at` and its size packed in one number (rune * 8 + size; `>> 3` and `& 7` unpack), END and 0
 * past the text: the matching loop then allocates nothing per rune.
 */
function packedRuneAt(input: ByteString, at: number): number {
  if (at >= input.length) return END * 8;
  const byte = input.charCodeAt(at);
  if (byte < 0x80) return byte * 8 + 1;
  const [rune, size] = decodeRune(input, at);
  return rune * 8 + size;
}

/** The program counters of a step, each at most once (Go's sparse set), for matching without captures. */
class PcSet {
  readonly pcs: Int32Array;
  length = 0;
  /** Room for #addPc's work list: each alt pushes once per step, so the program's size is enough. */
  readonly stack: Int32Array;
  readonly #marks: Int32Array;
  #generation = 1;

  constructor(size: number) {
    this.pcs = new Int32Array(size);
    this.stack = new Int32Array(size + 1);
    this.#marks = new Int32Array(size);
  }

  clear(): void {
    this.length = 0;
    if (this.#generation === 0x7fffffff) {
      this.#marks.fill(0);
      this.#generation = 0;
    }
    this.#generation++;
  }

  /** Marks pc as visited; false when it already was. */
  visit(pc: number): boolean {
    if (this.#marks[pc] === this.#generation) return false;
    this.#marks[pc] = this.#generation;
    return true;
  }
}

/** A run queue with Go's sparse-set dedup: a program counter enters a queue once per step. */
class Queue {
  threads: Thread[] = [];
  readonly #marks: Int32Array;
  #generation = 1;

  constructor(size: number) {
    this.#marks = new Int32Array(size);
  }

  clear(): void {
    this.threads = [];
    this.#generation++;
  }

  /** Marks pc as visited; false when it already was. */
  visit(pc: number): boolean {
    if (this.#marks[pc] === this.#generation) return false;
    this.#marks[pc] = this.#generation;
    return true;
  }
}

/** A compiled Go regular expression. */
export class GoRegexp {
  readonly source: ByteString;
  readonly groupNames: readonly (string | undefined)[];
  readonly #program: readonly Inst[];
  readonly #start: number;
  readonly #slots: number;
  /** Whether every match must begin at the text's start (the program opens with \A or ^ without (?m)). */
  readonly #anchored: boolean;
  #pcSets: [PcSet, PcSet] | undefined;
  /** The program again as flat arrays (one shape, so the matching loop stays fast), for matches(). */
  readonly #flat: FlatProgram;

  constructor(pattern: ByteString) {
    this.source = pattern;
    const { root, groupNames } = parseGoRegexp(pattern);
    this.groupNames = groupNames;
    const compiler = new Compiler(pattern);
    const body = compiler.compile({ op: 'cap', index: 0, sub: root });
    const match = compiler.program.push({ op: 'match' }) - 1;
    for (const hole of body.holes) (compiler.program[hole.pc] as { out: number }).out = match;
    this.#program = compiler.program;
    this.#start = body.start;
    this.#slots = groupNames.length * 2;
    this.#anchored = startsAtBeginText(this.#program, this.#start);
    this.#flat = flatten(this.#program);
  }

  /** Follows empty transitions from pc (out before arg, as Go's add) and queues the threads that reach a rune or match. */
  #add(queue: Queue, pc: number, pos: number, caps: number[], condition: number): void {
    const program = this.#program;
    // An explicit stack (last in, first out) explores in Go's depth-first order without deep recursion.
    const work: Thread[] = [{ pc, caps }];
    while (work.length > 0) {
      let { pc: at, caps: threadCaps } = work.pop()!;
      for (;;) {
        if (at === 0 || !queue.visit(at)) break;
        const inst = program[at]!;
        if (inst.op === 'alt') {
          work.push({ pc: inst.arg, caps: threadCaps });
          at = inst.out;
        } else if (inst.op === 'assert') {
          if ((inst.condition & ~condition) !== 0) break;
          at = inst.out;
        } else if (inst.op === 'nop') {
          at = inst.out;
        } else if (inst.op === 'save') {
          threadCaps = threadCaps.slice();
          threadCaps[inst.slot] = pos;
          at = inst.out;
        } else {
          if (inst.op !== 'fail') queue.threads.push({ pc: at, caps: threadCaps });
          break;
        }
      }
    }
  }

  /**
   * The leftmost-first match, searching from byte `from` (the text before it still counts for ^, \b…): byte
   * offsets of the match and its groups (-1 where a group took no part), or undefined. Linear in the input:
   * each step runs every live thread once. `charge` is told about the work.
   */
  exec(input: ByteString, from: number, charge?: (steps: number) => void): number[] | undefined {
    return this.#run(input, from, charge);
  }

  /**
   * Whether the text holds a match (Go's MatchString). No positions are wanted, so a thread is only a program
   * counter, and the first thread to reach the match answers. Linear in the input, as exec.
   */
  matches(input: ByteString, charge?: (steps: number) => void): boolean {
    // The sets are kept between calls (taken while in use), so that a match allocates nothing.
    const size = this.#program.length;
    const [first, second] = this.#pcSets ?? [new PcSet(size), new PcSet(size)];
    this.#pcSets = undefined;
    try {
      first.clear();
      second.clear();
      return this.#matches(input, first, second, charge);
    } finally {
      this.#pcSets = [first, second];
    }
  }

  #matches(input: ByteString, runq: PcSet, nextq: PcSet, charge?: (steps: number) => void): boolean {
    let pos = 0;
    let packed = packedRuneAt(input, pos);
    let r = packed >> 3;
    let width = packed & 7;
    let condition = emptyContext(END, r);
    for (;;) {
      if (!(this.#anchored && pos > 0)) {
        if (this.#addPc(runq, this.#start, condition)) return true;
      } else if (runq.length === 0) return false;
      if (width === 0) return false;
      packed = packedRuneAt(input, pos + width);
      const nextCondition = emptyContext(r, packed >> 3);
      charge?.(runq.length + 1);
      const { tests, outs } = this.#flat;
      for (let i = 0; i < runq.length; i++) {
        const pc = runq.pcs[i]!;
        if (tests[pc]!(r) && this.#addPc(nextq, outs[pc]!, nextCondition)) return true;
      }
      pos += width;
      r = packed >> 3;
      width = packed & 7;
      condition = nextCondition;
      runq.clear();
      [runq, nextq] = [nextq, runq];
    }
  }

  /** #add without captures: queues the rune instructions reachable from pc; true when the match is reachable. */
  #addPc(set: PcSet, pc: number, condition: number): boolean {
    const { ops, outs, args } = this.#flat;
    const stack = set.stack;
    let top = 0;
    stack[top++] = pc;
    while (top > 0) {
      let at = stack[--top]!;
      for (;;) {
        if (at === 0 || !set.visit(at)) break;
        const op = ops[at];
        if (op === Op.Alt) {
          stack[top++] = args[at]!;
        } else if (op === Op.Assert) {
          if ((args[at]! & ~condition) !== 0) break;
        } else if (op !== Op.Skip) {
          if (op === Op.Match) return true;
          if (op === Op.Rune) set.pcs[set.length++] = at;
          break;
        }
        at = outs[at]!;
      }
    }
    return false;
  }

  #run(input: ByteString, from: number, charge?: (steps: number) => void): number[] | undefined {
    const program = this.#program;
    let runq = new Queue(program.length);
    let nextq = new Queue(program.length);
    let matched: number[] | undefined;
    const step = (at: number): [number, number] => (at < input.length ? decodeRune(input, at) : [END, 0]);
    let pos = from;
    let [r, width] = step(pos);
    let condition = emptyContext(pos > 0 ? decodeLastRune(input, pos)[0] : END, r);
    for (;;) {
      // An anchored program cannot start a match past the text's start (Go's pike VM stops there too).
      const canStart = !matched && !(this.#anchored && pos > 0);
      if (runq.threads.length === 0 && !canStart) break;
      if (canStart) {
        // A new thread at the lowest priority: those already running started further left.
        const caps = new Array<number>(this.#slots).fill(-1);
        this.#add(runq, this.#start, pos, caps, condition);
      }
      const r1 = width === 0 ? END : step(pos + width)[0];
      const nextCondition = emptyContext(r, r1);
      charge?.(runq.threads.length + 1);
      for (const thread of runq.threads) {
        const inst = program[thread.pc]!;
        if (inst.op === 'match') {
          matched = thread.caps.slice();
          matched[1] = pos;
          // Leftmost-first: the threads after this one have lower priority and are cut off.
          break;
        }
        if (inst.op === 'rune' && r !== END && inst.test(r)) {
          this.#add(nextq, inst.out, pos + width, thread.caps, nextCondition);
        }
      }
      if (width === 0) break;
      pos += width;
      [r, width] = step(pos);
      condition = nextCondition;
      runq.clear();
      [runq, nextq] = [nextq, runq];
    }
    return matched;
  }

  /** All matches (at most n; n < 0 means all), with Go's rule that an empty match right after a match is skipped. */
  allMatches(input: ByteString, n: number, charge?: (steps: number) => void): number[][] {
    const matches: number[][] = [];
    let position = 0;
    let previousEnd = -1;
    while ((n < 0 || matches.length < n) && position <= input.length) {
      const match = this.exec(input, position, charge);
      if (!match) break;
      let accept = true;
      if (match[1] === position) {
        if (match[0] === previousEnd) accept = false;
        position += position < input.length ? decodeRune(input, position)[1] : 1;
      } else {
        position = match[1]!;
      }
      previousEnd = match[1]!;
      if (accept) matches.push(match);
    }
    return matches;
  }

  /** The first match's byte offsets, or undefined. */
  firstMatch(input: ByteString, charge?: (steps: number) => void): number[] | undefined {
    return this.exec(input, 0, charge);
  }

  /** Go's ReplaceAllString/ReplaceAllLiteralString. */
  replaceAll(
    input: ByteString,
    replacement: (match: number[]) => ByteString,
    charge?: (steps: number) => void,
  ): ByteString {
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= input.length) {
      const match = this.exec(input, searchPos, charge);
      if (!match) break;
      const [start, end] = [match[0]!, match[1]!];
      out += input.slice(lastMatchEnd, start);
      // No replacement for an empty match right after another match.
      if (end > lastMatchEnd || start === 0) out += replacement(match);
      lastMatchEnd = end;
      const width = searchPos < input.length ? decodeRune(input, searchPos)[1] : 1;
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + input.slice(lastMatchEnd);
  }
}

const CACHE_SIZE = 1024;
const cache = new Map<ByteString, GoRegexp | RegexpSyntaxError>();

/**
 * regexp.Compile, cached (templates, sops rules and CRD patterns meet the same few patterns again and again):
 * the compiled expression, or RegexpSyntaxError thrown. The oldest entry goes when the cache is full.
 */
export function compileGoRegexpBytes(pattern: ByteString): GoRegexp {
  let entry = cache.get(pattern);
  if (entry === undefined) {
    try {
      entry = new GoRegexp(pattern);
    } catch (error) {
      if (!(error instanceof RegexpSyntaxError)) throw error;
      entry = error;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, entry);
  }
  if (entry instanceof RegexpSyntaxError) throw entry;
  return entry;
}

export function quoteMeta(text: ByteString): ByteString {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** Go's Regexp.Expand for ReplaceAllString: $1, ${1}, $name, ${name}, $$. */
export function expandTemplate(
  template: ByteString,
  input: ByteString,
  match: readonly number[],
  names: readonly (string | undefined)[],
): ByteString {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar);
    if (rest.length > 1 && rest[1] === '$') {
      out += '$';
      rest = rest.slice(2);
      continue;
    }
    const extracted = extractName(rest);
    if (!extracted) {
      // Malformed; treat $ as raw text.
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const [name, num, after] = extracted;
    rest = after;
    const group = num >= 0 ? num : names.indexOf(name);
    if (group >= 0 && 2 * group + 1 < match.length && match[2 * group]! >= 0) {
      out += input.slice(match[2 * group], match[2 * group + 1]);
    }
  }
  return out + rest;
}

function extractName(text: string): [name: string, num: number, rest: string] | undefined {
  if (text.length < 2 || text[0] !== '$') return undefined;
  let brace = false;
  let position = 1;
  if (text[1] === '{') {
    brace = true;
    position = 2;
  }
  let end = position;
  while (end < text.length && /[0-9A-Za-z_]/.test(text[end]!)) end++;
  if (end === position) return undefined;
  const name = text.slice(position, end);
  if (brace) {
    if (end >= text.length || text[end] !== '}') return undefined;
    end++;
  }
  let num = -1;
  if (/^[0-9]+$/.test(name)) {
    num = name.length > 9 ? -1 : Number(name);
    if (name.length > 9) return [name, 1e9, text.slice(end)];
  }
  return [name, num, text.slice(end)];
}
