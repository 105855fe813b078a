import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../../../src/operator/runtime/api-client.ts';
import { updateWithRetry } from '../../../src/operator/runtime/update-with-retry.ts';

interface Doc {
  version: number;
  labels: Record<string, string>;
}

/** A store that, like the API server, rejects writes based on a stale version. */
function store(initial: Doc, concurrentWrites: number) {
  let current = structuredClone(initial);
  let interfere = concurrentWrites;
  let gets = 0;
  return {
    get: () => {
      gets++;
      return Promise.resolve(structuredClone(current));
    },
    put: (next: Doc) => {
      if (interfere-- > 0) {
        current = { version: current.version + 1, labels: { ...current.labels, [`other${interfere}`]: 'x' } };
      }
      if (next.version !== current.version)
        return Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified'));
      current = { ...next, version: next.version + 1 };
      return Promise.resolve(structuredClone(current));
    },
    current: () => current,
    gets: () => gets,
  };
}

test('a conflict re-reads and re-applies the change, keeping the other writer’s change', async () => {
  const s = store({ version: 1, labels: {} }, 2);
  const result = await updateWithRetry(
    s.get,
    (doc) => ({ ...doc, labels: { ...doc.labels, mine: 'y' } }),
    s.put,
  );
  assert.equal(s.gets(), 3);
  assert.deepEqual(result.labels, { other1: 'x', other0: 'x', mine: 'y' });
});

test('gives up after the attempts with the conflict; other errors are thrown at once; no-op writes nothing', async () => {
  const s = store({ version: 1, labels: {} }, 100);
  await assert.rejects(
    updateWithRetry(s.get, (doc) => ({ ...doc }), s.put, { attempts: 3, delayMs: 0 }),
    (error: unknown) => error instanceof KubeApiError && error.status === 409,
  );
  assert.equal(s.gets(), 3);
  let puts = 0;
  await assert.rejects(
    updateWithRetry(
      () => Promise.resolve(1),
      (n) => n + 1,
      () => {
        puts++;
        return Promise.reject(new KubeApiError(422, 'Invalid', 'invalid'));
      },
    ),
    /invalid/,
  );
  assert.equal(puts, 1);
  const unchanged = await updateWithRetry(
    () => Promise.resolve({ v: 1 }),
    () => undefined,
    () => Promise.reject(new Error('must not write')),
  );
  assert.deepEqual(unchanged, { v: 1 });
});
