/**
 * The operator's own HTTP endpoint: /healthz (the process is alive and its loops are running), /readyz (its
 * caches are synced: a standby replica is ready too, leadership is not readiness), and /metrics in
 * Prometheus' text format. Each failing check is named in the body; nothing else is said.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A named check: true when healthy. */
export type HealthCheck = () => boolean | Promise<boolean>;

export interface HealthServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  liveness?: Record<string, HealthCheck>;
  readiness?: Record<string, HealthCheck>;
}

export interface HealthServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    void (async () => {
      try {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        } else if (path === '/healthz' || path === '/livez') {
          await answerChecks(response, options.liveness ?? {});
        } else if (path === '/readyz') {
          await answerChecks(response, { ...options.liveness, ...options.readiness });
        } else if (path === '/metrics') {
          const text = await options.registry.metrics();
          response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(text);
        } else {
          response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        }
      } catch {
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('internal error\n');
      }
    })();
  });
  server.listen(options.port, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '0.0.0.0';
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answerChecks(response: ServerResponse, checks: Record<string, HealthCheck>): Promise<void> {
  const failed: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    const healthy = await Promise.resolve()
      .then(check)
      .catch(() => false);
    if (!healthy) failed.push(name);
  }
  response
    .writeHead(failed.length === 0 ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' })
    .end(failed.length === 0 ? 'ok\n' : failed.map((name) => `[-]${name} failed\n`).join(''));
}
