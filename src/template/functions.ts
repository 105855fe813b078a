/**
 * Function maps: how functions are declared for templates, and the sets consumers choose from. A Go FuncMap
 * maps names to Go functions whose signatures the engine checks arguments against; here each function
 * declares that signature explicitly (see README.md for authors), so arity and type errors read exactly like
 * Go's ("wrong number of args for upper: want 1 got 2", "wrong type for value; expected string; got int").
 */
import { GoFunc, canBeNil, isIntKind, INTERFACE, type GoFuncImplementation, type GoType } from './values.ts';

export interface FunctionDefinition {
  /** A Go identifier: letters, digits and underscores, not starting with a digit. */
  readonly name: string;
  /** Parameter types as Go prints them ("string", "int", "interface {}", "[]interface {}"…). */
  readonly params: readonly GoType[];
  /** The last parameter is variadic: `params` ends with the element type T of `...T`. */
  readonly variadic?: boolean;
  /** The (first) result type. */
  readonly result: GoType;
  /** The Go function also returns an error; the implementation reports it by throwing GoFuncError. */
  readonly returnsError?: boolean;
  readonly call: GoFuncImplementation;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;

const BASIC_TYPES = new Set(['string', 'bool', 'float64', INTERFACE]);

/** Whether a type is one the data model (values.ts) can hold. */
export function isSupportedType(type: GoType): boolean {
  if (BASIC_TYPES.has(type) || isIntKind(type)) return true;
  if (type.startsWith('[]')) return isSupportedType(type.slice(2));
  if (type.startsWith('map[string]')) return isSupportedType(type.slice('map[string]'.length));
  // Struct, pointer and func types are named freely (sprig's "*semver.Version", "func(int) int").
  return type.startsWith('*') || type.startsWith('func(') || /^[\w.]+$/.test(type);
}

/** Declares a template function; throws when the declaration could not be a Go function of a FuncMap. */
export function defineFunction(definition: FunctionDefinition): GoFunc {
  const { name, params, variadic = false, result, returnsError = false, call } = definition;
  if (!IDENTIFIER.test(name))
    throw new TypeError(`function name ${JSON.stringify(name)} is not a valid identifier`);
  if (variadic && params.length === 0)
    throw new TypeError(`function ${name}: a variadic function needs a parameter`);
  for (const type of [...params, result]) {
    if (!isSupportedType(type)) throw new TypeError(`function ${name}: unsupported type ${type}`);
  }
  return new GoFunc(name, { params, variadic, result, returnsError }, call);
}

/**
 * A named set of functions (without Go's built-ins, which every template has). Sets are immutable; `extend`
 * and `without` make new ones, so a consumer's set can be sprig's plus its additions minus what it removes.
 */
export class FunctionSet {
  readonly name: string;
  readonly #functions: ReadonlyMap<string, GoFunc>;

  constructor(name: string, functions: Iterable<GoFunc>) {
    this.name = name;
    this.#functions = new Map([...functions].map((fn) => [fn.name, fn]));
  }

  get(name: string): GoFunc | undefined {
    return this.#functions.get(name);
  }

  has(name: string): boolean {
    return this.#functions.has(name);
  }

  names(): string[] {
    return [...this.#functions.keys()].sort();
  }

  /** This set plus `functions`; a function of the same name replaces this set's. */
  extend(name: string, functions: Iterable<GoFunc>): FunctionSet {
    return new FunctionSet(name, [...this.#functions.values(), ...functions]);
  }

  /** This set without the named functions. */
  without(name: string, removed: Iterable<string>): FunctionSet {
    const drop = new Set(removed);
    return new FunctionSet(
      name,
      [...this.#functions.values()].filter((fn) => !drop.has(fn.name)),
    );
  }
}

/** Go's built-ins only. */
export const NO_FUNCTIONS = new FunctionSet('none', []);

/** Whether an untyped nil may be passed for the parameter type (re-exported for function authors). */
export { canBeNil };
