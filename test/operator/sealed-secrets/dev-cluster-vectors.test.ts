/**
 * `cloak operator` against the real local control plane with the real kubectl, on files made by the real
 * kubeseal and controller (../shared/vectors/sealed-secrets): their keys installed as controller keys as a
 * Bitnami controller left them, each SealedSecret applied unchanged must give the expected Secret. Then the
 * life of a SealedSecret: an edited item re-syncs, a deleted Secret comes back, one sealed for another name
 * fails with Synced=False and a message saying so, a Secret that is not its own is left alone (Event and
 * status) until annotated `managed`, malformed values and an unknown key fail without deleting the Secret,
 * and a malformed key Secret is logged and skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Secret } from '../../../src/kube/objects.ts';
import { parseManifests } from '../../../src/manifests/decode.ts';
import { toGoJson } from '../../../src/manifests/encode.ts';
import { parseSealingCertificate } from '../../../src/sealing/keys.ts';
import { sealRawValue, sealSecret } from '../../../src/sealing/sealed-secret.ts';
import { startDevCluster, kubectlOk, type DevCluster } from '../../helpers/dev-cluster.ts';
import { eventually, installCrd, startOperator } from '../../helpers/operator.ts';
import { SEALED_SECRETS_VECTORS } from '../../helpers/paths.ts';
import {
  decoded,
  EXPECTED,
  getJson,
  installVectorKeys,
  vector,
  VECTOR_KEY_COUNT,
  waitForCondition,
  type SealedSecretObject,
} from '../../helpers/sealed-secrets-vectors.ts';

async function events(cluster: DevCluster, namespace: string, name: string): Promise<string[]> {
  const list = await getJson<{ items: { reason: string; message: string; type: string }[] }>(cluster, [
    'events',
    '-n',
    namespace,
    '--field-selector',
    `involvedObject.name=${name}`,
  ]);
  return (list?.items ?? []).map((event) => `${event.type} ${event.reason} ${event.message}`);
}

test('the SealedSecret controller on real vectors, and the life of a SealedSecret', async (t) => {
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  await installVectorKeys(cluster);
  // A key Secret that is not a key: logged and skipped, not a crash.
  await kubectlOk(cluster, ['apply', '-f', '-'], toGoJson(brokenKeySecret()));

  const operator = await startOperator(t, cluster, ['--key-renew-period', '0']);
  await eventually(
    'the keys to load',
    async () => (await operator.metric('cloak_sealing_keys')) === VECTOR_KEY_COUNT,
  );
  assert.equal(await operator.metric('cloak_sealing_keys_malformed'), 1);
  const skipped = operator.lines.find((line) => line.msg === 'cannot read a sealing key Secret; skipping it');
  assert.equal(skipped?.['secret'], 'sealed-secrets-keybroken');
  assert.match(String(skipped?.['reason']), /tls\.key/);
  assert.doesNotMatch(operator.output(), /not-a-key-at-all/);
  assert.equal((await fetch(`${operator.http}/healthz`)).status, 200);

  // Every vector applied unchanged gives its Secret, owned by its SealedSecret.
  for (const expected of EXPECTED)
    await kubectlOk(cluster, ['apply', '-f', `${SEALED_SECRETS_VECTORS}${expected.file}`]);
  for (const expected of EXPECTED) {
    const secret = await eventually(`Secret ${expected.namespace}/${expected.name}`, () =>
      getJson<Secret>(cluster, ['secret', '-n', expected.namespace, expected.name]),
    );
    assert.deepEqual(decoded(secret), expected.values, `${expected.file}`);
    const sealed = await getJson<SealedSecretObject>(cluster, [
      'sealedsecret',
      '-n',
      expected.namespace,
      expected.name,
    ]);
    assert.deepEqual(secret.metadata.ownerReferences, [
      {
        apiVersion: 'bitnami.com/v1alpha1',
        kind: 'SealedSecret',
        name: expected.name,
        uid: sealed?.metadata.uid,
        controller: true,
      },
    ]);
    const condition = await waitForCondition(cluster, expected.namespace, expected.name, 'True');
    assert.equal(condition.message, undefined);
    assert.equal(
      (await getJson<SealedSecretObject>(cluster, ['sealedsecret', '-n', expected.namespace, expected.name]))
        ?.status?.observedGeneration,
      sealed?.metadata.generation,
    );
  }
  await eventually('the Unsealed event', async () =>
    (await events(cluster, 'prod', 'basic-auth')).includes(
      'Normal Unsealed SealedSecret unsealed successfully',
    ),
  );
  const table = await kubectlOk(cluster, ['get', 'sealedsecrets', '-n', 'prod']);
  assert.match(table, /^NAME\s+STATUS\s+SYNCED\s+AGE\n/);
  assert.match(table, /^basic-auth\s+True\s+\d+s\n/m);

  // Editing an item re-syncs.
  const amilsteadCert = parseSealingCertificate(
    vector('amilstead__gitops-helm-workshop/pub-cert.pem'),
    'pub-cert.pem',
    new Date(),
  );
  const changed = sealRawValue(
    Buffer.from('changed'),
    { scope: 'strict', namespace: 'prod', name: 'basic-auth' },
    amilsteadCert,
  );
  await kubectlOk(cluster, [
    ...['patch', 'sealedsecret', 'basic-auth', '-n', 'prod', '--type', 'merge', '-p'],
    JSON.stringify({ spec: { encryptedData: { password: changed } } }),
  ]);
  await eventually(
    'the edited item',
    async () =>
      decoded(await getJson<Secret>(cluster, ['secret', '-n', 'prod', 'basic-auth']))?.['password'] ===
      'changed',
  );
  await eventually('observedGeneration 2', async () => {
    const sealed = await getJson<SealedSecretObject>(cluster, ['sealedsecret', '-n', 'prod', 'basic-auth']);
    return sealed?.status?.observedGeneration === 2;
  });

  // A deleted Secret comes back.
  await kubectlOk(cluster, ['delete', 'secret', 'basic-auth', '-n', 'prod']);
  const recreated = await eventually('the re-created Secret', () =>
    getJson<Secret>(cluster, ['secret', '-n', 'prod', 'basic-auth']),
  );
  assert.deepEqual(decoded(recreated), { user: 'admin', password: 'changed' });

  // Sealed for another name: Synced=False, and the message says why.
  const copy = parseManifests(
    vector('amilstead__gitops-helm-workshop/basic-auth.yaml'),
    'basic-auth.yaml',
  )[0] as {
    metadata: { name: string };
  };
  copy.metadata.name = 'basic-auth-copy';
  await kubectlOk(cluster, ['apply', '-f', '-'], toGoJson(copy));
  const renamed = await waitForCondition(cluster, 'prod', 'basic-auth-copy', 'False');
  assert.match(
    renamed.message ?? '',
    /^no key could decrypt secret \(password, user\): none of the controller’s 5 keys opens it for "prod\/basic-auth-copy" \(strict scope\): it was sealed with another key, or for another name, namespace or scope$/,
  );
  assert.equal((await cluster.kubectl(['get', 'secret', '-n', 'prod', 'basic-auth-copy'])).code, 1);
  await eventually('the ErrUnsealFailed event', async () =>
    (await events(cluster, 'prod', 'basic-auth-copy')).some((line) =>
      line.startsWith(
        'Warning ErrUnsealFailed Failed to unseal: no key could decrypt secret (password, user)',
      ),
    ),
  );
  assert.match(
    await kubectlOk(cluster, ['get', 'sealedsecret', '-n', 'prod', 'basic-auth-copy']),
    /no key could decrypt secret \(password, user\).*\s+False\s+/,
  );

  // An unknown key (the NEGATIVE vector replaces a working SealedSecret): Synced=False, the Secret stays.
  await kubectlOk(cluster, [
    'apply',
    '-f',
    `${SEALED_SECRETS_VECTORS}AndiDog__argo-cd-comparisonerror-control-repo/NEGATIVE-some-sealed-secret@46d8b9f.yaml`,
  ]);
  const unknown = await waitForCondition(cluster, 'default', 'doesntmatter', 'False');
  assert.match(unknown.message ?? '', /^no key could decrypt secret \(a\): /);
  assert.deepEqual(decoded(await getJson<Secret>(cluster, ['secret', '-n', 'default', 'doesntmatter'])), {
    a: 'b',
  });

  // Malformed encryptedData: each item says what is wrong with it.
  await kubectlOk(
    cluster,
    ['apply', '-f', '-'],
    toGoJson({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 'broken', namespace: 'prod' },
      spec: { encryptedData: { a: 'not base64!', b: 'QUJD' } },
    }),
  );
  const broken = await waitForCondition(cluster, 'prod', 'broken', 'False');
  assert.equal(broken.message, 'a: illegal base64 data at input byte 3; b: SealedSecret data is too short');

  // A Secret the SealedSecret does not own is not overwritten: an Event and the status say so.
  await kubectlOk(cluster, ['create', 'secret', 'generic', 'taken', '-n', 'prod', '--from-literal=mine=yes']);
  const taken = sealSecret(
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'taken', namespace: 'prod' },
      data: { theirs: 'dGhlaXJz' },
    },
    amilsteadCert,
    'test',
  );
  await kubectlOk(cluster, ['apply', '-f', '-'], toGoJson(taken));
  const refused = await waitForCondition(cluster, 'prod', 'taken', 'False');
  assert.equal(
    refused.message,
    'failed update: Resource "taken" already exists and is not managed by SealedSecret',
  );
  await eventually('the ErrUpdateFailed event', async () =>
    (await events(cluster, 'prod', 'taken')).includes(
      'Warning ErrUpdateFailed Resource "taken" already exists and is not managed by SealedSecret',
    ),
  );
  const untouched = await getJson<Secret>(cluster, ['secret', '-n', 'prod', 'taken']);
  assert.deepEqual(decoded(untouched), { mine: 'yes' });
  assert.equal(untouched?.metadata.ownerReferences, undefined);
  // Annotated `managed`, it is adopted.
  await kubectlOk(cluster, [
    'annotate',
    'secret',
    'taken',
    '-n',
    'prod',
    'sealedsecrets.bitnami.com/managed=true',
  ]);
  await waitForCondition(cluster, 'prod', 'taken', 'True');
  const adopted = await getJson<Secret>(cluster, ['secret', '-n', 'prod', 'taken']);
  assert.deepEqual(decoded(adopted), { theirs: 'theirs' });
  assert.equal(adopted?.metadata.ownerReferences?.[0]?.name, 'taken');

  // spec.template.data: Go templates over the unsealed items, rendered with the controller's sprig functions
  // (the template engine loads on this first templated SealedSecret).
  const templated = sealSecret(
    {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'templated', namespace: 'prod' },
      data: { user: Buffer.from('admin').toString('base64') },
    },
    amilsteadCert,
    'test',
  );
  templated.spec.template!.data = { url: 'https://{{ .user }}@example.com/{{ .user | upper }}' };
  await kubectlOk(cluster, ['apply', '-f', '-'], toGoJson(templated));
  await waitForCondition(cluster, 'prod', 'templated', 'True');
  const rendered = await getJson<Secret>(cluster, ['secret', '-n', 'prod', 'templated']);
  assert.deepEqual(decoded(rendered), { user: 'admin', url: 'https://admin@example.com/ADMIN' });

  assert.ok(
    (await operator.metric(
      'sealed_secrets_controller_unseal_errors_total{reason="unmanaged",namespace="prod"}',
    )) >= 1,
  );
  assert.ok(
    (await operator.metric(
      'sealed_secrets_controller_unseal_errors_total{reason="unseal",namespace="prod"}',
    )) >= 2,
  );
  assert.equal(
    await operator.metric(
      'sealed_secrets_controller_condition_info{namespace="prod",name="basic-auth-copy",condition="Synced",ss_app_kubernetes_io_instance=""}',
    ),
    -1,
  );
  // No secret value reached the logs.
  for (const value of ['localhost', 'hunter', 'changed', 'theirs'])
    assert.doesNotMatch(operator.output(), new RegExp(`"${value}"`));
  assert.equal(await operator.stop(), 0);
});

function brokenKeySecret(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'sealed-secrets-keybroken',
      namespace: 'kube-system',
      labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' },
    },
    type: 'Opaque',
    data: { 'tls.crt': Buffer.from('not-a-key-at-all').toString('base64') },
  };
}
