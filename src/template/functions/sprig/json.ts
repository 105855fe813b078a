/**
 * Go's encoding/json for template values: Marshal (with or without HTML escaping, MarshalIndent's layout) and
 * Unmarshal into interface{}, with Go's error messages, so that toJson, toPrettyJson, toRawJson and fromJson
 * (and their must* forms) produce Go's bytes and errors. Pure.
 */
import { formatFloat, parseGoFloat } from '../../go-strconv.ts';
import { decodeRune, encodeRune, RUNE_ERROR, type ByteString } from '../../../common/go-utf8.ts';
import {
  GoBytes,
  GoFunc,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goList,
  goMap,
  type GoValue,
} from '../../values.ts';

/** An error encoding/json reports; the message is Go's. */
export class JsonError extends Error {}

const marshalers = new WeakMap<GoStruct, () => ByteString>();

/**
 * Registers how a struct value encodes itself (its MarshalJSON): the function returns the JSON text, or throws
 * JsonError with the message Go's MarshalJSON error gives.
 */
export function setJsonMarshaler(value: GoStruct, marshal: () => ByteString): void {
  marshalers.set(value, marshal);
}

export interface MarshalOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (json.Marshal does; an Encoder with SetEscapeHTML(false) not). */
  readonly escapeHtml: boolean;
  /** MarshalIndent's indent ("" for compact output). */
  readonly indent?: string;
  /** Charged per value encoded. */
  readonly charge?: (steps: number) => void;
}

const HEX = '0123456789abcdef';

/** base64.StdEncoding of bytes. */
export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** json.Marshal(value) (or MarshalIndent with options.indent). Throws JsonError. */
export function marshalJson(value: GoValue, options: MarshalOptions): ByteString {
  const compact = new Encoder(options).encode(value);
  return options.indent ? indentJson(compact, options.indent) : compact;
}

class Encoder {
  readonly #options: MarshalOptions;
  readonly #path = new Set<object>();

  constructor(options: MarshalOptions) {
    this.#options = options;
  }

  encode(value: GoValue): ByteString {
    this.#options.charge?.(1);
    if (value === null) return 'null';
    switch (typeof value) {
      case 'string':
        return encodeJsonString(value, this.#options.escapeHtml);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        return encodeFloat(value);
    }
    if (value instanceof GoInt) return value.value.toString();
    if (value instanceof GoBytes) return value.isNil ? 'null' : `"${base64Encode(value.bytes)}"`;
    if (value instanceof GoList) {
      if (value.isNil) return 'null';
      return this.#nested(value, () => `[${value.items.map((item) => this.encode(item)).join(',')}]`);
    }
    if (value instanceof GoMap) {
      if (value.isNil) return 'null';
      return this.#nested(value, () => {
        const parts = value
          .sortedKeys()
          .map(
            (key) =>
              `${encodeJsonString(key, this.#options.escapeHtml)}:${this.encode(value.entries.get(key) ?? null)}`,
          );
        return `{${parts.join(',')}}`;
      });
    }
    if (value instanceof GoStruct) {
      const marshal = marshalers.get(value);
      if (marshal) return compactJson(marshal(), this.#options.escapeHtml);
      const parts: string[] = [];
      for (const [name, field] of value.fields) {
        if (!/^\p{Lu}/u.test(name)) continue;
        parts.push(`${encodeJsonString(name, this.#options.escapeHtml)}:${this.encode(field)}`);
      }
      return `{${parts.join(',')}}`;
    }
    if (value instanceof GoFunc) throw new JsonError(`json: unsupported type: ${value.type}`);
    throw new JsonError('json: unsupported value');
  }

  #nested(value: GoList | GoMap, encode: () => ByteString): ByteString {
    if (this.#path.has(value)) {
      throw new JsonError(`json: unsupported value: encountered a cycle via ${value.type}`);
    }
    this.#path.add(value);
    try {
      return encode();
    } finally {
      this.#path.delete(value);
    }
  }
}

/** encoding/json's float64 format: shortest 'f', or 'e' below 1e-6 and from 1e21, "e-07" shortened to "e-7". */
export function encodeFloat(value: number): string {
  if (!Number.isFinite(value)) {
    throw new JsonError(`json: unsupported value: ${formatFloat(value, 'g', -1)}`);
  }
  const abs = Math.abs(value);
  const format = abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f';
  let text = formatFloat(value, format, -1);
  if (format === 'e') text = text.replace(/e([+-])0(\d)$/, 'e$1$2');
  return text;
}

/** A JSON string literal for a byte string, escaped as encoding/json escapes. */
export function encodeJsonString(text: ByteString, escapeHtml: boolean): ByteString {
  let out = '"';
  for (let index = 0; index < text.length;) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      index++;
      if (
        code >= 0x20 &&
        code !== 0x22 &&
        code !== 0x5c &&
        !(escapeHtml && (code === 0x3c || code === 0x3e || code === 0x26))
      ) {
        out += text[index - 1];
        continue;
      }
      switch (code) {
        case 0x22:
          out += '\\"';
          break;
        case 0x5c:
          out += '\\\\';
          break;
        case 0x08:
          out += '\\b';
          break;
        case 0x0c:
          out += '\\f';
          break;
        case 0x0a:
          out += '\\n';
          break;
        case 0x0d:
          out += '\\r';
          break;
        case 0x09:
          out += '\\t';
          break;
        default:
          out += `\\u00${HEX[code >> 4]}${HEX[code & 15]}`;
      }
      continue;
    }
    const [rune, size] = decodeRune(text, index);
    if (rune === RUNE_ERROR && size === 1) out += '\\ufffd';
    else if (rune === 0x2028 || rune === 0x2029) out += `\\u202${rune & 15}`;
    else out += text.slice(index, index + size);
    index += size;
  }
  return `${out}"`;
}

/** json.Compact of a Marshaler's output (with HTML escaping as the encoder's). */
function compactJson(text: ByteString, escapeHtml: boolean): ByteString {
  const value = unmarshalJson(text);
  return new Encoder({ escapeHtml }).encode(value);
}

/** json.Indent with prefix "" (MarshalIndent's layout): empty objects and arrays stay "{}" and "[]". */
export function indentJson(compact: ByteString, indent: string): ByteString {
  let out = '';
  let depth = 0;
  let inString = false;
  for (let index = 0; index < compact.length; index++) {
    const char = compact[index]!;
    if (inString) {
      out += char;
      if (char === '\\') out += compact[++index] ?? '';
      else if (char === '"') inString = false;
      continue;
    }
    switch (char) {
      case '"':
        inString = true;
        out += char;
        break;
      case '{':
      case '[': {
        const close = char === '{' ? '}' : ']';
        if (compact[index + 1] === close) {
          out += char + close;
          index++;
          break;
        }
        depth++;
        out += `${char}\n${indent.repeat(depth)}`;
        break;
      }
      case '}':
      case ']':
        depth--;
        out += `\n${indent.repeat(depth)}${char}`;
        break;
      case ',':
        out += `,\n${indent.repeat(depth)}`;
        break;
      case ':':
        out += ': ';
        break;
      default:
        out += char;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** Go's quoteChar for scanner errors: 'x', '\'', '"', or the strconv-quoted byte. */
function quoteChar(code: number): string {
  if (code === 0x27) return "'\\''";
  if (code === 0x22) return `'"'`;
  if (code === 0x5c) return "'\\\\'";
  const char = String.fromCharCode(code);
  if (code >= 0x20 && code < 0x7f) return `'${char}'`;
  switch (code) {
    case 0x07:
      return "'\\a'";
    case 0x08:
      return "'\\b'";
    case 0x0c:
      return "'\\f'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    case 0x09:
      return "'\\t'";
    case 0x0b:
      return "'\\v'";
  }
  if (code < 0x20 || code === 0x7f) return `'\\x${HEX[code >> 4]}${HEX[code & 15]}'`;
  // A byte ≥ 0x80 is converted to the rune of the same number, which strconv prints if it is printable.
  if (code >= 0xa1 && code !== 0xad) return `'${encodeRune(code)}'`;
  return `'\\u00${HEX[code >> 4]}${HEX[code & 15]}'`;
}

function syntaxError(message: string): JsonError {
  return new JsonError(message);
}

const END = 'unexpected end of JSON input';

/**
 * json.Unmarshal(text, &v) with v interface{}: the value, or JsonError with Go's message. Go checks the whole
 * text's syntax first, so a syntax error anywhere wins over a number out of range; `partial` then receives what
 * Go leaves in v next to the error (a number that does not fit float64 decodes as nil).
 */
export function unmarshalJson(text: ByteString, partial?: (value: GoValue) => void): GoValue {
  checkValid(text);
  const decoder = new Decoder(text);
  const value = decoder.value();
  if (decoder.error) {
    partial?.(value);
    throw decoder.error;
  }
  return value;
}

const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
const isHex = (code: number): boolean =>
  isDigit(code) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);

/** Go's scanner: validates the syntax and reports the first error as Go words it. */
function checkValid(text: ByteString): void {
  let index = 0;
  const at = (): number => (index < text.length ? text.charCodeAt(index) : -1);
  const skipSpace = (): void => {
    while (index < text.length && isSpace(text.charCodeAt(index))) index++;
  };
  // At the end of the input Go's scanner steps once more with a space: inside a literal, a number or an
  // escape that is the error ("invalid character ' ' in literal true (expecting 'e')"), elsewhere the input
  // just ended.
  const fail = (context: string, spaceAtEnd = false): never => {
    let code = at();
    if (code < 0) {
      if (!spaceAtEnd) throw syntaxError(END);
      code = 0x20;
    }
    throw syntaxError(`invalid character ${quoteChar(code)} ${context}`);
  };
  const literal = (word: string): void => {
    for (let offset = 1; offset < word.length; offset++) {
      index++;
      if (at() !== word.charCodeAt(offset))
        fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(offset))})`, true);
    }
    index++;
  };
  const number = (): void => {
    if (at() === 0x2d) {
      index++;
      if (!isDigit(at())) fail('in numeric literal', true);
    }
    if (at() === 0x30) index++;
    else while (isDigit(at())) index++;
    if (at() === 0x2e) {
      index++;
      if (!isDigit(at())) fail('after decimal point in numeric literal', true);
      while (isDigit(at())) index++;
    }
    if (at() === 0x65 || at() === 0x45) {
      index++;
      if (at() === 0x2b || at() === 0x2d) index++;
      if (!isDigit(at())) fail('in exponent of numeric literal', true);
      while (isDigit(at())) index++;
    }
  };
  const string = (): void => {
    index++;
    for (;;) {
      const code = at();
      if (code < 0) fail('');
      if (code === 0x22) {
        index++;
        return;
      }
      if (code === 0x5c) {
        index++;
        const escape = at();
        if (escape < 0) fail('in string escape code', true);
        if ('"\\/bfnrt'.includes(String.fromCharCode(escape))) {
          index++;
          continue;
        }
        if (escape !== 0x75) fail('in string escape code', true);
        index++;
        for (let digit = 0; digit < 4; digit++) {
          if (!isHex(at())) fail('in \\u hexadecimal character escape', true);
          index++;
        }
        continue;
      }
      if (code < 0x20) fail('in string literal');
      index++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 10000) throw syntaxError('exceeded max depth');
    skipSpace();
    const code = at();
    switch (code) {
      case 0x7b: {
        index++;
        skipSpace();
        if (at() === 0x7d) {
          index++;
          return;
        }
        for (;;) {
          skipSpace();
          if (at() !== 0x22) fail('looking for beginning of object key string');
          string();
          skipSpace();
          if (at() !== 0x3a) fail('after object key');
          index++;
          value(depth + 1);
          skipSpace();
          if (at() === 0x2c) {
            index++;
            continue;
          }
          if (at() === 0x7d) {
            index++;
            return;
          }
          fail('after object key:value pair');
        }
      }
      case 0x5b: {
        index++;
        skipSpace();
        if (at() === 0x5d) {
          index++;
          return;
        }
        for (;;) {
          value(depth + 1);
          skipSpace();
          if (at() === 0x2c) {
            index++;
            continue;
          }
          if (at() === 0x5d) {
            index++;
            return;
          }
          fail('after array element');
        }
      }
      case 0x22:
        string();
        return;
      case 0x74:
        literal('true');
        return;
      case 0x66:
        literal('false');
        return;
      case 0x6e:
        literal('null');
        return;
    }
    if (code === 0x2d || isDigit(code)) {
      number();
      return;
    }
    fail('looking for beginning of value');
  };
  value(0);
  skipSpace();
  if (index < text.length) fail('after top-level value');
}

/** Decodes text that checkValid accepted. */
class Decoder {
  readonly #text: ByteString;
  #index = 0;
  error: JsonError | undefined;

  constructor(text: ByteString) {
    this.#text = text;
  }

  #skipSpace(): void {
    while (this.#index < this.#text.length && isSpace(this.#text.charCodeAt(this.#index))) this.#index++;
  }

  value(): GoValue {
    this.#skipSpace();
    const text = this.#text;
    const code = text.charCodeAt(this.#index);
    switch (code) {
      case 0x7b: {
        this.#index++;
        const entries = new Map<ByteString, GoValue>();
        this.#skipSpace();
        if (text.charCodeAt(this.#index) === 0x7d) {
          this.#index++;
          return goMap(entries);
        }
        for (;;) {
          this.#skipSpace();
          const key = this.#string();
          this.#skipSpace();
          this.#index++; // ':'
          entries.set(key, this.value());
          this.#skipSpace();
          if (text.charCodeAt(this.#index++) === 0x7d) return goMap(entries);
        }
      }
      case 0x5b: {
        this.#index++;
        const items: GoValue[] = [];
        this.#skipSpace();
        if (text.charCodeAt(this.#index) === 0x5d) {
          this.#index++;
          return goList(items);
        }
        for (;;) {
          items.push(this.value());
          this.#skipSpace();
          if (text.charCodeAt(this.#index++) === 0x5d) return goList(items);
        }
      }
      case 0x22:
        return this.#string();
      case 0x74:
        this.#index += 4;
        return true;
      case 0x66:
        this.#index += 5;
        return false;
      case 0x6e:
        this.#index += 4;
        return null;
    }
    const start = this.#index;
    while (this.#index < text.length && /[-+.eE0-9]/.test(text[this.#index]!)) this.#index++;
    const literal = text.slice(start, this.#index);
    const parsed = parseGoFloat(literal);
    if (parsed === undefined) {
      this.error ??= new JsonError(`json: cannot unmarshal number ${literal} into Go value of type float64`);
      return null;
    }
    return parsed;
  }

  /** A string literal, unquoted: escapes decoded, invalid UTF-8 and lone surrogates as U+FFFD. */
  #string(): ByteString {
    const text = this.#text;
    this.#index++;
    let out = '';
    for (;;) {
      const code = text.charCodeAt(this.#index);
      if (code === 0x22) {
        this.#index++;
        return out;
      }
      if (code === 0x5c) {
        const escape = text[this.#index + 1]!;
        this.#index += 2;
        switch (escape) {
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            let rune = parseInt(text.slice(this.#index, this.#index + 4), 16);
            this.#index += 4;
            if (rune >= 0xd800 && rune < 0xdc00) {
              // A high surrogate combines with a following \u low surrogate; alone it is U+FFFD.
              const next = /^\\u([0-9a-fA-F]{4})/.exec(text.slice(this.#index, this.#index + 6));
              const low = next ? parseInt(next[1]!, 16) : -1;
              if (low >= 0xdc00 && low < 0xe000) {
                rune = 0x10000 + ((rune - 0xd800) << 10) + (low - 0xdc00);
                this.#index += 6;
              } else {
                rune = RUNE_ERROR;
              }
            } else if (rune >= 0xdc00 && rune < 0xe000) {
              rune = RUNE_ERROR;
            }
            out += encodeRune(rune);
            break;
          }
          default:
            out += escape;
        }
        continue;
      }
      if (code < 0x80) {
        out += text[this.#index++];
        continue;
      }
      const [rune, size] = decodeRune(text, this.#index);
      out += rune === RUNE_ERROR && size === 1 ? '\xef\xbf\xbd' : text.slice(this.#index, this.#index + size);
      this.#index += size;
    }
  }
}
