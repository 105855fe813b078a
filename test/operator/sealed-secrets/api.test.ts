import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { toGoJson } from '../../../src/manifests/encode.ts';
import {
  decodeSealedSecretBody,
  RequestBodyError,
  reseal,
  unsealOne,
  verifies,
} from '../../../src/operator/sealed-secrets/api.ts';
import { sealedSecretsCrd, SEALED_SECRETS } from '../../../src/operator/sealed-secrets/crd.ts';
import { GcraLimiter } from '../../../src/operator/sealed-secrets/rate-limit.ts';
import { Keyring } from '../../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, parseSealingCertificate } from '../../../src/sealing/keys.ts';
import { sealSecret } from '../../../src/sealing/sealed-secret.ts';
import { inThreadOpener } from '../../../src/sealing/unseal.ts';
import { sealingKey } from '../../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../../helpers/paths.ts';

const vector = (path: string): string => readFileSync(`${SEALED_SECRETS_VECTORS}${path}`, 'utf8');
const AMILSTEAD = 'amilstead__gitops-helm-workshop/';

test('the rate limit: rate per second sustained, burst more at once, per key', () => {
  const limiter = new GcraLimiter(2, 2);
  assert.equal(limiter.limit, 3);
  const at = (ms: number, key = 'a') => limiter.take(key, ms);
  assert.deepEqual(
    [at(0), at(0), at(0)].map((decision) => [decision.allowed, decision.remaining]),
    [
      [true, 2],
      [true, 1],
      [true, 0],
    ],
  );
  const denied = at(100);
  assert.equal(denied.allowed, false);
  assert.equal(denied.retryAfterMs, 400);
  assert.equal(at(0, 'b').allowed, true, 'another client has its own allowance');
  assert.equal(at(500).allowed, true, 'one request per 500 ms comes back');
  assert.equal(at(600).allowed, false);
  assert.equal(at(1000).allowed, true);
  const small = new GcraLimiter(1, 0, 2);
  assert.equal(small.take('x', 0).allowed, true);
  small.take('y', 0);
  small.take('z', 0);
  assert.equal(small.take('x', 0).allowed, true, 'the least recently used key was forgotten');
});

test('request bodies: one SealedSecret, JSON or YAML', () => {
  const yaml = vector(`${AMILSTEAD}basic-auth.yaml`);
  assert.equal(decodeSealedSecretBody(Buffer.from(yaml)).metadata.name, 'basic-auth');
  const json = toGoJson(decodeSealedSecretBody(Buffer.from(yaml)));
  assert.equal(decodeSealedSecretBody(Buffer.from(json)).metadata.namespace, 'prod');
  assert.throws(() => decodeSealedSecretBody(Buffer.from(`${yaml}---\n${yaml}`)), /multi-document/);
  assert.throws(() => decodeSealedSecretBody(Buffer.from('')), RequestBodyError);
  assert.throws(
    () => decodeSealedSecretBody(Buffer.from('{"kind":"Secret","apiVersion":"v1"}')),
    /expected a SealedSecret/,
  );
  assert.throws(() => decodeSealedSecretBody(Buffer.from('a: [')), /invalid YAML at line 1/);
});

test('/v1/verify and /v1/rotate on a real vector: unseal, and seal again with the newest key', async () => {
  const keys = new Keyring(parsePrivateKeyFile(vector(`${AMILSTEAD}sealed-secrets-key.yaml`), 'key'));
  const context = { opener: inThreadOpener(keys), acceptV1Data: true };
  const sealed = decodeSealedSecretBody(Buffer.from(vector(`${AMILSTEAD}basic-auth.yaml`)));
  assert.equal(await verifies(sealed, context), true);
  const elsewhere = { ...sealed, metadata: { ...sealed.metadata, namespace: 'dev' } };
  assert.equal(await verifies(elsewhere, context), false);
  assert.equal(await verifies(sealed, { ...context, opener: inThreadOpener(new Keyring([])) }), false);

  const newest = await sealingKey(2048, 'rotate');
  const certificate = parseSealingCertificate(newest.certificatePem, 'cert', new Date());
  const resealed = await reseal(sealed, certificate, context);
  assert.equal(resealed.metadata.annotations?.['cloak.dev/sealing-key'], newest.fingerprint);
  assert.deepEqual(Object.keys(resealed.spec.encryptedData), ['password', 'user']);
  assert.equal(resealed.spec.encryptedData['user']?.slice(0, 2), 'AQ', 'a 2048-bit key made it');
  const both = new Keyring([...keys.keys, ...parsePrivateKeyFile(newest.privateKeyPem, 'new')]);
  const secret = await unsealOne(resealed, {
    opener: inThreadOpener(new Keyring(parsePrivateKeyFile(newest.privateKeyPem, 'new'))),
    acceptV1Data: true,
  });
  assert.deepEqual(secret.data, { password: 'YWRtaW4=', user: 'YWRtaW4=' });
  assert.equal(await verifies(resealed, { ...context, opener: inThreadOpener(both) }), true);
  await assert.rejects(reseal(elsewhere, certificate, context), /no key could decrypt secret/);
});

test('/v1/rotate keeps the scope recorded on the SealedSecret itself', async () => {
  const key = await sealingKey(2048, 'scope');
  const certificate = parseSealingCertificate(key.certificatePem, 'cert', new Date());
  const keys = new Keyring(parsePrivateKeyFile(key.privateKeyPem, 'key'));
  const sealed = sealSecret(
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: {
        name: 'x',
        namespace: 'ns',
        annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
      },
      data: { a: 'Yg==' },
    },
    certificate,
    'x',
  );
  // Only the top-level metadata says namespace-wide: the template does not.
  delete sealed.spec.template?.metadata?.annotations;
  const resealed = await reseal(sealed, certificate, { opener: inThreadOpener(keys), acceptV1Data: true });
  assert.equal(resealed.metadata.annotations?.['sealedsecrets.bitnami.com/namespace-wide'], 'true');
  const renamed = { ...resealed, metadata: { ...resealed.metadata, name: 'y' } };
  assert.equal(await verifies(renamed, { opener: inThreadOpener(keys), acceptV1Data: true }), true);
});

/** The value at a path of property names in a plain-object tree. */
function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) current = (current as Record<string, unknown> | undefined)?.[name];
  return current;
}

test('the CRD: Bitnami’s group, names, schema markers, printer columns and status subresource', () => {
  const crd = sealedSecretsCrd();
  assert.equal(at(crd, 'metadata', 'name'), 'sealedsecrets.bitnami.com');
  assert.deepEqual(at(crd, 'spec', 'names'), {
    kind: 'SealedSecret',
    listKind: 'SealedSecretList',
    plural: 'sealedsecrets',
    singular: 'sealedsecret',
  });
  assert.equal(at(crd, 'spec', 'group'), SEALED_SECRETS.group);
  assert.equal(at(crd, 'spec', 'scope'), 'Namespaced');
  const version = (at(crd, 'spec', 'versions') as unknown[])[0];
  assert.equal(at(version, 'name'), 'v1alpha1');
  assert.equal(at(version, 'served'), true);
  assert.equal(at(version, 'storage'), true);
  assert.deepEqual(at(version, 'subresources'), { status: {} });
  assert.deepEqual(at(version, 'additionalPrinterColumns'), [
    { jsonPath: '.status.conditions[0].message', name: 'Status', type: 'string' },
    { jsonPath: '.status.conditions[0].status', name: 'Synced', type: 'string' },
    { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
  ]);
  const schema = at(version, 'schema', 'openAPIV3Schema');
  assert.deepEqual(at(schema, 'required'), ['spec']);
  const spec = at(schema, 'properties', 'spec');
  assert.deepEqual(at(spec, 'required'), ['encryptedData']);
  const encryptedData = at(spec, 'properties', 'encryptedData');
  assert.equal(at(encryptedData, 'x-kubernetes-preserve-unknown-fields'), true);
  assert.deepEqual(at(encryptedData, 'additionalProperties'), { type: 'string' });
  assert.deepEqual(
    [at(spec, 'properties', 'data', 'type'), at(spec, 'properties', 'data', 'format')],
    ['string', 'byte'],
  );
  const template = at(spec, 'properties', 'template', 'properties');
  assert.equal(at(template, 'data', 'nullable'), true);
  assert.deepEqual(at(template, 'data', 'additionalProperties'), { type: 'string' });
  assert.equal(at(template, 'metadata', 'nullable'), true);
  assert.equal(at(template, 'metadata', 'x-kubernetes-preserve-unknown-fields'), true);
  assert.equal(at(template, 'immutable', 'type'), 'boolean');
  assert.equal(at(template, 'type', 'type'), 'string');
  const conditions = at(schema, 'properties', 'status', 'properties', 'conditions', 'items');
  assert.deepEqual(at(conditions, 'required'), ['status', 'type']);
  assert.deepEqual(Object.keys(at(conditions, 'properties') as object).sort(), [
    'lastTransitionTime',
    'lastUpdateTime',
    'message',
    'reason',
    'status',
    'type',
  ]);
  const observed = at(schema, 'properties', 'status', 'properties', 'observedGeneration');
  assert.deepEqual([at(observed, 'type'), at(observed, 'format')], ['integer', 'int64']);
});
