/**
 * The KMS v2 gRPC service over real unix sockets in temporary directories: serveKms and connectKms together,
 * each of them against a raw @grpc/grpc-js peer exchanging bytes written by hand (so the wire format is checked
 * independently of protocol.ts), health reporting, and the failures a caller must be able to tell apart
 * (unreachable, deadline exceeded, refused requests, not a KMS plugin) as one-line errors holding no data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloakError } from '../../src/common/errors.ts';
import { connectKms, serveKms, type KmsServer } from '../../src/kms/grpc.ts';
import { KmsPlugin } from '../../src/kms/plugin.ts';
import { checkKmsStatus } from '../../src/kms/protocol.ts';
import { field, leaveStaleSocket, rawCall, rawFields, rawServer, socketPath, TestKek } from './helpers.ts';

async function serve(
  t: TestContext,
  kek = new TestKek(),
  endpoint?: string,
): Promise<{ server: KmsServer; kek: TestKek; endpoint: string; errors: string[] }> {
  const where = endpoint ?? `unix://${(await socketPath(t)).path}`;
  const errors: string[] = [];
  const server = await serveKms(new KmsPlugin(kek), where, {
    onError: (method, error) => errors.push(`${method}: ${(error as Error).message}`),
  });
  t.after(() => server.close());
  return { server, kek, endpoint: where, errors };
}

function client(t: TestContext, endpoint: string, timeoutMs?: number): ReturnType<typeof connectKms> {
  const kms = connectKms(endpoint, timeoutMs === undefined ? {} : { timeoutMs });
  t.after(() => kms.close());
  return kms;
}

/** A one-line CloakError with `code` whose message matches and holds none of `secrets` (hex or base64). */
function cleanError(code: string, message: RegExp, secrets: Uint8Array[] = []): (error: unknown) => true {
  return (error: unknown) => {
    assert.ok(error instanceof CloakError, `expected a CloakError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /[\r\n]/);
    for (const secret of secrets) {
      for (const form of [Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')]) {
        assert.ok(!error.message.includes(form.replace(/=+$/, '')), `"${error.message}" holds data`);
      }
    }
    return true;
  };
}

describe('serveKms and connectKms', () => {
  test('Status, Encrypt and Decrypt round trip over a unix socket; the socket is 0600 and goes on close', async (t) => {
    const { server, endpoint, kek } = await serve(t);
    const path = endpoint.slice('unix://'.length);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(server.replacedStaleSocket, false);

    const kms = client(t, endpoint);
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: 'test-key-1' });
    const seed = randomBytes(32);
    kek.annotations = { 'local-kek.kms.example.com': new Uint8Array([1, 2, 3]) };
    const wrapped = await kms.encrypt(seed, 'b1c7f4a2-0000-4000-8000-000000000001');
    assert.equal(wrapped.keyId, 'test-key-1');
    assert.deepEqual(wrapped.annotations, { 'local-kek.kms.example.com': new Uint8Array([1, 2, 3]) });
    assert.notDeepEqual(Buffer.from(wrapped.ciphertext), seed);
    const unwrapped = await kms.decrypt({
      ciphertext: wrapped.ciphertext,
      uid: 'u',
      keyId: wrapped.keyId,
      annotations: wrapped.annotations,
    });
    assert.deepEqual(Buffer.from(unwrapped), seed);
    assert.deepEqual(kek.calls, ['health', 'keyId', 'wrap', 'unwrap:test-key-1']);

    await server.close();
    await assert.rejects(lstat(path), { code: 'ENOENT' });
    await server.close(); // idempotent
  });

  test('an abstract socket (unix:///@name) works the same, with no file', async (t) => {
    const name = `cloak-kms-test-${randomBytes(6).toString('hex')}`;
    const { endpoint } = await serve(t, new TestKek(), `unix:///@${name}`);
    const kms = client(t, endpoint);
    assert.equal((await kms.status()).healthz, 'ok');
    const wrapped = await kms.encrypt(new Uint8Array([9, 9]), 'u');
    assert.deepEqual(await kms.decrypt({ ...wrapped, uid: 'u' }), new Uint8Array([9, 9]));
    // A second server on the same name is refused: the name is taken while the first one runs.
    await assert.rejects(
      serveKms(new KmsPlugin(new TestKek()), endpoint),
      cleanError('ERR_KMS_SOCKET_IN_USE', /another server is listening/),
    );
  });

  test('the server answers hand-built requests with the bytes api.proto prescribes', async (t) => {
    const { endpoint } = await serve(t);
    const status = await rawCall(endpoint, '/v2.KeyManagementService/Status', new Uint8Array());
    assert.equal(status.error, undefined);
    assert.equal(
      status.response?.toString('hex'),
      Buffer.concat([field(1, 'v2'), field(2, 'ok'), field(3, 'test-key-1')]).toString('hex'),
    );

    const plaintext = Buffer.from('0123456789abcdef0123456789abcdef');
    // EncryptRequest{plaintext=1, uid=2} plus an unknown field 7 the server must ignore.
    const encryptRequest = Buffer.concat([field(1, plaintext), field(2, 'uid-1'), field(7, 'ignored')]);
    const encrypted = await rawCall(endpoint, '/v2.KeyManagementService/Encrypt', encryptRequest);
    assert.equal(encrypted.error, undefined);
    const fields = rawFields(encrypted.response as Buffer);
    assert.deepEqual(
      fields.map((f) => f.number),
      [1, 2],
    );
    const ciphertext = fields[0]?.value as Buffer;
    assert.equal(ciphertext[0], 0xee);
    assert.equal(ciphertext.length, 33);
    assert.equal((fields[1]?.value as Buffer).toString(), 'test-key-1');

    // DecryptRequest{ciphertext=1, uid=2, key_id=3, annotations=4 (entry {1: key, 2: value})}.
    const decryptRequest = Buffer.concat([
      field(1, ciphertext),
      field(2, 'uid-2'),
      field(3, 'test-key-1'),
      field(4, Buffer.concat([field(1, 'a.example.com'), field(2, Buffer.from([7]))])),
    ]);
    const decrypted = await rawCall(endpoint, '/v2.KeyManagementService/Decrypt', decryptRequest);
    assert.equal(decrypted.error, undefined);
    assert.equal(decrypted.response?.toString('hex'), field(1, plaintext).toString('hex'));
  });

  test('the client sends hand-checkable bytes with authority localhost and reads hand-built answers', async (t) => {
    const { path } = await socketPath(t);
    const endpoint = `unix://${path}`;
    const peer = await rawServer(t, endpoint, {
      // Unknown fields (9 varint, 15 bytes) among the known ones are skipped.
      '/v2.KeyManagementService/Status': () =>
        Buffer.concat([
          Buffer.from('4801', 'hex'),
          field(1, 'v2'),
          field(15, 'x'),
          field(2, 'ok'),
          field(3, 'kek-7'),
        ]),
      '/v2.KeyManagementService/Encrypt': () =>
        Buffer.concat([
          field(1, Buffer.from([1, 2, 3])),
          field(2, 'kek-7'),
          field(3, Buffer.concat([field(1, 'b.io'), field(2, 'v')])),
        ]),
      '/v2.KeyManagementService/Decrypt': () => field(1, Buffer.from('seed')),
    });
    const kms = client(t, endpoint);
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: 'kek-7' });
    assert.deepEqual(await kms.encrypt(Buffer.from([0xaa, 0xbb]), 'u-1'), {
      ciphertext: new Uint8Array([1, 2, 3]),
      keyId: 'kek-7',
      annotations: { 'b.io': new Uint8Array(Buffer.from('v')) },
    });
    assert.deepEqual(
      Buffer.from(
        await kms.decrypt({
          ciphertext: new Uint8Array([5]),
          uid: 'u-2',
          keyId: 'kek-7',
          annotations: { 'c.io': new Uint8Array([6]) },
        }),
      ),
      Buffer.from('seed'),
    );
    assert.deepEqual(
      peer.requests.map((request) => [request.path, request.body.toString('hex'), request.authority]),
      [
        ['/v2.KeyManagementService/Status', '', 'localhost'],
        [
          '/v2.KeyManagementService/Encrypt',
          Buffer.concat([field(1, Buffer.from([0xaa, 0xbb])), field(2, 'u-1')]).toString('hex'),
          'localhost',
        ],
        [
          '/v2.KeyManagementService/Decrypt',
          Buffer.concat([
            field(1, Buffer.from([5])),
            field(2, 'u-2'),
            field(3, 'kek-7'),
            field(4, Buffer.concat([field(1, 'c.io'), field(2, Buffer.from([6]))])),
          ]).toString('hex'),
          'localhost',
        ],
      ],
    );
  });

  test('a client waits for a plugin that starts after its first call (wait-for-ready)', async (t) => {
    const { path } = await socketPath(t);
    const kms = client(t, `unix://${path}`, 5000);
    const pending = kms.status();
    await sleep(300);
    await serve(t, new TestKek(), `unix://${path}`);
    assert.equal((await pending).healthz, 'ok');
  });
});

describe('health', () => {
  test('an unhealthy backend makes healthz its failure text, not "ok", and no key id; recovery is reported', async (t) => {
    const kek = new TestKek();
    kek.unhealthy = 'Vault transit key k: cannot encrypt the data key: Vault is sealed';
    const changes: string[] = [];
    const plugin = new KmsPlugin(kek, { onHealthChange: (healthz) => changes.push(healthz) });
    const { path } = await socketPath(t);
    const server = await serveKms(plugin, `unix://${path}`);
    t.after(() => server.close());
    const kms = client(t, `unix://${path}`);

    const sick = await kms.status();
    assert.deepEqual(sick, { version: 'v2', healthz: kek.unhealthy, keyId: '' });
    assert.throws(
      () => checkKmsStatus(sick, kms.endpoint),
      cleanError('ERR_KMS_UNHEALTHY', /is unhealthy: Vault transit key k: .*Vault is sealed$/),
    );
    await kms.status();
    kek.unhealthy = undefined;
    assert.deepEqual(checkKmsStatus(await kms.status(), kms.endpoint).keyId, 'test-key-1');
    assert.deepEqual(changes, [sick.healthz, 'ok']);
  });

  test('a multi-line or empty failure text becomes one line that is never "ok"', async () => {
    const kek = new TestKek();
    kek.unhealthy = 'first line\nsecond line';
    assert.equal((await new KmsPlugin(kek).status()).healthz, 'first line second line');
    kek.unhealthy = 'ok';
    assert.equal((await new KmsPlugin(kek).status()).healthz, 'unhealthy');
    kek.unhealthy = undefined;
    kek.currentKeyId = '';
    assert.match((await new KmsPlugin(kek).status()).healthz, /test key has an empty key id/);
  });
});

describe('failures', () => {
  test('no socket: a clear "unreachable" error within the timeout', async (t) => {
    const { path } = await socketPath(t);
    const kms = client(t, `unix://${path}`, 400);
    const started = performance.now();
    await assert.rejects(
      kms.status(),
      cleanError(
        'ERR_KMS_UNREACHABLE',
        /^KMS plugin unreachable at unix:\/\/\/.*: no connection within 400ms \(no socket at \/.*kms\.sock\)$/,
      ),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 350 && elapsed < 2000, `took ${elapsed} ms`);
  });

  test('a stale socket file (its server crashed): unreachable, and the reason says so', async (t) => {
    const { path } = await socketPath(t);
    leaveStaleSocket(path);
    assert.ok((await lstat(path)).isSocket());
    const kms = client(t, `unix://${path}`, 300);
    await assert.rejects(
      kms.encrypt(randomBytes(32), 'u'),
      cleanError('ERR_KMS_UNREACHABLE', /nothing accepts connections on/),
    );
  });

  test('a plugin that never answers: deadline exceeded, naming the method', async (t) => {
    const { path } = await socketPath(t);
    await rawServer(t, `unix://${path}`, { '/v2.KeyManagementService/Decrypt': () => 'hang' });
    const kms = client(t, `unix://${path}`, 300);
    const ciphertext = randomBytes(40);
    await assert.rejects(
      kms.decrypt({ ciphertext, uid: 'u', keyId: 'k', annotations: {} }),
      cleanError(
        'ERR_KMS_DEADLINE',
        /^KMS plugin at unix:\/\/.*: deadline exceeded: Decrypt got no answer within 300ms$/,
        [ciphertext],
      ),
    );
  });

  test('a refused request is INVALID_ARGUMENT with the reason, never the data; the server reports it', async (t) => {
    const { endpoint, errors } = await serve(t);
    const kms = client(t, endpoint);
    const ciphertext = Buffer.concat([Buffer.from([0x01]), randomBytes(40)]);
    await assert.rejects(
      kms.decrypt({ ciphertext, uid: 'u', keyId: 'test-key-1', annotations: {} }),
      cleanError(
        'ERR_KMS_CALL',
        /^KMS plugin at .*: Decrypt failed: INVALID_ARGUMENT: not a test ciphertext$/,
        [ciphertext],
      ),
    );
    await assert.rejects(
      kms.decrypt({ ciphertext: new Uint8Array(), uid: 'u', keyId: 'k', annotations: {} }),
      /INVALID_ARGUMENT: Decrypt: the ciphertext is empty/,
    );
    await assert.rejects(
      kms.decrypt({ ciphertext, uid: 'u', keyId: '', annotations: {} }),
      /INVALID_ARGUMENT: Decrypt: the request has no key_id/,
    );
    await assert.rejects(
      kms.encrypt(new Uint8Array(), 'u'),
      /INVALID_ARGUMENT: Encrypt: the plaintext is empty/,
    );
    assert.deepEqual(errors, [
      'Decrypt: not a test ciphertext',
      'Decrypt: Decrypt: the ciphertext is empty',
      'Decrypt: Decrypt: the request has no key_id',
      'Encrypt: Encrypt: the plaintext is empty',
    ]);
  });

  test('malformed request bytes are INVALID_ARGUMENT with the reason; the server goes on serving', async (t) => {
    const { endpoint, errors } = await serve(t);
    // key_id (3) holding bytes that are not UTF-8; then a length running past the end.
    const notUtf8 = await rawCall(
      endpoint,
      '/v2.KeyManagementService/Decrypt',
      Buffer.from('1a05c3283132ff', 'hex'),
    );
    assert.equal(notUtf8.error?.code, 3);
    assert.equal(
      notUtf8.error?.details,
      'malformed request: protobuf v2.DecryptRequest: field key_id (3) is not valid UTF-8',
    );
    const truncated = await rawCall(endpoint, '/v2.KeyManagementService/Encrypt', Buffer.from('0a05', 'hex'));
    assert.equal(truncated.error?.code, 3);
    assert.match(
      truncated.error?.details ?? '',
      /^malformed request: protobuf v2\.EncryptRequest: .*truncated/,
    );
    assert.equal(errors.length, 2);
    assert.equal((await client(t, endpoint).status()).healthz, 'ok');
  });

  test('an unexpected backend error is INTERNAL without its message; a result kube would refuse is refused', async (t) => {
    const kek = new TestKek();
    const { endpoint } = await serve(t, kek);
    const kms = client(t, endpoint);
    const seed = randomBytes(32);
    kek.wrapFailure = new Error(`leaked ${seed.toString('hex')}`);
    await assert.rejects(
      kms.encrypt(seed, 'u'),
      cleanError('ERR_KMS_CALL', /Encrypt failed: INTERNAL: internal error in the KMS plugin$/, [seed]),
    );
    kek.wrapFailure = undefined;
    kek.annotations = { Not_A_DNS_Name: new Uint8Array() };
    await assert.rejects(
      kms.encrypt(seed, 'u'),
      /INTERNAL: test key returned an annotation key that is not a DNS subdomain, which kube-apiserver would refuse/,
    );
  });

  test('a gRPC server that is not a KMS v2 plugin: UNIMPLEMENTED, said plainly', async (t) => {
    const { path } = await socketPath(t);
    await rawServer(t, `unix://${path}`, { '/v1beta1.KeyManagementService/Version': () => Buffer.alloc(0) });
    const kms = client(t, `unix://${path}`);
    await assert.rejects(
      kms.status(),
      cleanError(
        'ERR_KMS_CALL',
        /does not serve \/v2\.KeyManagementService\/Status \(is it a KMS v2 plugin\?\)/,
      ),
    );
  });

  test('a closed client refuses calls', async (t) => {
    const { endpoint } = await serve(t);
    const kms = connectKms(endpoint);
    await kms.status();
    kms.close();
    await assert.rejects(kms.status(), cleanError('ERR_KMS_CALL', /client for .* is closed/));
    assert.throws(() => connectKms(endpoint, { timeoutMs: 0 }), RangeError);
    assert.throws(
      () => connectKms('tcp://127.0.0.1:1'),
      cleanError('ERR_KMS_ENDPOINT', /unsupported scheme/),
    );
  });
});

describe('the socket', () => {
  test('a live server on the path is not replaced', async (t) => {
    const { endpoint } = await serve(t);
    await assert.rejects(
      serveKms(new KmsPlugin(new TestKek()), endpoint),
      cleanError('ERR_KMS_SOCKET_IN_USE', /^another server is listening on unix:\/\//),
    );
    // The first one still serves.
    assert.equal((await client(t, endpoint).status()).healthz, 'ok');
  });

  test('a stale socket file is replaced; a file that is not a socket is left alone', async (t) => {
    const { dir, path } = await socketPath(t);
    leaveStaleSocket(path);
    const { server } = await serve(t, new TestKek(), `unix://${path}`);
    assert.equal(server.replacedStaleSocket, true);
    assert.equal((await client(t, `unix://${path}`).status()).healthz, 'ok');

    const regular = join(dir, 'not-a-socket');
    await writeFile(regular, 'precious');
    await assert.rejects(
      serveKms(new KmsPlugin(new TestKek()), `unix://${regular}`),
      cleanError('ERR_KMS_SOCKET_IN_USE', /exists and is not a socket; refusing to replace it/),
    );
    assert.ok((await lstat(regular)).isFile());
    await assert.rejects(
      serveKms(new KmsPlugin(new TestKek()), `unix://${dir}/missing/kms.sock`),
      cleanError('ERR_KMS_SERVE', /directory .*missing does not exist/),
    );
  });
});
