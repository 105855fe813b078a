/** A real etcd (the `etcd` binary of the etcd-server package) for tests, on free 127.0.0.1 ports. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface Etcd {
  endpoint: string;
  /** Stops etcd (SIGTERM) and starts it again on the same ports and data. */
  restart(): Promise<void>;
}

/** A one-member etcd on free 127.0.0.1 ports, its data in a temporary directory; stopped when `t` ends. */
export async function startEtcd(t: TestContext): Promise<Etcd> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-etcd-'));
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name',
    'cloak-test',
    '--data-dir',
    join(dir, 'data'),
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `cloak-test=${peer}`,
  ];
  let stop = (): Promise<void> => Promise.resolve();

  async function launch(): Promise<void> {
    const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
    let exited = false;
    const exit = once(child, 'exit').then(() => (exited = true));
    stop = async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    };
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) assert.fail(`etcd exited: ${log}`);
      try {
        const response = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}' });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) assert.fail(`etcd did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  t.after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  await launch();
  return {
    endpoint,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
