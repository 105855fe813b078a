import assert from 'node:assert/strict';
import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { ValueTransformer } from '../../src/apiserver/storage/transformer.ts';
import { validateEncryptionConfiguration } from '../../src/encryption/config.ts';
import { EncryptionError } from '../../src/encryption/errors.ts';
import type { KmsService } from '../../src/encryption/kms-service.ts';
import { hkdfSha256ExpandOneBlock } from '../../src/encryption/providers/ciphers.ts';
import {
  dekCacheKey,
  decodeEncryptedObject,
  encodeEncryptedObject,
  fullyQualifiedDomainNameProblem,
  validateEncryptedObject,
} from '../../src/encryption/providers/encrypted-object.ts';
import { KMS_V2_POLL_INTERVAL_MS, KMS_V2_WRITE_STATE_TTL_MS } from '../../src/encryption/providers/kms-v2.ts';
import { encryptionTransformers, type EncryptionTransformers } from '../../src/encryption/transformer.ts';
import { FakeClock, FakeKms, MOCK_ANNOTATION } from './fake-kms.ts';
import {
  encodeEncryptedObject as independentEncode,
  fields,
  independentDecrypt,
  independentEncrypt,
  parseEncryptedObject,
} from './independent.ts';

const SECRETS = { group: '', plural: 'secrets' };
const PLAIN = Buffer.from('k8s\0kms-test-value '.repeat(10));
const key = (i: number): string => `/registry/secrets/default/secret-${i}`;

function setup(
  kms: KmsService = new FakeKms(),
  clock = new FakeClock(),
  providers: unknown[] = [{ kms: { apiVersion: 'v2', name: 'vault', endpoint: 'unix:///run/kms.sock' } }],
): { all: EncryptionTransformers; secrets: ValueTransformer; clock: FakeClock } {
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers }],
  });
  const all = encryptionTransformers(config, () => kms, { now: clock.read });
  return { all, secrets: all(SECRETS), clock };
}

async function failure(action: () => unknown, code: string, pattern: RegExp): Promise<string> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof EncryptionError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('kms-test-value'), error.message);
    return error.message;
  }
  assert.fail('expected a failure');
}

test('HKDF-Expand without Extract: one block is HMAC-SHA256(seed, info ‖ 0x01) (RFC 5869 A.1 too)', () => {
  for (let i = 0; i < 20; i++) {
    const seed = randomBytes(32);
    const info = randomBytes(32);
    const expected = createHmac('sha256', seed)
      .update(Buffer.concat([info, Buffer.of(0x01)]))
      .digest();
    assert.deepEqual(hkdfSha256ExpandOneBlock(createSecretKey(seed), info), expected);
  }
  // RFC 5869 test case 1: PRK and info given; T(1) is the first 32 bytes of OKM.
  const prk = Buffer.from('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', 'hex');
  const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
  assert.equal(
    hkdfSha256ExpandOneBlock(createSecretKey(prk), info).toString('hex'),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf',
  );
});

test('a KMS v2 value made by another implementation (Python cryptography HKDFExpand + AESGCM) opens', async () => {
  // seed = 00..1f, info = 100..131, nonce = 200..211, AAD = the etcd key; encryptedDEKSource as the plugin gave it.
  const stored = Buffer.from(
    '6b38733a656e633a6b6d733a76323a766563746f723a0a556465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f' +
      '80818283c8c9cacbcccdcecfd0d1d2d3065e16712e44ec000121591a1d4b9074a3ab4cc86c442a8f8d6903b79c785f5d819963' +
      '773864c127fa120a766563746f722d6b656b1a11777261707065642d736565642d303030312801',
    'hex',
  );
  const seed = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const plugin: KmsService = {
    status: () => Promise.resolve({ version: 'v2', healthz: 'ok', keyId: 'vector-kek' }),
    encrypt: (plaintext) =>
      Promise.resolve({
        ciphertext: Buffer.concat([Buffer.from('w:'), plaintext]),
        keyId: 'vector-kek',
        annotations: {},
      }),
    decrypt: (request) => {
      assert.equal(Buffer.from(request.ciphertext).toString(), 'wrapped-seed-0001');
      assert.equal(request.keyId, 'vector-kek');
      return Promise.resolve(seed);
    },
  };
  const { secrets } = setup(plugin, new FakeClock(), [
    { kms: { apiVersion: 'v2', name: 'vector', endpoint: 'unix:///v.sock' } },
  ]);
  const read = await secrets.fromStorage(stored, '/registry/secrets/default/vector');
  assert.equal(Buffer.from(read.value).toString('hex'), '6b3873000a0c0a0276311206536563726574120568656c6c6f');
  assert.equal(read.stale, false);
});

test('EncryptedObject: the wire format, field by field', async () => {
  const kms = new FakeKms();
  const { secrets } = setup(kms);
  const stored = Buffer.from(await secrets.toStorage(PLAIN, key(1)));
  const prefix = 'k8s:enc:kms:v2:vault:';
  assert.equal(stored.subarray(0, prefix.length).toString(), prefix);
  const body = stored.subarray(prefix.length);
  const parsed = fields(body);
  // Fields in number order: 1 encryptedData, 2 keyID, 3 encryptedDEKSource, 4 annotations, 5 type = 1.
  assert.deepEqual(
    parsed.map(([field]) => field),
    [1, 2, 3, 4, 5],
  );
  assert.equal(body[0], 0x0a);
  const object = parseEncryptedObject(body);
  assert.equal(object.encryptedData.length, 32 + 12 + PLAIN.length + 16);
  assert.equal(object.keyId, 'kek-1');
  assert.equal(object.dekSourceType, 1);
  assert.deepEqual(object.annotations, new Map([[MOCK_ANNOTATION, Buffer.from('kek-1')]]));
  // The encrypted DEK source is the plugin's encryption of a 32-byte seed.
  assert.equal(kms.unwrap(object.encryptedDekSource, 'kek-1').length, 32);
  // Our decoder reads what the independent encoder writes, including proto3's omitted type 0.
  const other = independentEncode(
    Buffer.from('data'),
    'id',
    Buffer.from('src'),
    { 'a.example.com': Buffer.from('v') },
    0,
  );
  const decoded = decodeEncryptedObject(other);
  assert.equal(decoded.keyId, 'id');
  assert.equal(decoded.dekSourceType, 0);
  assert.deepEqual(Buffer.from(decoded.annotations.get('a.example.com') as Uint8Array), Buffer.from('v'));
  assert.deepEqual(Buffer.from(encodeEncryptedObject(decoded)), other);
});

test('EncryptedObject validation as ValidateEncryptedObject', () => {
  const base = {
    encryptedData: Buffer.from('x'),
    keyId: 'k',
    encryptedDekSource: Buffer.from('s'),
    annotations: new Map<string, Uint8Array>(),
    dekSourceType: 1,
  };
  assert.equal(validateEncryptedObject(base), undefined);
  assert.match(
    validateEncryptedObject({ ...base, dekSourceType: 7 }) ?? '',
    /unknown encryptedDEKSourceType: 7/,
  );
  assert.match(
    validateEncryptedObject({ ...base, encryptedData: Buffer.alloc(0) }) ?? '',
    /encrypted data is empty/,
  );
  assert.match(validateEncryptedObject({ ...base, keyId: '' }) ?? '', /keyID is empty/);
  assert.match(
    validateEncryptedObject({ ...base, keyId: 'k'.repeat(1025) }) ?? '',
    /keyID is 1025 bytes, which exceeds the max size of 1024/,
  );
  assert.match(
    validateEncryptedObject({ ...base, encryptedDekSource: Buffer.alloc(1025) }) ?? '',
    /exceeds the max size of 1024/,
  );
  assert.match(
    validateEncryptedObject({ ...base, annotations: new Map([['nodots', Buffer.from('v')]]) }) ?? '',
    /at least two segments/,
  );
  assert.match(
    validateEncryptedObject({
      ...base,
      annotations: new Map([['a.example.com', Buffer.alloc(33 * 1024)]]),
    }) ?? '',
    /total size of annotations/,
  );
  assert.equal(fullyQualifiedDomainNameProblem('version.encryption.remote.io'), undefined);
  assert.equal(fullyQualifiedDomainNameProblem('local-kek.kms.kubernetes.io.'), undefined);
  assert.ok(fullyQualifiedDomainNameProblem('Upper.example.com'));
  // The DEK cache key: uint32 type ‖ u16 source ‖ u16 keyID ‖ uint32 count ‖ sorted (u16 key ‖ u16 value).
  const cacheKey = dekCacheKey(
    1,
    Buffer.from('src'),
    'id',
    new Map([
      ['b.x.io', Buffer.from('2')],
      ['a.x.io', Buffer.from('1')],
    ]),
  );
  assert.equal(
    cacheKey.toString('hex'),
    '00000001' +
      '0003' +
      '737263' +
      '0002' +
      '6964' +
      '00000002' +
      '0006' +
      Buffer.from('a.x.io').toString('hex') +
      '0001' +
      '31' +
      '0006' +
      Buffer.from('b.x.io').toString('hex') +
      '0001' +
      '32',
  );
});

test('one Encrypt per key ID, not per write; reads of our own writes never call Decrypt', async () => {
  const kms = new FakeKms();
  const { secrets } = setup(kms);
  const stored: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) stored.push(await secrets.toStorage(PLAIN, key(i)));
  assert.deepEqual(kms.calls, { status: 1, encrypt: 1, decrypt: 0 });
  for (let i = 0; i < 200; i++) {
    const read = await secrets.fromStorage(stored[i] as Uint8Array, key(i));
    assert.deepEqual(Buffer.from(read.value), PLAIN);
    assert.equal(read.stale, false);
  }
  assert.deepEqual(kms.calls, { status: 1, encrypt: 1, decrypt: 0 });
  // Every value has its own derived key: the same plaintext never gives the same ciphertext or info.
  const infos = new Set(stored.map((value) => Buffer.from(value).subarray(23, 55).toString('hex')));
  assert.equal(infos.size, 200);
  // A fresh write state is sync once primed: no promise per write.
  assert.ok(secrets.toStorage(PLAIN, key(0)) instanceof Uint8Array);
});

test('another server decrypts the seed once for all the values, however many reads wait for it', async () => {
  const kms = new FakeKms();
  const { secrets: writer } = setup(kms);
  const stored = await Promise.all(
    Array.from({ length: 50 }, (_, i) => Promise.resolve(writer.toStorage(PLAIN, key(i)))),
  );
  const { secrets: reader } = setup(kms);
  const reads = await Promise.all(
    stored.map((value, i) => Promise.resolve(reader.fromStorage(value, key(i)))),
  );
  assert.ok(reads.every((read) => Buffer.from(read.value).equals(PLAIN) && !read.stale));
  assert.equal(kms.calls.decrypt, 1);
  const [request] = kms.decryptRequests;
  assert.equal(request?.keyId, 'kek-1');
  assert.deepEqual(Object.keys(request?.annotations ?? {}), [MOCK_ANNOTATION]);
  assert.match(request?.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // The reader primed its own write state: one Status and one Encrypt for it, as kube at start-up.
  assert.deepEqual({ status: kms.calls.status, encrypt: kms.calls.encrypt }, { status: 2, encrypt: 2 });
});

test('key ID rotation: a new seed after the status poll sees the new key ID; old values become stale', async () => {
  const kms = new FakeKms();
  const { all, secrets, clock } = setup(kms);
  const old = await secrets.toStorage(PLAIN, key(1));
  kms.keyId = 'kek-2';
  // Within the poll interval nothing changes: writes go on with the current seed.
  clock.advance(KMS_V2_POLL_INTERVAL_MS - 1);
  const sameSeed = await secrets.toStorage(PLAIN, key(2));
  assert.equal(parseEncryptedObject(Buffer.from(sameSeed).subarray(21)).keyId, 'kek-1');
  assert.equal(kms.calls.encrypt, 1);
  // The next write past the interval polls, sees kek-2, and makes (and has encrypted) a new seed.
  clock.advance(1);
  const rotated = await secrets.toStorage(PLAIN, key(3));
  assert.equal(kms.calls.encrypt, 2);
  assert.equal(parseEncryptedObject(Buffer.from(rotated).subarray(21)).keyId, 'kek-2');
  assert.equal((await secrets.fromStorage(rotated, key(3))).stale, false);
  const oldRead = await secrets.fromStorage(old, key(1));
  assert.deepEqual(Buffer.from(oldRead.value), PLAIN);
  assert.equal(oldRead.stale, true);
  assert.equal(kms.calls.decrypt, 0, 'the old seed is still cached');
  // An explicit poll with the same key ID only extends the state.
  await all.kmsProviders[0]?.probe();
  assert.equal(kms.calls.encrypt, 2);
  const health = all.kmsHealth()[0];
  assert.equal(health?.healthy, true);
  // Key IDs are reported hashed, as kube's GetHashIfNotEmpty.
  assert.equal(health?.keyIdHash, `sha256:${createHash('sha256').update('kek-2').digest('hex')}`);
  assert.equal(health?.writableUntil, clock.now + KMS_V2_WRITE_STATE_TTL_MS);
});

test('healthy polls keep the write state alive past 3 minutes, with no new seed', async () => {
  const kms = new FakeKms();
  const { all, secrets, clock } = setup(kms);
  await secrets.toStorage(PLAIN, key(0));
  const start = clock.now;
  for (let minute = 1; minute <= 10; minute++) {
    clock.advance(KMS_V2_POLL_INTERVAL_MS);
    await secrets.toStorage(PLAIN, key(minute));
  }
  assert.equal(clock.now - start, 10 * 60_000);
  assert.deepEqual({ status: kms.calls.status, encrypt: kms.calls.encrypt }, { status: 11, encrypt: 1 });
  assert.equal(all.kmsHealth()[0]?.writableUntil, clock.now + KMS_V2_WRITE_STATE_TTL_MS);
});

test('a new key ID is only taken if Encrypt answers with it; until then the old seed writes, then expires', async () => {
  const kms = new FakeKms();
  const { all, secrets, clock } = setup(kms);
  const first = await secrets.toStorage(PLAIN, key(1));
  kms.keyId = 'kek-2';
  kms.encryptKeyId = 'kek-1'; // the plugin has not switched its Encrypt over yet
  await assert.rejects(
    all.kmsProviders[0]?.probe() ?? Promise.resolve(),
    /failed to rotate DEK: Encrypt answered with key ID hash "sha256:[0-9a-f]{64}", Status with "sha256:[0-9a-f]{64}"/,
  );
  clock.advance(KMS_V2_POLL_INTERVAL_MS);
  // Writes coast on the old seed (the failed polls do not extend it)…
  const coasting = await secrets.toStorage(PLAIN, key(2));
  assert.equal(parseEncryptedObject(Buffer.from(coasting).subarray(21)).keyId, 'kek-1');
  // …until 3 minutes after the last healthy poll; then writes fail and reads go on.
  clock.advance(KMS_V2_WRITE_STATE_TTL_MS);
  const message = await failure(
    () => secrets.toStorage(PLAIN, key(3)),
    'ERR_ENCRYPTION_WRITE',
    /^cannot encrypt \/registry\/secrets\/default\/secret-3 \(resource secrets\): kms provider "vault": the DEK seed for key ID hash "sha256:[0-9a-f]{64}" expired at 2025-01-15T10:03:00\.000Z/,
  );
  assert.match(message, /Encrypt answered with key ID hash/);
  assert.deepEqual(Buffer.from((await secrets.fromStorage(first, key(1))).value), PLAIN);
  assert.equal(all.kmsHealth()[0]?.healthy, false);
  // Once the plugin's Encrypt catches up, the next poll rotates and writes resume.
  kms.encryptKeyId = undefined;
  clock.advance(10_000);
  const resumed = await secrets.toStorage(PLAIN, key(4));
  assert.equal(parseEncryptedObject(Buffer.from(resumed).subarray(21)).keyId, 'kek-2');
});

test('plugin down: writes fail clearly once the state expires, reads with cached seeds keep working', async () => {
  const kms = new FakeKms();
  const { secrets, clock } = setup(kms);
  const stored = await secrets.toStorage(PLAIN, key(1));
  kms.failStatus = true;
  kms.failEncrypt = true;
  kms.failDecrypt = true;
  clock.advance(KMS_V2_POLL_INTERVAL_MS);
  await secrets.toStorage(PLAIN, key(2)); // the poll fails; the state (2 more minutes) still writes
  clock.advance(KMS_V2_WRITE_STATE_TTL_MS);
  await failure(
    () => secrets.toStorage(PLAIN, key(3)),
    'ERR_ENCRYPTION_WRITE',
    /expired at .*status call failed: plugin unavailable: connection refused/,
  );
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(Buffer.from((await secrets.fromStorage(stored, key(1))).value), PLAIN);
  }
  // A seed that is not cached needs the plugin.
  const { secrets: elsewhere } = setup(new FakeKms());
  const foreign = await elsewhere.toStorage(PLAIN, key(9));
  await failure(
    () => secrets.fromStorage(foreign, key(9)),
    'ERR_KMS_PLUGIN',
    /kms provider "vault": failed to decrypt DEK \(key ID hash "sha256:[0-9a-f]+"\), error: plugin unavailable: decrypt failed/,
  );
});

test('a plugin that never answered: writes and reads fail with the reason', async () => {
  const kms = new FakeKms();
  kms.failStatus = true;
  const { secrets } = setup(kms);
  await failure(
    () => secrets.toStorage(PLAIN, key(1)),
    'ERR_KMS_PLUGIN',
    /kms provider "vault" has no DEK seed to encrypt with: kms provider "vault" is not healthy: status call failed: plugin unavailable: connection refused/,
  );
  const seed = randomBytes(32);
  const value = independentEncrypt.kmsV2Seed('vault', seed, kms.wrap(seed), 'kek-1', {}, PLAIN, key(1));
  await failure(
    () => secrets.fromStorage(value, key(1)),
    'ERR_KMS_PLUGIN',
    /kms provider "vault" is not ready/,
  );
  // The poll is retried 10 s later, not on every call.
  assert.equal(kms.calls.status, 1);
});

test('status checks: healthz must be ok, the version v2 (or v2beta1) and never changing, the key ID valid', async () => {
  const kms = new FakeKms();
  const { all, secrets, clock } = setup(kms);
  const probe = (): Promise<unknown> => all.kmsProviders[0]?.probe() ?? Promise.resolve();
  kms.version = 'v2beta1';
  await probe();
  kms.healthz = 'degraded: HSM offline';
  await assert.rejects(
    probe(),
    /kms provider "vault" is not healthy: got unexpected healthz status: degraded: HSM offline/,
  );
  kms.healthz = 'ok';
  kms.version = 'v2';
  await assert.rejects(
    probe(),
    /KMSv2 API version should not change after the initial status response version v2beta1, got v2/,
  );
  kms.version = 'v1';
  await assert.rejects(probe(), /expected KMSv2 API version v2, got v1/);
  kms.version = 'v2beta1';
  kms.keyId = '';
  await assert.rejects(probe(), /got invalid KMSv2 KeyID hash "": keyID is empty/);
  kms.keyId = 'kek-1';
  await probe();
  // An Encrypt answer that fails validation is refused too.
  kms.keyId = 'kek-3';
  kms.annotations = { NotAnFQDN: Buffer.from('x') };
  await assert.rejects(probe(), /the plugin's Encrypt answer is invalid: failed to validate annotations/);
  kms.annotations = {};
  await probe();
  clock.advance(1);
  const stored = await secrets.toStorage(PLAIN, key(1));
  assert.equal(parseEncryptedObject(Buffer.from(stored).subarray(21)).keyId, 'kek-3');
});

test('AES_GCM_KEY values (before 1.29) read, and are always stale', async () => {
  const kms = new FakeKms();
  const { secrets } = setup(kms);
  const dek = randomBytes(32);
  const value = independentEncrypt.kmsV2DekKey(
    'vault',
    dek,
    kms.wrap(dek),
    'kek-1',
    PLAIN,
    key(1),
    1_000_000_123n,
  );
  const read = await secrets.fromStorage(value, key(1));
  assert.deepEqual(Buffer.from(read.value), PLAIN);
  assert.equal(read.stale, true);
  await failure(
    () => secrets.fromStorage(value, key(2)),
    'ERR_ENCRYPTION_DECRYPT',
    /message authentication failed/,
  );
});

test('corrupt EncryptedObjects and empty etcd keys are refused', async () => {
  const { secrets } = setup();
  const stored = Buffer.from(await secrets.toStorage(PLAIN, key(1)));
  const prefix = stored.subarray(0, 21);
  const object = parseEncryptedObject(stored.subarray(21));
  const reencoded = (type: number, keyId = object.keyId): Buffer =>
    Buffer.concat([
      prefix,
      independentEncode(object.encryptedData, keyId, object.encryptedDekSource, {}, type),
    ]);
  await failure(
    () => secrets.fromStorage(reencoded(5), key(1)),
    'ERR_ENCRYPTION_DECRYPT',
    /invalid EncryptedObject: unknown encryptedDEKSourceType: 5/,
  );
  await failure(
    () => secrets.fromStorage(reencoded(1, ''), key(1)),
    'ERR_ENCRYPTION_DECRYPT',
    /invalid EncryptedObject: failed to validate key id: keyID is empty/,
  );
  await failure(
    () => secrets.fromStorage(Buffer.concat([prefix, Buffer.from([0x0a, 0x50, 1, 2])]), key(1)),
    'ERR_ENCRYPTION_DECRYPT',
    /invalid EncryptedObject: protobuf EncryptedObject: .*truncated/,
  );
  await failure(
    () => secrets.toStorage(PLAIN, ''),
    'ERR_ENCRYPTION_WRITE',
    /the etcd key \(the AAD\) is empty/,
  );
  await failure(
    () => secrets.fromStorage(stored, ''),
    'ERR_ENCRYPTION_DECRYPT',
    /the etcd key \(the AAD\) is empty/,
  );
});

test('KMS v1 is read only: GCM values (1.25+) current, CBC values (1.24) stale, DEKs cached', async () => {
  const kms = new FakeKms();
  const v1 = { kms: { name: 'legacy', endpoint: 'unix:///v1.sock', cachesize: 10 } };
  const v2 = { kms: { apiVersion: 'v2', name: 'vault', endpoint: 'unix:///run/kms.sock' } };
  const { secrets: onlyV1 } = setup(kms, new FakeClock(), [v1]);
  await failure(
    () => onlyV1.toStorage(PLAIN, key(1)),
    'ERR_ENCRYPTION_WRITE',
    /kms provider "legacy" \(KMS v1\) cannot write: KMS v1 is deprecated/,
  );

  const { secrets } = setup(kms, new FakeClock(), [v2, v1]);
  const dek = randomBytes(32);
  const encryptedDek = kms.wrap(dek, '');
  const gcm = independentEncrypt.kmsV1('legacy', dek, encryptedDek, PLAIN, key(1), 'gcm');
  const cbc = independentEncrypt.kmsV1('legacy', dek, encryptedDek, PLAIN, key(2), 'cbc');
  const gcmRead = await secrets.fromStorage(gcm, key(1));
  const cbcRead = await secrets.fromStorage(cbc, key(2));
  assert.deepEqual(Buffer.from(gcmRead.value), PLAIN);
  assert.deepEqual(Buffer.from(cbcRead.value), PLAIN);
  assert.equal(gcmRead.stale, true, 'read through the second provider');
  assert.equal(cbcRead.stale, true);
  assert.equal(kms.calls.decrypt, 1, 'one DEK, decrypted once');
  assert.equal(kms.decryptRequests[0]?.keyId, '');
  // As the only provider, a GCM read is current and a CBC read stale (unionTransformers{gcm, cbc}).
  const { secrets: v1Reader } = setup(kms, new FakeClock(), [v1]);
  assert.equal((await v1Reader.fromStorage(gcm, key(1))).stale, false);
  assert.equal((await v1Reader.fromStorage(cbc, key(2))).stale, true);
  await failure(
    () => v1Reader.fromStorage(gcm, key(3)),
    'ERR_ENCRYPTION_DECRYPT',
    /kms provider "legacy" \(KMS v1\): cannot decrypt: AES-GCM: message authentication failed; AES-CBC: /,
  );
  await failure(
    () => v1Reader.fromStorage(Buffer.from('k8s:enc:kms:v1:legacy:\u0000'), key(1)),
    'ERR_ENCRYPTION_DECRYPT',
    /failed to read uint16 length prefixed data/,
  );
});

test('the independent decryptor opens KMS v2 values after a rotation with either seed', async () => {
  const kms = new FakeKms();
  const { secrets, clock } = setup(kms);
  const before = await secrets.toStorage(PLAIN, key(1));
  kms.keyId = 'kek-2';
  clock.advance(KMS_V2_POLL_INTERVAL_MS);
  const after = await secrets.toStorage(PLAIN, key(2));
  const keys = { kmsUnwrap: (ciphertext: Buffer, keyId: string) => kms.unwrap(ciphertext, keyId) };
  assert.equal(independentDecrypt(before, key(1), keys).kms?.keyId, 'kek-1');
  assert.equal(independentDecrypt(after, key(2), keys).kms?.keyId, 'kek-2');
  assert.deepEqual(independentDecrypt(after, key(2), keys).plain, PLAIN);
});
