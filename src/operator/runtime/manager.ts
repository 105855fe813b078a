/**
 * Runs an operator: its informers (on every replica, so a standby's caches are warm), its controllers (on
 * the leader only, when leader election is configured), and the health/metrics endpoint. Stopping — SIGTERM,
 * SIGINT, or the run's signal — stops handing out work, waits for in-flight reconciles, releases the lease,
 * then stops the informers. Losing the lease stops the controllers at once; `run` then resolves 'lost' and the
 * process should exit, as controller-runtime's do (a fresh start campaigns again with empty state).
 */
import type { ApiClient } from './api-client.ts';
import type { Controller } from './controller.ts';
import { startHealthServer, type HealthCheck, type HealthServer } from './health-server.ts';
import type { Informer } from './informer.ts';
import { LeaderElector, type ElectionOutcome, type LeaderElectionOptions } from './leader-election.ts';
import type { Logger } from './logger.ts';
import { RuntimeMetrics } from './metrics.ts';
import type { KubeObject } from './resource.ts';

export interface ManagerOptions {
  client: ApiClient;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  /** Lead through a Lease; without it this process always leads (one replica only). */
  leaderElection?: Omit<LeaderElectionOptions, 'client' | 'logger' | 'metrics'>;
  /** Serve /healthz, /readyz and /metrics. */
  health?: { host?: string; port: number };
  /** How long SIGTERM waits for in-flight work before giving up on it (default 30 s). */
  gracefulShutdownMs?: number;
}

export class Manager {
  readonly client: ApiClient;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger | undefined;
  readonly elector: LeaderElector | undefined;
  readonly #options: ManagerOptions;
  readonly #informers: Informer<KubeObject>[] = [];
  readonly #controllers: Controller[] = [];
  readonly #checks: Record<string, HealthCheck> = {};
  #health: HealthServer | undefined;
  #running = false;

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.client = options.client;
    this.metrics = options.metrics ?? new RuntimeMetrics();
    this.logger = options.logger;
    this.elector = options.leaderElection
      ? new LeaderElector({
          ...options.leaderElection,
          client: options.client,
          metrics: this.metrics,
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;
  }

  addInformer<T extends KubeObject>(informer: Informer<T>): Informer<T> {
    this.#informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  }

  addController(controller: Controller): Controller {
    this.#controllers.push(controller);
    return controller;
  }

  /** A readiness check of the operator's own (e.g. "keys loaded"). */
  addReadinessCheck(name: string, check: HealthCheck): void {
    this.#checks[name] = check;
  }

  /** The health server's address once `run` has started it. */
  get healthUrl(): string | undefined {
    return this.#health?.url;
  }

  /** Runs until `signal` aborts ('stopped') or the lease is lost ('lost'). */
  async run(signal: AbortSignal, started?: () => void): Promise<ElectionOutcome> {
    if (this.#running) throw new Error('the manager is already running');
    this.#running = true;
    const informersStop = new AbortController();
    const readiness: Record<string, HealthCheck> = { ...this.#checks };
    for (const informer of this.#informers)
      readiness[`informer-${informer.type.plural}`] = () => informer.hasSynced();
    if (this.#options.health) {
      this.#health = await startHealthServer({
        ...this.#options.health,
        registry: this.metrics.registry,
        liveness: { 'informers-running': () => !informersStop.signal.aborted },
        readiness,
      });
      this.logger?.info({ url: this.#health.url }, 'serving health and metrics');
    }
    const informerRuns = this.#informers.map((informer) => informer.run(informersStop.signal));
    started?.();
    const lead = async (leadership: AbortSignal): Promise<void> => {
      await Promise.all(this.#controllers.map((controller) => controller.run(leadership)));
    };
    try {
      if (this.elector) return await this.elector.run(signal, lead);
      await lead(signal);
      return 'stopped';
    } finally {
      informersStop.abort();
      await Promise.allSettled(informerRuns);
      await this.#health?.close();
      this.#running = false;
    }
  }

  /**
   * Runs until SIGTERM or SIGINT (or, when embedded in a process that handles signals itself, until `stop`
   * aborts), then shuts down gracefully. Resolves the exit status: 0 after a clean stop, 1 when the lease was
   * lost or in-flight work outlasted the grace period.
   */
  async runUntilSignalled(
    options: { signals?: readonly NodeJS.Signals[]; stop?: AbortSignal; started?: () => void } = {},
  ): Promise<number> {
    const signals = options.signals ?? (options.stop ? [] : ['SIGTERM', 'SIGINT']);
    const stop = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const graceExpired = new Promise<'timeout'>((resolve) => {
      stop.signal.addEventListener(
        'abort',
        () => (graceTimer = setTimeout(() => resolve('timeout'), this.#options.gracefulShutdownMs ?? 30_000)),
        { once: true },
      );
    });
    const onSignal = (received: NodeJS.Signals): void => {
      this.logger?.info({ signal: received }, 'shutting down');
      stop.abort();
    };
    for (const name of signals) process.once(name, onSignal);
    const onStop = (): void => {
      this.logger?.info('shutting down');
      stop.abort();
    };
    if (options.stop?.aborted) onStop();
    else options.stop?.addEventListener('abort', onStop, { once: true });
    try {
      const outcome = await Promise.race([this.run(stop.signal, options.started), graceExpired]);
      if (outcome === 'timeout') {
        this.logger?.error('in-flight work did not finish within the grace period');
        return 1;
      }
      return outcome === 'lost' ? 1 : 0;
    } finally {
      clearTimeout(graceTimer);
      options.stop?.removeEventListener('abort', onStop);
      for (const name of signals) process.off(name, onSignal);
    }
  }
}
