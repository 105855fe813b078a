/**
 * Turning encryption on for a cluster that stored secrets in plain text, then rotating its key, with
 * `cloak encryption rewrite` doing the re-encryption, on real components: a real etcd, `cloak dev cluster` with an
 * EncryptionConfiguration it reloads, the real kubectl and etcdctl. `verify` names the plaintext objects; a
 * rewrite that cannot update some objects (RBAC) fails naming them, keeps a checkpoint, and the rerun resumes
 * from it; progress goes to stderr.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEncryptionConfiguration, type KeyedProviderConfig } from '../../src/encryption/config.ts';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';
import { startEtcd, type Etcd } from '../helpers/etcd.ts';
import { tempDir } from '../helpers/keys.ts';
import { runTool } from '../helpers/sops-tools.ts';

async function storedValue(etcd: Etcd, key: string): Promise<string> {
  const result = await runTool('etcdctl', ['--endpoints', etcd.endpoint, 'get', key, '--print-value-only'], {
    env: { PATH: process.env['PATH'], ETCDCTL_API: '3' },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.length > 0, `${key} is not in etcd`);
  return result.stdout.toString('latin1');
}

const RELOADED = /^cloak dev cluster: encryption configuration reloaded$/gm;

async function waitForReload(cluster: DevCluster, before: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((cluster.output().match(RELOADED) ?? []).length <= before) {
    if (Date.now() > deadline)
      assert.fail(`the server did not reload its configuration:\n${cluster.output()}`);
    await sleep(25);
  }
}

const reloads = (cluster: DevCluster): number => (cluster.output().match(RELOADED) ?? []).length;

function firstKeys(text: string): string[] {
  const provider = parseEncryptionConfiguration(text).resources[0]?.providers[0] as KeyedProviderConfig;
  return provider.keys.map((key) => key.name);
}

const NAMESPACES = ['a', 'b', 'c'];
const KEYS = NAMESPACES.flatMap((ns) => [`/registry/secrets/${ns}/s1`, `/registry/secrets/${ns}/s2`]);

/** Namespaces, two secrets in each, and a ServiceAccount that may read every secret but update only in a and c. */
function manifests(): string {
  const docs: unknown[] = [
    ...NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    ...NAMESPACES.flatMap((namespace) =>
      ['s1', 's2'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { namespace, name },
        stringData: { value: `${namespace}-${name}-plain` },
      })),
    ),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'default', name: 'rewriter' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-updater' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['update'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rewriter-reads' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'rewriter' }],
    },
    ...['a', 'c'].map((namespace) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { namespace, name: 'rewriter-updates' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-updater' },
      subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'rewriter' }],
    })),
  ];
  return docs.map((doc) => JSON.stringify(doc)).join('\n');
}

const IDENTITY_ONLY =
  'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n';

test('plain text → aescbc with a resumable rewrite, then a key rotation moved by rewrite', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'encryption.yaml');
  await writeFile(file, IDENTITY_ONLY, { mode: 0o600 });
  const etcd = await startEtcd(t);
  const cluster = await startDevCluster(t, {
    storage: 'etcd',
    etcdEndpoint: etcd.endpoint,
    extraArgs: ['--encryption-provider-config', file, '--encryption-provider-config-automatic-reload'],
  });
  await kubectlOk(cluster, ['create', '-f', '-'], manifests());
  for (const key of KEYS)
    assert.ok((await storedValue(etcd, key)).startsWith('k8s\0'), `${key} is not plain`);

  // Plain text is what verify is for: every object named, exit 1.
  const plain = await runCloak(['encryption', 'verify', '--etcd-endpoints', etcd.endpoint]);
  assert.equal(plain.code, 1, plain.stderr);
  assert.equal(
    plain.stdout,
    [
      'KEY                     STORED WITH           STATE',
      ...KEYS.map((key) => `${key}  identity (plaintext)  PLAINTEXT`),
      '',
      'secrets: 6 objects',
      '       6  identity (plaintext)',
      'FAIL: 6 stored in plain text',
      '',
    ].join('\n'),
  );

  // Turn encryption on: aescbc first, identity still reads what is stored.
  let before = reloads(cluster);
  const generated = await runCloak([
    'encryption',
    'config',
    'generate',
    '--provider',
    'aescbc',
    '-o',
    file,
    '--force',
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  await waitForReload(cluster, before);
  const [key1] = firstKeys(await readFile(file, 'utf8')) as [string];
  const configured = await runCloak([
    'encryption',
    'verify',
    '--etcd-endpoints',
    etcd.endpoint,
    '--config',
    file,
  ]);
  assert.equal(configured.code, 1);
  assert.ok(
    configured.stdout.endsWith(
      `secrets: 6 objects\n       6  identity (plaintext)\n  written now with: aescbc key "${key1}"\nFAIL: 6 stored in plain text\n`,
    ),
    configured.stdout,
  );

  // The rewriter may not update secrets in namespace b: those fail, the rest is rewritten, the checkpoint stays.
  const token = (await kubectlOk(cluster, ['-n', 'default', 'create', 'token', 'rewriter'])).trim();
  const checkpoint = join(dir, 'rewrite.checkpoint');
  const rewrite = (): ReturnType<typeof runCloak> =>
    runCloak([
      'encryption',
      'rewrite',
      '--kubeconfig',
      cluster.kubeconfig,
      '--token',
      token,
      '--checkpoint',
      checkpoint,
      '--batch',
      '2',
    ]);
  const partial = await rewrite();
  assert.equal(partial.code, 1);
  assert.equal(partial.stdout, 'secrets: 4 rewritten, 2 failed\n');
  const forbidden = (name: string): string =>
    `failed: secrets b/${name}: secrets "${name}" is forbidden: User "system:serviceaccount:default:rewriter" cannot update resource "secrets" in API group "" in the namespace "b"\n`;
  // b/s1 and b/s2 are written at the same time: their lines come in either order.
  const [first, second] = partial.stderr.startsWith(forbidden('s2'), 'rewrote 2/6 secrets\n'.length)
    ? ['s2', 's1']
    : ['s1', 's2'];
  assert.equal(
    partial.stderr,
    'rewrote 2/6 secrets\n' +
      forbidden(first) +
      forbidden(second) +
      'rewrote 4/6 secrets\n' +
      'rewrote 6/6 secrets\n' +
      `error: 2 objects could not be rewritten (see above); run again with --checkpoint ${checkpoint} to retry from the first failure\n`,
  );
  assert.ok(!partial.stderr.includes('-plain') && !partial.stdout.includes('-plain'), 'a value was printed');
  // Done up to the first failure.
  assert.deepEqual(JSON.parse(await readFile(checkpoint, 'utf8')), {
    kind: 'cloak.dev/encryption-rewrite-checkpoint',
    scope: 'all-namespaces',
    resources: { secrets: { last: 'a/s2', done: 4 } },
  });
  const prefix1 = `k8s:enc:aescbc:v1:${key1}:`;
  for (const key of KEYS) {
    const value = await storedValue(etcd, key);
    if (key.startsWith('/registry/secrets/b/')) assert.ok(value.startsWith('k8s\0'), key);
    else assert.ok(value.startsWith(prefix1), key);
  }
  const half = await runCloak(['encryption', 'verify', '--etcd-endpoints', etcd.endpoint, '--config', file]);
  assert.equal(half.code, 1);
  assert.deepEqual(
    half.stdout
      .split('\n')
      .filter((line) => line.endsWith('PLAINTEXT'))
      .map((line) => line.replace(/ {2,}/g, ' | ')),
    [
      '/registry/secrets/b/s1 | identity (plaintext) | PLAINTEXT',
      '/registry/secrets/b/s2 | identity (plaintext) | PLAINTEXT',
    ],
  );
  assert.match(half.stdout, /\nFAIL: 2 stored in plain text\n$/);

  // Allowed now: the rerun skips what the checkpoint says is done and finishes; the checkpoint goes.
  await kubectlOk(cluster, [
    '-n',
    'b',
    'create',
    'rolebinding',
    'rewriter-updates',
    '--clusterrole=secret-updater',
    '--serviceaccount=default:rewriter',
  ]);
  const resumed = await rewrite();
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stdout, 'secrets: 4 rewritten, 2 already done (checkpoint), 0 failed\n');
  assert.equal(resumed.stderr, 'rewrote 2/6 secrets\nrewrote 4/6 secrets\nrewrote 6/6 secrets\n');
  assert.deepEqual(await readdir(dir), ['encryption.yaml']);
  for (const key of KEYS) assert.ok((await storedValue(etcd, key)).startsWith(prefix1), key);
  const encrypted = await runCloak([
    'encryption',
    'verify',
    '--etcd-endpoints',
    etcd.endpoint,
    '--config',
    file,
  ]);
  assert.equal(encrypted.code, 0, encrypted.stdout);
  assert.match(
    encrypted.stdout,
    /\nOK: every object is encrypted under the current write provider and key\n$/,
  );

  // A key rotation, the objects moved by rewrite (the admin's kubeconfig, default batch).
  before = reloads(cluster);
  assert.equal((await runCloak(['encryption', 'config', 'rotate', file])).code, 0);
  await waitForReload(cluster, before);
  before = reloads(cluster);
  assert.equal((await runCloak(['encryption', 'config', 'rotate', file])).code, 0);
  await waitForReload(cluster, before);
  const [key2] = firstKeys(await readFile(file, 'utf8')) as [string];
  assert.notEqual(key2, key1);
  const stale = await runCloak([
    'encryption',
    'verify',
    '--etcd-endpoints',
    etcd.endpoint,
    '--config',
    file,
    '-o',
    'json',
  ]);
  assert.equal(stale.code, 1);
  const staleReport = JSON.parse(stale.stdout) as { ok: boolean; counts: Record<string, number> };
  assert.equal(staleReport.ok, false);
  assert.deepEqual(staleReport.counts, { ok: 0, plaintext: 0, stale: 6, unreadable: 0, unknown: 0 });

  const full = await runCloak(['encryption', 'rewrite', '--kubeconfig', cluster.kubeconfig]);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(full.stdout, 'secrets: 6 rewritten, 0 failed\n');
  assert.equal(full.stderr, 'rewrote 6/6 secrets\n');
  for (const key of KEYS)
    assert.ok((await storedValue(etcd, key)).startsWith(`k8s:enc:aescbc:v1:${key2}:`), key);
  const done = await runCloak([
    'encryption',
    'verify',
    '--etcd-endpoints',
    etcd.endpoint,
    '--config',
    file,
    '-o',
    'json',
  ]);
  assert.equal(done.code, 0, done.stdout);
  assert.deepEqual((JSON.parse(done.stdout) as { counts: unknown }).counts, {
    ok: 6,
    plaintext: 0,
    stale: 0,
    unreadable: 0,
    unknown: 0,
  });
  // The last step removes the first key; the values still read.
  before = reloads(cluster);
  assert.equal((await runCloak(['encryption', 'config', 'rotate', file])).code, 0);
  await waitForReload(cluster, before);
  const value = await kubectlOk(cluster, ['-n', 'b', 'get', 'secret', 's2', '-o', 'jsonpath={.data.value}']);
  assert.equal(Buffer.from(value, 'base64').toString(), 'b-s2-plain');
});
