/**
 * Events written to the real local control plane: repeats within the window bump one Event's count and
 * lastTimestamp; a different message is a new Event; an Event deleted meanwhile is created again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClient, type ObjectList } from '../../../src/operator/runtime/api-client.ts';
import type { CoreEvent } from '../../../src/operator/runtime/event-correlation.ts';
import { EventRecorder } from '../../../src/operator/runtime/events.ts';
import { EVENTS, SECRETS, type KubeObject } from '../../../src/operator/runtime/resource.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { startDevCluster } from '../../helpers/dev-cluster.ts';

test('event aggregation against cloak dev cluster', async (t) => {
  const cluster = await startDevCluster(t);
  const client = await ApiClient.connect({ kubeconfig: cluster.kubeconfig });
  const secret = await client.create<KubeObject>(SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'default' },
    stringData: { password: 'event-test-plaintext' },
  });
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 10, 0, 0));
  const recorder = new EventRecorder({
    client,
    clock,
    source: { component: 'cloak-operator', host: 'node-1' },
  });
  const events = async (): Promise<CoreEvent[]> =>
    (await client.list<CoreEvent>(EVENTS, { namespace: 'default' })).items.filter(
      (event) => event.involvedObject.uid === secret.metadata.uid,
    );

  await recorder.event(secret, 'Warning', 'ErrUnsealFailed', 'no key could decrypt the value of "password"');
  clock.advance(30_000);
  await recorder.event(secret, 'Warning', 'ErrUnsealFailed', 'no key could decrypt the value of "password"');
  clock.advance(30_000);
  await recorder.event(secret, 'Warning', 'ErrUnsealFailed', 'no key could decrypt the value of "password"');
  let stored = await events();
  assert.equal(stored.length, 1, 'three identical events are one Event');
  const [first] = stored;
  assert.equal(first?.count, 3);
  assert.equal(first?.firstTimestamp, '2026-06-01T10:00:00Z');
  assert.equal(first?.lastTimestamp, '2026-06-01T10:01:00Z');
  assert.equal(first?.type, 'Warning');
  assert.equal(first?.reason, 'ErrUnsealFailed');
  assert.deepEqual(first?.source, { component: 'cloak-operator', host: 'node-1' });
  assert.equal(first?.involvedObject.kind, 'Secret');
  assert.equal(first?.involvedObject.name, 'db');

  await recorder.event(secret, 'Normal', 'Unsealed', 'SealedSecret unsealed successfully');
  stored = await events();
  assert.equal(stored.length, 2, 'a different reason and message is a new Event');

  // Outside the ten-minute window the same Event starts over.
  clock.advance(11 * 60_000);
  await recorder.event(secret, 'Warning', 'ErrUnsealFailed', 'no key could decrypt the value of "password"');
  stored = await events();
  assert.equal(stored.length, 3);

  // An Event removed meanwhile (its TTL ran out) is created again rather than lost.
  const latest = stored.find((event) => event.firstTimestamp === '2026-06-01T10:12:00Z');
  assert.ok(latest);
  await client.delete(EVENTS, 'default', latest.metadata.name ?? '');
  clock.advance(1000);
  await recorder.event(secret, 'Warning', 'ErrUnsealFailed', 'no key could decrypt the value of "password"');
  stored = await events();
  assert.equal(stored.length, 3);
  assert.ok(stored.some((event) => event.firstTimestamp === '2026-06-01T10:12:01Z' && event.count === 1));

  const everything: ObjectList<CoreEvent> = await client.list<CoreEvent>(EVENTS, { namespace: 'default' });
  const text = JSON.stringify(everything);
  assert.ok(!text.includes('event-test-plaintext'));
  assert.ok(!text.includes(Buffer.from('event-test-plaintext').toString('base64')));
});
