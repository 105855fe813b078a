/**
 * `cloak reseal` offline, as a user runs it on a checkout: the real bin/cloak, real files (a SealedSecret made by
 * the real kubeseal with its published key, a multi-document file, a JSON file, a Helm template, copies under .git
 * and node_modules), private keys as the controller stores them. What changed is checked with an independent
 * decryptor and the newest key alone; what must not change is compared byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseManifests } from '../../src/manifests/decode.ts';
import { runCloak } from '../helpers/cli.ts';
import { independentDecrypt } from '../helpers/independent-sealed-secrets.ts';
import { keySecretYaml, sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../helpers/paths.ts';

const VECTOR = `${SEALED_SECRETS_VECTORS}amilstead__gitops-helm-workshop/`;
const STRANGER = `${SEALED_SECRETS_VECTORS}redhatcluster77__k8s-nginxapp-sot/sealedSecret.yaml`;

function encrypted(text: string, index = 0): Record<string, string> {
  const object = parseManifests(text, 'file')[index] as { spec: { encryptedData: Record<string, string> } };
  return object.spec.encryptedData;
}

test('offline with private keys: every SealedSecret file under a path, in place, and nothing else', async (t) => {
  const dir = await tempDir(t);
  const repo = join(dir, 'repo');
  for (const sub of ['apps/db', 'apps/api', '.git/objects', 'node_modules/pkg', 'charts/app/templates'])
    await mkdir(join(repo, sub), { recursive: true });
  const newKey = await sealingKey(2048, 'reseal-cli');
  const keys = await writeTemp(
    dir,
    'keys.yaml',
    `${await readFile(`${VECTOR}sealed-secrets-key.yaml`, 'utf8')}\n---\n${keySecretYaml(newKey, 'sealed-secrets-keynew01')}`,
  );

  // Made by the real kubeseal (no hint), with a comment a person added.
  const vector = await readFile(`${VECTOR}basic-auth.yaml`, 'utf8');
  const db = `# basic auth for the dashboard\n${vector}`;
  await writeFile(join(repo, 'apps/db/basic-auth.yaml'), db);
  // A bundle: a ConfigMap and the same SealedSecret, four-space indented, with comments.
  const configMap =
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: settings # keep\ndata:\n    a: "1"\n';
  const bundle = `${configMap}---\n${vector.replace(/^( +)/gm, '$1$1')}`;
  await writeFile(join(repo, 'apps/api/bundle.yml'), bundle);
  // JSON, as kubeseal writes it by default.
  const asJson = await runCloak(['seal', '--cert', `${VECTOR}pub-cert.pem`], {
    input: await readFile(`${VECTOR}basic-auth.json`),
  });
  assert.equal(asJson.code, 0, asJson.stderr);
  await writeFile(join(repo, 'apps/api/basic-auth.json'), asJson.stdout);
  // Not ours to touch: Git's objects, dependencies, a Helm template that is not YAML yet, a plain Secret.
  const untouched: Record<string, string> = {
    '.git/objects/basic-auth.yaml': vector,
    'node_modules/pkg/basic-auth.yaml': vector,
    'charts/app/templates/sealed.yaml':
      'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData: {{- toYaml .Values.sealed | nindent 4 }}\n',
    'apps/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain # mentions SealedSecret\n',
  };
  for (const [path, content] of Object.entries(untouched)) await writeFile(join(repo, path), content);

  const key = ['--recovery-private-key', keys];

  // --dry-run: the list, and not a byte written.
  const dry = await runCloak(['reseal', '--dry-run', ...key, 'repo'], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    [
      'would re-seal repo/apps/api/basic-auth.json: prod/basic-auth',
      'would re-seal repo/apps/api/bundle.yml: prod/basic-auth',
      'would re-seal repo/apps/db/basic-auth.yaml: prod/basic-auth',
      '',
    ].join('\n'),
  );
  assert.match(
    dry.stderr,
    /^reseal \(dry run\) \[1\/5\] repo\/apps\/api\/basic-auth\.json: would re-seal 1$/m,
  );
  assert.match(dry.stderr, /warning: skipped repo\/charts\/app\/templates\/sealed\.yaml: invalid YAML/);
  assert.match(
    dry.stderr,
    /^reseal: 3 files would be re-sealed \(3 SealedSecrets\), 0 already current, 0 failed, 1 skipped \(not valid YAML or JSON\); 3 files with SealedSecrets$/m,
  );
  assert.equal(await readFile(join(repo, 'apps/db/basic-auth.yaml'), 'utf8'), db);

  const run = await runCloak(['reseal', ...key], { cwd: repo });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^reseal: 3 files re-sealed \(3 SealedSecrets\)/m);

  // Each file: the values open with the new key alone, to what they were; the rest of the text is as it was.
  const resealedDb = await readFile(join(repo, 'apps/db/basic-auth.yaml'), 'utf8');
  const resealedBundle = await readFile(join(repo, 'apps/api/bundle.yml'), 'utf8');
  const resealedJson = await readFile(join(repo, 'apps/api/basic-auth.json'), 'utf8');
  for (const [text, index] of [
    [resealedDb, 0],
    [resealedBundle, 1],
    [resealedJson, 0],
  ] as const) {
    const values = encrypted(text, index);
    for (const item of ['user', 'password'])
      assert.equal(
        independentDecrypt(newKey.privateKey, values[item] ?? '', 'prod/basic-auth').toString(),
        'admin',
      );
    const object = parseManifests(text, 'file')[index] as {
      metadata: { annotations: Record<string, string> };
    };
    assert.equal(object.metadata.annotations['cloak.dev/sealing-key'], newKey.fingerprint);
  }
  const old = encrypted(vector);
  const fresh = encrypted(resealedDb);
  assert.equal(
    resealedDb,
    db
      .replace(old['user'] ?? '', fresh['user'] ?? '')
      .replace(old['password'] ?? '', fresh['password'] ?? '')
      .replace(
        '  creationTimestamp: null\n  name: basic-auth',
        `  annotations:\n    cloak.dev/sealing-key: ${newKey.fingerprint}\n  creationTimestamp: null\n  name: basic-auth`,
      ),
  );
  assert.ok(resealedBundle.startsWith(`${configMap}---\n`));
  for (const [path, content] of Object.entries(untouched))
    assert.equal(await readFile(join(repo, path), 'utf8'), content, path);

  // Again: everything is current, and no file is written.
  const modified = (await stat(join(repo, 'apps/db/basic-auth.yaml'))).mtimeMs;
  const again = await runCloak(['reseal', ...key, '.'], { cwd: repo });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /^reseal: 0 files re-sealed \(0 SealedSecrets\), 3 already current, 0 failed/m);
  assert.equal((await stat(join(repo, 'apps/db/basic-auth.yaml'))).mtimeMs, modified);
});

test('a file with a SealedSecret no key opens is left as it was, the others are written, and the exit status is 1', async (t) => {
  const dir = await tempDir(t);
  const newKey = await sealingKey(2048, 'reseal-cli');
  const keys = await writeTemp(
    dir,
    'keys.yaml',
    `${await readFile(`${VECTOR}sealed-secrets-key.yaml`, 'utf8')}\n---\n${keySecretYaml(newKey, 'sealed-secrets-keynew01')}`,
  );
  const vector = await readFile(`${VECTOR}basic-auth.yaml`, 'utf8');
  const stranger = await readFile(STRANGER, 'utf8');
  // One file with an openable SealedSecret and one sealed for another cluster: the whole file stays.
  const mixed = `${vector}---\n${stranger}`;
  await writeTemp(dir, 'mixed.yaml', mixed);
  await writeTemp(dir, 'good.yaml', vector);
  const run = await runCloak(['reseal', '--recovery-private-key', keys, 'mixed.yaml', 'good.yaml'], {
    cwd: dir,
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^error: mixed\.yaml \(document 2\): no key could decrypt secret \(/m);
  assert.match(run.stderr, /^reseal \[1\/2\] mixed\.yaml: failed, left as it was$/m);
  assert.match(run.stderr, /^reseal: 1 file re-sealed \(1 SealedSecret\), 0 already current, 1 failed/m);
  assert.equal(run.stdout, 're-sealed good.yaml: prod/basic-auth\n');
  assert.equal(await readFile(join(dir, 'mixed.yaml'), 'utf8'), mixed);
  assert.notEqual(await readFile(join(dir, 'good.yaml'), 'utf8'), vector);
});

test('--cert seals for a certificate whose private key is elsewhere (another cluster); usage errors', async (t) => {
  const dir = await tempDir(t);
  const target = await sealingKey(2048, 'reseal-target');
  const cert = await writeTemp(dir, 'target.pem', target.certificatePem);
  await writeTemp(dir, 'db.yaml', await readFile(`${VECTOR}basic-auth.yaml`, 'utf8'));
  const run = await runCloak(
    ['reseal', '--recovery-private-key', `${VECTOR}sealed-secrets-key.yaml`, '--cert', cert, 'db.yaml'],
    { cwd: dir },
  );
  assert.equal(run.code, 0, run.stderr);
  const values = encrypted(await readFile(join(dir, 'db.yaml'), 'utf8'));
  assert.equal(
    independentDecrypt(target.privateKey, values['password'] ?? '', 'prod/basic-auth').toString(),
    'admin',
  );

  const withoutKeys = await runCloak(['reseal', '--cert', cert, 'db.yaml'], { cwd: dir });
  assert.equal(withoutKeys.code, 2);
  assert.match(withoutKeys.stderr, /^error: --cert needs --recovery-private-key/);
  const missing = await runCloak(['reseal', '--recovery-private-key', cert, 'nowhere'], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: nowhere: no such file or directory\n');
});
