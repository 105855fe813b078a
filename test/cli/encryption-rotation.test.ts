/**
 * The documented key rotation, as an operator runs it, with real components: a real etcd, `cloak dev cluster`
 * reading an EncryptionConfiguration with automatic reload, the real kubectl (including the
 * `kubectl get secrets -A -o json | kubectl replace -f -` pipeline) and the real etcdctl to look at what is
 * stored. `cloak encryption config generate`, `config rotate` (steps 1, 2, 3), `verify` and `decrypt` (from etcd
 * and from an `etcdctl get --prefix -w json` dump) are checked against the bytes in etcd.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEncryptionConfiguration, type KeyedProviderConfig } from '../../src/encryption/config.ts';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';
import { startEtcd, type Etcd } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/keys.ts';
import { runTool } from '../helpers/sops-tools.ts';

async function etcdctl(etcd: Etcd, args: readonly string[]): Promise<Buffer> {
  const result = await runTool('etcdctl', ['--endpoints', etcd.endpoint, ...args], {
    env: { PATH: process.env['PATH'], ETCDCTL_API: '3' },
  });
  assert.equal(result.code, 0, `etcdctl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The prefix of the stored value up to and including the key name: `k8s:enc:aesgcm:v1:<key>:`. */
async function storedPrefix(etcd: Etcd, key: string): Promise<string> {
  const value = await etcdctl(etcd, ['get', key, '--print-value-only']);
  assert.ok(value.length > 0, `${key} is not in etcd`);
  const text = value.toString('latin1');
  const match = /^k8s:enc:[a-z]+:v1:[^:]+:/.exec(text);
  return match ? match[0] : `(not encrypted: ${JSON.stringify(text.slice(0, 8))})`;
}

function keyNames(text: string): string[] {
  const provider = parseEncryptionConfiguration(text).resources[0]?.providers[0] as KeyedProviderConfig;
  return provider.keys.map((key) => key.name);
}

const RELOADED = /^cloak dev cluster: encryption configuration reloaded$/gm;

/** Runs `cloak encryption config rotate` and waits until the server has applied the new file. */
async function rotateAndReload(cluster: DevCluster, file: string, step: number): Promise<string> {
  const before = (cluster.output().match(RELOADED) ?? []).length;
  const result = await runCloak(['encryption', 'config', 'rotate', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith(`step ${step} of 3: `), result.stdout);
  const deadline = Date.now() + 10_000;
  while ((cluster.output().match(RELOADED) ?? []).length <= before) {
    if (Date.now() > deadline) assert.fail(`the server did not reload ${file}:\n${cluster.output()}`);
    await sleep(25);
  }
  return result.stdout;
}

/** `kubectl get secrets -A -o json | kubectl replace -f -`: two real kubectl processes, one pipe. */
async function kubectlReplaceAll(cluster: DevCluster, home: string): Promise<string> {
  const env = { PATH: process.env['PATH'], HOME: home, KUBECONFIG: cluster.kubeconfig };
  const get = spawn('kubectl', ['get', 'secrets', '-A', '-o', 'json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const replace = spawn('kubectl', ['replace', '-f', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  get.stdout.pipe(replace.stdin);
  let out = '';
  let err = '';
  replace.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  replace.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  get.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const closed = await Promise.all([once(get, 'close'), once(replace, 'close')]);
  const [getCode, replaceCode] = closed.map((args) => args[0] as number | null);
  assert.equal(getCode, 0, `kubectl get: ${err}`);
  assert.equal(replaceCode, 0, `kubectl replace: ${err}`);
  return out;
}

const SECRETS = [
  ['alpha', 'db', 'password', 'alpha-db-pw'],
  ['alpha', 'api', 'token', 'alpha-api-token'],
  ['beta', 'tls', 'key', 'beta-tls-key'],
] as const;

function manifests(): string {
  const docs: unknown[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'alpha' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'beta' } },
    ...SECRETS.map(([namespace, name, field, value]) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace, name },
      stringData: { [field]: value },
    })),
  ];
  return docs.map((doc) => JSON.stringify(doc)).join('\n');
}

test('key rotation: generate, rotate 1 → 2, kubectl replace pipeline, verify, rotate 3; decrypt from etcd and a dump', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'encryption.yaml');
  const [etcd, generated] = await Promise.all([
    startEtcd(t),
    runCloak(['encryption', 'config', 'generate', '--provider', 'aesgcm', '-o', file]),
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  const [key1] = keyNames(await readFile(file, 'utf8')) as [string];
  const prefix1 = `k8s:enc:aesgcm:v1:${key1}:`;

  const cluster = await startDevCluster(t, {
    storage: 'etcd',
    etcdEndpoint: etcd.endpoint,
    extraArgs: ['--encryption-provider-config', file, '--encryption-provider-config-automatic-reload'],
  });
  await kubectlOk(cluster, ['create', '-f', '-'], manifests());
  const keys = SECRETS.map(([namespace, name]) => `/registry/secrets/${namespace}/${name}`);
  for (const key of keys) assert.equal(await storedPrefix(etcd, key), prefix1, key);
  const verify = (): Promise<Awaited<ReturnType<typeof runCloak>>> =>
    runCloak(['encryption', 'verify', '--etcd-endpoints', etcd.endpoint, '--config', file]);

  // Step 1: the new key is second; once the server has the file, writes still use the old key.
  await rotateAndReload(cluster, file, 1);
  const [, key2] = keyNames(await readFile(file, 'utf8')) as [string, string];
  const prefix2 = `k8s:enc:aesgcm:v1:${key2}:`;
  assert.notEqual(key2, key1);
  await kubectlOk(cluster, [
    '-n',
    'beta',
    'create',
    'secret',
    'generic',
    'after-step1',
    '--from-literal=v=one',
  ]);
  assert.equal(await storedPrefix(etcd, '/registry/secrets/beta/after-step1'), prefix1);

  // Step 2: the new key writes.
  await rotateAndReload(cluster, file, 2);
  assert.deepEqual(keyNames(await readFile(file, 'utf8')), [key2, key1]);
  await kubectlOk(cluster, [
    '-n',
    'beta',
    'create',
    'secret',
    'generic',
    'after-step2',
    '--from-literal=v=two',
  ]);
  assert.equal(await storedPrefix(etcd, '/registry/secrets/beta/after-step2'), prefix2);

  // Before the rewrite, verify names every object still under the old key and exits 1.
  const stale = await verify();
  assert.equal(stale.code, 1, stale.stderr);
  const staleReason = `STALE: needs rewrite: written with aesgcm key "${key1}", the configuration writes with aesgcm key "${key2}"`;
  for (const key of [...keys, '/registry/secrets/beta/after-step1']) {
    assert.match(
      stale.stdout,
      new RegExp(`^${key} +aesgcm key "${key1}" +${staleReason.replace(/[()]/g, '\\$&')}$`, 'm'),
    );
  }
  assert.match(
    stale.stdout,
    new RegExp(`^/registry/secrets/beta/after-step2 +aesgcm key "${key2}" +ok$`, 'm'),
  );
  assert.ok(
    stale.stdout.endsWith(
      `secrets: 5 objects\n       4  aesgcm key "${key1}"\n       1  aesgcm key "${key2}"\n  written now with: aesgcm key "${key2}"\nFAIL: 4 stale (not under the current write key: cloak encryption rewrite)\n`,
    ),
    stale.stdout,
  );
  const dumpBefore = join(dir, 'before.json');
  await writeFile(dumpBefore, await etcdctl(etcd, ['get', '--prefix', '/registry/', '-w', 'json']));

  // The documented re-encryption: every secret read and replaced unchanged.
  const replaced = await kubectlReplaceAll(cluster, dir);
  // In list order: by namespace, then name.
  assert.equal(
    replaced,
    ['api', 'db', 'after-step1', 'after-step2', 'tls'].map((name) => `secret/${name} replaced\n`).join(''),
  );
  for (const key of [...keys, '/registry/secrets/beta/after-step1']) {
    assert.equal(await storedPrefix(etcd, key), prefix2, key);
  }
  const clean = await verify();
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.deepEqual(
    clean.stdout
      .split('\n')
      .slice(0, 6)
      .map((line) => line.replace(/ {2,}/g, ' | ')),
    [
      'KEY | STORED WITH | STATE',
      ...['alpha/api', 'alpha/db', 'beta/after-step1', 'beta/after-step2', 'beta/tls'].map(
        (ref) => `/registry/secrets/${ref} | aesgcm key "${key2}" | ok`,
      ),
    ],
  );
  assert.ok(
    clean.stdout.endsWith(
      `secrets: 5 objects\n       5  aesgcm key "${key2}"\n  written now with: aesgcm key "${key2}"\nOK: every object is encrypted under the current write provider and key\n`,
    ),
    clean.stdout,
  );

  // Step 3: the old key goes; the server reloads and still reads every secret.
  await rotateAndReload(cluster, file, 3);
  assert.deepEqual(keyNames(await readFile(file, 'utf8')), [key2]);
  for (const [namespace, name, field, value] of SECRETS) {
    const encoded = await kubectlOk(cluster, [
      '-n',
      namespace,
      'get',
      'secret',
      name,
      '-o',
      `jsonpath={.data.${field}}`,
    ]);
    assert.equal(Buffer.from(encoded, 'base64').toString('utf8'), value);
  }
  assert.equal((await verify()).code, 0);

  // Disaster recovery from etcd: the object as kubectl would print it.
  const fromEtcd = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    file,
    '--etcd-endpoints',
    etcd.endpoint,
    '/registry/secrets/alpha/db',
  ]);
  assert.equal(fromEtcd.code, 0, fromEtcd.stderr);
  const live = await kubectlOk(cluster, ['-n', 'alpha', 'get', 'secret', 'db', '-o', 'yaml']);
  assert.equal(fromEtcd.stdout, live);

  // From a dump taken after the rewrite: every secret opens.
  const dumpAfter = join(dir, 'after.json');
  await writeFile(dumpAfter, await etcdctl(etcd, ['get', '--prefix', '/registry/', '-w', 'json']));
  const all = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    file,
    '--from-dump',
    dumpAfter,
    '-o',
    'json',
  ]);
  assert.equal(all.code, 0, all.stderr);
  const list = JSON.parse(all.stdout) as {
    kind: string;
    items: { metadata: { namespace: string; name: string }; data: Record<string, string> }[];
  };
  assert.equal(list.kind, 'List');
  assert.deepEqual(
    list.items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`),
    ['alpha/api', 'alpha/db', 'beta/after-step1', 'beta/after-step2', 'beta/tls'],
  );
  assert.equal(Buffer.from(list.items[1]?.data['password'] ?? '', 'base64').toString(), 'alpha-db-pw');

  // The dump from before the rewrite holds values under the removed key: named, or skipped with a warning.
  const old = await runCloak(['encryption', 'decrypt', '--config', file, '--from-dump', dumpBefore]);
  assert.equal(old.code, 1);
  assert.equal(old.stdout, '');
  const unreadable = (key: string): string =>
    `cannot decrypt ${key} (resource secrets): aesgcm: the value was written with key "${key1}", which is not configured`;
  const oldKeys = [
    '/registry/secrets/alpha/api',
    '/registry/secrets/alpha/db',
    '/registry/secrets/beta/after-step1',
    '/registry/secrets/beta/tls',
  ];
  assert.equal(old.stderr, oldKeys.map((key) => `error: ${unreadable(key)}\n`).join(''));
  const skipped = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    file,
    '--from-dump',
    dumpBefore,
    '--skip-unreadable',
  ]);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.equal(skipped.stderr, oldKeys.map((key) => `warning: ${unreadable(key)} (skipped)\n`).join(''));
  assert.ok(
    skipped.stdout.startsWith(
      'apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    v: dHdv\n  kind: Secret\n',
    ),
    skipped.stdout,
  );
  assert.ok(skipped.stdout.includes('\n    name: after-step2\n    namespace: beta\n'), skipped.stdout);
});
