/**
 * Issue 6's acceptance at its own size: restarting `cloak operator` with 1,000 SealedSecrets in the cluster
 * decrypts nothing and writes nothing (the inputs' hash on each Secret says it is current), measured through
 * the operator's own metrics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSealingCertificate } from '../../../src/sealing/keys.ts';
import { sealSecret } from '../../../src/sealing/sealed-secret.ts';
import { startDevCluster } from '../../helpers/dev-cluster.ts';
import { eventually, installCrd, startOperator } from '../../helpers/operator.ts';
import { rawClient } from '../../helpers/raw-api.ts';

const COUNT = 1_000;
const IN_FLIGHT = 16;
const SEALED_SECRETS = '/apis/bitnami.com/v1alpha1/namespaces/default/sealedsecrets';

test(`a restart with ${COUNT} SealedSecrets performs zero RSA decryptions`, async (t) => {
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  const fast = [
    '--key-size',
    '2048',
    '--kubeclient-qps',
    '2000',
    '--kubeclient-burst',
    '2000',
    '--workers',
    '16',
  ];
  const first = await startOperator(t, cluster, fast);
  const certificatePem = await eventually('a sealing key', async () => {
    const response = await fetch(`${first.http}/v1/cert.pem`);
    return response.status === 200 ? response.text() : undefined;
  });
  const certificate = parseSealingCertificate(certificatePem, 'cert.pem', new Date());

  const api = await rawClient(cluster);
  let next = 0;
  const post = async (): Promise<void> => {
    while (next < COUNT) {
      const name = `app-${next++}`;
      const sealed = sealSecret(
        {
          kind: 'Secret',
          apiVersion: 'v1',
          metadata: { name, namespace: 'default' },
          data: { password: Buffer.from(`secret of ${name}`).toString('base64') },
        },
        certificate,
        name,
      );
      const response = await api.send('POST', SEALED_SECRETS, { body: JSON.stringify(sealed) });
      assert.equal(response.status, 201, response.text);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, post));
  await eventually(
    `${COUNT} Secrets written`,
    async () => (await first.metric('cloak_sealed_secrets_secret_writes_total{action="create"}')) === COUNT,
    120_000,
  );
  assert.equal(await first.metric('cloak_sealed_secrets_rsa_decryptions_total'), COUNT);
  // The Secret informer's report of each Secret the controller created is its own write's echo: not a reason
  // to reconcile the SealedSecret again (only when the report outran the create's answer).
  const echoes = await first.metric('cloak_sealed_secrets_unseal_skipped_total');
  assert.ok(echoes < COUNT / 10, `${echoes} SealedSecrets reconciled again after their Secret was created`);
  assert.equal(await first.stop(), 0);

  const second = await startOperator(t, cluster, fast);
  await eventually(
    `all ${COUNT} SealedSecrets looked at again`,
    async () => (await second.metric('cloak_sealed_secrets_unseal_skipped_total')) >= COUNT,
    60_000,
  );
  assert.equal(await second.metric('cloak_sealed_secrets_rsa_decryptions_total'), 0);
  assert.equal(await second.metric('cloak_sealed_secrets_secret_writes_total'), 0);
  assert.equal(await second.metric('sealed_secrets_controller_unseal_errors_total'), 0);
  const secret = await api.send('GET', '/api/v1/namespaces/default/secrets/app-999');
  assert.equal(
    Buffer.from(String((secret.json()['data'] as Record<string, string>)['password']), 'base64').toString(),
    'secret of app-999',
  );
  assert.equal(await second.stop(), 0);
});
