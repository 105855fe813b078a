/**
 * WATCH over HTTP: newline-delimited WatchEvent JSON on a chunked 200 response (or, for a metadata-only watch
 * that negotiated protobuf, length-prefixed protobuf WatchEvents). An unset or "0"
 * resourceVersion first replays the current state as ADDED events; bookmarks carry the progress revision; a
 * too-old resourceVersion ends the stream with an ERROR event holding a 410 Expired Status; the stream closes
 * after timeoutSeconds (default: 30 to 60 minutes, as kube-apiserver's --min-request-timeout spreads it).
 */
import type { ServerResponse } from 'node:http';
import type { Scope } from '../objects/context.ts';
import { supportedFieldLabels } from '../objects/fields.ts';
import type { KubeObject } from '../objects/object.ts';
import { listObjects, parseResourceVersion } from '../objects/list.ts';
import type { ObjectStore } from '../objects/store.ts';
import type { CachedEvent, Subscription, WatchCache, WatchEventType } from '../objects/watch-cache.ts';
import { encodeMetaObject, encodeWatchEventFrame, PROTOBUF_CONTENT_TYPE } from '../codec/protobuf.ts';
import type { MetaVersion, ResponseFormat } from '../negotiation.ts';
import { toPartialObjectMetadata } from '../partial-metadata.ts';
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { ApiError, badRequest } from '../status.ts';
import { toTable } from '../table.ts';
import { booleanParameter, listQuery } from './query.ts';
import { includeObjectOf, type NegotiatedRequest } from './resource-handler.ts';

export interface WatchSettings {
  /** How often a watcher that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Bytes a slow client may fall behind before its watch is closed (it reconnects from its last event). */
  maxBufferedBytes: number;
}

const MIN_REQUEST_TIMEOUT_SECONDS = 1800;

export class WatchStreamer {
  readonly #store: ObjectStore;
  readonly #cacheFor: (info: ResourceInfo) => WatchCache;
  readonly #settings: WatchSettings;
  readonly #open = new Set<() => void>();

  constructor(store: ObjectStore, cacheFor: (info: ResourceInfo) => WatchCache, settings: WatchSettings) {
    this.#store = store;
    this.#cacheFor = cacheFor;
    this.#settings = settings;
  }

  /** Ends every open watch (server shutdown). */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }

  async serve(call: NegotiatedRequest, scope: Scope): Promise<void> {
    const query = call.url.searchParams;
    const selection = listQuery(query, supportedFieldLabels(scope.info));
    const timeoutSeconds = timeoutOf(query.get('timeoutSeconds'));
    const requested = query.get('resourceVersion') ?? '';
    const keyPrefix = this.#store.collectionPrefix(scope.info, scope.namespace);
    const filter = { keyPrefix, labels: selection.labels, fields: selection.fields };
    const output = new WatchOutput(call.response, scope.info, call, this.#settings.maxBufferedBytes);
    const cache = this.#cacheFor(scope.info);

    await cache.ready();
    let startRevision: number;
    const initial: KubeObject[] = [];
    if (requested === '' || requested === '0') {
      const listed = await listObjects(this.#store, scope.info, {
        ...selection,
        namespace: scope.namespace,
        limit: 0,
        continueToken: undefined,
      });
      startRevision = listed.revision;
      for (const item of listed.items) initial.push(item.object);
    } else {
      startRevision = parseResourceVersion(requested);
    }

    output.begin();
    for (const object of initial) output.object('ADDED', object);
    let subscription: Subscription | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearInterval(bookmarks);
      subscription?.close();
      this.#open.delete(finish);
      output.end();
    };
    this.#open.add(finish);
    const timer = setTimeout(finish, timeoutSeconds * 1000);
    const bookmarks = booleanParameter(query, 'allowWatchBookmarks')
      ? setInterval(
          () => output.bookmark(subscription?.progressRevision ?? startRevision),
          this.#settings.bookmarkIntervalMs,
        )
      : undefined;
    call.response.on('close', finish);
    output.onOverflow = finish;
    try {
      subscription = await cache.subscribe(startRevision, filter, {
        event: (type, event) => output.event(type, event),
        error: (error) => {
          output.error(error);
          finish();
        },
      });
      if (output.closed) subscription.close();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      output.error(error);
      finish();
    }
  }
}

function timeoutOf(text: string | null): number {
  const seconds = text === null || text === '' ? 0 : Number(text);
  if (!Number.isSafeInteger(seconds) || seconds < 0)
    throw badRequest(`timeoutSeconds: invalid value "${text ?? ''}"`);
  return seconds > 0 ? seconds : MIN_REQUEST_TIMEOUT_SECONDS * (1 + Math.random());
}

/** How each event's object is written: whole, as a one-row Table, or as PartialObjectMetadata (JSON or protobuf). */
type EventForm =
  | { kind: 'object' }
  | { kind: 'table'; version: MetaVersion }
  | { kind: 'partial'; version: MetaVersion; encoding: 'json' | 'protobuf' };

/**
 * kube transforms each event's object with the negotiated conversion. `as=PartialObjectMetadataList` cannot
 * apply to one object: kube then logs the failure and falls back to the whole object; here such a watcher gets
 * PartialObjectMetadata, so that asking for less never yields more.
 */
function eventForm(format: ResponseFormat): EventForm {
  switch (format.as) {
    case 'object':
      return { kind: 'object' };
    case 'Table':
      return { kind: 'table', version: format.version };
    default:
      return { kind: 'partial', version: format.version, encoding: format.encoding };
  }
}

/** Writes watch events in the negotiated encoding. */
class WatchOutput {
  readonly #response: ServerResponse;
  readonly #info: ResourceInfo;
  readonly #form: EventForm;
  readonly #call: NegotiatedRequest;
  readonly #maxBufferedBytes: number;
  #headersSent = false;
  #corked = false;
  closed = false;
  onOverflow: () => void = () => undefined;

  constructor(
    response: ServerResponse,
    info: ResourceInfo,
    call: NegotiatedRequest,
    maxBufferedBytes: number,
  ) {
    this.#response = response;
    this.#info = info;
    this.#call = call;
    this.#form = eventForm(call.format);
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  get #protobuf(): boolean {
    return this.#form.kind === 'partial' && this.#form.encoding === 'protobuf';
  }

  begin(): void {
    this.#response.writeHead(200, {
      'Content-Type': this.#protobuf ? `${PROTOBUF_CONTENT_TYPE};stream=watch` : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    this.#response.flushHeaders();
  }

  event(type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>, event: CachedEvent): void {
    const form = this.#form;
    if (form.kind === 'table') return this.object(type, event.object);
    if (form.kind === 'object') return this.#write(`{"type":"${type}","object":${event.json}}\n`);
    if (form.encoding === 'json')
      return this.#write(`{"type":"${type}","object":${event.partial(form.version, 'json')}}\n`);
    this.#write(encodeWatchEventFrame(type, event.partial(form.version, 'protobuf')));
  }

  object(type: WatchEventType, object: KubeObject): void {
    const form = this.#form;
    if (form.kind === 'partial') return this.#encoded(type, toPartialObjectMetadata(object, form.version));
    const encoded = form.kind === 'table' ? this.#asTable(object, form.version) : object;
    this.#write(`${JSON.stringify({ type, object: encoded })}\n`);
  }

  bookmark(revision: number): void {
    const metadata = { resourceVersion: String(revision), creationTimestamp: null };
    const object =
      this.#form.kind === 'partial'
        ? toPartialObjectMetadata({ metadata }, this.#form.version)
        : { kind: this.#info.kind, apiVersion: apiVersionOf(this.#info), metadata };
    this.#encoded('BOOKMARK', object);
  }

  error(error: ApiError): void {
    this.#encoded('ERROR', error.toStatus());
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    // Node's end() sends the last chunk before what a cork still holds: flushed first.
    this.#flush();
    this.#response.end();
  }

  /** An event whose object is already what the client gets (a PartialObjectMetadata, a bookmark, a Status). */
  #encoded(type: WatchEventType, object: Record<string, unknown>): void {
    if (this.#protobuf) this.#write(encodeWatchEventFrame(type, encodeMetaObject(object)));
    else this.#write(`${JSON.stringify({ type, object })}\n`);
  }

  #asTable(object: KubeObject, version: MetaVersion): unknown {
    const table = toTable(this.#info, [object], {
      now: new Date(),
      includeObject: includeObjectOf(this.#call.url),
      noHeaders: this.#headersSent,
      resourceVersion: object.metadata.resourceVersion,
      version,
    });
    this.#headersSent = true;
    return table;
  }

  /**
   * Events of one turn of the event loop (a storage batch delivers many) go out as one chunk, in one socket
   * write, as kube's watch server flushes only once no more events are waiting: with TLS, a write per event
   * cost more than encoding it.
   */
  #write(chunk: string | Uint8Array): void {
    if (this.closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#response.cork();
      process.nextTick(() => this.#flush());
    }
    this.#response.write(chunk);
    if (this.#response.writableLength > this.#maxBufferedBytes) this.onOverflow();
  }

  #flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#response.uncork();
  }
}
