/**
 * Raw HTTPS requests to `cloak dev cluster` with its admin token and CA (what a client library would send), for
 * tests that check status codes, reasons and headers exactly.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { DevCluster } from './dev-cluster.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as received (for binary answers such as protobuf). */
  bytes: Buffer;
  json(): Record<string, unknown>;
}

export interface RawClient {
  send(
    method: string,
    path: string,
    options?: {
      body?: string | Buffer;
      contentType?: string;
      token?: string | null;
      accept?: string;
      headers?: Record<string, string>;
    },
  ): Promise<RawResponse>;
}

export async function rawClient(cluster: DevCluster): Promise<RawClient> {
  const ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
  const adminToken = (await readFile(join(cluster.dataDir, 'admin.token'), 'utf8')).trim();
  const base = new URL(cluster.url);
  return {
    send: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        const token = options.token === undefined ? adminToken : options.token;
        const headers: Record<string, string> = {
          Accept: options.accept ?? 'application/json',
          ...options.headers,
        };
        if (token) headers['Authorization'] = `Bearer ${token}`;
        if (options.body !== undefined) {
          headers['Content-Type'] = options.contentType ?? 'application/json';
          // Node sends a DELETE body without framing unless the length is given.
          headers['Content-Length'] = String(Buffer.byteLength(options.body));
        }
        const outgoing = request(
          { host: base.hostname, port: base.port, path, method, ca, headers },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const bytes = Buffer.concat(chunks);
              const text = bytes.toString('utf8');
              resolve({
                status: response.statusCode ?? 0,
                headers: response.headers,
                text,
                bytes,
                json: () => JSON.parse(text) as Record<string, unknown>,
              });
            });
            response.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(options.body);
      }),
  };
}
