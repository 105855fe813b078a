/**
 * Killing the server (SIGKILL, no chance to flush) during a burst of writes loses no acknowledged write: every
 * create answered 201 is there after a restart on the same data, on either backend. With etcd, the stored
 * value is also checked with etcdctl: the `k8s\0` protobuf envelope under kube-apiserver's key.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startEtcd } from '../helpers/etcd.ts';
import { startDevCluster, type DevClusterOptions } from '../helpers/dev-cluster.ts';
import { rawClient } from '../helpers/raw-api.ts';

const SECRETS = '/api/v1/namespaces/default/secrets';
const WRITERS = 8;

async function burstThenKill(t: TestContext, options: DevClusterOptions): Promise<void> {
  const first = await startDevCluster(t, options);
  const api = await rawClient(first);
  const acknowledged: string[] = [];
  let stopping = false;
  const writer = async (id: number): Promise<void> => {
    for (let index = 0; !stopping; index++) {
      const name = `burst-${id}-${index}`;
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        stringData: { value: name },
      });
      try {
        const response = await api.send('POST', SECRETS, { body });
        if (response.status === 201) acknowledged.push(name);
      } catch {
        return; // the connection died with the server
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, id) => writer(id));
  await sleep(400);
  await first.stop('SIGKILL');
  stopping = true;
  await Promise.all(writers);
  assert.ok(acknowledged.length > 20, `only ${acknowledged.length} writes were acknowledged before the kill`);

  const second = await startDevCluster(t, { ...options, dataDir: first.dataDir });
  const list = (await (await rawClient(second)).send('GET', SECRETS)).json() as {
    items: { metadata: { name: string } }[];
  };
  const stored = new Set(list.items.map((item) => item.metadata.name));
  const lost = acknowledged.filter((name) => !stored.has(name));
  t.diagnostic(
    `${acknowledged.length} writes acknowledged before SIGKILL, ${stored.size} stored after restart`,
  );
  assert.deepEqual(lost, []);
}

test('SIGKILL during a burst loses no acknowledged write (SQLite)', async (t) => {
  await burstThenKill(t, {});
});

test('SIGKILL during a burst loses no acknowledged write (etcd), and etcdctl shows the k8s protobuf envelope', async (t) => {
  const etcd = await startEtcd(t);
  await burstThenKill(t, { storage: 'etcd', etcdEndpoint: etcd.endpoint });
  const { stdout } = await promisify(execFile)(
    'etcdctl',
    ['--endpoints', etcd.endpoint, 'get', '/registry/secrets/default/burst-0-0', '--print-value-only'],
    {
      encoding: 'buffer',
    },
  );
  assert.deepEqual([...stdout.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00], 'k8s\\0 magic');
  assert.ok(stdout.includes(Buffer.from('burst-0-0')));
  assert.ok(stdout.includes(Buffer.from('Secret')));
});
