/**
 * `cloak reseal` through the controller, against the real local control plane and `cloak operator` (its
 * Service advertised for the API server's service proxy, as in a cluster): files sealed for older keys (one made
 * by the real kubeseal for a Bitnami key the controller picked up, others by `cloak seal`) re-sealed with the
 * newest key through /v1/rotate, over the controller's rate limit (429s are waited out), in place; a file the
 * controller cannot open left as it was with exit status 1; a second run that finds everything current; and a
 * re-sealed file applied with kubectl unsealing to its old values.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Secret } from '../../../src/kube/objects.ts';
import { parseManifests } from '../../../src/manifests/decode.ts';
import { toGoJson } from '../../../src/manifests/encode.ts';
import { publicKeyFingerprint, readCertificate } from '../../../src/sealing/keys.ts';
import { runCloak } from '../../helpers/cli.ts';
import { kubectlOk, startDevCluster } from '../../helpers/dev-cluster.ts';
import { independentDecrypt } from '../../helpers/independent-sealed-secrets.ts';
import { tempDir } from '../../helpers/keys.ts';
import { eventually, installCrd, startOperator } from '../../helpers/operator.ts';
import { SEALED_SECRETS_VECTORS } from '../../helpers/paths.ts';

const VECTOR = `${SEALED_SECRETS_VECTORS}amilstead__gitops-helm-workshop/`;

interface Sealed {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { encryptedData: Record<string, string> };
}

function secret(name: string, values: Record<string, string>): string {
  const data = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return toGoJson({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'prod' }, data });
}

test('re-sealing a checkout through the controller', async (t) => {
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  // The key a Bitnami controller left behind (the published vector), picked up unchanged.
  const [vectorKey] = parseManifests(
    await readFile(`${VECTOR}sealed-secrets-key.yaml`, 'utf8'),
    'vector key',
  );
  const keyMetadata = vectorKey!['metadata'] as Record<string, unknown>;
  vectorKey!['metadata'] = {
    name: 'sealed-secrets-keyq88tt',
    namespace: 'kube-system',
    labels: keyMetadata['labels'],
  };
  await kubectlOk(cluster, ['apply', '-f', '-'], toGoJson(vectorKey));
  await kubectlOk(cluster, ['create', 'namespace', 'prod']);
  const operator = await startOperator(t, cluster, [
    '--key-size',
    '2048',
    '--advertise-address',
    '127.0.0.1',
  ]);
  await eventually(
    'the controller serving its certificate',
    async () => (await fetch(`${operator.http}/v1/cert.pem`)).ok,
  );
  const kube = ['--kubeconfig', cluster.kubeconfig];

  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'prod'), { recursive: true });
  const vectorText = `# from the workshop\n${await readFile(`${VECTOR}basic-auth.yaml`, 'utf8')}`;
  await writeFile(join(repo, 'prod/basic-auth.yaml'), vectorText);
  const sealedNow = async (name: string, values: Record<string, string>, format: string): Promise<string> => {
    const result = await runCloak(['seal', ...kube, '-o', format], { input: secret(name, values) });
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const bundle = `${await sealedNow('one', { a: '1' }, 'yaml')}${await sealedNow('two', { b: '2', c: '3' }, 'yaml')}`;
  await writeFile(join(repo, 'prod/bundle.yaml'), bundle);
  await writeFile(join(repo, 'prod/three.json'), await sealedNow('three', { d: '4' }, 'json'));
  const stranger = await readFile(
    `${SEALED_SECRETS_VECTORS}redhatcluster77__k8s-nginxapp-sot/sealedSecret.yaml`,
    'utf8',
  );
  await writeFile(join(repo, 'prod/stranger.yaml'), stranger);

  // A new key: everything above is now sealed for an older one.
  const rotated = (await (await fetch(`${operator.http}/v1/rotate-key`, { method: 'POST' })).json()) as {
    fingerprint: string;
  };
  const newest = await (await fetch(`${operator.http}/v1/cert.pem`)).text();
  assert.equal(publicKeyFingerprint(readCertificate(newest, 'cert').publicKey), rotated.fingerprint);

  const dry = await runCloak(['reseal', '--dry-run', ...kube, 'repo'], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    [
      'would re-seal repo/prod/basic-auth.yaml: prod/basic-auth',
      'would re-seal repo/prod/bundle.yaml: prod/one, prod/two',
      'would re-seal repo/prod/stranger.yaml: fluxcdtutorial/my-secret',
      'would re-seal repo/prod/three.json: prod/three',
      '',
    ].join('\n'),
  );
  assert.equal(await readFile(join(repo, 'prod/bundle.yaml'), 'utf8'), bundle);

  // Five SealedSecrets through /v1/rotate (2 per second, burst 2): the 429s are waited out.
  const run = await runCloak(['reseal', ...kube, 'repo'], { cwd: dir });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^error: repo\/prod\/stranger\.yaml: cannot re-encrypt secret: /m);
  assert.match(
    run.stderr,
    /^reseal: 3 files re-sealed \(4 SealedSecrets\), 0 already current, 1 failed; 4 files with SealedSecrets$/m,
  );
  assert.equal(await readFile(join(repo, 'prod/stranger.yaml'), 'utf8'), stranger);
  assert.match(
    await operator.metricsText(),
    /^sealed_secrets_controller_http_requests_total\{[^}]*code="429"[^}]*\} [1-9]/m,
  );

  // The newest key (read back from the cluster) opens every re-sealed value; each file names it in its hint.
  const keys = JSON.parse(
    await kubectlOk(cluster, [
      'get',
      'secrets',
      '-n',
      'kube-system',
      '-l',
      'sealedsecrets.bitnami.com/sealed-secrets-key',
      '-o',
      'json',
    ]),
  ) as { items: Secret[] };
  const newestKey = keys.items
    .map((item) => Buffer.from(item.data?.['tls.key'] ?? '', 'base64').toString())
    .find(
      (pem) =>
        pem && publicKeyFingerprint(readCertificate(newest, 'cert').publicKey) === fingerprintOfPrivate(pem),
    );
  assert.ok(newestKey);
  const expectations: [string, number, string, Record<string, string>][] = [
    ['prod/basic-auth.yaml', 0, 'prod/basic-auth', { user: 'admin', password: 'admin' }],
    ['prod/bundle.yaml', 0, 'prod/one', { a: '1' }],
    ['prod/bundle.yaml', 1, 'prod/two', { b: '2', c: '3' }],
    ['prod/three.json', 0, 'prod/three', { d: '4' }],
  ];
  for (const [file, index, label, values] of expectations) {
    const sealed = parseManifests(await readFile(join(repo, file), 'utf8'), file)[index] as unknown as Sealed;
    assert.equal(sealed.metadata.annotations?.['cloak.dev/sealing-key'], rotated.fingerprint, file);
    for (const [item, value] of Object.entries(values))
      assert.equal(
        independentDecrypt(newestKey, sealed.spec.encryptedData[item] ?? '', label).toString(),
        value,
      );
  }
  const resealedVector = await readFile(join(repo, 'prod/basic-auth.yaml'), 'utf8');
  assert.ok(resealedVector.startsWith('# from the workshop\napiVersion: bitnami.com/v1alpha1\n'));

  // Again, without the file that cannot be re-sealed: everything is current, nothing asked, nothing written.
  await writeFile(join(repo, 'prod/stranger.yaml'), 'kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n');
  const rotations = rotateRequests(await operator.metricsText());
  assert.ok(rotations >= 5);
  const again = await runCloak(['reseal', ...kube, 'repo'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /^reseal: 0 files re-sealed \(0 SealedSecrets\), 3 already current, 0 failed/m);
  assert.equal(rotateRequests(await operator.metricsText()), rotations);
  assert.equal(await readFile(join(repo, 'prod/basic-auth.yaml'), 'utf8'), resealedVector);

  // The controller unseals the re-sealed file to what the original held.
  await kubectlOk(cluster, ['apply', '-f', join(repo, 'prod/basic-auth.yaml')]);
  const unsealed = await eventually('the Secret', async () => {
    const result = await cluster.kubectl(['get', 'secret', 'basic-auth', '-n', 'prod', '-o', 'json']);
    return result.code === 0 ? (JSON.parse(result.stdout) as Secret) : undefined;
  });
  assert.equal(Buffer.from(unsealed.data?.['password'] ?? '', 'base64').toString(), 'admin');
  assert.equal(await operator.stop(), 0);
});

function fingerprintOfPrivate(pem: string): string {
  return publicKeyFingerprint(createPublicKey(pem));
}

/** Requests to /v1/rotate the controller counted, whatever their answer. */
function rotateRequests(metrics: string): number {
  return metrics
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('sealed_secrets_controller_http_requests_total{') &&
        line.includes('path="/v1/rotate"'),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
