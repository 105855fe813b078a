/**
 * The template lexer: text and actions, with Go's rules for delimiters, trim markers ("{{- " and " -}}" need
 * the space), comments, quoted and raw strings, character constants and number syntax. It works on byte
 * strings (positions are byte offsets, as Go reports them) and is pulled one item at a time by the parser.
 */
import { sprintf } from './go-fmt.ts';
import {
  decodeLastRune,
  decodeRune,
  isDigitRune,
  isLetterRune,
  isPrintRune,
  type ByteString,
} from '../common/go-utf8.ts';
import { GoInt } from './values.ts';

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'comment'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'EOF'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // Keywords: printed as <word> in error messages.
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

const KEYWORDS: ReadonlyMap<string, ItemType> = new Map<string, ItemType>([
  ['.', 'dot'],
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['range', 'range'],
  ['nil', 'nil'],
  ['template', 'template'],
  ['with', 'with'],
]);

const KEYWORD_TYPES: ReadonlySet<ItemType> = new Set(KEYWORDS.values());

export interface Item {
  readonly type: ItemType;
  /** Byte offset of the item in the input. */
  readonly pos: number;
  readonly value: ByteString;
  /** Line number at the start of the item. */
  readonly line: number;
}

/** An item as Go's parser names it in messages: EOF, the error text, <keyword>, or the quoted value. */
export function describeItem(item: Item): ByteString {
  if (item.type === 'EOF') return 'EOF';
  if (item.type === 'error') return item.value;
  if (KEYWORD_TYPES.has(item.type)) return `<${item.value}>`;
  if (item.value.length > 10) return sprintf('%.10q...', [item.value]);
  return sprintf('%q', [item.value]);
}

const EOF = -1;
const SPACE_CHARS = ' \t\r\n';

function isSpace(rune: number): boolean {
  return rune === 0x20 || rune === 0x09 || rune === 0x0d || rune === 0x0a;
}

function isAlphaNumeric(rune: number): boolean {
  return rune === 0x5f || isLetterRune(rune) || isDigitRune(rune);
}

function hasLeftTrimMarker(input: ByteString, at: number): boolean {
  return input.length - at >= 2 && input[at] === '-' && isSpace(input.charCodeAt(at + 1));
}

function hasRightTrimMarker(input: ByteString, at: number): boolean {
  return input.length - at >= 2 && isSpace(input.charCodeAt(at)) && input[at + 1] === '-';
}

function rightTrimLength(text: ByteString): number {
  let end = text.length;
  while (end > 0 && SPACE_CHARS.includes(text[end - 1]!)) end--;
  return text.length - end;
}

function leftTrimLength(input: ByteString, from: number): number {
  let index = from;
  while (index < input.length && SPACE_CHARS.includes(input[index]!)) index++;
  return index - from;
}

function countNewlines(text: ByteString): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) count++;
  return count;
}

type State = (() => State) | null;

export interface LexerOptions {
  /** Whether "break" and "continue" are keywords (they are not when a function has that name). */
  readonly breakOk: boolean;
  readonly continueOk: boolean;
}

export class Lexer {
  readonly #leftDelim: ByteString;
  readonly #rightDelim: ByteString;
  readonly #options: LexerOptions;
  #input: ByteString;
  #pos = 0;
  #start = 0;
  #atEof = false;
  #parenDepth = 0;
  #line = 1;
  #startLine = 1;
  #item: Item = { type: 'EOF', pos: 0, value: 'EOF', line: 1 };
  #insideAction = false;

  constructor(input: ByteString, leftDelim: ByteString, rightDelim: ByteString, options: LexerOptions) {
    this.#input = input;
    this.#leftDelim = leftDelim || '{{';
    this.#rightDelim = rightDelim || '}}';
    this.#options = options;
  }

  /** The next item; after an error or the end, EOF items. */
  nextItem(): Item {
    this.#item = { type: 'EOF', pos: this.#pos, value: 'EOF', line: this.#startLine };
    let state: State = this.#insideAction ? this.#lexInsideAction : this.#lexText;
    while (state) state = state();
    return this.#item;
  }

  // -- reading ----------------------------------------------------------------------------------------------

  #next(): number {
    if (this.#pos >= this.#input.length) {
      this.#atEof = true;
      return EOF;
    }
    const [rune, size] = decodeRune(this.#input, this.#pos);
    this.#pos += size;
    if (rune === 0x0a) this.#line++;
    return rune;
  }

  #peek(): number {
    const rune = this.#next();
    this.#backup();
    return rune;
  }

  #backup(): void {
    if (!this.#atEof && this.#pos > 0) {
      const [rune, size] = decodeLastRune(this.#input, this.#pos);
      this.#pos -= size;
      if (rune === 0x0a) this.#line--;
    }
  }

  #thisItem(type: ItemType): Item {
    const item = {
      type,
      pos: this.#start,
      value: this.#input.slice(this.#start, this.#pos),
      line: this.#startLine,
    };
    this.#start = this.#pos;
    this.#startLine = this.#line;
    return item;
  }

  #emit(type: ItemType): State {
    return this.#emitItem(this.#thisItem(type));
  }

  #emitItem(item: Item): State {
    this.#item = item;
    return null;
  }

  /** Skips the pending input, counting its newlines. */
  #ignore(): void {
    this.#line += countNewlines(this.#input.slice(this.#start, this.#pos));
    this.#start = this.#pos;
    this.#startLine = this.#line;
  }

  #accept(valid: string): boolean {
    const rune = this.#next();
    if (rune !== EOF && valid.includes(String.fromCodePoint(rune))) return true;
    this.#backup();
    return false;
  }

  #acceptRun(valid: string): void {
    for (;;) {
      const rune = this.#next();
      if (rune === EOF || !valid.includes(String.fromCodePoint(rune))) break;
    }
    this.#backup();
  }

  #error(message: string): State {
    this.#item = { type: 'error', pos: this.#start, value: message, line: this.#startLine };
    this.#start = 0;
    this.#pos = 0;
    this.#input = '';
    return null;
  }

  #startsWith(text: ByteString, at = this.#pos): boolean {
    return this.#input.startsWith(text, at);
  }

  // -- states -----------------------------------------------------------------------------------------------

  readonly #lexText = (): State => {
    const found = this.#input.indexOf(this.#leftDelim, this.#pos);
    if (found >= 0) {
      if (found > this.#pos) {
        this.#pos = found;
        let trimLength = 0;
        if (hasLeftTrimMarker(this.#input, this.#pos + this.#leftDelim.length)) {
          trimLength = rightTrimLength(this.#input.slice(this.#start, this.#pos));
        }
        this.#pos -= trimLength;
        this.#line += countNewlines(this.#input.slice(this.#start, this.#pos));
        const item = this.#thisItem('text');
        this.#pos += trimLength;
        this.#ignore();
        if (item.value.length > 0) return this.#emitItem(item);
      }
      return this.#lexLeftDelim;
    }
    this.#pos = this.#input.length;
    if (this.#pos > this.#start) {
      this.#line += countNewlines(this.#input.slice(this.#start, this.#pos));
      return this.#emit('text');
    }
    return this.#emit('EOF');
  };

  /** Whether the input is at a right delimiter, perhaps with a trim marker before it. */
  #atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (hasRightTrimMarker(this.#input, this.#pos) && this.#startsWith(this.#rightDelim, this.#pos + 2)) {
      return { delim: true, trimSpaces: true };
    }
    if (this.#startsWith(this.#rightDelim)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  readonly #lexLeftDelim = (): State => {
    this.#pos += this.#leftDelim.length;
    const trimSpace = hasLeftTrimMarker(this.#input, this.#pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (this.#startsWith('/*', this.#pos + afterMarker)) {
      this.#pos += afterMarker;
      this.#ignore();
      return this.#lexComment;
    }
    const item = this.#thisItem('leftDelim');
    this.#insideAction = true;
    this.#pos += afterMarker;
    this.#ignore();
    this.#parenDepth = 0;
    return this.#emitItem(item);
  };

  readonly #lexComment = (): State => {
    this.#pos += 2;
    const close = this.#input.indexOf('*/', this.#pos);
    if (close < 0) return this.#error('unclosed comment');
    this.#pos = close + 2;
    const { delim, trimSpaces } = this.#atRightDelim();
    if (!delim) return this.#error('comment ends before closing delimiter');
    this.#thisItem('comment'); // Comments are not kept (Go's parser drops them unless asked).
    if (trimSpaces) this.#pos += 2;
    this.#pos += this.#rightDelim.length;
    if (trimSpaces) this.#pos += leftTrimLength(this.#input, this.#pos);
    this.#ignore();
    return this.#lexText;
  };

  readonly #lexRightDelim = (): State => {
    const { trimSpaces } = this.#atRightDelim();
    if (trimSpaces) {
      this.#pos += 2;
      this.#ignore();
    }
    this.#pos += this.#rightDelim.length;
    const item = this.#thisItem('rightDelim');
    if (trimSpaces) {
      this.#pos += leftTrimLength(this.#input, this.#pos);
      this.#ignore();
    }
    this.#insideAction = false;
    return this.#emitItem(item);
  };

  readonly #lexInsideAction = (): State => {
    const { delim } = this.#atRightDelim();
    if (delim) {
      if (this.#parenDepth === 0) return this.#lexRightDelim;
      return this.#error('unclosed left paren');
    }
    const rune = this.#next();
    if (rune === EOF) return this.#error('unclosed action');
    if (isSpace(rune)) {
      this.#backup(); // Keep the space in case it belongs to " -}}".
      return this.#lexSpace;
    }
    switch (rune) {
      case 0x3d: // =
        return this.#emit('assign');
      case 0x3a: // :
        if (this.#next() !== 0x3d) return this.#error('expected :=');
        return this.#emit('declare');
      case 0x7c: // |
        return this.#emit('pipe');
      case 0x22: // "
        return this.#lexQuote;
      case 0x60: // `
        return this.#lexRawQuote;
      case 0x24: // $
        return this.#lexVariable;
      case 0x27: // '
        return this.#lexChar;
      case 0x28: // (
        this.#parenDepth++;
        return this.#emit('leftParen');
      case 0x29: // )
        this.#parenDepth--;
        if (this.#parenDepth < 0) return this.#error('unexpected right paren');
        return this.#emit('rightParen');
    }
    if (rune === 0x2e) {
      // "." followed by a non-digit starts a field; otherwise it may start a number.
      if (this.#pos < this.#input.length) {
        const following = this.#input.charCodeAt(this.#pos);
        if (following < 0x30 || following > 0x39) return this.#lexField;
      }
      this.#backup();
      return this.#lexNumber;
    }
    if (rune === 0x2b || rune === 0x2d || (rune >= 0x30 && rune <= 0x39)) {
      this.#backup();
      return this.#lexNumber;
    }
    if (isAlphaNumeric(rune)) {
      this.#backup();
      return this.#lexIdentifier;
    }
    if (rune < 0x80 && isPrintRune(rune)) return this.#emit('char');
    return this.#error(sprintf('unrecognized character in action: %#U', [runeValue(rune)]));
  };

  readonly #lexSpace = (): State => {
    let spaces = 0;
    while (isSpace(this.#peek())) {
      this.#next();
      spaces++;
    }
    // A trim-marked right delimiter starts with a space: leave that space to it.
    if (hasRightTrimMarker(this.#input, this.#pos - 1) && this.#startsWith(this.#rightDelim, this.#pos + 1)) {
      this.#backup();
      if (spaces === 1) return this.#lexRightDelim;
    }
    return this.#emit('space');
  };

  readonly #lexIdentifier = (): State => {
    for (;;) {
      const rune = this.#next();
      if (isAlphaNumeric(rune)) continue;
      this.#backup();
      const word = this.#input.slice(this.#start, this.#pos);
      if (!this.#atTerminator()) return this.#error(sprintf('bad character %#U', [runeValue(rune)]));
      const keyword = KEYWORDS.get(word);
      if (keyword && keyword !== 'dot') {
        if (
          (keyword === 'break' && !this.#options.breakOk) ||
          (keyword === 'continue' && !this.#options.continueOk)
        ) {
          return this.#emit('identifier');
        }
        return this.#emit(keyword);
      }
      if (word[0] === '.') return this.#emit('field');
      if (word === 'true' || word === 'false') return this.#emit('bool');
      return this.#emit('identifier');
    }
  };

  readonly #lexField = (): State => this.#lexFieldOrVariable('field');

  readonly #lexVariable = (): State => {
    if (this.#atTerminator()) return this.#emit('variable');
    return this.#lexFieldOrVariable('variable');
  };

  #lexFieldOrVariable(type: 'field' | 'variable'): State {
    if (this.#atTerminator()) return this.#emit(type === 'variable' ? 'variable' : 'dot');
    let rune: number;
    for (;;) {
      rune = this.#next();
      if (!isAlphaNumeric(rune)) {
        this.#backup();
        break;
      }
    }
    if (!this.#atTerminator()) return this.#error(sprintf('bad character %#U', [runeValue(rune)]));
    return this.#emit(type);
  }

  /** Whether the next character may end an identifier (space, punctuation of the grammar, the delimiter). */
  #atTerminator(): boolean {
    const rune = this.#peek();
    if (isSpace(rune)) return true;
    switch (rune) {
      case EOF:
      case 0x2e: // .
      case 0x2c: // ,
      case 0x7c: // |
      case 0x3a: // :
      case 0x29: // )
      case 0x28: // (
        return true;
    }
    return this.#startsWith(this.#rightDelim);
  }

  readonly #lexChar = (): State => {
    for (;;) {
      let rune = this.#next();
      if (rune === 0x5c) {
        rune = this.#next();
        if (rune !== EOF && rune !== 0x0a) continue;
        return this.#error('unterminated character constant');
      }
      if (rune === EOF || rune === 0x0a) return this.#error('unterminated character constant');
      if (rune === 0x27) break;
    }
    return this.#emit('charConstant');
  };

  readonly #lexNumber = (): State => {
    if (!this.#scanNumber()) {
      return this.#error(sprintf('bad number syntax: %q', [this.#input.slice(this.#start, this.#pos)]));
    }
    const sign = this.#peek();
    if (sign === 0x2b || sign === 0x2d) {
      // A complex constant like 1+2i: no spaces, must end in 'i'.
      if (!this.#scanNumber() || this.#input[this.#pos - 1] !== 'i') {
        return this.#error(sprintf('bad number syntax: %q', [this.#input.slice(this.#start, this.#pos)]));
      }
      return this.#emit('complex');
    }
    return this.#emit('number');
  };

  #scanNumber(): boolean {
    this.#accept('+-');
    let digits = '0123456789_';
    if (this.#accept('0')) {
      // A leading 0 does not make floats octal; the base prefixes do change the digit set.
      if (this.#accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.#accept('oO')) digits = '01234567_';
      else if (this.#accept('bB')) digits = '01_';
    }
    this.#acceptRun(digits);
    if (this.#accept('.')) this.#acceptRun(digits);
    if (digits.length === 11 && this.#accept('eE')) {
      this.#accept('+-');
      this.#acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.#accept('pP')) {
      this.#accept('+-');
      this.#acceptRun('0123456789_');
    }
    this.#accept('i');
    if (isAlphaNumeric(this.#peek())) {
      this.#next();
      return false;
    }
    return true;
  }

  readonly #lexQuote = (): State => {
    for (;;) {
      let rune = this.#next();
      if (rune === 0x5c) {
        rune = this.#next();
        if (rune !== EOF && rune !== 0x0a) continue;
        return this.#error('unterminated quoted string');
      }
      if (rune === EOF || rune === 0x0a) return this.#error('unterminated quoted string');
      if (rune === 0x22) break;
    }
    return this.#emit('string');
  };

  readonly #lexRawQuote = (): State => {
    for (;;) {
      const rune = this.#next();
      if (rune === EOF) return this.#error('unterminated raw quoted string');
      if (rune === 0x60) break;
    }
    return this.#emit('rawString');
  };
}

/** A rune as an int32 for %#U (EOF is -1, as in Go). */
function runeValue(rune: number): GoInt {
  return new GoInt('int32', BigInt(rune));
}
