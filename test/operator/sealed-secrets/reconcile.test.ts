import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloakError } from '../../../src/common/errors.ts';
import type { Secret } from '../../../src/kube/objects.ts';
import {
  desiredSecret,
  expectedMetadata,
  MANAGED_ANNOTATION,
  PATCH_ANNOTATION,
  planSecretWrite,
  planStatus,
  secretIsCurrent,
  unsealFailureMessage,
  unsealInputsHash,
  UNSEALED_FROM_ANNOTATION,
  type SealedSecretStatus,
} from '../../../src/operator/sealed-secrets/reconcile.ts';
import { UnsealError, type SealedSecret } from '../../../src/sealing/sealed-secret.ts';

function sealedSecret(
  overrides: Partial<SealedSecret['metadata']> = {},
  spec: Partial<SealedSecret['spec']> = {},
): SealedSecret {
  return {
    kind: 'SealedSecret',
    apiVersion: 'bitnami.com/v1alpha1',
    metadata: { name: 'app', namespace: 'prod', uid: 'uid-1', generation: 1, ...overrides },
    spec: {
      encryptedData: { b: 'AgBB', a: 'AgAA' },
      template: { metadata: { labels: { team: 'x' }, annotations: { note: 'n' } }, type: 'Opaque' },
      ...spec,
    },
  };
}

const OWNER = {
  apiVersion: 'bitnami.com/v1alpha1',
  kind: 'SealedSecret',
  name: 'app',
  uid: 'uid-1',
  controller: true,
};

function unsealed(sealed: SealedSecret, data: Record<string, string> = { a: 'QQ==', b: 'Qg==' }): Secret {
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      ...structuredClone(sealed.spec.template?.metadata ?? {}),
      name: 'app',
      namespace: 'prod',
      ownerReferences: [OWNER],
    },
    data,
    type: 'Opaque',
  };
}

test('the inputs hash covers ciphertext, name, namespace, owner, scope and template, not key order or hints', () => {
  const base = sealedSecret();
  const hash = unsealInputsHash(base);
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  const reordered = sealedSecret({}, { encryptedData: { a: 'AgAA', b: 'AgBB' } });
  assert.equal(unsealInputsHash(reordered), hash);
  const hinted = sealedSecret({
    annotations: { 'cloak.dev/sealing-key': 'SHA256:x' },
    labels: { any: 'thing' },
  });
  assert.equal(unsealInputsHash(hinted), hash);
  const variants = [
    sealedSecret({}, { encryptedData: { a: 'AgAA', b: 'AgBC' } }),
    sealedSecret({ name: 'other' }),
    sealedSecret({ namespace: 'dev' }),
    sealedSecret({ uid: 'uid-2' }),
    sealedSecret({ annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' } }),
    sealedSecret({}, { template: { metadata: { labels: { team: 'y' } } } }),
    sealedSecret({}, { template: { type: 'kubernetes.io/tls' } }),
    sealedSecret({}, { template: { data: { url: '{{ .a }}' } } }),
    sealedSecret({}, { data: 'AgAA', encryptedData: {} }),
  ];
  const hashes = new Set([hash, ...variants.map(unsealInputsHash)]);
  assert.equal(hashes.size, variants.length + 1);
});

test('a Secret is current when written from the same inputs with the metadata they give', () => {
  const sealed = sealedSecret();
  const hash = unsealInputsHash(sealed);
  const written = desiredSecret(unsealed(sealed), hash);
  assert.deepEqual(expectedMetadata(sealed, hash), {
    labels: { team: 'x' },
    annotations: { note: 'n', [UNSEALED_FROM_ANNOTATION]: hash },
    ownerReferences: [OWNER],
  });
  assert.equal(secretIsCurrent(sealed, hash, written.metadata), true);
  assert.equal(secretIsCurrent(sealed, hash, undefined), false, 'no Secret');
  assert.equal(secretIsCurrent(sealed, 'sha256:other', written.metadata), false, 'other inputs');
  const relabelled = { ...written.metadata, labels: { team: 'x', extra: '1' } };
  assert.equal(secretIsCurrent(sealed, hash, relabelled), false, 'metadata edited by hand');
  const orphan = { ...written.metadata, ownerReferences: [] };
  assert.equal(secretIsCurrent(sealed, hash, orphan), false, 'not owned');
  const recreated = sealedSecret({ uid: 'uid-2' });
  assert.equal(secretIsCurrent(recreated, unsealInputsHash(recreated), written.metadata), false, 'new owner');
  // A patch Secret keeps its own labels and annotations.
  const patched = {
    ...written.metadata,
    ownerReferences: undefined,
    labels: { team: 'x', own: 'yes' },
    annotations: { ...written.metadata.annotations, [PATCH_ANNOTATION]: 'true' },
  };
  assert.equal(secretIsCurrent(sealed, hash, patched), true);
  // The deprecated v1 format: only the inputs and ownership can be checked.
  const legacy = sealedSecret({}, { data: 'AgAA', encryptedData: {} });
  const legacyHash = unsealInputsHash(legacy);
  assert.equal(
    secretIsCurrent(legacy, legacyHash, {
      ownerReferences: [OWNER],
      annotations: { [UNSEALED_FROM_ANNOTATION]: legacyHash },
    }),
    true,
  );
});

test('Secret writes: create, unchanged, update, refuse a foreign Secret, adopt a managed one, merge a patch one', () => {
  const sealed = sealedSecret();
  const hash = unsealInputsHash(sealed);
  const desired = desiredSecret(unsealed(sealed), hash);
  assert.deepEqual(planSecretWrite(sealed, desired, undefined), { action: 'create', secret: desired });

  const existing: Secret = {
    ...structuredClone(desired),
    metadata: {
      ...structuredClone(desired.metadata),
      uid: 's-1',
      resourceVersion: '7',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
  };
  assert.deepEqual(planSecretWrite(sealed, desired, existing), { action: 'unchanged' });

  const changed = desiredSecret(unsealed(sealed, { a: 'QUE=', b: 'Qg==' }), hash);
  const update = planSecretWrite(sealed, changed, existing);
  assert.equal(update.action, 'update');
  if (update.action === 'update') {
    assert.deepEqual(update.secret.data, { a: 'QUE=', b: 'Qg==' });
    assert.equal(update.secret.metadata.resourceVersion, '7', 'the update carries the version it read');
  }

  const foreign: Secret = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'app', namespace: 'prod' },
    data: { x: 'eA==' },
  };
  assert.deepEqual(planSecretWrite(sealed, desired, foreign), {
    action: 'unmanaged',
    message: 'Resource "app" already exists and is not managed by SealedSecret',
  });
  const ownedByOther = {
    ...foreign,
    metadata: { ...foreign.metadata, ownerReferences: [{ ...OWNER, uid: 'uid-old' }] },
  };
  assert.equal(planSecretWrite(sealed, desired, ownedByOther).action, 'unmanaged');

  const managed = {
    ...foreign,
    type: 'kubernetes.io/tls',
    metadata: { ...foreign.metadata, labels: { old: 'l' }, annotations: { [MANAGED_ANNOTATION]: 'true' } },
  };
  const adopted = planSecretWrite(sealed, { ...desired, type: undefined }, managed);
  assert.equal(adopted.action, 'update');
  if (adopted.action === 'update') {
    assert.deepEqual(adopted.secret.data, desired.data);
    assert.deepEqual(adopted.secret.metadata.labels, { team: 'x' });
    assert.deepEqual(adopted.secret.metadata.ownerReferences, [OWNER]);
    assert.equal(adopted.secret.metadata.annotations?.[MANAGED_ANNOTATION], undefined);
    assert.equal(adopted.secret.type, 'kubernetes.io/tls', 'a template without a type keeps the Secret’s');
  }

  const patch = {
    ...foreign,
    metadata: { ...foreign.metadata, labels: { old: 'l' }, annotations: { [PATCH_ANNOTATION]: 'true' } },
  };
  const merged = planSecretWrite(sealed, desired, patch);
  assert.equal(merged.action, 'update');
  if (merged.action === 'update') {
    assert.deepEqual(merged.secret.data, { x: 'eA==', a: 'QQ==', b: 'Qg==' });
    assert.deepEqual(merged.secret.metadata.labels, { old: 'l', team: 'x' });
    assert.equal(merged.secret.metadata.annotations?.[PATCH_ANNOTATION], 'true');
    assert.equal(merged.secret.metadata.ownerReferences, undefined, 'patch alone does not take ownership');
  }
  const patchManaged = {
    ...patch,
    metadata: {
      ...patch.metadata,
      annotations: { [PATCH_ANNOTATION]: 'true', [MANAGED_ANNOTATION]: 'true' },
    },
  };
  const mergedOwned = planSecretWrite(sealed, desired, patchManaged);
  assert.ok(
    mergedOwned.action === 'update' && mergedOwned.secret.metadata.ownerReferences?.[0]?.uid === 'uid-1',
  );
});

test('skip-set-owner-references: the Secret has no owner, and is still the SealedSecret’s on the next pass', () => {
  const sealed = sealedSecret(
    {},
    {
      template: {
        metadata: { annotations: { 'sealedsecrets.bitnami.com/skip-set-owner-references': 'true' } },
      },
    },
  );
  const hash = unsealInputsHash(sealed);
  const secret = unsealed(sealed);
  delete secret.metadata.ownerReferences;
  const desired = desiredSecret(secret, hash);
  assert.equal(secretIsCurrent(sealed, hash, desired.metadata), true);
  assert.deepEqual(planSecretWrite(sealed, desired, structuredClone(desired)), { action: 'unchanged' });
  const stranger = {
    ...structuredClone(desired),
    metadata: {
      ...desired.metadata,
      annotations: { 'sealedsecrets.bitnami.com/skip-set-owner-references': 'true' },
    },
  };
  assert.equal(planSecretWrite(sealed, desired, stranger).action, 'unmanaged');
});

test('status: Synced with observedGeneration, written only when something changed', () => {
  const t1 = new Date('2026-05-01T10:00:00.300Z');
  const t2 = new Date('2026-05-01T10:05:00Z');
  const t3 = new Date('2026-05-01T10:09:00Z');
  const first = planStatus(undefined, 1, { synced: false, message: 'no key could decrypt secret (a)' }, t1);
  assert.deepEqual(first, {
    observedGeneration: 1,
    conditions: [
      {
        type: 'Synced',
        status: 'False',
        lastUpdateTime: '2026-05-01T10:00:00Z',
        lastTransitionTime: '2026-05-01T10:00:00Z',
        message: 'no key could decrypt secret (a)',
      },
    ],
  });
  assert.equal(
    planStatus(first, 1, { synced: false, message: 'no key could decrypt secret (a)' }, t2),
    undefined,
  );
  const otherMessage = planStatus(
    first,
    1,
    { synced: false, message: 'a: illegal base64 data at input byte 0' },
    t2,
  );
  assert.equal(otherMessage?.conditions?.[0]?.lastTransitionTime, '2026-05-01T10:00:00Z');
  assert.equal(otherMessage?.conditions?.[0]?.lastUpdateTime, '2026-05-01T10:05:00Z');
  const synced = planStatus(otherMessage, 2, { synced: true }, t3);
  assert.deepEqual(synced, {
    observedGeneration: 2,
    conditions: [
      {
        type: 'Synced',
        status: 'True',
        lastUpdateTime: '2026-05-01T10:09:00Z',
        lastTransitionTime: '2026-05-01T10:09:00Z',
      },
    ],
  });
  assert.equal(planStatus(synced, 2, { synced: true }, t3), undefined);
  assert.equal(
    planStatus(synced, 3, { synced: true }, t3)?.observedGeneration,
    3,
    'a new generation is recorded',
  );
  const others: SealedSecretStatus = { conditions: [{ type: 'Other', status: 'True' }] };
  assert.deepEqual(
    planStatus(others, 1, { synced: true }, t1)?.conditions?.map((condition) => condition.type),
    ['Other', 'Synced'],
  );
});

test('failure messages start with upstream’s words and say which key and why', () => {
  const noKey = new UnsealError('prod/app', [
    { item: 'b', reason: 'no key could decrypt secret', noKey: true },
    { item: 'a', reason: 'no key could decrypt secret', noKey: true },
  ]);
  const keys = (fingerprints: string[]) => ({
    size: fingerprints.length,
    has: (fp: string) => fingerprints.includes(fp),
  });
  assert.equal(
    unsealFailureMessage(noKey, sealedSecret(), 'prod/app', keys(['k1', 'k2'])),
    'no key could decrypt secret (a, b): none of the controller’s 2 keys opens it for "prod/app" (strict scope): it was sealed with another key, or for another name, namespace or scope',
  );
  assert.equal(
    unsealFailureMessage(
      noKey,
      sealedSecret({ annotations: { 'cloak.dev/sealing-key': 'k1' } }),
      'prod/app',
      keys(['k1']),
    ),
    'no key could decrypt secret (a, b): the key that sealed it (k1) is here, so it was sealed for another name, namespace or scope than "prod/app" (strict scope)',
  );
  assert.equal(
    unsealFailureMessage(
      noKey,
      sealedSecret({
        annotations: { 'cloak.dev/sealing-key': 'k9', 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
      }),
      'prod/app',
      keys(['k1']),
    ),
    'no key could decrypt secret (a, b): it was sealed with the key k9, which this controller does not have',
  );
  assert.match(
    unsealFailureMessage(
      noKey,
      sealedSecret({ annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } }),
      'prod/app',
      keys(['k1']),
    ),
    /the controller’s only key does not open it for any name \(cluster-wide scope\)/,
  );
  const mixed = new UnsealError('prod/app', [
    { item: 'b', reason: 'no key could decrypt secret', noKey: true },
    { item: 'a', reason: 'SealedSecret data is too short', noKey: false },
  ]);
  assert.equal(
    unsealFailureMessage(mixed, sealedSecret(), 'prod/app', keys([])),
    'a: SealedSecret data is too short; b: no key could decrypt secret',
  );
  const template = new CloakError(
    'ERR_TEMPLATE_UNSUPPORTED',
    'prod/app: spec.template.data holds Go templates (url)',
  );
  assert.equal(
    unsealFailureMessage(template, sealedSecret(), 'prod/app', keys([])),
    'spec.template.data holds Go templates (url)',
  );
});
