/**
 * Field-level validation errors as apimachinery's `field.Error` renders them (Kubernetes 1.32): each cause has the
 * field path, the body `invalid()` puts after `field: `, and the cause type kube reports in `details.causes`. Values are
 * printed the way Go's fmt prints them there (`%q` strings, `%v` numbers, `%#v` maps and slices), because kubectl shows
 * these messages verbatim. Pure; no I/O.
 */

export type CauseReason =
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueRequired'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate';

export interface Cause {
  /** The field path as `field.Path.String()` prints it: `metadata.name`, `data[tls.crt]`, `[]`. */
  field: string;
  /** The error body without the leading `field: ` (status.ts `invalid()` adds that). */
  message: string;
  reason: CauseReason;
}

/** A value that is already rendered the way Go would print it (for typed Go values such as structs). */
export interface GoVerbatim {
  readonly goVerbatim: string;
}

export function verbatim(text: string): GoVerbatim {
  return { goVerbatim: text };
}

// ---------- paths ----------

/** `parent.name`, or just `name` at the root. */
export function child(parent: string, ...names: string[]): string {
  return names.reduce((path, name) => (path === '' ? name : `${path}.${name}`), parent);
}

/** `parent[key]`: map keys are printed bare, without quotes. */
export function key(parent: string, mapKey: string): string {
  return `${parent}[${mapKey}]`;
}

export function index(parent: string, position: number): string {
  return `${parent}[${position}]`;
}

// ---------- constructors (field.Invalid, field.Required, ...) ----------

function withDetail(body: string, detail: string): string {
  return detail === '' ? body : `${body}: ${detail}`;
}

export function invalidValue(field: string, value: unknown, detail: string): Cause {
  return {
    field,
    message: withDetail(`Invalid value: ${goValue(value)}`, detail),
    reason: 'FieldValueInvalid',
  };
}

/** field.TypeInvalid: printed like Invalid, reported with its own cause type. */
export function typeInvalid(field: string, value: unknown, detail: string): Cause {
  return {
    field,
    message: withDetail(`Invalid value: ${goValue(value)}`, detail),
    reason: 'FieldValueTypeInvalid',
  };
}

export function required(field: string, detail = ''): Cause {
  return { field, message: withDetail('Required value', detail), reason: 'FieldValueRequired' };
}

export function forbidden(field: string, detail: string): Cause {
  return { field, message: withDetail('Forbidden', detail), reason: 'FieldValueForbidden' };
}

/** field.TooLong since 1.32 (kubernetes#128553): the value is never printed and the limit is in bytes. */
export function tooLong(field: string, maxBytes: number): Cause {
  const unit = maxBytes === 1 ? 'byte' : 'bytes';
  return {
    field,
    message: `Too long: may not be more than ${maxBytes} ${unit}`,
    reason: 'FieldValueTooLong',
  };
}

export function tooMany(field: string, actual: number, max: number): Cause {
  const unit = max === 1 ? 'item' : 'items';
  return {
    field,
    message: `Too many: ${actual}: must have at most ${max} ${unit}`,
    reason: 'FieldValueTooMany',
  };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): Cause {
  const detail = supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : '';
  return {
    field,
    message: withDetail(`Unsupported value: ${goValue(value)}`, detail),
    reason: 'FieldValueNotSupported',
  };
}

export function duplicate(field: string, value: unknown): Cause {
  return { field, message: `Duplicate value: ${goValue(value)}`, reason: 'FieldValueDuplicate' };
}

/** `field: message`, as one cause appears in the Status message. */
export function causeText(cause: Cause): string {
  return `${cause.field}: ${cause.message}`;
}

/**
 * Drops causes whose text repeats an earlier one. kube's ErrorList.ToAggregate does this for the message, and
 * several validators (object meta on update, then again on the whole object) report the same problem twice.
 */
export function dedupeCauses(causes: readonly Cause[]): Cause[] {
  const seen = new Set<string>();
  return causes.filter((cause) => {
    const text = causeText(cause);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/** Causes sorted by their full text, as kube sorts structural-schema errors (their source is a Go map). */
export function sortCauses(causes: readonly Cause[]): Cause[] {
  return [...causes].sort((a, b) => compareGoStrings(causeText(a), causeText(b)));
}

/** Go's byte-wise string order (UTF-8), which differs from JS's UTF-16 order only outside the BMP. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---------- Go value printing ----------

/**
 * The bad value as ErrorBody prints it: strings with %q, numbers and booleans with %v, nil as `null`, anything else
 * (decoded JSON maps and slices) with %#v.
 */
export function goValue(value: unknown): string {
  if (isVerbatim(value)) return value.goVerbatim;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goSharpV(value);
}

function isVerbatim(value: unknown): value is GoVerbatim {
  return typeof value === 'object' && value !== null && 'goVerbatim' in value;
}

/** A JSON number as Go holds it after decoding: integers as int64, everything else as float64. */
export function goNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : goFloat(value);
}

/** Go's %v for float64: shortest digits, exponent form below 1e-4 and from 1e6 (strconv 'g', precision -1). */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** Go's strconv.Quote: printable runes stay, the rest become \a, \n, \x1b, \u00a0... */
export function goQuote(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  let out = '"';
  for (const char of text) out += quoteRune(char);
  return `${out}"`;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

// Printable ASCII other than `"` and `\`: strconv.Quote keeps such text as it is.
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteRune(char: string): string {
  const escaped = SIMPLE_ESCAPES[char];
  if (escaped !== undefined) return escaped;
  if (PRINTABLE.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd'; // a lone surrogate is not valid UTF-8
  if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Go's %#v of a decoded JSON value (map[string]interface{}, []interface{}, scalars). */
export function goSharpV(value: unknown): string {
  if (value === null || value === undefined) return 'interface {}(nil)';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSharpV).join(', ')}}`;
  if (isVerbatim(value)) return value.goVerbatim;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareGoStrings(a, b));
  return `map[string]interface {}{${entries.map(([k, v]) => `${goQuote(k)}:${goSharpV(v)}`).join(', ')}}`;
}

/** Go's %#v of a []string: `[]string{"a", "b"}`, or `[]string(nil)` when empty. */
export function goStringSlice(values: readonly string[]): string {
  return values.length === 0 ? '[]string(nil)' : `[]string{${values.map(goQuote).join(', ')}}`;
}
