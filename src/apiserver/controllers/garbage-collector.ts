/**
 * Garbage collection through ownerReferences, with kube-controller-manager's rules:
 * - an object all of whose owners are gone (no object with that name and uid) is deleted (background
 *   propagation); one with some owners left only loses the references to the missing ones;
 * - an owner deleted with `propagationPolicy=Foreground` (finalizer `foregroundDeletion`) stays until its
 *   dependents are gone, then loses the finalizer;
 * - an owner deleted with `propagationPolicy=Orphan` (finalizer `orphan`) has itself removed from its
 *   dependents' ownerReferences, then loses the finalizer.
 * The graph (owner uid → dependents) is kept from informers on every served resource.
 */
import type { KubeObject, OwnerReference } from '../objects/object.ts';
import type { RestStorage } from '../objects/rest.ts';
import type { ResourceInfo, ResourceRegistry } from '../resources.ts';
import { ApiError } from '../status.ts';
import { systemContext, WorkQueue, type Reporter } from './runtime.ts';

const WRITE = {
  dryRun: false,
  fieldManager: 'garbage-collector',
  fieldValidation: 'Ignore' as const,
  force: false,
};

interface Node {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
  uid: string;
  owners: OwnerReference[];
  finalizers: string[];
  deleting: boolean;
}

export class GarbageCollector {
  readonly #rest: RestStorage;
  readonly #registry: ResourceRegistry;
  readonly #nodes = new Map<string, Node>();
  readonly #dependents = new Map<string, Set<string>>();
  readonly queue: WorkQueue;
  #synced = false;

  constructor(rest: RestStorage, registry: ResourceRegistry, report: Reporter) {
    this.#rest = rest;
    this.#registry = registry;
    this.queue = new WorkQueue('garbage-collector', (uid) => this.#process(uid), report);
  }

  /** Feeds one resource's informer into the graph. */
  observe(info: ResourceInfo): {
    added(object: KubeObject): void;
    updated(object: KubeObject): void;
    deleted(object: KubeObject): void;
  } {
    return {
      added: (object) => this.#upsert(info, object),
      updated: (object) => this.#upsert(info, object),
      deleted: (object) => this.#remove(object),
    };
  }

  /** Called once every informer has listed: from now on a missing owner really is missing. */
  markSynced(): void {
    this.#synced = true;
    for (const uid of this.#nodes.keys()) this.queue.add(uid);
  }

  #upsert(info: ResourceInfo, object: KubeObject): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    const previous = this.#nodes.get(uid);
    for (const owner of previous?.owners ?? []) this.#dependents.get(owner.uid)?.delete(uid);
    const node: Node = {
      info,
      namespace: object.metadata.namespace,
      name: object.metadata.name ?? '',
      uid,
      owners: object.metadata.ownerReferences ?? [],
      finalizers: object.metadata.finalizers ?? [],
      deleting: object.metadata.deletionTimestamp !== undefined,
    };
    this.#nodes.set(uid, node);
    for (const owner of node.owners) {
      let set = this.#dependents.get(owner.uid);
      if (!set) this.#dependents.set(owner.uid, (set = new Set()));
      set.add(uid);
    }
    if (this.#synced) this.queue.add(uid);
  }

  #remove(object: KubeObject): void {
    const uid = object.metadata.uid;
    if (!uid) return;
    const node = this.#nodes.get(uid);
    this.#nodes.delete(uid);
    for (const owner of node?.owners ?? []) {
      this.#dependents.get(owner.uid)?.delete(uid);
      if (this.#synced) this.queue.add(owner.uid);
    }
    if (!this.#synced) return;
    for (const dependent of this.#dependents.get(uid) ?? []) this.queue.add(dependent);
  }

  async #process(uid: string): Promise<void> {
    const node = this.#nodes.get(uid);
    if (!node) return;
    if (node.deleting && node.finalizers.includes('orphan')) return this.#orphanDependents(node);
    if (node.deleting && node.finalizers.includes('foregroundDeletion'))
      return this.#deleteDependentsFirst(node);
    if (node.owners.length > 0) await this.#checkOwners(node);
  }

  async #checkOwners(node: Node): Promise<void> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const owner of node.owners) {
      const found = this.#owner(node, owner);
      if (!found) dangling.push(owner);
      else if (found.deleting && found.finalizers.includes('foregroundDeletion') && owner.blockOwnerDeletion)
        waiting.push(owner);
      else solid.push(owner);
    }
    if (solid.length > 0) {
      if (dangling.length > 0 || waiting.length > 0)
        await this.#dropOwners(node, new Set([...dangling, ...waiting].map((owner) => owner.uid)));
      return;
    }
    if (dangling.length === 0 && waiting.length === 0) return;
    if (node.deleting) return;
    const hasDependents = (this.#dependents.get(node.uid)?.size ?? 0) > 0;
    const propagationPolicy = waiting.length > 0 && hasDependents ? 'Foreground' : 'Background';
    await this.#delete(node, propagationPolicy);
  }

  async #deleteDependentsFirst(owner: Node): Promise<void> {
    const dependents = [...(this.#dependents.get(owner.uid) ?? [])]
      .map((uid) => this.#nodes.get(uid))
      .filter((node) => node !== undefined);
    const blocking = dependents.filter((node) =>
      node.owners.some((ref) => ref.uid === owner.uid && ref.blockOwnerDeletion),
    );
    for (const dependent of dependents) {
      if (!dependent.deleting)
        await this.#delete(
          dependent,
          (this.#dependents.get(dependent.uid)?.size ?? 0) > 0 ? 'Foreground' : 'Background',
        );
    }
    if (blocking.length === 0) await this.#removeFinalizer(owner, 'foregroundDeletion');
  }

  async #orphanDependents(owner: Node): Promise<void> {
    for (const uid of [...(this.#dependents.get(owner.uid) ?? [])]) {
      const dependent = this.#nodes.get(uid);
      if (dependent) await this.#dropOwners(dependent, new Set([owner.uid]));
    }
    await this.#removeFinalizer(owner, 'orphan');
  }

  /** The owner an ownerReference points at, if an object with that name and uid exists. */
  #owner(dependent: Node, reference: OwnerReference): Node | undefined {
    const node = this.#nodes.get(reference.uid);
    if (node && node.name === reference.name && node.info.kind === reference.kind) {
      if (!node.info.namespaced || node.namespace === dependent.namespace) return node;
    }
    if (this.#registry.byKind(reference.apiVersion, reference.kind)) return undefined;
    // An owner of a kind this server does not serve cannot be checked: treat it as present, like kube does
    // for kinds its discovery cannot resolve.
    return { ...dependent, uid: reference.uid, owners: [], finalizers: [], deleting: false };
  }

  #dropOwners(node: Node, uids: Set<string>): Promise<void> {
    return this.#patchMetadata(node, {
      ownerReferences: node.owners.filter((owner) => !uids.has(owner.uid)),
    });
  }

  #removeFinalizer(node: Node, finalizer: string): Promise<void> {
    return this.#patchMetadata(node, { finalizers: node.finalizers.filter((item) => item !== finalizer) });
  }

  /** A merge patch of metadata, for this object only (the uid makes a same-named successor a conflict). */
  async #patchMetadata(node: Node, metadata: Record<string, unknown>): Promise<void> {
    const patch = Buffer.from(JSON.stringify({ metadata: { ...metadata, uid: node.uid } }));
    await this.#tolerateGone(() =>
      this.#rest.patch(
        { info: node.info, namespace: node.namespace },
        node.name,
        'merge',
        patch,
        undefined,
        WRITE,
        systemContext('generic-garbage-collector'),
      ),
    );
  }

  async #delete(node: Node, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    await this.#tolerateGone(() =>
      this.#rest.delete(
        { info: node.info, namespace: node.namespace },
        node.name,
        { dryRun: false, propagationPolicy, preconditions: { uid: node.uid } },
        systemContext('generic-garbage-collector'),
      ),
    );
  }

  async #tolerateGone(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // Gone already, or replaced by a namesake (uid precondition): nothing left to collect.
      if (
        error instanceof ApiError &&
        (error.code === 404 || (error.code === 409 && error.message.includes('Precondition failed')))
      )
        return;
      throw error;
    }
  }
}
