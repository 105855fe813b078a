/**
 * Resource requests: maps an HTTP method on a resource URL to a verb of the REST storage, decodes the body and
 * query, and encodes the answer in the representation the Accept header negotiates (negotiation.ts): the object
 * as JSON, a Table when kubectl asks for one, or PartialObjectMetadata(List) as JSON or protobuf. The service
 * proxy (`services/{name}/proxy/…`) is handed to service-proxy.ts untouched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { objectForResource, parseBody } from '../objects/body.ts';
import type { RequestContext, Scope } from '../objects/context.ts';
import { supportedFieldLabels } from '../objects/fields.ts';
import { isPlainObject, type KubeObject } from '../objects/object.ts';
import { applyPlainPatch, PATCH_CONTENT_TYPES, type PatchType } from '../objects/patching.ts';
import { toScale } from '../objects/scale.ts';
import type { RestStorage } from '../objects/rest.ts';
import type { ListOutcome } from '../objects/list.ts';
import { encodeMetaObject, PROTOBUF_CONTENT_TYPE } from '../codec/protobuf.ts';
import { negotiateResponse, type ResponseFormat } from '../negotiation.ts';
import { toPartialObjectMetadata, toPartialObjectMetadataList, wrongShape } from '../partial-metadata.ts';
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { ApiError, badRequest, methodNotAllowed, unsupportedMediaType } from '../status.ts';
import { toTable } from '../table.ts';
import { readBody, sendBytes, sendJson, warningHeaders } from './http-io.ts';
import { deleteOptions, listQuery, writeOptions } from './query.ts';
import type { ResourceTarget } from './routes.ts';
import type { TokenRequestHandler } from './token-request.ts';
import type { ReviewHandler } from './reviews.ts';
import type { ServiceProxy } from './service-proxy.ts';
import type { WatchStreamer } from './watch-stream.ts';

export interface ResourceRequest {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  target: ResourceTarget;
  info: ResourceInfo;
  context: RequestContext;
}

/** A resource request with its negotiated response representation. */
export interface NegotiatedRequest extends ResourceRequest {
  format: ResponseFormat;
}

/** Whether a response body is one object or a list (what PartialObjectMetadata vs …List must match). */
type Shape = 'object' | 'list';

const BODY_TYPES = /^application\/(json|yaml|vnd\.kubernetes\.protobuf)\b/;

export class ResourceHandler {
  readonly #rest: RestStorage;
  readonly #watches: WatchStreamer;
  readonly #tokens: TokenRequestHandler;

  readonly #reviews: ReviewHandler;
  readonly #proxy: ServiceProxy | undefined;

  constructor(
    rest: RestStorage,
    watches: WatchStreamer,
    tokens: TokenRequestHandler,
    reviews: ReviewHandler,
    proxy?: ServiceProxy,
  ) {
    this.#rest = rest;
    this.#watches = watches;
    this.#tokens = tokens;
    this.#reviews = reviews;
    this.#proxy = proxy;
  }

  async handle(request: ResourceRequest): Promise<void> {
    const { target, info } = request;
    if (target.namespace !== undefined && !info.namespaced) throw notFoundPath();
    if (info.namespaced && target.namespace === undefined && target.name !== undefined) throw notFoundPath();
    const scope: Scope = { info, namespace: target.namespace };
    const method = request.request.method ?? 'GET';
    if (target.subresource === 'proxy' && info.subresources.includes('proxy') && this.#proxy)
      return this.#proxy.serve(request, scope);
    if (target.proxyPath !== undefined) throw notFoundPath();
    // As kube-apiserver does, before any work: a request nothing acceptable can answer changes nothing.
    const call: NegotiatedRequest = { ...request, format: negotiateResponse(request.request.headers.accept) };
    if (info.virtual) return this.#review(call, scope, method);
    if (target.subresource !== undefined) return this.#subresource(call, scope, method);
    if (target.name === undefined) return this.#collection(call, scope, method);
    return this.#item(call, scope, method, target.name);
  }

  async #collection(call: NegotiatedRequest, scope: Scope, method: string): Promise<void> {
    const { url, context } = call;
    const query = url.searchParams;
    switch (method) {
      case 'GET': {
        if (query.get('watch') === 'true' || query.get('watch') === '1')
          return this.#watches.serve(call, scope);
        const outcome = await this.#rest.list(scope, listQuery(query, supportedFieldLabels(scope.info)));
        return this.#sendList(call, scope.info, outcome);
      }
      case 'POST': {
        if (scope.info.namespaced && scope.namespace === undefined) throw methodNotAllowed();
        const body = await this.#objectBody(call, scope.info);
        const created = await this.#rest.create(scope, body, writeOptions(query), context);
        return this.#send(call, 201, created);
      }
      case 'DELETE': {
        const options = deleteOptions(query, await this.#optionalBody(call));
        const deleted = await this.#rest.deleteCollection(
          scope,
          listQuery(query, supportedFieldLabels(scope.info)),
          options,
          context,
        );
        return this.#send(
          call,
          200,
          { kind: scope.info.listKind, apiVersion: apiVersionOf(scope.info), metadata: {}, items: deleted },
          'list',
        );
      }
      default:
        throw methodNotAllowed();
    }
  }

  async #item(call: NegotiatedRequest, scope: Scope, method: string, name: string): Promise<void> {
    const { url, context } = call;
    const query = url.searchParams;
    switch (method) {
      case 'GET':
        return this.#sendObject(call, scope.info, (await this.#rest.get(scope, name)).object);
      case 'PUT': {
        const body = await this.#objectBody(call, scope.info);
        const { object, created } = await this.#rest.update(
          scope,
          name,
          body,
          undefined,
          writeOptions(query),
          context,
        );
        return this.#send(call, created ? 201 : 200, object);
      }
      case 'PATCH': {
        const { patchType, patch } = await this.#patchBody(call, scope.info);
        const { object, created } = await this.#rest.patch(
          scope,
          name,
          patchType,
          patch,
          undefined,
          writeOptions(query),
          context,
        );
        return this.#send(call, created ? 201 : 200, object);
      }
      case 'DELETE': {
        const outcome = await this.#rest.delete(
          scope,
          name,
          deleteOptions(query, await this.#optionalBody(call)),
          context,
        );
        return this.#send(call, outcome.code, outcome.body);
      }
      case 'POST':
        throw methodNotAllowed();
      default:
        throw methodNotAllowed();
    }
  }

  async #subresource(call: NegotiatedRequest, scope: Scope, method: string): Promise<void> {
    const { target, url, context, info } = { ...call, info: scope.info };
    const name = target.name ?? '';
    const subresource = target.subresource ?? '';
    if (!info.subresources.includes(subresource)) throw notFoundPath();
    const query = url.searchParams;
    if (subresource === 'token') {
      if (method !== 'POST') throw methodNotAllowed();
      const body = parseBody(await readBody(call.request), contentTypeOf(call.request), 'TokenRequest');
      return this.#send(call, 201, await this.#tokens.create(scope, name, body, context));
    }
    if (subresource === 'scale') return this.#scale(call, scope, method, name);
    const allowed = subresource === 'finalize' ? ['PUT'] : ['GET', 'PUT', 'PATCH'];
    if (!allowed.includes(method)) throw methodNotAllowed();
    if (method === 'GET') return this.#sendObject(call, info, (await this.#rest.get(scope, name)).object);
    if (method === 'PUT') {
      const body = await this.#objectBody(call, info);
      const { object } = await this.#rest.update(
        scope,
        name,
        body,
        subresource,
        writeOptions(query),
        context,
      );
      return this.#send(call, 200, object);
    }
    const { patchType, patch } = await this.#patchBody(call, info);
    const { object } = await this.#rest.patch(
      scope,
      name,
      patchType,
      patch,
      subresource,
      writeOptions(query),
      context,
    );
    return this.#send(call, 200, object);
  }

  /** Reviews are answered, not stored: only POST to the collection. */
  async #review(call: NegotiatedRequest, scope: Scope, method: string): Promise<void> {
    if (method !== 'POST' || call.target.name !== undefined) throw methodNotAllowed();
    const body = parseBody(await readBody(call.request), contentTypeOf(call.request), scope.info.kind);
    if (call.context.audit) call.context.audit.requestObject = body;
    return this.#send(call, 201, await this.#reviews.create(scope, body, call.context));
  }

  async #scale(call: NegotiatedRequest, scope: Scope, method: string, name: string): Promise<void> {
    const { info } = scope;
    const options = writeOptions(call.url.searchParams);
    switch (method) {
      case 'GET':
        return this.#send(call, 200, toScale(info, (await this.#rest.get(scope, name)).object));
      case 'PUT': {
        const body = parseBody(await readBody(call.request), contentTypeOf(call.request), 'Scale');
        return this.#send(
          call,
          200,
          await this.#rest.updateScale(scope, name, () => body, options, call.context),
        );
      }
      case 'PATCH': {
        const { patchType, patch } = await this.#patchBody(call, { ...info, strategicMerge: true });
        if (patchType === 'apply') throw unsupportedMediaType(contentTypeOf(call.request));
        const compute = (scale: KubeObject): unknown => applyPlainPatch(scale, patchType, patch);
        return this.#send(
          call,
          200,
          await this.#rest.updateScale(scope, name, compute, options, call.context),
        );
      }
      default:
        throw methodNotAllowed();
    }
  }

  async #objectBody(call: NegotiatedRequest, info: ResourceInfo): Promise<KubeObject> {
    const contentType = contentTypeOf(call.request);
    if (!BODY_TYPES.test(contentType)) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
      );
    }
    const bytes = await readBody(call.request);
    const object = objectForResource(info, parseBody(bytes, contentType, info.kind));
    if (call.context.audit) call.context.audit.requestObject = object;
    return object;
  }

  async #patchBody(
    call: NegotiatedRequest,
    info: ResourceInfo,
  ): Promise<{ patchType: PatchType; patch: Uint8Array }> {
    const contentType = contentTypeOf(call.request);
    const patchType = PATCH_CONTENT_TYPES[contentType.split(';')[0]?.trim() ?? ''];
    if (!patchType) throw unsupportedMediaType(contentType);
    if (patchType === 'strategic' && !info.strategicMerge) throw unsupportedMediaType(contentType);
    const patch = await readBody(call.request);
    if (call.context.audit) call.context.audit.requestObject = parsePatchForAudit(patch, patchType);
    return { patchType, patch };
  }

  async #optionalBody(call: NegotiatedRequest): Promise<unknown> {
    const bytes = await readBody(call.request);
    if (bytes.length === 0) return undefined;
    return parseBody(bytes, contentTypeOf(call.request) || 'application/json', 'DeleteOptions');
  }

  #sendObject(call: NegotiatedRequest, info: ResourceInfo, object: KubeObject): void {
    const { format } = call;
    if (format.as !== 'Table') return this.#send(call, 200, object);
    const body = toTable(info, [object], {
      now: call.context.now,
      includeObject: includeObjectOf(call.url),
      resourceVersion: object.metadata.resourceVersion,
      version: format.version,
    });
    this.#send(call, 200, body);
  }

  #sendList(call: NegotiatedRequest, info: ResourceInfo, outcome: ListOutcome): void {
    const metadata = {
      resourceVersion: String(outcome.revision),
      ...(outcome.continueToken ? { continue: outcome.continueToken } : {}),
      ...(outcome.remainingItemCount !== undefined ? { remainingItemCount: outcome.remainingItemCount } : {}),
    };
    const { format } = call;
    if (format.as === 'Table') {
      const body = toTable(
        info,
        outcome.items.map((item) => item.object),
        {
          now: call.context.now,
          includeObject: includeObjectOf(call.url),
          resourceVersion: metadata.resourceVersion,
          continueToken: outcome.continueToken,
          remainingItemCount: outcome.remainingItemCount,
          version: format.version,
        },
      );
      return this.#send(call, 200, body);
    }
    const items = outcome.items.map((item) => (info.crd ? item.object : withoutTypeMeta(item.object)));
    this.#send(call, 200, { kind: info.listKind, apiVersion: apiVersionOf(info), metadata, items }, 'list');
  }

  /** Writes the answer in the negotiated representation (a Status is always sent as it is). */
  #send(call: NegotiatedRequest, code: number, body: unknown, shape: Shape = 'object'): void {
    const output = this.#transform(call, body, shape);
    if (call.context.audit) call.context.audit.responseObject = output;
    const warnings = call.context.warnings;
    if (warnings.length > 0) call.response.setHeader('Warning', warningHeaders(warnings));
    const { format } = call;
    if ('encoding' in format && format.encoding === 'protobuf') {
      return sendBytes(
        call.response,
        code,
        encodeMetaObject(output as Record<string, unknown>),
        PROTOBUF_CONTENT_TYPE,
      );
    }
    sendJson(call.response, code, output);
  }

  /** kube's doTransformObject for PartialObjectMetadata(List); Tables are built by the callers that offer them. */
  #transform(call: NegotiatedRequest, body: unknown, shape: Shape): unknown {
    const { format } = call;
    if (format.as !== 'PartialObjectMetadata' && format.as !== 'PartialObjectMetadataList') return body;
    if (!isPlainObject(body) || body['kind'] === 'Status') return body;
    if (format.as === 'PartialObjectMetadata') {
      if (shape === 'list') throw wrongShape(format.as, call.info);
      return toPartialObjectMetadata(body, format.version);
    }
    if (shape === 'object') throw wrongShape(format.as, call.info);
    const items = Array.isArray(body['items']) ? (body['items'] as Record<string, unknown>[]) : [];
    const metadata = isPlainObject(body['metadata']) ? body['metadata'] : {};
    return toPartialObjectMetadataList(items, metadata, format.version);
  }
}

/** Items of built-in lists carry no apiVersion/kind of their own (the list's type says it). */
function withoutTypeMeta(object: KubeObject): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

/** The patch as the audit log records it: the parsed JSON (or the apply document's text). */
function parsePatchForAudit(patch: Uint8Array, patchType: PatchType): unknown {
  const text = Buffer.from(patch).toString('utf8');
  if (patchType === 'apply') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function includeObjectOf(url: URL): 'None' | 'Metadata' | 'Object' {
  const value = url.searchParams.get('includeObject') ?? 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`includeObject: unsupported value "${value}"`);
}

export function contentTypeOf(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').trim();
}

export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}
