/**
 * The cloud backends of the KMS plugin (Vault transit, AWS KMS, GCP Cloud KMS, Azure Key Vault), each served
 * over a real unix socket and called as kube-apiserver calls a plugin, against the local fakes of the services
 * (real cryptography, real authentication checks). Every wrapped seed is also opened by the fake itself, so the
 * plugin is checked to hand the service's own ciphertext through. Failures show up as a healthz text other than
 * "ok" that names the cause and holds no credential.
 */
import assert from 'node:assert/strict';
import { constants, privateDecrypt, randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { AwsKmsBackend } from '../../src/kms/backends/aws-kms.ts';
import { AzureKvBackend } from '../../src/kms/backends/azure-kv.ts';
import { GcpKmsBackend } from '../../src/kms/backends/gcp-kms.ts';
import { VaultTransitBackend } from '../../src/kms/backends/vault-transit.ts';
import { connectKms, serveKms, type KmsClient } from '../../src/kms/grpc.ts';
import { KmsPlugin, type KekBackend } from '../../src/kms/plugin.ts';
import { staticToken } from '../../src/sops/keys/azure-kv.ts';
import { closedPort } from '../helpers/cloud-fake-server.ts';
import { signedRegion, startFakeAws } from '../helpers/fake-aws-kms.ts';
import { fakeBearerToken, startFakeKeyVault } from '../helpers/fake-azure-key-vault.ts';
import { startFakeGcpKms } from '../helpers/fake-gcp-kms.ts';
import { startFakeVault } from '../helpers/fake-vault.ts';
import { tempDir } from '../helpers/keys.ts';
import { testTls } from '../helpers/test-tls.ts';
import { socketPath } from './helpers.ts';

/** Serves a plugin over `backend` on a fresh socket; returns a client as kube-apiserver would use it. */
async function pluginOver(t: TestContext, backend: KekBackend): Promise<KmsClient> {
  const { path } = await socketPath(t);
  const server = await serveKms(new KmsPlugin(backend), `unix://${path}`);
  // Generous: the cloud SDKs load on the first call.
  const kms = connectKms(`unix://${path}`, { timeoutMs: 20_000 });
  t.after(async () => {
    kms.close();
    await server.close();
    await backend.close?.();
  });
  return kms;
}

/** Status says unhealthy, names the cause, gives no key id, and holds none of `secrets`. */
async function assertUnhealthy(kms: KmsClient, cause: RegExp, secrets: string[]): Promise<void> {
  const status = await kms.status();
  assert.notEqual(status.healthz, 'ok');
  assert.match(status.healthz, cause);
  assert.doesNotMatch(status.healthz, /[\r\n]/);
  assert.equal(status.keyId, '');
  for (const secret of secrets)
    assert.ok(!status.healthz.includes(secret), `"${status.healthz}" holds a secret`);
}

describe('Vault transit', () => {
  test('round trip; the key id is the key URI and version; another key of the server still unwraps', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, { token, mount: 'transit', keys: ['kube', 'kube-2027'] });
    const env = { VAULT_TOKEN: token, HOME: await tempDir(t) };
    const kms = await pluginOver(t, new VaultTransitBackend({ address: fake.url, key: 'kube', env }));

    const keyId = `${fake.url}/v1/transit/keys/kube#v1`;
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'uid');
    assert.equal(wrapped.keyId, keyId);
    const text = Buffer.from(wrapped.ciphertext).toString();
    assert.match(text, /^vault:v1:[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(fake.open('kube', text), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'uid' })), seed);
    const encryptCall = fake.requests.findLast((request) => request.path === '/v1/transit/encrypt/kube');
    assert.deepEqual(JSON.parse(String(encryptCall?.body)), { plaintext: seed.toString('base64') });

    // The plugin moved to another key: what the first key wrapped still unwraps, through the key it names.
    const moved = await pluginOver(t, new VaultTransitBackend({ address: fake.url, key: 'kube-2027', env }));
    assert.equal((await moved.status()).keyId, `${fake.url}/v1/transit/keys/kube-2027#v1`);
    assert.deepEqual(Buffer.from(await moved.decrypt({ ...wrapped, uid: 'uid' })), seed);
    // A key id naming another Vault server is refused: the token goes to this server only.
    await assert.rejects(
      moved.decrypt({
        ...wrapped,
        keyId: 'https://vault.elsewhere.example:8200/v1/transit/keys/kube#v1',
        uid: 'u',
      }),
      /INVALID_ARGUMENT: .*names a key on another Vault server \(https:\/\/vault\.elsewhere\.example:8200\)/,
    );
  });

  test('a refused token or an unreachable server: unhealthy, saying why, without the token', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, { token, mount: 'transit', keys: ['kube'] });
    const wrong = `hvs.${randomBytes(18).toString('base64url')}`;
    const home = await tempDir(t);
    const denied = await pluginOver(
      t,
      new VaultTransitBackend({ address: fake.url, key: 'kube', env: { VAULT_TOKEN: wrong, HOME: home } }),
    );
    await assertUnhealthy(denied, /Vault answered HTTP 403: permission denied; invalid token/, [
      wrong,
      token,
    ]);
    const address = `http://127.0.0.1:${await closedPort()}`;
    const down = await pluginOver(
      t,
      new VaultTransitBackend({ address, key: 'kube', env: { VAULT_TOKEN: token, HOME: home } }),
    );
    await assertUnhealthy(down, /cannot reach Vault at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/, [token]);
  });
});

describe('AWS KMS', () => {
  const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const USER = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const DENIED = { accessKeyId: 'AKIADENIEDEXAMPLE000', secretAccessKey: 'denied-secret-key-example' };

  test("round trip with kms:Encrypt/Decrypt in the key ARN's region; the key id is the key ARN", async (t) => {
    const fake = await startFakeAws(t, { users: [USER], keys: [ARN] });
    const kms = await pluginOver(t, new AwsKmsBackend({ keyId: ARN, endpoint: fake.url, credentials: USER }));
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: ARN });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'uid');
    assert.equal(wrapped.keyId, ARN);
    assert.deepEqual(fake.open(Buffer.from(wrapped.ciphertext), undefined), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'uid' })), seed);

    const calls = fake.requests.map((request) => [request.headers['x-amz-target'], signedRegion(request)]);
    assert.ok(calls.every(([, region]) => region === 'eu-west-1'));
    const decryptCall = fake.requests.findLast(
      (request) => request.headers['x-amz-target'] === 'TrentService.Decrypt',
    );
    assert.deepEqual(JSON.parse(String(decryptCall?.body)), {
      CiphertextBlob: Buffer.from(wrapped.ciphertext).toString('base64'),
      KeyId: ARN,
    });

    const altered = Buffer.from(wrapped.ciphertext);
    altered[altered.length - 3] = (altered[altered.length - 3] as number) ^ 1;
    await assert.rejects(
      kms.decrypt({ ...wrapped, ciphertext: altered, uid: 'u' }),
      /INVALID_ARGUMENT: AWS KMS key .*: cannot decrypt: InvalidCiphertextException/,
    );
  });

  test('a denied caller: unhealthy with AccessDeniedException, without the secret key', async (t) => {
    const fake = await startFakeAws(t, { users: [USER, DENIED], keys: [ARN], denied: [DENIED.accessKeyId] });
    const kms = await pluginOver(
      t,
      new AwsKmsBackend({ keyId: ARN, endpoint: fake.url, credentials: DENIED }),
    );
    await assertUnhealthy(
      kms,
      /^AWS KMS key arn:aws:kms:eu-west-1:.*: cannot encrypt: AccessDeniedException: /,
      [DENIED.secretAccessKey],
    );
  });
});

describe('GCP Cloud KMS', () => {
  const ID = 'projects/cloak-test/locations/europe-west1/keyRings/kube/cryptoKeys/kek';
  const NEXT = 'projects/cloak-test/locations/europe-west1/keyRings/kube/cryptoKeys/kek-2027';

  test('round trip through the REST API; the key id is the CryptoKey; a moved plugin still unwraps', async (t) => {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    const fake = await startFakeGcpKms(t, { token, keys: [ID, NEXT] });
    const env = { GOOGLE_OAUTH_ACCESS_TOKEN: token };
    const kms = await pluginOver(t, new GcpKmsBackend({ key: ID, endpoint: fake.url, env }));
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: ID });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'uid');
    assert.equal(wrapped.keyId, ID);
    assert.deepEqual(fake.open(ID, Buffer.from(wrapped.ciphertext)), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'uid' })), seed);
    assert.ok(fake.requests.some((request) => request.path.startsWith(`/v1/${ID}:decrypt`)));

    const moved = await pluginOver(t, new GcpKmsBackend({ key: NEXT, endpoint: fake.url, env }));
    assert.equal((await moved.status()).keyId, NEXT);
    assert.deepEqual(Buffer.from(await moved.decrypt({ ...wrapped, uid: 'uid' })), seed);
    await assert.rejects(
      moved.decrypt({ ...wrapped, keyId: 'kek', uid: 'u' }),
      /INVALID_ARGUMENT: .*not a CryptoKey resource id/,
    );
  });

  test('a refused token: unhealthy with UNAUTHENTICATED, without the token', async (t) => {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    const fake = await startFakeGcpKms(t, { token, keys: [ID] });
    const wrong = `ya29.${randomBytes(24).toString('base64url')}`;
    const kms = await pluginOver(
      t,
      new GcpKmsBackend({ key: ID, endpoint: fake.url, env: { GOOGLE_OAUTH_ACCESS_TOKEN: wrong } }),
    );
    await assertUnhealthy(kms, /GCP KMS key .*: cannot encrypt the data key: .*UNAUTHENTICATED/, [
      wrong,
      token,
    ]);
  });
});

describe('Azure Key Vault', () => {
  /** The fake listens on 127.0.0.1, which is no subdomain of the challenge's resource (vault.azure.net). */
  async function clientOptions(): Promise<ConstructorParameters<typeof AzureKvBackend>[0]['clientOptions']> {
    return {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: (await testTls()).caPem },
      retryOptions: { maxRetries: 0 },
    };
  }

  test('round trip with RSA-OAEP-256; the key id is the current version; older versions still unwrap', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, { token, keys: { kube: ['0a1b2c', '3d4e5f'] } });
    const options = { credential: staticToken(token), clientOptions: await clientOptions() };
    const kms = await pluginOver(t, new AzureKvBackend({ key: `${fake.url}/keys/kube`, ...options }));

    const current = `${fake.url}/keys/kube/3d4e5f`;
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: current });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'uid');
    assert.equal(wrapped.keyId, current);
    const opened = privateDecrypt(
      {
        key: fake.privateKey('kube', '3d4e5f'),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      wrapped.ciphertext,
    );
    assert.deepEqual(opened, seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'uid' })), seed);

    // A seed wrapped by the older version (a plugin pinned to it) unwraps through the version its key id names.
    const pinned = await pluginOver(
      t,
      new AzureKvBackend({ key: `${fake.url}/keys/kube/0a1b2c`, ...options }),
    );
    const old = await pinned.encrypt(seed, 'uid');
    assert.equal(old.keyId, `${fake.url}/keys/kube/0a1b2c`);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...old, uid: 'uid' })), seed);
    await assert.rejects(
      kms.decrypt({ ...old, keyId: 'https://other.vault.azure.net/keys/kube/0a1b2c', uid: 'u' }),
      /INVALID_ARGUMENT: .*names a key in another vault \(https:\/\/other\.vault\.azure\.net\)/,
    );
  });

  test('a refused token: unhealthy with HTTP 401, without the token', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, { token, keys: { kube: ['0a1b2c'] } });
    const wrong = fakeBearerToken();
    const kms = await pluginOver(
      t,
      new AzureKvBackend({
        key: `${fake.url}/keys/kube`,
        credential: staticToken(wrong),
        clientOptions: await clientOptions(),
      }),
    );
    await assertUnhealthy(kms, /Azure Key Vault key .*: cannot encrypt the data key: HTTP 401/, [
      wrong,
      token,
    ]);
  });
});
