/**
 * The watch cache's window against compaction (SQLite storage in a temporary directory). A watcher of a
 * resource that stayed quiet while other resources were written resumes, after compaction, from its old
 * revision without a 410: nothing it could have missed was let go of (an idle informer must not relist after
 * every compaction). One that did miss a change the window has let go of gets the 410, as from storage.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectStore } from '../../src/apiserver/objects/store.ts';
import { WatchCache, type WatchFilter } from '../../src/apiserver/objects/watch-cache.ts';
import { ResourceRegistry, type ResourceInfo } from '../../src/apiserver/resources.ts';
import { EVERY_FIELD, EVERYTHING } from '../../src/apiserver/selectors.ts';
import type { ApiError } from '../../src/apiserver/status.ts';
import { openSqliteStorage } from '../../src/apiserver/storage/sqlite.ts';
import type { KubeObject } from '../../src/apiserver/objects/object.ts';
import { tempDir } from '../helpers/keys.ts';

function resource(plural: string): ResourceInfo {
  const info = new ResourceRegistry().versionsOf('', plural)[0];
  assert.ok(info, plural);
  return info;
}

function object(kind: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'default' } };
}

/** A watcher: the names it was told about, and the errors it got. */
function recorder() {
  const seen: string[] = [];
  const errors: ApiError[] = [];
  return {
    seen,
    errors,
    sink: {
      event: (type: string, event: { object: KubeObject }) =>
        seen.push(`${type} ${event.object.metadata.name}`),
      error: (error: ApiError) => errors.push(error),
    },
  };
}

async function eventually(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), `timed out waiting for ${what}`);
}

async function setUp(t: TestContext) {
  const storage = await openSqliteStorage({ path: join(await tempDir(t), 'state.db') });
  t.after(() => storage.close());
  const store = new ObjectStore(storage);
  const secrets = resource('secrets');
  const configMaps = resource('configmaps');
  const cache = new WatchCache(store, secrets);
  t.after(() => cache.close());
  await cache.ready();
  const filter: WatchFilter = {
    keyPrefix: store.collectionPrefix(secrets, undefined),
    labels: EVERYTHING,
    fields: EVERY_FIELD,
  };
  /** Compacts storage to its current revision and tells the cache, as the control plane's compactor does. */
  const compactAll = async (): Promise<number> => {
    const revision = await storage.revision();
    await storage.compact(revision);
    cache.compacted(revision);
    return revision;
  };
  return { store, secrets, configMaps, cache, filter, compactAll };
}

test('a watcher of a quiet resource resumes after compaction without a 410', async (t) => {
  const { store, secrets, configMaps, cache, filter, compactAll } = await setUp(t);
  const quiet = await store.create(secrets, object('Secret', 'quiet'));
  const first = recorder();
  const subscription = await cache.subscribe(quiet.modRevision - 1, filter, first.sink);
  await eventually('the Secret', () => first.seen.length === 1);
  const resumeFrom = subscription.progressRevision; // what the informer holds: its last event
  subscription.close();
  assert.equal(resumeFrom, quiet.modRevision);

  // Only other resources change (Leases, Events, status writes on a live cluster), then compaction runs.
  for (let i = 0; i < 5; i++) await store.create(configMaps, object('ConfigMap', `other-${i}`));
  const compactedTo = await compactAll();
  assert.ok(compactedTo > resumeFrom, 'the resume revision itself is compacted in storage');

  const resumed = recorder();
  const again = await cache.subscribe(resumeFrom, filter, resumed.sink);
  t.after(() => again.close());
  await store.create(secrets, object('Secret', 'later'));
  await eventually('the next Secret', () => resumed.seen.length === 1 || resumed.errors.length > 0);
  assert.deepEqual(
    resumed.errors.map((error) => error.message),
    [],
    'no 410: no Secret changed in between',
  );
  assert.deepEqual(resumed.seen, ['ADDED later']);
});

test('a watcher that missed a change the window let go of gets a 410', async (t) => {
  const { store, secrets, configMaps, cache, filter, compactAll } = await setUp(t);
  const seen = await store.create(secrets, object('Secret', 'seen'));
  await store.create(secrets, object('Secret', 'missed'));
  await store.create(configMaps, object('ConfigMap', 'other'));
  await sleep(50); // the cache has taken in every event
  await compactAll();

  const stale = recorder();
  const subscription = await cache.subscribe(seen.modRevision, filter, stale.sink);
  t.after(() => subscription.close());
  await eventually('the error', () => stale.errors.length > 0);
  assert.deepEqual(stale.seen, []);
  assert.equal(stale.errors[0]?.code, 410);
  assert.match(stale.errors[0]?.message ?? '', /^too old resource version: \d+ \(\d+\)$/);
});
