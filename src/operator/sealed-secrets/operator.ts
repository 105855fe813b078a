/**
 * The SealedSecret operator assembled (shell): the Manager with its informers (SealedSecrets, metadata-only
 * Secrets, key Secrets), the leader-only controllers (unsealing, key renewal, advertising the Service), the
 * HTTP API on --listen-addr and /metrics (with /healthz and /readyz) on --listen-metrics-addr. A new key is
 * generated on SIGUSR1 and on POST /v1/rotate-key. Runs until SIGTERM/SIGINT; resolves the exit status.
 */
import type { StringMap } from '../../kube/objects.ts';
import type { SecretTemplateRenderer } from '../../sealing/sealed-secret.ts';
import type { ApiClient } from '../runtime/api-client.ts';
import { EventRecorder } from '../runtime/events.ts';
import { Informer } from '../runtime/informer.ts';
import type { LeaseTimings } from '../runtime/lease.ts';
import type { Logger } from '../runtime/logger.ts';
import { Manager } from '../runtime/manager.ts';
import { RuntimeMetrics } from '../runtime/metrics.ts';
import { SECRETS, type KubeObject } from '../runtime/resource.ts';
import { advertiseController } from './advertise.ts';
import { SealedSecretController } from './controller.ts';
import { SEALED_SECRETS } from './crd.ts';
import { startHttpApi, type HttpApi } from './http-api.ts';
import type { KeyOrder, RenewalPolicy } from './key-registry.ts';
import { keyRenewalController, SealingKeys } from './keys.ts';
import { SealedSecretsMetrics } from './metrics.ts';
import { EVENT_COMPONENT } from './reconcile.ts';

export interface Listen {
  /** "" for every interface. */
  host: string;
  port: number;
}

export interface SealedSecretsOperatorOptions {
  client: ApiClient;
  /** Where key Secrets, the Lease and the advertised Service live. */
  controllerNamespace: string;
  /** Namespaces whose SealedSecrets are unsealed; undefined for all. */
  namespaces?: readonly string[] | undefined;
  labelSelector?: string | undefined;
  keys: {
    prefix: string;
    bits: number;
    ttlMs: number;
    commonName: string;
    labels: StringMap;
    annotations: StringMap;
    order: KeyOrder;
    renewal: RenewalPolicy;
  };
  acceptV1Data: boolean;
  updateStatus: boolean;
  skipRecreate: boolean;
  maxRetries: number;
  workers: number;
  unsealWorkers?: number | undefined;
  rateLimit: { rate: number; burst: number };
  http: Listen;
  metricsListen: Listen;
  leaderElection?: { namespace: string; name: string; identity: string; timings?: Partial<LeaseTimings> };
  advertise?: { address: string; serviceName: string } | undefined;
  /** Resync SealedSecrets this often (cheap: unchanged ones decrypt nothing); 0 never. */
  resyncPeriodMs?: number;
  revision: string;
  /** Loads the template renderer when a SealedSecret first has templates (template-loader.ts). */
  loadTemplateRenderer?: (() => Promise<SecretTemplateRenderer>) | undefined;
  logger: Logger;
  /**
   * Embedded in a process that handles SIGTERM/SIGINT itself (`cloak up`): stop when this aborts, and leave
   * those signals alone.
   */
  stop?: AbortSignal | undefined;
}

/**
 * Runs the operator until SIGTERM or SIGINT (or `options.stop`); resolves 0 after a clean stop, 1 after a lost
 * lease.
 */
export async function runSealedSecretsOperator(
  options: SealedSecretsOperatorOptions,
  started?: (urls: { http: string; metrics: string }) => void,
): Promise<number> {
  const { client, logger } = options;
  const runtimeMetrics = new RuntimeMetrics({ processMetrics: true });
  const metrics = new SealedSecretsMetrics(runtimeMetrics.registry, options.revision);
  const manager = new Manager({
    client,
    logger,
    metrics: runtimeMetrics,
    health: { host: options.metricsListen.host || '0.0.0.0', port: options.metricsListen.port },
    ...(options.leaderElection ? { leaderElection: options.leaderElection } : {}),
  });
  const keys = new SealingKeys({
    client,
    namespace: options.controllerNamespace,
    prefix: options.keys.prefix,
    keyBits: options.keys.bits,
    keyTtlMs: options.keys.ttlMs,
    commonName: options.keys.commonName,
    keyLabels: options.keys.labels,
    keyAnnotations: options.keys.annotations,
    order: options.keys.order,
    unsealWorkers: options.unsealWorkers,
    metrics,
    logger,
  });
  manager.addInformer(keys.informer);
  manager.addInformer(keys.legacyInformer);
  manager.addReadinessCheck('sealing-keys', () => keys.size > 0);

  const scopes = options.namespaces ?? [undefined];
  const sealedSecretInformers = scopes.map((namespace) =>
    manager.addInformer(
      new Informer<KubeObject>({
        client,
        type: SEALED_SECRETS,
        ...(namespace === undefined ? {} : { namespace }),
        labelSelector: options.labelSelector,
        resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000,
        logger,
      }),
    ),
  );
  const secretInformers = options.skipRecreate
    ? []
    : scopes.map((namespace) =>
        manager.addInformer(
          new Informer<KubeObject>({
            client,
            type: SECRETS,
            ...(namespace === undefined ? {} : { namespace }),
            labelSelector: options.labelSelector,
            metadataOnly: true,
            logger,
          }),
        ),
      );
  const events = new EventRecorder({ client, source: { component: EVENT_COMPONENT }, logger });
  const sealedSecrets = new SealedSecretController({
    client,
    keys,
    metrics,
    runtimeMetrics,
    events,
    sealedSecretInformers,
    secretInformers,
    updateStatus: options.updateStatus,
    acceptV1Data: options.acceptV1Data,
    maxRetries: options.maxRetries,
    workers: options.workers,
    loadTemplateRenderer: options.loadTemplateRenderer,
    logger,
  });
  manager.addController(sealedSecrets.controller);
  manager.addController(
    keyRenewalController({ keys, policy: options.keys.renewal, metrics: runtimeMetrics, logger }),
  );

  const listening = { port: 0 };
  if (options.advertise) {
    const advertise = options.advertise;
    manager.addController(
      advertiseController({
        client,
        namespace: options.controllerNamespace,
        serviceName: advertise.serviceName,
        address: advertise.address,
        port: () => listening.port,
        metrics: runtimeMetrics,
        logger,
      }),
    );
  }

  const generateOnRequest = (trigger: 'signal' | 'api') => () => keys.generate(trigger);
  const onSignal = (): void => {
    logger.info('SIGUSR1: generating a new sealing key');
    generateOnRequest('signal')().catch((error: unknown) =>
      logger.error({ err: error }, 'cannot generate a sealing key'),
    );
  };
  const api: HttpApi = await startHttpApi({
    host: options.http.host,
    port: options.http.port,
    keys,
    metrics,
    acceptV1Data: options.acceptV1Data,
    loadTemplateRenderer: options.loadTemplateRenderer,
    rateLimit: options.rateLimit,
    rotateKey: generateOnRequest('api'),
    ready: () => keys.size > 0,
    logger,
  });
  listening.port = api.port;
  process.on('SIGUSR1', onSignal);
  try {
    return await manager.runUntilSignalled({
      ...(options.stop ? { stop: options.stop } : {}),
      started: () => {
        const urls = { http: api.url, metrics: manager.healthUrl ?? '' };
        logger.info(urls, 'sealed secrets controller serving');
        started?.(urls);
      },
    });
  } finally {
    process.off('SIGUSR1', onSignal);
    await api.close();
    await events.flush();
    await keys.close();
  }
}
