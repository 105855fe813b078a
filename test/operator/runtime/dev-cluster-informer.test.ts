/**
 * Informers against the real local control plane: a paged LIST then WATCH delivering adds, updates and
 * deletes; namespace, label and field scoping; metadata-only Secrets (the server sends PartialObjectMetadata);
 * and a watch stalled past compaction that must relist on 410 and report what it missed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, loadClusterConfig } from '../../../src/operator/runtime/api-client.ts';
import { Informer } from '../../../src/operator/runtime/informer.ts';
import { byLabel } from '../../../src/operator/runtime/object-cache.ts';
import { CONFIG_MAPS, objectKey, SECRETS, type KubeObject } from '../../../src/operator/runtime/resource.ts';
import { startDevCluster } from '../../helpers/dev-cluster.ts';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';

async function eventually(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function configMap(
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

function recorder(informer: Informer): string[] {
  const seen: string[] = [];
  informer.on({
    add: (object) => seen.push(`add ${objectKey(object.metadata)}`),
    update: (previous, current) =>
      seen.push(`update ${objectKey(current.metadata)}${previous === current ? ' (resync)' : ''}`),
    delete: (object) => seen.push(`delete ${objectKey(object.metadata)}`),
  });
  return seen;
}

test('informers against cloak dev cluster', async (t) => {
  const cluster = await startDevCluster(t, { extraArgs: ['--compaction-interval', '1s'] });
  const client = await ApiClient.connect({ kubeconfig: cluster.kubeconfig });
  const stop = new AbortController();
  t.after(() => stop.abort());

  await t.test(
    'paged list, then adds, updates and deletes; scoped by label and field selectors',
    async () => {
      for (let i = 0; i < 5; i++) await client.create(CONFIG_MAPS, configMap(`db-${i}`, { tier: 'db' }));
      await client.create(CONFIG_MAPS, configMap('web-0', { tier: 'web' }));
      const informer = new Informer({
        client,
        type: CONFIG_MAPS,
        namespace: 'default',
        labelSelector: 'tier',
        pageSize: 2,
        indexers: { tier: byLabel('tier') },
      });
      const byName = new Informer({ client, type: CONFIG_MAPS, fieldSelector: 'metadata.name=web-0' });
      const seen = recorder(informer);
      void informer.run(stop.signal);
      void byName.run(stop.signal);
      await informer.waitForSync();
      await byName.waitForSync();
      assert.ok(informer.hasSynced());
      assert.deepEqual(seen.sort(), [
        'add default/db-0',
        'add default/db-1',
        'add default/db-2',
        'add default/db-3',
        'add default/db-4',
        'add default/web-0',
      ]);
      assert.deepEqual(byName.cache.keys(), ['default/web-0']);
      assert.equal(informer.cache.byIndex('tier', 'db').length, 5);
      seen.length = 0;

      await client.create(CONFIG_MAPS, configMap('db-5', { tier: 'db' }));
      await client.create(CONFIG_MAPS, configMap('unlabelled'));
      const current = await client.get(CONFIG_MAPS, 'default', 'db-0');
      await client.update(CONFIG_MAPS, { ...current, data: { changed: 'yes' } });
      await client.delete(CONFIG_MAPS, 'default', 'db-1');
      const web = await client.get(CONFIG_MAPS, 'default', 'web-0');
      await client.update(CONFIG_MAPS, { ...web, metadata: { ...web.metadata, labels: { tier: 'db' } } });
      await eventually('four watch events', () => seen.length >= 4);
      assert.deepEqual(seen, [
        'add default/db-5',
        'update default/db-0',
        'delete default/db-1',
        'update default/web-0',
      ]);
      assert.deepEqual(informer.cache.get('default/db-0')?.['data'], { changed: 'yes' });
      assert.equal(informer.cache.get('default/unlabelled'), undefined, 'outside the label selector');
      assert.equal(informer.cache.byIndex('tier', 'db').length, 6, 'web-0 moved to tier=db in the index');
      assert.equal(informer.cache.byIndex('tier', 'web').length, 0);
      await eventually('the field-selected informer sees the change', () => {
        const labels = byName.cache.get('default/web-0')?.metadata.labels;
        return labels?.['tier'] === 'db';
      });
      assert.deepEqual(byName.cache.keys(), ['default/web-0']);
    },
  );

  await t.test('metadata-only Secrets: no data, no last-applied copy, on list and on watch', async () => {
    const secret = (name: string, value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: 'default',
        labels: { app: 'x' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            stringData: { password: value },
          }),
        },
      },
      stringData: { password: value },
    });
    await client.create(SECRETS, secret('listed', 'listed-plaintext-value'));
    const informer = new Informer({ client, type: SECRETS, namespace: 'default', metadataOnly: true });
    const seen = recorder(informer);
    void informer.run(stop.signal);
    await informer.waitForSync();
    await client.create(SECRETS, secret('watched', 'watched-plaintext-value'));
    await eventually('the watched Secret', () => seen.includes('add default/watched'));
    const cached = informer.cache.list();
    assert.deepEqual(cached.map((object) => object.metadata.name).sort(), ['listed', 'watched']);
    for (const object of cached) {
      assert.equal(object.kind, 'PartialObjectMetadata');
      assert.deepEqual(Object.keys(object).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.deepEqual(object.metadata.labels, { app: 'x' });
      assert.ok(object.metadata.uid && object.metadata.resourceVersion);
      assert.equal(object.metadata.managedFields, undefined);
    }
    const text = JSON.stringify(cached);
    for (const value of ['listed-plaintext-value', 'watched-plaintext-value']) {
      assert.ok(!text.includes(value));
      assert.ok(!text.includes(Buffer.from(value).toString('base64')));
    }
    // The server answered with PartialObjectMetadata (its last-applied copy dropped here): nothing whole came.
    assert.equal(informer.reducedLocally, 0);
  });

  await t.test('a watch stalled past compaction relists on 410 and reports what it missed', async (t2) => {
    const proxy = await startTcpProxy(t2, Number(new URL(cluster.url).port));
    const config = await loadClusterConfig({
      kubeconfig: cluster.kubeconfig,
      server: `https://127.0.0.1:${proxy.port}`,
    });
    const proxied = new ApiClient(config);
    for (const name of ['keep', 'change', 'remove'])
      await client.create(CONFIG_MAPS, configMap(`r-${name}`, { relist: 'yes' }));
    const informer = new Informer({
      client: proxied,
      type: CONFIG_MAPS,
      labelSelector: 'relist=yes',
      backoff: { baseMs: 50, maxMs: 200, jitter: 0 },
    });
    const seen = recorder(informer);
    void informer.run(stop.signal);
    await informer.waitForSync();
    assert.equal(informer.lists, 1);
    seen.length = 0;

    proxy.stall();
    const change = await client.get(CONFIG_MAPS, 'default', 'r-change');
    await client.update(CONFIG_MAPS, { ...change, data: { v: '2' } });
    await client.delete(CONFIG_MAPS, 'default', 'r-remove');
    await client.create(CONFIG_MAPS, configMap('r-new', { relist: 'yes' }));
    await sleep(2500); // two compactions: the informer's resourceVersion is gone
    assert.equal(seen.length, 0, 'nothing reached the stalled watch');
    proxy.cutAll();
    proxy.resume();

    await eventually('the relist', () => informer.lists === 2);
    assert.deepEqual(seen.sort(), [
      'add default/r-new',
      'delete default/r-remove',
      'update default/r-change',
    ]);
    assert.deepEqual(informer.cache.keys().sort(), ['default/r-change', 'default/r-keep', 'default/r-new']);
    assert.deepEqual(informer.cache.get('default/r-change')?.['data'], { v: '2' });

    // And it keeps watching after the relist.
    await client.delete(CONFIG_MAPS, 'default', 'r-keep');
    await eventually('a delete after the relist', () => seen.includes('delete default/r-keep'));
  });

  await t.test('an idle informer resumes its watches across compactions without relisting', async () => {
    // Nothing matches: the informer's resourceVersion stays where its LIST left it, while other writes move
    // the revision on and the cluster compacts every second. Each 2 s watch then resumes from that version.
    const informer = new Informer({
      client,
      type: SECRETS,
      labelSelector: 'idle-informer=yes',
      metadataOnly: true,
      minWatchTimeoutSeconds: 2,
      random: () => 0,
    });
    void informer.run(stop.signal);
    await informer.waitForSync();
    for (let i = 0; i < 12; i++) {
      await client.create(CONFIG_MAPS, configMap(`idle-other-${i}`));
      await sleep(500);
    }
    assert.equal(informer.lists, 1, 'every watch resumed from where the last one ended');
    await client.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'idle-woken', namespace: 'default', labels: { 'idle-informer': 'yes' } },
    });
    await eventually('the Secret through a resumed watch', () => informer.cache.size === 1);
  });

  await t.test('a watch that falls silent past its timeout is abandoned and resumed', async (t2) => {
    const proxy = await startTcpProxy(t2, Number(new URL(cluster.url).port));
    const config = await loadClusterConfig({
      kubeconfig: cluster.kubeconfig,
      server: `https://127.0.0.1:${proxy.port}`,
    });
    const informer = new Informer({
      client: new ApiClient(config),
      type: CONFIG_MAPS,
      fieldSelector: 'metadata.name=silent',
      minWatchTimeoutSeconds: 1,
      watchDeadlineSlackSeconds: 1,
      random: () => 0,
    });
    const seen = recorder(informer);
    void informer.run(stop.signal);
    await informer.waitForSync();
    await sleep(300); // the watch is open
    const connections = proxy.accepted;
    // The server's end of the watch (after 1 s) is held too: to the informer the connection just goes quiet.
    proxy.stall();
    const stalledAt = Date.now();
    await eventually('a new connection after the deadline', () => proxy.accepted > connections, 5000);
    const quiet = Date.now() - stalledAt;
    assert.ok(quiet >= 1400, `abandoned after the 1 s timeout plus 1 s slack, not before (${quiet} ms)`);
    proxy.resume();
    await client.create(CONFIG_MAPS, configMap('silent'));
    await eventually('the change through the new watch', () => seen.includes('add default/silent'));
  });

  await t.test('resync re-delivers cached objects as updates', async () => {
    const informer = new Informer({
      client,
      type: CONFIG_MAPS,
      namespace: 'default',
      fieldSelector: 'metadata.name=db-0',
      resyncPeriodMs: 200,
    });
    const seen = recorder(informer);
    void informer.run(stop.signal);
    await eventually('two resyncs', () => seen.filter((line) => line.endsWith('(resync)')).length >= 2);
    assert.deepEqual([...new Set(seen)].sort(), ['add default/db-0', 'update default/db-0 (resync)']);
  });
});
