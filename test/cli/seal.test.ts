import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { runCloak } from '../helpers/cli.ts';
import { startDevCluster } from '../helpers/dev-cluster.ts';
import { independentDecrypt } from '../helpers/independent-sealed-secrets.ts';
import { ecCertificate, expiredRsaCertificate, sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';

const SECRET_YAML = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"hunter2"}}'
type: Opaque
data:
  user: YWRtaW4=
stringData:
  password: hunter2
`;

interface SealedOutput {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: {
    encryptedData: Record<string, string>;
    template: { metadata: Record<string, unknown>; type?: string };
  };
}

async function setup(t: TestContext, bits = 2048) {
  const key = await sealingKey(bits);
  const dir = await tempDir(t);
  const cert = await writeTemp(dir, 'cert.pem', key.certificatePem);
  return { key, dir, cert };
}

function open(privateKeyPem: string, value: string | undefined, label: string): string {
  assert.ok(value, 'value present');
  return independentDecrypt(privateKeyPem, value, label).toString();
}

test('seals a Secret from stdin as kubeseal does: JSON by default, values open with the private key', async (t) => {
  const { key, cert } = await setup(t);
  const result = await runCloak(['seal', '--cert', cert], { input: SECRET_YAML });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.match(
    result.stdout,
    /^\{\n {2}"kind": "SealedSecret",\n {2}"apiVersion": "bitnami.com\/v1alpha1",\n/,
  );
  assert.ok(result.stdout.endsWith('}\n'));
  const sealed = JSON.parse(result.stdout) as SealedOutput;
  assert.deepEqual(Object.keys(sealed.spec.encryptedData), ['password', 'user']);
  assert.equal(open(key.privateKeyPem, sealed.spec.encryptedData['password'], 'prod/db'), 'hunter2');
  assert.equal(open(key.privateKeyPem, sealed.spec.encryptedData['user'], 'prod/db'), 'admin');
  assert.equal(sealed.metadata.annotations?.['cloak.dev/sealing-key'], key.fingerprint);
  assert.deepEqual(sealed.spec.template.metadata, { name: 'db', namespace: 'prod', creationTimestamp: null });
  assert.equal(sealed.spec.template.type, 'Opaque');
  assert.doesNotMatch(result.stdout, /hunter2|last-applied/);
});

for (const bits of [3072, 4096]) {
  test(`RSA-${bits} certificates seal values that open`, async (t) => {
    const { key, cert } = await setup(t, bits);
    const result = await runCloak(['seal', '--cert', cert, '-o', 'yaml'], { input: SECRET_YAML });
    assert.equal(result.code, 0, result.stderr);
    const sealed = parse(result.stdout) as SealedOutput;
    assert.equal(open(key.privateKeyPem, sealed.spec.encryptedData['password'], 'prod/db'), 'hunter2');
    assert.equal(Buffer.from(sealed.spec.encryptedData['password']!, 'base64').readUInt16BE(0), bits / 8);
  });
}

test('all three scopes seal for their labels', async (t) => {
  const { key, cert } = await setup(t);
  const labels = { strict: 'prod/db', 'namespace-wide': 'prod', 'cluster-wide': '' };
  for (const [scope, label] of Object.entries(labels)) {
    const result = await runCloak(['seal', '--cert', cert, '--scope', scope], { input: SECRET_YAML });
    assert.equal(result.code, 0, result.stderr);
    const sealed = JSON.parse(result.stdout) as SealedOutput;
    assert.equal(open(key.privateKeyPem, sealed.spec.encryptedData['password'], label), 'hunter2', scope);
    if (scope !== 'strict')
      assert.equal(sealed.metadata.annotations?.[`sealedsecrets.bitnami.com/${scope}`], 'true');
  }
  const bad = await runCloak(['seal', '--cert', cert, '--scope', 'galaxy-wide'], { input: SECRET_YAML });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^error: invalid scope "galaxy-wide": must be one of: strict, namespace-wide, cluster-wide\n$/,
  );
});

test('several Secrets in, several SealedSecrets out (YAML documents and JSON objects)', async (t) => {
  const { key, cert } = await setup(t);
  const input = `${SECRET_YAML}---\napiVersion: v1\nkind: Secret\nmetadata: {name: second, namespace: prod}\nstringData: {x: "1"}\n`;
  const yaml = await runCloak(['seal', '--cert', cert, '-o', 'yaml'], { input });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.equal(yaml.stdout.match(/^---$/gm)?.length, 2);
  const docs = yaml.stdout
    .split(/^---\n/m)
    .filter(Boolean)
    .map((doc) => parse(doc) as SealedOutput);
  assert.deepEqual(
    docs.map((doc) => doc.metadata.name),
    ['db', 'second'],
  );
  assert.equal(open(key.privateKeyPem, docs[1]?.spec.encryptedData['x'], 'prod/second'), '1');
  const json = await runCloak(['seal', '--cert', cert], { input });
  assert.equal(json.stdout.match(/^\}$/gm)?.length, 2);
});

test('-w writes atomically; a .yaml name selects YAML; nothing is written on failure', async (t) => {
  const { cert, dir } = await setup(t);
  const out = join(dir, 'sealed.yaml');
  const ok = await runCloak(['seal', '--cert', cert, '-w', out], { input: SECRET_YAML });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '');
  const written = readFileSync(out, 'utf8');
  assert.match(written, /^---\napiVersion: bitnami.com\/v1alpha1\nkind: SealedSecret\n/);
  const failed = await runCloak(['seal', '--cert', cert, '-w', out], { input: 'kind: ConfigMap\n' });
  assert.equal(failed.code, 1);
  assert.equal(readFileSync(out, 'utf8'), written, 'a failed run leaves the old file alone');
});

test('--raw prints only the base64 of one value, for the scope label', async (t) => {
  const { key, cert, dir } = await setup(t);
  const strict = await runCloak(['seal', '--raw', '--cert', cert, '-n', 'prod', '--name', 'db'], {
    input: 'hunter2',
  });
  assert.equal(strict.code, 0, strict.stderr);
  assert.match(strict.stdout, /^[A-Za-z0-9+/]+=*$/, 'no newline, nothing else');
  assert.equal(open(key.privateKeyPem, strict.stdout, 'prod/db'), 'hunter2');

  const file = await writeTemp(dir, 'value.txt', 'from a file\n');
  const wide = await runCloak([
    'seal',
    '--raw',
    '--cert',
    cert,
    '-n',
    'prod',
    '--scope',
    'namespace-wide',
    '--from-file',
    `ignored=${file}`,
  ]);
  assert.equal(open(key.privateKeyPem, wide.stdout, 'prod'), 'from a file\n');
  const cluster = await runCloak(['seal', '--raw', '--cert', cert, '--scope', 'cluster-wide'], {
    input: 'x',
  });
  assert.equal(open(key.privateKeyPem, cluster.stdout, ''), 'x');

  const noName = await runCloak(['seal', '--raw', '--cert', cert, '-n', 'prod'], { input: 'x' });
  assert.equal(noName.code, 2);
  assert.equal(noName.stderr, 'error: must provide the --name flag with --raw and --scope strict\n');
  const noNamespace = await runCloak(['seal', '--raw', '--cert', cert, '--name', 'db'], { input: 'x' });
  assert.equal(noNamespace.code, 1);
  assert.equal(
    noNamespace.stderr,
    'error: must provide the --namespace flag with --raw and --scope strict\n',
  );
  const twoFiles = await runCloak([
    'seal',
    '--raw',
    '--cert',
    cert,
    '-n',
    'p',
    '--name',
    'n',
    '--from-file',
    `${file},${file}`,
  ]);
  assert.equal(
    twoFiles.stderr,
    'error: must provide only one --from-file when encrypting a single item with --raw\n',
  );
  const fromFileAlone = await runCloak(['seal', '--cert', cert, '--from-file', file]);
  assert.equal(fromFileAlone.code, 2);
  assert.equal(fromFileAlone.stderr, 'error: --from-file requires --raw\n');
});

test('--merge-into adds and replaces items in place, keeping comments, even without labels or annotations', async (t) => {
  const { key, cert, dir } = await setup(t);
  const first = await runCloak(['seal', '--cert', cert, '-o', 'yaml'], { input: SECRET_YAML });
  const file = await writeTemp(
    dir,
    'db.yaml',
    `# managed in git, do not edit by hand\n${first.stdout.replace('---\n', '')}`,
  );
  const before = parse(readFileSync(file, 'utf8')) as SealedOutput;
  const update =
    'apiVersion: v1\nkind: Secret\nmetadata: {name: whatever}\nstringData: {password: rotated, token: t0k}\n';
  const merged = await runCloak(['seal', '--cert', cert, '--merge-into', file], { input: update });
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(merged.stdout, '');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# managed in git, do not edit by hand\n/);
  const after = parse(text) as SealedOutput;
  assert.deepEqual(Object.keys(after.spec.encryptedData), ['password', 'token', 'user']);
  assert.equal(after.spec.encryptedData['user'], before.spec.encryptedData['user']);
  assert.equal(open(key.privateKeyPem, after.spec.encryptedData['password'], 'prod/db'), 'rotated');
  assert.equal(open(key.privateKeyPem, after.spec.encryptedData['token'], 'prod/db'), 't0k');

  const bare = await writeTemp(
    dir,
    'bare.json',
    JSON.stringify({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 'bare', namespace: 'prod' },
      spec: { encryptedData: {} },
    }),
  );
  const intoBare = await runCloak(['seal', '--cert', cert, '--merge-into', bare], {
    input: SECRET_YAML.replace(/ {2}annotations:\n.*\n/, ''),
  });
  assert.equal(intoBare.code, 0, intoBare.stderr);
  const bareAfter = JSON.parse(readFileSync(bare, 'utf8')) as SealedOutput;
  assert.equal(open(key.privateKeyPem, bareAfter.spec.encryptedData['password'], 'prod/bare'), 'hunter2');
});

test('--merge-into a cluster-wide file seals the new items cluster-wide', async (t) => {
  const { key, cert, dir } = await setup(t);
  const first = await runCloak(['seal', '--cert', cert, '--scope', 'cluster-wide', '-o', 'yaml'], {
    input: SECRET_YAML,
  });
  const file = await writeTemp(dir, 'wide.yaml', first.stdout);
  const merged = await runCloak(['seal', '--cert', cert, '--merge-into', file], {
    input: 'kind: Secret\nmetadata: {name: x}\nstringData: {new: v}\n',
  });
  assert.equal(merged.code, 0, merged.stderr);
  const after = parse(readFileSync(file, 'utf8').replace(/^---\n/, '')) as SealedOutput;
  assert.equal(open(key.privateKeyPem, after.spec.encryptedData['new'], ''), 'v');
});

test('--cert accepts file:// and http:// locations; SEALED_SECRETS_CERT works and the flag wins', async (t) => {
  const { key, cert } = await setup(t);
  const server = createServer((request, response) => {
    if (request.url === '/cert.pem') response.end(key.certificatePem);
    else response.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const location of [pathToFileURL(cert).href, `${base}/cert.pem`]) {
    const result = await runCloak(['seal', '--cert', location], { input: SECRET_YAML });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      open(
        key.privateKeyPem,
        (JSON.parse(result.stdout) as SealedOutput).spec.encryptedData['user'],
        'prod/db',
      ),
      'admin',
    );
  }
  const missing = await runCloak(['seal', '--cert', `${base}/nope.pem`], { input: SECRET_YAML });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: cannot fetch "${base}/nope.pem": 404 Not Found\n`);

  const fromEnv = await runCloak(['seal'], {
    input: SECRET_YAML,
    env: { SEALED_SECRETS_CERT: cert, SEALED_SECRETS_FORMAT: 'yaml' },
  });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.match(fromEnv.stdout, /^---\napiVersion: bitnami.com/);
  const flagWins = await runCloak(['seal', '--cert', cert], {
    input: SECRET_YAML,
    env: { SEALED_SECRETS_CERT: '/does/not/exist.pem' },
  });
  assert.equal(flagWins.code, 0, flagWins.stderr);
  const badBool = await runCloak(['seal', '--cert', cert], {
    input: SECRET_YAML,
    env: { SEALED_SECRETS_ALLOW_EMPTY_DATA: 'maybe' },
  });
  assert.equal(badBool.code, 2);
  assert.equal(badBool.stderr, 'error: invalid boolean "maybe" in SEALED_SECRETS_ALLOW_EMPTY_DATA\n');
});

test('-n fills a missing namespace and must agree with the input', async (t) => {
  const { key, cert } = await setup(t);
  const noNamespace = SECRET_YAML.replace('  namespace: prod\n', '');
  const filled = await runCloak(['seal', '--cert', cert, '-n', 'dev'], { input: noNamespace });
  assert.equal(filled.code, 0, filled.stderr);
  assert.equal(
    open(key.privateKeyPem, (JSON.parse(filled.stdout) as SealedOutput).spec.encryptedData['user'], 'dev/db'),
    'admin',
  );
  const conflict = await runCloak(['seal', '--cert', cert, '-n', 'dev'], { input: SECRET_YAML });
  assert.equal(conflict.code, 1);
  assert.equal(
    conflict.stderr,
    'error: stdin: the namespace from the input Secret ("prod") does not match the namespace given with --namespace ("dev")\n',
  );
});

test('--allow-empty-data seals a Secret without data', async (t) => {
  const { cert } = await setup(t);
  const result = await runCloak(['seal', '--cert', cert, '--allow-empty-data'], {
    input: 'kind: Secret\nmetadata: {name: e, namespace: n}\n',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((JSON.parse(result.stdout) as SealedOutput).spec.encryptedData, {});
});

test('bad input: one clear line, non-zero exit, no output file', async (t) => {
  const { cert, dir } = await setup(t);
  const expired = await writeTemp(dir, 'expired.pem', await expiredRsaCertificate());
  const ec = await writeTemp(dir, 'ec.pem', await ecCertificate());
  const cases: { name: string; args?: string[]; input: string; message: string }[] = [
    {
      name: 'not YAML or JSON',
      input: 'kind: Secret\ndata: [unclosed\n',
      message: 'error: stdin: invalid YAML at line 3, column 1: ',
    },
    {
      name: 'not an object',
      input: '\x00\x01binary',
      message: 'error: stdin: expected a Kubernetes object, found a string',
    },
    {
      name: 'broken JSON',
      input: '{"kind": "Secret", ',
      message: 'error: stdin: invalid JSON at the end of the input',
    },
    {
      name: 'another kind',
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      message: 'error: stdin: expected a Secret, found kind "ConfigMap"',
    },
    {
      name: 'no name',
      input: 'kind: Secret\nmetadata: {namespace: n}\nstringData: {a: b}\n',
      message: 'error: stdin: missing metadata.name in input Secret',
    },
    {
      name: 'no namespace for strict scope and no kubeconfig',
      input: 'kind: Secret\nmetadata: {name: n}\nstringData: {a: b}\n',
      message:
        'error: input secret has no namespace and cannot infer the namespace automatically when no kube config is available',
    },
    {
      name: 'empty data',
      input: 'kind: Secret\nmetadata: {name: n, namespace: n}\n',
      message:
        'error: stdin: secret.data is empty in input Secret, assuming this is an error and aborting. To work with empty data, --allow-empty-data can be used',
    },
    {
      name: 'corrupted base64 in data',
      input: 'kind: Secret\nmetadata: {name: n, namespace: n}\ndata: {a: "YW*taW4="}\n',
      message: 'error: stdin: data.a: illegal base64 data at input byte 2',
    },
    {
      name: 'expired certificate',
      args: ['--cert', expired],
      input: SECRET_YAML,
      message: `error: ${expired}: failed to encrypt using an expired certificate on June 15, 2021`,
    },
    {
      name: 'EC certificate',
      args: ['--cert', ec],
      input: SECRET_YAML,
      message: `error: ${ec}: expected RSA public key but found EC key`,
    },
    {
      name: 'missing certificate file',
      args: ['--cert', join(dir, 'nope.pem')],
      input: SECRET_YAML,
      message: `error: cannot read certificate ${join(dir, 'nope.pem')}: no such file or directory`,
    },
    {
      name: 'unreadable input file',
      args: ['-f', join(dir, 'nope.yaml')],
      input: '',
      message: `error: cannot read ${join(dir, 'nope.yaml')}: no such file or directory`,
    },
    { name: 'empty input', input: '', message: 'error: stdin: the input holds no object' },
    {
      name: 'bad output format',
      args: ['-o', 'xml'],
      input: SECRET_YAML,
      message: 'error: unsupported output format: xml (use json or yaml)',
    },
  ];
  for (const { name, args, input, message } of cases) {
    const out = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    const certArgs = args?.includes('--cert') ? [] : ['--cert', cert];
    const result = await runCloak(['seal', ...certArgs, ...(args ?? []), '-w', out], { input });
    assert.notEqual(result.code, 0, name);
    assert.ok(result.stderr.startsWith(message), `${name}: ${result.stderr}`);
    assert.equal(result.stderr.split('\n').length, 2, `${name}: one line`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `${name}: no stack trace`);
    assert.equal(result.stdout, '', name);
    assert.equal(existsSync(out), false, `${name}: no output file`);
  }
});

test('--fetch-cert, sealing without --cert and --validate through cloak dev cluster and its service proxy', async (t) => {
  const { key } = await setup(t);
  const cluster = await startDevCluster(t);
  const posted: string[] = [];
  // The controller: any process on 127.0.0.1 that registers Endpoints for its Service.
  const controller = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posted.push(`${request.method ?? ''} ${request.url ?? ''}`);
      if (request.url === '/v1/cert.pem') {
        response.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
        response.end(key.certificatePem);
      } else if (request.url === '/v1/verify') {
        const sealed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SealedOutput;
        response.writeHead(sealed.metadata.name === 'db' ? 200 : 409);
        response.end();
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => controller.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    controller.closeAllConnections();
    controller.close();
  });
  const { port } = controller.address() as AddressInfo;
  const env = { KUBECONFIG: cluster.kubeconfig };
  const register = async (portName: string | undefined): Promise<void> => {
    const name = portName === undefined ? '' : `name: ${portName}, `;
    const manifests = `apiVersion: v1
kind: Service
metadata: {name: sealed-secrets-controller, namespace: kube-system}
spec:
  ports: [{${name}port: 8080, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: sealed-secrets-controller, namespace: kube-system}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{${name}port: ${port}}]
`;
    const applied = await cluster.kubectl(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      manifests,
    );
    assert.equal(applied.code, 0, applied.stderr);
  };

  // The Bitnami chart names the port `http` (cloak asks for http:<name>:http); its plain manifest leaves it
  // unnamed (http:<name>:, the path kubeseal itself uses).
  for (const portName of ['http', undefined]) {
    await register(portName);
    posted.length = 0;
    const fetched = await runCloak(['seal', '--fetch-cert'], { env });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout, key.certificatePem, String(portName));
    assert.deepEqual(posted, ['GET /v1/cert.pem']);
  }

  const raw = await cluster.kubectl([
    'get',
    '--raw',
    '/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/cert.pem',
  ]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout, key.certificatePem);

  const sealed = await runCloak(['seal'], { env, input: SECRET_YAML });
  assert.equal(sealed.code, 0, sealed.stderr);
  const sealedObject = JSON.parse(sealed.stdout) as SealedOutput;
  assert.equal(open(key.privateKeyPem, sealedObject.spec.encryptedData['password'], 'prod/db'), 'hunter2');

  posted.length = 0;
  const validated = await runCloak(['seal', '--validate'], { env, input: sealed.stdout });
  assert.equal(validated.code, 0, validated.stderr);
  assert.deepEqual(posted, ['POST /v1/verify']);

  // Nothing listens any more: kube's 503, as kubeseal reports it.
  controller.closeAllConnections();
  await new Promise<void>((resolve) => controller.close(() => resolve()));
  const down = await runCloak(['seal', '--fetch-cert'], { env });
  assert.equal(down.code, 1);
  assert.equal(
    down.stderr,
    `error: cannot fetch certificate: error trying to reach service: dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  );
});
