/**
 * The runtime's connection to the API server: configuration and authentication from the kubeconfig
 * (`kube/client.ts`, which refuses @kubernetes/client-node's silent fallback to http://localhost:8080), every
 * request through a client-side token bucket, 429 (and 5xx with Retry-After) retried after the time the server
 * asks for, and failures as `KubeApiError`s carrying the Status code and reason, never the response body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { CloakError } from '../../common/errors.ts';
import {
  kubeStream,
  loadKubeConfig,
  KubeConfigError,
  responseMessage,
  type KubeOptions,
  type KubeRequest,
  type KubeResponse,
  type KubeStreamResponse,
  type KubeTransport,
} from '../../kube/client.ts';
import { sleep, systemClock, type Clock } from './clock.ts';
import { collectionPath, objectPath, type KubeObject, type ResourceType } from './resource.ts';
import { TokenBucket } from './token-bucket.ts';

/** A request the API server refused: the HTTP status, the Status reason, and one line of its message. */
export class KubeApiError extends CloakError {
  readonly status: number;
  readonly reason: string;
  /** Seconds the server asked to wait (Retry-After), when it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, reason: string, message: string, retryAfterSeconds?: number) {
    super('ERR_KUBE_API', message);
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404;
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409 && error.reason !== 'AlreadyExists';
}

export function isAlreadyExists(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409 && error.reason === 'AlreadyExists';
}

/** 410: the resourceVersion asked for has been compacted away; only a new LIST can continue. */
export function isGone(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 410;
}

export interface ApiClientOptions {
  /** Client-side limit on requests per second (External Secrets' default: 50, burst 100). */
  qps?: number;
  burst?: number;
  /** How often a 429 (or 5xx with Retry-After) is retried before it is returned (client-go: 10). */
  maxRetries?: number;
  /** Longest wait honoured from a Retry-After header. */
  maxRetryAfterMs?: number;
  /** Per-request timeout for everything but watches. */
  timeoutMs?: number;
  clock?: Clock;
  /** Reach the API server another way than its address (`cloak up`: in memory, see kube/client.ts). */
  transport?: KubeTransport | undefined;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
  accept?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** Loads the kubeconfig kubectl would use (or the in-cluster service account), refusing to guess. */
export async function loadClusterConfig(options: KubeOptions = {}): Promise<KubeConfig> {
  const config = await loadKubeConfig(options);
  const server = config.getCurrentCluster()?.server ?? '';
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  // In a pod without KUBERNETES_SERVICE_HOST the client builds "https://undefined:undefined".
  if (!url || url.hostname === 'undefined' || !/^https?:$/.test(url.protocol))
    throw new KubeConfigError('ERR_KUBECONFIG', `the cluster's server address is not usable: "${server}"`);
  return config;
}

export class ApiClient {
  readonly config: KubeConfig;
  readonly #clock: Clock;
  readonly #bucket: TokenBucket;
  readonly #maxRetries: number;
  readonly #maxRetryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #transport: KubeTransport | undefined;

  constructor(config: KubeConfig, options: ApiClientOptions = {}) {
    this.config = config;
    this.#clock = options.clock ?? systemClock;
    this.#bucket = new TokenBucket(options.qps ?? 50, options.burst ?? 100, this.#clock.now());
    this.#maxRetries = options.maxRetries ?? 10;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#transport = options.transport;
  }

  static async connect(kube: KubeOptions = {}, options: ApiClientOptions = {}): Promise<ApiClient> {
    return new ApiClient(await loadClusterConfig(kube), options);
  }

  /** One request after the rate limit, retried while the server says to come back later. */
  async request(request: KubeRequest): Promise<KubeResponse> {
    return readAll(await this.#send(request));
  }

  /** A request whose 2xx body is JSON; anything else is thrown as a KubeApiError. */
  async json<T>(request: KubeRequest): Promise<T> {
    const response = await this.#send(request);
    if (response.status < 200 || response.status > 299) throw apiError(await readAll(response));
    return JSON.parse(await readText(response)) as T;
  }

  /** Sends the request (after the rate limit) until the server stops saying to come back later. */
  async #send(request: KubeRequest): Promise<KubeStreamResponse> {
    for (let attempt = 0; ; attempt++) {
      await this.#throttle(request.signal);
      const response = await kubeStream(
        this.config,
        { ...request, timeoutMs: request.timeoutMs ?? this.#timeoutMs },
        this.#transport,
      );
      const wait = retryAfterMs(response.status, response.headers);
      if (wait === undefined || attempt >= this.#maxRetries || request.signal?.aborted) return response;
      response.body.resume(); // read and dropped, so that the connection can serve the retry
      await sleep(this.#clock, Math.min(wait, this.#maxRetryAfterMs), request.signal);
    }
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.json<T>({ method: 'GET', path: objectPath(type, namespace, name) });
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(type, namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One page of a LIST. */
  list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ObjectList<T>> {
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.limit) query.set('limit', String(options.limit));
    if (options.continue) query.set('continue', options.continue);
    if (options.resourceVersion !== undefined) query.set('resourceVersion', options.resourceVersion);
    const search = query.size > 0 ? `?${query.toString()}` : '';
    return this.json<ObjectList<T>>({
      method: 'GET',
      path: collectionPath(type, options.namespace) + search,
      accept: options.accept,
      signal: options.signal,
    });
  }

  create<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
    return this.json<T>({
      method: 'POST',
      path: collectionPath(type, object.metadata.namespace),
      body: JSON.stringify(object),
    });
  }

  /** PUT with the object's resourceVersion: a concurrent change makes it fail with 409 Conflict. */
  update<T extends KubeObject>(type: ResourceType, object: T, subresource?: 'status'): Promise<T> {
    const path = objectPath(type, object.metadata.namespace, object.metadata.name ?? '');
    return this.json<T>({
      method: 'PUT',
      path: subresource ? `${path}/${subresource}` : path,
      body: JSON.stringify(object),
    });
  }

  patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: PatchType = 'merge',
    subresource?: 'status',
  ): Promise<T> {
    const path = objectPath(type, namespace, name);
    return this.json<T>({
      method: 'PATCH',
      path: subresource ? `${path}/${subresource}` : path,
      body: JSON.stringify(patch),
      contentType: PATCH_CONTENT_TYPES[patchType],
    });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    await this.json<unknown>({ method: 'DELETE', path: objectPath(type, namespace, name) });
  }

  /**
   * Opens a WATCH: resolves with the streaming response once the server accepted it; a refusal (410 included)
   * is thrown as a KubeApiError.
   */
  async watch(
    type: ResourceType,
    options: ListOptions & { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal },
  ): Promise<KubeStreamResponse> {
    const query = new URLSearchParams({
      watch: '1',
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(options.timeoutSeconds),
    });
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    const request: KubeRequest = {
      method: 'GET',
      path: `${collectionPath(type, options.namespace)}?${query.toString()}`,
      accept: options.accept,
      signal: options.signal,
    };
    for (let attempt = 0; ; attempt++) {
      await this.#throttle(options.signal);
      const response = await kubeStream(this.config, request, this.#transport);
      if (response.status >= 200 && response.status <= 299) return response;
      const body = await readAll(response);
      const wait = retryAfterMs(response.status, response.headers);
      if (wait === undefined || attempt >= this.#maxRetries || options.signal.aborted) throw apiError(body);
      await sleep(this.#clock, Math.min(wait, this.#maxRetryAfterMs), options.signal);
    }
  }

  async #throttle(signal: AbortSignal | undefined): Promise<void> {
    const wait = this.#bucket.reserve(this.#clock.now());
    if (wait > 0) await sleep(this.#clock, wait, signal);
  }
}

/**
 * How long the server asked us to wait: on 429 always (1 s when it gave no usable Retry-After), on a 5xx only
 * when it sent Retry-After (an API server starting up or shedding load), as client-go decides.
 */
export function retryAfterMs(status: number, headers: IncomingHttpHeaders | undefined): number | undefined {
  if (status !== 429 && (status < 500 || status > 599)) return undefined;
  const header = headers?.['retry-after'];
  const seconds =
    typeof header === 'string' && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
  if (seconds === undefined) return status === 429 ? 1000 : undefined;
  return seconds * 1000;
}

/** The error for a non-2xx response: the Status reason and message, or the HTTP status alone. */
export function apiError(response: KubeResponse): KubeApiError {
  let reason = '';
  try {
    const status = JSON.parse(response.body.toString('utf8')) as { kind?: string; reason?: string };
    if (status.kind === 'Status' && typeof status.reason === 'string') reason = status.reason;
  } catch {
    // Not a Status: the HTTP status says enough.
  }
  const header = response.headers?.['retry-after'];
  const retryAfter = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
  return new KubeApiError(
    response.status,
    reason,
    responseMessage(response).split('\n', 1)[0] ?? '',
    retryAfter,
  );
}

/**
 * The body as text, decoded as it arrives: a LIST page (a megabyte or more for 500 Secrets that carry a
 * last-applied annotation) never sits in memory as its chunks plus their concatenation plus its text, and
 * the chunks die young, before the scavenger can promote their malloc'd bytes into the old generation.
 */
function readText(response: KubeStreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.body.setEncoding('utf8');
    response.body.on('data', (chunk: string) => (text += chunk));
    response.body.on('error', reject);
    response.body.on('end', () => resolve(text));
  });
}

async function readAll(response: KubeStreamResponse): Promise<KubeResponse> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return {
    status: response.status,
    contentType: response.contentType,
    headers: response.headers,
    body: Buffer.concat(chunks),
  };
}
