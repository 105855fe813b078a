/**
 * The local control plane assembled: storage, the resource registry, REST storage, watch caches, the HTTPS
 * front, and the control loops (namespaces, default ServiceAccounts, garbage collection, ClusterRole
 * aggregation, CRDs). `startControlPlane` brings it up from a data directory; `close` takes it down.
 */
import type { Agent } from 'node:http';
import { ClusterRoleAggregator } from './controllers/clusterrole-aggregation.ts';
import { CrdController } from './controllers/crds.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { NamespaceController } from './controllers/namespaces.ts';
import { Informer, systemContext, type Reporter } from './controllers/runtime.ts';
import { NamespaceGate } from './objects/namespace-gate.ts';
import { RestStorage } from './objects/rest.ts';
import { ObjectStore, type TransformerSource } from './objects/store.ts';
import { WatchCache } from './objects/watch-cache.ts';
import { ResourceRegistry, type ResourceInfo } from './resources.ts';
import { ApiFront, type HealthCheck } from './server/api-server.ts';
import type { AuditSink } from './server/auditing.ts';
import { ReviewHandler } from './server/reviews.ts';
import { RbacAuthorizer } from './controllers/rbac-authorizer.ts';
import { bootstrapPolicy } from '../rbac/bootstrap.ts';
import type { KubeObject } from './objects/object.ts';
import { ResourceHandler } from './server/resource-handler.ts';
import { ServiceProxy } from './server/service-proxy.ts';
import { TokenRequestHandler } from './server/token-request.ts';
import type { TokenAuthority } from './server/tokens.ts';
import { WatchStreamer, type WatchSettings } from './server/watch-stream.ts';
import { AutoCompactor, type CompactionPolicy } from './storage/sqlite.ts';
import type { Storage } from './storage/storage.ts';
import { ApiError } from './status.ts';

export const SYSTEM_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

export interface ControlPlaneOptions {
  storage: Storage;
  /** Encryption at rest: the transformer chain for each resource (identity when absent). */
  transformers?: TransformerSource | undefined;
  tokens: TokenAuthority;
  tls: { certificatePem: string; privateKeyPem: string };
  host: string;
  port: number;
  watch?: Partial<WatchSettings> | undefined;
  compaction?: { intervalMs: number; policy: CompactionPolicy } | undefined;
  report?: Reporter | undefined;
  healthChecks?: (() => readonly HealthCheck[] | Promise<readonly HealthCheck[]>) | undefined;
  audit?: AuditSink | undefined;
}

export interface ControlPlane {
  readonly url: string;
  readonly port: number;
  readonly registry: ResourceRegistry;
  readonly rest: RestStorage;
  readonly storage: Storage;
  /**
   * An HTTP agent whose requests reach this API server in memory, without TCP or TLS: for clients running in
   * the same process (`cloak up`'s operator), as kube-apiserver's loopback client. Authentication and
   * authorization apply as on the network.
   */
  readonly loopbackAgent: Agent;
  /** Resolves once every control loop has nothing queued (tests). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const report: Reporter = options.report ?? (() => undefined);
  const registry = new ResourceRegistry();
  const store = new ObjectStore(options.storage, options.transformers);
  const info = (group: string, plural: string): ResourceInfo => {
    const found = registry.versionsOf(group, plural)[0];
    if (!found) throw new Error(`built-in resource ${plural} is not registered`);
    return found;
  };
  // The authorizer needs the RBAC informers, which need REST storage: the admission hook finds it later, as the
  // namespace gate finds the namespaces' informer.
  const late: { authorizer?: RbacAuthorizer; namespaces?: Informer } = {};
  const namespaceGate = new NamespaceGate(store, info('', 'namespaces'), (name) =>
    late.namespaces?.get(undefined, name),
  );
  const rest = new RestStorage(store, namespaceGate, {
    admit: (scope, object, old, context) => late.authorizer?.admitWrite(scope, object, old, context),
  });
  const caches = new Map<string, WatchCache>();
  const cacheFor = (resource: ResourceInfo): WatchCache => {
    const key = `${resource.group}/${resource.version}/${resource.plural}`;
    let cache = caches.get(key);
    if (!cache)
      caches.set(
        key,
        (cache = new WatchCache(store, resource, (error) => report(error, `${resource.plural} watch`))),
      );
    return cache;
  };
  const watches = new WatchStreamer(store, cacheFor, {
    bookmarkIntervalMs: options.watch?.bookmarkIntervalMs ?? 60_000,
    maxBufferedBytes: options.watch?.maxBufferedBytes ?? 64 * 1024 * 1024,
  });

  const loops = await startControlLoops(store, rest, registry, cacheFor, report);
  late.authorizer = loops.authorizer;
  late.namespaces = loops.namespaces;
  await ensureSystemNamespaces(rest, info('', 'namespaces'));
  await ensureBootstrapPolicy(
    rest,
    info('rbac.authorization.k8s.io', 'clusterroles'),
    info('rbac.authorization.k8s.io', 'clusterrolebindings'),
  );

  const reviews = new ReviewHandler({
    rbacIndex: () => loops.authorizer.index,
    authenticateToken: (token) => front.authenticateToken(token),
  });
  const front: ApiFront = new ApiFront({
    registry,
    resources: new ResourceHandler(
      rest,
      watches,
      new TokenRequestHandler(rest, options.tokens),
      reviews,
      new ServiceProxy(rest, registry),
    ),
    authorizer: loops.authorizer,
    audit: options.audit,
    tokens: options.tokens,
    serviceAccountExists: async (namespace, name, uid) =>
      (await store.get(info('', 'serviceaccounts'), namespace, name))?.object.metadata.uid === uid,
    tls: options.tls,
    onInternalError: (error) => report(error, 'request'),
    healthChecks: options.healthChecks,
  });
  const compactor = startCompaction(options, caches, report);
  const address = await front.listen(options.host, options.port);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;

  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    registry,
    rest,
    storage: options.storage,
    loopbackAgent: front.loopbackAgent,
    settle: () => loops.settle(),
    close: async () => {
      compactor?.stop();
      watches.closeAll();
      loops.stop();
      await front.close();
      for (const cache of caches.values()) cache.close();
      await options.storage.close();
    },
  };
}

/** Compacts storage on an interval (as kube-apiserver does) and trims the watch windows to match. */
function startCompaction(
  options: ControlPlaneOptions,
  caches: Map<string, WatchCache>,
  report: Reporter,
): { stop(): void } | undefined {
  const settings = options.compaction;
  if (!settings || settings.intervalMs <= 0) return undefined;
  const compactor = new AutoCompactor(options.storage, settings.policy);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    compactor
      .run()
      .then((revision) => {
        if (revision !== undefined) for (const cache of caches.values()) cache.compacted(revision);
      })
      .catch((error: unknown) => report(error, 'compaction'))
      .finally(() => (running = false));
  }, settings.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Kubernetes' bootstrap RBAC policy (cluster-admin, admin/edit/view and their aggregation, discovery and
 * public-info roles, the system:masters binding): created when missing, left alone when present.
 */
async function ensureBootstrapPolicy(
  rest: RestStorage,
  clusterRoles: ResourceInfo,
  bindings: ResourceInfo,
): Promise<void> {
  const policy = bootstrapPolicy();
  const system = systemContext('kube-apiserver');
  const options = {
    dryRun: false,
    fieldManager: undefined,
    fieldValidation: 'Ignore' as const,
    force: false,
  };
  const objects: [ResourceInfo, KubeObject][] = [
    ...policy.clusterRoles.map((role): [ResourceInfo, KubeObject] => [
      clusterRoles,
      role as unknown as KubeObject,
    ]),
    ...policy.clusterRoleBindings.map((binding): [ResourceInfo, KubeObject] => [
      bindings,
      binding as unknown as KubeObject,
    ]),
  ];
  for (const [info, object] of objects) {
    if (await rest.store.get(info, undefined, object.metadata.name ?? '')) continue;
    try {
      await rest.create({ info, namespace: undefined }, structuredClone(object), options, system);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
    }
  }
}

async function ensureSystemNamespaces(rest: RestStorage, namespaces: ResourceInfo): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await rest.create(
        { info: namespaces, namespace: undefined },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { dryRun: false, fieldManager: undefined, fieldValidation: 'Ignore', force: false },
        systemContext('kube-apiserver'),
      );
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
    }
  }
}

interface ControlLoops {
  authorizer: RbacAuthorizer;
  namespaces: Informer;
  settle(): Promise<void>;
  stop(): void;
}

async function startControlLoops(
  store: ObjectStore,
  rest: RestStorage,
  registry: ResourceRegistry,
  cacheFor: (info: ResourceInfo) => WatchCache,
  report: Reporter,
): Promise<ControlLoops> {
  const informers = new Map<string, Informer>();
  const collector = new GarbageCollector(rest, registry, report);
  const informerFor = (info: ResourceInfo): Informer => {
    let informer = informers.get(info.storagePrefix);
    if (!informer) {
      informer = new Informer(info);
      informer.on(collector.observe(info));
      informers.set(info.storagePrefix, informer);
    }
    return informer;
  };
  const byPlural = (group: string, plural: string) =>
    informerFor(registry.versionsOf(group, plural)[0] as ResourceInfo);
  const namespaces = new NamespaceController(
    rest,
    registry,
    byPlural('', 'namespaces'),
    byPlural('', 'serviceaccounts'),
    report,
  );
  const aggregator = new ClusterRoleAggregator(
    rest,
    byPlural('rbac.authorization.k8s.io', 'clusterroles'),
    report,
  );
  const crds = new CrdController(
    rest,
    registry,
    byPlural('apiextensions.k8s.io', 'customresourcedefinitions'),
    report,
  );

  // CRDs first: their informer registers the custom resources, which then get informers of their own.
  await byPlural('apiextensions.k8s.io', 'customresourcedefinitions').start(
    store,
    cacheFor(registry.versionsOf('apiextensions.k8s.io', 'customresourcedefinitions')[0] as ResourceInfo),
    report,
  );
  const startNew = async (): Promise<void> => {
    for (const info of registry.all()) {
      if (info.virtual) continue;
      const informer = informerFor(info);
      if (!informer.started) await informer.start(store, cacheFor(info), report);
    }
  };
  await startNew();
  collector.markSynced();
  const unsubscribe = registry.onChange(
    () => void startNew().catch((error: unknown) => report(error, 'informers')),
  );
  const queues = [namespaces.queue, aggregator.queue, crds.queue, collector.queue];
  const rbac = 'rbac.authorization.k8s.io';
  const authorizer = new RbacAuthorizer({
    roles: byPlural(rbac, 'roles'),
    clusterRoles: byPlural(rbac, 'clusterroles'),
    roleBindings: byPlural(rbac, 'rolebindings'),
    clusterRoleBindings: byPlural(rbac, 'clusterrolebindings'),
  });
  return {
    authorizer,
    namespaces: byPlural('', 'namespaces'),
    settle: async () => {
      for (let round = 0; round < 3; round++) await Promise.all(queues.map((queue) => queue.idle()));
    },
    stop: () => {
      unsubscribe();
      for (const queue of queues) queue.stop();
      for (const informer of informers.values()) informer.stop();
    },
  };
}
