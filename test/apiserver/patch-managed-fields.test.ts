import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApplyConflictError,
  applyServerSide,
  FieldSet,
  fieldsV1Of,
  LAST_APPLIED_ANNOTATION,
  recordUpdate,
  type ManagedFieldsEntry,
} from '../../src/apiserver/patch/managed-fields.ts';
import {
  customResourceMergeSchema,
  customResourceMergeSchemaFromOpenAPI,
  mergeSchemaFor,
  type MergeSchema,
} from '../../src/apiserver/patch/strategic-merge.ts';

type Obj = Record<string, unknown>;

function schema(group: string, version: string, kind: string): MergeSchema {
  const found = mergeSchemaFor(group, version, kind);
  assert.ok(found);
  return found;
}

const SECRET = schema('', 'v1', 'Secret');
const POD = schema('', 'v1', 'Pod');
const DEPLOYMENT = schema('apps', 'v1', 'Deployment');
const T0 = new Date('2024-05-01T10:00:00.123Z');
const T1 = new Date('2024-05-01T10:05:00Z');
const T2 = new Date('2024-05-01T10:10:00Z');

function secret(data: Record<string, string>, metadata: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', ...metadata }, data };
}

/** What the store adds on create. */
function stored(object: Obj): Obj {
  const copy = structuredClone(object);
  const metadata = copy['metadata'] as Obj;
  metadata['uid'] = 'u-1';
  metadata['resourceVersion'] = '1';
  metadata['creationTimestamp'] = '2024-05-01T09:00:00Z';
  return copy;
}

function apply(
  live: Obj | undefined,
  applied: Obj,
  manager: string,
  now = T1,
  force = false,
  s = SECRET,
): Obj {
  return applyServerSide({
    live,
    applied,
    manager,
    force,
    apiVersion: applied['apiVersion'] as string,
    now,
    schema: s,
  }).object;
}

function managed(object: Obj): ManagedFieldsEntry[] {
  return ((object['metadata'] as Obj)['managedFields'] ?? []) as ManagedFieldsEntry[];
}

function owners(object: Obj): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of managed(object)) {
    out[`${entry.manager}/${entry.operation}`] = FieldSet.fromFieldsV1(entry.fieldsV1).toStrings();
  }
  return out;
}

test("create by apply: the configuration becomes the object, its fields the manager's", () => {
  const applied = secret({ key: 'dmFsdWU=' }, { labels: { app: 'x' } });
  const before = structuredClone(applied);
  const result = applyServerSide({
    live: undefined,
    applied,
    manager: 'kubectl',
    apiVersion: 'v1',
    now: T0,
    schema: SECRET,
  });
  assert.deepEqual(result.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:key': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    },
  ]);
  assert.deepEqual(result.object, {
    ...applied,
    metadata: { ...(applied['metadata'] as Obj), managedFields: result.managedFields },
  });
  assert.deepEqual(applied, before, 'the applied configuration is not modified');
  assert.equal(
    JSON.stringify(result.managedFields[0]),
    '{"manager":"kubectl","operation":"Apply","apiVersion":"v1","time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:app":{}}}}}',
  );
});

test('fieldsV1: keyed list items as k:, set items as v:, "." for a node that is itself owned', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', finalizers: ['example.com/f'] },
    spec: {
      containers: [
        { name: 'x', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
      ],
      tolerations: [{ key: 'k' }],
    },
  };
  assert.deepEqual(fieldsV1Of(pod, POD), {
    'f:metadata': { 'f:finalizers': { 'v:"example.com/f"': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"x"}': {
          '.': {},
          'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
          'f:image': {},
          'f:name': {},
          'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
        },
      },
      'f:tolerations': {},
    },
  });
  const round = FieldSet.fromFieldsV1(fieldsV1Of(pod, POD));
  assert.deepEqual(round.toFieldsV1(), fieldsV1Of(pod, POD));
  // kube's iteration order: at each level the members, then the children
  assert.deepEqual(round.toStrings(), [
    '.metadata.finalizers[="example.com/f"]',
    '.spec.tolerations',
    '.spec.containers[name="x"]',
    '.spec.containers[name="x"].image',
    '.spec.containers[name="x"].name',
    '.spec.containers[name="x"].env[name="A"]',
    '.spec.containers[name="x"].env[name="A"].name',
    '.spec.containers[name="x"].env[name="A"].value',
    '.spec.containers[name="x"].ports[containerPort=80,protocol="TCP"]',
    '.spec.containers[name="x"].ports[containerPort=80,protocol="TCP"].containerPort',
  ]);
});

test('re-applying without a field removes it from the object', () => {
  const first = stored(
    apply(undefined, secret({ a: 'MQ==', b: 'Mg==' }, { labels: { app: 'x', tier: 'y' } }), 'kubectl', T0),
  );
  const second = apply(first, secret({ a: 'MQ==' }, { labels: { app: 'x' } }), 'kubectl', T1);
  assert.deepEqual(second['data'], { a: 'MQ==' });
  assert.deepEqual((second['metadata'] as Obj)['labels'], { app: 'x' });
  assert.equal((second['metadata'] as Obj)['uid'], 'u-1', 'identity survives pruning');
  assert.deepEqual(owners(second), { 'kubectl/Apply': ['.data.a', '.metadata.labels.app'] });
  assert.equal(managed(second)[0]?.time, '2024-05-01T10:05:00Z');
  // a no-op re-apply keeps the entry's time
  const third = apply(second, secret({ a: 'MQ==' }, { labels: { app: 'x' } }), 'kubectl', T2);
  assert.equal(managed(third)[0]?.time, '2024-05-01T10:05:00Z');
  // dropping the last label removes the labels map
  const fourth = apply(third, secret({ a: 'MQ==' }), 'kubectl', T2);
  assert.equal((fourth['metadata'] as Obj)['labels'], undefined);
});

test('two appliers share fields; a field goes only when its last owner stops applying it', () => {
  let object = stored(apply(undefined, secret({ a: '1', b: '2' }), 'alpha', T0));
  object = apply(object, secret({ a: '1', c: '3' }), 'beta', T1);
  assert.deepEqual(object['data'], { a: '1', b: '2', c: '3' });
  assert.deepEqual(owners(object), {
    'alpha/Apply': ['.data.a', '.data.b'],
    'beta/Apply': ['.data.a', '.data.c'],
  });
  object = apply(object, secret({ b: '2' }), 'alpha', T2);
  assert.deepEqual(object['data'], { a: '1', b: '2', c: '3' }, 'beta still owns a');
  object = apply(object, secret({ c: '3' }), 'beta', T2);
  assert.deepEqual(object['data'], { b: '2', c: '3' }, 'nobody owns a any more');
  assert.deepEqual(owners(object), { 'alpha/Apply': ['.data.b'], 'beta/Apply': ['.data.c'] });
});

test("changing another manager's field is a conflict with kube's message; force takes it over", () => {
  let object = stored(apply(undefined, secret({ a: '1', b: '2' }), 'alpha', T0));
  object = {
    ...object,
    data: { a: '1', b: '2', c: '3' },
    metadata: {
      ...(object['metadata'] as Obj),
      managedFields: recordUpdate({
        previous: object,
        updated: { ...object, data: { a: '1', b: '2', c: '3' } },
        manager: 'kubectl-edit',
        apiVersion: 'v1',
        now: T1,
        schema: SECRET,
      }),
    },
  };
  assert.throws(
    () => apply(object, secret({ a: 'changed' }), 'beta', T2),
    (error: unknown) => {
      assert.ok(error instanceof ApplyConflictError);
      assert.equal(error.message, 'Apply failed with 1 conflict: conflict with "alpha": .data.a');
      assert.equal(error.status, 409);
      assert.equal(error.reason, 'Conflict');
      assert.deepEqual(error.causes, [
        { type: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.a' },
      ]);
      return true;
    },
  );
  assert.throws(() => apply(object, secret({ a: 'x', b: 'x', c: 'x' }), 'beta', T2), {
    code: 'ERR_APPLY_CONFLICT',
    message:
      'Apply failed with 3 conflicts: conflicts with "alpha":\n- .data.a\n- .data.b\nconflicts with "kubectl-edit" using v1:\n- .data.c',
  });
  const forced = apply(object, secret({ a: 'changed' }), 'beta', T2, true);
  assert.deepEqual(forced['data'], { a: 'changed', b: '2', c: '3' });
  assert.deepEqual(owners(forced), {
    'alpha/Apply': ['.data.b'],
    'beta/Apply': ['.data.a'],
    'kubectl-edit/Update': ['.data.c'],
  });
  // the same value is no conflict: the field is shared
  const shared = apply(object, secret({ a: '1' }), 'beta', T2);
  assert.deepEqual(owners(shared)['beta/Apply'], ['.data.a']);
  assert.deepEqual(owners(shared)['alpha/Apply'], ['.data.a', '.data.b']);
});

test('recordUpdate: changed fields move to the writer, removed fields leave every manager', () => {
  const object = stored(apply(undefined, secret({ a: '1', b: '2' }, { labels: { app: 'x' } }), 'alpha', T0));
  const updated: Obj = { ...object, data: { a: 'new', b: '2', d: '4' } };
  const entries = recordUpdate({
    previous: object,
    updated,
    manager: 'kubectl-edit',
    apiVersion: 'v1',
    now: T1,
    schema: SECRET,
  });
  assert.deepEqual(entries, [
    {
      manager: 'alpha',
      operation: 'Apply',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    },
    {
      manager: 'kubectl-edit',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-05-01T10:05:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {}, 'f:d': {} } },
    },
  ]);
  const next = { ...updated, metadata: { ...(updated['metadata'] as Obj), managedFields: entries } };
  const removed = recordUpdate({
    previous: next,
    updated: { ...next, data: { a: 'new', d: '4' } },
    manager: 'other',
    apiVersion: 'v1',
    now: T2,
    schema: SECRET,
  });
  assert.deepEqual(
    removed.map((entry) => [entry.manager, FieldSet.fromFieldsV1(entry.fieldsV1).toStrings()]),
    [
      ['alpha', ['.metadata.labels.app']],
      ['kubectl-edit', ['.data.a', '.data.d']],
    ],
    'a removal gives nobody ownership and takes b from alpha',
  );
  // a write that changes nothing records nothing
  assert.deepEqual(
    recordUpdate({
      previous: next,
      updated: next,
      manager: 'noop',
      apiVersion: 'v1',
      now: T2,
      schema: SECRET,
    }),
    entries,
  );
  // the same manager through another apiVersion is another entry; a subresource too
  const status = recordUpdate({
    previous: next,
    updated: { ...next, data: { a: 'x', b: '2', d: '4' } },
    manager: 'kubectl-edit',
    apiVersion: 'v1',
    subresource: 'status',
    now: T2,
    schema: SECRET,
  });
  assert.deepEqual(
    status.map((entry) => [entry.manager, entry.operation, entry.subresource ?? '']),
    [
      ['alpha', 'Apply', ''],
      ['kubectl-edit', 'Update', ''],
      ['kubectl-edit', 'Update', 'status'],
    ],
  );
});

test('client-side apply then kubectl apply --server-side: same values take over without conflicts', () => {
  // kubectl apply (client-side) creates the object with the last-applied annotation.
  const config = secret({ foo: 'YmFy' });
  const lastApplied = `${JSON.stringify(config)}\n`;
  const created = stored({
    ...config,
    type: 'Opaque',
    metadata: { ...(config['metadata'] as Obj), annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } },
  });
  const csaEntries = recordUpdate({
    previous: undefined,
    updated: created,
    manager: 'kubectl-client-side-apply',
    apiVersion: 'v1',
    now: T0,
    schema: SECRET,
  });
  assert.deepEqual(csaEntries, [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:data': { '.': {}, 'f:foo': {} },
        'f:metadata': { 'f:annotations': { '.': {}, [`f:${LAST_APPLIED_ANNOTATION}`]: {} } },
        'f:type': {},
      },
    },
  ]);
  const live = { ...created, metadata: { ...(created['metadata'] as Obj), managedFields: csaEntries } };

  // kubectl apply --server-side with the same file
  const migrated = apply(live, config, 'kubectl', T1);
  assert.deepEqual(migrated['data'], { foo: 'YmFy' });
  assert.deepEqual(owners(migrated), {
    'kubectl/Apply': ['.data.foo'],
    'kubectl-client-side-apply/Update': [
      '.data',
      '.type',
      '.data.foo',
      '.metadata.annotations',
      `.metadata.annotations.${LAST_APPLIED_ANNOTATION}`,
    ],
  });
  assert.equal(
    ((migrated['metadata'] as Obj)['annotations'] as Obj)[LAST_APPLIED_ANNOTATION],
    '{"apiVersion":"v1","data":{"foo":"YmFy"},"kind":"Secret","metadata":{"name":"s","namespace":"ns"}}\n',
    'kubectl server-side apply keeps the annotation in step',
  );

  // a changed value in the file still goes through: the field's live value is the last-applied one
  const changed = apply(migrated, secret({ foo: 'YmF6' }), 'kubectl', T2);
  assert.deepEqual(changed['data'], { foo: 'YmF6' });
  assert.deepEqual(owners(changed)['kubectl/Apply'], ['.data.foo']);
  assert.deepEqual(owners(changed)['kubectl-client-side-apply/Update'], [
    '.data',
    '.type',
    '.metadata.annotations',
    `.metadata.annotations.${LAST_APPLIED_ANNOTATION}`,
  ]);

  // another field manager is not kubectl: the same change conflicts with the client-side applier
  assert.throws(() => apply(live, secret({ foo: 'YmF6' }), 'helm', T2), {
    message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.foo',
  });
  assert.throws(() => apply(migrated, secret({ foo: 'YmF6' }), 'helm', T2), {
    message:
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .data.foo\nconflicts with "kubectl-client-side-apply" using v1:\n- .data.foo',
  });
});

test('client-side apply, then kubectl edit, then kubectl apply --server-side: a conflict', () => {
  const config = secret({ foo: 'YmFy' });
  const created = stored({
    ...config,
    metadata: {
      ...(config['metadata'] as Obj),
      annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(config) },
    },
  });
  const afterCreate = {
    ...created,
    metadata: {
      ...(created['metadata'] as Obj),
      managedFields: recordUpdate({
        previous: undefined,
        updated: created,
        manager: 'kubectl-client-side-apply',
        apiVersion: 'v1',
        now: T0,
        schema: SECRET,
      }),
    },
  };
  const edited = { ...afterCreate, data: { foo: 'ZWRpdGVk' } };
  const live = {
    ...edited,
    metadata: {
      ...(edited['metadata'] as Obj),
      managedFields: recordUpdate({
        previous: afterCreate,
        updated: edited,
        manager: 'kubectl-edit',
        apiVersion: 'v1',
        now: T1,
        schema: SECRET,
      }),
    },
  };
  assert.throws(() => apply(live, config, 'kubectl', T2), {
    status: 409,
    message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.foo',
  });
  assert.deepEqual(apply(live, config, 'kubectl', T2, true)['data'], { foo: 'YmFy' });
});

test('kubectl replacing managedFields (the client-side apply upgrade) keeps what the request sends', () => {
  const object = stored(apply(undefined, secret({ a: '1' }), 'alpha', T0));
  const requested: ManagedFieldsEntry[] = [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {} } },
    },
  ];
  const updated = { ...object, metadata: { ...(object['metadata'] as Obj), managedFields: requested } };
  assert.deepEqual(
    recordUpdate({
      previous: object,
      updated,
      manager: 'kubectl',
      apiVersion: 'v1',
      now: T1,
      schema: SECRET,
    }),
    requested,
  );
  // an empty list resets managedFields: only this write's changes are recorded
  const reset = {
    ...object,
    data: { a: '1', b: '2' },
    metadata: { ...(object['metadata'] as Obj), managedFields: [] },
  };
  assert.deepEqual(
    recordUpdate({
      previous: object,
      updated: reset,
      manager: 'm',
      apiVersion: 'v1',
      now: T1,
      schema: SECRET,
    }).map((entry) => [entry.manager, FieldSet.fromFieldsV1(entry.fieldsV1).toStrings()]),
    [['m', ['.data.b']]],
  );
});

test('Pod containers are keyed by name: each applier owns its container; a dropped container goes', () => {
  const podConfig = (containers: Obj[]): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers },
  });
  let object = stored(apply(undefined, podConfig([{ name: 'a', image: 'a:1' }]), 'alpha', T0, false, POD));
  object = apply(object, podConfig([{ name: 'b', image: 'b:1' }]), 'beta', T1, false, POD);
  assert.deepEqual((object['spec'] as Obj)['containers'], [
    { name: 'a', image: 'a:1' },
    { name: 'b', image: 'b:1' },
  ]);
  assert.deepEqual(managed(object).find((entry) => entry.manager === 'beta')?.fieldsV1, {
    'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
  });
  assert.throws(() => apply(object, podConfig([{ name: 'a', image: 'a:2' }]), 'beta', T2, false, POD), {
    message: 'Apply failed with 1 conflict: conflict with "alpha": .spec.containers[name="a"].image',
  });
  object = apply(object, podConfig([{ name: 'b', image: 'b:1' }]), 'beta', T2, false, POD);
  object = apply(object, podConfig([]), 'alpha', T2, false, POD);
  assert.deepEqual((object['spec'] as Obj)['containers'], [{ name: 'b', image: 'b:1' }]);
});

test('status is not owned through the main resource of a kind with a status subresource', () => {
  const config = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'd' } } },
    status: { replicas: 5 },
  };
  const result = applyServerSide({
    live: undefined,
    applied: config,
    manager: 'm',
    apiVersion: 'apps/v1',
    now: T0,
    schema: DEPLOYMENT,
  });
  assert.deepEqual(result.managedFields[0]?.fieldsV1, { 'f:spec': { 'f:replicas': {}, 'f:selector': {} } });
});

test('a Deployment created through POST: the zero value decides which nodes are new', () => {
  const deployment = stored({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'd' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
        },
      },
    },
  });
  const [entry] = recordUpdate({
    previous: undefined,
    updated: deployment,
    manager: 'kubectl-create',
    apiVersion: 'apps/v1',
    now: T0,
    schema: DEPLOYMENT,
  });
  assert.deepEqual(entry?.fieldsV1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': {
                '.': {},
                'k:{"containerPort":80,"protocol":"TCP"}': {
                  '.': {},
                  'f:containerPort': {},
                  'f:protocol': {},
                },
              },
            },
          },
        },
      },
    },
  });
});

test('custom resources without a schema: maps are granular, lists atomic', () => {
  const widget = customResourceMergeSchema('example.com', 'v1', 'Widget');
  const config = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', labels: { a: 'b' } },
    spec: { size: { cpu: 1 }, items: [1, 2] },
  };
  const created = stored(
    applyServerSide({
      live: undefined,
      applied: config,
      manager: 'm',
      apiVersion: 'example.com/v1',
      now: T0,
      schema: widget,
    }).object,
  );
  assert.deepEqual(managed(created)[0]?.fieldsV1, {
    'f:metadata': { 'f:labels': { 'f:a': {} } },
    'f:spec': { '.': {}, 'f:items': {}, 'f:size': { '.': {}, 'f:cpu': {} } },
  });
  const other = applyServerSide({
    live: created,
    applied: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [3] } },
    manager: 'n',
    force: true,
    apiVersion: 'example.com/v1',
    now: T1,
    schema: widget,
  });
  assert.deepEqual(other.object['spec'], { size: { cpu: 1 }, items: [3] });
});

test('the applied configuration may not carry managedFields or another apiVersion', () => {
  assert.throws(
    () =>
      applyServerSide({
        live: undefined,
        applied: { ...secret({}), metadata: { name: 's', managedFields: [] } },
        manager: 'm',
        apiVersion: 'v1',
        now: T0,
        schema: SECRET,
      }),
    { status: 400, message: 'metadata.managedFields must be nil' },
  );
  assert.throws(
    () =>
      applyServerSide({
        live: undefined,
        applied: secret({}),
        manager: 'm',
        apiVersion: 'v2',
        now: T0,
        schema: SECRET,
      }),
    {
      status: 400,
      message: 'Incorrect version specified in apply patch. Specified patch version: v1, expected: v2',
    },
  );
  assert.throws(
    () =>
      applyServerSide({
        live: undefined,
        applied: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p' },
          spec: { containers: [{ image: 'x' }] },
        },
        manager: 'm',
        apiVersion: 'v1',
        now: T0,
        schema: POD,
      }),
    {
      message:
        'failed to create typed patch object (/v1, Kind=Pod): .spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    },
  );
});

test('entries sort by operation, time, manager; at most 10 Update managers', () => {
  let object = stored(secret({}));
  let entries: ManagedFieldsEntry[] = [];
  for (let i = 0; i < 12; i++) {
    const updated: Obj = { ...object, data: { ...(object['data'] as Obj), [`k${i}`]: 'v' } };
    entries = recordUpdate({
      previous: object,
      updated,
      manager: `m${String(i).padStart(2, '0')}`,
      apiVersion: 'v1',
      now: new Date(T0.getTime() + i * 1000),
      schema: SECRET,
    });
    object = { ...updated, metadata: { ...(updated['metadata'] as Obj), managedFields: entries } };
  }
  assert.equal(entries.length, 10);
  assert.deepEqual(
    entries.map((entry) => entry.manager),
    ['ancient-changes', 'm03', 'm04', 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11'],
  );
  assert.deepEqual(FieldSet.fromFieldsV1(entries[0]?.fieldsV1).toStrings(), [
    '.data.k0',
    '.data.k1',
    '.data.k2',
  ]);
  const withApply = apply(object, secret({ z: 'v' }), 'zeta', T0);
  assert.deepEqual(
    managed(withApply)
      .map((entry) => `${entry.operation}:${entry.manager}`)
      .slice(0, 2),
    ['Apply:zeta', 'Update:ancient-changes'],
  );
});

test('custom resources with a structural schema: properties are fields, list-type map items keyed', () => {
  const widget = customResourceMergeSchemaFromOpenAPI('example.com', 'v1', 'Widget', {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'object', properties: { cpu: { type: 'integer' } } },
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['port', 'protocol'],
            items: {
              type: 'object',
              properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } },
            },
          },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          selector: {
            type: 'object',
            additionalProperties: { type: 'string' },
            'x-kubernetes-map-type': 'atomic',
          },
        },
      },
    },
  });
  const config = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: { cpu: 1 }, ports: [{ port: 80 }], tags: ['a'], selector: { app: 'w' } },
  };
  assert.deepEqual(fieldsV1Of(config, widget), {
    'f:spec': {
      'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } },
      'f:selector': {},
      'f:size': { 'f:cpu': {} },
      'f:tags': { 'v:"a"': {} },
    },
  });
});

test('field sets share subtrees but never change: set operations leave their operands as they were', () => {
  const labels = FieldSet.fromFieldsV1({ 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {}, 'f:b': {} } } });
  const data = FieldSet.fromFieldsV1({
    'f:data': { 'f:x': {} },
    'f:metadata': { 'f:labels': { 'f:a': {} } },
  });
  const before = [labels.toStrings(), data.toStrings()];
  const union = labels.union(data);
  const difference = labels.difference(data);
  const intersection = labels.intersection(data);
  const pruned = union.withoutPrefix([{ kind: 'field', name: 'metadata' }]);
  assert.deepEqual(union.toStrings(), [
    '.data.x',
    '.metadata.labels',
    '.metadata.labels.a',
    '.metadata.labels.b',
  ]);
  assert.deepEqual(difference.toStrings(), ['.metadata.labels', '.metadata.labels.b']);
  assert.deepEqual(intersection.toStrings(), ['.metadata.labels.a']);
  assert.deepEqual(pruned.toStrings(), ['.data.x']);
  assert.deepEqual([labels.toStrings(), data.toStrings()], before);
  assert.equal(union.size, 4);
  assert.ok(union.difference(union).isEmpty());
  assert.ok(difference.union(intersection).equals(labels));
  assert.ok(!difference.equals(labels));
  assert.ok(
    union.has([
      { kind: 'field', name: 'data' },
      { kind: 'field', name: 'x' },
    ]),
  );
  assert.ok(!union.has([{ kind: 'field', name: 'data' }]), 'a parent of members is not itself a member');
  // every encoding is a fresh object: changing one leaves the set and later encodings alone
  const encoded = union.toFieldsV1();
  (encoded['f:data'] as Record<string, unknown>)['f:injected'] = {};
  assert.deepEqual(union.toFieldsV1()['f:data'], { 'f:x': {} });
});

test('fieldsV1 keys are read in canonical form (a set holds one of equal keys), written in UTF-8 order', () => {
  const set = FieldSet.fromFieldsV1({
    'f:spec': { 'k:{"b":1,"a":2}': {}, 'k:{"a":2,"b":1}': { 'f:x': {} }, 'v:1.0': {}, 'v:1': {} },
  });
  assert.deepEqual(set.toFieldsV1(), {
    'f:spec': { 'k:{"a":2,"b":1}': { '.': {}, 'f:x': {} }, 'v:1': {} },
  });
  // U+E000 sorts before U+1F600 in UTF-8 (Go's order) although its UTF-16 code unit is larger
  const order = Object.keys(
    FieldSet.fromFieldsV1({ 'f:\ud83d\ude00': {}, 'f:\ue000': {}, 'f:z': {}, 'f:é': {} }).toFieldsV1(),
  );
  assert.deepEqual(order, ['f:z', 'f:é', 'f:\ue000', 'f:\ud83d\ude00']);
});

test('recordUpdate modifies neither object and shares no managedFields with them', () => {
  const previous = stored(apply(undefined, secret({ a: '1' }, { labels: { app: 'x' } }), 'alpha', T0));
  const updated: Obj = structuredClone({ ...previous, data: { a: '2', b: '3' } });
  const [previousCopy, updatedCopy] = [structuredClone(previous), structuredClone(updated)];
  const record = () =>
    recordUpdate({ previous, updated, manager: 'writer', apiVersion: 'v1', now: T1, schema: SECRET });
  const first = record();
  assert.deepEqual(previous, previousCopy);
  assert.deepEqual(updated, updatedCopy);
  const second = record();
  assert.deepEqual(second, first);
  const shared = new Set<unknown>(managed(previous).map((entry) => entry.fieldsV1));
  for (const entry of first) {
    assert.ok(!shared.has(entry.fieldsV1));
    assert.notEqual(entry.fieldsV1, second.find((other) => other.manager === entry.manager)?.fieldsV1);
  }
});
