import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EventCorrelator,
  eventKey,
  referenceTo,
  type EventInput,
} from '../../../src/operator/runtime/event-correlation.ts';

const T0 = Date.UTC(2026, 0, 1);
const source = { component: 'cloak-operator', host: 'pod-1' };
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'app', uid: 'u1', resourceVersion: '7' },
};

function input(message = 'cannot unseal: no key', reason = 'ErrUnsealFailed'): EventInput {
  return { involvedObject: referenceTo(secret), type: 'Warning', reason, message };
}

test('the key covers source, object, type, reason and message — not the resourceVersion', () => {
  const a = input();
  const b = { ...input(), involvedObject: { ...a.involvedObject, resourceVersion: '8' } };
  assert.equal(eventKey(a, source), eventKey(b, source));
  assert.notEqual(eventKey(a, source), eventKey(input('other'), source));
  assert.notEqual(eventKey(a, source), eventKey(input(undefined, 'Other'), source));
  assert.notEqual(eventKey(a, source), eventKey(a, { component: 'x' }));
});

test('the same Event within 10 minutes bumps count and lastTimestamp; after that it is new', () => {
  const correlator = new EventCorrelator(source);
  const first = correlator.plan(input(), T0);
  assert.equal(first.action, 'create');
  if (first.action !== 'create') return;
  assert.deepEqual(first.event.involvedObject, {
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: 'app',
    name: 'db',
    uid: 'u1',
    resourceVersion: '7',
  });
  assert.equal(first.event.metadata.namespace, 'app');
  assert.match(first.event.metadata.name ?? '', /^db\.[0-9a-f]+$/);
  assert.equal(first.event.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(first.event.count, 1);
  assert.deepEqual(first.event.source, source);
  correlator.recorded(first.key, { namespace: 'app', name: first.event.metadata.name ?? '', count: 1 }, T0);

  const second = correlator.plan(input(), T0 + 60_000);
  assert.deepEqual(second, {
    action: 'patch',
    key: first.key,
    namespace: 'app',
    name: first.event.metadata.name,
    patch: { count: 2, lastTimestamp: '2026-01-01T00:01:00Z', message: 'cannot unseal: no key' },
  });
  correlator.recorded(
    first.key,
    { namespace: 'app', name: first.event.metadata.name ?? '', count: 2 },
    T0 + 60_000,
  );
  assert.equal(correlator.plan(input('different'), T0 + 61_000).action, 'create');
  assert.equal(correlator.plan(input(), T0 + 60_000 + 10 * 60_000).action, 'create', 'outside the window');
});

test('spam filter: 25 Events per object at once, then one per 5 minutes', () => {
  const correlator = new EventCorrelator(source);
  const actions = Array.from({ length: 30 }, (_, i) => correlator.plan(input(`m${i}`), T0).action);
  assert.equal(actions.filter((action) => action === 'create').length, 25);
  assert.equal(actions.filter((action) => action === 'drop').length, 5);
  assert.equal(correlator.plan(input('later'), T0 + 299_000).action, 'drop');
  assert.equal(correlator.plan(input('later'), T0 + 300_000).action, 'create');
  const otherObject = { ...input(), involvedObject: { ...input().involvedObject, name: 'other', uid: 'u2' } };
  assert.equal(correlator.plan(otherObject, T0).action, 'create', 'each object has its own budget');
});

test('cluster-scoped objects get their Events in "default"; long messages are cut to 1024 characters', () => {
  const correlator = new EventCorrelator({ component: 'c' });
  const plan = correlator.plan(
    { involvedObject: { kind: 'Node', name: 'n1' }, type: 'Normal', reason: 'R', message: 'x'.repeat(5000) },
    T0,
  );
  assert.equal(plan.action === 'create' && plan.event.metadata.namespace, 'default');
  assert.equal(plan.action === 'create' && plan.event.message.length, 1024);
});
