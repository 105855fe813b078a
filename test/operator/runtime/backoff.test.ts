import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  exponentialDelay,
  ItemBackoff,
  ITEM_BACKOFF,
  jitteredDelay,
  RECONNECT_BACKOFF,
} from '../../../src/operator/runtime/backoff.ts';
import { TokenBucket } from '../../../src/operator/runtime/token-bucket.ts';

test('per-item backoff doubles from 5 ms and stops at 1000 s', () => {
  const backoff = new ItemBackoff<string>();
  const delays = Array.from({ length: 20 }, () => backoff.when('a'));
  assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
  assert.equal(delays[17], 5 * 2 ** 17); // 655.36 s
  assert.equal(delays[18], 1_000_000);
  assert.equal(delays[19], 1_000_000);
  assert.equal(backoff.retries('a'), 20);
  assert.equal(backoff.when('b'), 5, 'items are counted separately');
  backoff.forget('a');
  assert.equal(backoff.retries('a'), 0);
  assert.equal(backoff.when('a'), 5);
  assert.equal(exponentialDelay(5000, ITEM_BACKOFF), 1_000_000, 'no overflow to Infinity');
});

test('reconnect backoff adds up to 100 % jitter on 1 s … 30 s', () => {
  assert.equal(
    jitteredDelay(0, RECONNECT_BACKOFF, () => 0),
    1000,
  );
  assert.equal(
    jitteredDelay(0, RECONNECT_BACKOFF, () => 0.5),
    1500,
  );
  assert.equal(
    jitteredDelay(3, RECONNECT_BACKOFF, () => 0),
    8000,
  );
  assert.equal(
    jitteredDelay(10, RECONNECT_BACKOFF, () => 0),
    30_000,
  );
  assert.equal(
    jitteredDelay(10, RECONNECT_BACKOFF, () => 0.999),
    30_000 + 30_000 * 0.999,
  );
});

test('token bucket: a burst at once, then one token per 1/qps, waiting callers in order', () => {
  const start = 1_000_000;
  const bucket = new TokenBucket(10, 100, start);
  const waits = Array.from({ length: 100 }, () => bucket.reserve(start));
  assert.ok(
    waits.every((wait) => wait === 0),
    'the burst is free',
  );
  assert.equal(bucket.reserve(start), 100, 'the 101st waits 1/qps');
  assert.equal(bucket.reserve(start), 200, 'the 102nd waits behind it');
  // 300 ms later the two reservations are paid off and one more token has accrued.
  assert.equal(bucket.reserve(start + 300), 0);
  assert.ok(Math.abs(bucket.reserve(start + 300) - 100) < 1e-9);
  assert.equal(bucket.tryTake(start + 300), false);
  assert.equal(bucket.tryTake(start + 10_000_000), true, 'refills to at most the burst');
  assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
});
