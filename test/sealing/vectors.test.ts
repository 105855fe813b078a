/**
 * Compatibility with files made by the real kubeseal and controller (../shared/vectors/sealed-secrets, see its
 * README.txt for where each file comes from and what it decrypts to).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalSecret, type Secret } from '../../src/kube/objects.ts';
import { parseManifests } from '../../src/manifests/decode.ts';
import { Keyring } from '../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, parseSealingCertificate, readCertificate } from '../../src/sealing/keys.ts';
import {
  prepareSecret,
  readSealedSecret,
  readSecret,
  sealSecret,
  type SealedSecret,
} from '../../src/sealing/sealed-secret.ts';
import { inThreadOpener, unsealAll } from '../../src/sealing/unseal.ts';
import { SEALED_SECRET_VECTORS, vector } from '../helpers/sealed-secrets-vectors.ts';

function keyring(path: string): Keyring {
  return new Keyring(parsePrivateKeyFile(vector(path), path));
}

function sealedSecret(path: string): SealedSecret {
  const [object] = parseManifests(vector(path), path);
  return readSealedSecret(object!, path);
}

async function unseal(sealed: SealedSecret, keys: Keyring): Promise<Record<string, string>> {
  const [outcome] = await unsealAll([{ sealed, where: 'vector' }], inThreadOpener(keys));
  if (!outcome || 'error' in outcome) throw outcome?.error ?? new Error('no outcome');
  return Object.fromEntries(
    Object.entries(outcome.secret.data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString(),
    ]),
  );
}

for (const { description, keyFile, file, values } of SEALED_SECRET_VECTORS) {
  test(`vector unseals: ${description}`, async () => {
    assert.deepEqual(await unseal(sealedSecret(file), keyring(keyFile)), values);
  });
}

test('the negative vector fails with "no key could decrypt secret"', async () => {
  const path = 'AndiDog__argo-cd-comparisonerror-control-repo/NEGATIVE-some-sealed-secret@46d8b9f.yaml';
  await assert.rejects(
    unseal(
      sealedSecret(path),
      keyring('AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.key'),
    ),
    {
      code: 'ERR_NO_KEY',
      message: /no key could decrypt secret \(a\)$/,
    },
  );
});

test("one repository's key does not open another's SealedSecret", async () => {
  await assert.rejects(
    unseal(
      sealedSecret('madpearl__helm-operator-get-started/releases-dev-basic-auth.yaml'),
      keyring('amilstead__gitops-helm-workshop/sealed-secrets-key.yaml'),
    ),
    { code: 'ERR_NO_KEY' },
  );
});

test('moving a strict SealedSecret to another namespace breaks the label binding', async () => {
  const sealed = sealedSecret('amilstead__gitops-helm-workshop/basic-auth.yaml');
  sealed.metadata.namespace = 'dev';
  await assert.rejects(unseal(sealed, keyring('amilstead__gitops-helm-workshop/sealed-secrets-key.yaml')), {
    message: /no key could decrypt secret \(password, user\)/,
  });
});

test('the published certificates match their keys and seal values that unseal to the published input', async () => {
  const pairs = [
    {
      cert: vector('amilstead__gitops-helm-workshop/pub-cert.pem'),
      key: 'amilstead__gitops-helm-workshop/sealed-secrets-key.yaml',
      input: vector('amilstead__gitops-helm-workshop/basic-auth.json'),
    },
    {
      cert: keyring('redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml').newest!.certificatePem!,
      key: 'redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml',
      input: vector('redhatcluster77__k8s-nginxapp-sot/secret.yaml'),
    },
  ];
  for (const { cert, key, input } of pairs) {
    const certificate = parseSealingCertificate(cert, 'cert', new Date());
    const keys = keyring(key);
    assert.equal(certificate.fingerprint, keys.newest?.fingerprint);
    const secret: Secret = readSecret(parseManifests(input, 'input')[0]!, 'input');
    const sealed = sealSecret(prepareSecret(secret, {}, 'input'), certificate, 'input');
    const expected = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    assert.deepEqual(await unseal(sealed, keys), expected);
  }
});

test('key files: List, single Secret and bare PEM give the key and its date', () => {
  const list = parsePrivateKeyFile(
    vector('butterv__secret-sample-manifests/sealed-secrets-key.yaml'),
    'list',
  );
  assert.equal(list.length, 1);
  assert.match(list[0]!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(list[0]!.createdAt?.toISOString(), '2020-09-24T14:21:09.000Z');
  assert.match(list[0]!.source, /\(Secret sealed-secrets-key4wlwz\)/);
  const pem = parsePrivateKeyFile(
    vector('AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.key'),
    'pem',
  );
  assert.equal(pem[0]!.createdAt, undefined);
  const crt = parseSealingCertificate(
    vector('AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.crt'),
    'crt',
    new Date('2026-01-01'),
  );
  assert.equal(crt.fingerprint, pem[0]!.fingerprint);
});

test("upstream's test certificate parses to the modulus its test expects", () => {
  const certificate = readCertificate(
    vector('bitnami-labs__sealed-secrets/pkg-kubeseal-kubeseal_test-testCert.pem'),
    'testCert',
  );
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  const modulus = BigInt(`0x${Buffer.from(jwk.n!, 'base64url').toString('hex')}`);
  assert.equal(
    modulus.toString(),
    vector('bitnami-labs__sealed-secrets/pkg-kubeseal-kubeseal_test-testModulus-decimal.txt').trim(),
  );
  assert.equal(jwk.e, 'AQAB');
});

test('the documented template example is read, and unsealing it is refused clearly', async () => {
  const sealed = sealedSecret('bitnami-labs__sealed-secrets/docs-examples-config-template-sealedsecret.yaml');
  assert.match(sealed.spec.template?.data?.['myconfig.json'] ?? '', /toJson \.server1/);
  await assert.rejects(
    unseal(sealed, keyring('AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.key')),
    {
      code: 'ERR_TEMPLATE_UNSUPPORTED',
      message:
        /spec\.template\.data holds Go templates \(myconfig\.json\); rendering them is not supported yet/,
    },
  );
});

test('unsealed Secrets carry the template metadata and the owner reference', async () => {
  const sealed = sealedSecret('redhatcluster77__k8s-nginxapp-sot/sealedSecret.yaml');
  const [outcome] = await unsealAll(
    [{ sealed, where: 'v' }],
    inThreadOpener(keyring('redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml')),
  );
  assert.ok(outcome && 'secret' in outcome);
  const secret = canonicalSecret(outcome.secret);
  assert.deepEqual(Object.keys(secret), ['kind', 'apiVersion', 'metadata', 'data']);
  assert.deepEqual(secret.metadata, {
    name: 'my-secret',
    namespace: 'fluxcdtutorial',
    creationTimestamp: null,
    ownerReferences: [
      {
        apiVersion: 'bitnami.com/v1alpha1',
        kind: 'SealedSecret',
        name: 'my-secret',
        uid: '',
        controller: true,
      },
    ],
  });
});
