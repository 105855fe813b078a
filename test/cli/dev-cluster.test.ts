/** `cloak dev cluster` flags: where the kubeconfig goes, and usage errors that start nothing. */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster } from '../helpers/dev-cluster.ts';
import { tempDir } from '../helpers/keys.ts';

test('--kubeconfig-out writes a working admin kubeconfig, mode 0600, even over an existing file', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'admin.kubeconfig');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(out, 'stale', { mode: 0o644 });
  const cluster = await startDevCluster(t, { extraArgs: ['--kubeconfig-out', out] });
  assert.equal((await stat(out)).mode & 0o777, 0o600);
  const text = await readFile(out, 'utf8');
  assert.match(text, /token: /);
  assert.equal(
    await kubectlOk(cluster, ['--kubeconfig', out, 'get', 'namespace', 'default', '-o', 'name']),
    'namespace/default\n',
  );
  assert.match(cluster.output(), new RegExp(`kubeconfig: ${out.replace(/[.]/g, '\\.')}`));
});

test('usage errors exit 2 and start nothing', async (t) => {
  const dir = await tempDir(t);
  for (const args of [
    ['--storage', 'mysql'],
    ['--listen', 'localhost'],
    ['--listen', '127.0.0.1:99999'],
    ['--compaction-interval', 'soon'],
    ['--bookmark-interval', '0'],
  ]) {
    const result = await runCloak(['dev', 'cluster', '--data-dir', join(dir, 'data'), ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^error: /);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});

test('an unreachable etcd is a one-line error, exit 1', async (t) => {
  const dir = await tempDir(t);
  const result = await runCloak([
    'dev',
    'cluster',
    '--data-dir',
    dir,
    '--listen',
    '127.0.0.1:0',
    '--storage',
    'etcd',
    '--etcd-endpoints',
    'http://127.0.0.1:1',
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error: .*etcd/);
  assert.equal(result.stderr.trim().split('\n').length, 1);
});
