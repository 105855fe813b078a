/**
 * Leader election against the real local control plane: candidates in separate processes, exactly one leads;
 * a crashed leader is replaced once its lease runs out, a stopped one at once (it releases); and a leader cut
 * off from the API server stops leading before anyone else may start.
 * The timings are shortened (lease 3 s, renew deadline 2 s, retry 0.5 s) to keep the test fast; the defaults
 * (15/10/2 s) are checked in lease.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, loadClusterConfig } from '../../../src/operator/runtime/api-client.ts';
import { LeaderElector, type Lease } from '../../../src/operator/runtime/leader-election.ts';
import { parseMicroTime } from '../../../src/operator/runtime/lease.ts';
import { LEASES } from '../../../src/operator/runtime/resource.ts';
import { startDevCluster } from '../../helpers/dev-cluster.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';

const LEASE_MS = 3000;
const RENEW_MS = 2000;
const RETRY_MS = 500;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'elector.ts');

interface Line {
  event: string;
  identity: string;
  at: number;
  outcome?: string;
}

interface Candidate {
  identity: string;
  child: ChildProcess;
  lines: Line[];
  exited: Promise<void>;
}

function startCandidate(t: TestContext, kubeconfig: string, identity: string): Candidate {
  const child = spawn(
    process.execPath,
    [FIXTURE, kubeconfig, identity, String(LEASE_MS), String(RENEW_MS), String(RETRY_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: Line[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)) as Line);
      buffered = buffered.slice(newline + 1);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(() => {
    child.kill('SIGKILL');
  });
  return { identity, child, lines, exited };
}

const leads = (candidate: Candidate): Line | undefined =>
  candidate.lines.find((line) => line.event === 'leading');

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('leader election against cloak dev cluster', async (t) => {
  const cluster = await startDevCluster(t);
  const client = await ApiClient.connect({ kubeconfig: cluster.kubeconfig });

  await t.test(
    'processes: exactly one leads; a crash hands over within the lease, a clean stop at once',
    async (t2) => {
      const a = startCandidate(t2, cluster.kubeconfig, 'candidate-a');
      const b = startCandidate(t2, cluster.kubeconfig, 'candidate-b');
      const first = await eventually('a leader', () => leads(a) ?? leads(b));
      await sleep(LEASE_MS + RETRY_MS);
      const leaders = [a, b].filter((candidate) => leads(candidate));
      assert.equal(leaders.length, 1, 'exactly one candidate leads');
      const [leader] = leaders;
      const follower = leader === a ? b : a;
      assert.ok(leader && first.identity === leader.identity);

      const lease = await client.get<Lease>(LEASES, 'default', 'test-operator');
      assert.equal(lease.spec?.holderIdentity, leader.identity);
      assert.equal(lease.spec?.leaseDurationSeconds, 3);
      assert.equal(lease.spec?.leaseTransitions, 0);
      for (const field of ['acquireTime', 'renewTime'] as const)
        assert.match(lease.spec?.[field] ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      const renewAge = Date.now() - parseMicroTime(lease.spec?.renewTime ?? '');
      assert.ok(renewAge < RETRY_MS + 1000, `renewed every retry period (last ${renewAge} ms ago)`);

      // A crash: the lease is not released; the follower waits for it to run out.
      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await leader.exited;
      const takeover = await eventually('the follower to lead', () => leads(follower));
      const handover = takeover.at - killedAt;
      assert.ok(handover <= LEASE_MS + 2.2 * RETRY_MS + 500, `handed over in ${handover} ms`);
      assert.ok(handover >= LEASE_MS - RETRY_MS - 1000, `waited for the lease to run out (${handover} ms)`);
      const taken = await client.get<Lease>(LEASES, 'default', 'test-operator');
      assert.equal(taken.spec?.holderIdentity, follower.identity);
      assert.equal(taken.spec?.leaseTransitions, 1);

      // A clean stop releases the lease: the next candidate need not wait for it to run out.
      const c = startCandidate(t2, cluster.kubeconfig, 'candidate-c');
      await eventually('c campaigning', () => c.lines.find((line) => line.event === 'campaigning'));
      await sleep(RETRY_MS * 3);
      assert.equal(leads(c), undefined);
      const stoppedAt = Date.now();
      follower.child.kill('SIGTERM');
      await follower.exited;
      assert.deepEqual(
        follower.lines.slice(-2).map((line) => line.event + (line.outcome ? `:${line.outcome}` : '')),
        ['stopped-leading', 'stopped:stopped'],
      );
      const next = await eventually('c to lead', () => leads(c));
      assert.ok(next.at - stoppedAt < LEASE_MS, `released: taken over in ${next.at - stoppedAt} ms`);
      const released = await client.get<Lease>(LEASES, 'default', 'test-operator');
      assert.equal(released.spec?.holderIdentity, 'candidate-c');
      assert.equal(released.spec?.leaseTransitions, 2);
    },
  );

  await t.test('a leader cut off from the API server stops before anyone else starts', async (t2) => {
    const proxy = await startTcpProxy(t2, Number(new URL(cluster.url).port));
    const cutOffClient = new ApiClient(
      await loadClusterConfig({ kubeconfig: cluster.kubeconfig, server: `https://127.0.0.1:${proxy.port}` }),
    );
    const timings = { leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_MS, retryPeriodMs: RETRY_MS };
    const stop = new AbortController();
    t2.after(() => stop.abort());
    const log: { who: string; event: string; at: number }[] = [];
    const candidate = (who: string, through: ApiClient): Promise<string> =>
      new LeaderElector({
        client: through,
        namespace: 'default',
        name: 'cut-off',
        identity: who,
        timings,
      }).run(stop.signal, async (leadership) => {
        log.push({ who, event: 'leading', at: Date.now() });
        await new Promise((resolve) => leadership.addEventListener('abort', resolve, { once: true }));
        log.push({ who, event: 'stopped', at: Date.now() });
      });
    const isolated = candidate('isolated', cutOffClient);
    await eventually('isolated to lead', () => log.find((entry) => entry.event === 'leading'));
    const healthy = candidate('healthy', client);
    await sleep(RETRY_MS * 2);
    proxy.stall();
    const stalledAt = Date.now();
    assert.equal(await isolated, 'lost');
    const stopped = log.find((entry) => entry.who === 'isolated' && entry.event === 'stopped');
    const took = await eventually('healthy to lead', () =>
      log.find((entry) => entry.who === 'healthy' && entry.event === 'leading'),
    );
    assert.ok(stopped && stopped.at - stalledAt <= RENEW_MS + 200, 'stopped within the renew deadline');
    assert.ok(
      stopped.at < took.at,
      `the isolated leader stopped (${stopped.at}) before the other started (${took.at})`,
    );
    stop.abort();
    assert.equal(await healthy, 'stopped');
  });
});
