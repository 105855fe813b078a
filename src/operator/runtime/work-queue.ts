/**
 * The work queue controllers pull keys from, with client-go's semantics:
 * - an item is never handed to two workers at once; adding an item that is already waiting does nothing, and
 *   adding one that is being processed marks it dirty, so it is queued once more when `done` is called;
 * - `addAfter` delays an item (the earliest of several delays wins);
 * - `addRateLimited` delays it by the larger of its own exponential backoff (5 ms → 1000 s) and an overall
 *   token bucket (10 qps, burst 100), so that many failing items cannot hammer the API server together;
 * - `forget` resets an item's backoff after a success.
 * Shutting down hands out nothing more, not even items already queued: a controller that lost its lease must stop
 * at once, and whoever leads next lists everything anyway. `drained` resolves when in-flight items are done.
 */
import { ItemBackoff, ITEM_BACKOFF, type ExponentialBackoff } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

/** What a queue reports, for metrics (kept as an interface so the queue does not depend on prom-client). */
export interface QueueObserver {
  added(): void;
  depth(items: number): void;
  retried(): void;
  /** An item left the queue for a worker after waiting this long. */
  waited(ms: number): void;
  /** A worker finished an item after working this long. */
  worked(ms: number): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  itemBackoff?: ExponentialBackoff;
  /** The overall limit on rate-limited re-adds (client-go: 10 qps, burst 100). */
  qps?: number;
  burst?: number;
  observer?: QueueObserver;
}

export class WorkQueue<Item = string> {
  readonly #clock: Clock;
  readonly #backoff: ItemBackoff<Item>;
  readonly #bucket: TokenBucket;
  readonly #observer: QueueObserver | undefined;
  /** Items waiting for a worker, in order. */
  readonly #queue: Item[] = [];
  /** Items that need processing: queued, or changed while processing. */
  readonly #dirty = new Set<Item>();
  /** Items handed to a worker, with the time they were handed out. */
  readonly #processing = new Map<Item, number>();
  /** When each dirty item was added (for the waited metric). */
  readonly #addedAt = new Map<Item, number>();
  /** Items scheduled by addAfter: their due time and the timer's cancel function. */
  readonly #waiting = new Map<Item, { dueMs: number; cancel: () => void }>();
  readonly #getters: ((item: Item | undefined) => void)[] = [];
  readonly #drainWaiters: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new ItemBackoff(options.itemBackoff ?? ITEM_BACKOFF);
    this.#bucket = new TokenBucket(options.qps ?? 10, options.burst ?? 100, this.#clock.now());
    this.#observer = options.observer;
  }

  get length(): number {
    return this.#queue.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Items being processed right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  add(item: Item): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#observer?.added();
    this.#dirty.add(item);
    this.#addedAt.set(item, this.#clock.now());
    if (this.#processing.has(item)) return;
    this.#push(item);
  }

  /** Adds the item after `ms`; an earlier pending schedule of the same item is kept. */
  addAfter(item: Item, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const dueMs = this.#clock.now() + ms;
    const pending = this.#waiting.get(item);
    if (pending) {
      if (pending.dueMs <= dueMs) return;
      pending.cancel();
    }
    const cancel = this.#clock.schedule(() => {
      this.#waiting.delete(item);
      this.add(item);
    }, ms);
    this.#waiting.set(item, { dueMs, cancel });
  }

  /** Adds the item after its backoff (or the overall limit, whichever is longer). */
  addRateLimited(item: Item): void {
    this.#observer?.retried();
    const delay = Math.max(this.#backoff.when(item), this.#bucket.reserve(this.#clock.now()));
    this.addAfter(item, delay);
  }

  /** How many times the item has been re-added with backoff since it last succeeded. */
  retries(item: Item): number {
    return this.#backoff.retries(item);
  }

  forget(item: Item): void {
    this.#backoff.forget(item);
  }

  /** The next item for a worker, or undefined once the queue shuts down. */
  get(): Promise<Item | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const item = this.#queue.shift();
    if (item !== undefined) return Promise.resolve(this.#handOut(item));
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** A worker finished the item: if it was added meanwhile, it is queued again. */
  done(item: Item): void {
    const started = this.#processing.get(item);
    if (started === undefined) return;
    this.#processing.delete(item);
    this.#observer?.worked(this.#clock.now() - started);
    if (this.#dirty.has(item) && !this.#shuttingDown) this.#push(item);
    if (this.#processing.size === 0) for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  /** Stops handing out items and cancels delayed ones; waiting workers get undefined. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { cancel } of this.#waiting.values()) cancel();
    this.#waiting.clear();
    this.#queue.length = 0;
    this.#observer?.depth(0);
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
  }

  /** Resolves when no item is being processed. */
  drained(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #push(item: Item): void {
    const getter = this.#getters.shift();
    if (getter) {
      getter(this.#handOut(item));
      return;
    }
    this.#queue.push(item);
    this.#observer?.depth(this.#queue.length);
  }

  #handOut(item: Item): Item {
    const now = this.#clock.now();
    this.#dirty.delete(item);
    this.#processing.set(item, now);
    this.#observer?.waited(now - (this.#addedAt.get(item) ?? now));
    this.#addedAt.delete(item);
    this.#observer?.depth(this.#queue.length);
    return item;
  }
}
