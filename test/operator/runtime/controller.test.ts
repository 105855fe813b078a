import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from '../../../src/operator/runtime/controller.ts';
import type { Informer, InformerHandlers } from '../../../src/operator/runtime/informer.ts';
import { RuntimeMetrics } from '../../../src/operator/runtime/metrics.ts';
import type { KubeObject } from '../../../src/operator/runtime/resource.ts';
import { FakeClock, flush } from '../../helpers/fake-clock.ts';

test('N workers reconcile different keys concurrently, never one key twice at once', async () => {
  const clock = new FakeClock();
  let running = 0;
  let peak = 0;
  let overlaps = 0;
  const calls: string[] = [];
  const active = new Set<string>();
  const release: (() => void)[] = [];
  const controller = new Controller({
    name: 'c',
    workers: 3,
    clock,
    reconcile: async (key) => {
      if (active.has(key)) overlaps++;
      calls.push(key);
      active.add(key);
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      active.delete(key);
    },
  });
  const stop = new AbortController();
  const run = controller.run(stop.signal);
  for (const key of ['a', 'b', 'c', 'd', 'a']) controller.enqueue(key);
  await flush();
  assert.equal(peak, 3);
  controller.enqueue('a'); // while "a" is in flight
  while (release.length > 0) {
    release.shift()?.();
    await flush();
  }
  assert.equal(peak, 3);
  assert.equal(overlaps, 0);
  assert.deepEqual(calls.sort(), ['a', 'a', 'b', 'c', 'd'], '"a" again because it changed while in flight');
  stop.abort();
  await run;
});

test('results: requeueAfter schedules, errors back off, success forgets; metrics count each', async () => {
  const clock = new FakeClock();
  const metrics = new RuntimeMetrics();
  const calls: { key: string; at: number }[] = [];
  let failures = 2;
  const controller = new Controller({
    name: 'results',
    clock,
    metrics,
    reconcile: (key) => {
      calls.push({ key, at: clock.now() - start });
      if (key === 'refresh')
        return Promise.resolve(calls.length < 3 ? { requeueAfterMs: 60_000 } : undefined);
      if (key === 'flaky' && failures-- > 0) return Promise.reject(new Error('boom'));
      return Promise.resolve();
    },
  });
  const start = clock.now();
  const stop = new AbortController();
  const run = controller.run(stop.signal);
  controller.enqueue('refresh');
  await flush();
  await clock.advanceAsync(120_000, 1000);
  assert.deepEqual(
    calls.map((call) => call.at),
    [0, 60_000, 120_000],
  );
  calls.length = 0;
  const flakyStart = clock.now();
  controller.enqueue('flaky');
  await flush();
  await clock.advanceAsync(100, 1);
  assert.deepEqual(
    calls.map((call) => call.at - (flakyStart - start)),
    [0, 5, 15],
    'retried after 5 ms, then 10 ms more',
  );
  assert.equal(controller.queue.retries('flaky'), 0, 'forgotten after the success');
  stop.abort();
  await run;
  const text = await metrics.registry.metrics();
  assert.match(text, /controller_runtime_reconcile_total\{controller="results",result="requeue_after"\} 2/);
  assert.match(text, /controller_runtime_reconcile_total\{controller="results",result="error"\} 2/);
  assert.match(text, /controller_runtime_reconcile_errors_total\{controller="results"\} 2/);
  assert.match(text, /controller_runtime_reconcile_time_seconds_count\{controller="results"\} 6/);
  assert.match(text, /workqueue_adds_total\{name="results"\} \d+/);
});

test('maxRetries gives up on a key', async () => {
  const clock = new FakeClock();
  let calls = 0;
  const controller = new Controller({
    name: 'gives-up',
    clock,
    maxRetries: 2,
    reconcile: () => {
      calls++;
      return Promise.reject(new Error('always'));
    },
  });
  const stop = new AbortController();
  const run = controller.run(stop.signal);
  controller.enqueue('k');
  await clock.advanceAsync(200, 1);
  assert.equal(calls, 3, 'the first attempt and two retries');
  stop.abort();
  await run;
});

test('stopping aborts in-flight reconciles, hands out nothing more, and waits for them', async () => {
  const clock = new FakeClock();
  const seen: string[] = [];
  let finished = false;
  const controller = new Controller({
    name: 'stop',
    clock,
    reconcile: async (key, signal) => {
      seen.push(key);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await flush();
      finished = true;
    },
  });
  const stop = new AbortController();
  const run = controller.run(stop.signal);
  controller.enqueue('first');
  controller.enqueue('second');
  await flush();
  assert.deepEqual(seen, ['first']);
  let returned = false;
  void run.then(() => (returned = true));
  stop.abort();
  await run;
  assert.ok(returned && finished, 'run resolved only after the in-flight reconcile returned');
  assert.deepEqual(seen, ['first'], '"second" was never handed out');
});

test('watch: the mapping decides the keys; `added` and `updated` filter what is enqueued', async () => {
  const handlers: InformerHandlers<KubeObject>[] = [];
  const informer = {
    on: (handler: InformerHandlers<KubeObject>) => handlers.push(handler),
    waitForSync: () => Promise.resolve(),
  } as unknown as Informer<KubeObject>;
  const reconciled: string[] = [];
  const controller = new Controller({
    name: 'c',
    reconcile: (key) => {
      reconciled.push(key);
      return Promise.resolve();
    },
  });
  controller.watch(informer, (object) => [`owner-of-${object.metadata.name ?? ''}`], {
    added: (object) => object.metadata.labels?.['echo'] !== 'true',
    updated: (previous, current) => previous.metadata.generation !== current.metadata.generation,
  });
  const object = (name: string, generation = 1, echo = false): KubeObject => ({
    metadata: { name, generation, ...(echo ? { labels: { echo: 'true' } } : {}) },
  });
  const stop = new AbortController();
  const run = controller.run(stop.signal);
  const [handler] = handlers;
  handler?.add?.(object('a'));
  handler?.add?.(object('b', 1, true)); // filtered out
  handler?.update?.(object('c'), object('c')); // filtered out
  handler?.update?.(object('d'), object('d', 2));
  handler?.delete?.(object('e', 1, true)); // deletions are never filtered
  await flush();
  assert.deepEqual(reconciled.sort(), ['owner-of-a', 'owner-of-d', 'owner-of-e']);
  stop.abort();
  await run;
});
