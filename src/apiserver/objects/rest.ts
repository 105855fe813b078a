/**
 * The verbs of the Kubernetes API over the object store, with kube-apiserver's generic registry semantics:
 * optimistic concurrency, retried unconditional updates, no-op writes skipped, generation, the status
 * subresource, finalizers and deletionTimestamp, delete preconditions and propagation, namespace lifecycle
 * admission, dry runs, and managed fields. Kind-specific rules live in strategy.ts.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../resources.ts';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
  successStatus,
} from '../status.ts';
import { defaultFieldManager, type RequestContext, type Scope, type WriteOptions } from './context.ts';
import { listObjects, type ListOutcome, type ListQuery } from './list.ts';
import { applyPatch, type PatchType } from './patching.ts';
import { isPlainObject, jsonEqual, kubeTimestamp, type KubeObject } from './object.ts';
import { toScale, withScale } from './scale.ts';
import { isConflict, type ObjectStore, type StoredObject } from './store.ts';
import * as strategy from './strategy.ts';
import { resourceVersionOnCreateError, resourceVersionSetOnCreate } from '../validation.ts';
import { trackApply, trackWrite } from './managed.ts';
import type { NamespaceGate } from './namespace-gate.ts';

export interface DeleteOptions {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground' | undefined;
  preconditions?: { uid?: string | undefined; resourceVersion?: string | undefined } | undefined;
  dryRun: boolean;
}

export interface DeleteOutcome {
  /** 200 when the object is gone (or only marked, per kube), with the object or a Status as the body. */
  code: number;
  body: Record<string, unknown>;
  /** The object was removed from storage (not only marked for deletion). */
  removed: boolean;
}

export interface RestOptions {
  newUid?: () => string;
  randomSuffix?: () => string;
  /** Checks a write may still refuse (RBAC escalation prevention); `old` is set for updates. */
  admit?: (scope: Scope, object: KubeObject, old: KubeObject | undefined, context: RequestContext) => void;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_UPDATE_ATTEMPTS = 16;

function randomNameSuffix(): string {
  let suffix = '';
  for (let index = 0; index < 5; index++)
    suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return suffix;
}

export class RestStorage {
  readonly store: ObjectStore;
  readonly #namespaces: NamespaceGate;
  readonly #newUid: () => string;
  readonly #randomSuffix: () => string;
  readonly #admit: NonNullable<RestOptions['admit']>;

  constructor(store: ObjectStore, namespaces: NamespaceGate, options: RestOptions = {}) {
    this.store = store;
    this.#namespaces = namespaces;
    this.#newUid = options.newUid ?? randomUUID;
    this.#randomSuffix = options.randomSuffix ?? randomNameSuffix;
    this.#admit = options.admit ?? (() => undefined);
  }

  async get(scope: Scope, name: string): Promise<StoredObject> {
    const found = await this.store.get(scope.info, scope.namespace, name);
    if (!found) throw notFound(scope.info, name);
    return found;
  }

  list(scope: Scope, query: Omit<ListQuery, 'namespace'>): Promise<ListOutcome> {
    return listObjects(this.store, scope.info, { ...query, namespace: scope.namespace });
  }

  async create(
    scope: Scope,
    body: KubeObject,
    options: WriteOptions,
    context: RequestContext,
  ): Promise<KubeObject> {
    const { info } = scope;
    const object = strategy.normalizeFields(
      info,
      this.#withScope(scope, body),
      options.fieldValidation,
      context,
    );
    this.#assignName(object);
    if (resourceVersionSetOnCreate(object)) throw resourceVersionOnCreateError();
    delete object.metadata.resourceVersion;
    return this.#insert(scope, object, options, context, {
      recordManager: () =>
        trackWrite(undefined, object, 'Update', this.#manager(options, context), context.now, info),
      taken: () => alreadyExists(info, object.metadata.name ?? ''),
    });
  }

  /** PUT: replace the object (or its status / finalize subresource). */
  async update(
    scope: Scope,
    name: string,
    body: KubeObject,
    subresource: string | undefined,
    options: WriteOptions,
    context: RequestContext,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const { info } = scope;
    const object = strategy.normalizeFields(
      info,
      this.#withScope(scope, body),
      options.fieldValidation,
      context,
    );
    if (object.metadata.name !== name) throw nameMismatch(object, name);
    const precondition = object.metadata.resourceVersion || undefined;
    const existing = await this.store.get(info, scope.namespace, name);
    if (!existing) {
      if (!strategy.allowCreateOnUpdate(info) || subresource) throw notFound(info, name);
      const created = await this.create(
        scope,
        { ...object, metadata: { ...object.metadata, resourceVersion: undefined } },
        options,
        context,
      );
      return { object: created, created: true };
    }
    const updated = await this.#guaranteedUpdate(scope, name, existing, precondition, options, (current) => {
      const next = structuredClone(object);
      this.#prepareUpdate(scope, next, current.object, subresource, options, context);
      return next;
    });
    return { object: updated, created: false };
  }

  async patch(
    scope: Scope,
    name: string,
    patchType: PatchType,
    patch: Uint8Array,
    subresource: string | undefined,
    options: WriteOptions,
    context: RequestContext,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const { info } = scope;
    const existing = await this.store.get(info, scope.namespace, name);
    if (patchType === 'apply') {
      if (!options.fieldManager)
        throw badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
      if (!existing) {
        if (subresource) throw notFound(info, name);
        return { object: await this.#applyCreate(scope, name, patch, options, context), created: true };
      }
    }
    if (!existing) throw notFound(info, name);
    const updated = await this.#guaranteedUpdate(scope, name, existing, undefined, options, (current) => {
      const next =
        patchType === 'apply'
          ? trackApply(
              current.object,
              patch,
              info,
              options.fieldManager ?? '',
              options.force,
              context.now,
              subresource,
            )
          : applyPatch(info, current.object, patchType, patch);
      const checked = this.#patched(scope, name, next, options, context);
      if (
        checked.metadata.resourceVersion &&
        checked.metadata.resourceVersion !== current.object.metadata.resourceVersion
      ) {
        throw conflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
      }
      if (patchType === 'apply') {
        strategy.prepareForUpdate(info, checked, current.object, subresource);
        this.#admit(scope, checked, current.object, context);
      } else this.#prepareUpdate(scope, checked, current.object, subresource, options, context);
      return checked;
    });
    return { object: updated, created: false };
  }

  /** Changes the replica count through the `scale` subresource; returns the new Scale. */
  async updateScale(
    scope: Scope,
    name: string,
    compute: (scale: KubeObject) => unknown,
    options: WriteOptions,
    context: RequestContext,
  ): Promise<KubeObject> {
    const { info } = scope;
    const existing = await this.get(scope, name);
    const updated = await this.#guaranteedUpdate(scope, name, existing, undefined, options, (current) => {
      const scale = compute(toScale(info, current.object));
      const pinned =
        isPlainObject(scale) && isPlainObject(scale['metadata'])
          ? scale['metadata']['resourceVersion']
          : undefined;
      if (pinned && pinned !== current.object.metadata.resourceVersion)
        throw conflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
      const next = withScale(info, current.object, scale);
      this.#prepareUpdate(scope, next, current.object, 'scale', options, context);
      return next;
    });
    return toScale(info, updated);
  }

  async delete(
    scope: Scope,
    name: string,
    options: DeleteOptions,
    context: RequestContext,
  ): Promise<DeleteOutcome> {
    const { info } = scope;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(scope, name);
      checkPreconditions(info, name, current.object, options);
      await this.#namespaces.admitDelete(scope, current.object);
      const marked = markForDeletion(info, current.object, options, context.now);
      try {
        return await this.#deleteOrMark(scope, current, marked, options);
      } catch (error) {
        if (isConflict(error, 'modified') && attempt < MAX_UPDATE_ATTEMPTS) continue;
        if (isConflict(error, 'missing')) throw notFound(info, name);
        throw error;
      }
    }
  }

  async deleteCollection(
    scope: Scope,
    query: Omit<ListQuery, 'namespace'>,
    options: DeleteOptions,
    context: RequestContext,
  ) {
    const listed = await this.list(scope, { ...query, limit: 0, continueToken: undefined });
    const deleted: KubeObject[] = [];
    for (const item of listed.items) {
      const itemScope = { info: scope.info, namespace: item.object.metadata.namespace };
      try {
        const outcome = await this.delete(itemScope, item.object.metadata.name ?? '', options, context);
        deleted.push(isStatus(outcome.body) ? item.object : (outcome.body as KubeObject));
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
    return deleted;
  }

  /** Writes a change computed from the current object, retrying on races unless the client pinned a version. */
  async #guaranteedUpdate(
    scope: Scope,
    name: string,
    first: StoredObject,
    precondition: string | undefined,
    options: WriteOptions,
    compute: (current: StoredObject) => KubeObject,
  ): Promise<KubeObject> {
    const { info } = scope;
    let current: StoredObject | undefined = first;
    for (let attempt = 0; ; attempt++) {
      if (!current) throw notFound(info, name);
      if (precondition !== undefined && precondition !== current.object.metadata.resourceVersion) {
        throw conflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
      }
      const next = compute(current);
      strategy.validate(info, next, current.object);
      // A stale value (read through an older provider or key) is rewritten even when nothing changed.
      if (!current.stale && sameStoredState(next, current.object)) return current.object;
      if (options.dryRun)
        return {
          ...next,
          metadata: { ...next.metadata, resourceVersion: current.object.metadata.resourceVersion },
        };
      try {
        if (
          next.metadata.deletionTimestamp &&
          (next.metadata.finalizers ?? []).length === 0 &&
          !strategy.deletionPending(info, next)
        ) {
          return (await this.store.delete(info, current)).object;
        }
        return (await this.store.update(info, next, current.modRevision)).object;
      } catch (error) {
        if (!isConflict(error) || precondition !== undefined || attempt >= MAX_UPDATE_ATTEMPTS) {
          if (isConflict(error, 'missing')) throw notFound(info, name);
          if (isConflict(error)) throw conflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
          throw error;
        }
        current = await this.store.get(info, scope.namespace, name);
      }
    }
  }

  async #applyCreate(
    scope: Scope,
    name: string,
    patch: Uint8Array,
    options: WriteOptions,
    context: RequestContext,
  ) {
    const { info } = scope;
    const applied = trackApply(
      undefined,
      patch,
      info,
      options.fieldManager ?? '',
      options.force,
      context.now,
      undefined,
    );
    const object = this.#patched(scope, name, applied, options, context);
    // Apply made the managed fields already; losing a race to create is a conflict, as for any apply.
    return this.#insert(scope, object, options, context, {
      taken: () => conflict(info, name, OPTIMISTIC_LOCK_MESSAGE),
    });
  }

  async #deleteOrMark(
    scope: Scope,
    current: StoredObject,
    marked: KubeObject | undefined,
    options: DeleteOptions,
  ): Promise<DeleteOutcome> {
    const { info } = scope;
    if (marked) {
      if (options.dryRun || sameStoredState(marked, current.object))
        return { code: 200, body: marked, removed: false };
      const written = await this.store.update(info, marked, current.modRevision);
      return { code: 200, body: written.object, removed: false };
    }
    if (options.dryRun) return { code: 200, body: deletedBody(info, current.object), removed: true };
    const deleted = await this.store.delete(info, current);
    return { code: 200, body: deletedBody(info, deleted.object), removed: true };
  }

  /**
   * The common end of every create: server-owned metadata, the manager's record, validation, admission, then
   * the write (unless a dry run); `taken` is the error for a name that exists.
   */
  async #insert(
    scope: Scope,
    object: KubeObject,
    options: WriteOptions,
    context: RequestContext,
    hooks: { recordManager?: () => void; taken: () => ApiError },
  ): Promise<KubeObject> {
    const { info } = scope;
    strategy.prepareForCreate(info, object);
    object.metadata.uid = this.#newUid();
    object.metadata.creationTimestamp = kubeTimestamp(context.now);
    if (info.generation !== 'none') object.metadata.generation = 1;
    hooks.recordManager?.();
    this.#admit(scope, object, undefined, context);
    strategy.validate(info, object, undefined);
    await this.#namespaces.admitCreate(scope, object);
    if (options.dryRun) return object;
    try {
      return (await this.store.create(info, object)).object;
    } catch (error) {
      if (isConflict(error, 'exists')) throw hooks.taken();
      throw error;
    }
  }

  /** A patch result, decoded as a request body would be: the URL's kind, scope and name, known fields only. */
  #patched(
    scope: Scope,
    name: string,
    value: unknown,
    options: WriteOptions,
    context: RequestContext,
  ): KubeObject {
    const { info } = scope;
    const object = strategy.normalizeFields(
      info,
      this.#withScope(scope, strategy.coerceKind(info, value)),
      options.fieldValidation,
      context,
      true,
    );
    if (object.metadata.name !== name) throw nameMismatch(object, name);
    return object;
  }

  /** The kind's update rules, the writer's managed-fields entry, then the checks a write may still fail. */
  #prepareUpdate(
    scope: Scope,
    next: KubeObject,
    current: KubeObject,
    subresource: string | undefined,
    options: WriteOptions,
    context: RequestContext,
  ): void {
    strategy.prepareForUpdate(scope.info, next, current, subresource);
    trackWrite(
      current,
      next,
      'Update',
      this.#manager(options, context),
      context.now,
      scope.info,
      subresource,
    );
    this.#admit(scope, next, current, context);
  }

  #withScope(scope: Scope, body: KubeObject): KubeObject {
    const object: KubeObject = { ...body, metadata: { ...body.metadata } };
    if (!scope.info.namespaced) {
      delete object.metadata.namespace;
      return object;
    }
    const given = object.metadata.namespace;
    if (given && scope.namespace !== undefined && given !== scope.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    object.metadata.namespace = scope.namespace ?? given ?? '';
    return object;
  }

  #assignName(object: KubeObject): void {
    const { name, generateName } = object.metadata;
    if (name || !generateName) return;
    object.metadata.name = `${generateName.slice(0, 63 - 5)}${this.#randomSuffix()}`;
  }

  #manager(options: WriteOptions, context: RequestContext): string {
    return options.fieldManager ?? defaultFieldManager(context.userAgent);
  }
}

function nameMismatch(object: KubeObject, name: string): ApiError {
  return badRequest(
    `the name of the object (${object.metadata.name ?? ''}) does not match the name on the URL (${name})`,
  );
}

function checkPreconditions(
  info: ResourceInfo,
  name: string,
  object: KubeObject,
  options: DeleteOptions,
): void {
  const { uid, resourceVersion } = options.preconditions ?? {};
  if (uid && uid !== object.metadata.uid) {
    throw conflict(
      info,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid ?? ''}`,
    );
  }
  if (resourceVersion && resourceVersion !== object.metadata.resourceVersion) {
    throw conflict(
      info,
      name,
      `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion ?? ''}`,
    );
  }
}

/**
 * The object as it must be stored while deletion waits (finalizers to run, dependents to go first), or
 * undefined when it can be removed at once.
 */
function markForDeletion(
  info: ResourceInfo,
  object: KubeObject,
  options: DeleteOptions,
  now: Date,
): KubeObject | undefined {
  const finalizers = [...(object.metadata.finalizers ?? [])];
  const policy = options.propagationPolicy;
  if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
    finalizers.push('foregroundDeletion');
  if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  if (policy === 'Foreground' || policy === 'Background') {
    const unwanted = policy === 'Foreground' ? 'orphan' : 'foregroundDeletion';
    const index = finalizers.indexOf(unwanted);
    if (index >= 0 && object.metadata.deletionTimestamp === undefined) finalizers.splice(index, 1);
  }
  const pending = strategy.deletionPending(info, object);
  if (finalizers.length === 0 && !pending) return undefined;
  const metadata = { ...object.metadata, finalizers: finalizers.length > 0 ? finalizers : undefined };
  if (!metadata.deletionTimestamp) {
    metadata.deletionTimestamp = kubeTimestamp(now);
    metadata.deletionGracePeriodSeconds = 0;
  }
  return strategy.markedForDeletion(info, { ...object, metadata });
}

function deletedBody(info: ResourceInfo, object: KubeObject): Record<string, unknown> {
  return strategy.returnsDeletedObject(info)
    ? object
    : successStatus(info, object.metadata.name ?? '', object.metadata.uid);
}

function isStatus(body: Record<string, unknown>): boolean {
  return body['kind'] === 'Status' && body['apiVersion'] === 'v1';
}

/** Whether writing `next` would change nothing (kube skips such writes; the resourceVersion stays). */
function sameStoredState(next: KubeObject, current: KubeObject): boolean {
  const { resourceVersion: _next, ...nextMeta } = next.metadata;
  const { resourceVersion: _current, ...currentMeta } = current.metadata;
  return jsonEqual({ ...next, metadata: nextMeta }, { ...current, metadata: currentMeta });
}
