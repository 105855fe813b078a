/**
 * A controller: keys go into a work queue (from informers, or by hand), N workers take them one at a time and
 * call `reconcile`. The result decides what happens next, as in controller-runtime: success forgets the key's
 * backoff; `requeueAfterMs` schedules it again (forgetting the backoff); `requeue` or a thrown error re-adds it
 * with backoff. Stopping (the run's signal, e.g. a lost lease) hands out no further keys, aborts the signal
 * in-flight reconciles see, and resolves once they have returned.
 */
import { systemClock, type Clock } from './clock.ts';
import type { Informer } from './informer.ts';
import type { Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { objectKey, type KubeObject } from './resource.ts';
import { WorkQueue, type WorkQueueOptions } from './work-queue.ts';

export interface ReconcileResult {
  /** Reconcile again after this long (a scheduled refresh; not a failure). */
  requeueAfterMs?: number;
  /** Reconcile again after the key's backoff. */
  requeue?: boolean;
}

/** Reconciles one key ("namespace/name"). `signal` aborts when the controller stops: check it before writing. */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  /** Concurrent workers (controller-runtime's MaxConcurrentReconciles; default 1). */
  workers?: number;
  /** Give up on a key after this many failed retries in a row (default: never). */
  maxRetries?: number;
  queue?: Omit<WorkQueueOptions, 'observer' | 'clock'>;
  metrics?: RuntimeMetrics;
  logger?: Logger;
  clock?: Clock;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly #options: ControllerOptions;
  readonly #clock: Clock;
  readonly #informers: Informer<KubeObject>[] = [];

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.queue = new WorkQueue<string>({
      ...options.queue,
      clock: this.#clock,
      ...(options.metrics ? { observer: options.metrics.queueObserver(options.name) } : {}),
    });
  }

  /**
   * Enqueues the keys `map` derives from each change of the informer's objects (the object's own key unless
   * given: e.g. the owner's key for owned objects). The controller waits for the informer's first sync.
   * `updated` filters updates (a resync delivers `previous === current`), e.g. to ignore status-only changes;
   * `added` filters additions, e.g. to ignore the echo of the controller's own create.
   */
  watch<T extends KubeObject>(
    informer: Informer<T>,
    map: (object: T) => readonly string[] = ownKey,
    options: { updated?: (previous: T, current: T) => boolean; added?: (object: T) => boolean } = {},
  ): void {
    this.#informers.push(informer as unknown as Informer<KubeObject>);
    const enqueue = (object: T): void => {
      for (const key of map(object)) this.queue.add(key);
    };
    const { updated, added } = options;
    informer.on({
      add: (object) => {
        if (!added || added(object)) enqueue(object);
      },
      update: (previous, current) => {
        if (!updated || updated(previous, current)) enqueue(current);
      },
      delete: enqueue,
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Runs the workers until `signal` aborts; resolves when in-flight reconciles have returned. */
  async run(signal: AbortSignal): Promise<void> {
    const stop = (): void => this.queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (const informer of this.#informers) await informer.waitForSync(signal);
      const workers = Array.from({ length: Math.max(1, this.#options.workers ?? 1) }, () =>
        this.#work(signal),
      );
      await Promise.all(workers);
      await this.queue.drained();
    } finally {
      signal.removeEventListener('abort', stop);
      this.queue.shutDown();
    }
  }

  async #work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.#reconcileOne(key, signal);
    }
  }

  async #reconcileOne(key: string, signal: AbortSignal): Promise<void> {
    const { metrics, logger, name } = this.#options;
    const labels = { controller: name };
    const started = this.#clock.now();
    metrics?.activeWorkers.inc(labels);
    try {
      const result = (await this.#options.reconcile(key, signal)) ?? {};
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics?.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (result.requeue) {
        this.queue.addRateLimited(key);
        metrics?.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.queue.forget(key);
        metrics?.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (error) {
      metrics?.reconcileTotal.inc({ ...labels, result: 'error' });
      metrics?.reconcileErrors.inc(labels);
      const retries = this.queue.retries(key);
      if (this.#options.maxRetries !== undefined && retries >= this.#options.maxRetries) {
        logger?.error(
          { controller: name, key, err: error, retries },
          'reconcile failed; giving up on this key',
        );
        this.queue.forget(key);
      } else {
        logger?.warn(
          { controller: name, key, err: error, retries },
          'reconcile failed; retrying with backoff',
        );
        this.queue.addRateLimited(key);
      }
    } finally {
      metrics?.reconcileTime.observe(labels, (this.#clock.now() - started) / 1000);
      metrics?.activeWorkers.dec(labels);
      this.queue.done(key);
    }
  }
}

function ownKey(object: KubeObject): readonly string[] {
  return [objectKey(object.metadata)];
}
