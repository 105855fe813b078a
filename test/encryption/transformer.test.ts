import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { TransformedValue, ValueTransformer } from '../../src/apiserver/storage/transformer.ts';
import { validateEncryptionConfiguration } from '../../src/encryption/config.ts';
import { EncryptionError } from '../../src/encryption/errors.ts';
import {
  describeStoredValue,
  encryptionTransformers,
  type EncryptionTransformers,
} from '../../src/encryption/transformer.ts';
import { FakeKms } from './fake-kms.ts';
import { independentDecrypt, independentEncrypt } from './independent.ts';

const SECRETS = { group: '', plural: 'secrets' };
const KEY = '/registry/secrets/default/db-credentials';
/** A protobuf-envelope-like value with a recognisable marker, to check that it never leaks. */
const PLAIN = Buffer.concat([Buffer.from('k8s\0'), Buffer.from('PLAINTEXT-MARKER '.repeat(20))]);

type ProviderSpec = Record<string, unknown>;
const keyed = (type: string, keys: [string, Buffer][]): ProviderSpec => ({
  [type]: { keys: keys.map(([name, secret]) => ({ name, secret: secret.toString('base64') })) },
});
const KMS_V2 = { kms: { apiVersion: 'v2', name: 'vault', endpoint: 'unix:///run/kms.sock' } };

function transformers(
  entries: { resources: string[]; providers: ProviderSpec[] }[],
  kms = new FakeKms(),
): EncryptionTransformers {
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: entries,
  });
  return encryptionTransformers(config, () => kms);
}

function forSecrets(providers: ProviderSpec[], kms?: FakeKms): ValueTransformer {
  return transformers([{ resources: ['secrets'], providers }], kms)(SECRETS);
}

/** The failure of a read or write, checked for a stable code and for leaks of data or keys. */
async function failure(
  action: () => unknown,
  code: string,
  pattern: RegExp,
  secrets: readonly Buffer[] = [],
): Promise<string> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof EncryptionError, `expected an EncryptionError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  assert.ok(!/[\r\n]/.test(caught.message), caught.message);
  assert.ok(!caught.message.includes('PLAINTEXT-MARKER'), caught.message);
  for (const secret of secrets) {
    assert.ok(
      !caught.message.includes(secret.toString('base64')) && !caught.message.includes(secret.toString('hex')),
    );
  }
  return caught.message;
}

test('round trips through every provider and key size, from empty values to large ones', async () => {
  const providers: [string, ProviderSpec][] = [
    ['identity', { identity: {} }],
    ...[16, 24, 32].map((size): [string, ProviderSpec] => [
      `aescbc-${size}`,
      keyed('aescbc', [['k', randomBytes(size)]]),
    ]),
    ...[16, 24, 32].map((size): [string, ProviderSpec] => [
      `aesgcm-${size}`,
      keyed('aesgcm', [['k', randomBytes(size)]]),
    ]),
    ['secretbox', keyed('secretbox', [['k', randomBytes(32)]])],
    ['kms v2', KMS_V2],
  ];
  for (const [name, provider] of providers) {
    const transformer = forSecrets([provider]);
    for (const size of [0, 1, 15, 16, 17, 400, 70_000]) {
      const plain = randomBytes(size);
      const stored = await transformer.toStorage(plain, KEY);
      if (name !== 'identity')
        assert.ok(!Buffer.from(stored).includes(plain.subarray(0, 16)) || size < 16, name);
      const read = await transformer.fromStorage(stored, KEY);
      assert.deepEqual(Buffer.from(read.value), plain, `${name}, ${size} bytes`);
      assert.equal(read.stale, false, name);
    }
  }
});

test("stored layouts: kube's prefixes and sizes", async () => {
  const n = PLAIN.length;
  const sizes: [ProviderSpec, string, number][] = [
    [
      keyed('aescbc', [['key1', randomBytes(32)]]),
      'k8s:enc:aescbc:v1:key1:',
      16 + (Math.floor(n / 16) + 1) * 16,
    ],
    [keyed('aesgcm', [['key1', randomBytes(32)]]), 'k8s:enc:aesgcm:v1:key1:', 12 + n + 16],
    [keyed('secretbox', [['key1', randomBytes(32)]]), 'k8s:enc:secretbox:v1:key1:', 24 + 16 + n],
    [{ identity: {} }, '', n],
  ];
  for (const [provider, prefix, size] of sizes) {
    const stored = Buffer.from(await forSecrets([provider]).toStorage(PLAIN, KEY));
    assert.equal(stored.subarray(0, prefix.length).toString('latin1'), prefix);
    assert.equal(stored.length - prefix.length, size, prefix);
  }
  // A multiple of the block size still gets a whole block of padding.
  const cbc = forSecrets([keyed('aescbc', [['k', randomBytes(32)]])]);
  assert.equal((await cbc.toStorage(randomBytes(32), KEY)).length - 'k8s:enc:aescbc:v1:k:'.length, 16 + 48);
});

test('an independent decryptor opens what the providers write', async () => {
  const cbcKey = randomBytes(32);
  const gcmKey = randomBytes(16);
  const boxKey = randomBytes(32);
  const kms = new FakeKms();
  const keys = {
    aescbc: { cbc1: cbcKey },
    aesgcm: { gcm1: gcmKey },
    secretbox: { box1: boxKey },
    kmsUnwrap: (ciphertext: Buffer, keyId: string) => kms.unwrap(ciphertext, keyId),
  };
  const cases: [ProviderSpec, string, string][] = [
    [keyed('aescbc', [['cbc1', cbcKey]]), 'aescbc', 'cbc1'],
    [keyed('aesgcm', [['gcm1', gcmKey]]), 'aesgcm', 'gcm1'],
    [keyed('secretbox', [['box1', boxKey]]), 'secretbox', 'box1'],
    [KMS_V2, 'kms', 'vault'],
  ];
  for (const [provider, name, keyName] of cases) {
    const stored = await forSecrets([provider], kms).toStorage(PLAIN, KEY);
    const opened = independentDecrypt(stored, KEY, keys);
    assert.equal(opened.provider, name);
    assert.equal(opened.keyName, keyName);
    assert.deepEqual(opened.plain, PLAIN, name);
    if (name === 'kms') {
      assert.equal(opened.kms?.keyId, 'kek-1');
      assert.equal(opened.kms?.dekSourceType, 1);
      assert.deepEqual(opened.kms?.annotations.get('local-kek.kms.kubernetes.io'), Buffer.from('kek-1'));
    }
  }
});

test('the providers open what an independent encryptor writes', async () => {
  const cbcKey = randomBytes(24);
  const gcmKey = randomBytes(32);
  const boxKey = randomBytes(32);
  const kms = new FakeKms();
  const transformer = forSecrets(
    [
      keyed('aesgcm', [['gcm1', gcmKey]]),
      keyed('aescbc', [['cbc1', cbcKey]]),
      keyed('secretbox', [['box1', boxKey]]),
      KMS_V2,
    ],
    kms,
  );
  const seed = randomBytes(32);
  const dek = randomBytes(32);
  const values: [string, Buffer][] = [
    ['aesgcm', independentEncrypt.aesgcm('gcm1', gcmKey, PLAIN, KEY)],
    ['aescbc', independentEncrypt.aescbc('cbc1', cbcKey, PLAIN)],
    ['secretbox', independentEncrypt.secretbox('box1', boxKey, PLAIN)],
    [
      'kms v2 seed',
      independentEncrypt.kmsV2Seed(
        'vault',
        seed,
        kms.wrap(seed),
        'kek-1',
        { 'local-kek.kms.kubernetes.io': Buffer.from('x') },
        PLAIN,
        KEY,
      ),
    ],
    [
      'kms v2 AES_GCM_KEY',
      independentEncrypt.kmsV2DekKey('vault', dek, kms.wrap(dek), 'kek-1', PLAIN, KEY, 1_000_000_001n),
    ],
  ];
  for (const [name, stored] of values) {
    const read = await transformer.fromStorage(stored, KEY);
    assert.deepEqual(Buffer.from(read.value), PLAIN, name);
    // Only the first provider's values are current; an AES_GCM_KEY value is stale even with the current key ID.
    assert.equal(read.stale, name !== 'aesgcm', name);
  }
});

test('AES-GCM and KMS v2 values are bound to their etcd key; AES-CBC and secretbox are not (as in kube)', async () => {
  const kms = new FakeKms();
  const other = '/registry/secrets/attacker/copied';
  for (const provider of [keyed('aesgcm', [['k', randomBytes(32)]]), KMS_V2]) {
    const transformer = forSecrets([provider], kms);
    const stored = await transformer.toStorage(PLAIN, KEY);
    const message = await failure(
      () => transformer.fromStorage(stored, other),
      'ERR_ENCRYPTION_DECRYPT',
      /message authentication failed/,
    );
    assert.ok(message.startsWith(`cannot decrypt ${other} (resource secrets): `), message);
  }
  for (const provider of [
    keyed('aescbc', [['k', randomBytes(32)]]),
    keyed('secretbox', [['k', randomBytes(32)]]),
  ]) {
    const transformer = forSecrets([provider]);
    const stored = await transformer.toStorage(PLAIN, KEY);
    assert.deepEqual(Buffer.from((await transformer.fromStorage(stored, other)).value), PLAIN);
  }
});

test('the first provider and key write; reads through any other are stale', async () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const before = forSecrets([keyed('aesgcm', [['k1', k1]])]);
  const old = await before.toStorage(PLAIN, KEY);

  // Rotation step 1: the new key second (reads only). Old values are current, new keys unused.
  const added = forSecrets([
    keyed('aesgcm', [
      ['k1', k1],
      ['k2', k2],
    ]),
  ]);
  assert.equal((await added.fromStorage(old, KEY)).stale, false);
  // Step 2: the new key first. Old values read through the second key: stale; writes use k2.
  const swapped = forSecrets([
    keyed('aesgcm', [
      ['k2', k2],
      ['k1', k1],
    ]),
  ]);
  const oldRead = await swapped.fromStorage(old, KEY);
  assert.deepEqual(Buffer.from(oldRead.value), PLAIN);
  assert.equal(oldRead.stale, true);
  const rewritten = await swapped.toStorage(oldRead.value, KEY);
  assert.equal(describeStoredValue(rewritten).keyName, 'k2');
  assert.equal((await swapped.fromStorage(rewritten, KEY)).stale, false);

  // Between providers: identity first decrypts everything; encrypted values are stale, plain ones are not.
  const decrypting = forSecrets([{ identity: {} }, keyed('aesgcm', [['k2', k2]])]);
  assert.equal((await decrypting.fromStorage(rewritten, KEY)).stale, true);
  assert.equal((await decrypting.fromStorage(PLAIN, KEY)).stale, false);
  assert.deepEqual(Buffer.from(await decrypting.toStorage(PLAIN, KEY)), PLAIN);
  // And encrypting everything: plain values read through the trailing identity are stale.
  const encrypting = forSecrets([keyed('aesgcm', [['k2', k2]]), { identity: {} }]);
  const plainRead = await encrypting.fromStorage(PLAIN, KEY);
  assert.deepEqual(Buffer.from(plainRead.value), PLAIN);
  assert.equal(plainRead.stale, true);
});

test('two providers of one type with different keys: a failing match does not stop the loop', async () => {
  const a = randomBytes(32);
  const b = randomBytes(32);
  const written = await forSecrets([keyed('aescbc', [['k', b]])]).toStorage(PLAIN, KEY);
  const transformer = forSecrets([keyed('aescbc', [['k', a]]), keyed('aescbc', [['k', b]])]);
  const read = await transformer.fromStorage(written, KEY);
  assert.deepEqual(Buffer.from(read.value), PLAIN);
  assert.equal(read.stale, true);
  // When every matching one fails, every failure is reported.
  const neither = forSecrets([keyed('aesgcm', [['k', a]]), keyed('aesgcm', [['k', b]])]);
  const foreign = await forSecrets([keyed('aesgcm', [['k', randomBytes(32)]])]).toStorage(PLAIN, KEY);
  const message = await failure(
    () => neither.fromStorage(foreign, KEY),
    'ERR_ENCRYPTION_DECRYPT',
    /aesgcm key "k": cannot decrypt.*; aesgcm key "k": cannot decrypt/,
    [a, b],
  );
  assert.match(message, /a different key, or a value moved from another etcd key/);
});

test('identity refuses k8s:enc: data, configured or by default', async () => {
  const encrypted = await forSecrets([keyed('aesgcm', [['key1', randomBytes(32)]])]).toStorage(PLAIN, KEY);
  const identityOnly = forSecrets([{ identity: {} }]);
  await failure(
    () => identityOnly.fromStorage(encrypted, KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /^cannot decrypt \/registry\/secrets\/default\/db-credentials \(resource secrets\): the value was written by aesgcm key "key1", which is not configured for resource secrets$/,
  );
  // A resource the configuration does not name is identity, which still refuses encrypted data.
  const configMaps = transformers([{ resources: ['secrets'], providers: [{ identity: {} }] }])({
    group: '',
    plural: 'configmaps',
  });
  await failure(
    () => configMaps.fromStorage(encrypted, '/registry/configmaps/default/x'),
    'ERR_ENCRYPTION_NO_MATCH',
    /the value was written by aesgcm key "key1", but the encryption configuration does not cover resource configmaps/,
  );
  assert.deepEqual(
    Buffer.from((await configMaps.fromStorage(PLAIN, '/registry/configmaps/default/x')).value),
    PLAIN,
  );
  await failure(
    () => identityOnly.fromStorage(Buffer.from('k8s:enc:rot13:v1:k:abc'), KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /unknown k8s:enc: prefix/,
  );
});

test('plain data without the identity provider, and a key removed while values still use it', async () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const gcmOnly = forSecrets([keyed('aesgcm', [['k2', k2]])]);
  await failure(
    () => gcmOnly.fromStorage(PLAIN, KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /the value is not encrypted, and the identity provider is not configured for resource secrets/,
  );
  const old = await forSecrets([keyed('aesgcm', [['k1', k1]])]).toStorage(PLAIN, KEY);
  await failure(
    () => gcmOnly.fromStorage(old, KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /^cannot decrypt \S+ \(resource secrets\): aesgcm: the value was written with key "k1", which is not configured$/,
    [k1, k2],
  );
  // The provider removed altogether.
  const box = forSecrets([keyed('secretbox', [['b', randomBytes(32)]])]);
  await failure(
    () => box.fromStorage(old, KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /written by aesgcm key "k1", which is not configured/,
  );
  // A value too damaged to name its key.
  await failure(
    () => gcmOnly.fromStorage(Buffer.from('k8s:enc:aesgcm:v1:'), KEY),
    'ERR_ENCRYPTION_NO_MATCH',
    /written with a key that is not configured/,
  );
});

test('corrupt values fail with the provider and key named, never the data', async () => {
  const key = randomBytes(32);
  for (const type of ['aescbc', 'aesgcm', 'secretbox']) {
    const transformer = forSecrets([keyed(type, [['k', key]])]);
    const stored = Buffer.from(await transformer.toStorage(PLAIN, KEY));
    stored[stored.length - 1] = (stored[stored.length - 1] as number) ^ 1;
    await failure(
      () => transformer.fromStorage(stored, KEY),
      'ERR_ENCRYPTION_DECRYPT',
      new RegExp(`${type} key "k": cannot decrypt`),
      [key],
    );
    const short = Buffer.from(`k8s:enc:${type}:v1:k:abc`);
    await failure(
      () => transformer.fromStorage(short, KEY),
      'ERR_ENCRYPTION_DECRYPT',
      /shorter than the required size|message authentication failed/,
    );
  }
  const cbc = forSecrets([keyed('aescbc', [['k', key]])]);
  const ragged = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:k:'), randomBytes(16 + 20)]);
  await failure(
    () => cbc.fromStorage(ragged, KEY),
    'ERR_ENCRYPTION_DECRYPT',
    /not a multiple of the block size/,
  );
});

test('resources match exactly, then *.group, then *.*; the first entry naming a resource wins; repeats append', async () => {
  const gcmKey = randomBytes(32);
  const cbcKey = randomBytes(32);
  const boxKey = randomBytes(32);
  const all = transformers([
    { resources: ['secrets'], providers: [keyed('aesgcm', [['gcm', gcmKey]])] },
    { resources: ['*.apps'], providers: [keyed('aescbc', [['cbc', cbcKey]])] },
    { resources: ['secrets'], providers: [{ identity: {} }] },
    { resources: ['*.'], providers: [keyed('secretbox', [['box', boxKey]])] },
    { resources: ['*.*'], providers: [{ identity: {} }] },
  ]);
  const provider = async (group: string, plural: string): Promise<string | undefined> => {
    const stored = await all({ group, plural }).toStorage(PLAIN, `/registry/${plural}/ns/x`);
    const found = describeStoredValue(stored);
    return found.encrypted ? `${found.provider}/${found.keyName}` : found.provider;
  };
  assert.equal(await provider('', 'secrets'), 'aesgcm/gcm');
  assert.equal(await provider('apps', 'deployments'), 'aescbc/cbc');
  assert.equal(await provider('apps', 'statefulsets'), 'aescbc/cbc');
  assert.equal(await provider('', 'configmaps'), 'secretbox/box');
  assert.equal(await provider('batch', 'jobs'), 'identity');
  assert.equal(await provider('example.com', 'widgets'), 'identity');
  // `secrets` in two entries: the second entry's identity comes after aesgcm, so plain secrets read (stale).
  const secrets = all(SECRETS);
  assert.deepEqual(await secrets.fromStorage(PLAIN, KEY), {
    value: PLAIN,
    stale: true,
  } satisfies TransformedValue);
  assert.deepEqual(all.writeTarget(SECRETS), { encrypted: true, provider: 'aesgcm', keyName: 'gcm' });
  assert.deepEqual(all.writeTarget({ group: 'batch', plural: 'jobs' }), {
    encrypted: false,
    provider: 'identity',
  });
  // Nothing configured for a group: the default identity.
  const none = transformers([{ resources: ['secrets'], providers: [KMS_V2] }]);
  assert.deepEqual(none.writeTarget({ group: 'apps', plural: 'deployments' }), {
    encrypted: false,
    provider: 'identity',
  });
  assert.equal(
    all(SECRETS),
    all({ group: '', plural: 'secrets' }),
    'the transformer of a resource is built once',
  );
});

test('describeStoredValue tells the provider, key and KMS key ID from the prefix', async () => {
  assert.deepEqual(describeStoredValue(PLAIN), { encrypted: false, provider: 'identity' });
  assert.deepEqual(describeStoredValue(Buffer.from('{"kind":"Widget"}')), {
    encrypted: false,
    provider: 'identity',
  });
  assert.deepEqual(describeStoredValue(Buffer.from('k8s:enc:aescbc:v1:key1:xyz')), {
    encrypted: true,
    provider: 'aescbc',
    keyName: 'key1',
  });
  assert.deepEqual(describeStoredValue(Buffer.from('k8s:enc:kms:v1:legacy:\u0000\u0001x')), {
    encrypted: true,
    provider: 'kms',
    keyName: 'legacy',
    kmsApiVersion: 'v1',
  });
  assert.deepEqual(describeStoredValue(Buffer.from('k8s:enc:something:v9:')), {
    encrypted: true,
    provider: 'unknown',
  });
  const kms = new FakeKms();
  kms.keyId = 'projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3';
  const stored = await forSecrets([KMS_V2], kms).toStorage(PLAIN, KEY);
  assert.deepEqual(describeStoredValue(stored), {
    encrypted: true,
    provider: 'kms',
    keyName: 'vault',
    kmsApiVersion: 'v2',
    kmsKeyId: kms.keyId,
    kmsDekSourceType: 'HKDF_SHA256_XNONCE_AES_GCM_SEED',
  });
});

test('local providers answer without a promise (no promise per value on the hot path)', () => {
  const transformer = forSecrets([keyed('aesgcm', [['k', randomBytes(32)]])]);
  const stored = transformer.toStorage(PLAIN, KEY);
  assert.ok(stored instanceof Uint8Array);
  const read = transformer.fromStorage(stored, KEY);
  assert.ok(!(read instanceof Promise));
});
