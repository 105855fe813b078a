/**
 * The cloud master keys (AWS KMS, GCP KMS, Azure Key Vault, Vault transit) against local fakes of the real
 * services that check what the real ones check (request paths, headers, body fields and encodings, SigV4
 * signatures, bearer tokens, the Key Vault challenge) and do real cryptography, so that every `enc` is also
 * opened independently of the client. Failures must be one-line CloakErrors naming the key and the cause and
 * holding no secret. Nothing here leaves 127.0.0.1: the fakes listen there, and the "no credentials" cases run
 * in a child process whose environment switches off every metadata-server probe.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, privateDecrypt, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CloakError } from '../../src/common/errors.ts';
import { AwsKmsKey, parseEncryptionContext, stsSessionName } from '../../src/sops/keys/aws-kms.ts';
import { AzureKeyVaultKey, staticToken, type AzureKeyOptions } from '../../src/sops/keys/azure-kv.ts';
import { CLOUD_KEYS, isCloudKeyType, splitKeyList } from '../../src/sops/keys/cloud.ts';
import { GcpKmsKey } from '../../src/sops/keys/gcp-kms.ts';
import type { KeyContext } from '../../src/sops/keys/master-key.ts';
import { VaultTransitKey } from '../../src/sops/keys/vault-transit.ts';
import { closedPort, type SeenRequest } from '../helpers/cloud-fake-server.ts';
import { testTls } from '../helpers/test-tls.ts';
import { signedRegion, startFakeAws } from '../helpers/fake-aws-kms.ts';
import { fakeBearerToken, startFakeKeyVault } from '../helpers/fake-azure-key-vault.ts';
import { startFakeGcpKms } from '../helpers/fake-gcp-kms.ts';
import { startFakeVault } from '../helpers/fake-vault.ts';

const NOW = new Date('2026-03-04T05:06:07.891Z');
const NOW_TEXT = '2026-03-04T05:06:07Z';

function context(env: NodeJS.ProcessEnv): KeyContext {
  return { env, now: () => NOW };
}

/** Every way a secret could show up in a message: raw text, hex, base64 and base64url. */
function secretForms(secret: string | Uint8Array): string[] {
  if (typeof secret === 'string') return [secret];
  const bytes = Buffer.from(secret);
  return [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')].map((form) =>
    form.replace(/=+$/, ''),
  );
}

/** `error` is a one-line CloakError with `code`, mentioning every `mentions`, and holding none of `secrets`. */
function assertCleanError(
  error: unknown,
  code: string,
  mentions: (string | RegExp)[],
  secrets: (string | Uint8Array)[],
): true {
  assert.ok(error instanceof CloakError, `expected a CloakError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.doesNotMatch(error.message, /[\r\n]/, 'one line');
  assert.doesNotMatch(error.message, /\n\s+at |\.ts:\d+/, 'no stack');
  for (const mention of mentions) {
    if (typeof mention === 'string')
      assert.ok(error.message.includes(mention), `"${error.message}" names ${mention}`);
    else assert.match(error.message, mention);
  }
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      assert.ok(!error.message.includes(form), `"${error.message}" holds a secret`);
    }
  }
  return true;
}

async function rejectsClean(
  promise: Promise<unknown>,
  code: string,
  mentions: (string | RegExp)[],
  secrets: (string | Uint8Array)[],
): Promise<void> {
  await assert.rejects(promise, (error) => assertCleanError(error, code, mentions, secrets));
}

function throwsClean(fn: () => unknown, code: string, mentions: (string | RegExp)[]): void {
  assert.throws(fn, (error) => assertCleanError(error, code, mentions, []));
}

function bodyOf(request: SeenRequest | undefined): Record<string, unknown> {
  assert.ok(request, 'the request was made');
  return JSON.parse(request.body.toString()) as Record<string, unknown>;
}

/** Changes one byte in the middle of a ciphertext, keeping its encoding valid. */
function tamper(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = Math.floor(copy.length / 2);
  copy[at] = (copy[at] as number) ^ 0x5a;
  return copy;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const CHILD_MODULES = {
  kms: ['aws-kms.ts', 'AwsKmsKey'],
  gcp_kms: ['gcp-kms.ts', 'GcpKmsKey'],
  azure_kv: ['azure-kv.ts', 'AzureKeyVaultKey'],
} as const;

/**
 * Decrypts a metadata entry in a fresh Node process with exactly `env` (the SDKs read process.env for their
 * default credential chains), returning the error it reports. `options` go to fromMetadata as JSON.
 */
async function decryptInChild(
  type: keyof typeof CHILD_MODULES,
  entry: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options?: unknown,
): Promise<{ name?: string; code?: string; message?: string; ok?: boolean }> {
  const [file, className] = CHILD_MODULES[type];
  const moduleUrl = pathToFileURL(
    fileURLToPath(new URL(`../../src/sops/keys/${file}`, import.meta.url)),
  ).href;
  const script = `
    const { ${className} } = await import(${JSON.stringify(moduleUrl)});
    const key = ${className}.fromMetadata(JSON.parse(process.env.KEY_ENTRY), JSON.parse(process.env.KEY_OPTIONS));
    try {
      await key.decrypt({ env: process.env, now: () => new Date() });
      console.log(JSON.stringify({ ok: true }));
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
    }`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        env: { ...env, KEY_ENTRY: JSON.stringify(entry), KEY_OPTIONS: JSON.stringify(options ?? null) },
        timeout: 30_000,
      },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { code?: string; message?: string };
}

// ---------------------------------------------------------------------------------------------------------------
describe('AWS KMS', () => {
  const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const ROLE = 'arn:aws:iam::111122223333:role/sops-decrypt';
  const USER = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const envFor = (url: string, user = USER): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: user.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
    AWS_ENDPOINT_URL_KMS: url,
    AWS_ENDPOINT_URL_STS: url,
  });

  test('round trip through kms:Encrypt/Decrypt with the encryption context, as KMS expects it', async (t) => {
    const fake = await startFakeAws(t, { users: [USER], keys: [ARN] });
    const dataKey = randomBytes(32);
    const key = AwsKmsKey.fromSpec(ARN, { context: { app: 'web', env: 'prod' } });
    const encrypted = await key.encrypt(dataKey, context(envFor(fake.url)));

    const [request] = fake.requests;
    assert.equal(fake.requests.length, 1);
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/');
    assert.equal(request?.headers['x-amz-target'], 'TrentService.Encrypt');
    assert.equal(request?.headers['content-type'], 'application/x-amz-json-1.1');
    assert.match(
      String(request?.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//,
    );
    assert.equal(signedRegion(request), 'eu-west-1', 'the region comes from the ARN');
    assert.deepEqual(bodyOf(request), {
      KeyId: ARN,
      Plaintext: dataKey.toString('base64'),
      EncryptionContext: { app: 'web', env: 'prod' },
    });

    // enc is the standard base64 of the CiphertextBlob, which KMS itself opens only with the same context.
    assert.match(encrypted.enc, /^[A-Za-z0-9+/]+={0,2}$/);
    const blob = Buffer.from(encrypted.enc, 'base64');
    assert.deepEqual(fake.open(blob, { app: 'web', env: 'prod' }), dataKey);
    assert.throws(() => fake.open(blob, { app: 'web' }));

    const metadata = encrypted.toMetadata();
    assert.deepEqual(Object.keys(metadata), ['arn', 'context', 'created_at', 'enc', 'aws_profile']);
    assert.deepEqual(metadata, {
      arn: ARN,
      context: { app: 'web', env: 'prod' },
      created_at: NOW_TEXT,
      enc: encrypted.enc,
      aws_profile: '',
    });

    const reread = AwsKmsKey.fromMetadata(JSON.parse(JSON.stringify(metadata)));
    assert.deepEqual(Buffer.from(await reread.decrypt(context(envFor(fake.url)))), dataKey);
    const decryptRequest = fake.requests[1];
    assert.equal(decryptRequest?.headers['x-amz-target'], 'TrentService.Decrypt');
    assert.deepEqual(bodyOf(decryptRequest), {
      KeyId: ARN,
      CiphertextBlob: encrypted.enc,
      EncryptionContext: { app: 'web', env: 'prod' },
    });
  });

  test('ARN+role: the role is assumed through STS and its session signs the KMS calls', async (t) => {
    const fake = await startFakeAws(t, { users: [USER], keys: [ARN], roles: [ROLE] });
    const dataKey = randomBytes(32);
    const key = AwsKmsKey.fromSpec(`${ARN}+${ROLE}`);
    assert.equal(key.arn, ARN);
    assert.equal(key.role, ROLE);
    const encrypted = await key.encrypt(dataKey, context(envFor(fake.url)));

    const [assume, encrypt] = fake.requests;
    assert.equal(assume?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(
      String(assume?.headers.authorization),
      /Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/sts\//,
    );
    const form = new URLSearchParams(assume?.body.toString());
    assert.equal(form.get('Action'), 'AssumeRole');
    assert.equal(form.get('Version'), '2011-06-15');
    assert.equal(form.get('RoleArn'), ROLE);
    assert.equal(form.get('RoleSessionName'), stsSessionName());
    assert.match(form.get('RoleSessionName') ?? '', /^sops@[\w+=,.@-]*$/);

    const session = fake.sessions[0]?.credentials;
    assert.ok(session);
    assert.match(String(encrypt?.headers.authorization), new RegExp(`Credential=${session.accessKeyId}/`));
    assert.equal(encrypt?.headers['x-amz-security-token'], session.sessionToken);

    assert.deepEqual(Object.keys(encrypted.toMetadata()), [
      'arn',
      'role',
      'created_at',
      'enc',
      'aws_profile',
    ]);
    assert.equal(encrypted.toMetadata().role, ROLE);
    assert.deepEqual(Buffer.from(await encrypted.decrypt(context(envFor(fake.url)))), dataKey);
  });

  test('failures are one-line errors naming the key and the cause, without secrets', async (t) => {
    const fake = await startFakeAws(t, {
      users: [USER, { accessKeyId: 'AKIADENIEDEXAMPLE000', secretAccessKey: 'denied-secret-key-example' }],
      keys: [ARN],
      denied: ['AKIADENIEDEXAMPLE000'],
    });
    const dataKey = randomBytes(32);
    const env = envFor(fake.url);
    const encrypted = await AwsKmsKey.fromSpec(ARN, { context: { app: 'web' } }).encrypt(
      dataKey,
      context(env),
    );
    const secrets = [dataKey, USER.secretAccessKey];
    const decryptError = (
      mentions: (string | RegExp)[],
    ): [string, (string | RegExp)[], (string | Uint8Array)[]] => [
      'ERR_SOPS_KEY_DECRYPT',
      [ARN, ...mentions],
      secrets,
    ];

    const tampered = new AwsKmsKey({
      ...encrypted,
      enc: tamper(Buffer.from(encrypted.enc, 'base64')).toString('base64'),
    });
    await rejectsClean(tampered.decrypt(context(env)), ...decryptError(['InvalidCiphertextException']));

    const otherContext = new AwsKmsKey({ ...encrypted, context: { app: 'api' } });
    await rejectsClean(otherContext.decrypt(context(env)), ...decryptError(['InvalidCiphertextException']));

    const notBase64 = new AwsKmsKey({ ...encrypted, enc: `${encrypted.enc.slice(0, 10)}!` });
    await rejectsClean(notBase64.decrypt(context(env)), ...decryptError(['not base64']));

    const wrongSecret = envFor(fake.url, { ...USER, secretAccessKey: 'not-the-right-secret-key' });
    await rejectsClean(
      encrypted.decrypt(context(wrongSecret)),
      ...decryptError(['InvalidSignatureException']),
    );

    const unknownUser = envFor(fake.url, { accessKeyId: 'AKIAUNKNOWNEXAMPLE00', secretAccessKey: 'x' });
    await rejectsClean(
      encrypted.decrypt(context(unknownUser)),
      ...decryptError(['UnrecognizedClientException']),
    );

    const denied = envFor(fake.url, {
      accessKeyId: 'AKIADENIEDEXAMPLE000',
      secretAccessKey: 'denied-secret-key-example',
    });
    await rejectsClean(encrypted.decrypt(context(denied)), ...decryptError(['AccessDeniedException']));
    await rejectsClean(
      AwsKmsKey.fromSpec(ARN).encrypt(dataKey, context(denied)),
      'ERR_SOPS_KEY_ENCRYPT',
      [ARN, 'AccessDeniedException', 'kms:Encrypt'],
      [...secrets, 'denied-secret-key-example'],
    );

    const unknownKey = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000';
    await rejectsClean(
      AwsKmsKey.fromSpec(unknownKey).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      [unknownKey, 'NotFoundException'],
      secrets,
    );

    await rejectsClean(
      AwsKmsKey.fromSpec(`${ARN}+${ROLE}`).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      [ARN, `cannot assume role ${ROLE}`, 'AccessDenied'],
      secrets,
    );

    const port = await closedPort();
    await rejectsClean(
      encrypted.decrypt(context({ ...env, AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}` })),
      ...decryptError(['ECONNREFUSED']),
    );

    await rejectsClean(
      encrypted.decrypt(context({ ...env, AWS_ENDPOINT_URL_KMS: 'not a url' })),
      ...decryptError(['AWS_ENDPOINT_URL_KMS is not a URL']),
    );

    await rejectsClean(
      new AwsKmsKey({ ...encrypted, arn: 'alias/sops' }).decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      ['alias/sops', 'not a valid KMS key ARN'],
      secrets,
    );
    await rejectsClean(
      new AwsKmsKey({ arn: ARN }).decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      [ARN, 'no encrypted data key'],
      [],
    );
  });

  test('aws_profile: the key profile picks credentials from the shared credentials file', async (t) => {
    const fake = await startFakeAws(t, { users: [USER], keys: [ARN] });
    const dataKey = randomBytes(32);
    const encrypted = await AwsKmsKey.fromSpec(ARN).encrypt(dataKey, context(envFor(fake.url)));
    const home = await tempDir(t);
    await writeFile(
      join(home, 'credentials'),
      `[default]\naws_access_key_id = AKIAWRONGDEFAULT0000\naws_secret_access_key = wrong\n\n` +
        `[cloak]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`,
    );
    const env = {
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_KMS: fake.url,
    };
    const metadata = { ...encrypted.toMetadata(), aws_profile: 'cloak' };
    assert.deepEqual(await decryptInChild('kms', metadata, env), { ok: true });
    const last = fake.requests.at(-1);
    assert.equal(last?.headers['x-amz-target'], 'TrentService.Decrypt');
    assert.match(String(last?.headers.authorization), /Credential=AKIAIOSFODNN7EXAMPLE\//);
    // The key's profile beats static keys in the environment, as in sops…
    const withStaticKeys = { ...env, AWS_ACCESS_KEY_ID: 'AKIASTATICENVEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' };
    assert.deepEqual(await decryptInChild('kms', metadata, withStaticKeys), { ok: true });
    // …and without it, the same files give [default], which KMS does not know.
    const result = await decryptInChild('kms', { ...metadata, aws_profile: '' }, env);
    assert.equal(result.code, 'ERR_SOPS_KEY_DECRYPT');
    assert.match(result.message ?? '', /UnrecognizedClientException/);
  });

  test('without credentials: the SDK chain comes up empty, without touching the network', async (t) => {
    const home = await tempDir(t);
    const result = await decryptInChild(
      'kms',
      { arn: ARN, created_at: NOW_TEXT, enc: Buffer.from('blob').toString('base64'), aws_profile: '' },
      {
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${await closedPort()}`,
      },
    );
    assert.equal(result.code, 'ERR_SOPS_KEY_DECRYPT', JSON.stringify(result));
    assert.match(
      result.message ?? '',
      /^AWS KMS key arn:aws:kms:eu-west-1:.*: cannot decrypt the data key: .*credentials/i,
    );
    assert.doesNotMatch(result.message ?? '', /\n/);
  });

  test('spec strings: ARN, alias ARN, ARN+role, spaces, other partitions; context and profile', () => {
    const plain = AwsKmsKey.fromSpec(` ${ARN} `);
    assert.equal(plain.arn, ARN);
    assert.equal(plain.id, ARN);
    assert.equal(plain.role, '');
    assert.deepEqual(plain.toMetadata(), { arn: ARN, created_at: '', enc: '', aws_profile: '' });

    const alias = 'arn:aws:kms:us-east-1:111122223333:alias/sops';
    assert.equal(AwsKmsKey.fromSpec(alias).arn, alias);

    const withRole = AwsKmsKey.fromSpec(`${ARN} + ${ROLE}`, { awsProfile: 'dev', context: { a: 'b' } });
    assert.deepEqual([withRole.arn, withRole.role, withRole.awsProfile], [ARN, ROLE, 'dev']);
    assert.deepEqual(withRole.context, { a: 'b' });

    const china = 'arn:aws-cn:kms:cn-north-1:111122223333:key/abc';
    const chinaRole = 'arn:aws-cn:iam::111122223333:role/r';
    assert.deepEqual(
      [AwsKmsKey.fromSpec(`${china}+${chinaRole}`).arn, AwsKmsKey.fromSpec(`${china}+${chinaRole}`).role],
      [china, chinaRole],
    );

    for (const bad of [
      '',
      '  ',
      'alias/sops',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:eu-west-1:acct:key/x',
      'arn:aws:s3:::bucket',
      'arn:aws:kms:eu-west-1:111122223333:secret/x',
    ]) {
      throwsClean(() => AwsKmsKey.fromSpec(bad), 'ERR_SOPS_KEY_SPEC', ['AWS KMS key']);
    }

    assert.deepEqual(parseEncryptionContext('app:web,env:prod'), { app: 'web', env: 'prod' });
    assert.equal(parseEncryptionContext(''), undefined);
    for (const bad of ['app', 'a:b:c', 'a:b,']) {
      throwsClean(() => parseEncryptionContext(bad), 'ERR_SOPS_KEY_SPEC', ['key:value']);
    }

    // key_groups items of .sops.yaml carry their fields separately; no "+role" splitting there.
    const configured = AwsKmsKey.fromConfig({
      arn: ARN,
      role: ROLE,
      context: { z: '1', a: '2' },
      aws_profile: 'p',
    });
    assert.deepEqual(Object.keys(configured.toMetadata()), [
      'arn',
      'role',
      'context',
      'created_at',
      'enc',
      'aws_profile',
    ]);
    assert.deepEqual(
      Object.keys(configured.toMetadata().context as object),
      ['a', 'z'],
      'sorted like Go maps',
    );
    throwsClean(() => AwsKmsKey.fromConfig({ role: ROLE }), 'ERR_SOPS_KEY_SPEC', ['"arn"']);
    throwsClean(() => AwsKmsKey.fromConfig({ arn: ARN, context: { a: 1 } }), 'ERR_SOPS_KEY_SPEC', ['"a"']);
    throwsClean(() => AwsKmsKey.fromConfig('arn'), 'ERR_SOPS_KEY_SPEC', ['map']);
  });

  test('metadata entries: required fields are named when missing or wrong', () => {
    const entry = { arn: ARN, created_at: '2025-08-06T18:55:05Z', enc: 'AQID', aws_profile: 'prod' };
    const key = AwsKmsKey.fromMetadata(entry);
    assert.deepEqual(key.toMetadata(), entry);
    // Any RFC 3339 time is read; it is written back in UTC seconds, as sops writes it.
    assert.equal(
      AwsKmsKey.fromMetadata({ ...entry, created_at: '2025-08-06T20:55:05.25+02:00' }).toMetadata()
        .created_at,
      '2025-08-06T18:55:05Z',
    );
    // aws_profile, role and context may be absent (files from other writers); a null context is no context.
    assert.equal(
      AwsKmsKey.fromMetadata({ arn: ARN, created_at: NOW_TEXT, enc: 'AQID', context: null }).context,
      undefined,
    );

    for (const field of ['arn', 'created_at', 'enc']) {
      const partial: Record<string, unknown> = { ...entry };
      delete partial[field];
      throwsClean(() => AwsKmsKey.fromMetadata(partial), 'ERR_SOPS_KEY_METADATA', [
        `missing "${field}"`,
        'kms',
      ]);
    }
    throwsClean(() => AwsKmsKey.fromMetadata({ ...entry, arn: 5 }), 'ERR_SOPS_KEY_METADATA', [
      '"arn" is not a string',
    ]);
    for (const date of ['yesterday', '2025-02-30T00:00:00Z', '2025-08-06 18:55:05Z', '2025-08-06T18:55:05']) {
      throwsClean(() => AwsKmsKey.fromMetadata({ ...entry, created_at: date }), 'ERR_SOPS_KEY_METADATA', [
        '"created_at"',
      ]);
    }
    throwsClean(() => AwsKmsKey.fromMetadata({ ...entry, context: ['a'] }), 'ERR_SOPS_KEY_METADATA', [
      '"context"',
    ]);
    throwsClean(() => AwsKmsKey.fromMetadata({ ...entry, context: { a: 1 } }), 'ERR_SOPS_KEY_METADATA', [
      '"a"',
    ]);
    throwsClean(() => AwsKmsKey.fromMetadata('arn'), 'ERR_SOPS_KEY_METADATA', ['not a map']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('GCP KMS', () => {
  const ID = 'projects/cloak-test/locations/europe-west1/keyRings/sops/cryptoKeys/sops-key';
  const envFor = (url: string, token: string): NodeJS.ProcessEnv => ({
    GOOGLE_OAUTH_ACCESS_TOKEN: token,
    SOPS_GCP_KMS_ENDPOINT: url,
  });

  test('round trip through :encrypt/:decrypt of the REST API with a bearer token', async (t) => {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    const fake = await startFakeGcpKms(t, { token, keys: [ID] });
    const dataKey = randomBytes(32);
    const encrypted = await GcpKmsKey.fromSpec(ID).encrypt(dataKey, context(envFor(fake.url, token)));

    const [request] = fake.requests;
    assert.equal(fake.requests.length, 1);
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path.split('?')[0], `/v1/${ID}:encrypt`);
    assert.equal(request?.headers.authorization, `Bearer ${token}`);
    assert.match(String(request?.headers['content-type']), /^application\/json/);
    const body = bodyOf(request);
    assert.equal(body.plaintext, dataKey.toString('base64'));
    assert.ok(body.name === undefined || body.name === ID);

    assert.match(encrypted.enc, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.deepEqual(fake.open(ID, Buffer.from(encrypted.enc, 'base64')), dataKey);
    const metadata = encrypted.toMetadata();
    assert.deepEqual(Object.keys(metadata), ['resource_id', 'created_at', 'enc']);
    assert.deepEqual(metadata, { resource_id: ID, created_at: NOW_TEXT, enc: encrypted.enc });

    const reread = GcpKmsKey.fromMetadata(JSON.parse(JSON.stringify(metadata)));
    assert.deepEqual(Buffer.from(await reread.decrypt(context(envFor(fake.url, token)))), dataKey);
    const decryptRequest = fake.requests[1];
    assert.equal(decryptRequest?.path.split('?')[0], `/v1/${ID}:decrypt`);
    assert.equal(bodyOf(decryptRequest).ciphertext, encrypted.enc);
  });

  test('failures are one-line errors naming the key and the cause, without secrets', async (t) => {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    const denied = 'projects/cloak-test/locations/global/keyRings/sops/cryptoKeys/locked';
    const fake = await startFakeGcpKms(t, { token, keys: [ID, denied], denied: [denied] });
    const dataKey = randomBytes(32);
    const env = envFor(fake.url, token);
    const encrypted = await GcpKmsKey.fromSpec(ID).encrypt(dataKey, context(env));
    const secrets = [dataKey, token];

    const tampered = new GcpKmsKey({
      ...encrypted,
      enc: tamper(Buffer.from(encrypted.enc, 'base64')).toString('base64'),
    });
    await rejectsClean(
      tampered.decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      [ID, 'INVALID_ARGUMENT'],
      secrets,
    );

    const elsewhere = new GcpKmsKey({ ...encrypted, resourceId: denied });
    await rejectsClean(
      elsewhere.decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      [denied, 'PERMISSION_DENIED'],
      secrets,
    );

    const badToken = envFor(fake.url, 'ya29.expired-token-example');
    await rejectsClean(
      encrypted.decrypt(context(badToken)),
      'ERR_SOPS_KEY_DECRYPT',
      [ID, 'UNAUTHENTICATED'],
      [...secrets, 'ya29.expired-token-example'],
    );

    const missing = 'projects/cloak-test/locations/global/keyRings/sops/cryptoKeys/absent';
    await rejectsClean(
      GcpKmsKey.fromSpec(missing).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      [missing, 'NOT_FOUND'],
      secrets,
    );

    const port = await closedPort();
    await rejectsClean(
      encrypted.decrypt(context({ ...env, SOPS_GCP_KMS_ENDPOINT: `http://127.0.0.1:${port}` })),
      'ERR_SOPS_KEY_DECRYPT',
      [ID, 'ECONNREFUSED'],
      secrets,
    );

    // GOOGLE_CREDENTIALS that is neither a file nor JSON: the message must not quote it (it would be a key).
    const privateKeyish = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----MIIEv';
    await rejectsClean(
      encrypted.decrypt(context({ ...env, GOOGLE_CREDENTIALS: privateKeyish })),
      'ERR_SOPS_KEY_DECRYPT',
      [ID, 'GOOGLE_CREDENTIALS'],
      [...secrets, 'MIIEv', 'service_account'],
    );
    await rejectsClean(
      encrypted.decrypt(context({ ...env, SOPS_GCP_KMS_CLIENT_TYPE: 'carrier-pigeon' })),
      'ERR_SOPS_KEY_DECRYPT',
      ['SOPS_GCP_KMS_CLIENT_TYPE'],
      secrets,
    );
    await rejectsClean(
      encrypted.decrypt(context({ ...env, SOPS_GCP_KMS_CLIENT_TYPE: 'grpc' })),
      'ERR_SOPS_KEY_DECRYPT',
      ['REST client'],
      secrets,
    );
    await rejectsClean(
      encrypted.decrypt(context({ ...env, SOPS_GCP_KMS_ENDPOINT: 'http://127.0.0.1:1/path' })),
      'ERR_SOPS_KEY_DECRYPT',
      ['SOPS_GCP_KMS_ENDPOINT'],
      secrets,
    );
    await rejectsClean(
      new GcpKmsKey({ ...encrypted, enc: 'not base64!' }).decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      ['not base64'],
      secrets,
    );
  });

  test('without credentials: Application Default Credentials come up empty, without touching the network', async (t) => {
    const home = await tempDir(t);
    const result = await decryptInChild(
      'gcp_kms',
      { resource_id: ID, created_at: NOW_TEXT, enc: Buffer.from('ciphertext').toString('base64') },
      {
        HOME: home,
        CLOUDSDK_CONFIG: join(home, 'gcloud'),
        METADATA_SERVER_DETECTION: 'none',
        SOPS_GCP_KMS_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      },
    );
    assert.equal(result.code, 'ERR_SOPS_KEY_DECRYPT', JSON.stringify(result));
    assert.match(
      result.message ?? '',
      new RegExp(`^GCP KMS key ${ID}: cannot decrypt the data key: .*credentials`, 'i'),
    );
    assert.doesNotMatch(result.message ?? '', /\n/);
  });

  test('resource ids and metadata entries', () => {
    assert.equal(GcpKmsKey.fromSpec(` ${ID} `).resourceId, ID);
    assert.equal(
      GcpKmsKey.fromSpec(ID.replace('/cryptoKeys/', '/ cryptoKeys/')).resourceId,
      ID,
      'spaces dropped',
    );
    assert.equal(GcpKmsKey.fromConfig({ resource_id: ID }).id, ID);
    assert.deepEqual(GcpKmsKey.fromSpec(ID).toMetadata(), { resource_id: ID, created_at: '', enc: '' });
    for (const bad of [
      '',
      'projects/p/locations/l/keyRings/r',
      `${ID}/cryptoKeyVersions/1`,
      'projects//locations/l/keyRings/r/cryptoKeys/k',
      'https://cloudkms.googleapis.com/v1/projects/p/locations/l/keyRings/r/cryptoKeys/k',
    ]) {
      throwsClean(() => GcpKmsKey.fromSpec(bad), 'ERR_SOPS_KEY_SPEC', ['GCP KMS key']);
    }
    throwsClean(() => GcpKmsKey.fromConfig({ resourceId: ID }), 'ERR_SOPS_KEY_SPEC', ['"resource_id"']);

    const entry = { resource_id: ID, created_at: '2025-08-06T18:55:05Z', enc: 'CiQA' };
    assert.deepEqual(GcpKmsKey.fromMetadata(entry).toMetadata(), entry);
    for (const field of ['resource_id', 'created_at', 'enc']) {
      const partial: Record<string, unknown> = { ...entry };
      delete partial[field];
      throwsClean(() => GcpKmsKey.fromMetadata(partial), 'ERR_SOPS_KEY_METADATA', [
        `missing "${field}"`,
        'gcp_kms',
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('Azure Key Vault', () => {
  /** The fake listens on 127.0.0.1, which is no subdomain of the challenge's resource (vault.azure.net). */
  async function azureOptions(extra: AzureKeyOptions = {}): Promise<AzureKeyOptions> {
    const { caPem } = await testTls();
    return {
      ...extra,
      clientOptions: {
        disableChallengeResourceVerification: true,
        tlsOptions: { ca: caPem },
        retryOptions: { maxRetries: 0 },
      },
    };
  }

  test('round trip with RSA-OAEP-256 after the challenge, value in unpadded base64url', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, { token, keys: { sops: ['0f1e2d3c4b5a', '9a8b7c6d5e4f'] } });
    const options = await azureOptions();
    const env = { CLOAK_AZURE_ACCESS_TOKEN: token };
    const dataKey = randomBytes(32);
    const key = AzureKeyVaultKey.fromSpec(`${fake.url}/keys/sops/0f1e2d3c4b5a`, options);
    assert.equal(key.id, `${fake.url}/keys/sops/0f1e2d3c4b5a`);
    const encrypted = await key.encrypt(dataKey, context(env));

    // Every client starts with the challenge: the request goes out without a token (and without its body).
    const first = fake.requests[0];
    assert.equal(first?.headers.authorization, undefined);
    assert.equal(first?.body.length, 0);
    const authorized = fake.requests.filter((request) => request.headers.authorization !== undefined);
    assert.ok(authorized.every((request) => request.headers.authorization === `Bearer ${token}`));
    const encryptCall = authorized.find((request) => request.method === 'POST');
    assert.ok(encryptCall);
    assert.match(
      encryptCall.path,
      /^\/keys\/sops\/0f1e2d3c4b5a\/encrypt\?api(-|%2D)version=[\d.-]+(-preview)?$/,
    );
    assert.deepEqual(bodyOf(encryptCall), { alg: 'RSA-OAEP-256', value: dataKey.toString('base64url') });

    // enc: unpadded base64url of an RSA-OAEP (SHA-256) ciphertext under that key version.
    assert.match(encrypted.enc, /^[A-Za-z0-9_-]+$/);
    const wrapped = Buffer.from(encrypted.enc, 'base64url');
    const privateKey = fake.privateKey('sops', '0f1e2d3c4b5a');
    const oaep = (hash: string) =>
      privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped);
    assert.deepEqual(oaep('sha256'), dataKey);
    assert.throws(() => oaep('sha1'), 'RSA-OAEP with SHA-1 cannot open it');

    const metadata = encrypted.toMetadata();
    assert.deepEqual(Object.keys(metadata), ['vault_url', 'name', 'version', 'created_at', 'enc']);
    assert.deepEqual(metadata, {
      vault_url: fake.url,
      name: 'sops',
      version: '0f1e2d3c4b5a',
      created_at: NOW_TEXT,
      enc: encrypted.enc,
    });

    const seen = fake.requests.length;
    const reread = AzureKeyVaultKey.fromMetadata(JSON.parse(JSON.stringify(metadata)), options);
    assert.deepEqual(Buffer.from(await reread.decrypt(context(env))), dataKey);
    const decryptCall = fake.requests
      .slice(seen)
      .find((request) => request.method === 'POST' && request.headers.authorization !== undefined);
    assert.match(String(decryptCall?.path), /^\/keys\/sops\/0f1e2d3c4b5a\/decrypt\?/);
    assert.deepEqual(bodyOf(decryptCall), { alg: 'RSA-OAEP-256', value: encrypted.enc });
  });

  test('a key without a version is pinned to the current version when it encrypts', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, { token, keys: { sops: ['0001', '0002'] } });
    const options = await azureOptions();
    const dataKey = randomBytes(32);
    const key = AzureKeyVaultKey.fromSpec(`${fake.url}/keys/sops`, options);
    assert.equal(key.version, '');
    const encrypted = await key.encrypt(dataKey, context({ CLOAK_AZURE_ACCESS_TOKEN: token }));
    assert.equal(encrypted.version, '0002');
    assert.equal(encrypted.toMetadata().version, '0002');
    assert.ok(
      fake.requests.some((request) => request.method === 'GET' && /^\/keys\/sops\/?\?/.test(request.path)),
    );
    assert.ok(fake.requests.some((request) => request.path.startsWith('/keys/sops/0002/encrypt?')));
    assert.deepEqual(
      privateDecrypt(
        {
          key: fake.privateKey('sops', '0002'),
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
        },
        Buffer.from(encrypted.enc, 'base64url'),
      ),
      dataKey,
    );
    // The same through an injected credential instead of the environment variable.
    const injected = AzureKeyVaultKey.fromSpec(
      `${fake.url}/keys/sops`,
      await azureOptions({ credential: staticToken(token) }),
    );
    assert.equal((await injected.encrypt(dataKey, context({}))).version, '0002');
  });

  test('failures are one-line errors naming the key and the cause, without secrets', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, {
      token,
      keys: { sops: ['v1'], locked: ['v1'] },
      denied: ['locked'],
    });
    const options = await azureOptions();
    const env = { CLOAK_AZURE_ACCESS_TOKEN: token };
    const dataKey = randomBytes(32);
    const encrypted = await AzureKeyVaultKey.fromSpec(`${fake.url}/keys/sops/v1`, options).encrypt(
      dataKey,
      context(env),
    );
    const secrets = [dataKey, token];
    const id = `${fake.url}/keys/sops/v1`;

    const tampered = new AzureKeyVaultKey(
      { ...encrypted, enc: tamper(Buffer.from(encrypted.enc, 'base64url')).toString('base64url') },
      options,
    );
    await rejectsClean(tampered.decrypt(context(env)), 'ERR_SOPS_KEY_DECRYPT', [id, 'HTTP 400'], secrets);

    const padded = new AzureKeyVaultKey(
      { ...encrypted, enc: `${Buffer.from(encrypted.enc, 'base64url').toString('base64')}` },
      options,
    );
    await rejectsClean(padded.decrypt(context(env)), 'ERR_SOPS_KEY_DECRYPT', [id, 'base64url'], secrets);

    const otherToken = fakeBearerToken();
    await rejectsClean(
      encrypted.decrypt(context({ CLOAK_AZURE_ACCESS_TOKEN: otherToken })),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'HTTP 401'],
      [...secrets, otherToken],
    );

    await rejectsClean(
      AzureKeyVaultKey.fromSpec(`${fake.url}/keys/locked/v1`, options).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      [`${fake.url}/keys/locked/v1`, 'HTTP 403'],
      secrets,
    );
    await rejectsClean(
      AzureKeyVaultKey.fromSpec(`${fake.url}/keys/absent`, options).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      [`${fake.url}/keys/absent/`, 'HTTP 404', 'KeyNotFound'],
      secrets,
    );

    const broken: AzureKeyOptions = await azureOptions({
      credential: {
        getToken: () => {
          const error = new Error('EnvironmentCredential is unavailable.');
          error.name = 'CredentialUnavailableError';
          return Promise.reject(error);
        },
      },
    });
    await rejectsClean(
      encrypted.withOptions(broken).decrypt(context({})),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'no usable Azure credentials'],
      secrets,
    );

    const port = await closedPort();
    const unreachable = AzureKeyVaultKey.fromMetadata(
      { ...encrypted.toMetadata(), vault_url: `https://127.0.0.1:${port}` },
      options,
    );
    await rejectsClean(
      unreachable.decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      [`https://127.0.0.1:${port}/keys/sops/v1`, 'cannot reach the vault', 'ECONNREFUSED'],
      secrets,
    );
  });

  test('without credentials: DefaultAzureCredential comes up empty, without touching the network', async (t) => {
    const token = fakeBearerToken();
    const fake = await startFakeKeyVault(t, { token, keys: { sops: ['v1'] } });
    const home = await tempDir(t);
    const result = await decryptInChild(
      'azure_kv',
      { vault_url: fake.url, name: 'sops', version: 'v1', created_at: NOW_TEXT, enc: 'AQID' },
      // Developer credentials only (no managed identity probe); az, azd and pwsh are not on this PATH.
      { HOME: home, PATH: join(home, 'bin'), AZURE_TOKEN_CREDENTIALS: 'dev' },
      await azureOptions(),
    );
    assert.equal(result.code, 'ERR_SOPS_KEY_DECRYPT', JSON.stringify(result));
    assert.match(
      result.message ?? '',
      /^Azure Key Vault key https:\/\/127\.0\.0\.1:\d+\/keys\/sops\/v1: cannot decrypt the data key: no usable Azure credentials/,
    );
    assert.doesNotMatch(result.message ?? '', /\n/);
    assert.ok(fake.requests.every((request) => request.headers.authorization === undefined));
  });

  test('key URLs, key_groups items and metadata entries', () => {
    const full = AzureKeyVaultKey.fromSpec(' https://cloak.vault.azure.net/keys/sops/0123456789abcdef ');
    assert.deepEqual(
      [full.vaultUrl, full.name, full.version],
      ['https://cloak.vault.azure.net', 'sops', '0123456789abcdef'],
    );
    assert.equal(full.id, 'https://cloak.vault.azure.net/keys/sops/0123456789abcdef');
    const latest = AzureKeyVaultKey.fromSpec('https://cloak.vault.azure.net/keys/sops');
    assert.deepEqual([latest.name, latest.version], ['sops', '']);
    assert.equal(AzureKeyVaultKey.fromSpec('https://cloak.vault.azure.net/keys/sops/').version, '');
    for (const bad of [
      '',
      'http://cloak.vault.azure.net/keys/sops/1',
      'https://cloak.vault.azure.net/sops/1',
      'https://cloak.vault.azure.net/keys/sops/1/extra',
      'https://cloak.vault.azure.net/keys/',
      'cloak.vault.azure.net/keys/sops/1',
    ]) {
      throwsClean(() => AzureKeyVaultKey.fromSpec(bad), 'ERR_SOPS_KEY_SPEC', ['Azure Key Vault key']);
    }

    const configured = AzureKeyVaultKey.fromConfig({
      vaultUrl: 'https://cloak.vault.azure.net/',
      key: 'sops',
      version: 'abc',
    });
    assert.equal(configured.id, 'https://cloak.vault.azure.net/keys/sops/abc');
    assert.equal(
      AzureKeyVaultKey.fromConfig({ vaultUrl: 'https://cloak.vault.azure.net', key: 'sops' }).version,
      '',
    );
    throwsClean(
      () => AzureKeyVaultKey.fromConfig({ vaultUrl: 'https://cloak.vault.azure.net' }),
      'ERR_SOPS_KEY_SPEC',
      ['"key"'],
    );
    throwsClean(() => AzureKeyVaultKey.fromConfig({ key: 'sops' }), 'ERR_SOPS_KEY_SPEC', ['"vaultUrl"']);
    throwsClean(() => AzureKeyVaultKey.fromConfig({ vaultUrl: 'http://x', key: 'k' }), 'ERR_SOPS_KEY_SPEC', [
      'https://',
    ]);

    const entry = {
      vault_url: 'https://cloak.vault.azure.net',
      name: 'sops',
      version: '0123',
      created_at: '2025-08-06T18:55:05Z',
      enc: 'abc_-',
    };
    assert.deepEqual(AzureKeyVaultKey.fromMetadata(entry).toMetadata(), entry);
    for (const field of ['vault_url', 'name', 'created_at', 'enc']) {
      const partial: Record<string, unknown> = { ...entry };
      delete partial[field];
      throwsClean(() => AzureKeyVaultKey.fromMetadata(partial), 'ERR_SOPS_KEY_METADATA', [
        `missing "${field}"`,
        'azure_kv',
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('Vault transit', () => {
  test('round trip over HTTPS (VAULT_CACERT) with a multi-segment engine path and a namespace', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, {
      token,
      mount: 'sops/transit',
      keys: ['cloak'],
      namespace: 'team-a',
      tls: true,
    });
    const dir = await tempDir(t);
    await writeFile(join(dir, 'ca.pem'), (await testTls()).caPem);
    const env = {
      VAULT_TOKEN: token,
      VAULT_NAMESPACE: 'team-a',
      VAULT_CACERT: join(dir, 'ca.pem'),
      HOME: dir,
    };
    const dataKey = randomBytes(32);
    const key = VaultTransitKey.fromSpec(`${fake.url}/v1/sops/transit/keys/cloak`);
    assert.deepEqual([key.address, key.enginePath, key.keyName], [fake.url, 'sops/transit', 'cloak']);
    const encrypted = await key.encrypt(dataKey, context(env));

    const [request] = fake.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v1/sops/transit/encrypt/cloak');
    assert.equal(request?.headers['x-vault-token'], token);
    assert.equal(request?.headers['x-vault-namespace'], 'team-a');
    assert.deepEqual(bodyOf(request), { plaintext: dataKey.toString('base64') });

    assert.match(encrypted.enc, /^vault:v1:[A-Za-z0-9+/]+={0,2}$/);
    assert.deepEqual(fake.open('cloak', encrypted.enc), dataKey);
    const metadata = encrypted.toMetadata();
    assert.deepEqual(Object.keys(metadata), [
      'vault_address',
      'engine_path',
      'key_name',
      'created_at',
      'enc',
    ]);
    assert.deepEqual(metadata, {
      vault_address: fake.url,
      engine_path: 'sops/transit',
      key_name: 'cloak',
      created_at: NOW_TEXT,
      enc: encrypted.enc,
    });

    const reread = VaultTransitKey.fromMetadata(JSON.parse(JSON.stringify(metadata)));
    assert.deepEqual(Buffer.from(await reread.decrypt(context(env))), dataKey);
    assert.equal(fake.requests[1]?.path, '/v1/sops/transit/decrypt/cloak');
    assert.deepEqual(bodyOf(fake.requests[1]), { ciphertext: encrypted.enc });
  });

  test('the token comes from ~/.vault-token when VAULT_TOKEN is not set', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, { token, mount: 'transit', keys: ['k'] });
    const home = await tempDir(t);
    await writeFile(join(home, '.vault-token'), `${token}\n`);
    const dataKey = randomBytes(33);
    const encrypted = await VaultTransitKey.fromSpec(`${fake.url}/v1/transit/keys/k`).encrypt(
      dataKey,
      context({ HOME: home }),
    );
    assert.equal(fake.requests[0]?.headers['x-vault-token'], token);
    assert.deepEqual(Buffer.from(await encrypted.decrypt(context({ HOME: home }))), dataKey);
  });

  test('failures are one-line errors naming the key and the cause, without secrets', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, { token, mount: 'transit', keys: ['k'], tls: true });
    const dir = await tempDir(t);
    await writeFile(join(dir, 'ca.pem'), (await testTls()).caPem);
    const env = { VAULT_TOKEN: token, VAULT_CACERT: join(dir, 'ca.pem'), HOME: dir };
    const dataKey = randomBytes(32);
    const id = `${fake.url}/v1/transit/keys/k`;
    const encrypted = await VaultTransitKey.fromSpec(id).encrypt(dataKey, context(env));
    const secrets = [dataKey, token];
    assert.equal(encrypted.id, id);

    const raw = Buffer.from(encrypted.enc.slice('vault:v1:'.length), 'base64');
    const tampered = new VaultTransitKey({ ...encrypted, enc: `vault:v1:${tamper(raw).toString('base64')}` });
    await rejectsClean(
      tampered.decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'HTTP 400', 'message authentication failed'],
      secrets,
    );

    await rejectsClean(
      encrypted.decrypt(context({ ...env, VAULT_TOKEN: 'hvs.revoked-example' })),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'HTTP 403', 'permission denied'],
      [...secrets, 'hvs.revoked-example'],
    );
    const noToken = { VAULT_CACERT: env.VAULT_CACERT, HOME: dir };
    await rejectsClean(
      encrypted.decrypt(context(noToken)),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'HTTP 403', 'VAULT_TOKEN'],
      secrets,
    );

    await rejectsClean(
      VaultTransitKey.fromSpec(`${fake.url}/v1/transit/keys/absent`).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      ['/keys/absent', 'encryption key not found'],
      secrets,
    );
    await rejectsClean(
      VaultTransitKey.fromSpec(`${fake.url}/v1/kv/keys/k`).encrypt(dataKey, context(env)),
      'ERR_SOPS_KEY_ENCRYPT',
      ['HTTP 404'],
      secrets,
    );

    // The test CA is not trusted without VAULT_CACERT.
    await rejectsClean(
      encrypted.decrypt(context({ VAULT_TOKEN: token, HOME: dir })),
      'ERR_SOPS_KEY_DECRYPT',
      [id, 'cannot reach Vault', /certificate/, 'VAULT_CACERT'],
      secrets,
    );
    const port = await closedPort();
    const unreachable = VaultTransitKey.fromMetadata({
      ...encrypted.toMetadata(),
      vault_address: `http://127.0.0.1:${port}`,
    });
    await rejectsClean(
      unreachable.decrypt(context(env)),
      'ERR_SOPS_KEY_DECRYPT',
      ['cannot reach Vault', 'ECONNREFUSED'],
      secrets,
    );
  });

  test('key URIs as sops parses them, key_groups items and metadata entries', () => {
    const cases: [string, string, string, string][] = [
      [
        'https://vault.example.com:8200/v1/transit/keys/sops',
        'https://vault.example.com:8200',
        'transit',
        'sops',
      ],
      ['http://127.0.0.1:8200/v1/sops/transit/keys/k/', 'http://127.0.0.1:8200', 'sops/transit', 'k'],
      ['HTTPS://Vault.Example.com/v1/a/b/c/keys/k', 'https://Vault.Example.com', 'a/b/c', 'k'],
      // Like sops, the segment before the name is not checked to be "keys".
      ['https://vault:8200/v1/transit/other/k', 'https://vault:8200', 'transit', 'k'],
    ];
    for (const [uri, address, enginePath, keyName] of cases) {
      const key = VaultTransitKey.fromSpec(uri);
      assert.deepEqual([key.address, key.enginePath, key.keyName], [address, enginePath, keyName], uri);
      const again = VaultTransitKey.fromSpec(key.id);
      assert.deepEqual(
        [again.address, again.enginePath, again.keyName],
        [address, enginePath, keyName],
        'id round-trips',
      );
    }
    assert.equal(VaultTransitKey.fromConfig('https://vault:8200/v1/transit/keys/k').keyName, 'k');
    for (const [bad, says] of [
      ['', 'empty'],
      ['vault.example.com:8200/v1/transit/keys/k', 'scheme'],
      ['https:///v1/transit/keys/k', 'no host'],
      ['https://vault.example.com/vault/v1/transit/keys/k', 'path prefix'],
      ['https://vault.example.com/v1/transit/keys', 'not a transit key URI'],
      ['https://vault.example.com/transit/keys/k', 'not a transit key URI'],
      ['https://vault.example.com/v1/transit/keys/k?x=1', 'query'],
    ] as const) {
      throwsClean(() => VaultTransitKey.fromSpec(bad), 'ERR_SOPS_KEY_SPEC', ['Vault transit key', says]);
    }
    throwsClean(() => VaultTransitKey.fromConfig({ uri: 'x' }), 'ERR_SOPS_KEY_SPEC', ['key URI']);

    const entry = {
      vault_address: 'https://vault.example.com:8200',
      engine_path: 'transit',
      key_name: 'sops',
      created_at: '2025-08-06T18:55:05Z',
      enc: 'vault:v1:abc=',
    };
    assert.deepEqual(VaultTransitKey.fromMetadata(entry).toMetadata(), entry);
    for (const field of Object.keys(entry)) {
      const partial: Record<string, unknown> = { ...entry };
      delete partial[field];
      throwsClean(() => VaultTransitKey.fromMetadata(partial), 'ERR_SOPS_KEY_METADATA', [
        `missing "${field}"`,
        'hc_vault',
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
test('the registry maps each metadata list name to its key type, spec parser and sops names', () => {
  assert.deepEqual(Object.keys(CLOUD_KEYS).sort(), ['azure_kv', 'gcp_kms', 'hc_vault', 'kms']);
  assert.ok(isCloudKeyType('kms') && isCloudKeyType('hc_vault'));
  assert.ok(!isCloudKeyType('age') && !isCloudKeyType('toString'));
  const specs = {
    kms: 'arn:aws:kms:eu-west-1:111122223333:alias/sops+arn:aws:iam::111122223333:role/r',
    gcp_kms: 'projects/p/locations/l/keyRings/r/cryptoKeys/k',
    azure_kv: 'https://cloak.vault.azure.net/keys/sops/1',
    hc_vault: 'https://vault:8200/v1/transit/keys/k',
  } as const;
  for (const [type, spec] of Object.entries(specs) as [keyof typeof specs, string][]) {
    const factory = CLOUD_KEYS[type];
    const key = factory.fromSpec(spec, { awsProfile: 'prof', kmsContext: { a: 'b' } });
    assert.equal(key.type, type);
    const entry = { ...key.toMetadata(), created_at: NOW_TEXT, enc: 'AQID' };
    const reread = factory.fromMetadata(entry);
    assert.deepEqual(reread.toMetadata(), entry, type);
    assert.equal(reread.id, key.id);
  }
  const aws = CLOUD_KEYS.kms.fromSpec(specs.kms, { awsProfile: 'prof', kmsContext: { a: 'b' } }).toMetadata();
  assert.deepEqual([aws.aws_profile, aws.context], ['prof', { a: 'b' }]);
  assert.equal(CLOUD_KEYS.hc_vault.fromConfig(specs.hc_vault).id, specs.hc_vault);
  assert.deepEqual(
    Object.values(CLOUD_KEYS).map((factory) => [
      factory.flag,
      factory.envVar,
      factory.ruleKey,
      factory.groupKey,
    ]),
    [
      ['--kms', 'SOPS_KMS_ARN', 'kms', 'kms'],
      ['--gcp-kms', 'SOPS_GCP_KMS_IDS', 'gcp_kms', 'gcp_kms'],
      ['--azure-kv', 'SOPS_AZURE_KEYVAULT_URLS', 'azure_keyvault', 'azure_keyvault'],
      ['--hc-vault-transit', 'SOPS_VAULT_URIS', 'hc_vault_transit_uri', 'hc_vault'],
    ],
  );
  assert.deepEqual(splitKeyList(' a, b ,,c '), ['a', 'b', 'c']);
  assert.deepEqual(splitKeyList(''), []);
});

test('loading the key modules loads none of the cloud SDKs', async () => {
  const cloud = pathToFileURL(fileURLToPath(new URL('../../src/sops/keys/cloud.ts', import.meta.url))).href;
  const script = `
    const { registerHooks } = await import('node:module');
    const loaded = [];
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        loaded.push(result.url);
        return result;
      },
    });
    await import(${JSON.stringify(cloud)});
    console.log(JSON.stringify(loaded));`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (error, out) => {
      if (error) reject(new Error(error.message));
      else resolve(out);
    });
  });
  const loaded = JSON.parse(stdout) as string[];
  assert.ok(
    loaded.some((url) => url.endsWith('/aws-kms.ts')),
    'the hook saw the key modules',
  );
  assert.deepEqual(
    loaded.filter((url) => url.includes('/node_modules/')),
    [],
  );
});
