/**
 * The service proxy: `/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path…}` forwarded to the
 * backend service-location.ts picks, as kube-apiserver's proxy handler forwards it: method, path, query, body
 * and headers (without Authorization and Impersonate-*, which the API server consumed, and without hop-by-hop
 * headers), `X-Forwarded-For` and `X-Forwarded-Uri` added; the answer streamed back with its status and
 * headers (CORS headers removed, a redirect to the backend itself rewritten to go through the proxy). Failing to
 * reach the backend is kube's 503 `error trying to reach service: …`; `https:` names talk TLS without verifying
 * the backend's certificate, as kube's proxy transport does. Authorization (`services/proxy`, the method's verb)
 * happened in the front. WebSocket/SPDY upgrades are not proxied.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Scope } from '../objects/context.ts';
import type { RestStorage } from '../objects/rest.ts';
import { parseLabelSelector, parseFieldSelector } from '../selectors.ts';
import type { ResourceRegistry, ResourceInfo } from '../resources.ts';
import {
  invalidServiceRequest,
  locateBackend,
  parseServiceId,
  podIpsOf,
  portNumberOf,
  referencedPods,
  serviceUnavailable,
  servicePortName,
  type BackendLocation,
} from '../service-location.ts';
import { ApiError, methodNotAllowed } from '../status.ts';
import type { ResourceRequest } from './resource-handler.ts';

/** ProxyREST.ConnectMethods. */
const PROXY_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Go's httputil.ReverseProxy drops these (and whatever Connection names) in both directions. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** kube's corsRemovingTransport. */
const CORS_HEADERS = new Set([
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
]);

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ServiceProxyOptions {
  /** How long to wait for the backend's TCP (and TLS) connection; kube's proxy dialer waits 30 s. */
  connectTimeoutMs?: number;
  /** An integer in [0, n): which subset and address to try first. */
  pick?: (n: number) => number;
}

export class ServiceProxy {
  readonly #rest: RestStorage;
  readonly #registry: ResourceRegistry;
  readonly #connectTimeoutMs: number;
  readonly #pick: (n: number) => number;

  constructor(rest: RestStorage, registry: ResourceRegistry, options: ServiceProxyOptions = {}) {
    this.#rest = rest;
    this.#registry = registry;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#pick = options.pick ?? ((n) => Math.floor(Math.random() * n));
  }

  async serve(call: ResourceRequest, scope: Scope): Promise<void> {
    const method = call.request.method ?? 'GET';
    if (!PROXY_METHODS.has(method)) throw methodNotAllowed();
    const namespace = scope.namespace ?? '';
    const backend = await this.#locate(call.target.name ?? '', namespace);
    const proxyPath = call.target.proxyPath ?? '';
    if (proxyPath === '') {
      // kube's UpgradeAwareHandler: an empty backend path is redirected to `…/proxy/`.
      call.response.writeHead(301, { Location: `${call.url.pathname}/${call.url.search}` });
      call.response.end();
      return;
    }
    await this.#forward(call, backend, proxyPath);
  }

  async #locate(id: string, namespace: string): Promise<BackendLocation> {
    const service = parseServiceId(id);
    if (!service) throw invalidServiceRequest(id);
    let portName = service.port;
    const portNumber = portNumberOf(service.port);
    if (portNumber !== undefined) {
      const { object } = await this.#rest.get(this.#scope('', 'services', namespace), service.name);
      portName = servicePortName(object, portNumber, service.name);
    }
    let endpoints: Record<string, unknown> | undefined;
    let slices: Record<string, unknown>[] = [];
    try {
      endpoints = (await this.#rest.get(this.#scope('', 'endpoints', namespace), service.name)).object;
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
      slices = await this.#slices(namespace, service.name);
      if (slices.length === 0) throw error;
    }
    const pods = new Map<string, string[]>();
    for (const name of referencedPods(endpoints, slices)) {
      try {
        pods.set(name, podIpsOf((await this.#rest.get(this.#scope('', 'pods', namespace), name)).object));
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
    return locateBackend({
      id,
      service,
      portName,
      endpoints,
      slices,
      namespace,
      podIps: (name) => pods.get(name),
      pick: this.#pick,
    });
  }

  async #slices(namespace: string, serviceName: string): Promise<Record<string, unknown>[]> {
    const info = this.#registry.versionsOf('discovery.k8s.io', 'endpointslices')[0];
    if (!info) return [];
    const outcome = await this.#rest.list(
      { info, namespace },
      {
        labels: parseLabelSelector(`${SERVICE_NAME_LABEL}=${serviceName}`),
        fields: parseFieldSelector(undefined, []),
        limit: 0,
        continueToken: undefined,
        resourceVersion: undefined,
        resourceVersionMatch: undefined,
      },
    );
    return outcome.items.map((item) => item.object);
  }

  #scope(group: string, plural: string, namespace: string): Scope {
    const info: ResourceInfo | undefined = this.#registry.versionsOf(group, plural)[0];
    if (!info) throw new Error(`built-in resource ${plural} is not registered`);
    return { info, namespace };
  }

  #forward(call: ResourceRequest, backend: BackendLocation, proxyPath: string): Promise<void> {
    const { request, response, url } = call;
    const prefix = url.pathname.slice(0, url.pathname.length - proxyPath.length);
    const headers = forwardedHeaders(request, prefix, proxyPath);
    const hostHeader = backend.host.includes(':')
      ? `[${backend.host}]:${backend.port}`
      : `${backend.host}:${backend.port}`;
    headers['host'] = hostHeader;
    const send = backend.scheme === 'https' ? httpsRequest : httpRequest;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        if (response.headersSent) {
          response.destroy();
          resolve();
        } else {
          reject(serviceUnavailable(`error trying to reach service: ${goDialError(error, hostHeader)}`));
        }
      };
      const outgoing = send(
        {
          host: backend.host,
          port: backend.port,
          method: request.method,
          path: `${proxyPath}${url.search}`,
          headers,
          ...(backend.scheme === 'https' ? { rejectUnauthorized: false } : {}),
        },
        (answer) => {
          response.writeHead(
            answer.statusCode ?? 502,
            answer.statusMessage,
            responseHeaders(answer, prefix, hostHeader),
          );
          answer.pipe(response);
          answer.on('error', (error) => fail(error));
          response.on('close', () => {
            if (!response.writableFinished) answer.destroy();
          });
          response.on('finish', () => {
            settled = true;
            resolve();
          });
        },
      );
      // Only the connection has a deadline (Go's dialer timeout); a slow answer may take as long as it takes.
      outgoing.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => outgoing.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })),
          this.#connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      outgoing.on('error', (error) => fail(error));
      response.on('close', () => {
        if (!response.writableFinished && !settled) {
          settled = true;
          outgoing.destroy();
          resolve();
        }
      });
      request.pipe(outgoing);
    });
  }
}

/** What the backend receives: the client's headers minus what the API server consumed or must not pass on. */
function forwardedHeaders(request: IncomingMessage, prefix: string, proxyPath: string): OutgoingHttpHeaders {
  const connectionNamed = new Set(
    String(request.headers['connection'] ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headersDistinct)) {
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) || connectionNamed.has(name)) continue;
    if (name === 'authorization' || name === 'host' || name.startsWith('impersonate-')) continue;
    headers[name] = value.length === 1 ? value[0] : value;
  }
  const client = request.socket.remoteAddress ?? '';
  const before = request.headers['x-forwarded-for'];
  if (client) headers['x-forwarded-for'] = before ? `${String(before)}, ${client}` : client;
  // kube's proxy Transport: the path the client used, so backends can build links back through the proxy.
  headers['x-forwarded-uri'] = `${prefix.replace(/\/$/, '')}${proxyPath}`;
  return headers;
}

function responseHeaders(answer: IncomingMessage, prefix: string, backendHost: string): OutgoingHttpHeaders {
  const connectionNamed = new Set(
    String(answer.headers['connection'] ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headersDistinct)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionNamed.has(name) || CORS_HEADERS.has(name))
      continue;
    headers[name] = value.length === 1 ? value[0] : value;
  }
  const location = headers['location'];
  if (typeof location === 'string') headers['location'] = rewriteLocation(location, prefix, backendHost);
  return headers;
}

/**
 * kube's Transport.rewriteURL: a redirect to a path on the backend itself goes back through the proxy
 * (`/login` → `/api/v1/namespaces/ns/services/x/proxy/login`); redirects elsewhere and relative ones are left.
 */
export function rewriteLocation(location: string, prefix: string, backendHost: string): string {
  let target: URL;
  try {
    target = new URL(location, 'http://relative.invalid');
  } catch {
    return location;
  }
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(location);
  if (absolute && target.host !== backendHost) return location;
  if (!absolute && !location.startsWith('/')) return location;
  const base = prefix.replace(/\/$/, '');
  if (target.pathname.startsWith(base)) return `${target.pathname}${target.search}${target.hash}`;
  return `${base}${target.pathname}${target.search}${target.hash}`;
}

/** Node's connection errors in the words of Go's net package, which kube's message carries. */
function goDialError(error: Error, address: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${address}: i/o timeout`;
    case 'ECONNRESET':
      return error.message === 'socket hang up'
        ? 'EOF'
        : `read tcp ${address}: read: connection reset by peer`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'tls: first record does not look like a TLS handshake';
    default:
      return error.message;
  }
}
