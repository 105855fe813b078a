/**
 * KMS plugin endpoints as kube-apiserver reads them (k8s.io/kms/pkg/util ParseEndpoint): the `unix` scheme only,
 * `unix:///path/to/plugin.sock` for a socket file and `unix:///@name` for a Linux abstract socket (no file, no
 * permissions: any process in the network namespace can connect). Pure.
 */
import { KmsError } from './errors.ts';

export type KmsEndpoint =
  { endpoint: string; kind: 'file'; path: string } | { endpoint: string; kind: 'abstract'; name: string };

/** sun_path holds 108 bytes, the last one the terminating NUL (an abstract name's first byte is a NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

export function parseKmsEndpoint(endpoint: string): KmsEndpoint {
  const fail = (why: string): KmsError =>
    new KmsError(
      'ERR_KMS_ENDPOINT',
      `KMS endpoint "${endpoint}": ${why} (use unix:///path/to/plugin.sock or unix:///@abstract-name)`,
    );
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/[^/]*)?([^?#]*)$/.exec(endpoint);
  if (!match) throw fail(endpoint === '' ? 'empty' : 'not a unix socket URL');
  const [, scheme = '', authority, rawPath = ''] = match;
  if (scheme !== 'unix') throw fail(`unsupported scheme "${scheme}"`);
  if (authority !== undefined && authority !== '//') {
    throw fail('the path must be absolute: three slashes after "unix:"');
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw fail('bad percent-encoding');
  }
  if (!path.startsWith('/')) throw fail('the path must be absolute');
  if (path.includes('\0')) throw fail('the path holds a NUL byte');
  if (path.startsWith('/@')) {
    const name = path.slice(2);
    if (name === '') throw fail('the abstract socket has no name');
    if (Buffer.byteLength(name) > MAX_SOCKET_PATH_BYTES - 1) {
      throw fail(`the abstract name is longer than ${MAX_SOCKET_PATH_BYTES - 1} bytes`);
    }
    return { endpoint, kind: 'abstract', name };
  }
  if (path.endsWith('/')) throw fail('the path names a directory');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw fail(`the socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of unix sockets`);
  }
  return { endpoint, kind: 'file', path };
}

/** The address as node:net and @grpc/grpc-js take it: the path, or a NUL and the name for an abstract socket. */
export function socketAddress(endpoint: KmsEndpoint): string {
  return endpoint.kind === 'file' ? endpoint.path : `\0${endpoint.name}`;
}

/** The target of a @grpc/grpc-js channel or server for the endpoint. */
export function grpcTarget(endpoint: KmsEndpoint): string {
  return endpoint.kind === 'file' ? `unix://${endpoint.path}` : `unix:\0${endpoint.name}`;
}
