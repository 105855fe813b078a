import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { APIGroupDiscovery, APIResourceDiscovery } from '../../src/apiserver/discovery.ts';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  compareVersionPriority,
  discoveryContentType,
  discoveryEtag,
  discoveryRoot,
  negotiateDiscovery,
  storageVersionHash,
} from '../../src/apiserver/discovery.ts';
import { ResourceRegistry } from '../../src/apiserver/resources.ts';
import { jsonReply, kubeconfigYaml, startFakeApiServer } from '../helpers/fake-apiserver.ts';
import { discoveryRoutes, firstOf, kubectlFor, widgetVersion } from '../helpers/discovery-routes.ts';

const CLIENT_GO_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

function resourceIn(group: APIGroupDiscovery | undefined, plural: string): APIResourceDiscovery {
  const found = group?.versions[0]?.resources.find((resource) => resource.resource === plural);
  assert.ok(found, `${plural} is listed`);
  return found;
}

function groupNamed(registry: ResourceRegistry, name: string): APIGroupDiscovery | undefined {
  return aggregatedDiscovery(registry, 'apis').items.find((item) => item.metadata.name === name);
}

test('aggregated /api holds the core group alone, unnamed, with its resources and subresources', () => {
  const document = aggregatedDiscovery(new ResourceRegistry(), 'core');
  assert.equal(document.kind, 'APIGroupDiscoveryList');
  assert.equal(document.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.deepEqual(document.metadata, {});
  assert.equal(document.items.length, 1);
  const core = document.items[0];
  assert.deepEqual(core?.metadata, {});
  assert.deepEqual(
    core?.versions.map((version) => [version.version, version.freshness]),
    [['v1', 'Current']],
  );
  assert.deepEqual(resourceIn(core, 'secrets'), {
    resource: 'secrets',
    responseKind: { group: '', version: 'v1', kind: 'Secret' },
    scope: 'Namespaced',
    singularResource: 'secret',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  });
  const namespaces = resourceIn(core, 'namespaces');
  assert.equal(namespaces.scope, 'Cluster');
  assert.deepEqual(namespaces.shortNames, ['ns']);
  assert.deepEqual(namespaces.subresources, [
    {
      subresource: 'finalize',
      responseKind: { group: '', version: 'v1', kind: 'Namespace' },
      verbs: ['update'],
    },
    {
      subresource: 'status',
      responseKind: { group: '', version: 'v1', kind: 'Namespace' },
      verbs: ['get', 'patch', 'update'],
    },
  ]);
  assert.deepEqual(resourceIn(core, 'serviceaccounts').subresources, [
    {
      subresource: 'token',
      responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      verbs: ['create'],
    },
  ]);
  assert.deepEqual(resourceIn(core, 'pods').categories, ['all']);
  const names = core?.versions[0]?.resources.map((resource) => resource.resource) ?? [];
  assert.deepEqual(names, [...names].sort(), 'resources are sorted by name');
});

test('aggregated /apis names every other group and leaves the core group out', () => {
  const document = aggregatedDiscovery(new ResourceRegistry(), 'apis');
  const names = document.items.map((item) => item.metadata.name);
  assert.ok(!names.includes('') && !names.includes(undefined));
  for (const group of ['apps', 'batch', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io']) {
    assert.ok(names.includes(group), group);
  }
  assert.deepEqual(resourceIn(groupNamed(new ResourceRegistry(), 'apps'), 'deployments'), {
    resource: 'deployments',
    responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    scope: 'Namespaced',
    singularResource: 'deployment',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [
      {
        subresource: 'scale',
        responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      },
      {
        subresource: 'status',
        responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        verbs: ['get', 'patch', 'update'],
      },
    ],
  });
  assert.equal(
    resourceIn(groupNamed(new ResourceRegistry(), 'rbac.authorization.k8s.io'), 'clusterroles').scope,
    'Cluster',
  );
});

test('v2beta1 has the same shape under its own apiVersion', () => {
  const registry = new ResourceRegistry();
  const v2beta1 = aggregatedDiscovery(registry, 'apis', 'v2beta1');
  assert.equal(v2beta1.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  assert.deepEqual(v2beta1.items, aggregatedDiscovery(registry, 'apis').items);
});

test('custom resources appear in every discovery document once registered, and go when removed', () => {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1beta1'), widgetVersion('v1')]);

  const group = groupNamed(registry, 'example.com');
  assert.deepEqual(
    group?.versions.map((version) => version.version),
    ['v1', 'v1beta1'],
    'GA before beta, whatever the CRD order',
  );
  assert.deepEqual(resourceIn(group, 'widgets').responseKind, {
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
  });
  assert.deepEqual(apiGroup(registry, 'example.com'), {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: 'example.com',
    versions: [
      { groupVersion: 'example.com/v1', version: 'v1' },
      { groupVersion: 'example.com/v1beta1', version: 'v1beta1' },
    ],
    preferredVersion: { groupVersion: 'example.com/v1', version: 'v1' },
  });
  assert.ok(apiGroupList(registry).groups.some((entry) => entry.name === 'example.com'));
  assert.deepEqual(
    apiResourceList(registry, 'example.com', 'v1beta1')?.resources.map((resource) => resource.name),
    ['widgets', 'widgets/status'],
  );

  registry.setCustomResource('widgets.example.com', []);
  assert.equal(groupNamed(registry, 'example.com'), undefined);
  assert.equal(apiGroup(registry, 'example.com'), undefined);
  assert.ok(!apiGroupList(registry).groups.some((entry) => entry.name === 'example.com'));
  assert.equal(apiResourceList(registry, 'example.com', 'v1'), undefined);
});

test('versions are ordered by kube priority (the order the CRD versioning docs give)', () => {
  const ordered = [
    'v10',
    'v2',
    'v1',
    'v11beta2',
    'v10beta3',
    'v3beta1',
    'v12alpha1',
    'v11alpha2',
    'foo1',
    'foo10',
  ];
  const shuffled = [...ordered].reverse();
  assert.deepEqual(shuffled.sort(compareVersionPriority), ordered);
});

test('legacy /api lists v1 and where to reach the server', () => {
  assert.deepEqual(apiVersions('10.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });
});

test('legacy /apis and /apis/<group> name the versions and the preferred one', () => {
  const registry = new ResourceRegistry();
  const list = apiGroupList(registry);
  assert.equal(list.kind, 'APIGroupList');
  assert.equal(list.apiVersion, 'v1');
  assert.ok(!list.groups.some((group) => group.name === ''));
  assert.deepEqual(
    list.groups.find((group) => group.name === 'apps'),
    {
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    },
  );
  assert.equal(apiGroup(registry, 'apps')?.kind, 'APIGroup');
  assert.equal(apiGroup(registry, 'no.such.group'), undefined);
  assert.equal(apiGroup(registry, ''), undefined, 'the core group is not served under /apis');
});

test('legacy /api/v1 lists resources, then subresources as their own entries, as kube-apiserver does', () => {
  const list = apiResourceList(new ResourceRegistry(), '', 'v1');
  assert.ok(list);
  assert.equal(list.kind, 'APIResourceList');
  assert.equal(list.groupVersion, 'v1');
  assert.equal('apiVersion' in list, false);
  const byName = new Map(list.resources.map((resource) => [resource.name, resource]));
  // Values a real 1.31 cluster lists for these resources.
  assert.deepEqual(byName.get('secrets'), {
    name: 'secrets',
    singularName: 'secret',
    namespaced: true,
    kind: 'Secret',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storageVersionHash: 'S6u1pOWzb84=',
  });
  assert.equal(byName.get('pods')?.storageVersionHash, 'xPOwRZ+Yhw8=');
  assert.deepEqual(byName.get('configmaps')?.shortNames, ['cm']);
  assert.deepEqual(byName.get('namespaces/finalize'), {
    name: 'namespaces/finalize',
    singularName: '',
    namespaced: false,
    kind: 'Namespace',
    verbs: ['update'],
  });
  assert.deepEqual(byName.get('serviceaccounts/token'), {
    name: 'serviceaccounts/token',
    singularName: '',
    namespaced: true,
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenRequest',
    verbs: ['create'],
  });
  const names = list.resources.map((resource) => resource.name);
  assert.deepEqual(names, [...names].sort());
});

test('legacy group-version lists carry apiVersion and the group in groupVersion', () => {
  const list = apiResourceList(new ResourceRegistry(), 'apps', 'v1');
  assert.equal(list?.apiVersion, 'v1');
  assert.equal(list?.groupVersion, 'apps/v1');
  const status = list?.resources.find((resource) => resource.name === 'deployments/status');
  assert.deepEqual(status, {
    name: 'deployments/status',
    singularName: '',
    namespaced: true,
    kind: 'Deployment',
    verbs: ['get', 'patch', 'update'],
  });
});

test('unknown group-versions have no resource list', () => {
  const registry = new ResourceRegistry();
  assert.equal(apiResourceList(registry, '', 'v2'), undefined);
  assert.equal(apiResourceList(registry, 'apps', 'v1beta1'), undefined);
  assert.equal(apiResourceList(registry, 'no.such.group', 'v1'), undefined);
});

test('the storage version hash is computed over the storage version', () => {
  assert.equal(storageVersionHash({ group: 'apps', version: 'v1', kind: 'Deployment' }), '8aSe+NMegvE=');
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [
    widgetVersion('v1'),
    widgetVersion('v2', { storageVersion: 'v1' }),
  ]);
  const hashes = ['v1', 'v2'].map(
    (version) => apiResourceList(registry, 'example.com', version)?.resources[0]?.storageVersionHash,
  );
  assert.equal(hashes[0], hashes[1]);
});

test('client-go’s Accept header gets v2; other clients get what they ask for or the legacy documents', () => {
  assert.equal(negotiateDiscovery(CLIENT_GO_ACCEPT), 'v2');
  assert.equal(
    negotiateDiscovery(
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    ),
    'v2beta1',
  );
  assert.equal(
    negotiateDiscovery('Application/JSON; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList'),
    'v2',
  );
  assert.equal(negotiateDiscovery(undefined), 'legacy');
  assert.equal(negotiateDiscovery(''), 'legacy');
  assert.equal(negotiateDiscovery('application/json, */*;q=0.8'), 'legacy');
  assert.equal(negotiateDiscovery('*/*'), 'legacy');
  // Types this server cannot produce are passed over.
  assert.equal(
    negotiateDiscovery(
      'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    ),
    'legacy',
  );
  assert.equal(
    negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList'),
    'legacy',
  );
  assert.equal(negotiateDiscovery('application/json;as=Table;v=v1;g=meta.k8s.io'), 'legacy');
  // q-values outrank the order; q=0 refuses.
  assert.equal(
    negotiateDiscovery(
      'application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    ),
    'v2',
  );
  assert.equal(
    negotiateDiscovery(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,application/json',
    ),
    'legacy',
  );
});

test('each format has the Content-Type client-go recognises', () => {
  assert.equal(
    discoveryContentType('v2'),
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  );
  assert.equal(
    discoveryContentType('v2beta1'),
    'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  );
  assert.equal(discoveryContentType('legacy'), 'application/json');
});

test('discoveryRoot answers /api and /apis in the negotiated format', () => {
  const registry = new ResourceRegistry();
  assert.deepEqual(
    discoveryRoot(registry, 'core', 'legacy', '127.0.0.1:6443'),
    apiVersions('127.0.0.1:6443'),
  );
  assert.deepEqual(discoveryRoot(registry, 'apis', 'legacy', ''), apiGroupList(registry));
  assert.deepEqual(
    discoveryRoot(registry, 'apis', 'v2beta1', ''),
    aggregatedDiscovery(registry, 'apis', 'v2beta1'),
  );
});

test('the ETag is the quoted uppercase hex SHA-512 of the body', () => {
  const body = JSON.stringify(aggregatedDiscovery(new ResourceRegistry(), 'apis'));
  const etag = discoveryEtag(body);
  assert.equal(etag, `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`);
  assert.match(etag, /^"[0-9A-F]{128}"$/);
  assert.equal(discoveryEtag(JSON.stringify(aggregatedDiscovery(new ResourceRegistry(), 'apis'))), etag);
  assert.notEqual(discoveryEtag(`${body} `), etag);
});

test('kubectl reads aggregated discovery: /api and /apis only, custom resources included', async (t) => {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  const server = await startFakeApiServer(t, discoveryRoutes(registry));
  const kubectl = await kubectlFor(t, server);
  if (!kubectl) return;

  const result = await kubectl.run(['api-resources']);
  assert.equal(result.code, 0, result.stderr);
  const rows = result.stdout.toString().split('\n');
  assert.match(rows.find((row) => row.startsWith('secrets ')) ?? '', /^secrets\s+v1\s+true\s+Secret$/);
  assert.match(
    rows.find((row) => row.startsWith('widgets ')) ?? '',
    /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/,
  );
  assert.match(
    rows.find((row) => row.startsWith('namespaces ')) ?? '',
    /^namespaces\s+ns\s+v1\s+false\s+Namespace$/,
  );
  const paths = server.requests.map((request) => new URL(request.path, server.url).pathname);
  assert.ok(paths.includes('/api') && paths.includes('/apis'));
  assert.ok(!paths.some((path) => /^\/apis?\/.+/.test(path)), `no per-group requests: ${paths.join(' ')}`);
});

test('kubectl reads the legacy documents when the server answers in the legacy format', async (t) => {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  const server = await startFakeApiServer(t, discoveryRoutes(registry, { legacyOnly: true }));
  const kubectl = await kubectlFor(t, server);
  if (!kubectl) return;

  const result = await kubectl.run(['api-resources', '-o', 'name']);
  assert.equal(result.code, 0, result.stderr);
  const names = result.stdout.toString().trim().split('\n');
  for (const name of [
    'secrets',
    'namespaces',
    'deployments.apps',
    'widgets.example.com',
    'roles.rbac.authorization.k8s.io',
  ]) {
    assert.ok(names.includes(name), `${name} in ${names.join(' ')}`);
  }
  assert.ok(!names.some((name) => name.includes('/')), 'subresources are not resources');
  const paths = server.requests.map((request) => new URL(request.path, server.url).pathname);
  assert.ok(paths.includes('/api/v1') && paths.includes('/apis/example.com/v1'));
});

test('@kubernetes/client-node finds resources through the legacy group-version lists', async (t) => {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  const created: string[] = [];
  const server = await startFakeApiServer(
    t,
    firstOf(discoveryRoutes(registry), (request) => {
      if (request.method !== 'POST') return undefined;
      created.push(request.path);
      return jsonReply(JSON.parse(request.body), 201);
    }),
  );
  const { KubeConfig, KubernetesObjectApi } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml({ server: server.url, token: server.token, caPem: server.caPem }));
  const client = KubernetesObjectApi.makeApiClient(config);

  await client.create({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'default' },
  });
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' } });
  // Namespace is also the kind of namespaces/finalize and namespaces/status: client-node takes the first entry.
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  assert.deepEqual(created, [
    '/apis/example.com/v1/namespaces/default/widgets',
    '/api/v1/namespaces/default/secrets',
    '/api/v1/namespaces',
  ]);
});
