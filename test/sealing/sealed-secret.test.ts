import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import type { Secret } from '../../src/kube/objects.ts';
import { hybridEncrypt } from '../../src/sealing/format.ts';
import { Keyring } from '../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, parseSealingCertificate } from '../../src/sealing/keys.ts';
import {
  mergeSealedSecret,
  needsNamespace,
  prepareSecret,
  readSealedSecret,
  readSecret,
  SEALING_KEY_ANNOTATION,
  sealRawValue,
  sealSecret,
  type SealedSecret,
  type SecretTemplateRenderer,
} from '../../src/sealing/sealed-secret.ts';
import { inThreadOpener, unsealAll } from '../../src/sealing/unseal.ts';
import { independentDecrypt } from '../helpers/independent-sealed-secrets.ts';
import { sealingKey } from '../helpers/keys.ts';

async function certificate() {
  return parseSealingCertificate((await sealingKey()).certificatePem, 'cert', new Date());
}

async function keyring(): Promise<Keyring> {
  return new Keyring(parsePrivateKeyFile((await sealingKey()).privateKeyPem, 'key'));
}

function secret(extra: Partial<Secret> = {}): Secret {
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'db', namespace: 'prod' },
    data: { password: Buffer.from('hunter2').toString('base64') },
    ...extra,
  };
}

async function unsealOne(sealed: SealedSecret) {
  const [outcome] = await unsealAll([{ sealed, where: 'test' }], inThreadOpener(await keyring()));
  if (!outcome) throw new Error('no outcome');
  if ('error' in outcome) throw outcome.error;
  return outcome.secret;
}

test('a Secret becomes a SealedSecret with kubeseal field order and template metadata', async () => {
  const input = secret({
    metadata: {
      name: 'db',
      namespace: 'prod',
      uid: 'u-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2024-01-01T00:00:00Z',
      selfLink: '/api/v1/x',
      managedFields: [{ manager: 'kubectl' }],
      ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'y' }],
      labels: { b: '2', a: '1' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
        'kubecfg.ksonnet.io/last-applied-configuration': '{}',
        keep: 'me',
      },
    },
    type: 'kubernetes.io/basic-auth',
    immutable: true,
  });
  const cert = await certificate();
  const sealed = sealSecret(prepareSecret(input, {}, 'in'), cert, 'in');
  assert.deepEqual(Object.keys(sealed), ['kind', 'apiVersion', 'metadata', 'spec']);
  assert.deepEqual(sealed.metadata, {
    name: 'db',
    namespace: 'prod',
    creationTimestamp: null,
    annotations: { [SEALING_KEY_ANNOTATION]: cert.fingerprint },
  });
  assert.deepEqual(Object.keys(sealed.spec), ['template', 'encryptedData']);
  assert.deepEqual(sealed.spec.template, {
    metadata: {
      name: 'db',
      namespace: 'prod',
      creationTimestamp: null,
      labels: { a: '1', b: '2' },
      annotations: { keep: 'me' },
    },
    type: 'kubernetes.io/basic-auth',
    immutable: true,
  });
  assert.equal(JSON.stringify(sealed).includes('aHVudGVyMg'), false, 'no plaintext copy may survive');
  const key = await sealingKey();
  assert.equal(
    independentDecrypt(key.privateKeyPem, sealed.spec.encryptedData['password']!, 'prod/db').toString(),
    'hunter2',
  );
});

test('stringData is sealed too and wins over data; item keys come out sorted', async () => {
  const input = secret({
    data: { z: Buffer.from('from-data').toString('base64'), a: 'YQ==' },
    stringData: { z: 'from-stringData' },
  });
  const sealed = sealSecret(prepareSecret(input, {}, 'in'), await certificate(), 'in');
  assert.deepEqual(Object.keys(sealed.spec.encryptedData), ['a', 'z']);
  const unsealed = await unsealOne(sealed);
  assert.equal(Buffer.from(unsealed.data!['z']!, 'base64').toString(), 'from-stringData');
});

test('scopes: annotations chosen by --scope or by the input, label follows', async () => {
  const cert = await certificate();
  const key = await sealingKey();
  const wide = sealSecret(prepareSecret(secret(), { scope: 'namespace-wide' }, 'in'), cert, 'in');
  assert.equal(wide.metadata.annotations?.['sealedsecrets.bitnami.com/namespace-wide'], 'true');
  assert.equal(
    wide.spec.template?.metadata?.annotations?.['sealedsecrets.bitnami.com/namespace-wide'],
    'true',
  );
  assert.equal(
    independentDecrypt(key.privateKeyPem, wide.spec.encryptedData['password']!, 'prod').toString(),
    'hunter2',
  );

  const annotated = secret({
    metadata: { name: 'db', annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } },
  });
  assert.equal(needsNamespace(annotated), false, 'cluster-wide needs no namespace');
  const cluster = sealSecret(prepareSecret(annotated, {}, 'in'), cert, 'in');
  assert.equal(cluster.metadata.annotations?.['sealedsecrets.bitnami.com/cluster-wide'], 'true');
  assert.equal(
    independentDecrypt(key.privateKeyPem, cluster.spec.encryptedData['password']!, '').toString(),
    'hunter2',
  );

  // As kubeseal: --scope strict (the default) cannot clear an annotation already on the input.
  const still = sealSecret(prepareSecret(annotated, { scope: 'strict' }, 'in'), cert, 'in');
  assert.equal(still.metadata.annotations?.['sealedsecrets.bitnami.com/cluster-wide'], 'true');
  // Only "true" counts.
  const bogus = secret({
    metadata: {
      name: 'db',
      namespace: 'prod',
      annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'yes' },
    },
  });
  const strict = sealSecret(prepareSecret(bogus, {}, 'in'), cert, 'in');
  assert.equal(
    independentDecrypt(key.privateKeyPem, strict.spec.encryptedData['password']!, 'prod/db').toString(),
    'hunter2',
  );
});

test('name and namespace rules: --name replaces, -n fills or conflicts, merge forces', () => {
  assert.equal(prepareSecret(secret(), { name: 'other' }, 'in').metadata.name, 'other');
  const noNamespace = secret({ metadata: { name: 'db' } });
  assert.equal(needsNamespace(noNamespace), true);
  assert.equal(prepareSecret(noNamespace, { namespace: 'dev' }, 'in').metadata.namespace, 'dev');
  assert.equal(prepareSecret(secret(), { namespace: 'prod' }, 'in').metadata.namespace, 'prod');
  assert.throws(() => prepareSecret(secret(), { namespace: 'dev' }, 'in'), {
    message:
      'in: the namespace from the input Secret ("prod") does not match the namespace given with --namespace ("dev")',
  });
  assert.equal(prepareSecret(secret(), { forceNamespace: 'dev' }, 'in').metadata.namespace, 'dev');
});

test('refuses what kubeseal refuses, with its messages', async () => {
  const cert = await certificate();
  assert.throws(() => prepareSecret(secret({ data: {} }), {}, 'in'), {
    message:
      'in: secret.data is empty in input Secret, assuming this is an error and aborting. To work with empty data, --allow-empty-data can be used',
  });
  assert.doesNotThrow(() => prepareSecret(secret({ data: {} }), { allowEmptyData: true }, 'in'));
  assert.throws(() => prepareSecret(secret({ metadata: { namespace: 'x' } }), {}, 'in'), {
    message: 'in: missing metadata.name in input Secret',
  });
  assert.throws(() => sealSecret(secret({ metadata: { name: 'db' } }), cert, 'in'), {
    message: 'in: secret must declare a namespace',
  });
  assert.throws(() => sealSecret(secret({ data: { a: 'not base64!' } }), cert, 'in'), {
    message: 'in: data.a: illegal base64 data at input byte 3',
  });
});

test('reading input objects checks kinds and types', () => {
  assert.throws(() => readSecret({ kind: 'ConfigMap', apiVersion: 'v1' }, 'in'), {
    message: 'in: expected a Secret, found kind "ConfigMap"',
  });
  assert.throws(() => readSecret({ metadata: { name: 'x' } }, 'in'), {
    message: 'in: expected a Secret, but the object has no kind',
  });
  assert.throws(
    () => readSecret({ kind: 'Secret', apiVersion: 'v2' }, 'in'),
    /unsupported apiVersion "v2" for Secret/,
  );
  assert.throws(() => readSecret({ kind: 'Secret', stringData: { port: 5432 } }, 'in'), {
    message: 'in: stringData.port must be a string, found number',
  });
  assert.throws(() => readSecret({ kind: 'Secret', data: ['a'] }, 'in'), /data must be a map of strings/);
  assert.throws(
    () => readSecret({ kind: 'Secret', immutable: 'yes' }, 'in'),
    /immutable must be true or false/,
  );
  assert.throws(
    () => readSealedSecret({ kind: 'SealedSecret', apiVersion: 'bitnami.com/v1alpha1' }, 'in'),
    /spec is missing/,
  );
});

test('raw values seal for the scope label only', async () => {
  const cert = await certificate();
  const key = await sealingKey();
  const value = sealRawValue(Buffer.from('raw'), { scope: 'strict', namespace: 'ns', name: 'n' }, cert);
  assert.equal(independentDecrypt(key.privateKeyPem, value, 'ns/n').toString(), 'raw');
});

test('unseal: template type/immutable, null template data removes a key, skip-set-owner-references', async () => {
  const cert = await certificate();
  const sealed = sealSecret(
    prepareSecret(
      secret({
        data: { keep: 'YQ==', drop: 'Yg==' },
        type: 'Opaque',
        immutable: false,
        metadata: {
          name: 'db',
          namespace: 'prod',
          annotations: { 'sealedsecrets.bitnami.com/skip-set-owner-references': 'true' },
        },
      }),
      {},
      'in',
    ),
    cert,
    'in',
  );
  sealed.spec.template!.data = { drop: null };
  const unsealed = await unsealOne(sealed);
  assert.deepEqual(unsealed.data, { keep: 'YQ==' });
  assert.equal(unsealed.type, 'Opaque');
  assert.equal(unsealed.immutable, false);
  assert.equal(unsealed.metadata.ownerReferences, undefined);
});

test('unseal: the deprecated v1 spec.data holds a whole Secret', async () => {
  const key = await sealingKey();
  const legacySecret = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'ignored', namespace: 'ignored' },
    data: { a: 'Yg==' },
  };
  const blob = hybridEncrypt(
    createPublicKey(key.privateKey),
    Buffer.from(JSON.stringify(legacySecret)),
    Buffer.from('prod/old'),
  );
  const sealed = readSealedSecret(
    {
      kind: 'SealedSecret',
      apiVersion: 'bitnami.com/v1alpha1',
      metadata: { name: 'old', namespace: 'prod' },
      spec: { data: blob.toString('base64') },
    },
    'in',
  );
  const unsealed = await unsealOne(sealed);
  assert.deepEqual(unsealed.data, { a: 'Yg==' });
  assert.equal(unsealed.metadata.name, 'old');
  assert.equal(unsealed.metadata.namespace, 'prod');

  sealed.spec.encryptedData = { x: blob.toString('base64') };
  await assert.rejects(
    unsealOne(sealed),
    /cannot use the field 'encryptedData' and the deprecated field 'data' at the same time/,
  );
});

test('unseal reports every failing item, and corrupted base64 by position', async () => {
  const cert = await certificate();
  const sealed = sealSecret(
    prepareSecret(secret({ data: { a: 'YQ==', b: 'Yg==', c: 'Yw==' } }), {}, 'in'),
    cert,
    'in',
  );
  const good = sealed.spec.encryptedData['a']!;
  sealed.spec.encryptedData['b'] = `${good.slice(0, 10)}!${good.slice(11)}`;
  sealed.spec.encryptedData['c'] = Buffer.from(good, 'base64').subarray(0, 50).toString('base64');
  await assert.rejects(unsealOne(sealed), {
    code: 'ERR_UNSEAL',
    message: 'test: b: illegal base64 data at input byte 10; c: SealedSecret data is too short',
  });
});

test('merging adds and replaces items and template maps, even when the original has none', async () => {
  const cert = await certificate();
  const original: SealedSecret = readSealedSecret(
    {
      kind: 'SealedSecret',
      apiVersion: 'bitnami.com/v1alpha1',
      metadata: { name: 'db', namespace: 'prod' },
      spec: { encryptedData: { old: 'AQ==' } },
    },
    'file',
  );
  const update = sealSecret(
    prepareSecret(
      secret({ metadata: { name: 'db', namespace: 'prod', labels: { l: '1' }, annotations: { a: '2' } } }),
      {},
      'in',
    ),
    cert,
    'in',
  );
  const merged = mergeSealedSecret(original, update);
  assert.deepEqual(Object.keys(merged.spec.encryptedData), ['old', 'password']);
  assert.deepEqual(merged.spec.template?.metadata?.labels, { l: '1' });
  assert.deepEqual(merged.spec.template?.metadata?.annotations, { a: '2' });
  assert.equal(merged.metadata.annotations?.[SEALING_KEY_ANNOTATION], cert.fingerprint);
});

test('unseal: the template renderer is loaded once, and only when some SealedSecret has templates', async () => {
  const cert = await certificate();
  const opener = inThreadOpener(await keyring());
  const plain = sealSecret(prepareSecret(secret(), {}, 'in'), cert, 'in');
  const nullOnly = structuredClone(plain);
  nullOnly.spec.template!.data = { password: null };
  const templated = structuredClone(plain);
  templated.spec.template!.data = { greeting: 'hello {{ .password }}' };
  let loads = 0;
  const loadTemplateRenderer = (): Promise<SecretTemplateRenderer> => {
    loads++;
    return Promise.resolve((templates, values) => {
      const rendered = new Map<string, Buffer>();
      for (const key of Object.keys(templates)) rendered.set(key, Buffer.from(`rendered ${values.size}`));
      return rendered;
    });
  };

  const untouched = await unsealAll(
    [
      { sealed: plain, where: 'a' },
      { sealed: nullOnly, where: 'b' },
    ],
    opener,
    { loadTemplateRenderer },
  );
  assert.equal(loads, 0);
  assert.ok(untouched.every((outcome) => 'secret' in outcome));

  const outcomes = await unsealAll(
    [
      { sealed: templated, where: 'c' },
      { sealed: structuredClone(templated), where: 'd' },
    ],
    opener,
    { loadTemplateRenderer },
  );
  assert.equal(loads, 1);
  for (const outcome of outcomes) {
    assert.ok('secret' in outcome);
    assert.equal(Buffer.from(outcome.secret.data?.['greeting'] ?? '', 'base64').toString(), 'rendered 1');
  }
});
