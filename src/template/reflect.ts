/**
 * What Go's reflect.Value adds to a plain value, as far as template execution can observe it:
 *
 * - "no value" (the invalid reflect.Value: a missing map key, an unset variable's data), written `undefined`;
 *   it prints as "<no value>" and most functions refuse it;
 * - a value read through an `interface {}` slot (an element of []interface {}, a value of
 *   map[string]interface {}, a function result of type interface {}): Go keeps such values behind the
 *   interface until a pipeline step ends, and that shows in messages ("nil pointer evaluating interface {}.x",
 *   "wrong type for value; expected string; got interface {}") and in what `len` says of a nil element.
 *   `Boxed` stands for it; `null` inside is the nil interface.
 *
 * Only the executor and the built-in functions see these; functions registered by authors get plain values.
 */
import {
  GoBytes,
  GoList,
  GoMap,
  GoStruct,
  GoFunc,
  INTERFACE,
  goTypeOf,
  type GoType,
  type GoValue,
} from './values.ts';

export class Boxed {
  readonly inner: GoValue;

  constructor(inner: GoValue) {
    this.inner = inner;
  }
}

/** A value as the executor holds it. */
export type Value = GoValue | Boxed | undefined;

/** The value inside an interface; the nil interface is no value (Go's indirectInterface). */
export function unbox(value: Value): GoValue | undefined {
  if (value instanceof Boxed) return value.inner === null ? undefined : value.inner;
  return value === null ? undefined : value;
}

/** The element of a slot of the given static type: boxed when the slot is an interface. */
export function slotValue(value: GoValue, slotType: GoType): Value {
  return slotType === INTERFACE ? new Boxed(value) : value;
}

/** The static type of a value (the interface type for boxed ones). */
export function staticType(value: Exclude<Value, undefined>): GoType {
  return value instanceof Boxed ? INTERFACE : goTypeOf(value);
}

/** Go's reflect.Kind names, for the few places that compare kinds. */
export function kindOf(value: Value): string {
  if (value === undefined) return 'invalid';
  if (value instanceof Boxed) return 'interface';
  if (value === null) return 'interface';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
  }
  if (value instanceof GoList || value instanceof GoBytes) return 'slice';
  if (value instanceof GoMap) return 'map';
  if (value instanceof GoStruct) return value.pointer ? 'ptr' : 'struct';
  if (value instanceof GoFunc) return 'func';
  return value.kind;
}

/** Go's template truth: false, 0, nil, and empty strings, slices and maps are false (isTrue). */
export function isTrue(value: GoValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'string':
      return value.length > 0;
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
  }
  if (value instanceof GoList) return value.items.length > 0;
  if (value instanceof GoBytes) return value.bytes.length > 0;
  if (value instanceof GoMap) return value.entries.size > 0;
  if (value instanceof GoStruct || value instanceof GoFunc) return true;
  return value.value !== 0n;
}

/** Truth of a value that may be boxed (Go's truth(): isTrue(indirectInterface(v))). */
export function truth(value: Value): boolean {
  return isTrue(unbox(value));
}
