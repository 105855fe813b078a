/**
 * The client's own behaviour against a small HTTP server that answers as an overloaded API server would:
 * 429 with Retry-After, 503 with and without it, and the client-side rate limit (on a fake clock).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ApiClient,
  KubeApiError,
  loadClusterConfig,
  retryAfterMs,
} from '../../../src/operator/runtime/api-client.ts';
import { CONFIG_MAPS } from '../../../src/operator/runtime/resource.ts';
import { FakeClock, flush } from '../../helpers/fake-clock.ts';
import { tempDir } from '../../helpers/keys.ts';
import { serveKubeStub } from '../../helpers/kube-stub.ts';

/** Waits (in real time, briefly) for a request to reach the server. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'timed out waiting');
}

const status = (code: number, reason: string): string =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    reason,
    code,
    message: `${reason} says the server`,
  });

test('Retry-After decisions: 429 always (1 s without a header), 5xx only with one', () => {
  assert.equal(retryAfterMs(429, { 'retry-after': '3' }), 3000);
  assert.equal(retryAfterMs(429, {}), 1000);
  assert.equal(retryAfterMs(429, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), 1000);
  assert.equal(retryAfterMs(503, { 'retry-after': '2' }), 2000);
  assert.equal(retryAfterMs(503, {}), undefined);
  assert.equal(retryAfterMs(409, { 'retry-after': '2' }), undefined);
  assert.equal(retryAfterMs(200, undefined), undefined);
});

test('429 is retried after the Retry-After the server sent, then succeeds', async (t) => {
  const clock = new FakeClock();
  const seen: { at: number; auth: string | undefined }[] = [];
  const kubeconfig = await serveKubeStub(t, (request, response) => {
    seen.push({ at: clock.now(), auth: request.headers.authorization });
    if (seen.length <= 2) {
      response
        .writeHead(429, { 'Retry-After': '2', 'Content-Type': 'application/json' })
        .end(status(429, 'TooManyRequests'));
    } else {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"metadata":{"name":"ok"}}');
    }
  });
  const client = new ApiClient(await loadClusterConfig({ kubeconfig }), { clock });
  const result = client.get(CONFIG_MAPS, 'default', 'x');
  await until(() => seen.length >= 1);
  assert.equal(seen[0]?.auth, 'Bearer test-token');
  await until(() => clock.pending === 1);
  clock.advance(1999);
  await flush();
  assert.equal(seen.length, 1, 'not before 2 s');
  clock.advance(1);
  await until(() => seen.length >= 2);
  await until(() => clock.pending === 1);
  clock.advance(2000);
  const object = await result;
  assert.equal(object.metadata.name, 'ok');
  assert.deepEqual(
    seen.map((hit) => hit.at - (seen[0]?.at ?? 0)),
    [0, 2000, 4000],
  );
});

test('errors carry status and reason; 503 without Retry-After is not retried; retries are bounded', async (t) => {
  let hits = 0;
  const kubeconfig = await serveKubeStub(t, (_request, response) => {
    hits++;
    response.writeHead(503, { 'Content-Type': 'application/json' }).end(status(503, 'ServiceUnavailable'));
  });
  const client = new ApiClient(await loadClusterConfig({ kubeconfig }));
  await assert.rejects(client.get(CONFIG_MAPS, 'default', 'x'), (error: unknown) => {
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.status, 503);
    assert.equal(error.reason, 'ServiceUnavailable');
    assert.equal(error.message, 'ServiceUnavailable says the server');
    return true;
  });
  assert.equal(hits, 1);

  let limited = 0;
  const always429 = await serveKubeStub(t, (_request, response) => {
    limited++;
    response.writeHead(429, { 'Retry-After': '0' }).end(status(429, 'TooManyRequests'));
  });
  const impatient = new ApiClient(await loadClusterConfig({ kubeconfig: always429 }), { maxRetries: 3 });
  await assert.rejects(impatient.get(CONFIG_MAPS, 'default', 'x'), /TooManyRequests/);
  assert.equal(limited, 4, 'the first try and three retries');
});

test('the client-side limit lets a burst through, then paces requests at qps', async (t) => {
  const clock = new FakeClock();
  let hits = 0;
  const kubeconfig = await serveKubeStub(t, (_request, response) => {
    hits++;
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"metadata":{}}');
  });
  const client = new ApiClient(await loadClusterConfig({ kubeconfig }), { clock, qps: 5, burst: 3 });
  const requests = Array.from({ length: 5 }, () => client.get(CONFIG_MAPS, 'default', 'x'));
  await until(() => hits >= 3 && clock.pending === 2);
  await flush();
  assert.equal(hits, 3, 'the burst');
  clock.advance(200);
  await until(() => hits >= 4);
  assert.equal(hits, 4, 'one more after 1/qps');
  clock.advance(200);
  await Promise.all(requests);
  assert.equal(hits, 5);
});

test('no kubeconfig is an error, never http://localhost:8080', async (t) => {
  const home = await tempDir(t);
  const saved = { KUBECONFIG: process.env['KUBECONFIG'], HOME: process.env['HOME'] };
  t.after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  delete process.env['KUBECONFIG'];
  process.env['HOME'] = home;
  await assert.rejects(ApiClient.connect(), /no kubeconfig found/);
  process.env['KUBECONFIG'] = join(home, 'missing');
  await assert.rejects(ApiClient.connect(), /cannot load kubeconfig/);
});

test('a JSON body that arrives in pieces, one of them ending inside a character, is read whole', async (t) => {
  const body = Buffer.from(JSON.stringify({ metadata: { name: 'pieces' }, data: { text: 'Grüße, ✓' } }));
  const split = body.indexOf(Buffer.from('✓')) + 1; // after the first of the character's three bytes
  const kubeconfig = await serveKubeStub(t, (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.write(body.subarray(0, split));
    setTimeout(() => response.end(body.subarray(split)), 50);
  });
  const client = new ApiClient(await loadClusterConfig({ kubeconfig }));
  const object = await client.get(CONFIG_MAPS, 'default', 'pieces');
  assert.deepEqual(object['data'], { text: 'Grüße, ✓' });
});
