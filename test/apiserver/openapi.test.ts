import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import type { GroupVersionKind } from '../../src/apiserver/discovery.ts';
import type { OpenApiDocument, Operation, Schema } from '../../src/apiserver/openapi.ts';
import {
  groupVersionOfOpenApiPath,
  openApiGroupVersion,
  openApiHash,
  openApiIndex,
  openApiPath,
  schemaCoversStrategicMerge,
} from '../../src/apiserver/openapi.ts';
import type { ResourceInfo } from '../../src/apiserver/resources.ts';
import { ResourceRegistry } from '../../src/apiserver/resources.ts';
import type { Route } from '../helpers/fake-apiserver.ts';
import { jsonReply, startFakeApiServer, statusReply } from '../helpers/fake-apiserver.ts';
import { discoveryRoutes, firstOf, kubectlFor, widgetVersion } from '../helpers/discovery-routes.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const SMP = 'application/strategic-merge-patch+json';

function documentFor(registry: ResourceRegistry, group: string, version: string): OpenApiDocument {
  const document = openApiGroupVersion(registry, group, version);
  assert.ok(document, `${group}/${version} has a document`);
  return document;
}

function withWidgets(): ResourceRegistry {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  return registry;
}

/**
 * kubectl's test for server-side field validation (cli-runtime query_param_verifier_v3): a PATCH operation whose
 * x-kubernetes-group-version-kind is the object's GVK declares the fieldValidation query parameter. kubectl
 * stops at the first such operation in map order, so every one of them must declare it.
 */
function supportsFieldValidation(document: OpenApiDocument, gvk: GroupVersionKind): boolean {
  const patches = Object.values(document.paths)
    .map((item) => item.patch)
    .filter((patch): patch is Operation => patch !== undefined)
    .filter((patch) => {
      const { group, version, kind } = patch['x-kubernetes-group-version-kind'];
      return group === gvk.group && version === gvk.version && kind === gvk.kind;
    });
  return (
    patches.length > 0 &&
    patches.every((patch) =>
      (patch.parameters ?? []).some(
        (parameter) => parameter.name === 'fieldValidation' && parameter.in === 'query',
      ),
    )
  );
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

test('a namespaced resource has its collection, item, all-namespaces and subresource paths', () => {
  const document = documentFor(new ResourceRegistry(), '', 'v1');
  assert.equal(document.openapi, '3.0.0');
  assert.equal(document.info.title, 'Kubernetes');
  const collection = document.paths['/api/v1/namespaces/{namespace}/secrets'];
  const item = document.paths['/api/v1/namespaces/{namespace}/secrets/{name}'];
  const everywhere = document.paths['/api/v1/secrets'];
  assert.deepEqual(Object.keys(collection ?? {}).sort(), ['delete', 'get', 'parameters', 'post']);
  assert.deepEqual(Object.keys(item ?? {}).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.deepEqual(Object.keys(everywhere ?? {}).sort(), ['get', 'parameters']);
  assert.deepEqual(
    [
      collection?.get,
      collection?.post,
      collection?.delete,
      item?.get,
      item?.put,
      item?.patch,
      item?.delete,
    ].map((operation) => operation?.['x-kubernetes-action']),
    ['list', 'post', 'deletecollection', 'get', 'put', 'patch', 'delete'],
  );
  for (const operation of [collection?.get, item?.patch, everywhere?.get]) {
    assert.deepEqual(operation?.['x-kubernetes-group-version-kind'], {
      group: '',
      version: 'v1',
      kind: 'Secret',
    });
  }
  assert.equal(item?.patch?.operationId, 'patchCoreV1NamespacedSecret');
  assert.equal(everywhere?.get?.operationId, 'listCoreV1SecretForAllNamespaces');
  assert.deepEqual(
    item?.parameters.map((parameter) => [parameter.name, parameter.in]),
    [
      ['name', 'path'],
      ['namespace', 'path'],
      ['pretty', 'query'],
    ],
  );
  assert.equal(
    refsIn(collection?.get?.responses['200'])[0],
    `#/components/schemas/io.k8s.api.core.v1.SecretList`,
  );
});

test('a cluster-scoped resource has no namespace segment and no all-namespaces path', () => {
  const document = documentFor(new ResourceRegistry(), '', 'v1');
  assert.ok(document.paths['/api/v1/namespaces']?.get);
  assert.ok(document.paths['/api/v1/namespaces/{name}']?.patch);
  assert.deepEqual(
    document.paths['/api/v1/namespaces/{name}']?.parameters.map((parameter) => parameter.name),
    ['name', 'pretty'],
  );
  assert.deepEqual(Object.keys(document.paths['/api/v1/namespaces/{name}/finalize'] ?? {}).sort(), [
    'parameters',
    'put',
  ]);
  const rbac = documentFor(new ResourceRegistry(), 'rbac.authorization.k8s.io', 'v1');
  assert.ok(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}']?.patch);
  assert.equal(
    rbac.paths['/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/clusterroles'],
    undefined,
  );
});

test('subresources get their own paths, with the kind they speak', () => {
  const document = documentFor(new ResourceRegistry(), '', 'v1');
  const token = document.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'];
  assert.deepEqual(Object.keys(token ?? {}).sort(), ['parameters', 'post']);
  assert.deepEqual(token?.post?.['x-kubernetes-group-version-kind'], {
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenRequest',
  });
  assert.ok(document.components.schemas['io.k8s.api.authentication.v1.TokenRequest']);
  const status = document.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'];
  assert.deepEqual(Object.keys(status ?? {}).sort(), ['get', 'parameters', 'patch', 'put']);
  assert.equal(status?.patch?.operationId, 'patchCoreV1NamespacedPodStatus');
  assert.deepEqual(status?.patch?.['x-kubernetes-group-version-kind'], {
    group: '',
    version: 'v1',
    kind: 'Pod',
  });
});

test('PATCH operations declare the query parameters and patch types kubectl looks for', () => {
  const patch = documentFor(new ResourceRegistry(), '', 'v1').paths[
    '/api/v1/namespaces/{namespace}/secrets/{name}'
  ]?.patch;
  assert.deepEqual(
    patch?.parameters?.map((parameter) => [parameter.name, parameter.in]),
    [
      ['dryRun', 'query'],
      ['fieldManager', 'query'],
      ['fieldValidation', 'query'],
      ['force', 'query'],
    ],
  );
  assert.deepEqual(Object.keys(patch?.requestBody?.content ?? {}), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    SMP,
  ]);
  assert.equal(patch?.requestBody?.required, true);
});

test('every served kind passes kubectl’s fieldValidation check, custom resources included', () => {
  const registry = withWidgets();
  for (const { group, version } of registry.groupVersions()) {
    const document = documentFor(registry, group, version);
    const served = registry.all().filter((entry) => entry.group === group && entry.version === version);
    // Reviews are create-only (no PATCH), as on a real cluster.
    for (const info of served.filter((entry) => !entry.virtual)) {
      assert.ok(supportsFieldValidation(document, info), `${info.kind}.${group}`);
    }
  }
  assert.ok(
    !supportsFieldValidation(documentFor(registry, '', 'v1'), { group: '', version: 'v1', kind: 'Nothing' }),
  );
});

test('strategic merge is advertised where the resource takes it, and the option decides', () => {
  const registry = withWidgets();
  const contentOf = (document: OpenApiDocument | undefined, path: string) =>
    Object.keys(document?.paths[path]?.patch?.requestBody?.content ?? {});
  const secretPath = '/api/v1/namespaces/{namespace}/secrets/{name}';
  const widgetPath = '/apis/example.com/v1/namespaces/{namespace}/widgets/{name}';
  assert.ok(contentOf(documentFor(registry, '', 'v1'), secretPath).includes(SMP));
  assert.ok(!contentOf(documentFor(registry, 'example.com', 'v1'), widgetPath).includes(SMP));
  assert.ok(!contentOf(documentFor(registry, 'example.com', 'v1'), `${widgetPath}/status`).includes(SMP));

  const seen: string[] = [];
  const never = (info: ResourceInfo) => {
    seen.push(info.plural);
    return false;
  };
  const document = openApiGroupVersion(registry, '', 'v1', { advertiseStrategicMerge: never });
  assert.ok(!contentOf(document, secretPath).includes(SMP));
  assert.ok(contentOf(document, secretPath).includes('application/merge-patch+json'));
  assert.ok(seen.includes('secrets'));
});

test('schemaCoversStrategicMerge tells kinds described field by field from the others', () => {
  const registry = withWidgets();
  const covers = (group: string, plural: string) => {
    const info = registry.lookup(group, 'v1', plural);
    assert.ok(info);
    return schemaCoversStrategicMerge(info);
  };
  assert.equal(covers('', 'secrets'), true);
  assert.equal(covers('', 'configmaps'), true);
  assert.equal(covers('rbac.authorization.k8s.io', 'roles'), true);
  assert.equal(covers('apps', 'deployments'), false);
  assert.equal(covers('example.com', 'widgets'), false);
});

test('built-in kinds have upstream schema names, their GVK and their main fields', () => {
  const core = documentFor(new ResourceRegistry(), '', 'v1').components.schemas;
  const secret = core['io.k8s.api.core.v1.Secret'];
  assert.deepEqual(secret?.['x-kubernetes-group-version-kind'], [
    { group: '', kind: 'Secret', version: 'v1' },
  ]);
  assert.equal(secret?.['type'], 'object');
  assert.equal(typeof secret?.['description'], 'string');
  const properties = secret?.['properties'] as Record<string, Schema>;
  assert.deepEqual(Object.keys(properties), [
    'apiVersion',
    'data',
    'immutable',
    'kind',
    'metadata',
    'stringData',
    'type',
  ]);
  assert.deepEqual(properties['data']?.['additionalProperties'], { type: 'string', format: 'byte' });
  assert.deepEqual(refsIn(properties['metadata']), [`#/components/schemas/${META}.ObjectMeta`]);
  const configMap = core['io.k8s.api.core.v1.ConfigMap']?.['properties'] as Record<string, Schema>;
  assert.ok(configMap['data'] && configMap['binaryData'] && configMap['immutable']);
  const list = core['io.k8s.api.core.v1.SecretList'];
  assert.deepEqual(list?.['x-kubernetes-group-version-kind'], [
    { group: '', kind: 'SecretList', version: 'v1' },
  ]);
  assert.deepEqual(refsIn((list?.['properties'] as Record<string, Schema>)['items']), [
    '#/components/schemas/io.k8s.api.core.v1.Secret',
  ]);

  const apps = documentFor(new ResourceRegistry(), 'apps', 'v1').components.schemas;
  const deployment = apps['io.k8s.api.apps.v1.Deployment']?.['properties'] as Record<string, Schema>;
  assert.equal(deployment['spec']?.['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(deployment['status']?.['type'], 'object');
  assert.ok(
    documentFor(new ResourceRegistry(), 'rbac.authorization.k8s.io', 'v1').components.schemas[
      'io.k8s.api.rbac.v1.Role'
    ],
  );
  assert.ok(
    documentFor(new ResourceRegistry(), 'apiextensions.k8s.io', 'v1').components.schemas[
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'
    ],
  );
});

test('custom resources use the CRD schema, named after the reversed group, with type meta added', () => {
  const registry = withWidgets();
  const before = JSON.stringify(registry.lookup('example.com', 'v1', 'widgets'));
  const schemas = documentFor(registry, 'example.com', 'v1').components.schemas;
  const widget = schemas['com.example.v1.Widget'];
  assert.ok(widget);
  assert.equal(widget['description'], 'A widget of some size.');
  assert.deepEqual(widget['x-kubernetes-group-version-kind'], [
    { group: 'example.com', kind: 'Widget', version: 'v1' },
  ]);
  const properties = widget['properties'] as Record<string, Schema>;
  assert.deepEqual(Object.keys(properties), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  assert.deepEqual(properties['spec'], {
    type: 'object',
    properties: { size: { type: 'integer', description: 'How big the widget is.' } },
  });
  assert.deepEqual(refsIn(properties['metadata']), [`#/components/schemas/${META}.ObjectMeta`]);
  assert.ok(schemas['com.example.v1.WidgetList']);
  assert.equal(
    JSON.stringify(registry.lookup('example.com', 'v1', 'widgets')),
    before,
    'the registry is untouched',
  );
});

test('every reference resolves inside its own document', () => {
  const registry = withWidgets();
  for (const { group, version } of registry.groupVersions()) {
    const document = documentFor(registry, group, version);
    for (const target of new Set(refsIn(document))) {
      const name = target.replace('#/components/schemas/', '');
      assert.ok(document.components.schemas[name], `${target} in ${openApiPath({ group, version })}`);
    }
    assert.ok(document.components.schemas[`${META}.ObjectMeta`]);
    assert.ok(document.components.schemas[`${META}.ListMeta`]);
  }
});

test('unknown group-versions have no document', () => {
  const registry = new ResourceRegistry();
  assert.equal(openApiGroupVersion(registry, '', 'v2'), undefined);
  assert.equal(openApiGroupVersion(registry, 'example.com', 'v1'), undefined);
});

test('the index lists every group-version with a hash of its current document', () => {
  const registry = withWidgets();
  const index = openApiIndex(registry);
  assert.deepEqual(Object.keys(index.paths).sort(), registry.groupVersions().map(openApiPath).sort());
  const apps = documentFor(registry, 'apps', 'v1');
  assert.equal(
    index.paths['apis/apps/v1']?.serverRelativeURL,
    `/openapi/v3/apis/apps/v1?hash=${openApiHash(apps)}`,
  );
  assert.match(
    index.paths['api/v1']?.serverRelativeURL ?? '',
    /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/,
  );
});

test('hashes are stable and change only with the group-version they describe', () => {
  const registry = new ResourceRegistry();
  const first = openApiIndex(registry);
  assert.deepEqual(openApiIndex(new ResourceRegistry()), first, 'equal registries, equal hashes');
  assert.equal(
    openApiIndex(registry).paths['api/v1']?.serverRelativeURL,
    first.paths['api/v1']?.serverRelativeURL,
  );

  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  const withCrd = openApiIndex(registry);
  assert.ok(withCrd.paths['apis/example.com/v1']);
  assert.equal(withCrd.paths['api/v1']?.serverRelativeURL, first.paths['api/v1']?.serverRelativeURL);

  registry.setCustomResource('widgets.example.com', [
    widgetVersion('v1', { shortNames: ['wdg'], subresources: [] }),
  ]);
  assert.notEqual(
    openApiIndex(registry).paths['apis/example.com/v1']?.serverRelativeURL,
    withCrd.paths['apis/example.com/v1']?.serverRelativeURL,
    'subresources changed the document',
  );
  registry.setCustomResource('widgets.example.com', []);
  assert.deepEqual(openApiIndex(registry), first);
});

test('index keys and group-versions convert both ways', () => {
  assert.equal(openApiPath({ group: '', version: 'v1' }), 'api/v1');
  assert.equal(openApiPath({ group: 'apps', version: 'v1' }), 'apis/apps/v1');
  assert.deepEqual(groupVersionOfOpenApiPath('api/v1'), { group: '', version: 'v1' });
  assert.deepEqual(groupVersionOfOpenApiPath('apis/example.com/v1beta1'), {
    group: 'example.com',
    version: 'v1beta1',
  });
  for (const invalid of ['', 'api', 'apis/apps', 'api/v1/extra', 'version', '/api/v1']) {
    assert.equal(groupVersionOfOpenApiPath(invalid), undefined, invalid);
  }
});

// ---------------------------------------------------------------------------------------------------------
// With the real kubectl

/** A one-namespace object store: enough for kubectl create and apply. Records the writes. */
function objectStore(writes: { method: string; path: string; contentType: string; body: string }[]): Route {
  const objects = new Map<string, unknown>();
  return (request) => {
    const url = new URL(request.path, 'http://server');
    const match = /^\/apis?\/(?:[^/]+\/)?v1\/namespaces\/default\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return undefined;
    const [, plural = '', name] = match;
    if (request.method !== 'GET') {
      writes.push({
        method: request.method,
        path: request.path,
        contentType: String(request.headers['content-type']),
        body: request.body,
      });
    }
    if (request.method === 'POST') {
      const object = JSON.parse(request.body) as { metadata: { name: string } };
      objects.set(`${plural}/${object.metadata.name}`, object);
      return jsonReply(object, 201);
    }
    const stored = objects.get(`${plural}/${name}`);
    if (stored === undefined) return statusReply(404, 'NotFound', `${plural} "${name}" not found`);
    return jsonReply(stored);
  };
}

async function kubectlWithStore(t: TestContext, registry: ResourceRegistry, options = {}) {
  const writes: { method: string; path: string; contentType: string; body: string }[] = [];
  const server = await startFakeApiServer(
    t,
    firstOf(discoveryRoutes(registry, { openApi: options }), objectStore(writes)),
  );
  return { kubectl: await kubectlFor(t, server), writes };
}

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: default
stringData:
  password: hunter2
`;

test('kubectl finds server-side field validation and leaves checking to the server', async (t) => {
  const { kubectl, writes } = await kubectlWithStore(t, withWidgets());
  if (!kubectl) return;

  // An unknown field: client-side validation would refuse it; with server-side validation it is sent on.
  const secret = await kubectl.run(['create', '-f', '-'], `${SECRET}unknownField: 1\n`);
  assert.equal(secret.code, 0, secret.stderr);
  const widget = await kubectl.run(
    ['create', '-f', '-'],
    'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, extra: true}\n',
  );
  assert.equal(widget.code, 0, widget.stderr);
  assert.deepEqual(
    writes.map((write) => write.path),
    [
      '/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict',
      '/apis/example.com/v1/namespaces/default/widgets?fieldManager=kubectl-create&fieldValidation=Strict',
    ],
  );
  assert.equal((JSON.parse(writes[0]?.body ?? '{}') as Record<string, unknown>)['unknownField'], 1);
});

test('kubectl apply builds a strategic merge patch from the Secret schema without warnings', async (t) => {
  const { kubectl, writes } = await kubectlWithStore(t, new ResourceRegistry());
  if (!kubectl) return;

  const created = await kubectl.run(['apply', '-f', '-'], SECRET);
  assert.equal(created.code, 0, created.stderr);
  // At -v=5 kubectl logs when it cannot use the OpenAPI v3 schema and falls back to its compiled-in types.
  const changed = await kubectl.run(
    ['apply', '-v=5', '-f', '-'],
    SECRET.replace('hunter2', 'hunter3').concat('type: Opaque\n'),
  );
  assert.equal(changed.code, 0, changed.stderr);
  assert.doesNotMatch(changed.stderr, /OpenAPI V3 path|error calculating patch|warning/i);
  const patch = writes.find((write) => write.method === 'PATCH');
  assert.equal(patch?.contentType, SMP);
  const body = JSON.parse(patch?.body ?? '{}') as Record<string, unknown>;
  assert.deepEqual(body['stringData'], { password: 'hunter3' });
  assert.equal(body['type'], 'Opaque');
});

test('with schemaCoversStrategicMerge, kubectl apply of a Deployment uses its own types, quietly', async (t) => {
  const advertiseStrategicMerge = (info: ResourceInfo) =>
    info.strategicMerge && schemaCoversStrategicMerge(info);
  const { kubectl, writes } = await kubectlWithStore(t, new ResourceRegistry(), { advertiseStrategicMerge });
  if (!kubectl) return;

  const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: ${image}}]}
`;
  assert.equal((await kubectl.run(['apply', '-f', '-'], deployment('nginx:1'))).code, 0);
  const changed = await kubectl.run(['apply', '-f', '-'], deployment('nginx:2'));
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(changed.stderr, '', 'no "error calculating patch from openapi v3 spec" warning');
  const patch = writes.find((write) => write.method === 'PATCH');
  assert.equal(patch?.contentType, SMP);
  assert.match(patch?.body ?? '', /"\$setElementOrder\/containers":\[\{"name":"web"\}\]/);
});

test('kubectl explain describes built-in and custom kinds from the documents', async (t) => {
  const { kubectl } = await kubectlWithStore(t, withWidgets());
  if (!kubectl) return;

  const secret = await kubectl.run(['explain', 'secret']);
  assert.equal(secret.code, 0, secret.stderr);
  const text = secret.stdout.toString();
  assert.match(text, /KIND:\s+Secret/);
  assert.match(text, /data\s+<map\[string\]string>/);
  assert.match(text, /metadata\s+<ObjectMeta>/);
  const labels = await kubectl.run(['explain', 'secret.metadata.labels']);
  assert.equal(labels.code, 0, labels.stderr);
  const spec = await kubectl.run(['explain', 'widgets.spec']);
  assert.equal(spec.code, 0, spec.stderr);
  assert.match(spec.stdout.toString(), /size\s+<integer>\s+How big the widget is\./);
});
