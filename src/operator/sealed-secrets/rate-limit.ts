/**
 * The HTTP API's rate limit (pure; the caller passes the time): the generic cell rate algorithm, as the
 * Bitnami controller limits /v1/verify and /v1/rotate: `rate` requests per second sustained, `burst` more
 * at once, counted per key (path plus X-Forwarded-For). At most `maxKeys` keys are remembered, the least
 * recently used forgotten first.
 */

export interface RateDecision {
  allowed: boolean;
  /** Requests that would still be allowed right now. */
  remaining: number;
  /** When denied: how long until one would be allowed. */
  retryAfterMs: number;
  /** How long until the key's allowance is whole again. */
  resetAfterMs: number;
}

export class GcraLimiter {
  readonly limit: number;
  readonly #intervalMs: number;
  readonly #toleranceMs: number;
  readonly #maxKeys: number;
  /** key → theoretical arrival time of the next request (ms). */
  readonly #arrivals = new Map<string, number>();

  constructor(ratePerSecond: number, burst: number, maxKeys = 65_536) {
    if (!(ratePerSecond > 0)) throw new RangeError('the rate must be positive');
    this.#intervalMs = 1000 / ratePerSecond;
    this.#toleranceMs = Math.max(0, burst) * this.#intervalMs;
    this.limit = Math.max(0, burst) + 1;
    this.#maxKeys = maxKeys;
  }

  take(key: string, nowMs: number): RateDecision {
    const previous = this.#arrivals.get(key);
    const arrival = Math.max(previous ?? nowMs, nowMs);
    const next = arrival + this.#intervalMs;
    const allowAt = next - this.#toleranceMs - this.#intervalMs;
    if (allowAt > nowMs) {
      return {
        allowed: false,
        remaining: 0,
        retryAfterMs: allowAt - nowMs,
        resetAfterMs: arrival - nowMs,
      };
    }
    this.#arrivals.delete(key);
    this.#arrivals.set(key, next);
    if (this.#arrivals.size > this.#maxKeys) {
      const oldest = this.#arrivals.keys().next().value;
      if (oldest !== undefined) this.#arrivals.delete(oldest);
    }
    const used = Math.ceil((next - nowMs) / this.#intervalMs);
    return {
      allowed: true,
      remaining: Math.max(0, this.limit - used),
      retryAfterMs: 0,
      resetAfterMs: next - nowMs,
    };
  }
}
