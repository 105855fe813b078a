/**
 * Namespace lifecycle, as kube-controller-manager runs it: a namespace being deleted has all its content
 * deleted (every namespaced resource, custom ones included), and once nothing is left its `kubernetes`
 * finalizer is removed, which lets the API server remove the namespace. Every active namespace gets a
 * `default` ServiceAccount, recreated if deleted.
 */
import type { KubeObject } from '../objects/object.ts';
import type { RestStorage } from '../objects/rest.ts';
import type { ResourceInfo, ResourceRegistry } from '../resources.ts';
import { ApiError } from '../status.ts';
import type { Informer } from './runtime.ts';
import { deleteEverything, systemContext, WorkQueue, type Reporter } from './runtime.ts';

const NAMESPACE_FINALIZER = 'kubernetes';
const RECHECK_MS = 500;

export class NamespaceController {
  readonly #rest: RestStorage;
  readonly #registry: ResourceRegistry;
  readonly #namespaces: Informer;
  readonly #serviceAccountInfo: ResourceInfo;
  readonly queue: WorkQueue;

  constructor(
    rest: RestStorage,
    registry: ResourceRegistry,
    namespaces: Informer,
    serviceAccounts: Informer,
    report: Reporter,
  ) {
    this.#rest = rest;
    this.#registry = registry;
    this.#namespaces = namespaces;
    this.#serviceAccountInfo = serviceAccounts.info;
    this.queue = new WorkQueue('namespace', (name) => this.#reconcile(name), report);
    namespaces.on({
      added: (namespace) => this.queue.add(namespace.metadata.name ?? ''),
      updated: (namespace) => this.queue.add(namespace.metadata.name ?? ''),
    });
    serviceAccounts.on({
      deleted: (account) => {
        if (account.metadata.name === 'default') this.queue.add(account.metadata.namespace ?? '');
      },
    });
  }

  async #reconcile(name: string): Promise<void> {
    const namespace = this.#namespaces.get(undefined, name);
    if (!namespace) return;
    if (namespace.metadata.deletionTimestamp) return this.#finalize(namespace);
    await this.#ensureDefaultServiceAccount(name);
  }

  async #ensureDefaultServiceAccount(namespace: string): Promise<void> {
    const scope = { info: this.#serviceAccountInfo, namespace };
    if (await this.#rest.store.get(this.#serviceAccountInfo, namespace, 'default')) return;
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } };
    try {
      await this.#rest.create(
        scope,
        account,
        { dryRun: false, fieldManager: undefined, fieldValidation: 'Ignore', force: false },
        systemContext('kube-controller-manager'),
      );
    } catch (error) {
      // Someone else made it, or the namespace started terminating meanwhile: both are fine.
      if (!(error instanceof ApiError && (error.code === 409 || error.code === 403 || error.code === 404)))
        throw error;
    }
  }

  async #finalize(namespace: KubeObject): Promise<void> {
    const name = namespace.metadata.name ?? '';
    if (!specFinalizers(namespace).includes(NAMESPACE_FINALIZER)) return;
    const remaining = await this.#deleteContent(name);
    if (remaining > 0) {
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    const finalizers = specFinalizers(namespace).filter((finalizer) => finalizer !== NAMESPACE_FINALIZER);
    const update = { ...namespace, spec: { ...(namespace['spec'] as object), finalizers } };
    await this.#rest.update(
      { info: this.#namespaces.info, namespace: undefined },
      name,
      update,
      'finalize',
      { dryRun: false, fieldManager: undefined, fieldValidation: 'Ignore', force: false },
      systemContext('kube-controller-manager'),
    );
  }

  /** Deletes everything in the namespace; returns how many objects are still there (finalizers pending). */
  async #deleteContent(namespace: string): Promise<number> {
    let remaining = 0;
    const seen = new Set<string>();
    for (const info of this.#registry.all()) {
      if (!info.namespaced || info.virtual || seen.has(info.storagePrefix)) continue;
      seen.add(info.storagePrefix);
      remaining += await deleteEverything(this.#rest, { info, namespace }, 'kube-controller-manager');
    }
    return remaining;
  }
}

function specFinalizers(namespace: KubeObject): string[] {
  const spec = namespace['spec'] as { finalizers?: unknown } | undefined;
  return Array.isArray(spec?.finalizers) ? (spec.finalizers as string[]) : [];
}
