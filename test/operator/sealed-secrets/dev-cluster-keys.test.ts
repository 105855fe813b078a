/**
 * `cloak operator` keys, HTTP API and restart, against the real local control plane: a key generated at first
 * start (a kubernetes.io/tls Secret labelled as Bitnami's) and served at /v1/cert.pem; the Service and
 * Endpoints advertised for the service proxy; SealedSecrets sealed with that certificate unsealed with one RSA
 * operation per value (the key hint); /v1/verify (200/409, rate-limited) and /v1/rotate; a restart that
 * decrypts nothing (measured by the RSA metric) and generates a key past --key-cutoff-time; new keys on
 * SIGUSR1 and POST /v1/rotate-key; `cloak seal` (--fetch-cert, without --cert, --validate, --re-encrypt)
 * through the API server's service proxy; and a key Secret added at run time used without a restart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secret } from '../../../src/kube/objects.ts';
import { expandLists, parseManifests } from '../../../src/manifests/decode.ts';
import { toGoJson, toKubeYaml } from '../../../src/manifests/encode.ts';
import { parseSealingCertificate, publicKeyFingerprint, readCertificate } from '../../../src/sealing/keys.ts';
import { readSealedSecret, sealSecret, type SealedSecret } from '../../../src/sealing/sealed-secret.ts';
import { runCloak } from '../../helpers/cli.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../../helpers/dev-cluster.ts';
import { tempDir, writeTemp } from '../../helpers/keys.ts';
import { eventually, installCrd, startOperator, type OperatorProcess } from '../../helpers/operator.ts';
import { SEALED_SECRETS_VECTORS } from '../../helpers/paths.ts';

const COUNT = 20;
const ITEMS = 3;

async function getJson<T>(cluster: DevCluster, args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectlOk(cluster, ['get', ...args, '-o', 'json'])) as T;
}

async function certificateOf(operator: OperatorProcess): Promise<string> {
  const response = await fetch(`${operator.http}/v1/cert.pem`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-pem-file');
  return response.text();
}

function sealedFor(name: string, certificatePem: string, values: Record<string, string>): SealedSecret {
  const data = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  return sealSecret(
    { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: 'default' }, data },
    parseSealingCertificate(certificatePem, 'cert.pem', new Date()),
    name,
  );
}

/** `date -R`'s format: RFC 1123 with a numeric zone. */
function rfc1123z(date: Date): string {
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday}, ${day} ${month} ${year} ${time} +0000`;
}

async function post(url: string, body: string, forwardedFor = 'test'): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'X-Forwarded-For': forwardedFor } });
}

test('keys, the HTTP API, and a restart that decrypts nothing', async (t) => {
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  const first = await startOperator(t, cluster, ['--key-size', '2048', '--advertise-address', '127.0.0.1']);

  // A key at first start, stored as the Bitnami controller stores it.
  const certificatePem = await eventually('a sealing key', async () => {
    const response = await fetch(`${first.http}/v1/cert.pem`);
    return response.status === 200 ? response.text() : undefined;
  });
  const keys = await getJson<{ items: Secret[] }>(cluster, [
    ...['secrets', '-n', 'kube-system', '-l', 'sealedsecrets.bitnami.com/sealed-secrets-key=active'],
  ]);
  assert.equal(keys.items.length, 1);
  const [keySecret] = keys.items;
  assert.equal(keySecret?.type, 'kubernetes.io/tls');
  assert.match(keySecret?.metadata.name ?? '', /^sealed-secrets-key[a-z0-9]{5}$/);
  assert.equal(Buffer.from(keySecret?.data?.['tls.crt'] ?? '', 'base64').toString(), certificatePem);
  assert.match(
    Buffer.from(keySecret?.data?.['tls.key'] ?? '', 'base64').toString(),
    /^-----BEGIN RSA PRIVATE KEY-----/,
  );
  assert.equal(await first.metric('cloak_sealing_key_generations_total{trigger="initial"}'), 1);

  // The Service kubeseal looks for, and Endpoints naming this process.
  const service = await getJson<{ spec: { ports: { name: string; port: number }[] } }>(cluster, [
    ...['service', '-n', 'kube-system', 'sealed-secrets-controller'],
  ]);
  assert.deepEqual(
    service.spec.ports.map(({ name, port }) => ({ name, port })),
    [{ name: 'http', port: 8080 }],
  );
  const endpoints = await getJson<{
    subsets: { addresses: { ip: string }[]; ports: { name: string; port: number }[] }[];
  }>(cluster, ['endpoints', '-n', 'kube-system', 'sealed-secrets-controller']);
  assert.deepEqual(
    endpoints.subsets[0]?.addresses.map(({ ip }) => ip),
    ['127.0.0.1'],
  );
  assert.deepEqual(
    endpoints.subsets[0]?.ports.map(({ name, port }) => ({ name, port })),
    [{ name: 'http', port: Number(new URL(first.http).port) }],
  );

  // SealedSecrets sealed with that certificate: one RSA operation per value.
  const sealed = Array.from({ length: COUNT }, (_, index) =>
    sealedFor(`app-${index}`, certificatePem, { a: `a${index}`, b: `b${index}`, c: `c${index}` }),
  );
  await kubectlOk(
    cluster,
    ['apply', '-f', '-'],
    sealed.map((object) => `---\n${toKubeYaml(object)}`).join(''),
  );
  await eventually('every SealedSecret synced', async () => {
    const list = await getJson<{ items: { status?: { conditions?: { status: string }[] } }[] }>(cluster, [
      ...['sealedsecrets', '-n', 'default'],
    ]);
    return list.items.filter((item) => item.status?.conditions?.[0]?.status === 'True').length === COUNT;
  });
  const secret = await getJson<Secret>(cluster, ['secret', '-n', 'default', 'app-7']);
  assert.equal(Buffer.from(secret.data?.['b'] ?? '', 'base64').toString(), 'b7');
  assert.equal(await first.metric('cloak_sealed_secrets_rsa_decryptions_total'), COUNT * ITEMS);
  assert.equal(await first.metric('cloak_sealed_secrets_secret_writes_total{action="create"}'), COUNT);

  // /v1/verify: 200 when it unseals, 409 when not; 2 per second and a burst of 2 per client.
  const good = toGoJson(sealed[0]);
  const renamed = toGoJson({ ...sealed[0], metadata: { ...sealed[0]?.metadata, name: 'elsewhere' } });
  assert.equal((await post(`${first.http}/v1/verify`, good, 'a')).status, 200);
  assert.equal((await post(`${first.http}/v1/verify`, renamed, 'a2')).status, 409);
  // Six at once from one client: three pass (the rate plus the burst), the rest wait.
  const burst = await Promise.all(
    Array.from({ length: 6 }, () => post(`${first.http}/v1/verify`, good, 'burst')),
  );
  const limited = burst.filter((response) => response.status === 429);
  assert.ok(limited.length >= 1 && limited.length <= 3, burst.map((response) => response.status).join(' '));
  assert.ok(burst.every((response) => response.status === 200 || response.status === 429));
  assert.equal(await limited[0]?.text(), 'limit exceeded\n');
  assert.ok(Number(limited[0]?.headers.get('retry-after')) >= 1);
  assert.equal((await post(`${first.http}/v1/verify`, 'a: [', 'b')).status, 500);
  assert.equal(
    (await post(`${first.http}/v1/verify`, `${toKubeYaml(sealed[0])}---\n${toKubeYaml(sealed[1])}`, 'c'))
      .status,
    500,
  );

  // kubeseal's conversation through the API server's service proxy: fetch the certificate, seal without
  // --cert, validate (and, once there are newer keys, re-encrypt below).
  const kube = ['--kubeconfig', cluster.kubeconfig];
  const fetched = await runCloak(['seal', '--fetch-cert', ...kube]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.equal(fetched.stdout, certificatePem);
  const plain = toGoJson({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'via-proxy', namespace: 'default' },
    data: { k: Buffer.from('v').toString('base64') },
  });
  const viaProxy = await runCloak(['seal', ...kube, '-o', 'yaml'], { input: plain });
  assert.equal(viaProxy.code, 0, viaProxy.stderr);
  const dir = await tempDir(t);
  const file = await writeTemp(dir, 'via-proxy.yaml', viaProxy.stdout);
  const validated = await runCloak(['seal', '--validate', '-f', file, ...kube]);
  assert.equal(validated.code, 0, validated.stderr);
  const misnamed = await writeTemp(
    dir,
    'misnamed.yaml',
    viaProxy.stdout.replace(/name: via-proxy/g, 'name: elsewhere'),
  );
  const refusedValidation = await runCloak(['seal', '--validate', '-f', misnamed, ...kube]);
  assert.equal(refusedValidation.code, 1);
  assert.match(refusedValidation.stderr, /unable to decrypt sealed secret/);

  // SIGUSR1 and POST /v1/rotate-key: new keys; the newest seals and is served.
  first.child.kill('SIGUSR1');
  await eventually(
    'a key on SIGUSR1',
    async () => (await first.metric('cloak_sealing_key_generations_total{trigger="signal"}')) === 1,
  );
  const rotateKey = await fetch(`${first.http}/v1/rotate-key`, { method: 'POST' });
  assert.equal(rotateKey.status, 200);
  const rotated = (await rotateKey.json()) as { secret: string; fingerprint: string };
  assert.match(rotated.secret, /^sealed-secrets-key[a-z0-9]{5}$/);
  assert.equal((await fetch(`${first.http}/v1/rotate-key`)).status, 405);
  const newestPem = await certificateOf(first);
  assert.equal(publicKeyFingerprint(readCertificate(newestPem, 'cert.pem').publicKey), rotated.fingerprint);
  assert.equal(await first.metric('cloak_sealing_keys'), 3);

  // /v1/rotate: sealed again with the newest key, and still what it was.
  const rotateResponse = await post(`${first.http}/v1/rotate`, good, 'd');
  assert.equal(rotateResponse.status, 200);
  const resealed = readSealedSecret((await rotateResponse.json()) as Record<string, unknown>, 'rotate');
  assert.equal(resealed.metadata.annotations?.['cloak.dev/sealing-key'], rotated.fingerprint);
  assert.notEqual(resealed.spec.encryptedData['a'], sealed[0]?.spec.encryptedData['a']);
  assert.equal((await post(`${first.http}/v1/verify`, toGoJson(resealed), 'e')).status, 200);
  assert.equal((await post(`${first.http}/v1/rotate`, renamed, 'f')).status, 500);

  // --re-encrypt through the proxy: sealed again with the newest key, which the hint names.
  const reEncrypted = await runCloak([
    'seal',
    '--re-encrypt',
    '-f',
    file,
    '-o',
    'yaml',
    '-w',
    `${dir}/re.yaml`,
    ...kube,
  ]);
  assert.equal(reEncrypted.code, 0, reEncrypted.stderr);
  const [reObject] = parseManifests(readFileSync(`${dir}/re.yaml`, 'utf8'), 're.yaml');
  assert.equal(
    readSealedSecret(reObject!, 're').metadata.annotations?.['cloak.dev/sealing-key'],
    rotated.fingerprint,
  );
  await kubectlOk(cluster, ['apply', '-f', `${dir}/re.yaml`]);
  const unsealedViaProxy = await eventually('the Secret sealed through the proxy', async () => {
    const result = await cluster.kubectl(['get', 'secret', 'via-proxy', '-o', 'json']);
    return result.code === 0 ? (JSON.parse(result.stdout) as Secret) : undefined;
  });
  assert.equal(Buffer.from(unsealedViaProxy.data?.['k'] ?? '', 'base64').toString(), 'v');

  const eventsBefore = (await getJson<{ items: unknown[] }>(cluster, ['events', '-n', 'default'])).items
    .length;
  assert.equal(await first.stop(), 0);

  // A restart decrypts nothing, writes nothing, and makes the one key the cutoff time asks for (a cutoff
  // an hour ahead: every key made before it is older, the new one too, and still only one is made).
  const second = await startOperator(t, cluster, [
    ...['--key-size', '2048', '--key-cutoff-time', rfc1123z(new Date(Date.now() + 3600_000))],
  ]);
  await eventually(
    'every SealedSecret looked at',
    async () => (await second.metric('cloak_sealed_secrets_unseal_skipped_total')) >= COUNT,
  );
  await eventually(
    'the cutoff key',
    async () => (await second.metric('cloak_sealing_key_generations_total{trigger="cutoff"}')) >= 1,
  );
  await eventually('the cutoff key read back', async () => (await second.metric('cloak_sealing_keys')) === 4);
  await sleep(500);
  assert.equal(await second.metric('cloak_sealing_key_generations_total'), 1);
  assert.equal(await second.metric('cloak_sealing_keys'), 4);
  assert.equal(await second.metric('cloak_sealed_secrets_rsa_decryptions_total'), 0);
  assert.equal(await second.metric('cloak_sealed_secrets_secret_writes_total'), 0);
  assert.equal(await second.metric('sealed_secrets_controller_unseal_errors_total'), 0);
  assert.equal(
    (await getJson<{ items: unknown[] }>(cluster, ['events', '-n', 'default'])).items.length,
    eventsBefore,
  );

  // A key Secret added at run time is used at once.
  const redhat = 'redhatcluster77__k8s-nginxapp-sot/';
  const [redhatKey] = expandLists(
    parseManifests(readFileSync(`${SEALED_SECRETS_VECTORS}${redhat}sealed-secrets-key.yaml`, 'utf8'), 'key'),
    'key',
  );
  const metadata = redhatKey?.['metadata'] as Record<string, unknown>;
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'selfLink']) delete metadata[field];
  await kubectlOk(cluster, ['create', '-f', '-'], toGoJson(redhatKey));
  await kubectlOk(cluster, ['create', 'namespace', 'fluxcdtutorial']);
  await kubectlOk(cluster, ['apply', '-f', `${SEALED_SECRETS_VECTORS}${redhat}sealedSecret.yaml`]);
  const fromVector = await eventually('the Secret from a key added at run time', async () => {
    const result = await cluster.kubectl([
      'get',
      'secret',
      '-n',
      'fluxcdtutorial',
      'my-secret',
      '-o',
      'json',
    ]);
    return result.code === 0 ? (JSON.parse(result.stdout) as Secret) : undefined;
  });
  assert.equal(Buffer.from(fromVector.data?.['username'] ?? '', 'base64').toString(), 'password');
  assert.equal(await second.stop(), 0);
});
