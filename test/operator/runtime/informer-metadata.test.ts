/**
 * The informer's metadata-only mode against two kinds of API server, played by a small HTTP server: one that
 * honours `as=PartialObjectMetadata[List]` (as kube-apiserver and cloak dev cluster do, keeping managed fields and
 * the last-applied annotation in the metadata) and one that ignores it and sends whole Secrets. Either way the
 * cache holds the same reduced objects, and only the second needs the informer's own reduction. Then what every
 * cache does: LIST pages of 100, and managed fields dropped unless asked for.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../../src/operator/runtime/api-client.ts';
import { Informer } from '../../../src/operator/runtime/informer.ts';
import { CONFIG_MAPS, SECRETS, type KubeObject } from '../../../src/operator/runtime/resource.ts';
import { serveKubeStub } from '../../helpers/kube-stub.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const VALUE = 'informer-plaintext-value';

function secret(name: string, resourceVersion: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion,
      labels: { app: 'x' },
      annotations: { keep: 'me', [LAST_APPLIED]: JSON.stringify({ stringData: { password: VALUE } }) },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }],
    },
    data: { password: Buffer.from(VALUE).toString('base64') },
    type: 'Opaque',
  };
}

/** What kube-apiserver's asPartialObjectMetadata makes of an object: its whole ObjectMeta, nothing else. */
function partial(object: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

async function fakeServer(t: TestContext, honoursMetadata: boolean) {
  const accepts: string[] = [];
  let watches = 0;
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://x');
    accepts.push(`${url.searchParams.has('watch') ? 'watch' : 'list'} ${request.headers.accept ?? ''}`);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    if (!url.searchParams.has('watch')) {
      const item = secret('listed', '10');
      response.end(
        JSON.stringify(
          honoursMetadata
            ? {
                kind: 'PartialObjectMetadataList',
                apiVersion: 'meta.k8s.io/v1',
                metadata: { resourceVersion: '10' },
                items: [partial(item)],
              }
            : { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: [item] },
        ),
      );
      return;
    }
    // The first watch delivers one new Secret, then stays open (later ones just stay open).
    if (watches++ === 0) {
      const item = secret('watched', '11');
      response.write(
        `${JSON.stringify({ type: 'ADDED', object: honoursMetadata ? partial(item) : item })}\n`,
      );
    }
  };
  const kubeconfig = await serveKubeStub(t, handler);
  return { kubeconfig, accepts };
}

for (const honoursMetadata of [true, false]) {
  test(`metadata-only informer against a server that ${honoursMetadata ? 'honours' : 'ignores'} as=PartialObjectMetadata`, async (t) => {
    const { kubeconfig, accepts } = await fakeServer(t, honoursMetadata);
    const client = await ApiClient.connect({ kubeconfig });
    const informer = new Informer({ client, type: SECRETS, namespace: 'default', metadataOnly: true });
    const stop = new AbortController();
    t.after(() => stop.abort());
    void informer.run(stop.signal);
    await informer.waitForSync(AbortSignal.timeout(10_000));
    assert.ok(informer.hasSynced(), 'listed');
    for (let i = 0; i < 500 && !informer.cache.get('default/watched'); i++) await sleep(10);

    assert.deepEqual(informer.cache.keys().sort(), ['default/listed', 'default/watched']);
    for (const object of informer.cache.list()) {
      assert.deepEqual(object, {
        apiVersion: 'meta.k8s.io/v1',
        kind: 'PartialObjectMetadata',
        metadata: {
          name: object.metadata.name,
          namespace: 'default',
          uid: `uid-${object.metadata.name ?? ''}`,
          resourceVersion: object.metadata.resourceVersion,
          labels: { app: 'x' },
          annotations: { keep: 'me' },
        },
      });
    }
    assert.ok(!JSON.stringify(informer.cache.list()).includes(VALUE));
    assert.equal(informer.reducedLocally, honoursMetadata ? 0 : 2);
    assert.match(
      accepts[0] ?? '',
      /^list application\/json;as=PartialObjectMetadataList;g=meta\.k8s\.io;v=v1,/,
    );
    assert.match(accepts[1] ?? '', /^watch application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1,/);
  });
}

test('every cache drops managed fields unless asked to keep them; LIST pages hold 100 objects', async (t) => {
  const queries: string[] = [];
  const kubeconfig = await serveKubeStub(t, (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    response.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.searchParams.has('watch')) return; // stays open, quiet
    queries.push(url.searchParams.get('limit') ?? '');
    const item = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'default',
        resourceVersion: '5',
        managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }],
      },
      data: { key: 'value' },
    };
    response.end(
      JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '5' }, items: [item] }),
    );
  });
  const client = await ApiClient.connect({ kubeconfig });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const stripped = new Informer({ client, type: CONFIG_MAPS });
  const kept = new Informer({ client, type: CONFIG_MAPS, keepManagedFields: true });
  for (const informer of [stripped, kept]) {
    void informer.run(stop.signal);
    await informer.waitForSync(AbortSignal.timeout(10_000));
  }
  assert.deepEqual(stripped.cache.get('default/cm'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'default', resourceVersion: '5' },
    data: { key: 'value' },
  });
  assert.equal(kept.cache.get('default/cm')?.metadata.managedFields?.length, 1);
  assert.deepEqual(queries, ['100', '100']);
});
