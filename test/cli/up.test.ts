/**
 * `cloak up` end to end, as a user meets it: the real bin/cloak, the real kubectl, `cloak seal`. The printed
 * "try this" line applies the generated example and the controller unseals it; the printed cert URL and
 * `cloak seal --fetch-cert` give the controller's certificate through the API server's service proxy; issue 6's
 * acceptance on it (every Sealed Secrets vector, its key installed as a controller key, gives its Secret);
 * SIGTERM stops everything with exit 0 and releases the lease; a second start on the same data directory leads
 * at once, keeps the key and the example, and decrypts nothing.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Secret } from '../../src/kube/objects.ts';
import { parseManifests } from '../../src/manifests/decode.ts';
import { parseSealingCertificate } from '../../src/sealing/keys.ts';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk } from '../helpers/dev-cluster.ts';
import { tempDir } from '../helpers/keys.ts';
import { eventually } from '../helpers/operator.ts';
import { SEALED_SECRETS_VECTORS } from '../helpers/paths.ts';
import {
  decoded,
  EXPECTED,
  getJson,
  installVectorKeys,
  VECTOR_KEY_COUNT,
  waitForCondition,
} from '../helpers/sealed-secrets-vectors.ts';
import { runTool } from '../helpers/sops-tools.ts';
import { examplePath, startUp, type UpProcess } from '../helpers/up.ts';

/** What the example unseals to (demonstration values, printed by the walkthrough). */
const EXAMPLE_VALUES = { message: 'Hello from Cloak: unsealed by the local controller', username: 'demo' };

test('`cloak up --help`; flags checked and a taken address refused before anything is written', async (t) => {
  const help = await runCloak(['up', '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of ['--data-dir', '--listen', '--kubeconfig-out', '--no-operator', '--controller-listen'])
    assert.match(help.stdout, new RegExp(`${flag} `));
  assert.match(help.stdout, /default: "\.cloak"/);
  assert.match(help.stdout, /default: "127\.0\.0\.1:6443"/);

  const dir = await tempDir(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const dataDir = join(dir, 'state');
  const refused = await runCloak(['up', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `error: 127.0.0.1:${port} is already in use (another cloak up or cloak dev cluster?): stop it, or choose a free port with --listen 127.0.0.1:0\n`,
  );
  await assert.rejects(stat(dataDir), { code: 'ENOENT' });

  const usage = await runCloak(['up', '--data-dir', dataDir, '--controller-listen', '10.1.2.3:0']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--controller-listen must be a loopback address/);
});

/** The Secret's decoded data once it exists. */
async function secretValues(up: UpProcess, namespace: string, name: string) {
  return decoded(
    await eventually(`Secret ${namespace}/${name}`, () =>
      getJson<Secret>(up, ['secret', '-n', namespace, name]),
    ),
  );
}

async function fetchCert(up: UpProcess): Promise<string> {
  const fetched = await runCloak(['seal', '--fetch-cert', '--kubeconfig', up.kubeconfig]);
  assert.equal(fetched.code, 0, fetched.stderr);
  return fetched.stdout;
}

test('cloak up: the example, the vectors, a clean stop, and a second start that decrypts nothing', async (t) => {
  const cwd = await tempDir(t);
  const dataDir = join(cwd, 'state');
  const first = await startUp(t, { cwd, dataDir });
  const { summary } = first;
  assert.equal(
    summary.kubeconfigShown,
    'state/kubeconfig',
    'paths inside the working directory are relative',
  );
  assert.equal(summary.exportLine, `export KUBECONFIG=${join(dataDir, 'kubeconfig')}`);
  assert.equal(
    summary.certUrl,
    `${summary.url}/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem`,
  );
  assert.equal(summary.exampleShown, 'state/examples/hello-sealedsecret.yaml');
  assert.equal(summary.exampleState, 'sealed now');
  assert.equal(
    summary.tryThis,
    'kubectl --kubeconfig state/kubeconfig apply -f state/examples/hello-sealedsecret.yaml',
  );

  // The "try this" line, run as printed from the same directory.
  const [command, ...args] = summary.tryThis.split(' ');
  const applied = await runTool(command ?? '', args, {
    cwd,
    env: { PATH: process.env['PATH'], HOME: join(cwd, 'home') },
  });
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(await secretValues(first, 'default', 'hello'), EXAMPLE_VALUES);
  await waitForCondition(first, 'default', 'hello', 'True');

  // The certificate: through the printed URL, and as kubeseal/`cloak seal` get it; the example was sealed with it.
  const certPath = new URL(summary.certUrl).pathname;
  const viaUrl = await kubectlOk(first, ['get', '--raw', certPath]);
  const cert = await fetchCert(first);
  assert.equal(viaUrl, cert);
  const { fingerprint } = parseSealingCertificate(cert, 'fetched', new Date());
  assert.equal(summary.fingerprint, fingerprint);
  const exampleText = await readFile(examplePath(dataDir), 'utf8');
  const [example] = parseManifests(exampleText, 'example') as {
    metadata: { annotations: Record<string, string> };
  }[];
  assert.equal(example?.metadata.annotations['cloak.dev/sealing-key'], fingerprint);
  assert.doesNotMatch(exampleText, /Hello from Cloak: unsealed|PRIVATE KEY/, 'only ciphertext, no key');

  // Issue 6's acceptance on `cloak up`: each vector, with its key installed as a controller key.
  await installVectorKeys(first);
  await eventually(
    'the vector keys to load',
    async () => (await first.metric('cloak_sealing_keys')) === VECTOR_KEY_COUNT + 1,
  );
  for (const expected of EXPECTED)
    await kubectlOk(first, ['apply', '-f', `${SEALED_SECRETS_VECTORS}${expected.file}`]);
  for (const expected of EXPECTED) {
    assert.deepEqual(
      await secretValues(first, expected.namespace, expected.name),
      expected.values,
      expected.file,
    );
    await waitForCondition(first, expected.namespace, expected.name, 'True');
  }

  // SIGTERM: the operator drains, the lease is released, the server closes, exit 0.
  const stopping = performance.now();
  assert.equal(await first.stopWith('SIGTERM'), 0, first.stderr());
  assert.ok(performance.now() - stopping < 5_000, 'stopped within 5 s');
  assert.match(first.stderr(), /cloak up: stopped\n$/);
  const log = await readFile(join(dataDir, 'operator.log'), 'utf8');
  assert.match(log, /"msg":"released the lease"/);
  for (const value of ['Hello from Cloak', 'MYSQL_PASSWORD":"', 'admin"'])
    assert.ok(!log.includes(value) && !first.output().includes(value), `"${value}" leaked`);
  const exampleStat = await stat(examplePath(dataDir));

  // Again on the same data: leads at once (the lease was released), same key, example kept, no RSA work.
  const second = await startUp(t, { cwd, dataDir });
  assert.doesNotMatch(second.stderr(), /waiting for the controller to lead/);
  assert.equal(second.summary.exampleState, 'kept');
  assert.equal(second.summary.fingerprint, fingerprint);
  assert.equal(await readFile(examplePath(dataDir), 'utf8'), exampleText);
  assert.equal((await stat(examplePath(dataDir))).mtimeMs, exampleStat.mtimeMs);
  assert.equal(await fetchCert(second), cert);
  const sealedSecrets = EXPECTED.length + 1;
  await eventually(
    'every SealedSecret looked at again',
    async () => (await second.metric('cloak_sealed_secrets_unseal_skipped_total')) >= sealedSecrets,
  );
  assert.equal(await second.metric('cloak_sealed_secrets_rsa_decryptions_total'), 0);
  assert.deepEqual(await secretValues(second, 'default', 'hello'), EXAMPLE_VALUES);
  assert.equal(await second.stopWith('SIGINT'), 0, second.stderr());
});
