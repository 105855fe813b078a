/**
 * What the KMS plugin tests share: an in-memory key-encryption key with switchable health, a socket path in a
 * temporary directory, a stale socket file (its server killed), raw gRPC calls with bytes built by hand, a
 * minimal protobuf field reader independent of src/, and `cloak kms-plugin` started as a user starts it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { KmsError } from '../../src/kms/errors.ts';
import type { KekBackend, KekWrapResult } from '../../src/kms/plugin.ts';
import { tempDir } from '../helpers/keys.ts';
import { CLOAK_BIN } from '../helpers/paths.ts';

/** A socket path in a fresh temporary directory (removed when the test ends). */
export async function socketPath(t: TestContext, name = 'kms.sock'): Promise<{ dir: string; path: string }> {
  const dir = await tempDir(t);
  return { dir, path: join(dir, name) };
}

/**
 * A key-encryption key for protocol tests: "wraps" by XOR with a per-key byte and a marker, so results are easy
 * to check by hand; health, key id and annotations can be set; records what it was asked.
 */
export class TestKek implements KekBackend {
  readonly description = 'test key';
  currentKeyId = 'test-key-1';
  annotations: Record<string, Uint8Array> = {};
  unhealthy: string | undefined;
  /** When set, wrap fails with this (not a CloakError: an unexpected failure). */
  wrapFailure: Error | undefined;
  readonly calls: string[] = [];

  keyId(): Promise<string> {
    this.calls.push('keyId');
    return Promise.resolve(this.currentKeyId);
  }

  wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    this.calls.push('wrap');
    if (this.wrapFailure) return Promise.reject(this.wrapFailure);
    const ciphertext = new Uint8Array([0xee, ...plaintext.map((byte) => byte ^ xorFor(this.currentKeyId))]);
    return Promise.resolve({ ciphertext, keyId: this.currentKeyId, annotations: { ...this.annotations } });
  }

  unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    this.calls.push(`unwrap:${keyId}`);
    if (ciphertext[0] !== 0xee)
      return Promise.reject(new KmsError('ERR_KMS_REQUEST', 'not a test ciphertext'));
    return Promise.resolve(ciphertext.subarray(1).map((byte) => byte ^ xorFor(keyId)));
  }

  health(): Promise<void> {
    this.calls.push('health');
    return this.unhealthy === undefined
      ? Promise.resolve()
      : Promise.reject(new KmsError('ERR_KMS_BACKEND', this.unhealthy));
  }
}

function xorFor(keyId: string): number {
  let x = 0x5a;
  for (const char of keyId) x = (x * 31 + char.charCodeAt(0)) & 0xff;
  return x;
}

/** Leaves a socket file at `path` that nothing listens on: its server is killed before it can close. */
export function leaveStaleSocket(path: string): void {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 10_000 });
}

// --- raw gRPC ----------------------------------------------------------------------------------------------

const identity = (bytes: Buffer): Buffer => bytes;

/** One unary call with the request bytes as given and the response bytes as received. */
export function rawCall(
  target: string,
  path: string,
  request: Uint8Array,
  timeoutMs = 5000,
): Promise<{ error?: grpc.ServiceError; response?: Buffer }> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.default_authority': 'localhost',
  });
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      identity,
      identity,
      Buffer.from(request),
      new grpc.Metadata({ waitForReady: true }),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response: response as Buffer });
      },
    );
  });
}

/** A raw gRPC server on `target` answering each method path with what `handlers` returns (bytes as given). */
export async function rawServer(
  t: TestContext,
  target: string,
  handlers: Record<string, (request: Buffer) => Buffer | 'hang'>,
): Promise<{ requests: { path: string; body: Buffer; authority: string }[] }> {
  const server = new grpc.Server();
  const requests: { path: string; body: Buffer; authority: string }[] = [];
  const service: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [path, handler] of Object.entries(handlers)) {
    const name = path.split('/').at(-1) ?? path;
    service[name] = {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    implementation[name] = (
      call: grpc.ServerUnaryCall<Buffer, Buffer>,
      callback: grpc.sendUnaryData<Buffer>,
    ): void => {
      const authority = call.getHost();
      requests.push({ path, body: call.request, authority });
      const answer = handler(call.request);
      if (answer !== 'hang') callback(null, answer);
    };
  }
  server.addService(service, implementation);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  t.after(() => server.forceShutdown());
  return { requests };
}

// --- an independent protobuf reader --------------------------------------------------------------------------

export interface RawField {
  number: number;
  wireType: number;
  /** Varint value, or the payload of a length-delimited field. */
  value: bigint | Buffer;
}

/** Splits a message into its fields (varint and length-delimited only, which is all the KMS API uses). */
export function rawFields(bytes: Uint8Array): RawField[] {
  const buf = Buffer.from(bytes);
  const fields: RawField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[at++];
      assert.ok(byte !== undefined, 'truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const wireType = key & 7;
    const number = key >> 3;
    if (wireType === 0) fields.push({ number, wireType, value: varint() });
    else if (wireType === 2) {
      const length = Number(varint());
      fields.push({ number, wireType, value: buf.subarray(at, at + length) });
      at += length;
    } else assert.fail(`unexpected wire type ${wireType}`);
  }
  return fields;
}

/** A length-delimited field written by hand: tag byte(s), length, payload (payloads under 128 bytes). */
export function field(number: number, payload: Uint8Array | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  assert.ok(bytes.length < 128 && number < 16, 'hand-built fields stay small');
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}

// --- the command line ----------------------------------------------------------------------------------------

export interface RunningPlugin {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  log(): string;
  /** Sends the signal and waits for the exit; returns the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `cloak kms-plugin ARGS` and waits for its "serving" line. Killed when the test ends. */
export async function startPluginCli(
  t: TestContext,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningPlugin> {
  const child = spawn(process.execPath, [CLOAK_BIN, 'kms-plugin', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'], HOME: '/nonexistent-home', ...env },
  });
  let log = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (log += chunk));
  child.stderr.on('data', (chunk: string) => (log += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let running = true;
  void exited.then(() => (running = false));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> => {
    if (running) child.kill(signal);
    const [code, killedBy] = await exited;
    return code ?? killedBy ?? -1;
  };
  t.after(async () => {
    await stop('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cloak kms-plugin did not start:\n${log}`)), 20_000);
    const check = (): void => {
      if (/serving KMS v2 on /.test(log)) {
        clearTimeout(timer);
        child.stderr.off('data', check);
        resolve();
      }
    };
    child.stderr.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`cloak kms-plugin exited:\n${log}`));
    });
  });
  return { child, log: () => log, stop };
}
