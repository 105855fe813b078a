import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinResources, type PrinterColumn, type ResourceInfo } from '../../src/apiserver/resources.ts';
import { humanDuration, tableColumns, toTable, type Table } from '../../src/apiserver/table.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

const NOW = new Date('2025-06-01T12:00:00Z');
const CREATED = '2025-06-01T11:00:00Z'; // one hour before NOW: Age 60m

function builtin(kind: string): ResourceInfo {
  const info = builtinResources().find((candidate) => candidate.kind === kind);
  assert.ok(info, kind);
  return info;
}

function customResource(printerColumns: PrinterColumn[]): ResourceInfo {
  return {
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    listKind: 'WidgetList',
    plural: 'widgets',
    singular: 'widget',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: [],
    subresources: [],
    storagePrefix: '/registry/example.com/widgets',
    codec: 'json',
    generation: 'non-metadata',
    strategicMerge: false,
    storageVersion: 'v1',
    crd: { name: 'widgets.example.com', printerColumns },
  };
}

function meta(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    resourceVersion: '7',
    creationTimestamp: CREATED,
    ...extra,
  };
}

function print(info: ResourceInfo, objects: Record<string, unknown>[]): Table {
  return toTable(info, objects, { now: NOW, includeObject: 'None', resourceVersion: '42' });
}

function headers(table: Table): [string, string, number][] {
  return (table.columnDefinitions ?? []).map((column) => [column.name, column.type, column.priority]);
}

function cells(table: Table, row = 0): unknown[] {
  const found = table.rows[row];
  assert.ok(found, `row ${row}`);
  return found.cells;
}

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [-2 * SECOND, '<invalid>'],
    [-1999, '0s'],
    [-1 * SECOND, '0s'],
    [-1, '0s'],
    [0, '0s'],
    [999, '0s'],
    [45 * SECOND, '45s'],
    [119 * SECOND + 999, '119s'],
    [2 * MINUTE, '2m'],
    [5 * MINUTE + 30 * SECOND, '5m30s'],
    [5 * MINUTE, '5m'],
    [9 * MINUTE + 59 * SECOND, '9m59s'],
    [10 * MINUTE, '10m'],
    [10 * MINUTE + 59 * SECOND, '10m'],
    [25 * MINUTE, '25m'],
    [179 * MINUTE + 59 * SECOND, '179m'],
    [3 * HOUR, '3h'],
    [3 * HOUR + 5 * MINUTE, '3h5m'],
    [7 * HOUR + 59 * MINUTE + 59 * SECOND, '7h59m'],
    [8 * HOUR, '8h'],
    [30 * HOUR + 59 * MINUTE, '30h'],
    [47 * HOUR + 59 * MINUTE, '47h'],
    [48 * HOUR, '2d'],
    [3 * DAY + 4 * HOUR, '3d4h'],
    [3 * DAY, '3d'],
    [7 * DAY + 23 * HOUR + 59 * MINUTE, '7d23h'],
    [8 * DAY, '8d'],
    [120 * DAY + 23 * HOUR, '120d'],
    [2 * YEAR - 1, '729d'],
    [2 * YEAR, '2y'],
    [3 * YEAR + 45 * DAY, '3y45d'],
    [3 * YEAR, '3y'],
    [8 * YEAR - 1, '7y364d'],
    [8 * YEAR, '8y'],
    [9 * YEAR + 100 * DAY, '9y'],
  ];
  for (const [milliseconds, expected] of cases) {
    test(`${milliseconds} ms is ${expected}`, () => assert.equal(humanDuration(milliseconds), expected));
  }
});

describe('built-in printers', () => {
  test('a Secret with three data keys prints Data 3', () => {
    const table = print(builtin('Secret'), [
      {
        kind: 'Secret',
        metadata: meta('db'),
        type: 'kubernetes.io/basic-auth',
        data: { username: 'YQ==', password: 'Yg==', host: 'Yw==' },
      },
      { kind: 'Secret', metadata: meta('empty') },
    ]);
    assert.equal(table.kind, 'Table');
    assert.equal(table.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(table.metadata, { resourceVersion: '42' });
    assert.deepEqual(headers(table), [
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    assert.equal(table.columnDefinitions?.[0]?.format, 'name');
    assert.equal(table.columnDefinitions?.[1]?.format, '');
    assert.match(table.columnDefinitions?.[3]?.description ?? '', /^CreationTimestamp is a timestamp/);
    assert.deepEqual(cells(table, 0), ['db', 'kubernetes.io/basic-auth', 3, '60m']);
    assert.deepEqual(cells(table, 1), ['empty', 'Opaque', 0, '60m']);
  });

  test('ConfigMap counts data and binaryData; Namespace and ServiceAccount', () => {
    const configMaps = print(builtin('ConfigMap'), [
      { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } },
    ]);
    assert.deepEqual(cells(configMaps), ['cfg', 3, '60m']);
    const namespaces = print(builtin('Namespace'), [
      { metadata: meta('team') },
      { metadata: meta('gone'), status: { phase: 'Terminating' } },
    ]);
    assert.deepEqual(
      headers(namespaces).map(([name]) => name),
      ['Name', 'Status', 'Age'],
    );
    assert.deepEqual(cells(namespaces, 0), ['team', 'Active', '60m']);
    assert.deepEqual(cells(namespaces, 1), ['gone', 'Terminating', '60m']);
    const accounts = print(builtin('ServiceAccount'), [
      { metadata: meta('default'), secrets: [{ name: 'a' }] },
    ]);
    assert.deepEqual(cells(accounts), ['default', 1, '60m']);
  });

  test('a Pod with no status prints as kube-apiserver prints a pending pod', () => {
    const table = print(builtin('Pod'), [
      { metadata: meta('web'), spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      {
        metadata: meta('sidecars'),
        spec: {
          containers: [{ name: 'a' }, { name: 'b' }],
          initContainers: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'setup' }],
          readinessGates: [{ conditionType: 'example.com/ready' }],
        },
      },
    ]);
    assert.deepEqual(headers(table), [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    assert.deepEqual(cells(table, 0), [
      'web',
      '0/1',
      'Pending',
      '0',
      '60m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
    assert.deepEqual(cells(table, 1), [
      'sidecars',
      '0/3',
      'Pending',
      '0',
      '60m',
      '<none>',
      '<none>',
      '<none>',
      '0/1',
    ]);
  });

  test('a running Pod counts ready containers and restarts', () => {
    const table = print(builtin('Pod'), [
      {
        metadata: meta('api'),
        spec: { nodeName: 'node-1', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          podIP: '10.0.0.5',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [
            {
              name: 'a',
              ready: true,
              restartCount: 2,
              state: { running: {} },
              lastState: { terminated: { finishedAt: '2025-06-01T11:55:00Z' } },
            },
            { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        },
      },
      { metadata: meta('done'), spec: { containers: [{ name: 'a' }] }, status: { phase: 'Succeeded' } },
      {
        metadata: meta('leaving', { deletionTimestamp: '2025-06-01T11:59:00Z' }),
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Running' },
      },
    ]);
    assert.deepEqual(cells(table, 0), [
      'api',
      '1/2',
      'CrashLoopBackOff',
      '2 (5m ago)',
      '60m',
      '10.0.0.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
    assert.equal(cells(table, 1)[2], 'Succeeded');
    assert.deepEqual(table.rows[1]?.conditions, [
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
    assert.equal(table.rows[0]?.conditions, undefined);
    assert.equal(cells(table, 2)[2], 'Terminating');
  });

  test('Service columns, with the defaults kube-apiserver applies', () => {
    const table = print(builtin('Service'), [
      {
        metadata: meta('web'),
        spec: {
          selector: { tier: 'web', app: 'shop' },
          ports: [{ port: 80 }, { port: 443, protocol: 'TCP', nodePort: 30443 }],
        },
      },
      {
        metadata: meta('lb'),
        spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }] },
      },
      { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    ]);
    assert.deepEqual(
      headers(table).map(([name, , priority]) => `${name}:${priority}`),
      ['Name:0', 'Type:0', 'Cluster-IP:0', 'External-IP:0', 'Port(s):0', 'Age:0', 'Selector:1'],
    );
    assert.deepEqual(cells(table, 0), [
      'web',
      'ClusterIP',
      '<none>',
      '<none>',
      '80/TCP,443:30443/TCP',
      '60m',
      'app=shop,tier=web',
    ]);
    assert.deepEqual(cells(table, 1), [
      'lb',
      'LoadBalancer',
      '10.96.0.10',
      '<pending>',
      '53/UDP',
      '60m',
      '<none>',
    ]);
    assert.deepEqual(cells(table, 2), [
      'ext',
      'ExternalName',
      '<none>',
      'db.example.com',
      '<none>',
      '60m',
      '<none>',
    ]);
  });

  test('workloads: Deployment, StatefulSet, DaemonSet', () => {
    const template = {
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1' },
          { name: 'log', image: 'fluent:2' },
        ],
      },
    };
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }],
    };
    const deployments = print(builtin('Deployment'), [
      { metadata: meta('web'), spec: { selector, template } },
    ]);
    assert.deepEqual(
      headers(deployments).map(([name]) => name),
      ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector'],
    );
    assert.deepEqual(cells(deployments), [
      'web',
      '0/1',
      0,
      0,
      '60m',
      'app,log',
      'nginx:1,fluent:2',
      'app=web,tier in (a,b)',
    ]);
    const statefulSets = print(builtin('StatefulSet'), [
      { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 2 } },
    ]);
    assert.deepEqual(cells(statefulSets), ['db', '2/3', '60m', 'app,log', 'nginx:1,fluent:2']);
    const daemonSets = print(builtin('DaemonSet'), [
      { metadata: meta('agent'), spec: { selector, template } },
    ]);
    assert.deepEqual(
      headers(daemonSets).map(([name]) => name),
      [
        'Name',
        'Desired',
        'Current',
        'Ready',
        'Up-to-date',
        'Available',
        'Node Selector',
        'Age',
        'Containers',
        'Images',
        'Selector',
      ],
    );
    assert.deepEqual(cells(daemonSets), [
      'agent',
      0,
      0,
      0,
      0,
      0,
      '<none>',
      '60m',
      'app,log',
      'nginx:1,fluent:2',
      'app=web,tier in (a,b)',
    ]);
  });

  test('Job and CronJob', () => {
    const template = { spec: { containers: [{ name: 'run', image: 'busybox' }] } };
    const jobs = print(builtin('Job'), [
      { metadata: meta('once'), spec: { template } },
      { metadata: meta('wide'), spec: { parallelism: 3, template } },
      {
        metadata: meta('done'),
        spec: {
          completions: 2,
          template,
          selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
        },
        status: {
          succeeded: 2,
          startTime: '2025-06-01T11:00:00Z',
          completionTime: '2025-06-01T11:02:30Z',
          conditions: [{ type: 'Complete', status: 'True' }],
        },
      },
    ]);
    assert.deepEqual(
      headers(jobs).map(([name]) => name),
      ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector'],
    );
    assert.deepEqual(cells(jobs, 0), ['once', 'Running', '0/1', '', '60m', 'run', 'busybox', '<none>']);
    assert.deepEqual(cells(jobs, 1).slice(0, 3), ['wide', 'Running', '0/1 of 3']);
    assert.deepEqual(cells(jobs, 2), [
      'done',
      'Complete',
      '2/2',
      '2m30s',
      '60m',
      'run',
      'busybox',
      'batch.kubernetes.io/controller-uid=u',
    ]);
    const cronJobs = print(builtin('CronJob'), [
      { metadata: meta('nightly'), spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template } } } },
    ]);
    assert.deepEqual(
      headers(cronJobs).map(([name, type]) => `${name}:${type}`),
      [
        'Name:string',
        'Schedule:string',
        'Timezone:string',
        'Suspend:boolean',
        'Active:integer',
        'Last Schedule:string',
        'Age:string',
        'Containers:string',
        'Images:string',
        'Selector:string',
      ],
    );
    assert.deepEqual(cells(cronJobs), [
      'nightly',
      '0 3 * * *',
      '<none>',
      'False',
      0,
      '<none>',
      '60m',
      'run',
      'busybox',
      '<none>',
    ]);
  });

  test('Event puts Last Seen first and Name last', () => {
    const table = print(builtin('Event'), [
      {
        metadata: meta('web.123'),
        involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
        reason: 'Pulled',
        message: ' Pulled image \n',
        type: 'Normal',
        source: { component: 'kubelet', host: 'node-1' },
        firstTimestamp: '2025-06-01T11:30:00Z',
        lastTimestamp: '2025-06-01T11:58:00Z',
        count: 3,
      },
      {
        metadata: meta('e2'),
        involvedObject: { kind: 'Node' },
        reason: 'Started',
        eventTime: '2025-06-01T11:59:30.000000Z',
        reportingComponent: 'ctl',
      },
    ]);
    assert.deepEqual(
      headers(table).map(([name, , priority]) => `${name}:${priority}`),
      [
        'Last Seen:0',
        'Type:0',
        'Reason:0',
        'Object:0',
        'Subobject:1',
        'Source:1',
        'Message:0',
        'First Seen:1',
        'Count:1',
        'Name:1',
      ],
    );
    assert.deepEqual(cells(table, 0), [
      '2m',
      'Normal',
      'Pulled',
      'pod/web',
      'spec.containers{app}',
      'kubelet, node-1',
      'Pulled image',
      '30m',
      3,
      'web.123',
    ]);
    assert.deepEqual(cells(table, 1), ['30s', '', 'Started', 'node', '', 'ctl', '', '30s', 1, 'e2']);
  });

  test('RBAC bindings, Lease, Ingress, NetworkPolicy, webhooks', () => {
    const bindings = print(builtin('RoleBinding'), [
      {
        metadata: meta('read'),
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'bob' },
          { kind: 'Group', name: 'devs' },
          { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
        ],
      },
    ]);
    assert.deepEqual(
      headers(bindings).map(([name, , priority]) => `${name}:${priority}`),
      ['Name:0', 'Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1'],
    );
    assert.deepEqual(cells(bindings), ['read', 'ClusterRole/view', '60m', 'alice, bob', 'devs', 'tools/ci']);
    assert.deepEqual(
      cells(
        print(builtin('ClusterRoleBinding'), [
          { metadata: meta('x'), roleRef: { kind: 'ClusterRole', name: 'admin' } },
        ]),
      ),
      ['x', 'ClusterRole/admin', '60m', '', '', ''],
    );
    assert.deepEqual(
      cells(print(builtin('Lease'), [{ metadata: meta('leader'), spec: { holderIdentity: 'pod-a' } }])),
      ['leader', 'pod-a', '60m'],
    );
    const ingresses = print(builtin('Ingress'), [
      {
        metadata: meta('shop'),
        spec: {
          ingressClassName: 'nginx',
          rules: [
            { host: 'a.example' },
            { host: 'b.example' },
            {},
            { host: 'c.example' },
            { host: 'd.example' },
          ],
          tls: [{}],
        },
        status: {
          loadBalancer: { ingress: [{ ip: '192.0.2.9' }, { hostname: 'lb.example' }, { ip: '192.0.2.1' }] },
        },
      },
      { metadata: meta('bare'), spec: {} },
    ]);
    assert.deepEqual(
      headers(ingresses).map(([name]) => name),
      ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age'],
    );
    assert.deepEqual(cells(ingresses, 0), [
      'shop',
      'nginx',
      'a.example,b.example,c.example + 2 more...',
      '192.0.2.1,192.0.2.9,lb.example',
      '80, 443',
      '60m',
    ]);
    assert.deepEqual(cells(ingresses, 1), ['bare', '<none>', '*', '', '80', '60m']);
    const policies = print(builtin('NetworkPolicy'), [
      { metadata: meta('deny'), spec: { podSelector: {} } },
      {
        metadata: meta('web'),
        spec: {
          podSelector: {
            matchExpressions: [
              { key: 'app', operator: 'Exists' },
              { key: 'legacy', operator: 'DoesNotExist' },
            ],
          },
        },
      },
    ]);
    assert.deepEqual(cells(policies, 0), ['deny', '<none>', '60m']);
    assert.deepEqual(cells(policies, 1), ['web', 'app,!legacy', '60m']);
    const webhooks = print(builtin('ValidatingWebhookConfiguration'), [
      { metadata: meta('policy'), webhooks: [{}, {}] },
    ]);
    assert.deepEqual(headers(webhooks), [
      ['Name', 'string', 0],
      ['Webhooks', 'integer', 0],
      ['Age', 'string', 0],
    ]);
    assert.deepEqual(cells(webhooks), ['policy', 2, '60m']);
  });

  test('Role, ClusterRole, CustomResourceDefinition and unknown kinds use Name and Created At', () => {
    for (const kind of ['Role', 'ClusterRole', 'CustomResourceDefinition']) {
      const table = print(builtin(kind), [
        { metadata: meta('r', { creationTimestamp: '2025-05-31T10:20:30.123Z' }) },
        { metadata: { name: 'new' } },
      ]);
      assert.deepEqual(headers(table), [
        ['Name', 'string', 0],
        ['Created At', 'date', 0],
      ]);
      assert.deepEqual(cells(table, 0), ['r', '2025-05-31T10:20:30Z']);
      assert.deepEqual(cells(table, 1), ['new', '0001-01-01T00:00:00Z']);
    }
    const unknown = { ...builtin('Secret'), group: 'example.com', kind: 'Gadget' };
    assert.deepEqual(cells(print(unknown, [{ metadata: meta('g') }])), ['g', '2025-06-01T11:00:00Z']);
  });

  test('an object without creationTimestamp is <unknown> old', () => {
    assert.deepEqual(cells(print(builtin('ConfigMap'), [{ metadata: { name: 'x' } }])), [
      'x',
      0,
      '<unknown>',
    ]);
  });
});

describe('custom resources', () => {
  const columns: PrinterColumn[] = [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired replicas' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused', priority: 1 },
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts[*]' },
    { name: 'Config', type: 'string', jsonPath: '.spec.config' },
    { name: 'Synced', type: 'date', jsonPath: '.status.lastSync', format: 'date-time' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const widget = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: meta('w1'),
    spec: {
      replicas: 2.9,
      ratio: 0.5,
      paused: false,
      hosts: ['a.example', 'b.example'],
      config: { z: 1, a: 'x' },
    },
    status: {
      lastSync: '2025-06-01T11:59:15Z',
      conditions: [
        { type: 'Synced', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
    },
  };

  test('print Name, then each printer column typed as kube prints it', () => {
    const table = print(customResource(columns), [
      widget,
      { metadata: meta('bare'), spec: { replicas: 'three' } },
    ]);
    assert.deepEqual(headers(table), [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Replicas', 'integer', 0],
      ['Ratio', 'number', 0],
      ['Paused', 'boolean', 1],
      ['Hosts', 'string', 0],
      ['Config', 'string', 0],
      ['Synced', 'date', 0],
      ['Age', 'date', 0],
    ]);
    const definitions = table.columnDefinitions ?? [];
    assert.equal(
      definitions[1]?.description,
      'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
    );
    assert.equal(definitions[2]?.description, 'Desired replicas');
    assert.equal(definitions[7]?.format, 'date-time');
    // The first match only, as kube-apiserver does; a date prints as an age.
    assert.deepEqual(cells(table, 0), [
      'w1',
      'False',
      2,
      0.5,
      false,
      'a.example',
      '{"a":"x","z":1}',
      '45s',
      '60m',
    ]);
    assert.deepEqual(cells(table, 1), ['bare', null, null, null, null, null, null, null, '60m']);
  });

  test('print one Age column when the CRD has none', () => {
    const table = print(customResource([]), [widget]);
    assert.deepEqual(headers(table), [
      ['Name', 'string', 0],
      ['Age', 'date', 0],
    ]);
    assert.match(table.columnDefinitions?.[1]?.description ?? '', /^CreationTimestamp is a timestamp/);
    assert.deepEqual(cells(table), ['w1', '60m']);
  });

  test('print dates that are not timestamps as <invalid>, and drop columns from the first unparseable path on', () => {
    const table = print(
      customResource([
        { name: 'When', type: 'date', jsonPath: '.spec.when' },
        { name: 'Broken', type: 'string', jsonPath: '.spec[' },
        { name: 'After', type: 'string', jsonPath: '.spec.when' },
      ]),
      [{ metadata: meta('x'), spec: { when: 'yesterday' } }],
    );
    assert.deepEqual(
      headers(table).map(([name]) => name),
      ['Name', 'When'],
    );
    assert.deepEqual(cells(table), ['x', '<invalid>']);
  });
});

describe('table options', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('s', { labels: { a: 'b' } }),
    data: { k: 'dg==' },
  };

  test('includeObject=Metadata sends PartialObjectMetadata', () => {
    const table = toTable(builtin('Secret'), [secret], { now: NOW, includeObject: 'Metadata' });
    assert.deepEqual(table.rows[0]?.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: secret.metadata,
    });
    assert.deepEqual(table.metadata, {});
  });

  test('includeObject=Object sends the whole object; None sends none', () => {
    const full = toTable(builtin('Secret'), [secret], { now: NOW, includeObject: 'Object' });
    assert.deepEqual(full.rows[0]?.object, secret);
    const none = toTable(builtin('Secret'), [secret], { now: NOW, includeObject: 'None' });
    assert.equal(none.rows[0] !== undefined && 'object' in none.rows[0], false);
  });

  test('noHeaders leaves the column definitions out; list metadata is passed through', () => {
    const table = toTable(builtin('Secret'), [secret], {
      now: NOW,
      includeObject: 'Metadata',
      noHeaders: true,
      resourceVersion: '9',
      continueToken: 'abc',
      remainingItemCount: 4,
    });
    assert.equal('columnDefinitions' in table, false);
    assert.deepEqual(table.metadata, { resourceVersion: '9', continue: 'abc', remainingItemCount: 4 });
    assert.deepEqual(table.rows[0]?.cells, ['s', 'Opaque', 1, '60m']);
  });

  test('a v1beta1 Table carries v1beta1 partial metadata', () => {
    const table = toTable(builtin('Secret'), [secret], {
      now: NOW,
      includeObject: 'Metadata',
      version: 'v1beta1',
    });
    assert.equal(table.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(table.rows[0]?.object?.['apiVersion'], 'meta.k8s.io/v1beta1');
  });

  test('an empty list is a Table with no rows', () => {
    const table = toTable(builtin('Secret'), [], {
      now: NOW,
      includeObject: 'Metadata',
      resourceVersion: '3',
    });
    assert.deepEqual(table.rows, []);
    assert.equal(table.columnDefinitions?.length, 4);
    assert.deepEqual(JSON.parse(JSON.stringify(table)), table);
  });

  test('tableColumns returns the definitions alone, as copies', () => {
    const columns = tableColumns(builtin('Secret'));
    assert.deepEqual(
      columns.map((column) => column.name),
      ['Name', 'Type', 'Data', 'Age'],
    );
    columns[0]!.name = 'changed';
    assert.equal(tableColumns(builtin('Secret'))[0]?.name, 'Name');
  });
});
