/**
 * The JSONPath dialect of k8s.io/client-go/util/jsonpath, as CustomResourceDefinition
 * `additionalPrinterColumns[].jsonPath` uses it: kube-apiserver wraps the column's path in `{…}`, allows missing
 * keys, and prints the first match. Pure: parse once, evaluate against many objects.
 *
 * Supported: `.a.b`, `.a\.b` (escaped dot inside a key), `.*`, `..` (recursive descent), `[0]`, `[-1]`, `[1:3]`,
 * `[::2]`, `[*]`, unions `[0,2]` / `['a','b']`, `['a']`, filters `[?(@.type=="Ready")]` with `==`, `!=`, `<`, `>`,
 * `<=`, `>=` or bare existence `[?(@.x)]`, and the literals a filter compares against (`"x"`, `'x'`, numbers,
 * `true`/`false`). A leading `$` or `@` is the current object, as in Kubernetes.
 *
 * Two Kubernetes quirks are kept on purpose, because a CRD must print the same columns here as on a real cluster:
 * a single-quoted bracket key is re-read as a path (`['a.b']` means `.a.b`; write `.a\.b` for a key containing a
 * dot), and a double-quoted bracket key (`["a"]`) is not valid.
 */
import { CloakError } from '../common/errors.ts';

export class JsonPathError extends CloakError {
  constructor(path: string, detail: string) {
    super('ERR_JSONPATH', `invalid JSONPath "${path}": ${detail}`);
  }
}

export type FilterOperator = '==' | '!=' | '<' | '>' | '<=' | '>=';

export type JsonPathNode =
  | { type: 'field'; name: string }
  | { type: 'wildcard' }
  | { type: 'recursive' }
  | {
      type: 'slice';
      start: number | undefined;
      end: number | undefined;
      endDerived: boolean;
      step: number | undefined;
    }
  | { type: 'union'; branches: JsonPathNode[][] }
  | { type: 'filter'; left: JsonPathNode[]; operator: FilterOperator | 'exists'; right: JsonPathNode[] }
  | { type: 'literal'; value: string | number | boolean };

/** A parsed path: evaluate it with {@link evaluateJsonPath}. */
export interface JsonPath {
  readonly source: string;
  readonly nodes: readonly JsonPathNode[];
}

const OPERATORS: readonly string[] = ['==', '!=', '<', '>', '<=', '>='];
const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/;
const DICT_KEY = /^'([^']*)'$/;
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;

/** Parses a path such as `.status.conditions[?(@.type=="Ready")].status`; surrounding braces are allowed. */
export function parseJsonPath(path: string): JsonPath {
  let body = path.trim();
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1);
  if (body.trim() === '') throw new JsonPathError(path, 'the path is empty');
  return { source: path, nodes: new Parser(path).parse(body) };
}

class Parser {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  parse(text: string): JsonPathNode[] {
    const nodes: JsonPathNode[] = [];
    let pos = 0;
    while (pos < text.length) {
      const char = text.charAt(pos);
      if (text.startsWith('[?(', pos)) {
        pos = this.#filter(text, pos, nodes);
      } else if (text.startsWith('..', pos)) {
        if (nodes.at(-1)?.type === 'recursive') throw this.#error('invalid multiple recursive descent');
        nodes.push({ type: 'recursive' });
        pos += 2;
        if (pos < text.length && isAlphaNumeric(text.charAt(pos))) pos = this.#field(text, pos, nodes);
      } else if (char === ' ' || char === '\t' || char === '@' || char === '$') {
        pos++;
      } else if (char === '[') {
        pos = this.#bracket(text, pos, nodes);
      } else if (char === '"' || char === "'") {
        pos = this.#quoted(text, pos, nodes);
      } else if (char === '.') {
        pos = this.#field(text, pos + 1, nodes);
      } else if (char === '+' || char === '-' || isDigit(char)) {
        pos = this.#number(text, pos, nodes);
      } else if (isAlphaNumeric(char)) {
        pos = this.#identifier(text, pos, nodes);
      } else if (char === '\r' || char === '\n') {
        throw this.#error('unclosed action (line break in the path)');
      } else {
        throw this.#error(`unrecognized character ${JSON.stringify(char)} at offset ${pos}`);
      }
    }
    return nodes;
  }

  /** A field name runs to the next unescaped terminator; a backslash takes the next character literally. */
  #field(text: string, start: number, nodes: JsonPathNode[]): number {
    let pos = start;
    let name = '';
    while (pos < text.length) {
      const char = text.charAt(pos);
      if (char === '\\') {
        name += text.charAt(pos + 1);
        pos += 2;
        continue;
      }
      if (isTerminator(char)) break;
      name += char;
      pos++;
    }
    nodes.push(name === '*' ? { type: 'wildcard' } : { type: 'field', name });
    return pos;
  }

  #bracket(text: string, start: number, nodes: JsonPathNode[]): number {
    const close = text.indexOf(']', start);
    const newline = text.slice(start).search(/[\r\n]/);
    if (close < 0 || (newline >= 0 && start + newline < close))
      throw this.#error('unterminated array (missing "]")');
    let inner = text.slice(start + 1, close);
    if (inner === '*') inner = ':';
    const parts = inner.split(',');
    if (parts.length > 1) {
      const branches = parts.map((part) => this.parse(`[${part.trim()}]`));
      nodes.push({ type: 'union', branches });
      return close + 1;
    }
    const key = DICT_KEY.exec(inner);
    if (key) {
      // Kubernetes re-reads the quoted text as a path: ['a.b'] is .a.b.
      nodes.push(...this.parse(`.${key[1] ?? ''}`));
      return close + 1;
    }
    const slice = SLICE.exec(inner);
    if (!slice) {
      const hint = inner.startsWith('"')
        ? ` (Kubernetes JSONPath takes single-quoted keys: ['${inner.slice(1, -1)}'])`
        : '';
      throw this.#error(`invalid array index ${inner}${hint}`);
    }
    const number = (digits: string | undefined): number | undefined =>
      digits === undefined || digits === '' ? undefined : Number.parseInt(digits, 10);
    const start0 = number(slice[1]);
    const endText = slice[2]?.slice(1);
    const stepText = slice[3]?.slice(1);
    if (slice[2] === undefined) {
      // A single index [i] selects [i, i+1).
      nodes.push({
        type: 'slice',
        start: start0,
        end: (start0 ?? 0) + 1,
        endDerived: true,
        step: number(stepText),
      });
    } else {
      nodes.push({
        type: 'slice',
        start: start0,
        end: number(endText),
        endDerived: false,
        step: number(stepText),
      });
    }
    return close + 1;
  }

  #filter(text: string, start: number, nodes: JsonPathNode[]): number {
    let pos = start + 3;
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      if (pos >= text.length) throw this.#error('unterminated filter');
      const char = text.charAt(pos);
      pos++;
      if (char === '\r' || char === '\n') throw this.#error('unterminated filter');
      if (char === '"' || char === "'") {
        if (!begin) {
          begin = true;
          pair = char;
        } else if (char === pair && text.charAt(pos - 2) !== '\\') {
          end = true;
        }
      } else if (char === ')' && begin === end) {
        break;
      }
    }
    if (text.charAt(pos) !== ']') throw this.#error('unclosed filter, expected "]" after ")"');
    const expression = text.slice(start + 3, pos - 1);
    pos++;
    const match = FILTER.exec(expression);
    if (!match) {
      nodes.push({ type: 'filter', left: this.parse(expression), operator: 'exists', right: [] });
      return pos;
    }
    const [, left = '', operator = '', right = ''] = match;
    if (!OPERATORS.includes(operator)) throw this.#error(`unrecognized filter operator ${operator}`);
    nodes.push({
      type: 'filter',
      left: this.parse(left),
      operator: operator as FilterOperator,
      right: this.parse(right),
    });
    return pos;
  }

  #quoted(text: string, start: number, nodes: JsonPathNode[]): number {
    const quote = text.charAt(start);
    let pos = start + 1;
    let value = '';
    for (;;) {
      if (pos >= text.length) throw this.#error('unterminated quoted string');
      const char = text.charAt(pos);
      if (char === '\r' || char === '\n') throw this.#error('unterminated quoted string');
      if (char === quote) break;
      if (char === '\\') {
        const next = text.charAt(pos + 1);
        value += ESCAPES[next] ?? next;
        pos += 2;
        continue;
      }
      value += char;
      pos++;
    }
    nodes.push({ type: 'literal', value });
    return pos + 1;
  }

  #number(text: string, start: number, nodes: JsonPathNode[]): number {
    let pos = start;
    if (text.charAt(pos) === '+' || text.charAt(pos) === '-') pos++;
    while (pos < text.length && (text.charAt(pos) === '.' || isDigit(text.charAt(pos)))) pos++;
    const literal = text.slice(start, pos);
    if (/^[+-]?\d+$/.test(literal)) nodes.push({ type: 'literal', value: Number.parseInt(literal, 10) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(literal))
      nodes.push({ type: 'literal', value: Number.parseFloat(literal) });
    else throw this.#error(`cannot parse number ${literal}`);
    return pos;
  }

  #identifier(text: string, start: number, nodes: JsonPathNode[]): number {
    let pos = start;
    while (pos < text.length && !isTerminator(text.charAt(pos))) pos++;
    const word = text.slice(start, pos);
    if (word === 'true' || word === 'false') nodes.push({ type: 'literal', value: word === 'true' });
    else throw this.#error(`unsupported identifier "${word}" (fields start with ".")`);
    return pos;
  }

  #error(detail: string): JsonPathError {
    return new JsonPathError(this.#path, detail);
  }
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

function isTerminator(char: string): boolean {
  return ' \t\r\n.,[]$@{}'.includes(char) || char === '';
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}

function isAlphaNumeric(char: string): boolean {
  return char === '_' || /^[\p{L}\p{Nd}]$/u.test(char);
}

/** Kubernetes aborts the whole evaluation on these (a filter on a non-list, an index out of range…). */
class EvaluationError extends Error {}

/**
 * Every value the path matches, in order. Missing keys match nothing; where Kubernetes would fail the evaluation
 * (an index out of range, a filter on a non-list, comparing a string with a number) the result is empty, which is
 * what a printer column shows for both. Throws {@link JsonPathError} only for a path that does not parse.
 */
export function evaluateJsonPath(object: unknown, path: string | JsonPath): unknown[] {
  const parsed = typeof path === 'string' ? parseJsonPath(path) : path;
  try {
    return evaluateNodes([object], parsed.nodes);
  } catch (error) {
    if (error instanceof EvaluationError) return [];
    throw error;
  }
}

function evaluateNodes(input: unknown[], nodes: readonly JsonPathNode[]): unknown[] {
  let current = input;
  for (const node of nodes) current = evaluateNode(current, node);
  return current;
}

function evaluateNode(input: unknown[], node: JsonPathNode): unknown[] {
  switch (node.type) {
    case 'literal':
      return input.map(() => node.value);
    case 'field':
      return input.flatMap((value) => {
        if (!isObject(value)) return [];
        if (node.name === '') return [value];
        return Object.hasOwn(value, node.name) ? [value[node.name]] : [];
      });
    case 'wildcard':
      return input.flatMap((value) =>
        Array.isArray(value) ? (value as unknown[]) : isObject(value) ? Object.values(value) : [],
      );
    case 'recursive':
      return input.flatMap((value) => descend(value));
    case 'union':
      return node.branches.flatMap((branch) => evaluateNodes(input, branch));
    case 'slice':
      return input.flatMap((value) => slice(value, node));
    case 'filter':
      return input.flatMap((value) => filter(value, node));
  }
}

/** Every container (object or list with children) at or below `value`, parents first. */
function descend(value: unknown): unknown[] {
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  if (children.length === 0) return [];
  return [value, ...children.flatMap((child) => descend(child))];
}

function slice(value: unknown, node: Extract<JsonPathNode, { type: 'slice' }>): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new EvaluationError('not an array');
  const length = value.length;
  let start = node.start ?? 0;
  if (start < 0) start += length;
  let end = node.end ?? length;
  if (end < 0 || (end === 0 && node.endDerived)) end += length;
  if (end === start) return [];
  if (start >= length || start < 0 || end > length || end < 0 || start > end)
    throw new EvaluationError('index out of range');
  const step = node.step ?? 1;
  if (step <= 0) throw new EvaluationError('step must be > 0');
  const result: unknown[] = [];
  for (let index = start; index < end; index += step) result.push(value[index]);
  return result;
}

function filter(value: unknown, node: Extract<JsonPathNode, { type: 'filter' }>): unknown[] {
  if (!Array.isArray(value)) throw new EvaluationError('only a list can be filtered');
  return value.filter((element: unknown) => {
    if (node.operator === 'exists') {
      try {
        return evaluateNodes([element], node.left).length > 0;
      } catch (error) {
        if (error instanceof EvaluationError) return false;
        throw error;
      }
    }
    const lefts = evaluateNodes([element], node.left);
    if (lefts.length === 0) return false;
    if (lefts.length > 1) throw new EvaluationError('can only compare one element at a time');
    const rights = evaluateNodes([element], node.right);
    if (rights.length === 0) return false;
    if (rights.length > 1) throw new EvaluationError('can only compare one element at a time');
    return compare(lefts[0], node.operator, rights[0]);
  });
}

function compare(left: unknown, operator: FilterOperator, right: unknown): boolean {
  if (typeof left === 'boolean' && typeof right === 'boolean') {
    if (operator === '==') return left === right;
    if (operator === '!=') return left !== right;
    throw new EvaluationError('invalid type for comparison');
  }
  if (typeof left === 'string' && typeof right === 'string') return ordered(left, operator, right);
  if (typeof left === 'number' && typeof right === 'number') return ordered(left, operator, right);
  throw new EvaluationError('incompatible types for comparison');
}

function ordered<T extends string | number>(left: T, operator: FilterOperator, right: T): boolean {
  switch (operator) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '>=':
      return left >= right;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A matched value as Kubernetes prints it into a `string` printer column (jsonpath PrintResults): strings as they
 * are, numbers and booleans as Go's fmt prints them, lists and objects as Go's compact JSON (sorted keys), and a
 * JSON null as `<no value>`.
 */
export function printJsonPathValue(value: unknown): string {
  if (value === null || value === undefined) return '<no value>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return goJson(value);
}

/** Go's `%v`: integers (JSON integers decode to int64) in full, other floats in the shortest `%g` form. */
export function goNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** encoding/json's compact output: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[<>&\u2028\u2029]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((item) => goJson(item)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${goJson(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return 'null';
}
