/**
 * `cloak kms-plugin` as an operator runs it: the real bin/cloak in a child process, a key file made with its
 * helpers, a client that talks to its socket as kube-apiserver does, a rotation while it serves, and a stop by
 * signal that removes the socket. Usage errors exit 2, other errors 1, each with one `error:` line; the log has a
 * line for start and stop and never a key or data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { connectKms, type KmsClient } from '../../src/kms/grpc.ts';
import { runCloak, type CliResult } from '../helpers/cli.ts';
import { startFakeAws } from '../helpers/fake-aws-kms.ts';
import { startFakeGcpKms } from '../helpers/fake-gcp-kms.ts';
import { startFakeVault } from '../helpers/fake-vault.ts';
import { tempDir } from '../helpers/keys.ts';
import { leaveStaleSocket, socketPath, startPluginCli } from './helpers.ts';

function client(t: TestContext, path: string): KmsClient {
  const kms = connectKms(`unix://${path}`, { timeoutMs: 20_000 });
  t.after(() => kms.close());
  return kms;
}

function assertOneError(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit status\n${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', /^error: /);
  assert.match(lines[0] ?? '', message);
}

/** The base64 keys of a key file. */
async function keysOf(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .flatMap((line) => /^([A-Za-z0-9+/]{43}=)/.exec(line)?.[1] ?? []);
}

describe('key file helpers', () => {
  test('keygen, list, rotate and prune print key ids; files are 0600', async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, 'kek');
    const made = await runCloak(['kms-plugin', 'keygen', '--key-file', keyFile]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^local:[0-9a-f]{32}\n$/);
    const first = made.stdout.trim();
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await runCloak(['kms-plugin', 'list', '--key-file', keyFile])).stdout, `${first}\n`);

    assertOneError(
      await runCloak(['kms-plugin', 'keygen', '--key-file', keyFile]),
      1,
      /already exists; add a key with: cloak kms-plugin rotate/,
    );

    const rotated = await runCloak(['kms-plugin', 'rotate', '--key-file', keyFile]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const second = rotated.stdout.trim();
    assert.match(second, /^local:[0-9a-f]{32}$/);
    assert.notEqual(second, first);
    assert.match(rotated.stderr, /^note: .* holds 2 keys; the new one wraps from now on/);
    assert.equal(
      (await runCloak(['kms-plugin', 'list', '--key-file', keyFile])).stdout,
      `${second}\n${first}\n`,
    );

    const pruned = await runCloak(['kms-plugin', 'prune', '--key-file', keyFile, '--keep', '1']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(pruned.stdout, `${second}\n`);
    assert.equal(pruned.stderr, `note: removed 1 key(s) from ${keyFile}: ${first}\n`);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    for (const result of [made, rotated, pruned]) {
      for (const key of await keysOf(keyFile))
        assert.ok(!result.stdout.includes(key) && !result.stderr.includes(key));
    }

    assertOneError(
      await runCloak(['kms-plugin', 'prune', '--key-file', keyFile, '--keep', '0']),
      2,
      /--keep must be/,
    );
    assertOneError(
      await runCloak(['kms-plugin', 'list', '--key-file', join(dir, 'missing')]),
      1,
      /key file .*missing does not exist \(make one with: cloak kms-plugin keygen --key-file /,
    );
  });
});

describe('usage errors', () => {
  test('exit 2 with one error line', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--listen is required/],
      [
        ['--listen', 'unix://relative.sock', '--key-file', 'k'],
        /--listen: KMS endpoint "unix:\/\/relative\.sock": .*three slashes/,
      ],
      [['--listen', 'tcp://127.0.0.1:1', '--key-file', 'k'], /unsupported scheme "tcp"/],
      [['--listen', 'unix:///tmp/k.sock'], /--backend local needs --key-file/],
      [
        ['--listen', 'unix:///tmp/k.sock', '--backend', 'hsm'],
        /--backend must be local, vault, aws, gcp or azure, not "hsm"/,
      ],
      [
        ['--listen', 'unix:///tmp/k.sock', '--key-file', 'k', '--vault-key', 'x'],
        /--vault-key is for --backend vault, not local/,
      ],
      [
        ['--listen', 'unix:///tmp/k.sock', '--backend', 'vault', '--vault-key', 'k'],
        /--backend vault needs --vault-address \(or VAULT_ADDR\)/,
      ],
      [
        [
          '--listen',
          'unix:///tmp/k.sock',
          '--backend',
          'vault',
          '--vault-address',
          'http://v:8200/v1',
          '--vault-key',
          'k',
        ],
        /--vault-address must be http\(s\):\/\/host\[:port\] with no path/,
      ],
      [
        ['--listen', 'unix:///tmp/k.sock', '--backend', 'aws', '--aws-key-id', '1234abcd'],
        /--aws-key-id must be a key or alias ARN/,
      ],
      [
        ['--listen', 'unix:///tmp/k.sock', '--backend', 'gcp', '--gcp-key', 'projects/p/keys/k'],
        /--gcp-key must be a CryptoKey/,
      ],
      [
        ['--listen', 'unix:///tmp/k.sock', '--backend', 'azure', '--azure-key', 'http://v/keys/k'],
        /--azure-key must be a key URL/,
      ],
      [['--listen', 'unix:///tmp/k.sock', '--backend', 'azure'], /--backend azure needs --azure-key/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCloak(['kms-plugin', ...args])));
    results.forEach((result, index) => assertOneError(result, 2, cases[index]?.[1] as RegExp));
    const extra = await runCloak(['kms-plugin', 'serve']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /too many arguments/);
  });
});

describe('serving', () => {
  test('local key file: serves, follows a rotation, stops on SIGTERM and removes its socket', async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, 'kek');
    const first = (await runCloak(['kms-plugin', 'keygen', '--key-file', keyFile])).stdout.trim();
    const { path } = await socketPath(t);
    const plugin = await startPluginCli(t, ['--listen', `unix://${path}`, '--key-file', keyFile]);
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    const kms = client(t, path);
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: first });
    const seed = randomBytes(32);
    const before = await kms.encrypt(seed, 'uid-1');
    assert.equal(before.keyId, first);

    const second = (await runCloak(['kms-plugin', 'rotate', '--key-file', keyFile])).stdout.trim();
    assert.equal((await kms.status()).keyId, second);
    const after = await kms.encrypt(seed, 'uid-2');
    assert.equal(after.keyId, second);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...before, uid: 'uid-3' })), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...after, uid: 'uid-4' })), seed);
    const garbage = randomBytes(48);
    await assert.rejects(
      kms.decrypt({ ciphertext: garbage, keyId: second, uid: 'u', annotations: {} }),
      /INVALID_ARGUMENT/,
    );

    assert.equal(await plugin.stop('SIGTERM'), 0);
    await assert.rejects(lstat(path), { code: 'ENOENT' });
    const log = plugin.log().trimEnd().split('\n');
    assert.match(
      log[0] ?? '',
      new RegExp(
        `^cloak kms-plugin: serving KMS v2 on unix://${path} \\(local key file ${keyFile}, current key ${first}\\); pid \\d+$`,
      ),
    );
    assert.match(
      log[1] ?? '',
      /^cloak kms-plugin: Decrypt failed: cannot unwrap with local key local:[0-9a-f]+: /,
    );
    assert.equal(log[2], 'cloak kms-plugin: stopped on SIGTERM; removed the socket');
    assert.equal(log.length, 3);
    const text = plugin.log();
    for (const secret of [
      ...(await keysOf(keyFile)),
      seed.toString('base64'),
      seed.toString('hex'),
      garbage.toString('hex'),
    ]) {
      assert.ok(!text.includes(secret), 'the log holds key material or data');
    }
  });

  test("a live plugin on the socket is not disturbed; a crashed one's socket is replaced; SIGINT stops", async (t) => {
    const dir = await tempDir(t);
    const keyFile = join(dir, 'kek');
    await runCloak(['kms-plugin', 'keygen', '--key-file', keyFile]);
    const { path } = await socketPath(t);
    const args = ['--listen', `unix://${path}`, '--key-file', keyFile];
    const first = await startPluginCli(t, args);

    assertOneError(
      await runCloak(['kms-plugin', ...args]),
      1,
      new RegExp(`^error: another server is listening on unix://${path}$`),
    );
    assert.equal((await client(t, path).status()).healthz, 'ok');

    assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
    assert.ok((await lstat(path)).isSocket(), 'a killed plugin leaves its socket behind');
    const second = await startPluginCli(t, args);
    assert.match(second.log(), /, replaced a stale socket\); pid/);
    assert.equal((await client(t, path).status()).healthz, 'ok');
    assert.equal(await second.stop('SIGINT'), 0);
    assert.match(second.log(), /stopped on SIGINT; removed the socket\n$/);
    await assert.rejects(lstat(path), { code: 'ENOENT' });

    leaveStaleSocket(path);
    assert.ok((await lstat(path)).isSocket());
    const third = await startPluginCli(t, args);
    assert.equal((await client(t, path).status()).healthz, 'ok');
    assert.equal(await third.stop(), 0);
  });

  test('a missing key file fails before anything listens', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'kms.sock');
    assertOneError(
      await runCloak(['kms-plugin', '--listen', `unix://${path}`, '--key-file', join(dir, 'kek')]),
      1,
      /key file .*kek does not exist \(make one with: cloak kms-plugin keygen/,
    );
    await assert.rejects(lstat(path), { code: 'ENOENT' });
  });

  test('Vault transit backend from flags and VAULT_TOKEN', async (t) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const fake = await startFakeVault(t, { token, mount: 'secrets/transit', keys: ['kube'] });
    const { path } = await socketPath(t);
    const plugin = await startPluginCli(
      t,
      [
        '--listen',
        `unix://${path}`,
        '--backend',
        'vault',
        '--vault-mount',
        'secrets/transit',
        '--vault-key',
        'kube',
      ],
      { VAULT_ADDR: fake.url, VAULT_TOKEN: token },
    );
    assert.match(
      plugin.log(),
      /\(Vault transit key http:\/\/127\.0\.0\.1:\d+\/v1\/secrets\/transit\/keys\/kube\)/,
    );
    const kms = client(t, path);
    const status = await kms.status();
    assert.deepEqual(status, {
      version: 'v2',
      healthz: 'ok',
      keyId: `${fake.url}/v1/secrets/transit/keys/kube#v1`,
    });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'u');
    assert.deepEqual(fake.open('kube', Buffer.from(wrapped.ciphertext).toString()), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'u' })), seed);
    assert.equal(await plugin.stop(), 0);
    assert.ok(!plugin.log().includes(token));
  });

  test("AWS KMS backend with the SDK's own environment (AWS_ENDPOINT_URL_KMS, access keys)", async (t) => {
    const ARN = 'arn:aws:kms:us-east-2:111122223333:key/0f0e0d0c-0b0a-0908-0706-050403020100';
    const user = {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    };
    const fake = await startFakeAws(t, { users: [user], keys: [ARN] });
    const { path } = await socketPath(t);
    const plugin = await startPluginCli(
      t,
      ['--listen', `unix://${path}`, '--backend', 'aws', '--aws-key-id', ARN],
      {
        AWS_ACCESS_KEY_ID: user.accessKeyId,
        AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
        AWS_ENDPOINT_URL_KMS: fake.url,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    );
    const kms = client(t, path);
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: ARN });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'u');
    assert.deepEqual(fake.open(Buffer.from(wrapped.ciphertext), undefined), seed);
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'u' })), seed);
    assert.equal(await plugin.stop(), 0);
    assert.ok(!plugin.log().includes(user.secretAccessKey));
  });

  test('GCP Cloud KMS backend with --gcp-endpoint and an access token; unhealthy when the token is refused', async (t) => {
    const ID = 'projects/cloak-test/locations/global/keyRings/kube/cryptoKeys/kek';
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    const fake = await startFakeGcpKms(t, { token, keys: [ID] });
    const { path } = await socketPath(t);
    const args = [
      '--listen',
      `unix://${path}`,
      '--backend',
      'gcp',
      '--gcp-key',
      ID,
      '--gcp-endpoint',
      fake.url,
    ];
    const plugin = await startPluginCli(t, args, { GOOGLE_OAUTH_ACCESS_TOKEN: token });
    const kms = client(t, path);
    assert.deepEqual(await kms.status(), { version: 'v2', healthz: 'ok', keyId: ID });
    const seed = randomBytes(32);
    const wrapped = await kms.encrypt(seed, 'u');
    assert.deepEqual(Buffer.from(await kms.decrypt({ ...wrapped, uid: 'u' })), seed);
    assert.equal(await plugin.stop(), 0);

    const wrong = `ya29.${randomBytes(24).toString('base64url')}`;
    const refused = await startPluginCli(t, args, { GOOGLE_OAUTH_ACCESS_TOKEN: wrong });
    const status = await client(t, path).status();
    assert.match(status.healthz, /UNAUTHENTICATED/);
    assert.equal(await refused.stop(), 0);
    assert.match(refused.log(), /cloak kms-plugin: unhealthy: GCP KMS key .*UNAUTHENTICATED/);
    assert.ok(!refused.log().includes(wrong));
  });
});
