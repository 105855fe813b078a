/**
 * The control plane's EncryptionAtRest over a real gRPC socket: the kms-providers health check asks the plugin
 * again once its last answer is older than kube's healthz TTLs (20 s healthy, 3 s failing), not only at the
 * background poll.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EncryptionAtRest } from '../../src/apiserver/encryption-at-rest.ts';
import { serveKms } from '../../src/kms/grpc.ts';
import { FakeKms } from '../encryption/fake-kms.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';

test('kms-providers health: a stale healthy answer is refreshed; a fresh one is reused', async (t) => {
  const dir = await tempDir(t);
  const socket = join(dir, 'kms.sock');
  const plugin = new FakeKms();
  const server = await serveKms(plugin, `unix://${socket}`);
  t.after(() => server.close());
  const config = await writeTemp(
    dir,
    'encryption.yaml',
    `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - kms: {apiVersion: v2, name: kek, endpoint: "unix://${socket}", timeout: 1s}
  - identity: {}
`,
  );
  const encryption = await EncryptionAtRest.load(config, { automaticReload: false, report: () => undefined });
  t.after(() => encryption.close());
  const start = Date.now();
  const statusCalls = plugin.calls.status;

  const fresh = await encryption.checkKmsHealth(start);
  assert.deepEqual(
    fresh.map((health) => [health.name, health.healthy]),
    [['kek', true]],
  );
  assert.equal(plugin.calls.status, statusCalls, 'an answer younger than 20 s is reused');

  plugin.failStatus = true;
  assert.equal((await encryption.checkKmsHealth(start + 19_000))[0]?.healthy, true, 'still within the TTL');
  const stale = await encryption.checkKmsHealth(start + 21_000);
  assert.equal(plugin.calls.status, statusCalls + 1, 'asked again after 20 s');
  assert.equal(stale[0]?.healthy, false);
  assert.match(stale[0]?.error ?? '', /status call failed/);

  plugin.failStatus = false;
  const failedAt = stale[0]?.checkedAt ?? 0;
  assert.equal(
    (await encryption.checkKmsHealth(failedAt + 2_000))[0]?.healthy,
    false,
    'a failure is kept 3 s',
  );
  assert.equal((await encryption.checkKmsHealth(failedAt + 4_000))[0]?.healthy, true, 'then asked again');
});
