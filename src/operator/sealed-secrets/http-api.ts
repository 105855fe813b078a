/**
 * The controller's HTTP API, on the paths and with the answers of the Bitnami controller (kubeseal and other
 * clients reach it through the API server's service proxy):
 *   /healthz          200 "ok\n"
 *   /readyz           200 "ok\n", 503 "not ready\n" until keys are loaded
 *   /v1/cert.pem      the newest key's certificate (application/x-pem-file); 500 "cannot get certificate"
 *   /v1/verify        POST a SealedSecret: 200 when it unseals, 409 when not, 500 when it is not one
 *   /v1/rotate        POST a SealedSecret: 200 with it sealed again with the newest key (JSON), 500 otherwise
 * plus Cloak's
 *   /v1/rotate-key    POST: generate a new sealing key now (200 with its Secret and fingerprint)
 * /v1/verify and /v1/rotate are rate-limited per path and X-Forwarded-For (429 "limit exceeded"). Like
 * upstream, the upstream paths ignore the method. Nothing here ever answers with a secret value.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../common/errors.ts';
import type { SecretTemplateRenderer } from '../../sealing/sealed-secret.ts';
import type { Logger } from '../runtime/logger.ts';
import { decodeSealedSecretBody, RequestBodyError, reseal, verifies, type UnsealContext } from './api.ts';
import type { ControllerKey } from './key-registry.ts';
import { publicKeyOf, type SealingKeys } from './keys.ts';
import type { SealedSecretsMetrics } from './metrics.ts';
import { GcraLimiter } from './rate-limit.ts';

export interface HttpApiOptions {
  /** "" listens on every interface. */
  host: string;
  port: number;
  keys: SealingKeys;
  metrics: SealedSecretsMetrics;
  acceptV1Data: boolean;
  loadTemplateRenderer?: (() => Promise<SecretTemplateRenderer>) | undefined;
  /** --rate-limit (per second) and --rate-limit-burst. */
  rateLimit: { rate: number; burst: number };
  /** Generates a key on POST /v1/rotate-key. */
  rotateKey: () => Promise<ControllerKey>;
  ready: () => boolean;
  logger?: Logger | undefined;
  /** Read and write timeouts (upstream: 2 minutes). */
  timeoutMs?: number;
}

export interface HttpApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const TEXT = 'text/plain; charset=utf-8';

type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  body: () => Promise<Buffer>,
) => Promise<void> | void;

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const limiter = new GcraLimiter(options.rateLimit.rate, options.rateLimit.burst);
  const context = (): UnsealContext => ({
    opener: options.keys.opener,
    acceptV1Data: options.acceptV1Data,
    loadTemplateRenderer: options.loadTemplateRenderer,
  });
  const limited =
    (path: string, handler: Handler): Handler =>
    async (request, response, body) => {
      const forwarded = request.headers['x-forwarded-for'];
      const decision = limiter.take(
        `${path}|${Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')}`,
        Date.now(),
      );
      response.setHeader('X-RateLimit-Limit', String(limiter.limit));
      response.setHeader('X-RateLimit-Remaining', String(decision.remaining));
      response.setHeader('X-RateLimit-Reset', String(Math.ceil(decision.resetAfterMs / 1000)));
      if (!decision.allowed) {
        response.setHeader('Retry-After', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
        send(response, 429, TEXT, 'limit exceeded\n');
        return;
      }
      await handler(request, response, body);
    };

  const routes: Record<string, Handler> = {
    '/healthz': (_request, response) => send(response, 200, TEXT, 'ok\n'),
    '/readyz': (_request, response) =>
      options.ready() ? send(response, 200, TEXT, 'ok\n') : send(response, 503, TEXT, 'not ready\n'),
    '/v1/cert.pem': (_request, response) => {
      const key = options.keys.sealingKey();
      if (!key?.certificatePem) {
        send(response, 500, TEXT, 'cannot get certificate\n');
        return;
      }
      send(response, 200, 'application/x-pem-file', key.certificatePem);
    },
    '/v1/verify': limited('/v1/verify', async (_request, response, body) => {
      const sealed = decodeSealedSecretBody(await body());
      send(response, (await verifies(sealed, context())) ? 200 : 409, TEXT, '');
    }),
    '/v1/rotate': limited('/v1/rotate', async (_request, response, body) => {
      const sealed = decodeSealedSecretBody(await body());
      const key = options.keys.sealingKey();
      if (!key) {
        send(response, 500, TEXT, 'cannot re-encrypt: the controller has no sealing key\n');
        return;
      }
      try {
        const resealed = await reseal(
          sealed,
          { publicKey: publicKeyOf(key), fingerprint: key.fingerprint },
          context(),
        );
        send(response, 200, 'application/json', JSON.stringify(resealed));
      } catch (error) {
        send(response, 500, TEXT, `cannot re-encrypt: ${errorMessage(error)}\n`);
      }
    }),
    '/v1/rotate-key': async (request, response) => {
      if (request.method !== 'POST') {
        response.setHeader('Allow', 'POST');
        send(response, 405, TEXT, 'use POST to generate a new sealing key\n');
        return;
      }
      try {
        const key = await options.rotateKey();
        send(
          response,
          200,
          'application/json',
          `${JSON.stringify({
            secret: key.secretName,
            fingerprint: key.fingerprint,
            notBefore: key.certificate?.validFromDate.toISOString(),
            notAfter: key.certificate?.validToDate.toISOString(),
          })}\n`,
        );
      } catch (error) {
        options.logger?.error({ err: error }, 'cannot generate a sealing key');
        send(response, 500, TEXT, `cannot generate a sealing key: ${errorMessage(error)}\n`);
      }
    },
  };
  const instrumented = new Set(['/v1/cert.pem', '/v1/verify', '/v1/rotate', '/v1/rotate-key']);

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const handler = routes[path];
    const started = performance.now();
    const method = (request.method ?? 'GET').toLowerCase();
    if (instrumented.has(path)) {
      response.once('finish', () => {
        options.metrics.httpRequests.inc({ path, code: String(response.statusCode), method });
        options.metrics.httpDuration.observe({ path, method }, (performance.now() - started) / 1000);
      });
    }
    if (!handler) {
      send(response, 404, TEXT, '404 page not found\n');
      return;
    }
    void Promise.resolve()
      .then(() => handler(request, response, () => readBody(request)))
      .catch((error: unknown) => {
        const status = error instanceof BodyTooLarge || error instanceof BodyReadError ? 400 : 500;
        if (!(error instanceof RequestBodyError || status === 400))
          options.logger?.error({ path, err: error }, 'HTTP API request failed');
        if (!response.headersSent) send(response, status, TEXT, `${errorMessage(error)}\n`);
        else response.end();
      });
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs;
  server.listen(options.port, options.host || undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host =
    !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff' }).end(body);
}

class BodyTooLarge extends Error {
  constructor() {
    super(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
}

class BodyReadError extends Error {}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof BodyTooLarge) throw error;
    throw new BodyReadError(`cannot read the request body: ${errorMessage(error)}`);
  }
  return Buffer.concat(chunks);
}
