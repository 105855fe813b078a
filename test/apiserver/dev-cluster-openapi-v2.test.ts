/**
 * /openapi/v2 as the real kubectl 1.32 uses it against `cloak dev cluster`: a `kind: List` manifest never
 * qualifies for server-side field validation, so with its default --validate=strict kubectl fetches the v2
 * document (gnostic protobuf) and validates the List's items itself. Valid Lists apply and replace (the
 * documented key-rotation pipeline); an unknown field fails in kubectl, before anything is written.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';
import { decodeOpenApiV2 } from '../helpers/independent-openapi-v2.ts';

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const VALID_LIST = `apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: secret-readers}
  subjects: [{kind: Group, name: readers, apiGroup: rbac.authorization.k8s.io}]
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
- apiVersion: v1
  kind: Secret
  metadata: {name: db, namespace: default, labels: {app: shop}}
  type: Opaque
  stringData: {password: hunter2}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: default}
  data: {mode: fast}
`;

const UNKNOWN_FIELD_LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: never-created, namespace: default}
  data: {a: b}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: typo}
  foo: bar
  subjects: [{kind: User, name: mia, apiGroup: rbac.authorization.k8s.io}]
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
`;

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
`;

function widgetList(specLine: string): string {
  return `apiVersion: v1
kind: List
items:
- apiVersion: example.com/v1
  kind: Widget
  metadata: {name: w1, namespace: default}
  spec: {size: 3${specLine}}
`;
}

interface RawBytes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET with the admin token and the cluster CA, the body as bytes (the protobuf must not go through UTF-8). */
async function getBytes(
  cluster: DevCluster,
  path: string,
  headers: Record<string, string>,
): Promise<RawBytes> {
  const ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
  const token = (await readFile(join(cluster.dataDir, 'admin.token'), 'utf8')).trim();
  const base = new URL(cluster.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        ca,
        headers: { Authorization: `Bearer ${token}`, ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('kubectl validates kind: List manifests against /openapi/v2, as against a real cluster', async (t) => {
  const cluster = await startDevCluster(t);
  const kubectl = (args: readonly string[], input?: string) => kubectlOk(cluster, args, input);

  await t.test('apply -f - of a v1 List (default --validate=strict)', async () => {
    const out = await kubectl(['apply', '-f', '-'], VALID_LIST);
    assert.match(out, /^clusterrolebinding\.rbac\.authorization\.k8s\.io\/secret-readers created$/m);
    assert.match(out, /^secret\/db created$/m);
    assert.match(out, /^configmap\/settings created$/m);
    assert.equal(await kubectl(['get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}']), 'fast');
    // Again: validated again, and nothing to patch (a Secret with stringData is always "configured").
    const again = await kubectl(['apply', '-f', '-'], VALID_LIST);
    assert.match(again, /^configmap\/settings unchanged$/m);
    assert.match(again, /^clusterrolebinding\.rbac\.authorization\.k8s\.io\/secret-readers unchanged$/m);
  });

  await t.test('get secrets -A -o json | replace -f - (the key-rotation pipeline)', async () => {
    await kubectl(['create', 'namespace', 'team-a']);
    await kubectl(['create', 'secret', 'generic', 'api-key', '-n', 'team-a', '--from-literal=key=abc']);
    const listed = await kubectl(['get', 'secrets', '-A', '-o', 'json']);
    const list = JSON.parse(listed) as { kind: string; items: { metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.ok(list.items.length >= 2);
    const replaced = await kubectl(['replace', '-f', '-'], listed);
    for (const item of list.items)
      assert.match(replaced, new RegExp(`^secret/${item.metadata.name} replaced$`, 'm'));
    assert.equal(
      await kubectl(['get', 'secret', 'api-key', '-n', 'team-a', '-o', 'jsonpath={.data.key}']),
      Buffer.from('abc').toString('base64'),
    );
  });

  await t.test('a List item with an unknown field fails in kubectl; nothing is created', async () => {
    const result = await cluster.kubectl(['apply', '-f', '-'], UNKNOWN_FIELD_LIST);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(
      result.stderr.trim(),
      'error: error validating "STDIN": error validating data: ValidationError(ClusterRoleBinding): unknown ' +
        'field "foo" in io.k8s.api.rbac.v1.ClusterRoleBinding; if you choose to ignore these errors, turn ' +
        'validation off with --validate=false',
    );
    assert.equal(result.stdout, '');
    const replace = await cluster.kubectl(['replace', '-f', '-'], UNKNOWN_FIELD_LIST);
    assert.equal(replace.code, 1);
    assert.match(replace.stderr, /unknown field "foo" in io\.k8s\.api\.rbac\.v1\.ClusterRoleBinding/);
    const missing = await cluster.kubectl(['get', 'configmap', 'never-created']);
    assert.match(missing.stderr, /configmaps "never-created" not found/);
  });

  await t.test('get --raw /openapi/v2 answers JSON', async () => {
    const document = JSON.parse(await kubectl(['get', '--raw', '/openapi/v2'])) as {
      swagger: string;
      definitions: Record<string, Record<string, unknown>>;
    };
    assert.equal(document.swagger, '2.0');
    assert.deepEqual(document.definitions['io.k8s.api.core.v1.Secret']?.['x-kubernetes-group-version-kind'], [
      { group: '', kind: 'Secret', version: 'v1' },
    ]);
  });

  await t.test('the protobuf form decodes to the JSON form; ETag revalidation answers 304', async () => {
    const json = await getBytes(cluster, '/openapi/v2', { Accept: 'application/json' });
    const protobuf = await getBytes(cluster, '/openapi/v2', { Accept: PROTOBUF });
    assert.equal(protobuf.status, 200);
    assert.equal(
      protobuf.headers['content-type'],
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    const decoded = decodeOpenApiV2(protobuf.body);
    const document = JSON.parse(json.body.toString('utf8')) as { definitions: Record<string, unknown> };
    assert.deepEqual(Object.fromEntries(decoded.definitions), document.definitions);
    const etag = protobuf.headers['etag'];
    assert.equal(typeof etag, 'string');
    assert.notEqual(etag, json.headers['etag']);
    const again = await getBytes(cluster, '/openapi/v2', { Accept: PROTOBUF, 'If-None-Match': String(etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const unacceptable = await getBytes(cluster, '/openapi/v2', { Accept: 'text/html' });
    assert.equal(unacceptable.status, 406);
  });

  await t.test('a new CRD is in the next document: its List items are validated too', async () => {
    const before = await getBytes(cluster, '/openapi/v2', { Accept: PROTOBUF });
    await kubectl(['create', '-f', '-'], WIDGET_CRD);
    await kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
    const after = await getBytes(cluster, '/openapi/v2', {
      Accept: PROTOBUF,
      'If-None-Match': String(before.headers['etag']),
    });
    assert.equal(after.status, 200);
    assert.ok(decodeOpenApiV2(after.body).definitions.some(([name]) => name === 'com.example.v1.Widget'));
    const bad = await cluster.kubectl(['apply', '-f', '-'], widgetList(', bogus: 1'));
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /ValidationError\(Widget\.spec\): unknown field "bogus" in com\.example\.v1\.Widget\.spec/,
    );
    assert.match(await kubectl(['apply', '-f', '-'], widgetList('')), /^widget\.example\.com\/w1 created$/m);
  });
});
