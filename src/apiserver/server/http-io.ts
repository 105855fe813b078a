/**
 * Reading request bodies (bounded, as kube-apiserver bounds them at 3 MiB) and writing JSON answers and Status
 * errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from '../status.ts';
import { tooLarge } from '../status.ts';

/** kube-apiserver's --max-request-body-bytes default. */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(
  request: IncomingMessage,
  limit = MAX_REQUEST_BODY_BYTES,
): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  response: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  response.end(text);
}

/** A body already encoded (protobuf), with its media type. */
export function sendBytes(
  response: ServerResponse,
  code: number,
  body: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  response.end(body);
}

export function sendError(response: ServerResponse, error: ApiError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, error.code, error.toStatus());
}

/** `Warning: 299 - "text"` headers, as kube-apiserver sends them (quotes and backslashes escaped). */
export function warningHeaders(warnings: readonly string[]): string[] {
  return warnings.map((warning) => `299 - "${warning.replace(/[\\"]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`);
}
