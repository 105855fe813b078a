/**
 * WATCH over HTTP: newline-delimited WatchEvent JSON on a chunked 200 response. An unset or "0"
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
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { ApiError, badRequest } from '../status.ts';
import { parseTableAccept, toTable } from '../table.ts';
import { booleanParameter, listQuery } from './query.ts';
import { includeObjectOf, type ResourceRequest } from './resource-handler.ts';

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

  async serve(call: ResourceRequest, scope: Scope): Promise<void> {
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

/** Writes watch events in the negotiated encoding (plain objects, or one-row Tables for kubectl get -w). */
class WatchOutput {
  readonly #response: ServerResponse;
  readonly #info: ResourceInfo;
  readonly #table: { table: boolean; version: 'v1' | 'v1beta1' };
  readonly #call: ResourceRequest;
  readonly #maxBufferedBytes: number;
  #headersSent = false;
  closed = false;
  onOverflow: () => void = () => undefined;

  constructor(response: ServerResponse, info: ResourceInfo, call: ResourceRequest, maxBufferedBytes: number) {
    this.#response = response;
    this.#info = info;
    this.#call = call;
    this.#table = parseTableAccept(call.request.headers.accept);
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  begin(): void {
    this.#response.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    this.#response.flushHeaders();
  }

  event(type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>, event: CachedEvent): void {
    if (this.#table.table) return this.object(type, event.object);
    this.#write(`{"type":"${type}","object":${event.json}}\n`);
  }

  object(type: WatchEventType, object: KubeObject): void {
    const encoded = this.#table.table ? this.#asTable(object) : object;
    this.#write(`${JSON.stringify({ type, object: encoded })}\n`);
  }

  bookmark(revision: number): void {
    const object = {
      kind: this.#info.kind,
      apiVersion: apiVersionOf(this.#info),
      metadata: { resourceVersion: String(revision), creationTimestamp: null },
    };
    this.#write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  error(error: ApiError): void {
    this.#write(`${JSON.stringify({ type: 'ERROR', object: error.toStatus() })}\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.#response.end();
  }

  #asTable(object: KubeObject): unknown {
    const table = toTable(this.#info, [object], {
      now: new Date(),
      includeObject: includeObjectOf(this.#call.url),
      noHeaders: this.#headersSent,
      resourceVersion: object.metadata.resourceVersion,
      version: this.#table.version,
    });
    this.#headersSent = true;
    return table;
  }

  #write(line: string): void {
    if (this.closed) return;
    this.#response.write(line);
    if (this.#response.writableLength > this.#maxBufferedBytes) this.onOverflow();
  }
}
