/**
 * Read, change, write; on 409 Conflict read again and repeat (client-go's retry.RetryOnConflict with its
 * DefaultRetry: 5 attempts, 10 ms apart with 10 % jitter). `mutate` sees the freshest object each time, so a
 * change made concurrently by someone else is kept, never overwritten.
 */
import { isConflict } from './api-client.ts';
import { sleep, systemClock, type Clock } from './clock.ts';

export interface RetryOptions {
  attempts?: number;
  delayMs?: number;
  clock?: Clock;
  random?: () => number;
  isConflict?: (error: unknown) => boolean;
}

/**
 * `mutate` returns the object to write, or undefined when nothing needs to change (nothing is written and the
 * current object is returned). The last conflict is thrown once the attempts are used up.
 */
export async function updateWithRetry<T>(
  get: () => Promise<T>,
  mutate: (current: T) => T | undefined,
  put: (next: T) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const conflict = options.isConflict ?? isConflict;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const current = await get();
    const next = mutate(current);
    if (next === undefined) return current;
    try {
      return await put(next);
    } catch (error) {
      if (!conflict(error) || attempt >= attempts) throw error;
      const delay = options.delayMs ?? 10;
      await sleep(clock, delay * (1 + 0.1 * random()));
    }
  }
}
