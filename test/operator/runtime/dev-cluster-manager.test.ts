/**
 * A small operator on the runtime, run as a process against the real local control plane: health and
 * readiness, Prometheus metrics (the runtime's and the operator's own), and SIGTERM letting in-flight work
 * finish, then releasing the lease, then exiting 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../../src/operator/runtime/api-client.ts';
import type { Lease } from '../../../src/operator/runtime/leader-election.ts';
import { CONFIG_MAPS, LEASES } from '../../../src/operator/runtime/resource.ts';
import { startDevCluster } from '../../helpers/dev-cluster.ts';

interface Line {
  event: string;
  key?: string;
  url?: string;
  aborted?: boolean;
  code?: number;
}

async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('an operator process: health, metrics, graceful SIGTERM', async (t) => {
  const cluster = await startDevCluster(t);
  const client = await ApiClient.connect({ kubeconfig: cluster.kubeconfig });
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures', 'operator.ts'), cluster.kubeconfig, 'op-1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  const lines: Line[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)) as Line);
      buffered = buffered.slice(newline + 1);
    }
  });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const find = (event: string, key?: string): Line | undefined =>
    lines.find((line) => line.event === event && (key === undefined || line.key === key));

  const started = await eventually('the operator to start', () => find('started'));
  const url = started.url ?? '';
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(url + path);
    return { status: response.status, text: await response.text() };
  };
  assert.deepEqual(await get('/healthz'), { status: 200, text: 'ok\n' });
  await eventually('ready', async () => (await get('/readyz')).status === 200);
  assert.equal((await get('/nope')).status, 404);

  await client.create(CONFIG_MAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'quick', namespace: 'default', labels: { fixture: 'yes' } },
    data: { ms: '0' },
  });
  await eventually('the first reconcile', () => find('end', 'default/quick'));
  const metrics = await eventually('metrics', async () => {
    const { text } = await get('/metrics');
    return text.includes('controller_runtime_reconcile_total{controller="fixture",result="success"} 1')
      ? text
      : undefined;
  });
  for (const name of [
    'controller_runtime_reconcile_errors_total',
    'controller_runtime_reconcile_time_seconds_bucket{le="0.005",controller="fixture"}',
    'workqueue_depth{name="fixture"} 0',
    'workqueue_adds_total{name="fixture"} 1',
    'workqueue_queue_duration_seconds_count{name="fixture"} 1',
    'leader_election_master_status{name="fixture-operator"} 1',
    'fixture_reconciled_total 1',
    'process_resident_memory_bytes',
  ])
    assert.ok(metrics.includes(name), `/metrics lacks ${name}`);

  await client.create(CONFIG_MAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'slow', namespace: 'default', labels: { fixture: 'yes' } },
    data: { ms: '1500' },
  });
  await eventually('the slow reconcile to start', () => find('start', 'default/slow'));
  child.kill('SIGTERM');
  await eventually('the shutdown to begin', () => stderr.includes('"msg":"shutting down"'));
  // Work queued after SIGTERM is not started.
  await client.create(CONFIG_MAPS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'late', namespace: 'default', labels: { fixture: 'yes' } },
  });
  assert.equal(await exitCode, 0, stderr);
  assert.deepEqual(
    lines
      .slice(-2)
      .map((line) => ({ event: line.event, key: line.key, aborted: line.aborted, code: line.code })),
    [
      { event: 'end', key: 'default/slow', aborted: true, code: undefined },
      { event: 'exit', key: undefined, aborted: undefined, code: 0 },
    ],
    'the in-flight reconcile finished before the process exited',
  );
  assert.equal(find('start', 'default/late'), undefined);
  const lease = await client.get<Lease>(LEASES, 'default', 'fixture-operator');
  assert.equal(lease.spec?.holderIdentity, '', 'the lease was released');
  assert.match(stderr, /"msg":"shutting down"/);
  assert.match(stderr, /"msg":"released the lease"/);
});
