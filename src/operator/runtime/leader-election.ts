/**
 * Leader election on a coordination.k8s.io/v1 Lease (the decisions are in lease.ts). One candidate leads; it
 * renews every retry period, and if it cannot renew within the renew deadline its leadership signal aborts at
 * that moment, whatever request is still hanging, so its controllers stop before a successor may start. Writes
 * carry the Lease's resourceVersion: two candidates racing for one Lease get one success and one 409.
 */
import { errorMessage } from '../../common/errors.ts';
import type { ApiClient } from './api-client.ts';
import { isConflict, isNotFound } from './api-client.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import {
  checkTimings,
  decide,
  DEFAULT_LEASE_TIMINGS,
  mustStepDown,
  observe,
  released,
  type LeaseSpec,
  type LeaseTimings,
  type Observation,
} from './lease.ts';
import type { Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { apiVersionOf, LEASES, objectPath, collectionPath, type KubeObject } from './resource.ts';

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: ApiClient;
  namespace: string;
  /** The Lease's name: one per operator, shared by its replicas. */
  name: string;
  /** This candidate: unique per process (e.g. the pod name plus a random suffix). */
  identity: string;
  timings?: Partial<LeaseTimings>;
  /** Write an empty holder when stopped cleanly, so a successor need not wait out the lease (default true). */
  releaseOnCancel?: boolean;
  /** Called when a different holder is observed (including this candidate). */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  metrics?: RuntimeMetrics;
}

export type ElectionOutcome = 'lost' | 'stopped';

export class LeaderElector {
  readonly identity: string;
  readonly timings: LeaseTimings;
  readonly #options: LeaderElectionOptions;
  readonly #clock: Clock;
  #observation: Observation | undefined;
  #lastHolder: string | undefined;
  #leading = false;

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.timings = { ...DEFAULT_LEASE_TIMINGS, ...options.timings };
    checkTimings(this.timings);
    this.#clock = options.clock ?? systemClock;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until this candidate leads, then runs `lead` with a signal that aborts the moment leadership
   * ends, and keeps renewing. Resolves 'lost' when renewal failed past the deadline, or 'stopped' when
   * `signal` aborted (after `lead` returned, the Lease is released). Either way `lead` has returned.
   */
  async run(
    signal: AbortSignal,
    lead: (leadership: AbortSignal) => Promise<void> | void,
  ): Promise<ElectionOutcome> {
    const { retryPeriodMs } = this.timings;
    const random = this.#options.random ?? Math.random;
    let attemptStart = this.#clock.now();
    while (!signal.aborted) {
      attemptStart = this.#clock.now();
      if (await this.#tryAcquireOrRenew(signal)) break;
      await sleep(this.#clock, retryPeriodMs * (1 + 1.2 * random()), signal);
    }
    if (signal.aborted) return 'stopped';

    const leadership = new AbortController();
    this.#setLeading(true);
    this.#options.logger?.info({ lease: this.#options.name, identity: this.identity }, 'became the leader');
    let cancelDeadline = this.#clock.schedule(() => leadership.abort(), this.timings.renewDeadlineMs);
    const leading = (async () => {
      try {
        await lead(leadership.signal);
      } catch (error) {
        this.#options.logger?.error({ err: error }, 'the leader’s work failed');
      }
    })();

    let lastRenew = attemptStart;
    const stopRenewing = AbortSignal.any([signal, leadership.signal]);
    while (!stopRenewing.aborted) {
      await sleep(this.#clock, retryPeriodMs, stopRenewing);
      if (stopRenewing.aborted) break;
      const started = this.#clock.now();
      if (await this.#tryAcquireOrRenew(stopRenewing)) {
        lastRenew = started;
        cancelDeadline();
        cancelDeadline = this.#clock.schedule(
          () => leadership.abort(),
          lastRenew + this.timings.renewDeadlineMs - this.#clock.now(),
        );
      } else if (!this.#leadingPerLease() || mustStepDown(lastRenew, this.#clock.now(), this.timings)) {
        leadership.abort();
      }
    }
    cancelDeadline();
    const lost = !signal.aborted;
    leadership.abort();
    this.#setLeading(false);
    if (lost) this.#options.logger?.error({ lease: this.#options.name }, 'lost the lease; stopped leading');
    await leading;
    if (!lost && this.#options.releaseOnCancel !== false) await this.#release();
    return lost ? 'lost' : 'stopped';
  }

  /** The last Lease read names someone else: this candidate no longer holds it, whatever its clock says. */
  #leadingPerLease(): boolean {
    return this.#lastHolder === undefined || this.#lastHolder === this.identity;
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name } = this.#options;
    const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(this.timings.renewDeadlineMs)]);
    try {
      const lease = await this.#read(requestSignal);
      const now = this.#clock.now();
      this.#observation = observe(this.#observation, lease?.spec, now);
      this.#noticeHolder(lease?.spec?.holderIdentity ?? '');
      const decision = decide(this.identity, lease?.spec, this.#observation, now, this.timings);
      if (decision.action === 'wait') return false;
      const body: Lease =
        decision.action === 'create'
          ? {
              apiVersion: apiVersionOf(LEASES),
              kind: 'Lease',
              metadata: { name, namespace },
              spec: decision.spec,
            }
          : { ...(lease as Lease), spec: decision.spec };
      const written = await client.json<Lease>({
        method: decision.action === 'create' ? 'POST' : 'PUT',
        path:
          decision.action === 'create'
            ? collectionPath(LEASES, namespace)
            : objectPath(LEASES, namespace, name),
        body: JSON.stringify(body),
        signal: requestSignal,
        timeoutMs: this.timings.renewDeadlineMs,
      });
      this.#observation = observe(this.#observation, written.spec, this.#clock.now());
      this.#noticeHolder(this.identity);
      return true;
    } catch (error) {
      if (!signal.aborted && !isConflict(error))
        this.#options.logger?.warn(
          { lease: name, err: error },
          `cannot acquire or renew the lease: ${errorMessage(error)}`,
        );
      return false;
    }
  }

  async #read(signal: AbortSignal): Promise<Lease | undefined> {
    const { client, namespace, name } = this.#options;
    try {
      return await client.json<Lease>({
        method: 'GET',
        path: objectPath(LEASES, namespace, name),
        signal,
        timeoutMs: this.timings.renewDeadlineMs,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #release(): Promise<void> {
    const { client, namespace, name } = this.#options;
    const signal = AbortSignal.timeout(this.timings.renewDeadlineMs);
    try {
      const lease = await this.#read(signal);
      if (!lease?.spec || lease.spec.holderIdentity !== this.identity) return;
      await client.json<Lease>({
        method: 'PUT',
        path: objectPath(LEASES, namespace, name),
        body: JSON.stringify({ ...lease, spec: released(lease.spec, this.#clock.now()) }),
        signal,
      });
      this.#options.logger?.info({ lease: name, identity: this.identity }, 'released the lease');
    } catch (error) {
      this.#options.logger?.warn({ lease: name, err: error }, 'cannot release the lease; it will expire');
    }
  }

  #noticeHolder(holder: string): void {
    if (holder === this.#lastHolder) return;
    this.#lastHolder = holder;
    if (holder) this.#options.onNewLeader?.(holder);
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.metrics?.leaderStatus.set({ name: this.#options.name }, leading ? 1 : 0);
  }
}
