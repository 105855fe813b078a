/**
 * kube-apiserver's `prefixTransformers` (storage/value/transformer.go): "the first transformer writes, every
 * transformer may read". Used twice: providers within a resource's configuration, and keys within an aescbc,
 * aesgcm or secretbox provider.
 *
 * - Write: the first entry; the output is its prefix followed by what it wrote.
 * - Read: every entry whose prefix the value starts with, in order, until one succeeds; the result is stale when
 *   that entry is not the first one. A failure does not stop the loop (two entries may share a prefix). The
 *   identity entry has an empty prefix and refuses `k8s:enc:` data: its refusal is skipped, not reported.
 * - Nothing matched: the chain's own "no match" error; something matched and failed: those failures.
 *
 * Transformers may answer synchronously or with a promise (KMS plugins are remote): the loop stays synchronous
 * until one of them returns a promise, so the local providers cost no promise per value.
 */
import { ProviderError, type EncryptionErrorCode } from './errors.ts';

export type Maybe<T> = T | Promise<T>;

export interface Read {
  value: Uint8Array;
  stale: boolean;
}

export interface Transformer {
  /** `data` is the stored value after this transformer's prefix; `key` is the etcd key (the AEAD's AAD). */
  fromStorage(data: Uint8Array, key: string): Maybe<Read>;
  /**
   * The stored form of `plain`, with `reserve` bytes left free at the front for the prefixes of the enclosing
   * chains (written there by them, so that a value is assembled without copies).
   */
  toStorage(plain: Uint8Array, key: string, reserve: number): Maybe<Uint8Array>;
}

export interface PrefixEntry {
  prefix: Uint8Array;
  transformer: Transformer;
}

export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export class PrefixChain implements Transformer {
  readonly entries: readonly PrefixEntry[];
  readonly #noMatch: (data: Uint8Array, key: string) => ProviderError;

  constructor(entries: readonly PrefixEntry[], noMatch: (data: Uint8Array, key: string) => ProviderError) {
    if (entries.length === 0) throw new Error('a prefix chain needs at least one entry');
    this.entries = entries;
    this.#noMatch = noMatch;
  }

  fromStorage(data: Uint8Array, key: string): Maybe<Read> {
    return this.#readFrom(0, data, key, []);
  }

  toStorage(plain: Uint8Array, key: string, reserve: number): Maybe<Uint8Array> {
    const { prefix, transformer } = this.entries[0] as PrefixEntry;
    const written = transformer.toStorage(plain, key, reserve + prefix.length);
    if (isPromise(written)) return written.then((out) => withPrefix(out, reserve, prefix));
    return withPrefix(written, reserve, prefix);
  }

  #readFrom(start: number, data: Uint8Array, key: string, failures: unknown[]): Maybe<Read> {
    for (let i = start; i < this.entries.length; i++) {
      const { prefix, transformer } = this.entries[i] as PrefixEntry;
      if (!startsWith(data, prefix)) continue;
      let result: Maybe<Read>;
      try {
        result = transformer.fromStorage(prefix.length === 0 ? data : data.subarray(prefix.length), key);
      } catch (error) {
        if (prefix.length > 0) failures.push(error);
        continue;
      }
      if (isPromise(result)) {
        return result.then(
          (read) => (i === 0 || read.stale ? read : { value: read.value, stale: true }),
          (error: unknown) => {
            if (prefix.length > 0) failures.push(error);
            return this.#readFrom(i + 1, data, key, failures);
          },
        );
      }
      return i === 0 || result.stale ? result : { value: result.value, stale: true };
    }
    if (failures.length === 0) throw this.#noMatch(data, key);
    throw combine(failures);
  }
}

function withPrefix(out: Uint8Array, reserve: number, prefix: Uint8Array): Uint8Array {
  if (prefix.length > 0) out.set(prefix, reserve);
  return out;
}

/** kube aggregates the failures of every matching entry; so do we, keeping the first one's code. */
function combine(failures: readonly unknown[]): ProviderError {
  if (failures.length === 1 && failures[0] instanceof ProviderError) return failures[0];
  const first = failures[0];
  const code: EncryptionErrorCode = first instanceof ProviderError ? first.code : 'ERR_ENCRYPTION_DECRYPT';
  const message = failures.map((failure) => (failure instanceof Error ? failure.message : String(failure)));
  return new ProviderError(code, message.join('; '), { cause: first });
}

/** Bytes of an ASCII/UTF-8 prefix. */
export function prefixBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * A short, printable label read from stored data (a key or provider name after a known prefix), for error
 * messages only: at most 64 characters up to the next `:`, and only if they are printable ASCII.
 */
export function labelAt(data: Uint8Array, start: number): string | undefined {
  let end = start;
  while (end < data.length && end - start <= 64 && data[end] !== 0x3a) end++;
  if (end >= data.length || data[end] !== 0x3a || end - start > 64) return undefined;
  let label = '';
  for (let i = start; i < end; i++) {
    const byte = data[i] as number;
    if (byte < 0x20 || byte > 0x7e) return undefined;
    label += String.fromCharCode(byte);
  }
  return label;
}
