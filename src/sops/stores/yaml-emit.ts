/**
 * Writes a document tree as YAML the way yaml.v3 (and so sops) lays it out: block style, `indent` spaces per
 * level rounded as yaml.v3 rounds them (a map inside a list item starts after "- "), lists indented under
 * their key, comments as `#` lines before the entry they preceded (and trailing ones at the end of their
 * mapping), and each scalar in the style yaml.v3 picks. Our own emitter, because the layout decides whether a
 * file round-trips byte for byte through sops. Pure.
 */
import { formatFloatG } from '../go-format.ts';
import {
  isComment,
  isList,
  isMap,
  SopsTime,
  type SopsList,
  type SopsMap,
  type SopsScalar,
  type SopsValue,
} from '../tree.ts';
import { resolvesToString } from './yaml-resolve.ts';

export function emitYaml(branches: readonly SopsMap[], indent: number): string {
  return branches.map((branch) => new YamlWriter(indent).document(branch)).join('---\n');
}

export function emitYamlValue(value: SopsValue, indent: number): string {
  const writer = new YamlWriter(indent);
  if (isMap(value)) return writer.document(value);
  if (isList(value)) {
    if (value.items.every(isComment)) return '[]\n';
    writer.list(value, 0);
    return writer.text();
  }
  const scalar = writer.scalar(value, 0, 'value');
  return `${scalar.header}\n${scalar.block.map((line) => `${line}\n`).join('')}`;
}

interface ScalarText {
  /** What follows "key: " (or "- "): the scalar itself, or a block header such as `|-`. */
  header: string;
  /** Lines of a literal block, already indented. */
  block: string[];
}

class YamlWriter {
  readonly #best: number;
  readonly #lines: string[] = [];

  constructor(indent: number) {
    this.#best = indent > 0 ? indent : 4;
  }

  text(): string {
    return this.#lines.length === 0 ? '' : `${this.#lines.join('\n')}\n`;
  }

  document(branch: SopsMap): string {
    if (!branch.items.some((item) => item.kind === 'entry')) {
      for (const item of branch.items) if (item.kind === 'comment') this.#lines.push(`#${item.text}`);
      this.#lines.push('{}');
      return this.text();
    }
    this.map(branch, 0);
    return this.text();
  }

  /** yaml.v3's next indentation: two past a "- ", otherwise the next multiple of the indent. */
  #next(current: number, inListItem: boolean): number {
    return inListItem ? current + 2 : this.#best * Math.floor((current + this.#best) / this.#best);
  }

  /** `prefix` replaces the indentation of the first entry line (a list item's "- "). */
  map(branch: SopsMap, indent: number, prefix?: string): void {
    let pending = prefix;
    const commentIndent = prefix === undefined ? indent : indent - 2;
    for (const item of branch.items) {
      if (item.kind === 'comment') {
        this.#lines.push(`${' '.repeat(pending === undefined ? indent : commentIndent)}#${item.text}`);
        continue;
      }
      const lead = pending ?? ' '.repeat(indent);
      pending = undefined;
      this.#entry(lead, formatKey(item.key), item.value, indent);
    }
  }

  #entry(lead: string, key: string, value: SopsValue, indent: number): void {
    if (isMap(value)) {
      if (!value.items.some((item) => item.kind === 'entry')) {
        this.#lines.push(`${lead}${key}: {}`);
        return;
      }
      this.#lines.push(`${lead}${key}:`);
      this.map(value, this.#next(indent, false));
      return;
    }
    if (isList(value)) {
      if (value.items.every(isComment)) {
        this.#lines.push(`${lead}${key}: []`);
        return;
      }
      this.#lines.push(`${lead}${key}:`);
      this.list(value, this.#next(indent, false));
      return;
    }
    const scalar = this.scalar(value, this.#next(indent, false), 'value');
    this.#lines.push(`${lead}${key}: ${scalar.header}`);
    this.#lines.push(...scalar.block);
  }

  list(list: SopsList, indent: number, prefix?: string): void {
    let pending = prefix;
    for (const item of list.items) {
      if (isComment(item)) {
        this.#lines.push(`${' '.repeat(pending === undefined ? indent : indent - 2)}#${item.text}`);
        continue;
      }
      const dash = `${pending ?? ' '.repeat(indent)}- `;
      pending = undefined;
      const inner = this.#next(indent, true);
      if (isMap(item)) {
        if (!item.items.some((entry) => entry.kind === 'entry')) this.#lines.push(`${dash}{}`);
        else this.map(item, inner, dash);
      } else if (isList(item)) {
        if (item.items.every(isComment)) this.#lines.push(`${dash}[]`);
        else this.list(item, inner, dash);
      } else {
        const scalar = this.scalar(item, inner, 'value');
        this.#lines.push(`${dash}${scalar.header}`);
        this.#lines.push(...scalar.block);
      }
    }
  }

  scalar(value: SopsScalar, blockIndent: number, context: 'key' | 'value'): ScalarText {
    if (value === null) return { header: 'null', block: [] };
    if (typeof value === 'boolean') return { header: value ? 'true' : 'false', block: [] };
    if (typeof value === 'bigint') return { header: value.toString(), block: [] };
    if (typeof value === 'number') return { header: formatYamlFloat(value), block: [] };
    if (value instanceof SopsTime) return { header: value.text, block: [] };
    const text = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
    return formatString(text, blockIndent, this.#best, context);
  }
}

function formatYamlFloat(value: number): string {
  const text = formatFloatG(value);
  if (text === '+Inf') return '.inf';
  if (text === '-Inf') return '-.inf';
  if (text === 'NaN') return '.nan';
  return text;
}

function formatKey(key: string): string {
  return formatString(key, 0, 4, 'key').header;
}

// ---------------------------------------------------------------------------------------------------------
// Scalar styles, as yaml.v3's encoder requests them and libyaml's emitter allows them.

const OLD_BOOLS = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
]);
const BASE_60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function formatString(
  value: string,
  blockIndent: number,
  best: number,
  context: 'key' | 'value',
): ScalarText {
  const analysis = analyze(value);
  if (value.includes('\n')) {
    if (context === 'value' && analysis.blockAllowed) return literal(value, blockIndent, best);
    return { header: doubleQuoted(value), block: [] };
  }
  const canUsePlain = resolvesToString(value) && !BASE_60_FLOAT.test(value) && !OLD_BOOLS.has(value);
  if (canUsePlain && analysis.blockPlainAllowed && !(context === 'key' && value === ''))
    return { header: value, block: [] };
  if (canUsePlain && analysis.singleQuotedAllowed)
    return { header: `'${value.replace(/'/g, "''")}'`, block: [] };
  return { header: doubleQuoted(value), block: [] };
}

interface Analysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** Printable ASCII without spaces: most values (every ENC[…] string) are decided without a character walk. */
const SIMPLE = /^[!-~]+$/;

function analyze(value: string): Analysis {
  if (value === '') return { blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  if (SIMPLE.test(value)) {
    const indicator =
      '#,[]{}&*!|>\'"%@`'.includes(value[0] as string) ||
      (value.length === 1 && '?:-'.includes(value)) ||
      value.endsWith(':') ||
      value.startsWith('---') ||
      value.startsWith('...');
    return { blockPlainAllowed: !indicator, singleQuotedAllowed: true, blockAllowed: true };
  }
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let special = false;
  let tabs = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let leadingBreak = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  const end = value.length;
  for (let i = 0; i < end;) {
    const code = value.codePointAt(i) ?? 0;
    const width = code > 0xffff ? 2 : 1;
    const next = i + width < end ? value.charCodeAt(i + width) : -1;
    const followedByWhitespace = next === -1 || isWhitespaceCode(next);
    const last = i + width >= end;
    if (i === 0) {
      if (INDICATORS.has(code)) blockIndicators = true;
      else if ((code === 0x3f || code === 0x3a || code === 0x2d) && followedByWhitespace)
        blockIndicators = true;
    } else if (code === 0x3a && followedByWhitespace) blockIndicators = true;
    else if (code === 0x23 && precededByWhitespace) blockIndicators = true;
    if (code === 0x09) tabs = true;
    else if (!isPrintableCode(code)) special = true;
    const isSpace = code === 0x20;
    const isBreak = code === 0x0a || code === 0x0d || code === 0x85 || code === 0x2028 || code === 0x2029;
    if (isSpace) {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
    } else if (isBreak) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
    }
    previousSpace = isSpace;
    previousBreak = isBreak;
    precededByWhitespace = isSpace || isBreak || code === 0x09;
    i += width;
  }
  let blockPlainAllowed = !(
    leadingSpace ||
    leadingBreak ||
    trailingSpace ||
    trailingBreak ||
    lineBreaks ||
    blockIndicators
  );
  let singleQuotedAllowed = true;
  let blockAllowed = !trailingSpace;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || tabs || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) blockAllowed = false;
  return { blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

const INDICATORS = new Set([...'#,[]{}&*!|>\'"%@`'].map((char) => char.charCodeAt(0)));

function isWhitespaceCode(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0x0d ||
    code === 0x0a ||
    code === 0x85 ||
    code === 0x2028 ||
    code === 0x2029
  );
}

function isPrintable(char: string): boolean {
  return isPrintableCode(char.codePointAt(0) ?? 0);
}

function isPrintableCode(code: number): boolean {
  return (
    code === 0x0a ||
    (code >= 0x20 && code <= 0x7e) ||
    code === 0x85 ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function literal(value: string, indent: number, best: number): ScalarText {
  let header = '|';
  if (value.startsWith(' ') || value.startsWith('\n')) header += String(best);
  const trailing = /\n*$/.exec(value)?.[0].length ?? 0;
  if (trailing === 0) header += '-';
  else if (trailing > 1 || value === '\n') header += '+';
  const body = trailing > 0 ? value.slice(0, value.length - 1) : value;
  const pad = ' '.repeat(indent);
  return { header, block: body.split('\n').map((line) => (line === '' ? '' : `${pad}${line}`)) };
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function doubleQuoted(value: string): string {
  let out = '"';
  for (const char of value) {
    const escape = ESCAPES[char];
    if (escape) out += escape;
    else if (!isPrintable(char) || char === '\ufeff') out += hexEscape(char.codePointAt(0) ?? 0);
    else out += char;
  }
  return `${out}"`;
}

function hexEscape(code: number): string {
  if (code <= 0xff) return `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
}
