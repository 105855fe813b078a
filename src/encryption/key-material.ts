/**
 * Key bytes that do not print themselves: `console.log`, `util.inspect`, `JSON.stringify` and template strings
 * show only the length, so a typed configuration can be logged or put in an error without leaking a key.
 */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class KeyMaterial {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** The key bytes themselves (a copy), for the cipher that uses them. */
  reveal(): Buffer {
    return Buffer.from(this.#bytes);
  }

  toString(): string {
    return `[key material, ${this.#bytes.length} bytes]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [INSPECT](): string {
    return this.toString();
  }
}
