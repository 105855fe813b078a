/**
 * `cloak seal` talking to the Sealed Secrets controller through the API server's service proxy, as kubeseal
 * does (--fetch-cert, sealing without --cert, --validate, --re-encrypt), and the namespace taken from the
 * kubeconfig context. Everything runs through the real bin/cloak against a fake HTTPS API server.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runCloak, type CliResult } from '../helpers/cli.ts';
import {
  jsonReply,
  kubeconfigYaml,
  sealedSecretsController,
  startFakeApiServer,
  type FakeApiServer,
  type FakeControllerOptions,
  type KubeconfigOptions,
  type Route,
} from '../helpers/fake-apiserver.ts';
import { independentDecrypt, independentEncrypt } from '../helpers/independent-sealed-secrets.ts';
import { sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';

const CONCURRENCY = 4;
const SERVICE = '/api/v1/namespaces/kube-system/services/sealed-secrets-controller';
const PROXY = '/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy';

type Json = Record<string, unknown>;

interface Cluster {
  server: FakeApiServer;
  dir: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
}

/** A fake API server with `route`, a temporary directory and a kubeconfig for it (in KUBECONFIG). */
async function cluster(
  t: TestContext,
  route: Route,
  kubeconfig: Partial<KubeconfigOptions> = {},
  serverToken?: string,
): Promise<Cluster> {
  const server = await startFakeApiServer(t, route, serverToken);
  const dir = await tempDir(t);
  const path = await writeTemp(
    dir,
    'kubeconfig',
    kubeconfigYaml({ server: server.url, token: server.token, caPem: server.caPem, ...kubeconfig }),
  );
  return { server, dir, kubeconfig: path, env: { KUBECONFIG: path } };
}

async function controller(t: TestContext, options: Partial<FakeControllerOptions> = {}): Promise<Cluster> {
  const key = await sealingKey();
  return cluster(t, sealedSecretsController({ certificate: key.certificatePem, ...options }));
}

function seen(server: FakeApiServer): string[] {
  return server.requests.map((request) => `${request.method} ${request.path}`);
}

function secretYaml(metadata: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
${metadata}
type: Opaque
data:
  password: ${Buffer.from('s3cr3t-password').toString('base64')}
stringData:
  user: admin
`;
}

const SECRET = secretYaml('  name: db\n  namespace: prod');
const SECRET_WITHOUT_NAMESPACE = secretYaml('  name: db');

function encryptedData(sealed: Json): Record<string, string> {
  return (sealed['spec'] as { encryptedData: Record<string, string> }).encryptedData;
}

function metadata(sealed: Json): Json {
  return sealed['metadata'] as Json;
}

/** The sealed values opened with `privateKeyPem` under `label`. */
function opened(sealed: Json, privateKeyPem: string, label: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(encryptedData(sealed)).map(([item, value]) => [
      item,
      independentDecrypt(privateKeyPem, value, label).toString('utf8'),
    ]),
  );
}

const PLAINTEXT = { password: 's3cr3t-password', user: 'admin' };

/** Exit status `code`, nothing on stdout, exactly one `error: ` line matching `pattern`, no stack trace. */
function assertCleanError(result: CliResult, pattern: RegExp, code = 1): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^error: [^\n]+\n$/, `expected one error line, got:\n${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
  assert.doesNotMatch(result.stderr, /looks like a bug|--debug/);
}

/** Nothing but `expected` in `dir`: no output file and no temporary file left behind. */
async function assertOnlyFiles(dir: string, expected: string[]): Promise<void> {
  assert.deepEqual((await readdir(dir)).sort(), [...expected].sort());
}

/** A SealedSecret made by `cloak seal --cert` with the default test key. */
async function sealedWithCert(dir: string, input = SECRET): Promise<string> {
  const key = await sealingKey();
  const cert = await writeTemp(dir, 'cert.pem', key.certificatePem);
  const result = await runCloak(['seal', '--cert', cert], { input });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

describe('sealing with the certificate fetched through the proxy', { concurrency: CONCURRENCY }, () => {
  test('reads the port name from the Service, then fetches /v1/cert.pem through the proxy', async (t) => {
    const key = await sealingKey();
    const { server, env } = await controller(t, {
      ports: [
        { name: 'http', port: 8080 },
        { name: 'metrics', port: 8081 },
      ],
    });
    const result = await runCloak(['seal'], { input: SECRET, env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');

    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `GET ${PROXY}/v1/cert.pem`]);
    for (const request of server.requests) assert.equal(request.headers.authorization, 'Bearer test-token');
    assert.equal(server.requests[1]?.headers.accept, 'application/x-pem-file, */*');

    const sealed = JSON.parse(result.stdout) as Json;
    assert.equal(sealed['kind'], 'SealedSecret');
    assert.equal(sealed['apiVersion'], 'bitnami.com/v1alpha1');
    assert.deepEqual(metadata(sealed)['name'], 'db');
    assert.deepEqual(metadata(sealed)['namespace'], 'prod');
    assert.deepEqual(Object.keys(encryptedData(sealed)), ['password', 'user']);
    assert.deepEqual(opened(sealed, key.privateKeyPem, 'prod/db'), PLAINTEXT);
    assert.equal((metadata(sealed)['annotations'] as Json)['cloak.dev/sealing-key'], key.fingerprint);
    // Strict scope: the label binds the values to prod/db.
    assert.throws(() => opened(sealed, key.privateKeyPem, 'prod/other'));
  });

  test('--controller-name/--controller-namespace pick the Service; its first port names the target', async (t) => {
    const key = await sealingKey();
    const { server, env } = await controller(t, {
      namespace: 'sealing',
      name: 'my-sealer',
      ports: [
        { name: 'controller-api', port: 9090 },
        { name: 'http', port: 8080 },
      ],
    });
    const result = await runCloak(
      [
        'seal',
        '--controller-name',
        'my-sealer',
        '--controller-namespace',
        'sealing',
        '-n',
        'team-x',
        '-o',
        'yaml',
      ],
      { input: SECRET_WITHOUT_NAMESPACE, env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [
      'GET /api/v1/namespaces/sealing/services/my-sealer',
      'GET /api/v1/namespaces/sealing/services/http:my-sealer:controller-api/proxy/v1/cert.pem',
    ]);
    assert.match(result.stdout, /^---\napiVersion: bitnami\.com\/v1alpha1\n/);
    const sealed = parseYaml(result.stdout) as Json;
    assert.equal(metadata(sealed)['namespace'], 'team-x');
    assert.deepEqual(opened(sealed, key.privateKeyPem, 'team-x/db'), PLAINTEXT);
  });

  test('a Service whose first port has no name is addressed as http:<name>: (as kubeseal)', async (t) => {
    const { server, env } = await controller(t, { ports: [{ port: 8080 }] });
    const result = await runCloak(['seal'], { input: SECRET, env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [
      `GET ${SERVICE}`,
      'GET /api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/cert.pem',
    ]);
  });

  test('--fetch-cert prints the certificate bytes unchanged', async (t) => {
    const key = await sealingKey();
    // Bytes a re-encoding would not keep: CRLF line ends and a trailing comment line.
    const served = Buffer.from(`${key.certificatePem.replace(/\n/g, '\r\n')}# served as is\r\n`);
    const { server, env } = await controller(t, { certificate: served });
    const result = await runCloak(['seal', '--fetch-cert'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.deepEqual(result.stdoutBytes, served);
    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `GET ${PROXY}/v1/cert.pem`]);
  });

  test('--fetch-cert -w writes the certificate to the file', async (t) => {
    const key = await sealingKey();
    const { dir, env } = await controller(t);
    const out = join(dir, 'cert.pem');
    const result = await runCloak(['seal', '--fetch-cert', '-w', out], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(await readFile(out, 'utf8'), key.certificatePem);
  });

  test('--kubeconfig names the kubeconfig file without KUBECONFIG', async (t) => {
    const { server, kubeconfig } = await controller(t);
    const result = await runCloak(['seal', '--kubeconfig', kubeconfig, '--fetch-cert']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `GET ${PROXY}/v1/cert.pem`]);
  });
});

describe('--validate', { concurrency: CONCURRENCY }, () => {
  test('exits 0 when the controller answers 200, and posts the SealedSecret as JSON', async (t) => {
    const { server, dir, env } = await controller(t);
    const sealedText = await sealedWithCert(dir);
    const file = await writeTemp(dir, 'sealed.json', sealedText);
    const result = await runCloak(['seal', '--validate', '-f', file], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, '');
    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `POST ${PROXY}/v1/verify`]);
    const post = server.requests[1]!;
    assert.match(String(post.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(post.body), JSON.parse(sealedText));
  });

  test('a YAML SealedSecret on stdin is posted as JSON', async (t) => {
    const { server, dir, env } = await controller(t);
    const key = await sealingKey();
    const cert = await writeTemp(dir, 'cert.pem', key.certificatePem);
    const sealed = await runCloak(['seal', '--cert', cert, '-o', 'yaml'], { input: SECRET });
    assert.equal(sealed.code, 0, sealed.stderr);
    const result = await runCloak(['seal', '--validate'], { input: sealed.stdout, env });
    assert.equal(result.code, 0, result.stderr);
    const post = server.requests.find((request) => request.path.endsWith('/v1/verify'));
    assert.ok(post);
    assert.deepEqual(JSON.parse(post.body), parseYaml(sealed.stdout));
  });

  test('fails with "unable to decrypt sealed secret" when the controller answers 409', async (t) => {
    const { server, dir, env } = await controller(t, { verify: () => 409 });
    const file = await writeTemp(dir, 'sealed.json', await sealedWithCert(dir));
    const result = await runCloak(['seal', '--validate', '-f', file], { env });
    assertCleanError(result, /^error: unable to decrypt sealed secret: .*sealed\.json\n$/);
    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `POST ${PROXY}/v1/verify`]);
  });

  test('names the document the controller cannot open in a stream of several', async (t) => {
    const { server, dir, env } = await controller(t, {
      verify: (sealed) => (metadata(sealed)['name'] === 'second' ? 409 : 200),
    });
    const first = await sealedWithCert(dir, secretYaml('  name: first\n  namespace: prod'));
    const second = await sealedWithCert(dir, secretYaml('  name: second\n  namespace: prod'));
    const result = await runCloak(['seal', '--validate'], { input: first + second, env });
    assertCleanError(result, /^error: unable to decrypt sealed secret: stdin \(document 2\)\n$/);
    const posted = server.requests
      .filter((request) => request.method === 'POST')
      .map((request) => metadata(JSON.parse(request.body) as Json)['name']);
    assert.deepEqual(posted, ['first', 'second']);
  });

  test('another answer of the controller is reported with its status', async (t) => {
    const { dir, env } = await controller(t, { verify: () => 500 });
    const result = await runCloak(['seal', '--validate'], { input: await sealedWithCert(dir), env });
    assertCleanError(result, /^error: cannot validate sealed secret: .*500/);
  });
});

describe('--re-encrypt', { concurrency: CONCURRENCY }, () => {
  /**
   * A controller whose /v1/rotate re-seals the posted values with a second key and answers as the real one
   * does: no apiVersion/kind, and the server-set fields kubeseal must clear.
   */
  async function rotatingController(t: TestContext): Promise<Cluster & { posted: Json[] }> {
    const oldKey = await sealingKey();
    const newKey = await sealingKey(2048, 'rotated');
    const posted: Json[] = [];
    const route = sealedSecretsController({
      certificate: newKey.certificatePem,
      rotate: (sealed) => {
        posted.push(sealed);
        const meta = metadata(sealed);
        const label = `${String(meta['namespace'])}/${String(meta['name'])}`;
        const reSealed = Object.fromEntries(
          Object.entries(encryptedData(sealed)).map(([item, value]) => [
            item,
            independentEncrypt(
              createPublicKey(newKey.privateKey),
              independentDecrypt(oldKey.privateKeyPem, value, label),
              label,
            ),
          ]),
        );
        const { apiVersion: _apiVersion, kind: _kind, ...rest } = sealed;
        return jsonReply({
          ...rest,
          metadata: {
            ...meta,
            creationTimestamp: '2026-11-20T08:00:00Z',
            deletionTimestamp: '2026-11-21T08:00:00Z',
            generation: 7,
            uid: '4f7d1c2e-0000-4000-8000-000000000001',
            resourceVersion: '12345',
          },
          spec: { ...(sealed['spec'] as Json), encryptedData: reSealed },
        });
      },
    });
    return { ...(await cluster(t, route)), posted };
  }

  async function assertRotated(output: Json, original: Json): Promise<void> {
    const newKey = await sealingKey(2048, 'rotated');
    const oldKey = await sealingKey();
    assert.equal(output['kind'], 'SealedSecret');
    assert.equal(output['apiVersion'], 'bitnami.com/v1alpha1');
    const meta = metadata(output);
    assert.equal(meta['creationTimestamp'], null);
    assert.ok(!('deletionTimestamp' in meta), 'deletionTimestamp must be cleared');
    assert.ok(!('generation' in meta), 'generation must be cleared');
    assert.equal(meta['uid'], '4f7d1c2e-0000-4000-8000-000000000001');
    assert.equal(meta['name'], 'db');
    assert.equal(meta['namespace'], 'prod');
    const annotations = meta['annotations'] as Record<string, string> | undefined;
    assert.equal(annotations?.['cloak.dev/sealing-key'], undefined, 'the hint named the old key');
    assert.deepEqual(opened(output, newKey.privateKeyPem, 'prod/db'), PLAINTEXT);
    assert.throws(() => opened(output, oldKey.privateKeyPem, 'prod/db'));
    assert.deepEqual((output['spec'] as Json)['template'], (original['spec'] as Json)['template']);
  }

  test('-f FILE without -w rewrites FILE in place with the controller answer', async (t) => {
    const { server, dir, env, posted } = await rotatingController(t);
    const sealedText = await sealedWithCert(dir);
    const file = await writeTemp(dir, 'sealed.json', sealedText);
    const result = await runCloak(['seal', '--re-encrypt', '-f', file], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, '');
    assert.deepEqual(seen(server), [`GET ${SERVICE}`, `POST ${PROXY}/v1/rotate`]);
    assert.match(String(server.requests[1]?.headers['content-type']), /^application\/json/);
    assert.deepEqual(posted, [JSON.parse(sealedText)]);

    const rewritten = await readFile(file, 'utf8');
    assert.match(rewritten, /^\{\n {2}"kind": "SealedSecret",\n {2}"apiVersion": "bitnami\.com\/v1alpha1",/);
    assert.match(rewritten, /"creationTimestamp": null/);
    const output = JSON.parse(rewritten) as Json;
    assert.deepEqual(Object.keys(output), ['kind', 'apiVersion', 'metadata', 'spec']);
    await assertRotated(output, JSON.parse(sealedText) as Json);
    await assertOnlyFiles(dir, ['cert.pem', 'kubeconfig', 'sealed.json']);
  });

  test('-w writes the answer there (YAML by extension) and leaves the input alone', async (t) => {
    const { dir, env } = await rotatingController(t);
    const sealedText = await sealedWithCert(dir);
    const file = await writeTemp(dir, 'sealed.json', sealedText);
    const out = join(dir, 'rotated.yaml');
    const result = await runCloak(['seal', '--re-encrypt', '-f', file, '-w', out], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(await readFile(file, 'utf8'), sealedText);
    const written = await readFile(out, 'utf8');
    assert.match(written, /^---\napiVersion: bitnami\.com\/v1alpha1\nkind: SealedSecret\n/);
    assert.match(written, /\n {2}creationTimestamp: null\n/);
    await assertRotated(parseYaml(written) as Json, JSON.parse(sealedText) as Json);
  });

  test('-o yaml prints the answer from stdin as YAML', async (t) => {
    const { dir, env } = await rotatingController(t);
    const sealedText = await sealedWithCert(dir);
    const result = await runCloak(['seal', '--re-encrypt', '-o', 'yaml'], { input: sealedText, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^---\napiVersion: bitnami\.com\/v1alpha1\nkind: SealedSecret\n/);
    await assertRotated(parseYaml(result.stdout) as Json, JSON.parse(sealedText) as Json);
  });

  test('the deprecated --rotate does the same', async (t) => {
    const { dir, env } = await rotatingController(t);
    const sealedText = await sealedWithCert(dir);
    const result = await runCloak(['seal', '--rotate'], { input: sealedText, env });
    assert.equal(result.code, 0, result.stderr);
    await assertRotated(JSON.parse(result.stdout) as Json, JSON.parse(sealedText) as Json);
  });

  test('a refusal (409) is one error line and neither -w nor the input file is written', async (t) => {
    const { dir, env } = await controller(t, { rotate: () => ({ status: 409, body: 'Conflict' }) });
    const sealedText = await sealedWithCert(dir);
    const file = await writeTemp(dir, 'sealed.json', sealedText);
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '--re-encrypt', '-f', file, '-w', out], { env });
    assertCleanError(result, /^error: unable to rotate secret: .*sealed\.json\n$/);
    await assertOnlyFiles(dir, ['cert.pem', 'kubeconfig', 'sealed.json']);

    const inPlace = await runCloak(['seal', '--re-encrypt', '-f', file], { env });
    assertCleanError(inPlace, /^error: unable to rotate secret/);
    assert.equal(await readFile(file, 'utf8'), sealedText);
    await assertOnlyFiles(dir, ['cert.pem', 'kubeconfig', 'sealed.json']);
  });
});

describe('cluster errors', { concurrency: CONCURRENCY }, () => {
  test('a missing controller Service names --controller-name and --controller-namespace', async (t) => {
    const { server, dir, env } = await controller(t, { name: 'somewhere-else' });
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '-w', out], { input: SECRET, env });
    assertCleanError(
      result,
      /^error: cannot get sealed secret service: services "sealed-secrets-controller" not found.*--controller-name.*--controller-namespace/,
    );
    assert.deepEqual(seen(server), [`GET ${SERVICE}`]);
    await assertOnlyFiles(dir, ['kubeconfig']);
  });

  test('a missing Service fails --fetch-cert, --validate and --re-encrypt alike', async (t) => {
    const { dir, env } = await controller(t, { namespace: 'elsewhere' });
    const sealedText = await sealedWithCert(dir);
    for (const args of [['--fetch-cert'], ['--validate'], ['--re-encrypt']]) {
      const result = await runCloak(['seal', ...args], { input: sealedText, env });
      assertCleanError(result, /^error: cannot get sealed secret service: .*not found/);
    }
  });

  test('a wrong token is one clear error line, and nothing is written', async (t) => {
    const { server, dir, env } = await cluster(
      t,
      sealedSecretsController({ certificate: (await sealingKey()).certificatePem }),
      { token: 'wrong-token' },
      'right-token',
    );
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '-w', out], { input: SECRET, env });
    assertCleanError(result, /^error: cannot get sealed secret service: Unauthorized\b/);
    assert.deepEqual(seen(server), [`GET ${SERVICE}`]);
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer wrong-token');
    await assertOnlyFiles(dir, ['kubeconfig']);

    // kubectl's --token replaces the kubeconfig's.
    const fixed = await runCloak(['seal', '--token', 'right-token', '-w', out], { input: SECRET, env });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.ok(existsSync(out));
  });

  test("an API server certificate the kubeconfig's CA does not cover is a one-line TLS error", async (t) => {
    const { server, dir, env } = await cluster(
      t,
      sealedSecretsController({ certificate: (await sealingKey()).certificatePem }),
      { caPem: undefined },
    );
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '-w', out], { input: SECRET, env });
    assertCleanError(
      result,
      /^error: cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: .*certificate/,
    );
    assert.deepEqual(server.requests, []);
    await assertOnlyFiles(dir, ['kubeconfig']);
  });

  test('sealing without --cert and without any kubeconfig is a one-line error', async (t) => {
    const dir = await tempDir(t);
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '-w', out], { input: SECRET, env: { HOME: dir } });
    assertCleanError(
      result,
      /^error: no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or run inside a cluster\n$/,
    );
    await assertOnlyFiles(dir, []);
  });

  test('a Service answer that is not JSON is a one-line error', async (t) => {
    const { dir, env } = await cluster(t, (request) =>
      request.path === SERVICE
        ? { status: 200, contentType: 'text/html', body: '<html>proxy</html>' }
        : undefined,
    );
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '-w', out], { input: SECRET, env });
    assertCleanError(result, /^error: cannot get sealed secret service: /);
    await assertOnlyFiles(dir, ['kubeconfig']);
  });

  test('an API server that is not listening is a one-line error', async (t) => {
    const dir = await tempDir(t);
    const kubeconfig = await writeTemp(
      dir,
      'kubeconfig',
      kubeconfigYaml({ server: 'https://127.0.0.1:1', token: 't' }),
    );
    const result = await runCloak(['seal', '--fetch-cert'], { env: { KUBECONFIG: kubeconfig } });
    assertCleanError(
      result,
      /^error: cannot reach the API server at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });
});

describe('the namespace of a Secret without one', { concurrency: CONCURRENCY }, () => {
  /** A kubeconfig (for a server that is never contacted) and the test certificate, both in files. */
  async function offline(t: TestContext, kubeconfig: Partial<KubeconfigOptions>) {
    const dir = await tempDir(t);
    const key = await sealingKey();
    const cert = await writeTemp(dir, 'cert.pem', key.certificatePem);
    const path = await writeTemp(
      dir,
      'kubeconfig',
      kubeconfigYaml({ server: 'https://127.0.0.1:1', token: 'unused', ...kubeconfig }),
    );
    return { dir, cert, kubeconfig: path, key };
  }

  const CONTEXTS = [
    { name: 'team-a-context', namespace: 'team-a' },
    { name: 'plain', namespace: '' },
    { name: 'other', namespace: 'team-other' },
  ];

  test("comes from the kubeconfig context's namespace", async (t) => {
    const { cert, kubeconfig, key } = await offline(t, {
      contexts: CONTEXTS,
      currentContext: 'team-a-context',
    });
    const result = await runCloak(['seal', '--cert', cert], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(result.code, 0, result.stderr);
    const sealed = JSON.parse(result.stdout) as Json;
    assert.equal(metadata(sealed)['namespace'], 'team-a');
    assert.deepEqual(opened(sealed, key.privateKeyPem, 'team-a/db'), PLAINTEXT);
  });

  test('is "default" when the context names none', async (t) => {
    const { cert, kubeconfig, key } = await offline(t, { contexts: CONTEXTS, currentContext: 'plain' });
    const result = await runCloak(['seal', '--cert', cert], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(result.code, 0, result.stderr);
    const sealed = JSON.parse(result.stdout) as Json;
    assert.equal(metadata(sealed)['namespace'], 'default');
    assert.deepEqual(opened(sealed, key.privateKeyPem, 'default/db'), PLAINTEXT);
  });

  test('--context selects another context and its namespace', async (t) => {
    const { cert, kubeconfig } = await offline(t, { contexts: CONTEXTS, currentContext: 'team-a-context' });
    const result = await runCloak(['seal', '--cert', cert, '--context', 'other'], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(metadata(JSON.parse(result.stdout) as Json)['namespace'], 'team-other');
  });

  test('-n wins over the context, and a namespace in the input needs no kubeconfig', async (t) => {
    const { cert, kubeconfig } = await offline(t, { contexts: CONTEXTS, currentContext: 'team-a-context' });
    const withFlag = await runCloak(['seal', '--cert', cert, '-n', 'explicit'], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.equal(metadata(JSON.parse(withFlag.stdout) as Json)['namespace'], 'explicit');

    const ownNamespace = await runCloak(['seal', '--cert', cert], { input: SECRET });
    assert.equal(ownNamespace.code, 0, ownNamespace.stderr);
    assert.equal(metadata(JSON.parse(ownNamespace.stdout) as Json)['namespace'], 'prod');
  });

  test('comes from ~/.kube/config when KUBECONFIG is unset', async (t) => {
    const { dir, cert } = await offline(t, {});
    const home = join(dir, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeTemp(
      join(home, '.kube'),
      'config',
      kubeconfigYaml({
        server: 'https://127.0.0.1:1',
        token: 'unused',
        contexts: [{ name: 'h', namespace: 'home-ns' }],
      }),
    );
    const result = await runCloak(['seal', '--cert', cert], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { HOME: home },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(metadata(JSON.parse(result.stdout) as Json)['namespace'], 'home-ns');
  });

  test('--raw without -n seals for the context namespace', async (t) => {
    const { cert, kubeconfig, key } = await offline(t, {
      contexts: CONTEXTS,
      currentContext: 'team-a-context',
    });
    const result = await runCloak(['seal', '--cert', cert, '--raw', '--name', 'db'], {
      input: 'raw-value',
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(independentDecrypt(key.privateKeyPem, result.stdout, 'team-a/db').toString(), 'raw-value');
  });

  test('without any kubeconfig it is the kubeseal error, and nothing is written', async (t) => {
    if (existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      t.skip('running inside a cluster: the service account counts as a kubeconfig');
      return;
    }
    const { dir, cert } = await offline(t, {});
    const home = join(dir, 'empty-home');
    await mkdir(home);
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '--cert', cert, '-w', out], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { HOME: home },
    });
    assertCleanError(result, /cannot infer the namespace automatically/);
    assert.equal(
      result.stderr,
      'error: input secret has no namespace and cannot infer the namespace automatically when no kube config is available\n',
    );
    await assertOnlyFiles(dir, ['cert.pem', 'empty-home', 'kubeconfig']);
  });

  test('an unknown --context is a clear error', async (t) => {
    const { dir, cert, kubeconfig } = await offline(t, {
      contexts: CONTEXTS,
      currentContext: 'team-a-context',
    });
    const out = join(dir, 'out.json');
    const result = await runCloak(['seal', '--cert', cert, '--context', 'nope', '-w', out], {
      input: SECRET_WITHOUT_NAMESPACE,
      env: { KUBECONFIG: kubeconfig },
    });
    assertCleanError(result, /^error: context "nope" does not exist in the kubeconfig\n$/);
    await assertOnlyFiles(dir, ['cert.pem', 'kubeconfig']);
  });
});

describe('SEALED_SECRETS_CONTROLLER_* environment variables', { concurrency: CONCURRENCY }, () => {
  test('name the controller Service', async (t) => {
    const { server, env } = await controller(t, { namespace: 'env-ns', name: 'env-sealer' });
    const result = await runCloak(['seal', '--fetch-cert'], {
      env: {
        ...env,
        SEALED_SECRETS_CONTROLLER_NAMESPACE: 'env-ns',
        SEALED_SECRETS_CONTROLLER_NAME: 'env-sealer',
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [
      'GET /api/v1/namespaces/env-ns/services/env-sealer',
      'GET /api/v1/namespaces/env-ns/services/http:env-sealer:http/proxy/v1/cert.pem',
    ]);
  });

  test('lose to the command-line flags', async (t) => {
    const key = await sealingKey();
    const { server, env } = await controller(t, { namespace: 'flag-ns', name: 'flag-sealer' });
    const result = await runCloak(
      ['seal', '--controller-namespace', 'flag-ns', '--controller-name', 'flag-sealer'],
      {
        input: SECRET,
        env: {
          ...env,
          SEALED_SECRETS_CONTROLLER_NAMESPACE: 'env-ns',
          SEALED_SECRETS_CONTROLLER_NAME: 'env-sealer',
        },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [
      'GET /api/v1/namespaces/flag-ns/services/flag-sealer',
      'GET /api/v1/namespaces/flag-ns/services/http:flag-sealer:http/proxy/v1/cert.pem',
    ]);
    assert.deepEqual(opened(JSON.parse(result.stdout) as Json, key.privateKeyPem, 'prod/db'), PLAINTEXT);
  });

  test('one from the environment and one from a flag combine', async (t) => {
    const { server, env } = await controller(t, { namespace: 'env-ns', name: 'flag-sealer' });
    const result = await runCloak(['seal', '--fetch-cert', '--controller-name', 'flag-sealer'], {
      env: {
        ...env,
        SEALED_SECRETS_CONTROLLER_NAMESPACE: 'env-ns',
        SEALED_SECRETS_CONTROLLER_NAME: 'env-sealer',
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(seen(server), [
      'GET /api/v1/namespaces/env-ns/services/flag-sealer',
      'GET /api/v1/namespaces/env-ns/services/http:flag-sealer:http/proxy/v1/cert.pem',
    ]);
  });
});
