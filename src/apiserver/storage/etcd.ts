/**
 * Storage on a real etcd v3 through its JSON gRPC gateway (etcd 3.4 serves it under /v3/ on the client URLs):
 * plain HTTP/1.1 POSTs of the protobuf messages as JSON, with bytes as base64 and int64 fields as decimal
 * strings (the gateway writes snake_case field names and leaves out zero values). No gRPC library needed.
 *
 * Keys are stored as the caller's strings in UTF-8 and values as the caller's bytes, exactly what
 * kube-apiserver would put there, so `etcdctl get --prefix /registry/` shows them.
 */
import http from 'node:http';
import { errorMessage } from '../../common/errors.ts';
import {
  StorageCompactedError,
  StorageConflictError,
  StorageError,
  type ListOptions,
  type ListResult,
  type Storage,
  type StorageEvent,
  type StoredValue,
  type WatchHandle,
} from './storage.ts';

export interface EtcdStorageOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379; the next one is tried when one refuses connections. */
  endpoints: string[];
}

interface EtcdKeyValue {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
}

interface EtcdHeader {
  revision?: string;
}

interface RangeResponse {
  header?: EtcdHeader;
  kvs?: EtcdKeyValue[];
  more?: boolean;
  count?: string;
}

interface PutResponse {
  header?: EtcdHeader;
  prev_kv?: EtcdKeyValue;
}

interface DeleteRangeResponse {
  header?: EtcdHeader;
  deleted?: string;
  prev_kvs?: EtcdKeyValue[];
}

interface TxnResponse {
  header?: EtcdHeader;
  succeeded?: boolean;
  responses?: {
    response_range?: RangeResponse;
    response_put?: PutResponse;
    response_delete_range?: DeleteRangeResponse;
  }[];
}

interface WatchResponse {
  header?: EtcdHeader;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  cancel_reason?: string;
  events?: { type?: 'PUT' | 'DELETE'; kv?: EtcdKeyValue; prev_kv?: EtcdKeyValue }[];
}

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';
/** Connection errors after which the request certainly did not reach etcd, so another endpoint may take it. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const REQUEST_TIMEOUT_MS = 30_000;
/** Reconnection attempts of a broken watch stream (about 10 s in all) before the watch fails. */
const WATCH_RETRIES = 8;
const EMPTY = new Uint8Array(0);

/** An error status from etcd: the gRPC message (never holds a value) and code. */
class EtcdError extends StorageError {
  readonly etcdMessage: string;

  constructor(etcdMessage: string) {
    super('ERR_STORAGE_ETCD', `etcd: ${etcdMessage}`);
    this.etcdMessage = etcdMessage;
  }

  get compacted(): boolean {
    return this.etcdMessage.includes(COMPACTED);
  }

  get future(): boolean {
    return this.etcdMessage.includes(FUTURE);
  }
}

function b64(text: string | Uint8Array): string {
  return (
    typeof text === 'string'
      ? Buffer.from(text, 'utf8')
      : Buffer.from(text.buffer, text.byteOffset, text.byteLength)
  ).toString('base64');
}

function bytes(base64: string | undefined): Uint8Array {
  if (!base64) return EMPTY;
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function int(value: string | undefined): number {
  return value === undefined ? 0 : Number(value);
}

function stored(kv: EtcdKeyValue): StoredValue {
  return {
    key: Buffer.from(kv.key ?? '', 'base64').toString('utf8'),
    value: bytes(kv.value),
    createRevision: int(kv.create_revision),
    modRevision: int(kv.mod_revision),
  };
}

/** etcd's range for "every key with this prefix": [prefix, prefix with its last byte below 0xff plus one). */
function prefixRange(prefix: string): { key: string; range_end: string } {
  if (prefix === '') return { key: b64('\0'), range_end: b64('\0') };
  const end = Buffer.from(prefix, 'utf8');
  let length = end.length;
  while (length > 0 && end[length - 1] === 0xff) length--;
  if (length === 0) return { key: b64(prefix), range_end: b64('\0') };
  end[length - 1] = (end[length - 1] ?? 0) + 1;
  return { key: b64(prefix), range_end: end.subarray(0, length).toString('base64') };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class EtcdHttp {
  readonly #endpoints: URL[];
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  #current = 0;

  constructor(endpoints: URL[]) {
    this.#endpoints = endpoints;
  }

  /** The endpoint requests go to now. */
  endpoint(): URL {
    return this.#endpoints[this.#current % this.#endpoints.length] as URL;
  }

  /** Moves to the next endpoint (after a connection failure). */
  next(): void {
    this.#current = (this.#current + 1) % this.#endpoints.length;
  }

  async post<T>(path: string, body: object): Promise<T> {
    const text = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const endpoint = this.endpoint();
      try {
        const response = await this.#send(new URL(path, endpoint), text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(response.body);
        } catch {
          throw new StorageError(
            'ERR_STORAGE_ETCD',
            `etcd ${endpoint.host}${path}: HTTP ${response.status}, not JSON`,
          );
        }
        if (response.status !== 200) {
          const failure = parsed as { message?: string; error?: string };
          throw new EtcdError(failure.message ?? failure.error ?? `HTTP ${response.status}`);
        }
        return parsed as T;
      } catch (error) {
        if (error instanceof StorageError) throw error;
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && NOT_SENT.has(code) && attempt + 1 < this.#endpoints.length) {
          this.next();
          continue;
        }
        throw new StorageError('ERR_STORAGE_UNAVAILABLE', `etcd ${endpoint.host}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }
  }

  #send(url: URL, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error('request timed out')));
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * One etcd watch stream (POST /v3/watch answers with newline-separated JSON messages). The cursor is the last
 * revision whose events were delivered; when the stream breaks the watch is created again from the cursor,
 * so a reconnect neither loses nor repeats events.
 */
class EtcdWatch implements WatchHandle {
  readonly #client: EtcdHttp;
  readonly #range: { key: string; range_end: string };
  readonly #onEvent: (event: StorageEvent) => void;
  readonly #onError: (error: Error) => void;
  readonly #unregister: (watch: EtcdWatch) => void;
  #cursor: number;
  #request: http.ClientRequest | undefined;
  #failures = 0;
  #closed = false;

  constructor(
    client: EtcdHttp,
    prefix: string,
    afterRevision: number,
    onEvent: (event: StorageEvent) => void,
    onError: (error: Error) => void,
    unregister: (watch: EtcdWatch) => void,
  ) {
    this.#client = client;
    this.#range = prefixRange(prefix);
    this.#cursor = afterRevision;
    this.#onEvent = onEvent;
    this.#onError = onError;
    this.#unregister = unregister;
    this.#connect();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#request?.destroy();
    this.#request = undefined;
    this.#unregister(this);
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.close();
    this.#onError(error);
  }

  #connect(): void {
    const body = JSON.stringify({
      create_request: {
        ...this.#range,
        start_revision: String(this.#cursor + 1),
        prev_kv: true,
        progress_notify: true,
      },
    });
    const endpoint = this.#client.endpoint();
    // A watch holds its connection for as long as it lives: its own socket, outside the request pool.
    const request = http.request(
      new URL('/v3/watch', endpoint),
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.setEncoding('utf8');
        let buffered = '';
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while (!this.#closed && (newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) this.#message(line, response.statusCode ?? 0);
          }
        });
        response.on('end', () => this.#broken(request, new Error('watch stream ended')));
        response.on('error', (error) => this.#broken(request, error));
      },
    );
    request.on('error', (error) => this.#broken(request, error));
    request.end(body);
    this.#request = request;
  }

  /** The stream of `request` broke (reported once, however many of its parts say so). */
  #broken(request: http.ClientRequest, error: Error): void {
    if (this.#closed || request !== this.#request) return;
    this.#request?.destroy();
    this.#request = undefined;
    this.#failures++;
    if (this.#failures > WATCH_RETRIES) {
      this.#fail(
        new StorageError('ERR_STORAGE_UNAVAILABLE', `etcd watch: ${error.message}`, { cause: error }),
      );
      return;
    }
    this.#client.next();
    setTimeout(
      () => {
        if (!this.#closed) this.#connect();
      },
      Math.min(2000, 50 * 2 ** this.#failures),
    ).unref();
  }

  #message(line: string, status: number): void {
    let message: { result?: WatchResponse; error?: { message?: string } } & { message?: string };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      this.#fail(new StorageError('ERR_STORAGE_ETCD', `etcd watch: HTTP ${status}, not JSON`));
      return;
    }
    if (message.error || !message.result) {
      this.#fail(new EtcdError(message.error?.message ?? message.message ?? `watch failed (HTTP ${status})`));
      return;
    }
    const result = message.result;
    const compacted = int(result.compact_revision);
    if (compacted > 0) {
      this.#fail(new StorageCompactedError(this.#cursor, compacted));
      return;
    }
    if (result.canceled) {
      this.#fail(new EtcdError(`watch canceled${result.cancel_reason ? `: ${result.cancel_reason}` : ''}`));
      return;
    }
    if (result.created) {
      this.#failures = 0;
      return;
    }
    const events = result.events ?? [];
    if (events.length === 0) {
      // A progress notification: every event up to the header's revision has been sent.
      this.#cursor = Math.max(this.#cursor, int(result.header?.revision));
      return;
    }
    for (const event of events) {
      if (this.#closed) return;
      const current = stored(event.kv ?? {});
      let converted: StorageEvent;
      if (event.type === 'DELETE') {
        if (!event.prev_kv) {
          this.#fail(
            new StorageError(
              'ERR_STORAGE_ETCD',
              `etcd watch: delete at ${current.modRevision} without value`,
            ),
          );
          return;
        }
        converted = {
          type: 'delete',
          key: current.key,
          modRevision: current.modRevision,
          previous: stored(event.prev_kv),
        };
      } else {
        converted = {
          type: 'put',
          ...current,
          previous: event.prev_kv ? stored(event.prev_kv) : undefined,
        };
      }
      this.#cursor = current.modRevision;
      try {
        this.#onEvent(converted);
      } catch (error) {
        this.#fail(asError(error));
        return;
      }
    }
  }
}

class EtcdStorage implements Storage {
  readonly backend = 'etcd';
  readonly #client: EtcdHttp;
  readonly #watches = new Set<EtcdWatch>();
  /** A lower bound of etcd's compacted revision (compaction only moves forward). */
  #knownCompacted = 0;
  #closed = false;

  constructor(client: EtcdHttp) {
    this.#client = client;
  }

  async revision(): Promise<number> {
    const response = await this.#post<RangeResponse>('/v3/kv/range', { key: b64('\0'), count_only: true });
    return int(response.header?.revision);
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const response = await this.#post<RangeResponse>('/v3/kv/range', { key: b64(key) });
    const kv = response.kvs?.[0];
    return kv ? stored(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const range = prefixRange(prefix);
    let start = range.key;
    if (options.after !== undefined && Buffer.compare(Buffer.from(options.after), Buffer.from(prefix)) >= 0) {
      // The first key after `after`: `after` followed by a zero byte.
      start = Buffer.concat([Buffer.from(options.after, 'utf8'), Buffer.of(0)]).toString('base64');
    }
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const requested = options.revision || 0;
    let response: RangeResponse;
    try {
      response = await this.#post<RangeResponse>('/v3/kv/range', {
        key: start,
        range_end: range.range_end,
        ...(limit ? { limit: String(limit) } : {}),
        ...(requested ? { revision: String(requested) } : {}),
      });
    } catch (error) {
      throw await this.#revisionError(error, requested);
    }
    const items = (response.kvs ?? []).map(stored);
    const count = int(response.count);
    return {
      items,
      revision: requested || int(response.header?.revision),
      more: response.more === true,
      remaining: Math.max(0, count - items.length),
    };
  }

  async create(key: string, value: Uint8Array): Promise<StoredValue> {
    const k = b64(key);
    const response = await this.#post<TxnResponse>('/v3/kv/txn', {
      compare: [{ key: k, result: 'EQUAL', target: 'CREATE', create_revision: '0' }],
      success: [{ request_put: { key: k, value: b64(value) } }],
    });
    if (!response.succeeded) throw new StorageConflictError('exists', key);
    const revision = int(response.header?.revision);
    return { key, value: Uint8Array.from(value), createRevision: revision, modRevision: revision };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<StoredValue> {
    const k = b64(key);
    const response = await this.#post<TxnResponse>('/v3/kv/txn', {
      compare: [{ key: k, result: 'EQUAL', target: 'MOD', mod_revision: String(expectedModRevision) }],
      success: [{ request_put: { key: k, value: b64(value), prev_kv: true } }],
      failure: [{ request_range: { key: k, keys_only: true } }],
    });
    if (!response.succeeded) throw this.#conflict(key, response);
    const previous = response.responses?.[0]?.response_put?.prev_kv;
    const revision = int(response.header?.revision);
    return {
      key,
      value: Uint8Array.from(value),
      createRevision: int(previous?.create_revision),
      modRevision: revision,
    };
  }

  async delete(
    key: string,
    expectedModRevision?: number,
  ): Promise<{ revision: number; previous: StoredValue }> {
    const k = b64(key);
    let deleted: DeleteRangeResponse | undefined;
    let revision: number;
    if (expectedModRevision === undefined) {
      deleted = await this.#post<DeleteRangeResponse>('/v3/kv/deleterange', { key: k, prev_kv: true });
      revision = int(deleted.header?.revision);
    } else {
      const response = await this.#post<TxnResponse>('/v3/kv/txn', {
        compare: [{ key: k, result: 'EQUAL', target: 'MOD', mod_revision: String(expectedModRevision) }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k, keys_only: true } }],
      });
      if (!response.succeeded) throw this.#conflict(key, response);
      deleted = response.responses?.[0]?.response_delete_range;
      revision = int(response.header?.revision);
    }
    const previous = deleted?.prev_kvs?.[0];
    if (!previous) throw new StorageConflictError('missing', key);
    return { revision, previous: stored(previous) };
  }

  watch(
    prefix: string,
    afterRevision: number,
    onEvent: (event: StorageEvent) => void,
    onError: (error: Error) => void,
  ): WatchHandle {
    this.#assertOpen();
    const watch = new EtcdWatch(this.#client, prefix, afterRevision, onEvent, onError, (w) =>
      this.#watches.delete(w),
    );
    this.#watches.add(watch);
    return watch;
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.#post('/v3/kv/compaction', { revision: String(revision), physical: true });
    } catch (error) {
      // Compacting to a revision at or below the compacted one is a no-op, as on SQLite.
      if (!(error instanceof EtcdError && error.compacted)) throw await this.#revisionError(error, revision);
    }
    this.#knownCompacted = Math.max(this.#knownCompacted, revision);
  }

  /**
   * etcd has no call that reports its compacted revision, but a range read at revision r fails exactly when
   * r is below it: a binary search between the last known value and the current revision finds it.
   */
  async compactedRevision(): Promise<number> {
    const current = await this.revision();
    const known = this.#knownCompacted;
    // Readable at the known lower bound (or at 1): that is the answer (0: never compacted, or at 1).
    if (known >= current || (await this.#readableAt(Math.max(known, 1)))) return known;
    // Invariant: `low` is not readable, `high` is (the current revision always is).
    let low = Math.max(known, 1);
    let high = current;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await this.#readableAt(middle)) high = middle;
      else low = middle;
    }
    this.#knownCompacted = high;
    return high;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const watch of [...this.#watches]) watch.close();
    this.#client.close();
    return Promise.resolve();
  }

  async #readableAt(revision: number): Promise<boolean> {
    try {
      await this.#post('/v3/kv/range', { key: b64('\0'), count_only: true, revision: String(revision) });
      return true;
    } catch (error) {
      if (error instanceof EtcdError && error.compacted) return false;
      throw error;
    }
  }

  /** Compacted and future revisions as Storage errors. */
  async #revisionError(error: unknown, requested: number): Promise<Error> {
    if (error instanceof EtcdError && error.compacted) {
      return new StorageCompactedError(requested, await this.compactedRevision());
    }
    if (error instanceof EtcdError && error.future) {
      return new StorageError(
        'ERR_STORAGE_FUTURE_REVISION',
        `revision ${requested} is newer than the current revision`,
      );
    }
    return asError(error);
  }

  /** Why a compare failed: the failure branch read the key (keys only). */
  #conflict(key: string, response: TxnResponse): StorageConflictError {
    const found = response.responses?.[0]?.response_range?.kvs?.length ?? 0;
    return new StorageConflictError(found > 0 ? 'modified' : 'missing', key);
  }

  #post<T>(path: string, body: object): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageError('ERR_STORAGE_CLOSED', 'storage is closed'));
    return this.#client.post<T>(path, body);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError('ERR_STORAGE_CLOSED', 'storage is closed');
  }
}

/** Connects to etcd (checking that the first reachable endpoint answers) and returns it as Storage. */
export async function openEtcdStorage({ endpoints }: EtcdStorageOptions): Promise<Storage> {
  if (endpoints.length === 0) throw new StorageError('ERR_STORAGE_OPEN', 'etcd: no endpoints');
  const urls = endpoints.map((endpoint) => {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new StorageError('ERR_STORAGE_OPEN', `etcd endpoint ${endpoint}: not a URL`);
    }
    if (url.protocol !== 'http:') {
      throw new StorageError('ERR_STORAGE_OPEN', `etcd endpoint ${endpoint}: only http:// is supported`);
    }
    return url;
  });
  const storage = new EtcdStorage(new EtcdHttp(urls));
  try {
    await storage.revision();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}
