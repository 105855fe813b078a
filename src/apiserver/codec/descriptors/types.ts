/**
 * Message descriptors: for each protobuf message, its fields in Go struct order (which is also the order of the
 * JSON keys and of the fields in upstream's generated.proto), each with its field number, JSON name, type and the
 * two Go facts that decide both encodings:
 *
 * - whether the Go field is a pointer (gogo writes it only when set; JSON shows it exactly when it is set), and
 * - whether its JSON tag has `omitempty` (the zero value is left out of JSON; gogo still writes non-pointer
 *   scalars, even zero ones). `omitempty` has no effect on structs: a non-pointer message is always in the JSON.
 *
 * Tables are written by hand from the field numbers and names of upstream's generated.proto (Kubernetes 1.32)
 * and the JSON tags of its types.go. Each message is registered under a short name (`core.Container`); fields
 * refer to messages by that name, to scalars by `string`, `bool`, `int32`, `int64` or `bytes` (base64 in JSON).
 */

export type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'bytes';

/** Messages with their own JSON form (Go types with MarshalJSON) and, for some, their own Unmarshal. */
export type Special = 'Time' | 'MicroTime' | 'IntOrString' | 'Quantity' | 'RawJSON';

export interface FieldDescriptor {
  readonly number: number;
  /** The JSON name (for an inline field, the proto name; its fields appear in the parent's JSON). */
  readonly name: string;
  /** A {@link Scalar}, or the registered name of a message. */
  readonly type: string;
  /** A repeated field: a JSON array. */
  readonly repeated: boolean;
  /** A `map<string, type>` field: a JSON object. */
  readonly map: boolean;
  /** A pointer in Go: written (and shown) only when set. */
  readonly pointer: boolean;
  /** The JSON tag has `omitempty` (for pointers: nil is left out rather than shown as `null`). */
  readonly omitEmpty: boolean;
  /** An embedded struct (`json:",inline"`): a nested message in protobuf, its fields in the parent's JSON. */
  readonly inline: boolean;
}

export interface MessageDescriptor {
  readonly name: string;
  /** In Go struct order. */
  readonly fields: readonly FieldDescriptor[];
  /** The same fields by number, for decoding. */
  readonly byNumber: ReadonlyMap<number, FieldDescriptor>;
  /** The same fields in ascending number order, the order gogo writes them in. */
  readonly wireOrder: readonly FieldDescriptor[];
  readonly special?: Special | undefined;
  /**
   * The Go type has a hand-written Unmarshal that replaces the value (Time, MicroTime, Quantity); generated
   * Unmarshal code merges a repeated singular message into the earlier one.
   */
  readonly replace: boolean;
}

/**
 * One field: `[number, jsonName, type, flags?]`. Flags: `o` omitempty; `p` pointer with omitempty (nil left
 * out); `n` pointer without omitempty (nil shown as `null`); `r` repeated; `m` map<string, type>; `i` inline.
 * Without `o`, an empty repeated or map field is `null` in JSON (a nil Go slice or map).
 */
export type FieldSpec = readonly [number: number, name: string, type: string, flags?: string];

export const SCALARS: ReadonlySet<string> = new Set<Scalar>(['string', 'bool', 'int32', 'int64', 'bytes']);

const REGISTRY = new Map<string, MessageDescriptor>();

/** Registers a message; `special` marks the few with their own JSON form. */
export function message(
  name: string,
  specs: readonly FieldSpec[],
  options: { special?: Special; replace?: boolean } = {},
): MessageDescriptor {
  if (REGISTRY.has(name)) throw new Error(`protobuf descriptor ${name} is defined twice`);
  const fields = specs.map(([number, fieldName, type, flags = '']): FieldDescriptor => {
    for (const flag of flags) {
      if (!'opnrmi'.includes(flag)) throw new Error(`protobuf descriptor ${name}.${fieldName}: flag ${flag}`);
    }
    return {
      number,
      name: fieldName,
      type,
      repeated: flags.includes('r'),
      map: flags.includes('m'),
      pointer: flags.includes('p') || flags.includes('n'),
      omitEmpty: flags.includes('o') || flags.includes('p'),
      inline: flags.includes('i'),
    };
  });
  const descriptor: MessageDescriptor = {
    name,
    fields,
    byNumber: new Map(fields.map((field) => [field.number, field])),
    wireOrder: [...fields].sort((a, b) => a.number - b.number),
    special: options.special,
    replace: options.replace ?? false,
  };
  REGISTRY.set(name, descriptor);
  return descriptor;
}

/** The registered message of that name (an internal error when the tables refer to one that is missing). */
export function resolve(name: string): MessageDescriptor {
  const descriptor = REGISTRY.get(name);
  if (descriptor === undefined) throw new Error(`protobuf descriptor ${name} is not defined`);
  return descriptor;
}

export function registeredMessages(): MessageDescriptor[] {
  return [...REGISTRY.values()];
}
