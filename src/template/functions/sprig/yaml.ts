/**
 * Functions that sit next to sprig in the projects Cloak follows, with the same definitions in both:
 *
 * - toYaml and fromYaml (External Secrets' runtime/template/v2, Helm's engine): sigs.k8s.io/yaml 1.3.0, that
 *   is JSON first (encoding/json), then gopkg.in/yaml.v2 2.4 writes it: keys in yaml.v2's "natural" order
 *   (a2 before a10), strings a YAML 1.1 reader would take for something else quoted ("true", "1.0", "",
 *   "2024-01-01"), multi-line strings as literal blocks, and long lines folded at 80 columns as yaml.v2's
 *   emitter folds them. toYaml gives "" when JSON marshalling fails; fromYaml puts the error text under
 *   "Error" in the map it returns.
 * - required (Helm): the value, or an error with the given message when it is nil or "".
 *
 * The emitter here writes exactly the event shapes yaml.v2 produces for JSON-like data (block mappings and
 * sequences, flow "{}" and "[]" when empty, plain, single-quoted, double-quoted and literal scalars), tracking
 * the same column and indentation state, so folding happens at the same places. Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { formatFloat } from '../../go-strconv.ts';
import {
  byteStringFromText,
  decodeRune,
  textFromByteString,
  type ByteString,
} from '../../../common/go-utf8.ts';
import { goMap, GoMap, type GoFunc, type GoValue } from '../../values.ts';
import { goValueFromYaml } from '../../yaml-data.ts';
import { ANY, ANY_MAP, fn } from './define.ts';
import { UTC, parseTime } from './go-time.ts';
import { JsonError, marshalJson } from './json.ts';
import { isDigitRune, isLetterRune, runesOf } from '../../../common/go-unicode.ts';

// -- JSON text → yaml.v2's decoded values ------------------------------------------------------------------

type Node =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: ByteString }
  | { kind: 'list'; items: Node[] }
  | { kind: 'map'; entries: [ByteString, Node][] };

/** Reads the JSON our encoder wrote (valid, compact) into nodes, keeping number literals as text. */
function readJson(text: ByteString): Node {
  let index = 0;
  const value = (): Node => {
    const c = text[index]!;
    if (c === '{') {
      index++;
      const entries: [ByteString, Node][] = [];
      if (text[index] === '}') {
        index++;
        return { kind: 'map', entries };
      }
      for (;;) {
        const key = (value() as { value: ByteString }).value;
        index++; // ':'
        entries.push([key, value()]);
        if (text[index++] === '}') return { kind: 'map', entries };
      }
    }
    if (c === '[') {
      index++;
      const items: Node[] = [];
      if (text[index] === ']') {
        index++;
        return { kind: 'list', items };
      }
      for (;;) {
        items.push(value());
        if (text[index++] === ']') return { kind: 'list', items };
      }
    }
    if (c === '"') {
      const start = index;
      index++;
      while (text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
      index++;
      const decoded = byteStringFromText(JSON.parse(decodeForJs(text.slice(start, index))) as string);
      return { kind: 'string', value: foldNextLines(decoded) };
    }
    if (text.startsWith('true', index)) {
      index += 4;
      return { kind: 'bool', value: true };
    }
    if (text.startsWith('false', index)) {
      index += 5;
      return { kind: 'bool', value: false };
    }
    if (text.startsWith('null', index)) {
      index += 4;
      return { kind: 'null' };
    }
    const match = /^-?[0-9.eE+-]+/.exec(text.slice(index))!;
    index += match[0].length;
    return { kind: 'number', text: match[0] };
  };
  return value();
}

/**
 * encoding/json leaves U+0085 (NEL) unescaped, and yaml.v2 reads the JSON text as YAML, where NEL is a line
 * break inside a double-quoted scalar: it is folded like one (white space around it dropped, one break a space,
 * more breaks newlines).
 */
function foldNextLines(value: ByteString): ByteString {
  const lines = value.split('\xc2\x85');
  if (lines.length === 1) return value;
  let out = lines[0]!.replace(/[ \t]+$/, '');
  let breaks = 0;
  for (let index = 1; index < lines.length; index++) {
    const last = index === lines.length - 1;
    let line = lines[index]!.replace(/^[ \t]+/, '');
    if (!last) line = line.replace(/[ \t]+$/, '');
    breaks++;
    if (line === '' && !last) continue;
    out += breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
    breaks = 0;
    out += line;
  }
  return out;
}

/** Byte strings as JavaScript text (the JSON here is valid UTF-8). */
function decodeForJs(literal: ByteString): string {
  return textFromByteString(literal);
}

/** How yaml.v2 writes a JSON number after decoding it (int, uint64 or float64). */
function numberText(literal: string): string {
  if (/^-?[0-9]+$/.test(literal)) {
    const value = BigInt(literal);
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return value.toString();
    if (value >= 0n && value < 2n ** 64n) return value.toString();
  }
  const float = Number(literal);
  if (float === Infinity) return '.inf';
  if (float === -Infinity) return '-.inf';
  return formatFloat(float, 'g', -1);
}

// -- yaml.v2's resolver: what a plain scalar would be read as ------------------------------------------------

const BOOL_OR_NULL = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'true',
  'True',
  'TRUE',
  'on',
  'On',
  'ON',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'false',
  'False',
  'FALSE',
  'off',
  'Off',
  'OFF',
  '',
  '~',
  'null',
  'Null',
  'NULL',
  '.nan',
  '.NaN',
  '.NAN',
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
  '<<',
]);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function parsesAsGoInt(text: string, signed: boolean): boolean {
  let body = text;
  if (body.startsWith('+') || body.startsWith('-')) {
    // strconv.ParseUint takes no sign at all.
    if (!signed) return false;
    body = body.slice(1);
  }
  let digits: RegExp = /^[0-9]+$/;
  let prefix = '';
  if (/^0[xX]/.test(body)) {
    digits = /^[0-9a-fA-F]+$/;
    prefix = '0x';
    body = body.slice(2);
  } else if (/^0[bB]/.test(body)) {
    digits = /^[01]+$/;
    prefix = '0b';
    body = body.slice(2);
  } else if (/^0[oO]/.test(body)) {
    digits = /^[0-7]+$/;
    prefix = '0o';
    body = body.slice(2);
  } else if (body.length > 1 && body.startsWith('0')) {
    digits = /^[0-7]+$/;
    prefix = '0o';
    body = body.slice(1);
  }
  if (!digits.test(body)) return false;
  const value = BigInt(prefix + body) * (text.startsWith('-') ? -1n : 1n);
  return signed ? value >= -(2n ** 63n) && value < 2n ** 63n : value < 2n ** 64n;
}

function isTimestamp(text: string): boolean {
  if (!/^[0-9]{4}-/.test(text)) return false;
  for (const layout of [
    '2006-1-2T15:4:5.999999999Z07:00',
    '2006-1-2t15:4:5.999999999Z07:00',
    '2006-1-2 15:4:5.999999999',
    '2006-1-2',
  ]) {
    try {
      parseTime(layout, text, UTC, UTC);
      return true;
    } catch {
      // Try the next layout.
    }
  }
  return false;
}

/** Whether yaml.v2 would read the plain scalar as something other than a string. */
function resolvesToNonString(text: ByteString): boolean {
  // yaml.v2 only looks further at scalars that start like a number, a bool, null or a float word.
  const first = text[0];
  if (first !== undefined && !/[-+0-9.yYnNtTfFoO~]/.test(first)) return false;
  if (BOOL_OR_NULL.has(text)) return true;
  if (first === '.') return parsesAsFloat(text);
  if (first === undefined || !/[-+0-9]/.test(first)) return false;
  if (isTimestamp(text)) return true;
  const plain = text.replaceAll('_', '');
  if (parsesAsGoInt(plain, true) || parsesAsGoInt(plain, false)) return true;
  if (YAML_FLOAT.test(plain) && parsesAsFloat(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  return false;
}

function parsesAsFloat(text: string): boolean {
  // strconv.ParseFloat: decimal or hex syntax, "inf"/"nan" words; out of range is an error.
  if (/^[-+]?(inf|infinity|nan)$/i.test(text)) return true;
  if (!/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text)) return false;
  return Number.isFinite(Number(text));
}

// -- yaml.v2's emitter ---------------------------------------------------------------------------------------

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

const enum_ = {
  Plain: 0,
  Single: 1,
  Double: 2,
  Literal: 3,
} as const;
type Style = (typeof enum_)[keyof typeof enum_];

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

const at = (value: ByteString, i: number): number => (i < value.length ? value.charCodeAt(i) : 0);

function isBreakAt(value: ByteString, i: number): boolean {
  const b = at(value, i);
  return (
    b === 0x0d ||
    b === 0x0a ||
    (b === 0xc2 && at(value, i + 1) === 0x85) ||
    (b === 0xe2 && at(value, i + 1) === 0x80 && (at(value, i + 2) === 0xa8 || at(value, i + 2) === 0xa9))
  );
}

const isBlankAt = (value: ByteString, i: number): boolean => at(value, i) === 0x20 || at(value, i) === 0x09;
const isBlankzAt = (value: ByteString, i: number): boolean =>
  isBlankAt(value, i) || isBreakAt(value, i) || i >= value.length || at(value, i) === 0;

function isPrintableAt(value: ByteString, i: number): boolean {
  const b = at(value, i);
  const b1 = at(value, i + 1);
  const b2 = at(value, i + 2);
  return (
    b === 0x0a ||
    (b >= 0x20 && b <= 0x7e) ||
    (b === 0xc2 && b1 >= 0xa0) ||
    (b > 0xc2 && b < 0xed) ||
    (b === 0xed && b1 < 0xa0) ||
    b === 0xee ||
    (b === 0xef && !(b1 === 0xbb && b2 === 0xbf) && !(b1 === 0xbf && (b2 === 0xbe || b2 === 0xbf)))
  );
}

function widthAt(value: ByteString, i: number): number {
  const b = at(value, i);
  if ((b & 0x80) === 0) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 1;
}

function analyze(value: ByteString): Analysis {
  if (value.length === 0) {
    return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  for (let i = 0, w: number; i < value.length; i += w) {
    w = widthAt(value, i);
    const followedByWhitespace = i + w >= value.length || isBlankAt(value, i + w);
    const c = value[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(c)) {
      flowIndicators = true;
    } else if (c === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintableAt(value, i)) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i + w === value.length) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakAt(value, i)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i + w === value.length) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankzAt(value, i);
  }
  const analysis: Analysis = {
    multiline: lineBreaks,
    flowPlain: true,
    blockPlain: true,
    singleQuoted: true,
    block: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    analysis.flowPlain = false;
    analysis.blockPlain = false;
  }
  if (trailingSpace) analysis.block = false;
  if (breakSpace) {
    analysis.flowPlain = false;
    analysis.blockPlain = false;
    analysis.singleQuoted = false;
  }
  if (spaceBreak || special) {
    analysis.flowPlain = false;
    analysis.blockPlain = false;
    analysis.singleQuoted = false;
    analysis.block = false;
  }
  if (lineBreaks) {
    analysis.flowPlain = false;
    analysis.blockPlain = false;
  }
  if (flowIndicators) analysis.flowPlain = false;
  if (blockIndicators) analysis.blockPlain = false;
  return analysis;
}

/** yaml.v2's key order (sorter.go): letters before digits, digit runs compared as numbers. */
function keyLess(a: ByteString, b: ByteString): boolean {
  const ar = runesOf(a);
  const br = runesOf(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetterRune(ar[i]!);
    const bl = isLetterRune(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === 0x30 || br[i] === 0x30) {
      for (let j = i - 1; j >= 0 && isDigitRune(ar[j]!); j--) {
        if (ar[j] !== 0x30) {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigitRune(ar[ai]!); ai++)
      an = BigInt.asIntN(64, an * 10n + BigInt(ar[ai]! - 0x30));
    let bi = i;
    for (; bi < br.length && isDigitRune(br[bi]!); bi++)
      bn = BigInt.asIntN(64, bn * 10n + BigInt(br[bi]! - 0x30));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

class Emitter {
  out = '';
  column = 0;
  indent = -1;
  indents: number[] = [];
  whitespace = true;
  indention = true;
  mappingContext = false;
  simpleKeyContext = false;

  put(text: string): void {
    this.out += text;
    this.column += text.length;
  }

  putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** Copies one UTF-8 character; returns its width. */
  write(value: ByteString, i: number): number {
    const w = widthAt(value, i);
    this.out += value.slice(i, i + w);
    this.column++;
    return w;
  }

  writeBreak(value: ByteString, i: number): number {
    if (value[i] === '\n') {
      this.putBreak();
      return 1;
    }
    const w = this.write(value, i);
    this.column = 0;
    return w;
  }

  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  node(node: Node, context: { sequence?: boolean; mapping?: boolean; simpleKey?: boolean }): void {
    this.mappingContext = context.mapping ?? false;
    this.simpleKeyContext = context.simpleKey ?? false;
    switch (node.kind) {
      case 'null':
        this.scalar('null', enum_.Plain);
        return;
      case 'bool':
        this.scalar(node.value ? 'true' : 'false', enum_.Plain);
        return;
      case 'number':
        this.scalar(numberText(node.text), enum_.Plain);
        return;
      case 'string': {
        const value = node.value;
        const canUsePlain =
          !resolvesToNonString(value) &&
          !(/^[-+0-9]/.test(value) && value.includes(':') && BASE60_FLOAT.test(value));
        const style = value.includes('\n') ? enum_.Literal : canUsePlain ? enum_.Plain : enum_.Double;
        this.scalar(value, style);
        return;
      }
      case 'list':
        if (node.items.length === 0) {
          this.writeIndicator('[', true, true, false);
          this.writeIndicator(']', false, false, false);
          return;
        }
        this.blockSequence(node.items);
        return;
      case 'map':
        if (node.entries.length === 0) {
          this.writeIndicator('{', true, true, false);
          this.writeIndicator('}', false, false, false);
          return;
        }
        this.blockMapping(node.entries);
    }
  }

  blockSequence(items: Node[]): void {
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, { sequence: true });
    }
    this.popIndent();
  }

  blockMapping(entries: [ByteString, Node][]): void {
    this.increaseIndent(false, false);
    const sorted = [...entries].sort(([a], [b]) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
    for (const [key, value] of sorted) {
      this.writeIndent();
      const keyNode: Node = { kind: 'string', value: key };
      if (analyze(key).multiline === false && key.length <= 128) {
        this.node(keyNode, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(keyNode, { mapping: true });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { mapping: true });
    }
    this.popIndent();
  }

  scalar(value: ByteString, requested: Style): void {
    const analysis = analyze(value);
    let style: Style = requested;
    if (this.simpleKeyContext && analysis.multiline) style = enum_.Double;
    if (style === enum_.Plain) {
      if (!analysis.blockPlain) style = enum_.Single;
      if (value.length === 0 && this.simpleKeyContext) style = enum_.Single;
    }
    if (style === enum_.Single && !analysis.singleQuoted) style = enum_.Double;
    if (style === enum_.Literal && (!analysis.block || this.simpleKeyContext)) style = enum_.Double;
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    switch (style) {
      case enum_.Plain:
        this.plain(value, allowBreaks);
        break;
      case enum_.Single:
        this.singleQuoted(value, allowBreaks);
        break;
      case enum_.Double:
        this.doubleQuoted(value, allowBreaks);
        break;
      case enum_.Literal:
        this.literal(value);
    }
    this.popIndent();
  }

  plain(value: ByteString, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (value[i] === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && value[i + 1] !== ' ') {
          this.writeIndent();
          i++;
        } else {
          i += this.write(value, i);
        }
        spaces = true;
      } else if (isBreakAt(value, i)) {
        if (!breaks && value[i] === '\n') this.putBreak();
        i += this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i += this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  singleQuoted(value: ByteString, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (value[i] === ' ') {
        if (
          allowBreaks &&
          !spaces &&
          this.column > BEST_WIDTH &&
          i > 0 &&
          i < value.length - 1 &&
          value[i + 1] !== ' '
        ) {
          this.writeIndent();
          i++;
        } else {
          i += this.write(value, i);
        }
        spaces = true;
      } else if (isBreakAt(value, i)) {
        if (!breaks && value[i] === '\n') this.putBreak();
        i += this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (value[i] === "'") this.put("'");
        i += this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  doubleQuoted(value: ByteString, allowBreaks: boolean): void {
    let spaces = false;
    this.writeIndicator('"', true, false, false);
    for (let i = 0; i < value.length;) {
      const c = value[i]!;
      // yaml.v2's is_bom looks at the start of the value, not at i: a value that starts with a BOM has every
      // character escaped.
      const bom = at(value, 0) === 0xef && at(value, 1) === 0xbb && at(value, 2) === 0xbf;
      if (!isPrintableAt(value, i) || bom || isBreakAt(value, i) || c === '"' || c === '\\') {
        const [rune, size] = decodeRune(value, i);
        i += size;
        this.put('\\');
        const escapes: Record<number, string> = {
          0x00: '0',
          0x07: 'a',
          0x08: 'b',
          0x09: 't',
          0x0a: 'n',
          0x0b: 'v',
          0x0c: 'f',
          0x0d: 'r',
          0x1b: 'e',
          0x22: '"',
          0x5c: '\\',
          0x85: 'N',
          0xa0: '_',
          0x2028: 'L',
          0x2029: 'P',
        };
        const escape = escapes[rune];
        if (escape !== undefined) this.put(escape);
        else if (rune <= 0xff) this.put(`x${rune.toString(16).toUpperCase().padStart(2, '0')}`);
        else if (rune <= 0xffff) this.put(`u${rune.toString(16).toUpperCase().padStart(4, '0')}`);
        else this.put(`U${rune.toString(16).toUpperCase().padStart(8, '0')}`);
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1) {
          this.writeIndent();
          if (value[i + 1] === ' ') this.put('\\');
          i++;
        } else {
          i += this.write(value, i);
        }
        spaces = true;
      } else {
        i += this.write(value, i);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  literal(value: ByteString): void {
    this.writeIndicator('|', true, false, false);
    if (value[0] === ' ' || isBreakAt(value, 0))
      this.writeIndicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    if (value.length === 0) chomp = '-';
    else {
      let i = value.length - 1;
      while ((value.charCodeAt(i) & 0xc0) === 0x80) i--;
      if (!isBreakAt(value, i)) chomp = '-';
      else if (i === 0) chomp = '+';
      else {
        i--;
        while ((value.charCodeAt(i) & 0xc0) === 0x80) i--;
        if (isBreakAt(value, i)) chomp = '+';
      }
    }
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (let i = 0; i < value.length;) {
      if (isBreakAt(value, i)) {
        i += this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i += this.write(value, i);
        this.indention = false;
        breaks = false;
      }
    }
  }

  document(root: Node): string {
    this.node(root, {});
    // The implicit document end: a line break unless the output already ends one.
    this.indent = -1;
    this.writeIndent();
    return this.out;
  }
}

/** sigs.k8s.io/yaml's Marshal; throws JsonError where encoding/json fails. */
export function marshalYaml(value: GoValue, charge?: (steps: number) => void): ByteString {
  const json = marshalJson(value, { escapeHtml: true, ...(charge ? { charge } : {}) });
  return new Emitter().document(readJson(json));
}

function fromYaml(text: ByteString): GoMap {
  let value: GoValue;
  try {
    value = goValueFromYaml(decodeForJs(text));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return goMap([['Error', byteStringFromText(`error converting YAML to JSON: yaml: ${message}`)]]);
  }
  if (value === null) return goMap([]);
  if (value instanceof GoMap) return value;
  const kind =
    typeof value === 'string'
      ? 'string'
      : typeof value === 'number'
        ? 'number'
        : typeof value === 'boolean'
          ? 'bool'
          : 'array';
  return goMap([
    [
      'Error',
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    ],
  ]);
}

/** toYaml, fromYaml (External Secrets and Helm) and required (Helm). */
export const helmFunctions: readonly GoFunc[] = [
  fn('toYaml', [ANY], 'string', ([value], context) => {
    try {
      return marshalYaml(value!, (steps) => context.charge(steps)).replace(/\n$/, '');
    } catch (error) {
      if (error instanceof JsonError) return '';
      throw error;
    }
  }),
  fn('fromYaml', ['string'], ANY_MAP, ([text], context) => {
    context.charge(Math.ceil((text as ByteString).length / 64));
    return fromYaml(text as ByteString);
  }),
  fn(
    'required',
    ['string', ANY],
    ANY,
    ([message, value]) => {
      if (value === null || value === '') throw new GoFuncError(message as ByteString);
      return value!;
    },
    { returnsError: true },
  ),
];

/** toYaml and fromYaml alone, for the External Secrets set. */
export const yamlFunctions: readonly GoFunc[] = helmFunctions.filter((f) => f.name !== 'required');
