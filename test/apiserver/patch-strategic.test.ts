import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatchError } from '../../src/apiserver/patch/json-patch.ts';
import {
  applyStrategicMergePatch,
  customResourceMergeSchema,
  describeMergeSchema,
  isStrategicMergeUnsupported,
  mergeSchemaFor,
  type MergeSchema,
} from '../../src/apiserver/patch/strategic-merge.ts';

function schema(group: string, version: string, kind: string): MergeSchema {
  const found = mergeSchemaFor(group, version, kind);
  assert.ok(found, `${group}/${version}/${kind} has a schema`);
  return found;
}

const POD = schema('', 'v1', 'Pod');
const DEPLOYMENT = schema('apps', 'v1', 'Deployment');

function pod(containers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, ...extra } };
}

function containersOf(object: Record<string, unknown>): unknown {
  return (object['spec'] as { containers: unknown }).containers;
}

test('Pod containers merge by name: changed fields merge, new containers come before live-only ones', () => {
  const original = pod([
    { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] },
    { name: 'sidecar', image: 'side:1' },
  ]);
  const before = structuredClone(original);
  const patched = applyStrategicMergePatch(
    original,
    {
      spec: {
        containers: [
          { name: 'app', image: 'app:2' },
          { name: 'new', image: 'new:1' },
        ],
      },
    },
    POD,
  );
  // The patch's items keep the patch order; a live-only item goes after the patch items it does not precede
  // in the live list (upstream's mergeSortedSlice).
  assert.deepEqual(containersOf(patched), [
    { name: 'app', image: 'app:2', ports: [{ containerPort: 80 }] },
    { name: 'new', image: 'new:1' },
    { name: 'sidecar', image: 'side:1' },
  ]);
  assert.deepEqual(original, before, 'the original is not modified');
});

test('the kubectl patch tutorial: adding a container to a Deployment lists it first', () => {
  // kubernetes.io "Update API Objects in Place Using kubectl patch": patch-demo-ctr-2 (redis) comes out
  // before patch-demo-ctr (nginx).
  const deployment = {
    spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr', image: 'nginx' }] } } },
  };
  const patched = applyStrategicMergePatch(
    deployment,
    { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } } } },
    DEPLOYMENT,
  );
  assert.deepEqual(patched, {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'patch-demo-ctr-2', image: 'redis' },
            { name: 'patch-demo-ctr', image: 'nginx' },
          ],
        },
      },
    },
  });
});

test('$patch: delete removes a container by name; $patch: replace replaces the list', () => {
  const original = pod([
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
  ]);
  assert.deepEqual(
    containersOf(
      applyStrategicMergePatch(original, { spec: { containers: [{ $patch: 'delete', name: 'a' }] } }, POD),
    ),
    [{ name: 'b', image: 'b' }],
  );
  assert.deepEqual(
    containersOf(
      applyStrategicMergePatch(
        original,
        { spec: { containers: [{ $patch: 'replace' }, { name: 'z', image: 'z' }] } },
        POD,
      ),
    ),
    [{ name: 'z', image: 'z' }],
  );
});

test('env merges by name inside a container; kubectl-style patch with $setElementOrder and a delete', () => {
  const original = pod([
    {
      name: 'app',
      image: 'app',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
  ]);
  const patch = {
    spec: {
      '$setElementOrder/containers': [{ name: 'app' }],
      containers: [
        {
          '$setElementOrder/env': [{ name: 'B' }, { name: 'C' }],
          env: [
            { name: 'C', value: '3' },
            { $patch: 'delete', name: 'A' },
          ],
          name: 'app',
        },
      ],
    },
  };
  assert.deepEqual(containersOf(applyStrategicMergePatch(original, patch, POD)), [
    {
      name: 'app',
      image: 'app',
      env: [
        { name: 'B', value: '2' },
        { name: 'C', value: '3' },
      ],
    },
  ]);
});

test('$setElementOrder decides the order of the merged list', () => {
  const original = pod([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  const patched = applyStrategicMergePatch(
    original,
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
        containers: [{ name: 'a', image: 'x' }],
      },
    },
    POD,
  );
  assert.deepEqual(containersOf(patched), [{ name: 'c' }, { name: 'a', image: 'x' }, { name: 'b' }]);
  assert.throws(
    () =>
      applyStrategicMergePatch(
        original,
        { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', image: 'x' }] } },
        POD,
      ),
    {
      message:
        /^the order in patch list:\n\[map\[image:x name:b\]\]\n doesn't match \$setElementOrder list:\n\[map\[name:a\]\]$/,
    },
  );
});

test('a Deployment: containers and env merge through spec.template, ports by containerPort', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd' } },
    spec: {
      replicas: 1,
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              env: [{ name: 'A', value: '1' }],
              ports: [{ containerPort: 80, name: 'http' }],
            },
          ],
        },
      },
    },
  };
  const patched = applyStrategicMergePatch(
    deployment,
    {
      metadata: { labels: { tier: 'web' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [{ name: 'B', value: '2' }],
                ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
              },
            ],
          },
        },
      },
    },
    DEPLOYMENT,
  );
  assert.deepEqual(patched, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd', tier: 'web' } },
    spec: {
      replicas: 3,
      template: {
        metadata: { labels: { app: 'd' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              env: [
                { name: 'B', value: '2' },
                { name: 'A', value: '1' },
              ],
              ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }],
            },
          ],
        },
      },
    },
  });
});

test('retainKeys: a Deployment strategy and a Pod volume keep only the listed members', () => {
  const deployment = {
    spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
  };
  assert.deepEqual(
    applyStrategicMergePatch(
      deployment,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      DEPLOYMENT,
    ),
    { spec: { strategy: { type: 'Recreate' } } },
  );
  const withVolume = pod([{ name: 'a' }], {
    volumes: [
      { name: 'v', emptyDir: {} },
      { name: 'w', emptyDir: {} },
    ],
  });
  const patched = applyStrategicMergePatch(
    withVolume,
    {
      spec: {
        volumes: [{ name: 'v', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }],
      },
    },
    POD,
  );
  assert.deepEqual((patched['spec'] as { volumes: unknown }).volumes, [
    { name: 'v', secret: { secretName: 's' } },
    { name: 'w', emptyDir: {} },
  ]);
  assert.throws(
    () =>
      applyStrategicMergePatch(
        deployment,
        { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
        DEPLOYMENT,
      ),
    (error: unknown) =>
      error instanceof PatchError &&
      error.message === 'invalid patch format of retainKeys' &&
      error.status === 400,
  );
});

test('a Secret: null deletes data keys, new keys are added', () => {
  const secret = schema('', 'v1', 'Secret');
  const original = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    type: 'Opaque',
    data: { a: 'YQ==', b: 'Yg==' },
  };
  assert.deepEqual(
    applyStrategicMergePatch(original, { data: { a: null, c: 'Yw==' }, stringData: null }, secret),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      type: 'Opaque',
      data: { b: 'Yg==', c: 'Yw==' },
    },
  );
});

test('metadata: finalizers are a set, ownerReferences merge by uid, $patch: replace on labels', () => {
  const secret = schema('', 'v1', 'Secret');
  const original = {
    metadata: {
      name: 's',
      labels: { a: '1', b: '2' },
      finalizers: ['a', 'b'],
      ownerReferences: [{ uid: 'u1', kind: 'X', name: 'x' }],
    },
  };
  const patched = applyStrategicMergePatch(
    original,
    {
      metadata: {
        labels: { $patch: 'replace', c: '3' },
        finalizers: ['c', 'a'],
        ownerReferences: [
          { uid: 'u1', controller: true },
          { uid: 'u2', kind: 'Y', name: 'y' },
        ],
      },
    },
    secret,
  );
  assert.deepEqual(patched['metadata'], {
    name: 's',
    labels: { c: '3' },
    finalizers: ['c', 'a', 'b'],
    ownerReferences: [
      { uid: 'u1', kind: 'X', name: 'x', controller: true },
      { uid: 'u2', kind: 'Y', name: 'y' },
    ],
  });
  const removed = applyStrategicMergePatch(
    original,
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
    secret,
  );
  assert.deepEqual((removed['metadata'] as { finalizers: unknown }).finalizers, ['b']);
});

test('lists without a merge strategy are replaced: tolerations, args, StatefulSet volumeClaimTemplates', () => {
  const original = pod([{ name: 'a', args: ['1', '2'] }], { tolerations: [{ key: 'k1' }, { key: 'k2' }] });
  const patched = applyStrategicMergePatch(
    original,
    { spec: { tolerations: [{ key: 'k3' }], containers: [{ name: 'a', args: ['3'] }] } },
    POD,
  );
  assert.deepEqual(patched['spec'], {
    containers: [{ name: 'a', args: ['3'] }],
    tolerations: [{ key: 'k3' }],
  });
  const sts = schema('apps', 'v1', 'StatefulSet');
  assert.deepEqual(
    applyStrategicMergePatch(
      { spec: { volumeClaimTemplates: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] } },
      { spec: { volumeClaimTemplates: [{ metadata: { name: 'c' } }] } },
      sts,
    ),
    { spec: { volumeClaimTemplates: [{ metadata: { name: 'c' } }] } },
  );
});

test('ServiceAccount secrets merge by name; its imagePullSecrets are replaced (unlike a PodSpec)', () => {
  const sa = schema('', 'v1', 'ServiceAccount');
  const patched = applyStrategicMergePatch(
    { secrets: [{ name: 'a' }], imagePullSecrets: [{ name: 'x' }] },
    { secrets: [{ name: 'b' }], imagePullSecrets: [{ name: 'y' }] },
    sa,
  );
  assert.deepEqual(patched, { secrets: [{ name: 'b' }, { name: 'a' }], imagePullSecrets: [{ name: 'y' }] });
  const podPatched = applyStrategicMergePatch(
    pod([], { imagePullSecrets: [{ name: 'x' }] }),
    { spec: { imagePullSecrets: [{ name: 'y' }] } },
    POD,
  );
  assert.deepEqual((podPatched['spec'] as { imagePullSecrets: unknown }).imagePullSecrets, [
    { name: 'y' },
    { name: 'x' },
  ]);
});

test('Service ports merge by port; CronJob containers through jobTemplate', () => {
  const service = schema('', 'v1', 'Service');
  assert.deepEqual(
    applyStrategicMergePatch(
      { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      { spec: { ports: [{ port: 80, name: 'http' }, { port: 443 }] } },
      service,
    ),
    { spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }] } },
  );
  const cronJob = schema('batch', 'v1', 'CronJob');
  const original = {
    spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }] } } } } },
  };
  const patched = applyStrategicMergePatch(
    original,
    { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } } } },
    cronJob,
  );
  assert.deepEqual(patched, {
    spec: {
      jobTemplate: {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'b', image: '2' },
                { name: 'a', image: '1' },
              ],
            },
          },
        },
      },
    },
  });
});

test('custom resources are refused with kube-apiserver 415', () => {
  assert.equal(mergeSchemaFor('example.com', 'v1', 'Widget'), undefined);
  const attempts = [
    () => applyStrategicMergePatch({ spec: {} }, { spec: { a: 1 } }, undefined),
    () =>
      applyStrategicMergePatch(
        { spec: {} },
        { spec: { a: 1 } },
        customResourceMergeSchema('example.com', 'v1', 'Widget'),
      ),
  ];
  for (const attempt of attempts) {
    assert.throws(attempt, (error: unknown) => {
      assert.ok(isStrategicMergeUnsupported(error));
      assert.equal(
        error.message,
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
      assert.equal(error.status, 415);
      assert.equal(error.reason, 'UnsupportedMediaType');
      assert.equal(error.code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
      return true;
    });
  }
  assert.equal(isStrategicMergeUnsupported(new Error('x')), false);
});

test('malformed patches fail with the library messages', () => {
  const original = { ...pod([{ name: 'a', image: 'a' }]), metadata: { name: 'p', finalizers: [] } };
  const cases: [unknown, string, number][] = [
    [
      { spec: { containers: [{ image: 'httpd' }] } },
      'map: map[image:httpd] does not contain declared merge key: name',
      500,
    ],
    [
      { spec: { $patch: 'frobnicate' } },
      'unknown patch type: frobnicate in map: map[$patch:frobnicate]',
      500,
    ],
    [
      { spec: { containers: [{ $patch: 'merge', name: 'a' }] } },
      'merging lists cannot yet be specified in the patch',
      500,
    ],
    [{ spec: { $deleteFromPrimitiveList: ['a'] } }, 'invalid patch format of primitive list', 400],
    [{ spec: { $retainKeys: 'x' } }, 'invalid patch format of retainKeys', 400],
    [{ metadata: { finalizers: [['a']] } }, 'lists of lists are not supported', 422],
    [
      { spec: { containers: [['a']] } },
      'list element types are not identical: [[map[image:a name:a]] [[a]]]',
      500,
    ],
    [['not', 'a', 'map'], 'json: cannot unmarshal array into Go value of type map[string]interface {}', 400],
  ];
  for (const [patch, message, status] of cases) {
    assert.throws(() => applyStrategicMergePatch(original, patch, POD), { message, status }, message);
  }
});

test('directives are not stored when the patch adds a new member', () => {
  const patched = applyStrategicMergePatch(
    pod([{ name: 'a' }]),
    {
      spec: {
        volumes: [
          { name: 'v', emptyDir: { sizeLimit: null } },
          { $patch: 'delete', name: 'gone' },
        ],
        affinity: { $patch: 'delete' },
        initContainers: [{ name: 'i', env: [{ name: 'X', value: null }] }],
      },
    },
    POD,
  );
  assert.deepEqual(patched['spec'], {
    containers: [{ name: 'a' }],
    volumes: [{ name: 'v', emptyDir: {} }],
    initContainers: [{ name: 'i', env: [{ name: 'X' }] }],
  });
});

test('schemas describe the merge keys and list types of each path', () => {
  const pods = describeMergeSchema(POD);
  assert.deepEqual(pods['spec.containers'], {
    listType: 'map',
    keys: ['name'],
    patchStrategy: 'merge',
    patchMergeKey: 'name',
  });
  assert.deepEqual(pods['spec.containers[].env'], {
    listType: 'map',
    keys: ['name'],
    patchStrategy: 'merge',
    patchMergeKey: 'name',
  });
  assert.deepEqual(pods['spec.containers[].ports'], {
    listType: 'map',
    keys: ['containerPort', 'protocol'],
    patchStrategy: 'merge',
    patchMergeKey: 'containerPort',
  });
  assert.equal(pods['spec.containers[].volumeMounts']?.patchMergeKey, 'mountPath');
  assert.equal(pods['spec.containers[].volumeDevices']?.patchMergeKey, 'devicePath');
  assert.equal(pods['spec.ephemeralContainers']?.patchMergeKey, 'name');
  assert.equal(pods['spec.initContainers']?.patchMergeKey, 'name');
  assert.deepEqual(pods['spec.volumes'], {
    listType: 'map',
    keys: ['name'],
    patchStrategy: 'merge,retainKeys',
    patchMergeKey: 'name',
  });
  assert.deepEqual(pods['spec.tolerations'], { listType: 'atomic' });
  assert.equal(pods['spec.imagePullSecrets']?.patchMergeKey, 'name');
  assert.deepEqual(pods['metadata.ownerReferences'], {
    listType: 'map',
    keys: ['uid'],
    patchStrategy: 'merge',
    patchMergeKey: 'uid',
  });
  assert.deepEqual(pods['metadata.finalizers'], { listType: 'set', patchStrategy: 'merge' });
  assert.deepEqual(pods['metadata.labels'], { map: true });
  const deployments = describeMergeSchema(DEPLOYMENT);
  assert.deepEqual(deployments['spec.strategy'], { patchStrategy: 'retainKeys' });
  assert.deepEqual(deployments['spec.selector'], { atomic: true });
  assert.equal(deployments['spec.template.spec.containers[].env']?.patchMergeKey, 'name');
  for (const [group, kind] of [
    ['', 'Secret'],
    ['', 'ConfigMap'],
    ['', 'ServiceAccount'],
    ['', 'Service'],
    ['', 'Namespace'],
    ['apps', 'StatefulSet'],
    ['apps', 'DaemonSet'],
    ['batch', 'Job'],
    ['batch', 'CronJob'],
  ] as const) {
    assert.ok(mergeSchemaFor(group, 'v1', kind)?.strategicMerge, kind);
  }
  assert.equal(mergeSchemaFor('apps', 'v1beta1', 'Deployment'), undefined);
});
