import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkTimings,
  decide,
  DEFAULT_LEASE_TIMINGS,
  formatMicroTime,
  mustStepDown,
  observe,
  parseMicroTime,
  released,
  type LeaseSpec,
} from '../../../src/operator/runtime/lease.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
const timings = DEFAULT_LEASE_TIMINGS;

test('MicroTime has six fractional digits in UTC, and parses back', () => {
  assert.equal(formatMicroTime(T0), '2026-01-01T12:00:00.250000Z');
  assert.equal(formatMicroTime(Date.UTC(2026, 0, 1)), '2026-01-01T00:00:00.000000Z');
  assert.equal(parseMicroTime('2026-01-01T12:00:00.250000Z'), T0);
  assert.equal(parseMicroTime('2026-01-01T13:00:00.250999+01:00'), T0);
  assert.equal(parseMicroTime('2026-01-01T12:00:00Z'), T0 - 250);
  assert.throws(() => parseMicroTime('yesterday'), RangeError);
});

test('defaults are 15 s / 10 s / 2 s, and bad timings are refused as client-go refuses them', () => {
  assert.deepEqual(timings, { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  checkTimings(timings);
  assert.throws(
    () => checkTimings({ ...timings, renewDeadlineMs: 15_000 }),
    /longer than the renew deadline/,
  );
  assert.throws(() => checkTimings({ ...timings, retryPeriodMs: 9_000 }), /1\.2 × the retry period/);
});

test('a missing Lease is created with this candidate as holder', () => {
  const decision = decide('me', undefined, observe(undefined, undefined, T0), T0, timings);
  assert.deepEqual(decision, {
    action: 'create',
    spec: {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T12:00:00.250000Z',
      renewTime: '2026-01-01T12:00:00.250000Z',
      leaseTransitions: 0,
    },
  });
});

test('another holder’s lease is respected for a lease duration after the record last changed, on our clock', () => {
  // The holder's renewTime is an hour off (clock skew): only our own observation counts.
  const theirs: LeaseSpec = {
    holderIdentity: 'other',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T11:00:00.000000Z',
    renewTime: '2026-01-01T11:00:00.000000Z',
    leaseTransitions: 3,
  };
  let observation = observe(undefined, theirs, T0);
  assert.deepEqual(decide('me', theirs, observation, T0 + 14_999, timings), {
    action: 'wait',
    holder: 'other',
    expiresMs: T0 + 15_000,
  });
  // They renew at T0 + 10 s: the wait starts over from when we see it.
  const renewed = { ...theirs, renewTime: '2026-01-01T11:00:10.000000Z' };
  observation = observe(observation, renewed, T0 + 10_000);
  assert.equal(
    observe(observation, renewed, T0 + 12_000),
    observation,
    'the same record does not reset the time',
  );
  assert.equal(decide('me', renewed, observation, T0 + 20_000, timings).action, 'wait');
  const taken = decide('me', renewed, observation, T0 + 25_000, timings);
  assert.deepEqual(taken, {
    action: 'update',
    spec: {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: formatMicroTime(T0 + 25_000),
      renewTime: formatMicroTime(T0 + 25_000),
      leaseTransitions: 4,
    },
  });
});

test('renewing keeps acquireTime and leaseTransitions; a released lease is taken at once', () => {
  const mine: LeaseSpec = {
    holderIdentity: 'me',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T11:00:00.000000Z',
    renewTime: '2026-01-01T11:59:58.000000Z',
    leaseTransitions: 2,
  };
  const renewal = decide('me', mine, observe(undefined, mine, T0), T0, timings);
  assert.equal(renewal.action, 'update');
  assert.equal(renewal.action === 'update' && renewal.spec.acquireTime, '2026-01-01T11:00:00.000000Z');
  assert.equal(renewal.action === 'update' && renewal.spec.leaseTransitions, 2);
  assert.equal(renewal.action === 'update' && renewal.spec.renewTime, formatMicroTime(T0));

  const free = released(mine, T0);
  assert.equal(free.holderIdentity, '');
  assert.equal(free.leaseTransitions, 2);
  assert.equal(free.leaseDurationSeconds, 1);
  const next = decide('other', free, observe(undefined, free, T0), T0, timings);
  assert.equal(next.action, 'update');
  assert.equal(next.action === 'update' && next.spec.leaseTransitions, 3);
});

test('a leader steps down when its last renewal is older than the renew deadline, before anyone may take over', () => {
  assert.equal(mustStepDown(T0, T0 + 9_999, timings), false);
  assert.equal(mustStepDown(T0, T0 + 10_000, timings), true);
  assert.ok(timings.renewDeadlineMs < timings.leaseDurationMs);
});
