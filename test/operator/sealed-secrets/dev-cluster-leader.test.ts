/**
 * Two `cloak operator` processes with --leader-elect against one local control plane: exactly one leads and
 * unseals, the other writes nothing (no double writes); when the leader is killed the other takes over within
 * the lease time, advertises itself, and carries on without decrypting what is already unsealed. The lease
 * timings are shortened (3 s, 2 s, 0.5 s) to keep the test fast.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Secret } from '../../../src/kube/objects.ts';
import { toKubeYaml } from '../../../src/manifests/encode.ts';
import { parseSealingCertificate } from '../../../src/sealing/keys.ts';
import { sealSecret, type SealedSecret } from '../../../src/sealing/sealed-secret.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../../helpers/dev-cluster.ts';
import { eventually, installCrd, startOperator, type OperatorProcess } from '../../helpers/operator.ts';

const LEASE_MS = 3000;
const COUNT = 10;
const LEADER = 'leader_election_master_status{name="sealed-secrets-controller"}';
const WRITES = 'cloak_sealed_secrets_secret_writes_total';
const ARGS = [
  ...['--leader-elect', '--key-size', '2048', '--advertise-address', '127.0.0.1'],
  ...[
    '--leader-elect-lease-duration',
    '3s',
    '--leader-elect-renew-deadline',
    '2s',
    '--leader-elect-retry-period',
    '500ms',
  ],
];

function sealed(name: string, certificatePem: string): SealedSecret {
  return sealSecret(
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name, namespace: 'default' },
      data: { v: Buffer.from(name).toString('base64') },
    },
    parseSealingCertificate(certificatePem, 'cert.pem', new Date()),
    name,
  );
}

async function synced(cluster: DevCluster, count: number): Promise<boolean> {
  const list = JSON.parse(
    await kubectlOk(cluster, ['get', 'sealedsecrets', '-n', 'default', '-o', 'json']),
  ) as {
    items: { status?: { conditions?: { status: string }[] } }[];
  };
  return list.items.filter((item) => item.status?.conditions?.[0]?.status === 'True').length === count;
}

async function endpointPort(cluster: DevCluster): Promise<number | undefined> {
  const result = await cluster.kubectl([
    'get',
    'endpoints',
    '-n',
    'kube-system',
    'sealed-secrets-controller',
    '-o',
    'json',
  ]);
  if (result.code !== 0) return undefined;
  const endpoints = JSON.parse(result.stdout) as { subsets?: { ports?: { port: number }[] }[] };
  return endpoints.subsets?.[0]?.ports?.[0]?.port;
}

test('two operators with leader election: one unseals, the other takes over', async (t) => {
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  const a = await startOperator(t, cluster, ARGS);
  const b = await startOperator(t, cluster, ARGS);
  const [leader, standby] = await eventually<[OperatorProcess, OperatorProcess]>('one leader', async () => {
    const [leadsA, leadsB] = [await a.metric(LEADER), await b.metric(LEADER)];
    if (leadsA + leadsB !== 1) return undefined;
    return leadsA === 1 ? [a, b] : [b, a];
  });

  const certificatePem = await eventually('the certificate on the standby too', async () => {
    const response = await fetch(`${standby.http}/v1/cert.pem`);
    return response.status === 200 ? response.text() : undefined;
  });
  await kubectlOk(
    cluster,
    ['apply', '-f', '-'],
    Array.from(
      { length: COUNT },
      (_, index) => `---\n${toKubeYaml(sealed(`app-${index}`, certificatePem))}`,
    ).join(''),
  );
  await eventually('every SealedSecret synced', () => synced(cluster, COUNT));
  assert.equal(await leader.metric(WRITES), COUNT);
  assert.equal(await standby.metric(WRITES), 0);
  assert.equal(await standby.metric('sealed_secrets_controller_unseal_requests_total'), 0);
  assert.equal(await standby.metric('cloak_sealed_secrets_rsa_decryptions_total'), 0);
  assert.equal(await standby.metric('cloak_sealing_key_generations_total'), 0);
  await eventually(
    'the Endpoints to name the leader',
    async () => (await endpointPort(cluster)) === Number(new URL(leader.http).port),
  );

  // The leader dies: the standby leads within the lease time, and decrypts nothing already unsealed.
  const killed = Date.now();
  await leader.stop('SIGKILL');
  await eventually('the standby to lead', async () => (await standby.metric(LEADER)) === 1, LEASE_MS + 5000);
  assert.ok(Date.now() - killed < LEASE_MS + 3000, `took over after ${Date.now() - killed} ms`);
  await eventually(
    'the new leader to look at every SealedSecret',
    async () => (await standby.metric('cloak_sealed_secrets_unseal_skipped_total')) >= COUNT,
  );
  assert.equal(await standby.metric('cloak_sealed_secrets_rsa_decryptions_total'), 0);
  await eventually(
    'the Endpoints to name the new leader',
    async () => (await endpointPort(cluster)) === Number(new URL(standby.http).port),
  );
  await kubectlOk(cluster, ['apply', '-f', '-'], toKubeYaml(sealed('late', certificatePem)));
  await eventually('the new SealedSecret synced', () => synced(cluster, COUNT + 1));
  const late = JSON.parse(await kubectlOk(cluster, ['get', 'secret', 'late', '-o', 'json'])) as Secret;
  assert.equal(Buffer.from(late.data?.['v'] ?? '', 'base64').toString(), 'late');
  assert.equal(await standby.metric(WRITES), 1);
  assert.equal(await standby.metric('cloak_sealed_secrets_rsa_decryptions_total'), 1);
  assert.equal(await standby.stop(), 0);
});
