/**
 * An ordered set of private sealing keys and the order in which to try them: the key named by a hint
 * first, then newest to oldest. Upstream tries keys in random map order, so every key added by renewal
 * makes a miss more likely; the hint makes the common case one RSA operation. Pure: no I/O.
 */
import type { SealingKey } from './keys.ts';
import { keyFits, openWithKey, splitSealed, type SealedParts } from './format.ts';

export interface OpenedValue {
  plaintext: Buffer;
  key: SealingKey;
}

export class Keyring {
  readonly keys: readonly SealingKey[];
  readonly #byFingerprint: ReadonlyMap<string, SealingKey>;

  /** Keys are ordered newest first (undated keys last, in the order given); duplicates collapse. */
  constructor(keys: Iterable<SealingKey>) {
    const unique = new Map<string, SealingKey>();
    for (const key of keys) if (!unique.has(key.fingerprint)) unique.set(key.fingerprint, key);
    this.keys = [...unique.values()]
      .map((key, index) => ({ key, index }))
      .sort((a, b) => compareNewestFirst(a.key, b.key) || a.index - b.index)
      .map(({ key }) => key);
    this.#byFingerprint = unique;
  }

  get size(): number {
    return this.keys.length;
  }

  get newest(): SealingKey | undefined {
    return this.keys[0];
  }

  has(fingerprint: string): boolean {
    return this.#byFingerprint.has(fingerprint);
  }

  /** The keys in the order to try them for a value whose SealedSecret names `hint`. */
  candidates(hint?: string): SealingKey[] {
    const hinted = hint ? this.#byFingerprint.get(hint) : undefined;
    return hinted ? [hinted, ...this.keys.filter((key) => key !== hinted)] : [...this.keys];
  }

  /** Opens one sealed value; `undefined` when no key fits. Throws only when the data is malformed. */
  open(data: Uint8Array, label: Uint8Array, hint?: string): OpenedValue | undefined {
    return this.openCounting(data, label, hint).opened;
  }

  /** As `open`, also saying how many RSA private-key operations it took (what unsealing costs). */
  openCounting(
    data: Uint8Array,
    label: Uint8Array,
    hint?: string,
  ): { opened: OpenedValue | undefined; rsaOperations: number } {
    const parts: SealedParts = splitSealed(data);
    let rsaOperations = 0;
    for (const key of this.candidates(hint)) {
      if (!keyFits(key.privateKey, parts)) continue;
      rsaOperations++;
      const plaintext = openWithKey(key.privateKey, parts, label);
      if (plaintext) return { opened: { plaintext, key }, rsaOperations };
    }
    return { opened: undefined, rsaOperations };
  }
}

function compareNewestFirst(a: SealingKey, b: SealingKey): number {
  if (a.createdAt && b.createdAt) return b.createdAt.getTime() - a.createdAt.getTime();
  if (a.createdAt) return -1;
  if (b.createdAt) return 1;
  return 0;
}
