import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCloak } from '../helpers/cli.ts';
import { sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../helpers/paths.ts';

interface KeySecret {
  apiVersion: string;
  kind: string;
  type: string;
  metadata: { generateName: string; namespace: string; labels: Record<string, string> };
  data: Record<string, string>;
}

test('keys generate → cert → fingerprint → seal → unseal', async (t) => {
  const dir = await tempDir(t);
  const keyFile = join(dir, 'key.yaml');
  const generated = await runCloak([
    'keys',
    'generate',
    '--bits',
    '2048',
    '--cn',
    'sealer',
    '--ttl',
    '720h',
    '-w',
    keyFile,
  ]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'a private key is written for its owner only');
  const secret = parse(readFileSync(keyFile, 'utf8')) as KeySecret;
  assert.equal(secret.kind, 'Secret');
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.deepEqual(secret.metadata, {
    generateName: 'sealed-secrets-key',
    namespace: 'kube-system',
    labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' },
    creationTimestamp: null,
  });
  assert.match(Buffer.from(secret.data['tls.key']!, 'base64').toString(), /^-----BEGIN RSA PRIVATE KEY-----/);

  const cert = await runCloak(['keys', 'cert', '-f', keyFile]);
  assert.equal(cert.code, 0, cert.stderr);
  assert.equal(cert.stdout, Buffer.from(secret.data['tls.crt']!, 'base64').toString());
  const certificate = new X509Certificate(cert.stdout);
  assert.equal(certificate.subject, 'CN=sealer');
  assert.equal(certificate.validToDate.getTime() - certificate.validFromDate.getTime(), 720 * 3600 * 1000);

  const certFile = await writeTemp(dir, 'cert.pem', cert.stdout);
  const fingerprints = await runCloak(['keys', 'fingerprint', '-f', keyFile, '-f', certFile]);
  const [fromKey, fromCert] = fingerprints.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[0]);
  assert.match(fromKey ?? '', /^SHA256:/);
  assert.equal(fromKey, fromCert);

  const sealed = await runCloak(['seal', '--cert', certFile], {
    input: 'kind: Secret\nmetadata: {name: a, namespace: b}\nstringData: {k: v}\n',
  });
  assert.equal(
    (JSON.parse(sealed.stdout) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
      'cloak.dev/sealing-key'
    ],
    fromKey,
  );
  const opened = await runCloak(['unseal', '-k', keyFile], { input: sealed.stdout });
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(
    (JSON.parse(opened.stdout) as { data: { k: string } }).data.k,
    Buffer.from('v').toString('base64'),
  );
});

test('keys generate options: JSON, namespace, prefix, labels and annotations; bad sizes refused', async () => {
  const result = await runCloak([
    'keys',
    'generate',
    '--bits',
    '2048',
    '-o',
    'json',
    '-n',
    'sealing',
    '--prefix',
    'my-key-',
    '--labels',
    'team=a',
    '--annotations',
    'note=byo',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const secret = JSON.parse(result.stdout) as KeySecret & {
    metadata: { annotations: Record<string, string> };
  };
  assert.equal(secret.metadata.generateName, 'my-key-');
  assert.equal(secret.metadata.namespace, 'sealing');
  assert.deepEqual(secret.metadata.labels, {
    team: 'a',
    'sealedsecrets.bitnami.com/sealed-secrets-key': 'active',
  });
  assert.deepEqual(secret.metadata.annotations, { note: 'byo' });
  const bad = await runCloak(['keys', 'generate', '--bits', '1024']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'error: unsupported key size 1024: use 2048, 3072, 4096\n');
  const badTtl = await runCloak(['keys', 'generate', '--ttl', '10 years']);
  assert.equal(badTtl.code, 2);
  assert.match(badTtl.stderr, /^error: invalid duration "10 years" for --ttl/);
});

test('keys cert: the newest key of a backup; a bare key gets a fresh certificate for the same key', async (t) => {
  const fromVector = await runCloak([
    'keys',
    'cert',
    '-f',
    `${SEALED_SECRETS_VECTORS}redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml`,
  ]);
  assert.equal(fromVector.code, 0, fromVector.stderr);
  assert.match(fromVector.stdout, /^-----BEGIN CERTIFICATE-----\n/);

  const key = await sealingKey();
  const dir = await tempDir(t);
  const bare = await writeTemp(dir, 'bare.pem', key.privateKeyPem);
  const made = await runCloak(['keys', 'cert', '-f', bare]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stderr, /holds no certificate; made a new self-signed one for its key/);
  const fingerprint = await runCloak([
    'keys',
    'fingerprint',
    '-f',
    await writeTemp(dir, 'made.pem', made.stdout),
  ]);
  assert.equal(fingerprint.stdout.split(' ')[0], key.fingerprint);
});
