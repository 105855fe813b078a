import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encryptSecretItem } from '@linode/kubeseal-encrypt';
import { parse } from 'yaml';
import { runCloak } from '../helpers/cli.ts';
import { independentEncrypt } from '../helpers/independent-sealed-secrets.ts';
import { keySecretYaml, sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../helpers/paths.ts';

const V = SEALED_SECRETS_VECTORS;

interface SecretOutput {
  metadata: { name: string; namespace: string };
  data: Record<string, string>;
}

function decoded(secret: SecretOutput): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
}

test('cloak unseal opens real vectors with every key file form', async () => {
  const list = await runCloak([
    'unseal',
    '--key',
    `${V}butterv__secret-sample-manifests/sealed-secrets-key.yaml`,
    '-f',
    `${V}butterv__secret-sample-manifests/overlays-local-server-sealed-secret.yaml`,
  ]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(decoded(JSON.parse(list.stdout) as SecretOutput), {
    MYSQL_HOST: 'localhost',
    MYSQL_PASSWORD: 'password',
    MYSQL_USER: 'root',
  });

  const pem = await runCloak(
    [
      'unseal',
      '-k',
      `${V}AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.key`,
      '-o',
      'yaml',
    ],
    {
      input: readFileSync(
        `${V}AndiDog__argo-cd-comparisonerror-control-repo/some-sealed-secret@7d42063.yaml`,
      ),
    },
  );
  assert.equal(pem.code, 0, pem.stderr);
  assert.match(pem.stdout, /^---\napiVersion: v1\ndata:\n {2}a: Yg==\nkind: Secret\n/);
});

test('kubeseal --recovery-unseal works with comma-separated and repeated keys', async () => {
  const keys = [
    `${V}amilstead__gitops-helm-workshop/sealed-secrets-key.yaml`,
    `${V}madpearl__helm-operator-get-started/sealed-secrets-key.yaml`,
    `${V}redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml`,
  ];
  const input = [
    readFileSync(`${V}amilstead__gitops-helm-workshop/basic-auth.yaml`, 'utf8'),
    readFileSync(`${V}madpearl__helm-operator-get-started/releases-dev-basic-auth.yaml`, 'utf8'),
    readFileSync(`${V}redhatcluster77__k8s-nginxapp-sot/sealedSecret.yaml`, 'utf8'),
  ].join('\n---\n');
  const result = await runCloak(
    [
      'seal',
      '--recovery-unseal',
      '--recovery-private-key',
      `${keys[0]},${keys[1]}`,
      '--recovery-private-key',
      keys[2]!,
      '-o',
      'yaml',
    ],
    { input },
  );
  assert.equal(result.code, 0, result.stderr);
  const secrets = result.stdout
    .split(/^---\n/m)
    .filter(Boolean)
    .map((doc) => parse(doc) as SecretOutput);
  assert.deepEqual(
    secrets.map((secret) => `${secret.metadata.namespace}/${secret.metadata.name}`),
    ['prod/basic-auth', 'dev/basic-auth', 'fluxcdtutorial/my-secret'],
  );
  assert.deepEqual(decoded(secrets[2]!), { password: 'username', username: 'password' });
});

test('seal → unseal round trip with a generated key Secret, output file mode 0600', async (t) => {
  const key = await sealingKey();
  const dir = await tempDir(t);
  const cert = await writeTemp(dir, 'cert.pem', key.certificatePem);
  const keyFile = await writeTemp(dir, 'key.yaml', keySecretYaml(key));
  const sealed = await runCloak(['seal', '--cert', cert], {
    input: 'kind: Secret\nmetadata: {name: a, namespace: b}\nstringData: {x: "1", y: "2"}\n',
  });
  const out = join(dir, 'secret.yaml');
  const opened = await runCloak(['unseal', '-k', keyFile, '-w', out], { input: sealed.stdout });
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  assert.deepEqual(decoded(parse(readFileSync(out, 'utf8')) as SecretOutput), { x: '1', y: '2' });
});

test('values sealed by @linode/kubeseal-encrypt (namespace-wide) unseal with cloak unseal', async (t) => {
  const key = await sealingKey();
  const dir = await tempDir(t);
  const keyFile = await writeTemp(dir, 'key.pem', key.privateKeyPem);
  const publicKeyPem = createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const value = await encryptSecretItem(publicKeyPem, 'team-a', 'from another encryptor');
  const sealed = {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: {
      name: 'x',
      namespace: 'team-a',
      annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
    },
    spec: { encryptedData: { token: value } },
  };
  const result = await runCloak(['unseal', '-k', keyFile], { input: JSON.stringify(sealed) });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(decoded(JSON.parse(result.stdout) as SecretOutput), { token: 'from another encryptor' });
});

test('many values are opened on worker threads with the same result', async (t) => {
  const key = await sealingKey();
  const dir = await tempDir(t);
  const keyFile = await writeTemp(dir, 'key.pem', key.privateKeyPem);
  const documents = Array.from({ length: 6 }, (_, index) => ({
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: `s${index}`, namespace: 'ns' },
    spec: {
      encryptedData: Object.fromEntries(
        Array.from({ length: 5 }, (_, item) => [
          `k${item}`,
          independentEncrypt(key.certificatePem, Buffer.from(`${index}.${item}`), `ns/s${index}`),
        ]),
      ),
    },
  }));
  const input = documents.map((document) => JSON.stringify(document)).join('\n');
  const pooled = await runCloak(['unseal', '-k', keyFile, '--workers', '2'], { input });
  const inline = await runCloak(['unseal', '-k', keyFile, '--workers', '0'], { input });
  assert.equal(pooled.code, 0, pooled.stderr);
  assert.equal(pooled.stdout, inline.stdout);
  assert.equal(pooled.stdout.match(/"kind": "Secret"/g)?.length, 6);
});

test('bad sealed input: one line per failing object, non-zero exit, no output file', async (t) => {
  const key = await sealingKey();
  const other = await sealingKey(2048, 'other');
  const dir = await tempDir(t);
  const keyFile = await writeTemp(dir, 'key.pem', key.privateKeyPem);
  const good = independentEncrypt(key.certificatePem, Buffer.from('v'), 'ns/good');
  const sealedSecret = (name: string, encryptedData: Record<string, string>) =>
    JSON.stringify({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name, namespace: 'ns' },
      spec: { encryptedData },
    });
  const cases: { name: string; input: string; message: string }[] = [
    {
      name: 'corrupted base64',
      input: sealedSecret('good', { a: `${good.slice(0, 20)}*${good.slice(21)}` }),
      message: 'error: ns/good: a: illegal base64 data at input byte 20',
    },
    {
      name: 'truncated ciphertext',
      input: sealedSecret('good', { a: good.slice(0, 200) }),
      message: 'error: ns/good: a: SealedSecret data is too short',
    },
    {
      name: 'wrong key',
      input: sealedSecret('good', {
        a: independentEncrypt(other.certificatePem, Buffer.from('v'), 'ns/good'),
      }),
      message: 'error: ns/good: no key could decrypt secret (a)',
    },
    {
      name: 'label mismatch (renamed)',
      input: sealedSecret('renamed', { a: good, b: good }),
      message: 'error: ns/renamed: no key could decrypt secret (a, b)',
    },
    {
      name: 'not a SealedSecret',
      input: 'kind: Secret\n',
      message: 'error: stdin: expected a SealedSecret, found kind "Secret"',
    },
    { name: 'not YAML', input: 'spec: {encryptedData: [\n', message: 'error: stdin: invalid YAML' },
  ];
  for (const { name, input, message } of cases) {
    const out = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    const result = await runCloak(['unseal', '-k', keyFile, '-w', out], { input });
    assert.equal(result.code, 1, name);
    assert.ok(result.stderr.startsWith(message), `${name}: ${result.stderr}`);
    assert.equal(result.stderr.split('\n').length, 2, `${name}: one line`);
    assert.equal(existsSync(out), false, `${name}: no output file`);
  }
  const both = await runCloak(['unseal', '-k', keyFile], {
    input: `${sealedSecret('good', { a: good })}\n${sealedSecret('x', { a: good })}\n${sealedSecret('y', { b: good })}`,
  });
  assert.equal(both.code, 1);
  assert.equal(both.stdout, '', 'nothing is printed unless every object opens');
  assert.equal(
    both.stderr,
    'error: ns/x: no key could decrypt secret (a)\nerror: ns/y: no key could decrypt secret (b)\n',
  );
  const noKey = await runCloak(['unseal'], { input: sealedSecret('good', { a: good }) });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /required option '-k, --key <files>' not specified/);
  const missingKeyFile = await runCloak(['unseal', '-k', join(dir, 'missing.pem')], {
    input: sealedSecret('good', { a: good }),
  });
  assert.equal(
    missingKeyFile.stderr,
    `error: cannot read ${join(dir, 'missing.pem')}: no such file or directory\n`,
  );
});

test('cloak unseal renders spec.template.data as the controller does (sprig, item name → plaintext)', async (t) => {
  const dir = await tempDir(t);
  const sealed = parse(
    readFileSync(`${V}butterv__secret-sample-manifests/overlays-local-server-sealed-secret.yaml`, 'utf8'),
  ) as { spec: { template?: { data?: Record<string, string | null> } } };
  sealed.spec.template ??= {};
  sealed.spec.template.data = {
    dsn: 'mysql://{{ .MYSQL_USER }}:{{ .MYSQL_PASSWORD }}@{{ .MYSQL_HOST | upper }}/db',
    'all.json': '{{ toJson . }}',
    MYSQL_HOST: '{{ .MYSQL_HOST }}:3306',
    digest: '{{ .MYSQL_USER | sha256sum }}',
    MYSQL_PASSWORD: null,
  };
  const file = await writeTemp(dir, 'templated.json', JSON.stringify(sealed));
  const key = `${V}butterv__secret-sample-manifests/sealed-secrets-key.yaml`;
  const result = await runCloak(['unseal', '--key', key, '-f', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(decoded(JSON.parse(result.stdout) as SecretOutput), {
    MYSQL_HOST: 'localhost:3306',
    MYSQL_USER: 'root',
    'all.json': '{"MYSQL_HOST":"localhost","MYSQL_PASSWORD":"password","MYSQL_USER":"root"}',
    digest: createHash('sha256').update('root').digest('hex'),
    dsn: 'mysql://root:password@LOCALHOST/db',
  });

  sealed.spec.template.data = { ok: '{{ .MYSQL_USER }}', bad: '{{ .MYSQL_USER | nosuchfunc }}' };
  const broken = await writeTemp(dir, 'broken.json', JSON.stringify(sealed));
  const failed = await runCloak(['unseal', '--key', key, '-f', broken]);
  assert.equal(failed.code, 1);
  assert.equal(failed.stdout, '');
  assert.match(
    failed.stderr,
    /^error: .*spec\.template\.data: bad: template: bad:1: function "nosuchfunc" not defined\n$/,
  );
});
