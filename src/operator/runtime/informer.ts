/**
 * An informer keeps a local, indexed copy of one resource and tells handlers what changed. It follows
 * client-go's reflector: a paged LIST, then a WATCH from the list's resourceVersion with bookmarks; when the
 * watch ends it resumes from the last version seen; a 410 (HTTP status or ERROR event) means that version was
 * compacted away, so it lists again and reports the difference; other failures are retried with jittered
 * backoff, forever (client-node's informer stops on them). A periodic resync re-delivers every cached object
 * as an update, so controllers re-check state that drifted without an event.
 *
 * In metadata-only mode the cache keeps `PartialObjectMetadata` (no data, no managed fields, no last-applied
 * copy): the Accept header asks the server for PartialObjectMetadata(List), so that bodies never cross the wire,
 * and the managed fields and last-applied annotation the server still sends are dropped. A server that ignores
 * the `as=` parameter sends whole objects: they are reduced here instead (counted in `reducedLocally`, and
 * logged once). That is how every Secret in a cluster can be watched without holding every Secret's value.
 *
 * Managed fields are dropped from every cached object unless asked for (controller-runtime's
 * TransformStripManagedFields): no controller reads them from a cache, and they are often a third of an object.
 * LIST pages hold 100 objects (client-go asks for 500): a page is parsed whole, so its size bounds the memory a
 * LIST needs at once, and metadata-only pages still carry each object's last-applied annotation (docs/adr/0014).
 */
import { CloakError } from '../../common/errors.ts';
import type { ApiClient } from './api-client.ts';
import { isGone, KubeApiError } from './api-client.ts';
import { jitteredDelay, RECONNECT_BACKOFF, type JitteredBackoff } from './backoff.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { ObjectCache, type IndexFunction } from './object-cache.ts';
import {
  isPartialObjectMetadata,
  objectKey,
  toMetadataOnly,
  withoutManagedFields,
  type KubeObject,
  type ResourceType,
} from './resource.ts';

export const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
/** Objects per LIST page unless told otherwise (see the module comment). */
export const DEFAULT_PAGE_SIZE = 100;
/** How long past its timeoutSeconds a watch may stay open before it is presumed dead. */
const WATCH_DEADLINE_SLACK_SECONDS = 30;

export const METADATA_WATCH_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface InformerHandlers<T extends KubeObject> {
  add?(object: T): void;
  /** Also called on resync, with `previous === current`. */
  update?(previous: T, current: T): void;
  delete?(object: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: ApiClient;
  type: ResourceType;
  /** Only this namespace (all namespaces when absent). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Keep metadata only (see the module comment). */
  metadataOnly?: boolean;
  /** Keep `metadata.managedFields` in the cache (dropped by default). */
  keepManagedFields?: boolean;
  /** Objects per LIST page (default 100). */
  pageSize?: number;
  /** How often every cached object is re-delivered as an update; 0 never. */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunction<T>>;
  /** Applied to every object before it is cached (to drop fields the controller never reads). */
  transform?: (object: T) => T;
  backoff?: JitteredBackoff;
  /** The server closes each watch after a random time in [min, 2·min) seconds, as client-go asks. */
  minWatchTimeoutSeconds?: number;
  /** How long past its timeout a silent watch is presumed dead (default 30 s). */
  watchDeadlineSlackSeconds?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/** The resourceVersion a watch resumed from is no longer available. */
class ResourceExpired extends CloakError {
  constructor(message: string) {
    super('ERR_KUBE_GONE', message);
  }
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly type: ResourceType;
  readonly cache: ObjectCache<T>;
  readonly #options: InformerOptions<T>;
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #clock: Clock;
  readonly #random: () => number;
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];
  #resourceVersion = '';
  /** Reconnects since the last successful LIST or WATCH. */
  #failures = 0;
  #lists = 0;
  #reducedLocally = 0;

  constructor(options: InformerOptions<T>) {
    this.type = options.type;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.cache = new ObjectCache<T>(options.indexers);
  }

  /**
   * In metadata-only mode, objects the server sent whole although metadata was asked for (a server that
   * ignores `as=PartialObjectMetadata`); they were reduced here. Zero against a server that honours it.
   */
  get reducedLocally(): number {
    return this.#reducedLocally;
  }

  /** Completed LISTs (a relist after 410 counts too). */
  get lists(): number {
    return this.#lists;
  }

  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  /** True once the first LIST has been delivered. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once synced, or when `signal` aborts (check it). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#syncWaiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const stopResync = this.#startResync(signal);
    try {
      while (!signal.aborted) {
        try {
          if (!this.#resourceVersion) await this.#list(signal);
          await this.#watch(signal);
        } catch (error) {
          if (signal.aborted) break;
          if (error instanceof ResourceExpired || isGone(error)) {
            this.#options.logger?.info(
              { resource: this.type.plural, resourceVersion: this.#resourceVersion },
              'watch expired; listing again',
            );
            this.#resourceVersion = '';
            continue;
          }
          const delay = jitteredDelay(
            this.#failures++,
            this.#options.backoff ?? RECONNECT_BACKOFF,
            this.#random,
          );
          this.#options.logger?.warn(
            { resource: this.type.plural, err: error, retryInMs: Math.round(delay) },
            'list/watch failed; retrying',
          );
          await sleep(this.#clock, delay, signal);
        }
      }
    } finally {
      stopResync();
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.#options.client.list<T>(this.type, {
        namespace: this.#options.namespace,
        labelSelector: this.#options.labelSelector,
        fieldSelector: this.#options.fieldSelector,
        limit: this.#options.pageSize ?? DEFAULT_PAGE_SIZE,
        continue: continueToken,
        accept: this.#options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
        signal,
      });
      for (const item of page.items) items.push(this.#prepare(item));
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (continueToken && !signal.aborted);
    if (signal.aborted) return;
    const changes = this.cache.replace(items);
    this.#resourceVersion = resourceVersion;
    this.#failures = 0;
    this.#lists++;
    for (const object of changes.added) this.#emit('add', object);
    for (const { previous, current } of changes.updated) this.#emit('update', current, previous);
    for (const object of changes.deleted) this.#emit('delete', object);
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  async #watch(signal: AbortSignal): Promise<void> {
    const minTimeout = this.#options.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(minTimeout * (1 + this.#random()));
    const watchAbort = new AbortController();
    const stop = (): void => watchAbort.abort();
    signal.addEventListener('abort', stop, { once: true });
    // The server ends the watch after timeoutSeconds. If it has not a little later, the connection died
    // without a reset (a vanished peer, a dropped NAT entry): give up on it and resume from the last version.
    let overdue = false;
    const cancelDeadline = this.#clock.schedule(
      () => {
        overdue = true;
        watchAbort.abort();
      },
      (timeoutSeconds + (this.#options.watchDeadlineSlackSeconds ?? WATCH_DEADLINE_SLACK_SECONDS)) * 1000,
    );
    try {
      const response = await this.#options.client.watch(this.type, {
        namespace: this.#options.namespace,
        labelSelector: this.#options.labelSelector,
        fieldSelector: this.#options.fieldSelector,
        resourceVersion: this.#resourceVersion,
        timeoutSeconds,
        accept: this.#options.metadataOnly ? METADATA_WATCH_ACCEPT : undefined,
        signal: watchAbort.signal,
      });
      const opened = this.#clock.now();
      let events = 0;
      response.body.setEncoding('utf8');
      let buffered = '';
      try {
        for await (const chunk of response.body) {
          buffered += chunk as string;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (!line) continue;
            this.#apply(JSON.parse(line) as WatchEvent);
            events++;
          }
        }
      } catch (error) {
        if (overdue && !signal.aborted) return;
        throw error;
      }
      // A watch the server ends at once, empty, is a failure in disguise: back off rather than spin.
      if (events === 0 && this.#clock.now() - opened < 1000)
        throw new CloakError('ERR_KUBE_WATCH', 'the watch ended as soon as it started');
      this.#failures = 0;
    } finally {
      cancelDeadline();
      signal.removeEventListener('abort', stop);
      watchAbort.abort();
    }
  }

  #apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = event.object;
      if (status.code === 410) throw new ResourceExpired(status.message ?? 'resource version expired');
      throw new KubeApiError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error');
    }
    const version = event.object.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (version) this.#resourceVersion = version;
      return;
    }
    const object = this.#prepare(event.object as T);
    if (event.type === 'DELETED') {
      const previous = this.cache.remove(objectKey(object.metadata));
      this.#emit('delete', previous ?? object);
    } else {
      const previous = this.cache.upsert(object);
      if (previous) this.#emit('update', object, previous);
      else this.#emit('add', object);
    }
    if (version) this.#resourceVersion = version;
  }

  #prepare(object: T): T {
    let reduced = object;
    if (this.#options.metadataOnly) {
      if (!isPartialObjectMetadata(object) && this.#reducedLocally++ === 0) {
        this.#options.logger?.info(
          { resource: this.type.plural },
          'the API server sent whole objects for a metadata-only request; reducing them here',
        );
      }
      reduced = toMetadataOnly(object) as T; // managed fields always go
    } else if (!this.#options.keepManagedFields) {
      reduced = withoutManagedFields(object);
    }
    return this.#options.transform ? this.#options.transform(reduced) : reduced;
  }

  #emit(kind: 'add' | 'update' | 'delete', object: T, previous?: T): void {
    for (const handlers of this.#handlers) {
      try {
        if (kind === 'add') handlers.add?.(object);
        else if (kind === 'update') handlers.update?.(previous ?? object, object);
        else handlers.delete?.(object);
      } catch (error) {
        // A handler's bug must not stop the informer (every other handler depends on it).
        this.#options.logger?.error({ resource: this.type.plural, err: error }, 'informer handler failed');
      }
    }
  }

  #startResync(signal: AbortSignal): () => void {
    const period = this.#options.resyncPeriodMs ?? 0;
    if (period <= 0) return () => undefined;
    let cancel = (): void => undefined;
    const tick = (): void => {
      if (signal.aborted) return;
      if (this.#synced) for (const object of this.cache.list()) this.#emit('update', object, object);
      cancel = this.#clock.schedule(tick, period);
    };
    cancel = this.#clock.schedule(tick, period);
    return () => cancel();
  }
}
