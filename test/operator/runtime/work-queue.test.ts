import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue, type QueueObserver } from '../../../src/operator/runtime/work-queue.ts';
import { FakeClock, flush } from '../../helpers/fake-clock.ts';

function recordingObserver(): QueueObserver & { adds: number; retries: number; depths: number[] } {
  const seen = { adds: 0, retries: 0, depths: [] as number[] };
  return Object.assign(seen, {
    added: () => void seen.adds++,
    depth: (n: number) => void seen.depths.push(n),
    retried: () => void seen.retries++,
    waited: () => undefined,
    worked: () => undefined,
  });
}

test('duplicates merge; an item added while processing is queued once more after done', async () => {
  const observer = recordingObserver();
  const queue = new WorkQueue<string>({ clock: new FakeClock(), observer });
  queue.add('a');
  queue.add('b');
  queue.add('a');
  assert.equal(queue.length, 2);
  assert.equal(observer.adds, 2);
  const first = await queue.get();
  assert.equal(first, 'a');
  queue.add('a');
  queue.add('a');
  assert.equal(queue.length, 1, '"a" is processing: it waits, marked dirty, not queued twice');
  assert.equal(await queue.get(), 'b');
  queue.done('a');
  assert.equal(queue.length, 1, 'dirty "a" is back, once');
  assert.equal(await queue.get(), 'a');
  queue.done('a');
  queue.done('b');
  assert.equal(queue.length, 0);
});

test('an item is never handed to two workers at once', async () => {
  const queue = new WorkQueue<string>({ clock: new FakeClock() });
  const firstGet = queue.get();
  const secondGet = queue.get();
  queue.add('x');
  assert.equal(await firstGet, 'x');
  queue.add('x');
  let second: string | undefined = 'pending';
  void secondGet.then((item) => (second = item));
  await flush();
  assert.equal(second, 'pending', 'the second worker does not get "x" while the first has it');
  queue.done('x');
  await flush();
  assert.equal(second, 'x');
});

test('addAfter delays; the earlier of two schedules wins', async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.addAfter('a', 1000);
  queue.addAfter('a', 5000);
  queue.addAfter('b', 2000);
  queue.addAfter('b', 500);
  assert.equal(queue.length, 0);
  clock.advance(499);
  assert.equal(queue.length, 0);
  clock.advance(1);
  assert.equal(await queue.get(), 'b');
  clock.advance(500);
  assert.equal(await queue.get(), 'a');
  clock.advance(10_000);
  assert.equal(queue.length, 0, 'the later schedule was dropped');
});

test('rate-limited adds back off per item, and the overall bucket limits everyone', () => {
  const clock = new FakeClock();
  const observer = recordingObserver();
  const queue = new WorkQueue<string>({ clock, observer, qps: 10, burst: 2 });
  queue.addRateLimited('a'); // 5 ms (bucket: 0)
  queue.addRateLimited('b'); // 5 ms (bucket: 0)
  queue.addRateLimited('c'); // bucket empty: 100 ms
  assert.equal(observer.retries, 3);
  clock.advance(5);
  assert.equal(queue.length, 2);
  clock.advance(94);
  assert.equal(queue.length, 2);
  clock.advance(1);
  assert.equal(queue.length, 3);
  assert.equal(queue.retries('a'), 1);
  queue.forget('a');
  assert.equal(queue.retries('a'), 0);
});

test('per-item backoff grows 5, 10, 20 ms for a failing item', async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const readyAfter: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const start = clock.now();
    queue.addRateLimited('a');
    while (queue.length === 0) clock.advance(1);
    readyAfter.push(clock.now() - start);
    const item = await queue.get();
    queue.done(item ?? '');
  }
  assert.deepEqual(readyAfter, [5, 10, 20]);
});

test('shutdown: waiting workers get undefined, queued and delayed items are dropped, drained waits for in-flight', async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.add('busy');
  queue.add('queued');
  queue.addAfter('later', 1000);
  assert.equal(await queue.get(), 'busy');
  queue.shutDown();
  assert.equal(await queue.get(), undefined);
  assert.equal(clock.pending, 0, 'the delayed item’s timer is cancelled');
  queue.add('new');
  assert.equal(queue.length, 0);
  let drained = false;
  void queue.drained().then(() => (drained = true));
  await flush();
  assert.equal(drained, false);
  queue.done('busy');
  await flush();
  assert.equal(drained, true);
});
