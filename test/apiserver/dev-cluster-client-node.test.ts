/**
 * @kubernetes/client-node, unchanged, against `cloak dev cluster`: typed lists, watches that reconnect from
 * their last resourceVersion without missing a change, optimistic-concurrency conflicts, and server-side apply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { startDevCluster } from '../helpers/dev-cluster.ts';

function secret(name: string, value: string, labels: Record<string, string> = {}): k8s.V1Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, stringData: { value } };
}

function statusOf(error: unknown): { code: number; reason: string; message: string } {
  assert.ok(error instanceof k8s.ApiException, `expected an ApiException, got ${String(error)}`);
  const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
    reason: string;
    message: string;
  };
  return { code: error.code, reason: body.reason, message: body.message };
}

test('@kubernetes/client-node against cloak dev cluster', async (t) => {
  const cluster = await startDevCluster(t);
  const config = new k8s.KubeConfig();
  config.loadFromFile(cluster.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const namespace = 'default';

  await t.test('create and list with a label selector', async () => {
    for (const [name, tier] of [
      ['a', 'db'],
      ['b', 'web'],
      ['c', 'db'],
    ] as const) {
      await core.createNamespacedSecret({ namespace, body: secret(name, `v-${name}`, { tier }) });
    }
    const list = await core.listNamespacedSecret({ namespace, labelSelector: 'tier=db' });
    assert.deepEqual(
      list.items.map((item) => item.metadata?.name),
      ['a', 'c'],
    );
    assert.equal(list.items[0]?.data?.['value'], Buffer.from('v-a').toString('base64'));
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  await t.test('paged list with limit and continue', async () => {
    const first = await core.listNamespacedSecret({ namespace, limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.metadata?._continue);
    const rest = await core.listNamespacedSecret({
      namespace,
      limit: 2,
      _continue: first.metadata._continue,
    });
    const names = [...first.items, ...rest.items].map((item) => item.metadata?.name);
    assert.deepEqual(names, ['a', 'b', 'c']);
  });

  await t.test('a watch that reconnects from its last resourceVersion misses nothing', async () => {
    const watch = new k8s.Watch(config);
    const path = `/api/v1/namespaces/${namespace}/secrets`;
    const start = (await core.listNamespacedSecret({ namespace })).metadata?.resourceVersion ?? '';
    const seen: string[] = [];
    let lastVersion = start;
    const watchOnce = (resourceVersion: string, timeoutSeconds: number) =>
      new Promise<void>((resolve, reject) => {
        void watch
          .watch(
            path,
            { resourceVersion, timeoutSeconds, allowWatchBookmarks: true },
            (phase, object: k8s.V1Secret) => {
              lastVersion = object.metadata?.resourceVersion ?? lastVersion;
              if (phase !== 'BOOKMARK') seen.push(`${phase} ${object.metadata?.name}`);
            },
            (error: unknown) =>
              error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve(),
          )
          .catch(reject);
      });
    const firstWatch = watchOnce(start, 1);
    await sleep(100);
    await core.createNamespacedSecret({ namespace, body: secret('during-first', 'x') });
    await firstWatch;
    // Between the two watches (the server closed the first after timeoutSeconds):
    await core.createNamespacedSecret({ namespace, body: secret('between', 'x') });
    await core.deleteNamespacedSecret({ name: 'between', namespace });
    const secondWatch = watchOnce(lastVersion, 1);
    await core.patchNamespacedSecret(
      { name: 'a', namespace, body: { metadata: { labels: { touched: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await secondWatch;
    assert.deepEqual(seen, ['ADDED during-first', 'ADDED between', 'DELETED between', 'MODIFIED a']);
  });

  await t.test('update with a stale resourceVersion: 409 Conflict with the real message', async () => {
    const current = await core.readNamespacedSecret({ name: 'b', namespace });
    await core.replaceNamespacedSecret({
      name: 'b',
      namespace,
      body: { ...current, stringData: { value: 'first' } },
    });
    try {
      await core.replaceNamespacedSecret({
        name: 'b',
        namespace,
        body: { ...current, stringData: { value: 'second' } },
      });
      assert.fail('a stale update must fail');
    } catch (error) {
      assert.deepEqual(statusOf(error), {
        code: 409,
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on secrets "b": the object has been modified; please apply your changes to the latest version and try again',
      });
    }
    const after = await core.readNamespacedSecret({ name: 'b', namespace });
    assert.equal(after.data?.['value'], Buffer.from('first').toString('base64'));
  });

  await t.test('server-side apply with field managers and conflicts', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(config);
    const desired = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace },
      data: { owner: 'alice' },
    };
    await objects.patch(desired, undefined, undefined, 'alice', false, k8s.PatchStrategy.ServerSideApply);
    try {
      await objects.patch(
        { ...desired, data: { owner: 'bob' } },
        undefined,
        undefined,
        'bob',
        false,
        k8s.PatchStrategy.ServerSideApply,
      );
      assert.fail('bob may not take alice’s field without force');
    } catch (error) {
      const status = statusOf(error);
      assert.equal(status.code, 409);
      assert.equal(status.message, 'Apply failed with 1 conflict: conflict with "alice": .data.owner');
    }
    const forced = await objects.patch(
      { ...desired, data: { owner: 'bob' } },
      undefined,
      undefined,
      'bob',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal((forced as unknown as { data: Record<string, string> }).data['owner'], 'bob');
    const managed = (forced as unknown as k8s.V1ConfigMap).metadata?.managedFields ?? [];
    const managers = managed.map((entry) => `${entry.manager}/${entry.operation}`);
    assert.deepEqual(managers, ['bob/Apply']);
  });
});
