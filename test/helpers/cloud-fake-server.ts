/**
 * The plumbing under the fake cloud key services (AWS KMS, GCP KMS, Azure Key Vault, Vault transit): an HTTP or
 * HTTPS server on a free port of 127.0.0.1 that records every request it receives and is closed when the test
 * ends, and a throw-away CA whose server certificate covers 127.0.0.1 and localhost.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, webcrypto } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

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

export interface TestTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
let material: Promise<TestTls> | undefined;

/** A CA and a server certificate for 127.0.0.1 and localhost, made once per test process. */
export function testTls(): Promise<TestTls> {
  material ??= (async () => {
    const notBefore = new Date(Date.now() - 3600_000);
    const notAfter = new Date(Date.now() + 86_400_000);
    const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '01',
        name: 'CN=cloak test cloud CA',
        keys: caKeys,
        notBefore,
        notAfter,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    const serverKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const server = await x509.X509CertificateGenerator.create(
      {
        serialNumber: '02',
        subject: 'CN=127.0.0.1',
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: 'ip', value: '127.0.0.1' },
            { type: 'dns', value: 'localhost' },
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    const keyPem = KeyObject.from(serverKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
    return { caPem: ca.toString('pem'), certPem: server.toString('pem'), keyPem };
  })();
  return material;
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
