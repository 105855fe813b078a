/**
 * Shorthands for declaring sprig's functions with their Go signatures, and the Go runtime messages that
 * sprig's panics turn into (text/template recovers a panicking function and reports the panic value).
 */
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import { FormatLimitError } from '../../go-fmt.ts';
import type { CallContext, GoFunc, GoType, GoValue } from '../../values.ts';

export const ANY: GoType = 'interface {}';
export const ANY_LIST: GoType = '[]interface {}';
export const ANY_MAP: GoType = 'map[string]interface {}';

export type Call = (args: GoValue[], context: CallContext) => GoValue;

export interface Options {
  /** The last parameter is `...T`. */
  readonly variadic?: boolean;
  /** The Go function returns (T, error). */
  readonly returnsError?: boolean;
}

/** A function with its Go signature: `fn('upper', ['string'], 'string', ([s]) => …)`. */
export function fn(
  name: string,
  params: GoType[],
  result: GoType,
  call: Call,
  options: Options = {},
): GoFunc {
  return defineFunction({ name, params, result, call, ...options });
}

/** The same implementation under another name (sprig registers several aliases). */
export function alias(name: string, original: GoFunc): GoFunc {
  const { params, variadic, result, returnsError } = original.signature;
  return defineFunction({ name, params, variadic, result, returnsError, call: original.implementation });
}

/** A Go runtime panic inside a function, as text/template reports it ("runtime error: …"). */
export function runtimeError(message: string): GoFuncError {
  return new GoFuncError(`runtime error: ${message}`);
}

/** What calling a method on reflect.TypeOf(nil) does in sprig's list functions. */
export function nilDereference(): GoFuncError {
  return runtimeError('invalid memory address or nil pointer dereference');
}

/** The panic of a failed type assertion `v.(T)` on an interface {} value. */
export function interfaceConversion(actual: GoType | undefined, wanted: GoType): GoFuncError {
  return new GoFuncError(`interface conversion: interface {} is ${actual ?? 'nil'}, not ${wanted}`);
}

/**
 * Functions that build big results (repeat, indent, until…) stop where the render's output limit would, with
 * the engine's own limit error; their work counts against the step budget.
 */
export function checkSize(units: number, context: CallContext): void {
  if (units > context.maxOutputBytes) throw new FormatLimitError(context.maxOutputBytes);
  context.charge(Math.ceil(units / 64));
}
