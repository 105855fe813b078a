/**
 * Makes the controller's HTTP API reachable through the API server's service proxy when it does not run in
 * a pod (the local control plane, a controller on a laptop): the Service kubeseal looks for
 * (`sealed-secrets-controller`, one port named `http`, no selector) and an Endpoints object of the same name
 * with this process's address. The leader advertises itself, so the address always names a live controller;
 * it is checked again every minute.
 */
import { isAlreadyExists, isNotFound, type ApiClient } from '../runtime/api-client.ts';
import { Controller } from '../runtime/controller.ts';
import type { Logger } from '../runtime/logger.ts';
import type { RuntimeMetrics } from '../runtime/metrics.ts';
import type { KubeObject, ResourceType } from '../runtime/resource.ts';

export const SERVICES: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
};
export const ENDPOINTS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'endpoints',
  kind: 'Endpoints',
  namespaced: true,
};

/** The Service's port, as the Bitnami manifests declare it (kubeseal only reads its name). */
export const SERVICE_PORT = 8080;
const PORT_NAME = 'http';
const RECHECK_MS = 60_000;

export interface AdvertiseOptions {
  client: ApiClient;
  namespace: string;
  serviceName: string;
  /** The IP address the API server should reach this process at. */
  address: string;
  /** The port the HTTP API listens on (known once it listens). */
  port: () => number;
  metrics?: RuntimeMetrics;
  logger?: Logger | undefined;
}

export function serviceFor(
  options: Pick<AdvertiseOptions, 'namespace' | 'serviceName'>,
  port: number,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: options.serviceName,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/name': 'sealed-secrets', 'app.kubernetes.io/managed-by': 'cloak' },
    },
    spec: { ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: port, protocol: 'TCP' }] },
  };
}

export function endpointsFor(
  options: Pick<AdvertiseOptions, 'namespace' | 'serviceName' | 'address'>,
  port: number,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: options.serviceName,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/name': 'sealed-secrets', 'app.kubernetes.io/managed-by': 'cloak' },
    },
    subsets: [{ addresses: [{ ip: options.address }], ports: [{ name: PORT_NAME, port, protocol: 'TCP' }] }],
  };
}

/** A leader-only controller that keeps the Service and its Endpoints pointing at this process. */
export function advertiseController(options: AdvertiseOptions): Controller {
  const controller = new Controller({
    name: 'sealed-secrets-advertise',
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    reconcile: async (_key, signal) => {
      if (signal.aborted) return;
      const port = options.port();
      const service = serviceFor(options, port);
      let changed = await ensure(options.client, SERVICES, service, (current) => ({
        ...current,
        spec: { ...(current['spec'] as object), ports: (service['spec'] as { ports: unknown }).ports },
      }));
      const endpoints = endpointsFor(options, port);
      try {
        changed =
          (await ensure(options.client, ENDPOINTS, endpoints, (current) => ({
            ...current,
            subsets: endpoints['subsets'],
          }))) || changed;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        options.logger?.warn(
          { namespace: options.namespace, service: options.serviceName },
          'the API server does not serve Endpoints; the service proxy cannot reach this controller',
        );
      }
      if (changed)
        options.logger?.info(
          {
            namespace: options.namespace,
            service: options.serviceName,
            address: `${options.address}:${port}`,
          },
          'advertised the HTTP API',
        );
      return { requeueAfterMs: RECHECK_MS };
    },
  });
  controller.enqueue('advertise');
  return controller;
}

/** Creates the object, or replaces what `update` says to replace in the one that exists; true if it wrote. */
async function ensure(
  client: ApiClient,
  type: ResourceType,
  object: KubeObject,
  update: (current: KubeObject) => KubeObject,
): Promise<boolean> {
  const current = await client.find<KubeObject>(type, object.metadata.namespace, object.metadata.name ?? '');
  if (!current) {
    try {
      await client.create(type, object);
      return true;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      return ensure(client, type, object, update);
    }
  }
  const next = update(current);
  if (JSON.stringify(next) === JSON.stringify(current)) return false;
  await client.update(type, next);
  return true;
}
