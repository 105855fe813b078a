/**
 * A token bucket (pure: the caller passes the time). Tokens accrue at `qps` up to `burst`; a reservation takes
 * one token now and says how long to wait before using it, letting the balance go negative as golang.org/x/time's
 * `rate.Limiter.Reserve` does, so that waiting callers are served in order at exactly `qps`.
 */

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  #tokens: number;
  #updatedMs: number;

  constructor(qps: number, burst: number, nowMs: number) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs qps > 0 and burst >= 1');
    this.qps = qps;
    this.burst = burst;
    this.#tokens = burst;
    this.#updatedMs = nowMs;
  }

  /** Takes a token and returns the milliseconds to wait before acting on it (0 when one was available). */
  reserve(nowMs: number): number {
    this.#refill(nowMs);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  /** Takes a token only if one is available now. */
  tryTake(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#updatedMs);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.qps);
    this.#updatedMs = Math.max(this.#updatedMs, nowMs);
  }
}
