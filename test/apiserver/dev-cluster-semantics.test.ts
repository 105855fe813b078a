/**
 * API semantics and control loops of `cloak dev cluster`, through raw requests (exact codes and bodies):
 * generateName, finalizers and deletionTimestamp, delete preconditions, DELETE collection, the status
 * subresource and metadata.generation, garbage collection (background, foreground, orphan), ClusterRole
 * aggregation, default ServiceAccounts, CRDs coming and going, and watch bookmarks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevCluster } from '../helpers/dev-cluster.ts';
import { rawClient, type RawClient } from '../helpers/raw-api.ts';

type Json = Record<string, unknown>;
interface Meta {
  name: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: Json[];
}

const CM = '/api/v1/namespaces/default/configmaps';

async function json(
  api: RawClient,
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<{ status: number; body: Json }> {
  const response = await api.send(
    method,
    path,
    body === undefined ? {} : { body: JSON.stringify(body), ...(contentType ? { contentType } : {}) },
  );
  return { status: response.status, body: response.text ? response.json() : {} };
}

function meta(object: Json): Meta {
  return object['metadata'] as Meta;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function configMap(name: string, metadata: Json = {}): Json {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...metadata }, data: { a: 'b' } };
}

test('API semantics and control loops', async (t) => {
  const cluster = await startDevCluster(t, { extraArgs: ['--bookmark-interval', '200ms'] });
  const api = await rawClient(cluster);
  const exists = async (path: string): Promise<boolean> => (await api.send('GET', path)).status === 200;

  await t.test('generateName gets a 5-character suffix', async () => {
    const created = await json(api, 'POST', CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'gen-' },
    });
    assert.equal(created.status, 201);
    assert.match(meta(created.body).name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  await t.test(
    'a finalizer holds deletion: deletionTimestamp set, then gone when the finalizer is removed',
    async () => {
      await json(api, 'POST', CM, configMap('held', { finalizers: ['example.com/hold'] }));
      const deleted = await json(api, 'DELETE', `${CM}/held`);
      assert.equal(deleted.status, 200);
      assert.ok(meta(deleted.body).deletionTimestamp);
      assert.ok(await exists(`${CM}/held`));
      const refused = await json(api, 'DELETE', `${CM}/held`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { uid: 'not-the-uid' },
      });
      assert.equal(refused.status, 409);
      assert.match(
        String(refused.body['message']),
        /Precondition failed: UID in precondition: not-the-uid, UID in object meta: /,
      );
      const released = await json(
        api,
        'PATCH',
        `${CM}/held`,
        { metadata: { finalizers: null } },
        'application/merge-patch+json',
      );
      assert.equal(released.status, 200);
      assert.equal(await exists(`${CM}/held`), false);
    },
  );

  await t.test('DELETE on a collection removes what the selector matches', async () => {
    for (const name of ['col-a', 'col-b', 'col-c'])
      await json(api, 'POST', CM, configMap(name, { labels: { batch: name === 'col-c' ? 'keep' : 'drop' } }));
    const response = await json(api, 'DELETE', `${CM}?labelSelector=batch%3Ddrop`);
    assert.equal(response.status, 200);
    assert.deepEqual((response.body['items'] as Json[]).map((item) => meta(item).name).sort(), [
      'col-a',
      'col-b',
    ]);
    assert.deepEqual([await exists(`${CM}/col-a`), await exists(`${CM}/col-c`)], [false, true]);
  });

  await t.test('a CRD is served within a second; status subresource and generation', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.replicas' },
            },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  status: {
                    type: 'object',
                    properties: { ready: { type: 'boolean' }, replicas: { type: 'integer' } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const started = Date.now();
    assert.equal(
      (await json(api, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status,
      201,
    );
    const path = '/apis/example.com/v1/namespaces/default/gadgets';
    await eventually('the gadgets resource', async () => (await api.send('GET', path)).status === 200, 1000);
    t.diagnostic(`gadgets served after ${Date.now() - started} ms`);
    const gadget = {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g1' },
      spec: { size: 1 },
      status: { ready: true },
    };
    const created = await json(api, 'POST', path, gadget);
    assert.equal(created.status, 201);
    assert.equal(created.body['status'], undefined, 'status is not set through the main resource');
    assert.equal(meta(created.body).generation, 1);
    const withStatus = await json(api, 'PUT', `${path}/g1/status`, {
      ...created.body,
      status: { ready: true },
      spec: { size: 99 },
    });
    assert.equal(withStatus.status, 200);
    assert.deepEqual(withStatus.body['status'], { ready: true });
    assert.deepEqual(withStatus.body['spec'], { size: 1 }, 'the status subresource changes status only');
    assert.equal(meta(withStatus.body).generation, 1, 'a status change does not bump generation');
    const labelled = await json(
      api,
      'PATCH',
      `${path}/g1`,
      { metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    assert.equal(meta(labelled.body).generation, 1, 'a metadata change does not bump generation');
    const resized = await json(
      api,
      'PATCH',
      `${path}/g1`,
      { spec: { size: 2 }, status: { ready: false } },
      'application/merge-patch+json',
    );
    assert.equal(meta(resized.body).generation, 2);
    assert.deepEqual(resized.body['status'], { ready: true }, 'the main resource ignores status');
    const invalid = await json(api, 'POST', path, {
      ...gadget,
      metadata: { name: 'g2' },
      spec: { size: 'big' },
    });
    assert.equal(invalid.status, 422);
    const scale = await json(api, 'GET', `${path}/g1/scale`);
    assert.equal(scale.status, 200);
    assert.deepEqual(
      [scale.body['kind'], scale.body['apiVersion'], scale.body['spec']],
      ['Scale', 'autoscaling/v1', { replicas: 2 }],
    );
    const scaled = await json(
      api,
      'PATCH',
      `${path}/g1/scale`,
      { spec: { replicas: 7 } },
      'application/merge-patch+json',
    );
    assert.deepEqual(scaled.body['spec'], { replicas: 7 });
    assert.deepEqual((await json(api, 'GET', `${path}/g1`)).body['spec'], { size: 7 });
    const negative = await json(
      api,
      'PATCH',
      `${path}/g1/scale`,
      { spec: { replicas: -1 } },
      'application/merge-patch+json',
    );
    assert.equal(negative.status, 422);
    const smp = await api.send('PATCH', `${path}/g1`, {
      body: '{}',
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.equal(smp.status, 415);

    assert.equal(
      (
        await json(
          api,
          'DELETE',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com',
        )
      ).status,
      200,
    );
    await eventually(
      'the CRD and its objects to go',
      async () =>
        !(await exists('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com')),
    );
    await eventually(
      'the resource to stop being served',
      async () => (await api.send('GET', path)).status === 404,
    );
  });

  await t.test('garbage collection: background, foreground and orphan propagation', async () => {
    const owner = async (name: string): Promise<Json> => (await json(api, 'POST', CM, configMap(name))).body;
    const dependent = async (name: string, of: Json, block = false): Promise<void> => {
      const reference = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: meta(of).name,
        uid: meta(of).uid,
        ...(block ? { blockOwnerDeletion: true } : {}),
      };
      const body = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, ownerReferences: [reference] },
        stringData: { a: 'b' },
      };
      assert.equal((await json(api, 'POST', '/api/v1/namespaces/default/secrets', body)).status, 201);
    };
    const secret = (name: string) => `/api/v1/namespaces/default/secrets/${name}`;

    const background = await owner('owner-bg');
    await dependent('dep-bg', background);
    await json(api, 'DELETE', `${CM}/owner-bg`);
    await eventually(
      'the background dependent to be collected',
      async () => !(await exists(secret('dep-bg'))),
    );

    const foreground = await owner('owner-fg');
    await dependent('dep-fg', foreground, true);
    await json(
      api,
      'PATCH',
      secret('dep-fg'),
      { metadata: { finalizers: ['example.com/slow'] } },
      'application/merge-patch+json',
    );
    const marked = await json(api, 'DELETE', `${CM}/owner-fg`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
    });
    assert.deepEqual(meta(marked.body).finalizers, ['foregroundDeletion']);
    await sleep(300);
    assert.ok(await exists(`${CM}/owner-fg`), 'the owner waits for its blocking dependent');
    await json(
      api,
      'PATCH',
      secret('dep-fg'),
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    await eventually(
      'the foreground owner to go after its dependent',
      async () => !(await exists(`${CM}/owner-fg`)),
    );

    const orphaning = await owner('owner-orphan');
    await dependent('dep-orphan', orphaning);
    await json(api, 'DELETE', `${CM}/owner-orphan?propagationPolicy=Orphan`);
    await eventually('the orphaning owner to go', async () => !(await exists(`${CM}/owner-orphan`)));
    const orphan = await json(api, 'GET', secret('dep-orphan'));
    assert.equal(orphan.status, 200);
    assert.equal(meta(orphan.body).ownerReferences, undefined);
  });

  await t.test('ClusterRole aggregation', async () => {
    const roles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    await json(api, 'POST', roles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-reader-all' },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate': 'true' } }] },
    });
    for (const [name, verb] of [
      ['zz-part', 'list'],
      ['aa-part', 'get'],
    ] as const) {
      await json(api, 'POST', roles, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels: { 'example.com/aggregate': 'true' } },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: [verb] }],
      });
    }
    await eventually(
      'the aggregated rules',
      async () =>
        JSON.stringify((await json(api, 'GET', `${roles}/secret-reader-all`)).body['rules']) ===
        JSON.stringify([
          { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
          { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
        ]),
    );
  });

  await t.test('every namespace gets a default ServiceAccount, recreated when deleted', async () => {
    await json(api, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fresh' },
    });
    const account = '/api/v1/namespaces/fresh/serviceaccounts/default';
    await eventually('the default ServiceAccount', () => exists(account));
    const uid = meta((await json(api, 'GET', account)).body).uid;
    await json(api, 'DELETE', account);
    await eventually('a new default ServiceAccount', async () => {
      const again = await json(api, 'GET', account);
      return again.status === 200 && meta(again.body).uid !== uid;
    });
  });

  await t.test('watch bookmarks carry the progress revision', async () => {
    const response = await api.send(
      'GET',
      `${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${meta((await json(api, 'GET', `${CM}/col-c`)).body).resourceVersion}`,
    );
    const events = response.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: Json });
    const bookmark = events.find((event) => event.type === 'BOOKMARK');
    assert.ok(bookmark, response.text);
    assert.equal(bookmark.object['kind'], 'ConfigMap');
    assert.match(meta(bookmark.object).resourceVersion, /^\d+$/);
  });
});
