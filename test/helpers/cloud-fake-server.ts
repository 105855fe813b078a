/**
 * The plumbing under the fake cloud key services (AWS KMS, GCP KMS, Azure Key Vault, Vault transit): an HTTP or
 * HTTPS server on a free port of 127.0.0.1 that records every request it receives and is closed when the test
 * ends, and a throw-away CA whose server certificate covers 127.0.0.1 and localhost.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { testTls } from './test-tls.ts';

export interface SeenRequest {
  method: string;
  /** The request target as sent, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Handler = (request: SeenRequest) => Reply | Promise<Reply>;

export interface FakeServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  requests: SeenRequest[];
}

export function json(value: unknown, status = 200, contentType = 'application/json'): Reply {
  return { status, headers: { 'Content-Type': contentType }, body: JSON.stringify(value) };
}

/** Starts `handler` on a free port of 127.0.0.1 (HTTPS with the test CA when `tls`); closed when `t` ends. */
export async function startFakeServer(
  t: TestContext,
  handler: Handler,
  options: { tls?: boolean } = {},
): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const listener = (incoming: IncomingMessage, response: ServerResponse): void => {
    void handle(incoming, response);
  };
  let server: Server;
  if (options.tls) {
    const tls = await testTls();
    server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, listener);
  } else {
    server = createHttpServer(listener);
  }

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: SeenRequest = {
      method: incoming.method ?? '',
      path: incoming.url ?? '',
      headers: incoming.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(request);
    let reply: Reply;
    try {
      reply = await handler(request);
    } catch (error) {
      reply = { status: 500, body: `fake server failure: ${String(error)}` };
    }
    response.writeHead(reply.status, reply.headers ?? {});
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
  return { url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, requests };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
