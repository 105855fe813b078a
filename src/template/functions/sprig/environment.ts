/**
 * What sprig's non-hermetic functions read from the world (the clock, randomness, time zones), passed in so
 * the functions stay pure: tests give a fixed clock, the system environment (system-environment.ts) gives the
 * real ones.
 */
import type { Location } from './go-time.ts';

export interface SprigEnvironment {
  /**
   * time.Now: nanoseconds since the Unix epoch (used when a function runs without a render clock), and the
   * monotonic clock reading Time.String shows (m=…).
   */
  now(): { readonly unixNanos: bigint; readonly monotonicNanos: bigint };
  /** Cryptographically random bytes (randAlphaNum and friends, uuidv4, shuffle). */
  randomBytes(count: number): Uint8Array;
  /** time.Local. */
  readonly local: Location;
  /** time.LoadLocation for an IANA name other than "", "UTC" and "Local"; undefined when Go would fail. */
  loadLocation(name: string): Location | undefined;
}

/** A uniform integer in [0, n) from the environment's random bytes. */
export function randomInt(environment: SprigEnvironment, n: number): number {
  if (n <= 1) return 0;
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const bytes = environment.randomBytes(4);
    const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (value < limit) return value % n;
  }
}
