/**
 * The KMS v2 plugin service (`v2.KeyManagementService`) over gRPC on a unix socket, both ends: `serveKms` serves
 * a KmsService as a plugin does, `connectKms` is a KmsService that calls a plugin as kube-apiserver dials one
 * (insecure transport credentials, authority `localhost`, wait-for-ready, a deadline on every call). Messages are
 * written and read by protocol.ts; @grpc/grpc-js (about 55 ms to import) is loaded on first use.
 *
 * Failures are one-line KmsErrors that name the endpoint and the method, never a plaintext or ciphertext.
 */
import type * as GrpcJs from '@grpc/grpc-js';
import { chmod, lstat, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { CloakError, errorMessage } from '../common/errors.ts';
import type {
  KmsDecryptRequest,
  KmsEncryptResult,
  KmsService,
  KmsStatus,
} from '../encryption/kms-service.ts';
import { grpcTarget, parseKmsEndpoint, socketAddress, type KmsEndpoint } from './endpoint.ts';
import { KmsError } from './errors.ts';
import {
  decodeDecryptRequest,
  decodeDecryptResponse,
  decodeEncryptRequest,
  decodeEncryptResponse,
  decodeStatusRequest,
  decodeStatusResponse,
  encodeDecryptRequest,
  encodeDecryptResponse,
  encodeEncryptRequest,
  encodeEncryptResponse,
  encodeStatusRequest,
  encodeStatusResponse,
  methodPath,
  oneLine,
  type KmsEncryptRequest,
  type KmsMethod,
} from './protocol.ts';

type Grpc = typeof GrpcJs;

let grpcModule: Promise<Grpc> | undefined;

function loadGrpc(): Promise<Grpc> {
  grpcModule ??= import('@grpc/grpc-js');
  return grpcModule;
}

/** kube-apiserver's default per-call timeout for KMS plugins. */
export const DEFAULT_KMS_TIMEOUT_MS = 3000;

// --- the method table ---------------------------------------------------------------------------------------

interface KmsCalls {
  // StatusRequest has no fields; an object, because grpc-js takes an undefined request for a missing one.
  Status: { request: Record<string, never>; response: KmsStatus };
  Encrypt: { request: KmsEncryptRequest; response: KmsEncryptResult };
  Decrypt: { request: KmsDecryptRequest; response: Uint8Array };
}

interface Codec<Request, Response> {
  encodeRequest(request: Request): Uint8Array;
  decodeRequest(bytes: Uint8Array): Request;
  encodeResponse(response: Response): Uint8Array;
  decodeResponse(bytes: Uint8Array): Response;
}

const CODECS: { [M in KmsMethod]: Codec<KmsCalls[M]['request'], KmsCalls[M]['response']> } = {
  Status: {
    encodeRequest: () => encodeStatusRequest(),
    decodeRequest: (bytes) => {
      decodeStatusRequest(bytes);
      return {};
    },
    encodeResponse: encodeStatusResponse,
    decodeResponse: decodeStatusResponse,
  },
  Encrypt: {
    encodeRequest: encodeEncryptRequest,
    decodeRequest: decodeEncryptRequest,
    encodeResponse: encodeEncryptResponse,
    decodeResponse: decodeEncryptResponse,
  },
  Decrypt: {
    encodeRequest: encodeDecryptRequest,
    decodeRequest: decodeDecryptRequest,
    encodeResponse: encodeDecryptResponse,
    decodeResponse: decodeDecryptResponse,
  },
};

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function methodDefinition<M extends KmsMethod>(
  method: M,
): GrpcJs.MethodDefinition<KmsCalls[M]['request'], KmsCalls[M]['response']> {
  const codec = CODECS[method] as Codec<KmsCalls[M]['request'], KmsCalls[M]['response']>;
  return {
    path: methodPath(method),
    requestStream: false,
    responseStream: false,
    requestSerialize: (request) => toBuffer(codec.encodeRequest(request)),
    requestDeserialize: (bytes) => codec.decodeRequest(bytes),
    responseSerialize: (response) => toBuffer(codec.encodeResponse(response)),
    responseDeserialize: (bytes) => codec.decodeResponse(bytes),
    originalName: method.charAt(0).toLowerCase() + method.slice(1),
  };
}

// --- the server ---------------------------------------------------------------------------------------------

/**
 * A request as the server's handlers get it: decoded, or the reason it could not be (so that the caller gets
 * INVALID_ARGUMENT with that reason, where grpc-js would answer a bare INTERNAL "Error deserializing request").
 */
type Incoming<Request> = { request: Request } | { malformed: unknown };

function serverMethodDefinition<M extends KmsMethod>(
  method: M,
): GrpcJs.MethodDefinition<Incoming<KmsCalls[M]['request']>, KmsCalls[M]['response']> {
  const definition = methodDefinition(method);
  return {
    ...definition,
    requestSerialize: () => {
      throw new Error('the server does not send requests');
    },
    requestDeserialize: (bytes) => {
      try {
        return { request: definition.requestDeserialize(bytes) };
      } catch (error) {
        return { malformed: error };
      }
    },
  };
}

export interface ServeKmsOptions {
  /** Called with every failed call (the error is also sent to the client as its status details). */
  onError?: (method: KmsMethod, error: unknown) => void;
  /** How long close() lets calls in flight finish before cutting them off. Default 5 s. */
  shutdownGraceMs?: number;
}

export interface KmsServer {
  readonly endpoint: string;
  /** A socket file of a crashed run was found at the path and replaced. */
  readonly replacedStaleSocket: boolean;
  /** Stops serving (calls in flight get the grace period) and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Serves `service` as `v2.KeyManagementService` on `endpoint` (`unix:///path.sock` or `unix:///@abstract`).
 * Refuses a socket another server answers on and a path that is not a socket; replaces a stale socket file.
 * The socket file is made mode 0600: whoever can connect can have data keys unwrapped.
 */
export async function serveKms(
  service: KmsService,
  endpoint: string,
  options: ServeKmsOptions = {},
): Promise<KmsServer> {
  const parsed = parseKmsEndpoint(endpoint);
  const replacedStaleSocket = await prepareSocket(parsed);
  const grpc = await loadGrpc();
  const server = new grpc.Server();

  const unary = <M extends KmsMethod>(
    method: M,
    run: (request: KmsCalls[M]['request']) => Promise<KmsCalls[M]['response']>,
  ): GrpcJs.handleUnaryCall<Incoming<KmsCalls[M]['request']>, KmsCalls[M]['response']> => {
    return (call, callback) => {
      // An async function, so that a synchronous throw of `run` is a rejection too.
      const result = (async () => {
        const incoming = call.request;
        if ('malformed' in incoming) {
          throw new KmsError(
            'ERR_KMS_REQUEST',
            `malformed request: ${oneLine(errorMessage(incoming.malformed))}`,
          );
        }
        return run(incoming.request);
      })();
      result.then(
        (response) => callback(null, response),
        (error: unknown) => {
          options.onError?.(method, error);
          callback({ code: statusFor(grpc, error), details: safeDetails(error) });
        },
      );
    };
  };

  const definition: GrpcJs.ServiceDefinition = {
    Status: serverMethodDefinition('Status'),
    Encrypt: serverMethodDefinition('Encrypt'),
    Decrypt: serverMethodDefinition('Decrypt'),
  };
  server.addService(definition, {
    Status: unary('Status', () => service.status()),
    Encrypt: unary('Encrypt', (request) => service.encrypt(request.plaintext, request.uid)),
    Decrypt: unary('Decrypt', (request) => service.decrypt(request)),
  });

  try {
    await new Promise<number>((resolve, reject) => {
      server.bindAsync(grpcTarget(parsed), grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
  } catch (error) {
    server.forceShutdown();
    throw new KmsError('ERR_KMS_SERVE', `cannot listen on ${endpoint}: ${oneLine(errorMessage(error))}`, {
      cause: error,
    });
  }

  let inode: number | undefined;
  if (parsed.kind === 'file') {
    try {
      await chmod(parsed.path, 0o600);
      inode = (await stat(parsed.path)).ino;
    } catch (error) {
      server.forceShutdown();
      throw new KmsError('ERR_KMS_SERVE', `cannot secure ${parsed.path}: ${oneLine(errorMessage(error))}`, {
        cause: error,
      });
    }
  }

  const graceMs = options.shutdownGraceMs ?? 5000;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // The socket file goes with the listener; remove it if it is still there and still ours.
    if (parsed.kind === 'file' && inode !== undefined) {
      const now = await stat(parsed.path).catch(() => undefined);
      if (now?.ino === inode) await rm(parsed.path, { force: true });
    }
  };
  return {
    endpoint,
    replacedStaleSocket,
    close: () => (closing ??= close()),
  };
}

/**
 * Makes sure nothing else owns the socket: a live server there (or a path that is not a socket) is refused, a
 * socket file nobody answers on (left by a crashed run) is removed. Returns whether one was removed.
 */
async function prepareSocket(endpoint: KmsEndpoint): Promise<boolean> {
  const address = socketAddress(endpoint);
  const inUse = (): KmsError =>
    new KmsError('ERR_KMS_SOCKET_IN_USE', `another server is listening on ${endpoint.endpoint}`);
  if (endpoint.kind === 'abstract') {
    if ((await probeSocket(address)) === 'live') throw inUse();
    return false;
  }
  const path = endpoint.path;
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new KmsError('ERR_KMS_SERVE', `cannot listen on ${endpoint.endpoint}: ${oneLine(error.message)}`);
  });
  if (info === undefined) {
    const directory = dirname(path);
    const parent = await stat(directory).catch(() => undefined);
    if (!parent?.isDirectory()) {
      throw new KmsError(
        'ERR_KMS_SERVE',
        `cannot listen on ${endpoint.endpoint}: directory ${directory} does not exist`,
      );
    }
    return false;
  }
  if (!info.isSocket()) {
    throw new KmsError(
      'ERR_KMS_SOCKET_IN_USE',
      `${path} exists and is not a socket; refusing to replace it (remove it or choose another path)`,
    );
  }
  const probe = await probeSocket(address);
  if (probe === 'live') throw inUse();
  if (probe !== 'dead') {
    throw new KmsError(
      'ERR_KMS_SOCKET_IN_USE',
      `cannot tell whether ${endpoint.endpoint} is in use (${probe}); refusing to replace it`,
    );
  }
  await rm(path, { force: true });
  return true;
}

/** Connects to the socket: 'live' when something accepts, 'dead' when nothing listens, else the error code. */
function probeSocket(address: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ path: address });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve('live'); // Something holds the socket but is too busy to accept: not stale.
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'dead' : (error.code ?? 'error'));
    });
  });
}

function statusFor(grpc: Grpc, error: unknown): GrpcJs.status {
  return error instanceof KmsError && error.code === 'ERR_KMS_REQUEST'
    ? grpc.status.INVALID_ARGUMENT
    : grpc.status.INTERNAL;
}

/** What the caller is told: a CloakError's message (written to hold no secret), else nothing specific. */
function safeDetails(error: unknown): string {
  return error instanceof CloakError ? oneLine(error.message, 1000) : 'internal error in the KMS plugin';
}

// --- the client ---------------------------------------------------------------------------------------------

export interface ConnectKmsOptions {
  /** Deadline of each call, from the moment it is made (connecting included). Default 3000 ms, as kube's. */
  timeoutMs?: number;
}

export interface KmsClient extends KmsService {
  readonly endpoint: string;
  /** Closes the channel; calls in flight fail. */
  close(): void;
}

/**
 * A KmsService that calls the plugin at `endpoint`. Nothing is dialled until the first call; a plugin that is
 * not there yet is waited for until the call's deadline (wait-for-ready), as kube-apiserver waits.
 * `status()` returns what the plugin says; `checkKmsStatus` (protocol.ts) applies kube's health rules to it.
 */
export function connectKms(endpoint: string, options: ConnectKmsOptions = {}): KmsClient {
  const parsed = parseKmsEndpoint(endpoint);
  const timeoutMs = options.timeoutMs ?? DEFAULT_KMS_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`connectKms: timeoutMs must be a positive number, not ${timeoutMs}`);
  }
  return new GrpcKmsClient(parsed, timeoutMs);
}

class GrpcKmsClient implements KmsClient {
  readonly endpoint: string;
  private readonly parsed: KmsEndpoint;
  private readonly timeoutMs: number;
  private channel: Promise<{ grpc: Grpc; client: GrpcJs.Client }> | undefined;
  private closed = false;

  constructor(parsed: KmsEndpoint, timeoutMs: number) {
    this.parsed = parsed;
    this.endpoint = parsed.endpoint;
    this.timeoutMs = timeoutMs;
  }

  status(): Promise<KmsStatus> {
    return this.call('Status', {});
  }

  encrypt(plaintext: Uint8Array, uid: string): Promise<KmsEncryptResult> {
    return this.call('Encrypt', { plaintext, uid });
  }

  decrypt(request: KmsDecryptRequest): Promise<Uint8Array> {
    return this.call('Decrypt', request);
  }

  close(): void {
    this.closed = true;
    void this.channel?.then(({ client }) => client.close()).catch(() => undefined);
  }

  private open(): Promise<{ grpc: Grpc; client: GrpcJs.Client }> {
    this.channel ??= loadGrpc().then((grpc) => ({
      grpc,
      client: new grpc.Client(grpcTarget(this.parsed), grpc.credentials.createInsecure(), {
        'grpc.default_authority': 'localhost',
      }),
    }));
    return this.channel;
  }

  private async call<M extends KmsMethod>(
    method: M,
    request: KmsCalls[M]['request'],
  ): Promise<KmsCalls[M]['response']> {
    if (this.closed) {
      throw new KmsError('ERR_KMS_CALL', `KMS plugin client for ${this.endpoint} is closed (${method})`);
    }
    const deadline = Date.now() + this.timeoutMs;
    const { grpc, client } = await this.open();
    const definition = methodDefinition(method);
    const outcome = await new Promise<
      { ok: true; value: KmsCalls[M]['response'] } | { ok: false; error: GrpcJs.ServiceError }
    >((resolve) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        new grpc.Metadata({ waitForReady: true }),
        { deadline },
        (error, value) => {
          if (error) resolve({ ok: false, error });
          else resolve({ ok: true, value: value as KmsCalls[M]['response'] });
        },
      );
    });
    if (outcome.ok) return outcome.value;
    throw await this.failure(grpc, client, method, outcome.error);
  }

  private async failure(
    grpc: Grpc,
    client: GrpcJs.Client,
    method: KmsMethod,
    error: GrpcJs.ServiceError,
  ): Promise<KmsError> {
    const where = this.endpoint;
    const details = oneLine(error.details || '');
    const unreachable = (why: string): KmsError =>
      new KmsError('ERR_KMS_UNREACHABLE', `KMS plugin unreachable at ${where}: ${why}`, { cause: error });
    switch (error.code) {
      case grpc.status.DEADLINE_EXCEEDED: {
        const state = client.getChannel().getConnectivityState(false);
        if (state !== grpc.connectivityState.READY) {
          return unreachable(`no connection within ${formatMs(this.timeoutMs)}${await this.socketHint()}`);
        }
        return new KmsError(
          'ERR_KMS_DEADLINE',
          `KMS plugin at ${where}: deadline exceeded: ${method} got no answer within ${formatMs(this.timeoutMs)}`,
          { cause: error },
        );
      }
      case grpc.status.UNAVAILABLE:
        return unreachable(details || 'connection failed');
      case grpc.status.UNIMPLEMENTED:
        return new KmsError(
          'ERR_KMS_CALL',
          `KMS plugin at ${where} does not serve ${methodPath(method)} (is it a KMS v2 plugin?)`,
          { cause: error },
        );
      case grpc.status.CANCELLED:
        return new KmsError('ERR_KMS_CALL', `KMS plugin at ${where}: ${method} was cancelled`, {
          cause: error,
        });
      default: {
        const name = grpc.status[error.code] ?? String(error.code);
        return new KmsError(
          'ERR_KMS_CALL',
          `KMS plugin at ${where}: ${method} failed: ${name}${details ? `: ${details}` : ''}`,
          { cause: error },
        );
      }
    }
  }

  /** Why nothing answered, as far as the file system tells. */
  private async socketHint(): Promise<string> {
    if (this.parsed.kind === 'abstract') return ` (nothing listens on @${this.parsed.name})`;
    const path = this.parsed.path;
    const info = await lstat(path).catch(() => undefined);
    if (!info) return ` (no socket at ${path})`;
    if (!info.isSocket()) return ` (${path} is not a socket)`;
    return ` (nothing accepts connections on ${path})`;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
