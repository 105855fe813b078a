/**
 * Delays between retries (pure). Two shapes, both as in client-go: per-item exponential backoff for the work
 * queue (5 ms doubling to 1000 s, `ItemExponentialFailureRateLimiter`), and jittered exponential backoff for
 * reconnecting watches, so that a restarted API server is not met by every client at the same instant.
 */

export interface ExponentialBackoff {
  baseMs: number;
  maxMs: number;
}

/** client-go's `DefaultTypedControllerRateLimiter` per-item part. */
export const ITEM_BACKOFF: ExponentialBackoff = { baseMs: 5, maxMs: 1_000_000 };

/** The delay before retry number `failures` (0 for the first retry): base · 2^failures, capped at max. */
export function exponentialDelay(failures: number, backoff: ExponentialBackoff): number {
  // 2^failures overflows to Infinity long after passing any sensible max; the cap keeps the result finite.
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures));
}

/** Counts failures per item: each `when` is the next delay, `forget` starts the item over. */
export class ItemBackoff<Item> {
  readonly #failures = new Map<Item, number>();
  readonly #backoff: ExponentialBackoff;

  constructor(backoff: ExponentialBackoff = ITEM_BACKOFF) {
    this.#backoff = backoff;
  }

  when(item: Item): number {
    const failures = this.#failures.get(item) ?? 0;
    this.#failures.set(item, failures + 1);
    return exponentialDelay(failures, this.#backoff);
  }

  retries(item: Item): number {
    return this.#failures.get(item) ?? 0;
  }

  forget(item: Item): void {
    this.#failures.delete(item);
  }
}

export interface JitteredBackoff extends ExponentialBackoff {
  /** Up to this fraction of the delay is added at random (client-go's reflector uses 1.0). */
  jitter: number;
}

/** Watch reconnects: 1 s doubling to 30 s, plus up to 100 % at random. */
export const RECONNECT_BACKOFF: JitteredBackoff = { baseMs: 1_000, maxMs: 30_000, jitter: 1 };

/** `random` returns a number in [0, 1), as Math.random does; tests pass a fixed one. */
export function jitteredDelay(attempt: number, backoff: JitteredBackoff, random: () => number): number {
  const delay = exponentialDelay(attempt, backoff);
  return delay + delay * backoff.jitter * random();
}
