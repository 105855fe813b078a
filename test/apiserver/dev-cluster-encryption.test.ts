/**
 * Encryption at rest in `cloak dev cluster` on a real etcd, checked the way an operator would: secrets made with
 * kubectl, their stored bytes read back with the real etcdctl. One etcd serves the whole file; each subtest starts
 * its own server(s), with no secrets stored.
 *
 * - Every provider writes kube-apiserver's prefix (aescbc, aesgcm, secretbox with the key name, KMS v2 with the
 *   provider name through a real `cloak kms-plugin`), the plaintext is never stored, kubectl reads it back;
 *   identity stores the k8s protobuf envelope.
 * - A malformed EncryptionConfiguration stops the server before it serves or writes anything; with automatic
 *   reload a malformed edit (or one whose KMS plugin does not answer) is reported once and ignored.
 * - A KMS plugin that goes away: values whose seed is cached stay readable, and writes go on encrypted while the
 *   write state lives (3 minutes after the last healthy status, as in kube). A server that starts while its
 *   plugin is down or unhealthy: writes fail naming the provider, nothing is stored, /healthz/kms-providers fails.
 * - A key removed while values use it: those reads fail naming the key, everything else is served, the value
 *   stays in etcd, and putting the key back makes it readable; a read through an older key is stale, and the
 *   next update (even an unchanged `kubectl replace`) rewrites it with the current key.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';
import { startEtcd, type Etcd } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/keys.ts';
import { rawClient } from '../helpers/raw-api.ts';
import { independentDecrypt } from '../encryption/independent.ts';
import { startPluginCli } from '../kms/helpers.ts';

const run = promisify(execFile);

// --- etcd through etcdctl ----------------------------------------------------------------------------------

async function etcdctl(etcd: Etcd, args: readonly string[]): Promise<Buffer> {
  const { stdout } = await run('etcdctl', ['--endpoints', etcd.endpoint, ...args], {
    encoding: 'buffer',
    env: { PATH: process.env['PATH'], ETCDCTL_API: '3' },
  });
  return stdout;
}

/** The stored value of `key`, as etcdctl prints it (without its closing newline); undefined when absent. */
async function stored(etcd: Etcd, key: string): Promise<Buffer | undefined> {
  const out = await etcdctl(etcd, ['get', key, '--print-value-only']);
  if (out.length === 0) return undefined;
  return out.at(-1) === 0x0a ? out.subarray(0, -1) : out;
}

async function storedKeys(etcd: Etcd, prefix: string): Promise<string[]> {
  const out = (await etcdctl(etcd, ['get', prefix, '--prefix', '--keys-only'])).toString('utf8');
  return out.split('\n').filter(Boolean);
}

const secretKey = (name: string): string => `/registry/secrets/default/${name}`;

function assertPrefix(value: Buffer | undefined, prefix: string): Buffer {
  assert.ok(value, 'the value is in etcd');
  assert.equal(value.subarray(0, prefix.length).toString('latin1'), prefix);
  return value;
}

function assertNoPlaintext(value: Buffer, plain: string): void {
  assert.ok(!value.includes(Buffer.from(plain)), 'the stored value holds the plaintext');
  assert.ok(
    !value.includes(Buffer.from(Buffer.from(plain).toString('base64'))),
    'the stored value holds it in base64',
  );
  assert.ok(!value.includes(Buffer.from('Secret')), 'the stored value shows the kind');
}

// --- configuration files -----------------------------------------------------------------------------------

type Provider = Record<string, unknown>;

function encryptionConfig(
  providers: readonly Provider[],
  resources: readonly string[] = ['secrets'],
): string {
  return `${JSON.stringify(
    {
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources, providers }],
    },
    null,
    2,
  )}\n`;
}

const key = (bytes = 32): string => randomBytes(bytes).toString('base64');
const keyed = (type: string, ...keys: [string, string][]): Provider => ({
  [type]: { keys: keys.map(([name, secret]) => ({ name, secret })) },
});
const IDENTITY: Provider = { identity: {} };

/** Replaces the file in one step, as an editor or a config management tool would (never seen half-written). */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

// --- the server --------------------------------------------------------------------------------------------

async function startEncrypted(
  t: TestContext,
  etcd: Etcd,
  configPath: string,
  extraArgs: readonly string[] = [],
): Promise<DevCluster> {
  return startDevCluster(t, {
    storage: 'etcd',
    etcdEndpoint: etcd.endpoint,
    extraArgs: ['--encryption-provider-config', configPath, '--compaction-interval', '0', ...extraArgs],
  });
}

async function createSecret(cluster: DevCluster, name: string, value: string): Promise<void> {
  await kubectlOk(cluster, ['create', 'secret', 'generic', name, `--from-literal=x=${value}`]);
}

async function readValue(cluster: DevCluster, name: string): Promise<string> {
  const encoded = await kubectlOk(cluster, ['get', 'secret', name, '-o', 'jsonpath={.data.x}']);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** Waits until the server's output has `count` lines matching `pattern`. */
async function waitForLog(
  cluster: DevCluster,
  pattern: RegExp,
  count = 1,
  timeoutMs = 8000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}gm`);
  for (;;) {
    const lines = cluster.output().match(global) ?? [];
    if (lines.length >= count) return lines;
    if (Date.now() > deadline)
      assert.fail(`no ${count}× ${pattern} in the server's output:\n${cluster.output()}`);
    await sleep(50);
  }
}

const RELOADED = /^cloak dev cluster: encryption configuration reloaded$/;

/** Writes a new configuration and waits for the server to apply it. */
async function reload(cluster: DevCluster, path: string, text: string): Promise<void> {
  const before = (cluster.output().match(new RegExp(RELOADED.source, 'gm')) ?? []).length;
  await replaceFile(path, text);
  await waitForLog(cluster, RELOADED, before + 1);
}

async function startKmsPlugin(
  t: TestContext,
  dir: string,
): Promise<{ socket: string; keyFile: string; stop(): Promise<unknown> }> {
  const keyFile = join(dir, 'kek');
  const made = await runCloak(['kms-plugin', 'keygen', '--key-file', keyFile]);
  assert.equal(made.code, 0, made.stderr);
  const socket = join(dir, 'kms.sock');
  const plugin = await startPluginCli(t, ['--listen', `unix://${socket}`, '--key-file', keyFile]);
  return { socket, keyFile, stop: () => plugin.stop('SIGTERM') };
}

// --- the tests ---------------------------------------------------------------------------------------------

test('encryption at rest on etcd', async (t) => {
  const etcd = await startEtcd(t);
  // Each step starts with no secrets stored (a failed step may have left some behind).
  const step = (name: string, body: (t: TestContext) => Promise<void>) =>
    t.test(name, async (t) => {
      await etcdctl(etcd, ['del', '/registry/secrets/', '--prefix']);
      await body(t);
    });

  await step(
    'each provider writes its prefix; kubectl reads the value back; identity stores the protobuf envelope',
    async (t) => {
      const dir = await tempDir(t);
      const plugin = await startKmsPlugin(t, dir);
      const cases: { name: string; provider: Provider; prefix: string }[] = [
        {
          name: 'aescbc',
          provider: keyed('aescbc', ['cbc-key', key()]),
          prefix: 'k8s:enc:aescbc:v1:cbc-key:',
        },
        {
          name: 'aesgcm',
          provider: keyed('aesgcm', ['gcm-key', key(16)]),
          prefix: 'k8s:enc:aesgcm:v1:gcm-key:',
        },
        {
          name: 'secretbox',
          provider: keyed('secretbox', ['box-key', key()]),
          prefix: 'k8s:enc:secretbox:v1:box-key:',
        },
        {
          name: 'kms',
          provider: {
            kms: { apiVersion: 'v2', name: 'local-kek', endpoint: `unix://${plugin.socket}`, timeout: '2s' },
          },
          prefix: 'k8s:enc:kms:v2:local-kek:',
        },
      ];
      // Identity first (it also lays down the namespaces and RBAC objects every server would make), then the
      // four providers side by side, each its own server.
      const identity = join(dir, 'identity.json');
      await writeFile(identity, encryptionConfig([IDENTITY]));
      const plainServer = await startEncrypted(t, etcd, identity);
      await createSecret(plainServer, 's-identity', 'in-the-clear');
      const clear = await stored(etcd, secretKey('s-identity'));
      assert.ok(clear);
      assert.deepEqual([...clear.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00], 'k8s\\0: the protobuf envelope');
      assert.ok(clear.includes(Buffer.from('in-the-clear')));
      await plainServer.stop();

      await Promise.all(
        cases.map(async ({ name, provider, prefix }) => {
          const config = join(dir, `${name}.json`);
          await writeFile(config, encryptionConfig([provider]));
          const cluster = await startEncrypted(t, etcd, config);
          const plain = `${name}-${randomBytes(6).toString('hex')}`;
          await createSecret(cluster, `s-${name}`, plain);
          const value = assertPrefix(await stored(etcd, secretKey(`s-${name}`)), prefix);
          assertNoPlaintext(value, plain);
          if (name !== 'kms') {
            // Made by this provider's layout, not only its prefix: an independent decryptor opens it.
            const { keys } = provider[name] as { keys: { name: string; secret: string }[] };
            const [{ name: keyName, secret }] = keys as [{ name: string; secret: string }];
            const opened = independentDecrypt(value, secretKey(`s-${name}`), {
              [name]: { [keyName]: Buffer.from(secret, 'base64') },
            });
            assert.deepEqual([...opened.plain.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
            assert.ok(opened.plain.includes(Buffer.from(plain)));
          }
          assert.equal(await readValue(cluster, `s-${name}`), plain);
          await cluster.stop();
        }),
      );
    },
  );

  await step(
    'a malformed configuration: one error line naming the problem, nothing served or stored',
    async (t) => {
      const dir = await tempDir(t);
      const cases: { name: string; text: string; problem: RegExp }[] = [
        {
          name: 'short-key',
          text: encryptionConfig([keyed('aescbc', ['k1', key(20)])]),
          problem:
            /resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 20, expected one of \[16 24 32\]$/,
        },
        {
          name: 'bad-base64',
          text: encryptionConfig([keyed('secretbox', ['k1', 'not*base64!'])]),
          problem:
            /resources\[0\]\.providers\[0\]\.secretbox\.keys\[0\]\.secret: Invalid value: "REDACTED": secrets must be base64 encoded$/,
        },
        {
          name: 'masked',
          text: JSON.stringify({
            apiVersion: 'apiserver.config.k8s.io/v1',
            kind: 'EncryptionConfiguration',
            resources: [
              { resources: ['*.*'], providers: [IDENTITY] },
              { resources: ['secrets'], providers: [keyed('aesgcm', ['k1', key()])] },
            ],
          }),
          problem: /: resource "secrets" is masked by earlier rule "\*\.\*"$/,
        },
        {
          name: 'kms-cachesize',
          text: encryptionConfig([
            {
              kms: {
                apiVersion: 'v2',
                name: 'p',
                endpoint: `unix://${join(dir, 'kms.sock')}`,
                cachesize: 100,
              },
            },
          ]),
          problem:
            /resources\[0\]\.providers\[0\]\.kms\.cachesize: Invalid value: 100: cachesize is not supported in v2$/,
        },
        { name: 'missing', text: '', problem: /: cannot read the file: no such file or directory$/ },
      ];
      const keysBefore = await storedKeys(etcd, '/');
      await Promise.all(
        cases.map(async ({ name, text, problem }) => {
          const config = join(dir, `${name}.yaml`);
          if (name !== 'missing') await writeFile(config, text);
          const dataDir = join(dir, `data-${name}`);
          const result = await runCloak([
            'dev',
            'cluster',
            '--data-dir',
            dataDir,
            '--listen',
            '127.0.0.1:0',
            '--storage',
            'etcd',
            '--etcd-endpoints',
            etcd.endpoint,
            '--encryption-provider-config',
            config,
          ]);
          assert.equal(result.code, 1, `${name}: exit status\n${result.stderr}`);
          assert.equal(result.stdout, '', `${name}: nothing on stdout (no "serving" line)`);
          const lines = result.stderr.trimEnd().split('\n');
          assert.equal(lines.length, 1, `${name}: one line, no stack trace:\n${result.stderr}`);
          assert.ok(lines[0]?.startsWith(`error: ${config}: `), lines[0]);
          assert.match(lines[0] ?? '', problem);
          // Nothing in the data directory: no kubeconfig (it would point at a server that never ran), no
          // SQLite state, no CA or token.
          await assert.rejects(access(dataDir), { code: 'ENOENT' });
        }),
      );
      assert.deepEqual(await storedKeys(etcd, '/'), keysBefore, 'nothing was written to etcd');
    },
  );

  await step(
    'automatic reload: a malformed edit is reported once and ignored; the next good one applies',
    async (t) => {
      const dir = await tempDir(t);
      const config = join(dir, 'encryption.yaml');
      const keyA = key();
      await writeFile(config, encryptionConfig([keyed('aescbc', ['key-a', keyA])]));
      const cluster = await startEncrypted(t, etcd, config, [
        '--encryption-provider-config-automatic-reload',
      ]);
      await createSecret(cluster, 'before', 'value-before');

      await replaceFile(
        config,
        encryptionConfig([keyed('aesgcm', ['key-b', key(20)]), keyed('aescbc', ['key-a', keyA])]),
      );
      const problem = new RegExp(
        `^cloak dev cluster: encryption configuration reload: ${config}: resources\\[0\\]\\.providers\\[0\\]\\.aesgcm\\.keys\\[0\\]\\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 20, expected one of \\[16 24 32\\] \\(not applied; the previous configuration stays in force\\)$`,
      );
      await waitForLog(cluster, problem);
      assert.equal(await readValue(cluster, 'before'), 'value-before');
      await createSecret(cluster, 'during', 'value-during');
      assertPrefix(await stored(etcd, secretKey('during')), 'k8s:enc:aescbc:v1:key-a:');
      await sleep(1600); // the file is checked every second: the same problem is not reported again
      assert.equal(cluster.output().match(new RegExp(problem.source, 'gm'))?.length, 1, cluster.output());
      assert.doesNotMatch(cluster.output(), /encryption configuration reloaded/);

      // Valid, but its KMS plugin does not answer: kube's reload controller keeps the old configuration.
      const absent = `unix://${join(dir, 'absent.sock')}`;
      await replaceFile(
        config,
        encryptionConfig([
          { kms: { apiVersion: 'v2', name: 'absent', endpoint: absent, timeout: '1s' } },
          keyed('aescbc', ['key-a', keyA]),
        ]),
      );
      await waitForLog(
        cluster,
        new RegExp(
          `^cloak dev cluster: encryption configuration reload: ${config}: kms provider "absent" is not healthy: status call failed: .* \\(not applied; the previous configuration stays in force\\)$`,
        ),
      );
      await createSecret(cluster, 'still-a', 'value-still-a');
      assertPrefix(await stored(etcd, secretKey('still-a')), 'k8s:enc:aescbc:v1:key-a:');
      assert.doesNotMatch(cluster.output(), /encryption configuration reloaded/);

      await reload(
        cluster,
        config,
        encryptionConfig([keyed('secretbox', ['key-c', key()]), keyed('aescbc', ['key-a', keyA])]),
      );
      await createSecret(cluster, 'after', 'value-after');
      assertPrefix(await stored(etcd, secretKey('after')), 'k8s:enc:secretbox:v1:key-c:');
      assert.equal(await readValue(cluster, 'during'), 'value-during');
      assert.doesNotMatch(
        cluster.output(),
        new RegExp(keyA.replace(/[+/=]/g, '\\$&')),
        'the log shows a key',
      );
      await cluster.stop();
    },
  );

  await step(
    'a key removed while values use it: those reads fail naming the key, the rest is served, nothing is lost',
    async (t) => {
      const dir = await tempDir(t);
      const config = join(dir, 'encryption.yaml');
      const keyA = key();
      const keyB = key();
      await writeFile(config, encryptionConfig([keyed('aesgcm', ['key-a', keyA])]));
      const first = await startEncrypted(t, etcd, config);
      await createSecret(first, 'under-a', 'value-a');
      await createSecret(first, 'also-under-a', 'value-a2');
      const storedA = assertPrefix(await stored(etcd, secretKey('under-a')), 'k8s:enc:aesgcm:v1:key-a:');
      await first.stop();

      // A restart with a configuration that lacks key-a: the server starts and serves the rest.
      await writeFile(config, encryptionConfig([keyed('aesgcm', ['key-b', keyB])]));
      const cluster = await startEncrypted(t, etcd, config, [
        '--encryption-provider-config-automatic-reload',
      ]);
      const failed = await cluster.kubectl(['get', 'secret', 'under-a', '-o', 'jsonpath={.data.x}']);
      assert.equal(failed.code, 1);
      assert.equal(failed.stdout, '');
      assert.match(
        failed.stderr,
        /^Error from server \(InternalError\): Internal error occurred: unable to transform key "\/registry\/secrets\/default\/under-a": cannot decrypt \/registry\/secrets\/default\/under-a \(resource secrets\): aesgcm: the value was written with key "key-a", which is not configured\n$/,
      );
      const api = await rawClient(cluster);
      const response = await api.send('GET', '/api/v1/namespaces/default/secrets/under-a');
      assert.equal(response.status, 500);
      assert.equal(response.json()['reason'], 'InternalError');
      await createSecret(cluster, 'under-b', 'value-b');
      assertPrefix(await stored(etcd, secretKey('under-b')), 'k8s:enc:aesgcm:v1:key-b:');
      assert.equal(await readValue(cluster, 'under-b'), 'value-b');
      await kubectlOk(cluster, ['get', 'namespace', 'default']);
      assert.equal((await api.send('GET', '/readyz')).status, 200);
      assert.deepEqual(await stored(etcd, secretKey('under-a')), storedA, 'the value is kept as it was');

      // The key back, second: readable again, and stale — the next update rewrites it with key-b, even one that
      // changes nothing (the documented `kubectl get secrets -o json | kubectl replace -f -` migration).
      await reload(cluster, config, encryptionConfig([keyed('aesgcm', ['key-b', keyB], ['key-a', keyA])]));
      assert.equal(await readValue(cluster, 'under-a'), 'value-a');
      assert.deepEqual(await stored(etcd, secretKey('under-a')), storedA, 'a read does not rewrite');
      await kubectlOk(cluster, ['label', 'secret', 'under-a', 'rotated=yes']);
      assertPrefix(await stored(etcd, secretKey('under-a')), 'k8s:enc:aesgcm:v1:key-b:');
      const unchanged = await kubectlOk(cluster, ['get', 'secret', 'also-under-a', '-o', 'json']);
      await kubectlOk(cluster, ['replace', '-f', '-'], unchanged);
      assertPrefix(await stored(etcd, secretKey('also-under-a')), 'k8s:enc:aesgcm:v1:key-b:');
      assert.equal(await readValue(cluster, 'also-under-a'), 'value-a2');
      assert.equal(await readValue(cluster, 'under-a'), 'value-a');
      await cluster.stop();
    },
  );

  await step(
    'KMS plugin down or unhealthy: writes fail naming the provider, nothing in plaintext, cached seeds read',
    async (t) => {
      const dir = await tempDir(t);
      const plugin = await startKmsPlugin(t, dir);
      const config = join(dir, 'encryption.yaml');
      const provider = {
        kms: { apiVersion: 'v2', name: 'kek', endpoint: `unix://${plugin.socket}`, timeout: '2s' },
      };
      await writeFile(config, encryptionConfig([provider]));
      const first = await startEncrypted(t, etcd, config);
      await createSecret(first, 'kms-kept', 'kept-value');
      assertPrefix(await stored(etcd, secretKey('kms-kept')), 'k8s:enc:kms:v2:kek:');

      // The plugin goes away: the seed is cached, so reads go on; so do writes, until the write state (3 minutes
      // from the last healthy status) expires, as in kube — and they stay encrypted.
      await plugin.stop();
      assert.equal(await readValue(first, 'kms-kept'), 'kept-value');
      await createSecret(first, 'kms-while-down', 'written-while-down');
      assertNoPlaintext(
        assertPrefix(await stored(etcd, secretKey('kms-while-down')), 'k8s:enc:kms:v2:kek:'),
        'written-while-down',
      );
      await first.stop();

      // Started while the plugin is down: no seed to write with.
      const down = await startEncrypted(t, etcd, config);
      const api = await rawClient(down);
      const health = await api.send('GET', '/healthz/kms-providers');
      assert.equal(health.status, 500, health.text);
      assert.match(
        health.text,
        /^\[-\]kms-providers failed: kek: kms provider "kek" is not healthy: status call failed: /m,
      );
      assert.equal((await api.send('GET', '/readyz')).status, 500);
      const write = await api.send('POST', '/api/v1/namespaces/default/secrets', {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'kms-refused' },
          stringData: { x: 'refused-value' },
        }),
      });
      assert.equal(write.status, 500, write.text);
      assert.match(
        String(write.json()['message']),
        /kms provider "kek" has no DEK seed to encrypt with: kms provider "kek" is not healthy: status call failed/,
      );
      assert.doesNotMatch(write.text, /refused-value/);
      const refused = await down.kubectl([
        'create',
        'secret',
        'generic',
        'kms-refused',
        '--from-literal=x=refused-value',
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /kms provider "kek"/);
      assert.equal(await stored(etcd, secretKey('kms-refused')), undefined, 'nothing stored');
      await down.stop();

      // A plugin that answers but is unhealthy (its key file broke): the same, with the plugin's reason.
      const restarted = await startPluginCli(t, [
        '--listen',
        `unix://${plugin.socket}`,
        '--key-file',
        plugin.keyFile,
      ]);
      await writeFile(plugin.keyFile, 'not a key file\n');
      const unhealthy = await startEncrypted(t, etcd, config);
      const unhealthyApi = await rawClient(unhealthy);
      const report = await unhealthyApi.send('GET', '/healthz/kms-providers');
      assert.equal(report.status, 500);
      assert.match(
        report.text,
        /kms provider "kek" is not healthy: got unexpected healthz status: .*key file/,
      );
      const unhealthyWrite = await unhealthy.kubectl([
        'create',
        'secret',
        'generic',
        'kms-refused',
        '--from-literal=x=refused-value',
      ]);
      assert.equal(unhealthyWrite.code, 1);
      assert.match(unhealthyWrite.stderr, /kms provider "kek" has no DEK seed to encrypt with/);
      assert.equal(await stored(etcd, secretKey('kms-refused')), undefined, 'nothing stored');
      assert.equal((await storedKeys(etcd, '/registry/secrets/')).length, 2);
      await unhealthy.stop();
      await restarted.stop();
      for (const log of [first.output(), down.output(), unhealthy.output(), restarted.log()]) {
        assert.ok(!log.includes('refused-value') && !log.includes('kept-value'), 'a value in a log');
      }
    },
  );
});
