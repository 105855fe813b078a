/**
 * The HTTPS front of the local control plane: authenticates the bearer token, routes the path, and answers
 * discovery, OpenAPI, version and health itself; resource requests go to the resource handler.
 */
import { createServer, type Server } from 'node:https';
import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  discoveryContentType,
  discoveryRoot,
  apiGroup,
  apiResourceList,
  discoveryEtag,
  negotiateDiscovery,
} from '../discovery.ts';
import type { RequestContext, UserInfo } from '../objects/context.ts';
import {
  openApiGroupVersion,
  openApiIndex,
  schemaCoversStrategicMerge,
  type OpenApiOptions,
} from '../openapi.ts';
import { negotiateOpenApiV2, openApiV2Document, type OpenApiV2Document } from '../openapi-v2.ts';
import { encodeOpenApiV2, OPENAPI_V2_PROTOBUF_TYPE } from '../openapi-v2-protobuf.ts';
import type { ResourceRegistry } from '../resources.ts';
import { ApiError, unauthorized } from '../status.ts';
import { sendError, sendJson } from './http-io.ts';
import type { ResourceHandler } from './resource-handler.ts';
import { notFoundPath } from './resource-handler.ts';
import { parseRoute, type Route } from './routes.ts';
import { AuditTrail, type AuditSink } from './auditing.ts';
import { Loopback } from './loopback.ts';
import { forbiddenError, requestAttributes, type RequestAttributes } from './request-attributes.ts';
import type { RequestAttributes as RbacAttributes } from '../../rbac/types.ts';
import {
  impersonate,
  ImpersonationError,
  wantsImpersonation,
  type ImpersonationRequest,
} from '../../rbac/impersonation.ts';
import { ADMIN_USER, serviceAccountUser, type TokenAuthority } from './tokens.ts';

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+cloak',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface FrontOptions {
  registry: ResourceRegistry;
  resources: ResourceHandler;
  tokens: TokenAuthority;
  /** Whether a ServiceAccount with this uid still exists (tokens die with their account). */
  serviceAccountExists: (namespace: string, name: string, uid: string) => Promise<boolean>;
  tls: { certificatePem: string; privateKeyPem: string };
  /** Internal failures (never client errors) are reported here; messages carry no secret values. */
  onInternalError?: (error: unknown) => void;
  now?: () => Date;
  /** RBAC; without one, authenticated users may do anything (anonymous ones only read health and version). */
  authorizer?: { authorize(attributes: RbacAttributes): { allowed: boolean; reason: string } } | undefined;
  /** Audit logging, when a policy and a log are configured. */
  audit?: AuditSink | undefined;
  /** Extra health checks (`kms-providers`): a failing one fails /healthz, /livez and /readyz. */
  healthChecks?: () => readonly HealthCheck[] | Promise<readonly HealthCheck[]>;
}

export interface HealthCheck {
  name: string;
  /** Undefined when healthy; otherwise why not (no secret values). */
  problem?: string | undefined;
}

const BASE_CHECKS: readonly HealthCheck[] = [
  { name: 'ping' },
  { name: 'log' },
  { name: 'etcd' },
  { name: 'poststarthook/crd-informer-synced' },
];

/** Only kinds whose schema describes their fields get kubectl's OpenAPI-based strategic merge; the rest fall
 * back to kubectl's compiled-in types, which know the list merge keys. */
const OPENAPI_OPTIONS: OpenApiOptions = {
  advertiseStrategicMerge: (info) => info.strategicMerge && schemaCoversStrategicMerge(info),
};

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
const PUBLIC_PATHS = /^\/(version|healthz|livez|readyz)(\/|$)/;

/** Without an authorizer only what kube's system:public-info-viewer grants is open to anonymous requests. */
function isPublic(attributes: RequestAttributes): boolean {
  return !attributes.resourceRequest && PUBLIC_PATHS.test(attributes.path);
}

/** Impersonate-User, -Group (repeated), -Uid and -Extra-<key> (percent-encoded key, case-insensitive). */
function impersonationHeaders(request: IncomingMessage): ImpersonationRequest {
  // headersDistinct builds a new object on every access: only worth it when an Impersonate-* header is there.
  if (!Object.keys(request.headers).some((name) => name.startsWith('impersonate-')))
    return { user: undefined, groups: [], uid: undefined, extra: {} };
  const headers = request.headersDistinct;
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('impersonate-extra-') || !values) continue;
    extra[decodeURIComponent(name.slice('impersonate-extra-'.length)).toLowerCase()] = values;
  }
  return {
    user: headers['impersonate-user']?.[0],
    groups: headers['impersonate-group'] ?? [],
    uid: headers['impersonate-uid']?.[0],
    extra,
  };
}

export class ApiFront {
  readonly #options: FrontOptions;
  readonly #server: Server;
  readonly #loopback: Loopback;
  readonly #cache = new Map<string, { generation: number; body: string | Uint8Array; etag: string }>();
  #openApiV2: { generation: number; document: OpenApiV2Document } | undefined;
  #address = '';

  constructor(options: FrontOptions) {
    this.#options = options;
    this.#server = createServer(
      { cert: options.tls.certificatePem, key: options.tls.privateKeyPem, keepAliveTimeout: 65_000 },
      (request, response) => void this.#handle(request, response),
    );
    this.#server.headersTimeout = 60_000;
    this.#server.requestTimeout = 0;
    this.#loopback = new Loopback((request, response) => void this.#handle(request, response));
  }

  /** For clients in this process: requests without TCP or TLS (loopback.ts). */
  get loopbackAgent(): Agent {
    return this.#loopback.agent;
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    this.#address = `${address.address}:${address.port}`;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    this.#loopback.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let trail: AuditTrail | undefined;
    // Outside the try: a write that fails after its body was decoded is audited with that body (and name).
    let context: RequestContext | undefined;
    try {
      const url = new URL(request.url ?? '/', 'https://localhost');
      const route = parseRoute(url.pathname);
      const authenticated = (await this.#authenticate(request)) ?? ANONYMOUS;
      const method = request.method ?? 'GET';
      const { user, impersonator } = this.#impersonation(request, authenticated, method, url, route);
      const attributes = requestAttributes(user, method, url, route);
      trail = new AuditTrail(this.#options.audit, request, attributes, impersonator);
      response.setHeader('Audit-Id', trail.auditId);
      this.#authorize(attributes, trail);
      context = {
        user,
        now: this.#now(),
        userAgent: request.headers['user-agent'] ?? '',
        warnings: [],
        audit: {},
      };
      await this.#route(route, request, response, url, context);
      this.#completeAudit(trail, response, context);
    } catch (error) {
      if (!(error instanceof ApiError)) this.#options.onInternalError?.(error);
      const failure =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalError', 'Internal error occurred: see the server log');
      sendError(response, failure);
      trail?.complete(failure.code, {
        requestObject: context?.audit?.requestObject,
        responseObject: failure.toStatus(),
      });
    }
  }

  /** Authorization; a denial is kube's 403 (and the audit event records the decision either way). */
  #authorize(attributes: RequestAttributes, trail: AuditTrail): void {
    const authorizer = this.#options.authorizer;
    const decision = authorizer
      ? authorizer.authorize(attributes)
      : { allowed: attributes.user.username !== ANONYMOUS.username || isPublic(attributes), reason: '' };
    trail.authorized(decision.allowed, decision.reason);
    if (!decision.allowed) throw forbiddenError(attributes, decision.reason);
  }

  /** A watch is still streaming when the handler returns: its audit trail ends when the response does. */
  #completeAudit(trail: AuditTrail, response: ServerResponse, context: RequestContext): void {
    const bodies = {
      requestObject: context.audit?.requestObject,
      responseObject: context.audit?.responseObject,
    };
    if (response.writableEnded) {
      trail.complete(response.statusCode, bodies);
      return;
    }
    trail.responseStarted(response.statusCode);
    response.once('close', () =>
      trail.complete(response.statusCode, { requestObject: bodies.requestObject }),
    );
  }

  /** Impersonate-* headers: the requester must be allowed to `impersonate` each thing asked for. */
  #impersonation(
    request: IncomingMessage,
    requester: UserInfo,
    method: string,
    url: URL,
    route: Route,
  ): { user: UserInfo; impersonator: UserInfo | undefined } {
    const asked = impersonationHeaders(request);
    if (!wantsImpersonation(asked)) return { user: requester, impersonator: undefined };
    let impersonation;
    try {
      impersonation = impersonate({ ...requester, groups: [...requester.groups] }, asked);
    } catch (error) {
      if (error instanceof ImpersonationError)
        throw new ApiError(500, 'InternalError', `Internal error occurred: ${error.message}`);
      throw error;
    }
    for (const check of impersonation.checks) {
      const decision = this.#options.authorizer?.authorize(check) ?? {
        allowed: requester.groups.includes('system:masters'),
        reason: '',
      };
      if (!decision.allowed) {
        const attributes = requestAttributes(requester, method, url, route);
        const trail = new AuditTrail(this.#options.audit, request, attributes, undefined);
        trail.authorized(false, decision.reason);
        trail.complete(403);
        throw forbiddenError(check, decision.reason);
      }
    }
    return { user: impersonation.user, impersonator: requester };
  }

  async #route(
    route: Route,
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    context: RequestContext,
  ): Promise<void> {
    const { registry } = this.#options;
    switch (route.type) {
      case 'resource': {
        const { target } = route;
        const info = registry.lookup(target.group, target.version, target.resource);
        if (!info) throw notFoundPath();
        return this.#options.resources.handle({ request, response, url, target, info, context });
      }
      case 'discovery-core':
      case 'discovery-groups':
        return this.#discoveryRoot(route.type === 'discovery-core' ? 'core' : 'apis', request, response);
      case 'discovery-group': {
        const group = apiGroup(registry, route.group);
        if (!group) throw notFoundPath();
        return sendJson(response, 200, group);
      }
      case 'discovery-resources': {
        const list = apiResourceList(registry, route.group, route.version);
        if (!list) throw notFoundPath();
        return sendJson(response, 200, list);
      }
      case 'openapi-index':
        return this.#cached('openapi', request, response, 'application/json', () =>
          openApiIndex(registry, OPENAPI_OPTIONS),
        );
      case 'openapi-group-version': {
        if (!registry.hasGroupVersion(route.group, route.version)) throw notFoundPath();
        const key = `openapi/${route.group}/${route.version}`;
        return this.#cached(key, request, response, 'application/json', () =>
          openApiGroupVersion(registry, route.group, route.version, OPENAPI_OPTIONS),
        );
      }
      case 'openapi-v2':
        return this.#openApiV2Response(request, response);
      case 'version':
        return sendJson(response, 200, SERVER_VERSION);
      case 'health':
        return await this.#health(route.check, route.detail, url, response);
      case 'not-found':
        throw notFoundPath();
    }
  }

  #discoveryRoot(which: 'core' | 'apis', request: IncomingMessage, response: ServerResponse): void {
    const format = negotiateDiscovery(request.headers.accept);
    this.#cached(`discovery/${which}/${format}`, request, response, discoveryContentType(format), () =>
      discoveryRoot(this.#options.registry, which, format, this.#address),
    );
  }

  /** /openapi/v2 as JSON or as gnostic protobuf (what client-go asks for), both from one document. */
  #openApiV2Response(request: IncomingMessage, response: ServerResponse): void {
    const format = negotiateOpenApiV2(request.headers.accept);
    if (format === undefined) {
      response.writeHead(406, { Vary: 'Accept' });
      response.end();
      return;
    }
    const document = (): OpenApiV2Document => {
      const generation = this.#options.registry.generation;
      if (this.#openApiV2?.generation !== generation) {
        this.#openApiV2 = { generation, document: openApiV2Document(this.#options.registry) };
      }
      return this.#openApiV2.document;
    };
    if (format === 'json') {
      this.#cached('openapi/v2/json', request, response, 'application/json', document);
    } else {
      this.#cachedBody('openapi/v2/protobuf', request, response, OPENAPI_V2_PROTOBUF_TYPE, () =>
        encodeOpenApiV2(document()),
      );
    }
  }

  /** Documents that only change with the set of resources: rendered once per change, with ETag revalidation. */
  #cached(
    key: string,
    request: IncomingMessage,
    response: ServerResponse,
    contentType: string,
    render: () => unknown,
  ): void {
    this.#cachedBody(key, request, response, contentType, () => JSON.stringify(render()));
  }

  #cachedBody(
    key: string,
    request: IncomingMessage,
    response: ServerResponse,
    contentType: string,
    render: () => string | Uint8Array,
  ): void {
    const generation = this.#options.registry.generation;
    let entry = this.#cache.get(key);
    if (entry?.generation !== generation) {
      const body = render();
      entry = { generation, body, etag: discoveryEtag(body) };
      this.#cache.set(key, entry);
    }
    const headers = {
      ETag: entry.etag,
      Vary: 'Accept',
      'Content-Type': contentType,
      'Cache-Control': 'public',
    };
    if (request.headers['if-none-match'] === entry.etag) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    const length = typeof entry.body === 'string' ? Buffer.byteLength(entry.body) : entry.body.length;
    response.writeHead(200, { ...headers, 'Content-Length': length });
    response.end(entry.body);
  }

  async #health(
    check: string,
    detail: string | undefined,
    url: URL,
    response: ServerResponse,
  ): Promise<void> {
    const all = [...BASE_CHECKS, ...((await this.#options.healthChecks?.()) ?? [])];
    const checks = detail === undefined ? all : all.filter((candidate) => candidate.name === detail);
    if (checks.length === 0) throw notFoundPath();
    const failed = checks.filter((candidate) => candidate.problem !== undefined);
    const lines = checks.map((candidate) =>
      candidate.problem === undefined
        ? `[+]${candidate.name} ok`
        : `[-]${candidate.name} failed: ${candidate.problem}`,
    );
    const verbose = url.searchParams.has('verbose') || failed.length > 0;
    const verdict = failed.length > 0 ? `${check} check failed` : `${check} check passed`;
    const body = verbose ? `${lines.join('\n')}\n${verdict}\n` : 'ok';
    response.writeHead(failed.length > 0 ? 500 : 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(body);
  }

  /** The user a bearer token stands for: the admin token, or a ServiceAccount JWT whose account still exists. */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const { tokens } = this.#options;
    if (tokens.isAdminToken(token)) return ADMIN_USER;
    const account = tokens.verifyServiceAccountToken(token, this.#now());
    if (!account || !(await this.#options.serviceAccountExists(account.namespace, account.name, account.uid)))
      return undefined;
    return serviceAccountUser(account);
  }

  async #authenticate(request: IncomingMessage): Promise<UserInfo | undefined> {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthorized();
    const user = await this.authenticateToken(match[1]);
    if (!user) throw unauthorized();
    return user;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}
