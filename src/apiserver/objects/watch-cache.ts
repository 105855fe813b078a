/**
 * WATCH fan-out. One storage watch per resource feeds a window of recent events, each decoded once and shared
 * by every watcher of the resource (its JSON and its metadata-only forms are also rendered once, when first
 * wanted); a watcher filters by namespace and selectors, turning selector transitions into ADDED/DELETED as
 * kube-apiserver does. A watcher that starts before the window replays history straight from storage, which
 * fails with 410 Gone when it was compacted.
 */
import type { MetaVersion } from '../negotiation.ts';
import { partialObjectMetadataJson, partialObjectMetadataProtobuf } from '../partial-metadata.ts';
import type { ResourceInfo } from '../resources.ts';
import type { FieldSelector, Selector } from '../selectors.ts';
import { StorageCompactedError, type StorageEvent, type WatchHandle } from '../storage/storage.ts';
import { ApiError, gone } from '../status.ts';
import { selectableFields } from './fields.ts';
import type { KubeObject } from './object.ts';
import type { ObjectStore } from './store.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One change, shared by every watcher: treat `object` and `previous` as read-only. */
export class CachedEvent {
  readonly key: string;
  readonly revision: number;
  readonly deleted: boolean;
  readonly object: KubeObject;
  /** The object before an update, when some watcher needed it (selectors can change what matches). */
  readonly previous: KubeObject | undefined;
  /** The change replaced an existing object (an update, not a creation). */
  readonly replaced: boolean;
  #json: string | undefined;
  #partials: Map<string, string | Uint8Array> | undefined;

  constructor(
    key: string,
    revision: number,
    deleted: boolean,
    object: KubeObject,
    previous: KubeObject | undefined,
    replaced: boolean,
  ) {
    this.key = key;
    this.revision = revision;
    this.deleted = deleted;
    this.object = object;
    this.previous = previous;
    this.replaced = replaced;
  }

  /** The object as JSON, rendered once for all watchers (and only when one of them wants the whole object). */
  get json(): string {
    this.#json ??= JSON.stringify(this.object);
    return this.#json;
  }

  /**
   * The object as a PartialObjectMetadata, JSON or protobuf, rendered once per form for all metadata-only
   * watchers; rendering it never reads the object's body (a Secret's data stays out of these buffers).
   */
  partial(version: MetaVersion, encoding: 'json'): string;
  partial(version: MetaVersion, encoding: 'protobuf'): Uint8Array;
  partial(version: MetaVersion, encoding: 'json' | 'protobuf'): string | Uint8Array {
    const key = `${version}/${encoding}`;
    let rendered = this.#partials?.get(key);
    if (rendered === undefined) {
      rendered =
        encoding === 'json'
          ? partialObjectMetadataJson(this.object, version)
          : partialObjectMetadataProtobuf(this.object, version);
      (this.#partials ??= new Map()).set(key, rendered);
    }
    return rendered;
  }
}

export interface WatchFilter {
  /** Keys under this prefix only (a namespace, or one object's key). */
  keyPrefix: string;
  labels: Selector;
  fields: FieldSelector;
}

export interface WatchSink {
  event(type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>, event: CachedEvent): void;
  error(error: ApiError): void;
}

export interface Subscription {
  close(): void;
  /** The revision of the last event this watcher has been offered (a safe bookmark). */
  readonly progressRevision: number;
}

const WINDOW_SIZE = 4096;

export class WatchCache {
  readonly #store: ObjectStore;
  readonly #info: ResourceInfo;
  readonly #window: CachedEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  /** Events at or below this revision may be missing from the window. */
  #windowStart = 0;
  #lastRevision = 0;
  #handle: WatchHandle | undefined;
  #started: Promise<void> | undefined;
  #failure: Error | undefined;
  #pending: Promise<void> = Promise.resolve();

  readonly #onUnreadable: (error: unknown) => void;

  constructor(
    store: ObjectStore,
    info: ResourceInfo,
    onUnreadable: (error: unknown) => void = () => undefined,
  ) {
    this.#store = store;
    this.#info = info;
    this.#onUnreadable = onUnreadable;
  }

  /** Delivers every change after `afterRevision` that passes `filter`, until closed. */
  async subscribe(afterRevision: number, filter: WatchFilter, sink: WatchSink): Promise<Subscription> {
    await this.#start();
    if (this.#failure) throw this.#failure;
    if (afterRevision < this.#windowStart) return this.#subscribeFromStorage(afterRevision, filter, sink);
    const watcher = new Watcher(filter, sink, afterRevision);
    for (const event of this.#window) if (event.revision > afterRevision) watcher.offer(event);
    this.#watchers.add(watcher);
    return {
      close: () => this.#watchers.delete(watcher),
      get progressRevision() {
        return watcher.progressRevision;
      },
    };
  }

  /**
   * Storage history at and below `revision` is gone, and so are the window's events up to there. What the
   * window still knows is every change to this resource after the last event it dropped: a watch from that
   * revision or later misses nothing and is served from here, however far storage has compacted (as in
   * kube-apiserver, whose watch cache answers 410 only below its oldest buffered event, not below etcd's
   * compaction). Moving the start to `revision` itself would expire every watcher of a resource that stayed
   * quiet while others were written — an idle informer's resourceVersion (its last event, or a bookmark that
   * can only carry that) — and make each one relist everything after every compaction. A watch from before
   * a dropped event still gets 410, from storage.
   */
  compacted(revision: number): void {
    while (this.#window.length > 0 && (this.#window[0]?.revision ?? 0) <= revision) {
      const dropped = this.#window.shift();
      if (dropped) this.#windowStart = Math.max(this.#windowStart, dropped.revision);
    }
  }

  /** Starts the storage watch (a list taken afterwards is then always inside the window). */
  ready(): Promise<void> {
    return this.#start();
  }

  close(): void {
    this.#handle?.close();
    this.#watchers.clear();
  }

  #start(): Promise<void> {
    this.#started ??= this.#store.storage.revision().then((revision) => {
      this.#windowStart = revision;
      this.#lastRevision = revision;
      this.#handle = this.#store.storage.watch(
        `${this.#info.storagePrefix}/`,
        revision,
        (event) => this.#enqueue(event),
        (error) => this.#fail(error),
      );
    });
    return this.#started;
  }

  /** Decoding may be asynchronous (the transformer); events must still reach watchers in revision order. */
  #enqueue(event: StorageEvent): void {
    this.#pending = this.#pending
      .then(async () => {
        const cached = await decodeEvent(this.#store, this.#info, event, this.#selective());
        this.#window.push(cached);
        if (this.#window.length > WINDOW_SIZE)
          this.#windowStart = this.#window.shift()?.revision ?? this.#windowStart;
        this.#lastRevision = cached.revision;
        for (const watcher of this.#watchers) watcher.offer(cached);
      })
      // A value that cannot be read (encryption it cannot open) is left out of every watch, and reported.
      .catch(this.#onUnreadable);
  }

  #fail(error: Error): void {
    this.#failure = error;
    const status = toApiError(error);
    for (const watcher of this.#watchers) watcher.sink.error(status);
    this.#watchers.clear();
  }

  /** Some watcher selects on labels or fields that an update can change. */
  #selective(): boolean {
    for (const watcher of this.#watchers) if (watcher.selective) return true;
    return false;
  }

  get lastRevision(): number {
    return this.#lastRevision;
  }

  #subscribeFromStorage(afterRevision: number, filter: WatchFilter, sink: WatchSink): Subscription {
    const watcher = new Watcher(filter, sink, afterRevision);
    let chain = Promise.resolve();
    let closed = false;
    const handle = this.#store.storage.watch(
      filter.keyPrefix,
      afterRevision,
      (event) => {
        chain = chain
          .then(async () => {
            const cached = await decodeEvent(this.#store, this.#info, event, watcher.selective);
            if (!closed) watcher.offer(cached);
          })
          .catch(this.#onUnreadable);
      },
      (error) => {
        if (!closed) sink.error(toApiError(error, afterRevision));
      },
    );
    return {
      close: () => {
        closed = true;
        handle.close();
      },
      get progressRevision() {
        return watcher.progressRevision;
      },
    };
  }
}

class Watcher {
  readonly filter: WatchFilter;
  readonly sink: WatchSink;
  progressRevision: number;

  constructor(filter: WatchFilter, sink: WatchSink, afterRevision: number) {
    this.filter = filter;
    this.sink = sink;
    this.progressRevision = afterRevision;
  }

  get selective(): boolean {
    const { labels, fields } = this.filter;
    return !labels.empty || (!fields.empty && fields.name === undefined);
  }

  offer(event: CachedEvent): void {
    if (event.revision <= this.progressRevision) return;
    this.progressRevision = event.revision;
    if (!event.key.startsWith(this.filter.keyPrefix)) return;
    const type = this.#typeFor(event);
    if (type) this.sink.event(type, event);
  }

  #typeFor(event: CachedEvent): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
    const now = this.#matches(event.object);
    if (event.deleted) return now ? 'DELETED' : undefined;
    const before = event.replaced && (event.previous ? this.#matches(event.previous) : now);
    if (now) return before ? 'MODIFIED' : 'ADDED';
    return before ? 'DELETED' : undefined;
  }

  #matches(object: KubeObject): boolean {
    const { labels, fields } = this.filter;
    return (
      labels.matches(object.metadata.labels) && (fields.empty || fields.matches(selectableFields(object)))
    );
  }
}

async function decodeEvent(
  store: ObjectStore,
  info: ResourceInfo,
  event: StorageEvent,
  withPrevious: boolean,
): Promise<CachedEvent> {
  if (event.type === 'delete') {
    const last = await store.decode(info, event.previous);
    const object = {
      ...last.object,
      metadata: { ...last.object.metadata, resourceVersion: String(event.modRevision) },
    };
    return new CachedEvent(event.key, event.modRevision, true, object, undefined, true);
  }
  const current = await store.decode(info, {
    key: event.key,
    value: event.value,
    createRevision: event.createRevision,
    modRevision: event.modRevision,
  });
  const replaced = event.createRevision !== event.modRevision;
  const previous =
    withPrevious && event.previous ? (await store.decode(info, event.previous)).object : undefined;
  return new CachedEvent(event.key, event.modRevision, false, current.object, previous, replaced);
}

function toApiError(error: Error, requested?: number): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StorageCompactedError)
    return gone(`too old resource version: ${requested ?? 0} (${error.compactedRevision})`);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${error.message}`);
}
