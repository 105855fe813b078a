/**
 * A fake Kubernetes API server for CLI tests: HTTPS on 127.0.0.1 with a throw-away CA (client-node refuses
 * plain http:// servers), bearer-token authentication answered with Kubernetes `Status` errors, and the
 * Sealed Secrets controller's endpoints behind the service proxy, as kubeseal reaches them. Every request it
 * receives is recorded, rejected ones included.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { testTls } from './test-tls.ts';
import { stringify } from 'yaml';

export interface SeenRequest {
  method: string;
  /** The request target as sent, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body?: string | Buffer;
  contentType?: string;
}

/** Answers one authenticated request, or returns undefined for the server's generic 404. */
export type Route = (request: SeenRequest) => Reply | undefined;

export interface FakeApiServer {
  url: string;
  token: string;
  /** The CA that signed the server's certificate, for the kubeconfig's certificate-authority-data. */
  caPem: string;
  requests: SeenRequest[];
}

/** A Kubernetes `Status` error body, as the API server sends it. */
export function statusReply(code: number, reason: string, message: string): Reply {
  return {
    status: code,
    contentType: 'application/json',
    body: JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  };
}

export function jsonReply(value: unknown, status = 200): Reply {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

/** Starts the server on a free port of 127.0.0.1; it is closed when the test ends. */
export async function startFakeApiServer(
  t: TestContext,
  route: Route,
  token = 'test-token',
): Promise<FakeApiServer> {
  const material = await testTls();
  const requests: SeenRequest[] = [];
  const server = createServer({ key: material.keyPem, cert: material.certPem }, (incoming, response) => {
    void handle(incoming, response);
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: SeenRequest = {
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers: incoming.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(request);
    let reply: Reply;
    if (incoming.headers.authorization !== `Bearer ${token}`) {
      reply = statusReply(401, 'Unauthorized', 'Unauthorized');
    } else {
      reply =
        route(request) ?? statusReply(404, 'NotFound', 'the server could not find the requested resource');
    }
    response.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8' });
    response.end(reply.body ?? '');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, token, caPem: material.caPem, requests };
}

export interface FakeControllerOptions {
  namespace?: string;
  name?: string;
  /** The Service's ports; kubeseal addresses the first one by name. */
  ports?: { name?: string; port: number }[];
  /** What /v1/cert.pem answers. */
  certificate: string | Buffer;
  /** HTTP status of /v1/verify for the posted SealedSecret (default 200). */
  verify?: (sealed: Record<string, unknown>) => number;
  /** The answer of /v1/rotate for the posted SealedSecret (default: 404). */
  rotate?: (sealed: Record<string, unknown>) => Reply;
}

/** Routes for a Sealed Secrets controller Service and its endpoints behind the API server's service proxy. */
export function sealedSecretsController(options: FakeControllerOptions): Route {
  const namespace = options.namespace ?? 'kube-system';
  const name = options.name ?? 'sealed-secrets-controller';
  const ports = options.ports ?? [{ name: 'http', port: 8080 }];
  const servicesPath = `/api/v1/namespaces/${namespace}/services/`;
  const proxy = `${servicesPath}http:${name}:${ports[0]?.name ?? ''}/proxy`;
  return (request) => {
    if (request.method === 'GET' && request.path === `${servicesPath}${name}`) {
      return jsonReply({
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { name, namespace, uid: '0b5e3c1e-1d5c-4a8e-9b1e-6f9c7e2d0a11' },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.12.34',
          ports: ports.map((port) => ({ ...port, protocol: 'TCP', targetPort: port.port })),
          selector: { name },
        },
      });
    }
    // Like the real API server: any other Service, in any namespace, is simply not found.
    const otherService = /^\/api\/v1\/namespaces\/[^/]+\/services\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && otherService) {
      return statusReply(
        404,
        'NotFound',
        `services "${decodeURIComponent(otherService[1] ?? '')}" not found`,
      );
    }
    if (request.method === 'GET' && request.path === `${proxy}/v1/cert.pem`) {
      return { status: 200, contentType: 'application/x-pem-file', body: options.certificate };
    }
    if (request.method === 'POST' && request.path === `${proxy}/v1/verify`) {
      const status = options.verify?.(JSON.parse(request.body) as Record<string, unknown>) ?? 200;
      return { status, body: status === 200 ? '' : 'Conflict' };
    }
    if (request.method === 'POST' && request.path === `${proxy}/v1/rotate` && options.rotate) {
      return options.rotate(JSON.parse(request.body) as Record<string, unknown>);
    }
    if (request.path.includes('/proxy/')) {
      return statusReply(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    }
    return undefined;
  };
}

export interface KubeconfigOptions {
  server: string;
  token: string;
  /** Omitted: the kubeconfig names no CA, so the server's certificate cannot be verified. */
  caPem?: string | undefined;
  contexts?: { name: string; namespace?: string }[];
  currentContext?: string;
}

/** A kubeconfig: one cluster, one bearer-token user and the given contexts (default: one, no namespace). */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const contexts = options.contexts ?? [{ name: 'test' }];
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'fake',
        cluster: {
          server: options.server,
          ...(options.caPem
            ? { 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') }
            : {}),
        },
      },
    ],
    users: [{ name: 'tester', user: { token: options.token } }],
    contexts: contexts.map((context) => ({
      name: context.name,
      context: {
        cluster: 'fake',
        user: 'tester',
        ...(context.namespace ? { namespace: context.namespace } : {}),
      },
    })),
    'current-context': options.currentContext ?? contexts[0]?.name ?? '',
  });
}
