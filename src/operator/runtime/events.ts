/**
 * Writes core/v1 Events about objects, correlated as event-correlation.ts decides. Recording never fails the
 * caller: an Event that cannot be written is logged and dropped, as client-go's broadcaster does. Writes are
 * made one at a time, so that bumps of one Event's count cannot race.
 */
import { systemClock, type Clock } from './clock.ts';
import type { ApiClient } from './api-client.ts';
import { isNotFound } from './api-client.ts';
import {
  EventCorrelator,
  referenceTo,
  type CoreEvent,
  type CorrelatorOptions,
  type EventInput,
  type EventSource,
  type EventType,
} from './event-correlation.ts';
import type { Logger } from './logger.ts';
import { EVENTS, type KubeObject } from './resource.ts';

export interface EventRecorderOptions extends CorrelatorOptions {
  client: ApiClient;
  source: EventSource;
  clock?: Clock;
  logger?: Logger;
}

export class EventRecorder {
  readonly #client: ApiClient;
  readonly #correlator: EventCorrelator;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  #tail: Promise<void> = Promise.resolve();

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#correlator = new EventCorrelator(options.source, options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  /**
   * Records an Event about `object`. The returned promise settles when it is written (or dropped); callers
   * need not wait for it. `message` must not contain secret values.
   */
  event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    return this.record({ involvedObject: referenceTo(object), type, reason, message });
  }

  record(input: EventInput): Promise<void> {
    const write = this.#tail.then(() => this.#write(input));
    this.#tail = write;
    return write;
  }

  /** Resolves when every Event recorded so far is written or dropped. */
  flush(): Promise<void> {
    return this.#tail;
  }

  async #write(input: EventInput): Promise<void> {
    const now = this.#clock.now();
    const plan = this.#correlator.plan(input, now);
    try {
      if (plan.action === 'drop') return;
      if (plan.action === 'patch') {
        try {
          const patched = await this.#client.patch<CoreEvent>(
            EVENTS,
            plan.namespace,
            plan.name,
            plan.patch,
            'strategic',
          );
          this.#correlator.recorded(
            plan.key,
            { namespace: plan.namespace, name: plan.name, count: patched.count },
            now,
          );
          return;
        } catch (error) {
          if (!isNotFound(error)) throw error;
          // The Event expired meanwhile: start a new one.
          this.#correlator.forget(plan.key);
          await this.#write(input);
          return;
        }
      }
      const created = await this.#client.create<CoreEvent>(EVENTS, plan.event);
      this.#correlator.recorded(
        plan.key,
        {
          namespace: created.metadata.namespace ?? '',
          name: created.metadata.name ?? '',
          count: created.count,
        },
        now,
      );
    } catch (error) {
      this.#logger?.warn({ reason: input.reason, err: error }, 'cannot write an event; dropped');
    }
  }
}
