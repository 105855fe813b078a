import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  conditionsEqual,
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
} from '../../../src/operator/runtime/conditions.ts';

const t1 = new Date('2026-01-01T00:00:00.400Z');
const t2 = new Date('2026-01-01T00:05:00Z');
const t3 = new Date('2026-01-01T00:10:00Z');

test('lastTransitionTime changes only when the status does; observedGeneration follows the update', () => {
  let conditions = setCondition(
    undefined,
    { type: 'Synced', status: 'False', reason: 'ErrUnseal', message: 'no key', observedGeneration: 1 },
    t1,
  );
  assert.deepEqual(conditions, [
    {
      type: 'Synced',
      status: 'False',
      reason: 'ErrUnseal',
      message: 'no key',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    },
  ]);
  const before = conditions;
  conditions = setCondition(
    conditions,
    { type: 'Synced', status: 'False', reason: 'ErrUnseal', message: 'still no key', observedGeneration: 2 },
    t2,
  );
  assert.equal(conditions[0]?.lastTransitionTime, '2026-01-01T00:00:00Z', 'same status: no transition');
  assert.equal(conditions[0]?.message, 'still no key');
  assert.equal(conditions[0]?.observedGeneration, 2);
  assert.equal(before[0]?.message, 'no key', 'the input is left alone');
  conditions = setCondition(conditions, { type: 'Synced', status: 'True', observedGeneration: 2 }, t3);
  assert.equal(conditions[0]?.lastTransitionTime, '2026-01-01T00:10:00Z');
  assert.equal(conditions[0]?.reason, undefined);
  assert.ok(isConditionTrue(conditions, 'Synced'));
  assert.equal(findCondition(conditions, 'Ready'), undefined);
});

test('several types live side by side; lastUpdateTime when asked; remove and compare', () => {
  let conditions = setCondition([], { type: 'A', status: 'True' }, t1, { updateTime: true });
  conditions = setCondition(conditions, { type: 'B', status: 'Unknown' }, t1, { updateTime: true });
  conditions = setCondition(conditions, { type: 'A', status: 'True' }, t2, { updateTime: true });
  assert.equal(conditions[0]?.lastUpdateTime, '2026-01-01T00:00:00Z', 'nothing changed: not updated');
  conditions = setCondition(conditions, { type: 'A', status: 'True', message: 'new' }, t3, {
    updateTime: true,
  });
  assert.equal(conditions[0]?.lastUpdateTime, '2026-01-01T00:10:00Z');
  assert.equal(conditions[0]?.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.deepEqual(
    conditions.map((condition) => condition.type),
    ['A', 'B'],
  );
  assert.deepEqual(
    removeCondition(conditions, 'A').map((condition) => condition.type),
    ['B'],
  );
  assert.ok(conditionsEqual(conditions, structuredClone(conditions)));
  assert.ok(!conditionsEqual(conditions, removeCondition(conditions, 'B')));
});
