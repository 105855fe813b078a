import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { startControlPlane } from '../../src/apiserver/control-plane.ts';
import { adminKubeconfig, prepareDataDir, writeKubeconfig } from '../../src/apiserver/data-dir.ts';
import { Loopback } from '../../src/apiserver/server/loopback.ts';
import { TokenAuthority } from '../../src/apiserver/server/tokens.ts';
import { openSqliteStorage } from '../../src/apiserver/storage/sqlite.ts';
import { ApiClient, isNotFound, KubeApiError } from '../../src/operator/runtime/api-client.ts';
import { SECRETS, type KubeObject } from '../../src/operator/runtime/resource.ts';
import { tempDir } from '../helpers/keys.ts';

function get(loopback: Loopback, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: 'loopback', path, agent: loopback.agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('loopback: requests reach the handler in memory, from 127.0.0.1, on kept-alive connections', async () => {
  const sockets = new Set<unknown>();
  const loopback = new Loopback((incoming: IncomingMessage, response: ServerResponse) => {
    sockets.add(incoming.socket);
    response.end(`${incoming.url ?? ''} from ${incoming.socket.remoteAddress ?? '?'}`);
  });
  try {
    assert.deepEqual(await get(loopback, '/a'), { status: 200, body: '/a from 127.0.0.1' });
    assert.deepEqual(await get(loopback, '/b'), { status: 200, body: '/b from 127.0.0.1' });
    assert.equal(sockets.size, 1, 'the second request reused the first connection');
  } finally {
    loopback.close();
  }
});

test('loopback: a client that goes away ends the response; close() ends streams in flight', async () => {
  const closed: string[] = [];
  const loopback = new Loopback((incoming: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.write('{"type":"ADDED"}\n'); // a watch: the response stays open
    response.once('close', () => closed.push(incoming.url ?? ''));
  });
  const stream = (path: string, signal?: AbortSignal): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const outgoing = request({ host: 'loopback', path, agent: loopback.agent, signal }, resolve);
      outgoing.on('error', (error) => (signal?.aborted ? undefined : reject(error)));
      outgoing.end();
    });
  try {
    const abort = new AbortController();
    const first = await stream('/watch-1', abort.signal);
    await once(first, 'data');
    abort.abort();
    while (!closed.includes('/watch-1')) await new Promise((resolve) => setTimeout(resolve, 5));

    const second = await stream('/watch-2');
    await once(second, 'data');
    const ended = new Promise((resolve) => second.once('close', resolve));
    loopback.close();
    await ended;
    while (!closed.includes('/watch-2')) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.throws(() => loopback.agent.createConnection({}), /closed/);
  } finally {
    loopback.close();
  }
});

test('loopback into the control plane: authenticated and authorized as over TLS', async (t) => {
  const dir = await tempDir(t);
  const material = await prepareDataDir(dir, ['127.0.0.1'], new Date());
  const storage = await openSqliteStorage({ path: join(dir, 'state.db') });
  const plane = await startControlPlane({
    storage,
    tokens: new TokenAuthority(material.adminToken, material.signingKey),
    tls: material.serving,
    host: '127.0.0.1',
    port: 0,
  });
  try {
    const kubeconfigFor = async (token: string): Promise<string> => {
      const path = join(dir, `kubeconfig-${token.length}`);
      await writeKubeconfig(
        path,
        adminKubeconfig({ server: plane.url, caPem: material.ca.certificatePem, token }),
      );
      return path;
    };
    const transport = { agent: plane.loopbackAgent };
    const admin = await ApiClient.connect(
      { kubeconfig: await kubeconfigFor(material.adminToken) },
      { transport },
    );
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'over-loopback', namespace: 'default' },
      stringData: { key: 'value' },
    } as unknown as KubeObject;
    await admin.create(SECRETS, secret);
    const read = await admin.get<KubeObject & { data?: Record<string, string> }>(
      SECRETS,
      'default',
      'over-loopback',
    );
    assert.equal(read.data?.['key'], Buffer.from('value').toString('base64'));
    await admin.delete(SECRETS, 'default', 'over-loopback');
    await assert.rejects(admin.get(SECRETS, 'default', 'over-loopback'), isNotFound);

    const stranger = await ApiClient.connect(
      { kubeconfig: await kubeconfigFor('not-a-token') },
      { transport },
    );
    await assert.rejects(
      stranger.get(SECRETS, 'default', 'anything'),
      (error: unknown) => error instanceof KubeApiError && error.status === 401,
    );
  } finally {
    await plane.close();
  }
});
