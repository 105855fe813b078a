/**
 * Go's predefined template functions: and, or, not, len, index, slice, print, printf, println, html, js,
 * urlquery, eq, ne, lt, le, gt, ge, call. Their Go signatures (mostly reflect.Value parameters) decide the
 * arity and argument errors; the implementations work on executor values (reflect.ts) because several of
 * them see what plain values cannot show: no value, or a nil behind an interface. `and`, `or` and `call`
 * are evaluated by the executor itself (short-circuit, callee name); their entries here give the signatures.
 */
import { GoFuncError } from './errors.ts';
import { sprint, sprintf, sprintln } from './go-fmt.ts';
import { Boxed, kindOf, slotValue, staticType, truth, unbox, type Value } from './reflect.ts';
import { decodeRune, isPrintRune, RUNE_ERROR, type ByteString } from '../common/go-utf8.ts';
import {
  canBeNil,
  GoBytes,
  GoFunc,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goInt,
  goTypeOf,
  isIntKind,
  isUnsignedKind,
  zeroValue,
  type CallContext,
  type GoType,
  type GoValue,
} from './values.ts';

const REFLECT_VALUE = 'reflect.Value';
const ANY = 'interface {}';

export interface BuiltinContext extends CallContext {
  /** Whether error messages may show data values (Go's do; Cloak hides them unless asked, see exec.ts). */
  readonly revealValues: boolean;
  /** Runs a function value as the executor does (the `call` built-in). */
  invoke(fn: GoFunc, args: GoValue[]): Value;
}

type BuiltinImplementation = (args: Value[], context: BuiltinContext) => Value;

interface Builtin {
  readonly fn: GoFunc;
  readonly implementation: BuiltinImplementation;
}

function builtin(
  name: string,
  params: GoType[],
  variadic: boolean,
  result: GoType,
  returnsError: boolean,
  implementation: BuiltinImplementation,
): Builtin {
  const fn = new GoFunc(name, { params, variadic, result, returnsError }, () => {
    throw new Error(`built-in ${name} runs inside the executor`);
  });
  return { fn, implementation };
}

function notReached(): never {
  throw new Error('unreachable: evaluated by the executor');
}

// -- values as fmt sees them ---------------------------------------------------------------------------------

/** Arguments of print-like functions arrive as interface{} values: plain, nil for nothing. */
function plain(value: Value): GoValue {
  if (value instanceof Boxed) return value.inner;
  return value === undefined ? null : value;
}

/** text/template's evalArgs: fmt.Sprint of the arguments, with a nil argument shown as "<no value>". */
function evalArgs(args: Value[], limit: number): ByteString {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(
    args.map((arg) => {
      const value = plain(arg);
      return value === null ? '<no value>' : value;
    }),
    limit,
  );
}

export function htmlEscape(text: ByteString): ByteString {
  return text.replace(/["'&<>\0]/g, (char) => {
    switch (char) {
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
    }
    return '\xef\xbf\xbd'; // U+FFFD for NUL
  });
}

export function jsEscape(text: ByteString): ByteString {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const special = '\\\'"<>&='.includes(text[index]!) || code < 0x20 || code >= 0x80;
    if (!special) {
      out += text[index];
      continue;
    }
    if (code < 0x80) {
      switch (text[index]) {
        case '\\':
          out += '\\\\';
          break;
        case "'":
          out += "\\'";
          break;
        case '"':
          out += '\\"';
          break;
        case '<':
          out += '\\u003C';
          break;
        case '>':
          out += '\\u003E';
          break;
        case '&':
          out += '\\u0026';
          break;
        case '=':
          out += '\\u003D';
          break;
        default:
          out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      continue;
    }
    const [rune, size] = decodeRune(text, index);
    if (isPrintRune(rune) || rune === RUNE_ERROR) out += text.slice(index, index + size);
    else out += `\\u${rune.toString(16).toUpperCase().padStart(4, '0')}`;
    index += size - 1;
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(text: ByteString): ByteString {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += `%${text.charCodeAt(index).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// -- indexing ------------------------------------------------------------------------------------------------

function indexArg(index: Value, length: number): number {
  let x: bigint;
  if (index instanceof GoInt) x = index.value;
  else if (index === undefined) throw new GoFuncError('cannot index slice/array with nil');
  else throw new GoFuncError(`cannot index slice/array with type ${staticType(index)}`);
  if (x < 0n || x > BigInt(length)) throw new GoFuncError(`index out of range: ${x}`);
  return Number(x);
}

/** Pointers and interfaces followed to the value (Go's indirect); `nil` says the chain ended in nil. */
function indirect(value: Value): { value: Value; nil: boolean } {
  if (value instanceof Boxed)
    return value.inner === null ? { value, nil: true } : { value: value.inner, nil: false };
  return { value, nil: false };
}

function lengthOf(value: GoValue | undefined): number | undefined {
  if (typeof value === 'string') return value.length;
  if (value instanceof GoList) return value.items.length;
  if (value instanceof GoBytes) return value.bytes.length;
  if (value instanceof GoMap) return value.entries.size;
  return undefined;
}

/** reflect's assignability as far as templates need it: identical types, or anything to interface {}. */
export function assignable(value: Exclude<Value, undefined>, type: GoType): boolean {
  if (type === ANY) return true;
  if (value instanceof Boxed) return false;
  return goTypeOf(value) === type;
}

/** Go's prepareArg for map keys and `call` arguments: nil to a nil-able type, ints converted between kinds. */
export function prepareArg(value: GoValue | undefined, type: GoType): GoValue {
  if (value === undefined) {
    if (!canBeNil(type)) throw new GoFuncError(`value is nil; should be of type ${type}`);
    return zeroValue(type);
  }
  if (assignable(value, type)) return value;
  if (value instanceof GoInt && isIntKind(type)) return new GoInt(type, value.value);
  throw new GoFuncError(`value has type ${goTypeOf(value)}; should be ${type}`);
}

function index(args: Value[]): Value {
  let item: Value = unbox(args[0]);
  if (item === undefined) throw new GoFuncError('index of untyped nil');
  for (const raw of args.slice(1)) {
    const key = unbox(raw);
    const followed = indirect(item);
    if (followed.nil) throw new GoFuncError('index of nil pointer');
    const current = followed.value as GoValue;
    if (typeof current === 'string') {
      const position = indexArg(key, current.length);
      if (position === current.length) throw new Error('reflect: string index out of range');
      item = new GoInt('uint8', BigInt(current.charCodeAt(position)));
    } else if (current instanceof GoList) {
      const position = indexArg(key, current.items.length);
      if (position === current.items.length) throw new Error('reflect: slice index out of range');
      item = slotValue(current.items[position]!, current.elementType);
    } else if (current instanceof GoBytes) {
      const position = indexArg(key, current.bytes.length);
      if (position === current.bytes.length) throw new Error('reflect: slice index out of range');
      item = new GoInt('uint8', BigInt(current.bytes[position]!));
    } else if (current instanceof GoMap) {
      const name = prepareArg(key, 'string') as ByteString;
      const found = current.entries.get(name);
      item = slotValue(found === undefined ? zeroValue(current.elementType) : found, current.elementType);
    } else {
      throw new GoFuncError(`can't index item of type ${goTypeOf(current)}`);
    }
  }
  return item;
}

function slice(args: Value[]): Value {
  const item = unbox(args[0]);
  if (item === undefined) throw new GoFuncError('slice of untyped nil');
  const indexes = args.slice(1);
  if (indexes.length > 3) throw new GoFuncError(`too many slice indexes: ${indexes.length}`);
  let length: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new GoFuncError('cannot 3-index slice a string');
    length = item.length;
  } else if (item instanceof GoList || item instanceof GoBytes) {
    length = lengthOf(item)!;
  } else {
    throw new GoFuncError(`can't slice item of type ${goTypeOf(item)}`);
  }
  // Go bounds slices by capacity; values here have no spare capacity, so it equals the length.
  const bounds = [0, length, length];
  indexes.forEach((raw, position) => {
    bounds[position] = indexArg(raw, length);
  });
  const [low, high, max] = bounds as [number, number, number];
  if (low > high) throw new GoFuncError(`invalid slice index: ${low} > ${high}`);
  if (indexes.length === 3 && high > max) throw new GoFuncError(`invalid slice index: ${high} > ${max}`);
  if (typeof item === 'string') return item.slice(low, high);
  if (item instanceof GoBytes) return new GoBytes(item.bytes.subarray(low, high));
  return new GoList(item.type, item.items.slice(low, high));
}

function length(args: Value[]): Value {
  const followed = indirect(args[0]);
  if (followed.nil) throw new GoFuncError('len of nil pointer');
  const value = followed.value as GoValue | undefined;
  // Go asks reflect for the type of the invalid value and reports reflect's panic.
  if (value === undefined) throw new GoFuncError('reflect: call of reflect.Value.Type on zero Value');
  const result = lengthOf(value);
  if (result === undefined) throw new GoFuncError(`len of type ${goTypeOf(value)}`);
  return goInt(result);
}

// -- comparison ----------------------------------------------------------------------------------------------

type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'invalid';

function basicKind(value: GoValue | undefined): BasicKind {
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  if (value instanceof GoInt) return isUnsignedKind(value.kind) ? 'uint' : 'int';
  return 'invalid';
}

const BAD_COMPARISON_TYPE = 'invalid type for comparison';
const BAD_COMPARISON = 'incompatible types for comparison';

function isNilValue(value: GoValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (value instanceof GoList || value instanceof GoMap || value instanceof GoBytes) return value.isNil;
  return false;
}

function comparable(value: GoValue): boolean {
  return !(
    value instanceof GoList ||
    value instanceof GoMap ||
    value instanceof GoBytes ||
    value instanceof GoFunc
  );
}

function sameStruct(a: GoValue, b: GoValue): boolean {
  if (!(a instanceof GoStruct) || !(b instanceof GoStruct)) return false;
  if (a.pointer || b.pointer) return a === b;
  if (a.type !== b.type) return false;
  for (const [name, field] of a.fields) {
    const other = b.fields.get(name);
    if (other === undefined || !equalValues(field, other)) return false;
  }
  return true;
}

function equalValues(a: GoValue, b: GoValue): boolean {
  if (a instanceof GoInt && b instanceof GoInt) return a.kind === b.kind && a.value === b.value;
  if (a instanceof GoStruct) return sameStruct(a, b);
  return a === b;
}

function shown(value: GoValue, verb: string, context: BuiltinContext): ByteString {
  return context.revealValues ? sprintf(verb, [value]) : `<hidden ${goTypeOf(value)}>`;
}

function equal(args: Value[], context: BuiltinContext): boolean {
  const first = unbox(args[0]);
  if (args.length < 2) throw new GoFuncError('missing argument for comparison');
  const firstKind = basicKind(first);
  for (const raw of args.slice(1)) {
    const other = unbox(raw);
    const otherKind = basicKind(other);
    let result = false;
    if (firstKind !== otherKind) {
      if (firstKind === 'int' && otherKind === 'uint') {
        result = (first as GoInt).value >= 0n && (first as GoInt).value === (other as GoInt).value;
      } else if (firstKind === 'uint' && otherKind === 'int') {
        result = (other as GoInt).value >= 0n && (first as GoInt).value === (other as GoInt).value;
      } else if (first !== undefined && other !== undefined) {
        throw new GoFuncError(BAD_COMPARISON);
      }
    } else if (firstKind === 'int' || firstKind === 'uint') {
      result = (first as GoInt).value === (other as GoInt).value;
    } else if (firstKind !== 'invalid') {
      result = first === other;
    } else {
      const firstReflectKind = kindOf(first);
      const otherReflectKind = kindOf(other);
      if (firstReflectKind !== otherReflectKind && first !== undefined && other !== undefined) {
        throw new GoFuncError(
          `non-comparable types ${shown(first, '%s', context)}: ${staticType(first)}, ${staticType(other)}: ${shown(other, '%v', context)}`,
        );
      }
      if (isNilValue(first) || isNilValue(other)) {
        result = isNilValue(first) === isNilValue(other);
      } else {
        if (!comparable(other!)) {
          throw new GoFuncError(`non-comparable type ${shown(other!, '%s', context)}: ${goTypeOf(other!)}`);
        }
        result = equalValues(first!, other!);
      }
    }
    if (result) return true;
  }
  return false;
}

function less(args: Value[]): boolean {
  const first = unbox(args[0]);
  const firstKind = basicKind(first);
  if (firstKind === 'invalid') throw new GoFuncError(BAD_COMPARISON_TYPE);
  const second = unbox(args[1]);
  const secondKind = basicKind(second);
  if (secondKind === 'invalid') throw new GoFuncError(BAD_COMPARISON_TYPE);
  if (firstKind !== secondKind) {
    if (firstKind === 'int' && secondKind === 'uint') {
      return (first as GoInt).value < 0n || (first as GoInt).value < (second as GoInt).value;
    }
    if (firstKind === 'uint' && secondKind === 'int') {
      return (second as GoInt).value >= 0n && (first as GoInt).value < (second as GoInt).value;
    }
    throw new GoFuncError(BAD_COMPARISON);
  }
  switch (firstKind) {
    case 'bool':
      throw new GoFuncError(BAD_COMPARISON_TYPE);
    case 'int':
    case 'uint':
      return (first as GoInt).value < (second as GoInt).value;
    case 'float':
      return (first as number) < (second as number);
    default:
      return (first as string) < (second as string);
  }
}

function lessOrEqual(args: Value[], context: BuiltinContext): boolean {
  return less(args) || equal(args, context);
}

// -- call ----------------------------------------------------------------------------------------------------

function callFunction(args: Value[], context: BuiltinContext): Value {
  const name = args[0] as ByteString;
  const fn = unbox(args[1]);
  if (fn === undefined) throw new GoFuncError('call of nil');
  if (!(fn instanceof GoFunc)) throw new GoFuncError(`non-function ${name} of type ${goTypeOf(fn)}`);
  const { params, variadic } = fn.signature;
  const callArgs = args.slice(2);
  if (variadic) {
    if (callArgs.length < params.length - 1) {
      throw new GoFuncError(
        `wrong number of args for ${name}: got ${callArgs.length} want at least ${params.length - 1}`,
      );
    }
  } else if (callArgs.length !== params.length) {
    throw new GoFuncError(`wrong number of args for ${name}: got ${callArgs.length} want ${params.length}`);
  }
  const prepared = callArgs.map((raw, position) => {
    const type = variadic && position >= params.length - 1 ? params[params.length - 1]! : params[position]!;
    try {
      return prepareArg(unbox(raw), type);
    } catch (error) {
      if (error instanceof GoFuncError) throw new GoFuncError(`arg ${position}: ${error.message}`);
      throw error;
    }
  });
  return context.invoke(fn, prepared);
}

// -- the table -----------------------------------------------------------------------------------------------

const R = REFLECT_VALUE;

const BUILTINS: readonly Builtin[] = [
  builtin('and', [R, R], true, R, false, notReached),
  builtin('call', [R, R], true, R, true, callFunction),
  builtin('html', [ANY], true, 'string', false, (args, context) =>
    htmlEscape(evalArgs(args, context.maxOutputBytes)),
  ),
  builtin('index', [R, R], true, R, true, index),
  builtin('slice', [R, R], true, R, true, slice),
  builtin('js', [ANY], true, 'string', false, (args, context) =>
    jsEscape(evalArgs(args, context.maxOutputBytes)),
  ),
  builtin('len', [R], false, 'int', true, length),
  builtin('not', [R], false, 'bool', false, (args) => !truth(args[0])),
  builtin('or', [R, R], true, R, false, notReached),
  builtin('print', [ANY], true, 'string', false, (args, context) =>
    sprint(args.map(plain), context.maxOutputBytes),
  ),
  builtin('printf', ['string', ANY], true, 'string', false, (args, context) =>
    sprintf(args[0] as ByteString, args.slice(1).map(plain), context.maxOutputBytes),
  ),
  builtin('println', [ANY], true, 'string', false, (args, context) =>
    sprintln(args.map(plain), context.maxOutputBytes),
  ),
  builtin('urlquery', [ANY], true, 'string', false, (args, context) =>
    queryEscape(evalArgs(args, context.maxOutputBytes)),
  ),
  builtin('eq', [R, R], true, 'bool', true, equal),
  builtin('ge', [R, R], false, 'bool', true, (args) => !less(args)),
  builtin('gt', [R, R], false, 'bool', true, (args, context) => !lessOrEqual(args, context)),
  builtin('le', [R, R], false, 'bool', true, lessOrEqual),
  builtin('lt', [R, R], false, 'bool', true, less),
  builtin('ne', [R, R], false, 'bool', true, (args, context) => !equal(args, context)),
];

const BY_NAME: ReadonlyMap<string, Builtin> = new Map(BUILTINS.map((entry) => [entry.fn.name, entry]));

/** The built-in function of that name (its Go signature), if any. */
export function builtinFunction(name: string): GoFunc | undefined {
  return BY_NAME.get(name)?.fn;
}

export function isBuiltinFunction(fn: GoFunc): boolean {
  return BY_NAME.get(fn.name)?.fn === fn;
}

export function runBuiltin(fn: GoFunc, args: Value[], context: BuiltinContext): Value {
  return BY_NAME.get(fn.name)!.implementation(args, context);
}
