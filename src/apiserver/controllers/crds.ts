/**
 * CustomResourceDefinitions come alive here: an accepted CRD registers its resource (every served version)
 * and gets the status kube-apiserver writes once the names are accepted (NamesAccepted, Established,
 * acceptedNames, storedVersions). Deleting a CRD deletes all its objects first (the
 * `customresourcecleanup.apiextensions.k8s.io` finalizer), then the resource stops being served.
 */
import { crdResourceInfos, crdStatus } from '../crd.ts';
import { jsonEqual, type KubeObject } from '../objects/object.ts';
import type { RestStorage } from '../objects/rest.ts';
import type { ResourceRegistry } from '../resources.ts';
import { ApiError } from '../status.ts';
import type { Informer } from './runtime.ts';
import { deleteEverything, systemContext, WorkQueue, type Reporter } from './runtime.ts';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const WRITE = { dryRun: false, fieldManager: undefined, fieldValidation: 'Ignore' as const, force: false };
const RECHECK_MS = 250;

export class CrdController {
  readonly #rest: RestStorage;
  readonly #registry: ResourceRegistry;
  readonly #crds: Informer;
  readonly queue: WorkQueue;

  constructor(rest: RestStorage, registry: ResourceRegistry, crds: Informer, report: Reporter) {
    this.#rest = rest;
    this.#registry = registry;
    this.#crds = crds;
    this.queue = new WorkQueue('crd', (name) => this.#reconcile(name), report);
    crds.on({
      added: (crd) => this.#serve(crd),
      updated: (crd) => this.#serve(crd),
      deleted: (crd) => registry.setCustomResource(crd.metadata.name ?? '', []),
    });
  }

  /** Registers the resource synchronously (so a CRD read at start-up is served before the first request). */
  #serve(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    if (!crd.metadata.deletionTimestamp) this.#registry.setCustomResource(name, crdResourceInfos(crd));
    this.queue.add(name);
  }

  async #reconcile(name: string): Promise<void> {
    const crd = this.#crds.get(undefined, name);
    if (!crd) return;
    if (crd.metadata.deletionTimestamp) return this.#cleanUp(crd);
    const status = crdStatus(crd, new Date());
    if (jsonEqual(withoutTimes(status), withoutTimes(crd['status']))) return;
    const next = { ...crd, status };
    try {
      await this.#rest.update(
        { info: this.#crds.info, namespace: undefined },
        name,
        next,
        'status',
        WRITE,
        systemContext('apiextensions-apiserver'),
      );
    } catch (error) {
      if (error instanceof ApiError && error.code === 409) return this.queue.addAfter(name, RECHECK_MS);
      throw error;
    }
  }

  async #cleanUp(crd: KubeObject): Promise<void> {
    const name = crd.metadata.name ?? '';
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    const versions = crdResourceInfos(crd);
    const info = versions.find((candidate) => candidate.version === candidate.storageVersion) ?? versions[0];
    const remaining = info
      ? await deleteEverything(this.#rest, { info, namespace: undefined }, 'apiextensions-apiserver')
      : 0;
    if (remaining > 0) return this.queue.addAfter(name, RECHECK_MS);
    const finalizers = (crd.metadata.finalizers ?? []).filter(
      (finalizer) => finalizer !== CRD_CLEANUP_FINALIZER,
    );
    const patch = JSON.stringify({ metadata: { finalizers, resourceVersion: crd.metadata.resourceVersion } });
    await this.#rest.patch(
      { info: this.#crds.info, namespace: undefined },
      name,
      'merge',
      Buffer.from(patch),
      undefined,
      WRITE,
      systemContext('apiextensions-apiserver'),
    );
  }
}

/** Conditions carry lastTransitionTime; a status only needs writing when something else differs. */
function withoutTimes(status: unknown): unknown {
  if (typeof status !== 'object' || status === null) return status;
  const copy = structuredClone(status) as { conditions?: { lastTransitionTime?: unknown }[] };
  for (const condition of copy.conditions ?? []) delete condition.lastTransitionTime;
  return copy;
}
