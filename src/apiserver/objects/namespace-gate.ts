/**
 * The NamespaceLifecycle admission rules: content may only be created in a namespace that exists and is not
 * being deleted, and the namespaces the system relies on cannot be deleted.
 */
import type { ResourceInfo } from '../resources.ts';
import { forbidden, notFound } from '../status.ts';
import type { Scope } from './context.ts';
import type { KubeObject } from './object.ts';
import type { ObjectStore } from './store.ts';

export const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

const NAMESPACES = { group: '', plural: 'namespaces' };

export class NamespaceGate {
  readonly #store: ObjectStore;
  readonly #namespaceInfo: ResourceInfo;
  readonly #cached: (name: string) => KubeObject | undefined;

  /**
   * `cached` answers from the namespaces' informer, as kube's admission plugin asks its lister; a namespace it
   * does not know (yet) is read from storage.
   */
  constructor(
    store: ObjectStore,
    namespaceInfo: ResourceInfo,
    cached: (name: string) => KubeObject | undefined = () => undefined,
  ) {
    this.#store = store;
    this.#namespaceInfo = namespaceInfo;
    this.#cached = cached;
  }

  async admitCreate(scope: Scope, object: KubeObject): Promise<void> {
    if (!scope.info.namespaced) return;
    const namespace = object.metadata.namespace ?? '';
    const found =
      this.#cached(namespace) ?? (await this.#store.get(this.#namespaceInfo, undefined, namespace))?.object;
    if (!found) throw notFound(NAMESPACES, namespace);
    if (found.metadata.deletionTimestamp || phaseOf(found) === 'Terminating') {
      throw forbidden(
        scope.info,
        object.metadata.name ?? '',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  admitDelete(scope: Scope, object: KubeObject): Promise<void> {
    const name = object.metadata.name ?? '';
    if (scope.info.group === '' && scope.info.plural === 'namespaces' && IMMORTAL_NAMESPACES.includes(name)) {
      return Promise.reject(forbidden(NAMESPACES, name, 'this namespace may not be deleted'));
    }
    return Promise.resolve();
  }
}

function phaseOf(namespace: KubeObject): unknown {
  const status = namespace['status'];
  return typeof status === 'object' && status !== null
    ? (status as Record<string, unknown>)['phase']
    : undefined;
}
