/**
 * The JSON store, and the binary store that wraps a whole file as `{"data": …}` in JSON. Objects keep their key
 * order (JavaScript objects would move integer-like keys first) and numbers keep Go's split between int64 and
 * float64, so our own reader builds the tree. Output is laid out as Go's json.Indent lays it out (a tab per
 * level by default, `": "`, `[]`/`{}` for empty ones) with Go's string escaping and a final newline. Pure.
 */
import { isUtf8 } from 'node:buffer';
import { CloakError } from '../../common/errors.ts';
import { jsonErrorOffset } from '../../manifests/json-error.ts';
import { isInt64 } from '../go-format.ts';
import {
  isComment,
  isList,
  isMap,
  SopsTime,
  type SopsDocument,
  type SopsList,
  type SopsMap,
  type SopsValue,
} from '../tree.ts';
import { metadataFromTree, metadataToTree, SOPS_KEY } from './metadata-tree.ts';
import { requireMetadata, type EmitOptions, type Store } from './store.ts';
import { notEncrypted } from './yaml.ts';

export class JsonStoreError extends CloakError {}

export const jsonStore: Store = {
  format: 'json',

  parsePlain(text, source) {
    const branch = parseJsonDocument(text, source);
    if (branch.items.some((item) => item.kind === 'entry' && item.key === SOPS_KEY)) {
      throw new JsonStoreError(
        'ERR_SOPS_ALREADY_ENCRYPTED',
        `${source}: the document has a top-level "sops" key; it looks encrypted already`,
      );
    }
    return [branch];
  },

  parseEncrypted(text, source) {
    return splitMetadata(parseJsonDocument(text, source), source);
  },

  emitEncrypted(document, options) {
    return emitJson(withMetadata(document), options);
  },

  emitPlain(branches, options) {
    return emitJson(branches[0] ?? { kind: 'map', items: [] }, options);
  },

  emitValue(value, options) {
    // sops prints a single value (a list, a number) without the newline it ends whole files with.
    return jsonValue(value, options?.indent === undefined ? '\t' : ' '.repeat(options.indent), '');
  },
};

export const binaryStore: Store = {
  format: 'binary',

  parsePlain(text) {
    return [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: text }] }];
  },

  parseEncrypted(text, source) {
    return jsonStore.parseEncrypted(text, source);
  },

  emitEncrypted(document, options) {
    return jsonStore.emitEncrypted(document, options);
  },

  emitPlain(branches) {
    const data = branches[0]?.items.find((item) => item.kind === 'entry' && item.key === 'data');
    if (!data || data.kind !== 'entry' || typeof data.value !== 'string') {
      throw new JsonStoreError('ERR_SOPS_BINARY', 'no binary data found in the document');
    }
    return data.value;
  },

  emitValue() {
    throw new JsonStoreError(
      'ERR_SOPS_BINARY',
      'binary files are not structured; extracting a single value is not possible',
    );
  },
};

/** A binary file's bytes as the document sops makes of it: `{"data": <the whole file>}`. */
export function binaryDocument(bytes: Uint8Array): SopsMap {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = isUtf8(buffer) ? buffer.toString('utf8') : new Uint8Array(buffer);
  return { kind: 'map', items: [{ kind: 'entry', key: 'data', value: data }] };
}

/** The bytes of a decrypted binary document. */
export function binaryContent(branches: readonly SopsMap[]): Uint8Array {
  const data = branches[0]?.items.find((item) => item.kind === 'entry' && item.key === 'data');
  if (data?.kind === 'entry' && data.value instanceof Uint8Array) return data.value;
  if (data?.kind === 'entry' && typeof data.value === 'string') return Buffer.from(data.value, 'utf8');
  throw new JsonStoreError('ERR_SOPS_BINARY', 'no binary data found in the document');
}

function splitMetadata(branch: SopsMap, source: string): SopsDocument {
  let metadata: SopsDocument['metadata'];
  const items = branch.items.filter((item) => {
    if (item.kind !== 'entry' || item.key !== SOPS_KEY) return true;
    metadata = metadataFromTree(item.value, source);
    return false;
  });
  if (!metadata) throw notEncrypted(source);
  return { branches: [{ kind: 'map', items }], metadata };
}

function withMetadata(document: SopsDocument): SopsMap {
  const metadata = metadataToTree(requireMetadata(document, 'json'));
  const branch = document.branches[0] ?? { kind: 'map', items: [] };
  return { kind: 'map', items: [...branch.items, { kind: 'entry', key: SOPS_KEY, value: metadata }] };
}

// ---------------------------------------------------------------------------------------------------------
// Reading

export function parseJsonDocument(text: string, source: string): SopsMap {
  const parser = new JsonReader(text, source);
  const value = parser.document();
  if (!isMap(value))
    throw new JsonStoreError('ERR_INPUT_PARSE', `${source}: a JSON document must be an object`);
  return value;
}

class JsonReader {
  readonly #text: string;
  readonly #source: string;
  #index = 0;

  constructor(text: string, source: string) {
    this.#text = text;
    this.#source = source;
  }

  document(): SopsValue {
    const value = this.#value();
    this.#whitespace();
    if (this.#index < this.#text.length) throw this.#error();
    return value;
  }

  #value(): SopsValue {
    this.#whitespace();
    const char = this.#text[this.#index];
    if (char === '{') return this.#object();
    if (char === '[') return this.#array();
    if (char === '"') return this.#string();
    if (this.#text.startsWith('true', this.#index)) return this.#literal('true', true);
    if (this.#text.startsWith('false', this.#index)) return this.#literal('false', false);
    if (this.#text.startsWith('null', this.#index)) return this.#literal('null', null);
    return this.#number();
  }

  #literal<T extends SopsValue>(word: string, value: T): T {
    this.#index += word.length;
    return value;
  }

  #object(): SopsMap {
    this.#index++;
    const items: SopsMap['items'] = [];
    const seen = new Set<string>();
    this.#whitespace();
    if (this.#text[this.#index] === '}') {
      this.#index++;
      return { kind: 'map', items };
    }
    for (;;) {
      this.#whitespace();
      if (this.#text[this.#index] !== '"') throw this.#error();
      const key = this.#string();
      if (seen.has(key))
        throw new JsonStoreError('ERR_INPUT_PARSE', `${this.#source}: duplicate key "${key}"`);
      seen.add(key);
      this.#whitespace();
      this.#expect(':');
      items.push({ kind: 'entry', key, value: this.#value() });
      this.#whitespace();
      if (this.#text[this.#index] === '}') {
        this.#index++;
        return { kind: 'map', items };
      }
      this.#expect(',');
    }
  }

  #array(): SopsList {
    this.#index++;
    const items: SopsValue[] = [];
    this.#whitespace();
    if (this.#text[this.#index] === ']') {
      this.#index++;
      return { kind: 'list', items };
    }
    for (;;) {
      items.push(this.#value());
      this.#whitespace();
      if (this.#text[this.#index] === ']') {
        this.#index++;
        return { kind: 'list', items };
      }
      this.#expect(',');
    }
  }

  #string(): string {
    const start = this.#index;
    let i = start + 1;
    for (; i < this.#text.length; i++) {
      const char = this.#text[i];
      if (char === '\\') i++;
      else if (char === '"') break;
    }
    this.#index = i + 1;
    try {
      return JSON.parse(this.#text.slice(start, i + 1)) as string;
    } catch {
      this.#index = start;
      throw this.#error();
    }
  }

  /** Go's json.Number: an int64 if it parses as one, otherwise a float64. */
  #number(): bigint | number {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.#index;
    const found = match.exec(this.#text);
    if (!found) throw this.#error();
    this.#index += found[0].length;
    const text = found[0];
    if (/^-?\d+$/.test(text)) {
      const integer = BigInt(text);
      if (isInt64(integer)) return integer;
    }
    return Number(text);
  }

  #expect(char: string): void {
    if (this.#text[this.#index] !== char) throw this.#error();
    this.#index++;
  }

  #whitespace(): void {
    while (' \t\n\r'.includes(this.#text[this.#index] ?? 'x')) this.#index++;
  }

  /** Where the text breaks, found again from the start: never echo the input, it may hold secrets. */
  #error(): JsonStoreError {
    const offset = jsonErrorOffset(this.#text);
    const at = offset < 0 ? this.#index : offset;
    if (at >= this.#text.length)
      return new JsonStoreError('ERR_INPUT_PARSE', `${this.#source}: invalid JSON at the end of the input`);
    const before = this.#text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    return new JsonStoreError(
      'ERR_INPUT_PARSE',
      `${this.#source}: invalid JSON at line ${line}, column ${column}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

export function emitJson(value: SopsValue, options?: EmitOptions): string {
  const unit = options?.indent === undefined ? '\t' : ' '.repeat(options.indent);
  return `${jsonValue(value, unit, '')}\n`;
}

function jsonValue(value: SopsValue, unit: string, indent: string): string {
  if (isMap(value)) {
    const entries = value.items.filter((item) => item.kind === 'entry');
    if (entries.length === 0) return '{}';
    const inner = indent + unit;
    const body = entries.map(
      (entry) => `${inner}${goJsonString(entry.key)}: ${jsonValue(entry.value, unit, inner)}`,
    );
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  if (isList(value)) {
    const items = value.items.filter((item) => !isComment(item)) as SopsValue[];
    if (items.length === 0) return '[]';
    const inner = indent + unit;
    return `[\n${items.map((item) => `${inner}${jsonValue(item, unit, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new JsonStoreError('ERR_SOPS_JSON', `cannot write ${String(value)} in JSON`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof SopsTime) return goJsonString(value.text);
  if (value instanceof Uint8Array) return goJsonString(Buffer.from(value).toString('utf8'));
  return 'null';
}

/** A string as Go's json.Marshal writes it: <, >, &, U+2028 and U+2029 escaped too. */
export function goJsonString(value: string): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
