import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { toKubeYaml } from '../../src/manifests/encode.ts';
import {
  certificateForKey,
  generateSealingKey,
  keySecret,
  SEALING_KEY_LABEL,
} from '../../src/sealing/keygen.ts';
import { Keyring } from '../../src/sealing/keyring.ts';
import {
  parsePrivateKeyFile,
  parseSealingCertificate,
  publicKeyFingerprint,
  type SealingKey,
} from '../../src/sealing/keys.ts';
import { ecCertificate, expiredRsaCertificate, sealingKey, tempDir, writeTemp } from '../helpers/keys.ts';

test('fingerprints are the SSH SHA-256 fingerprints ssh-keygen prints', async (t) => {
  const key = await sealingKey();
  const dir = await tempDir(t);
  const spki = await writeTemp(
    dir,
    'pub.pem',
    createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }),
  );
  const openssh = execFileSync('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', spki]);
  const listed = execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: openssh }).toString();
  assert.equal(listed.split(' ')[1], publicKeyFingerprint(key.privateKey));
  assert.equal(key.fingerprint, publicKeyFingerprint(key.privateKey));
});

test("generated certificates carry the controller's fields", async (t) => {
  const now = new Date('2026-03-04T05:06:07.890Z');
  const key = await generateSealingKey({ bits: 2048, commonName: '', validityMs: 87600 * 3600 * 1000, now });
  const certificate = new X509Certificate(key.certificatePem);
  assert.equal(certificate.subject ?? '', '', 'empty subject, as the controller without --my-cn');
  assert.equal(certificate.issuer ?? '', '');
  // BasicConstraints says CA, but KeyUsage lacks keyCertSign, so OpenSSL (and node's `ca`) say false, exactly
  // as for the controller's own certificates; the extensions are checked with openssl below.
  assert.equal(certificate.ca, false);
  assert.equal(certificate.validFromDate.toISOString(), '2026-03-04T05:06:07.000Z');
  assert.equal(certificate.validToDate.toISOString(), '2036-03-01T05:06:07.000Z');
  assert.ok(BigInt(`0x${certificate.serialNumber}`) < 2n ** 128n);
  assert.ok(certificate.verify(certificate.publicKey), 'self-signed');

  const dir = await tempDir(t);
  const text = execFileSync('openssl', [
    'x509',
    '-noout',
    '-text',
    '-in',
    await writeTemp(dir, 'c.pem', key.certificatePem),
  ]).toString();
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(text, /X509v3 Key Usage: critical\s+Encipher Only/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
  const ski = /X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/
    .exec(text)?.[1]
    ?.replace(/:/g, '')
    .toLowerCase();
  const expected = createHash('sha1')
    .update(createPublicKey(key.privateKey).export({ type: 'pkcs1', format: 'der' }))
    .digest('hex');
  assert.equal(ski, expected);
  assert.match(key.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----/);

  const named = new X509Certificate(
    await certificateForKey(key.privateKey, { commonName: 'sealer', validityMs: 3600e3, now }),
  );
  assert.equal(named.subject, 'CN=sealer');
  assert.equal(publicKeyFingerprint(named.publicKey), key.fingerprint);
});

test("key Secrets look like the controller's and read back", async () => {
  const key = await sealingKey();
  const secret = keySecret(key, { namespace: 'kube-system', labels: { team: 'a' } });
  assert.deepEqual(secret.metadata, {
    generateName: 'sealed-secrets-key',
    labels: { team: 'a', [SEALING_KEY_LABEL]: 'active' },
    namespace: 'kube-system',
  });
  assert.equal(secret.type, 'kubernetes.io/tls');
  const [read] = parsePrivateKeyFile(toKubeYaml(secret), 'key.yaml');
  assert.equal(read?.fingerprint, key.fingerprint);
  assert.equal(read?.certificatePem, key.certificatePem);
  assert.equal(read?.createdAt?.getTime(), key.notBefore.getTime());
});

test('key files: PKCS#8 PEM, PEM with its certificate, and clear errors for everything else', async () => {
  const key = await sealingKey();
  const pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.equal(parsePrivateKeyFile(pkcs8, 'k')[0]?.fingerprint, key.fingerprint);
  const bundle = parsePrivateKeyFile(`${key.certificatePem}${key.privateKeyPem}`, 'bundle')[0];
  assert.equal(bundle?.certificatePem?.trim(), key.certificatePem.trim());

  assert.throws(() => parsePrivateKeyFile('kind: Secret\ndata: {}\n', 'k.yaml'), {
    message: "k.yaml: secret must contain a 'tls.key' key",
  });
  assert.throws(
    () => parsePrivateKeyFile('kind: ConfigMap\n', 'k.yaml'),
    /k\.yaml: expected a key Secret, found kind ConfigMap/,
  );
  assert.throws(() => parsePrivateKeyFile('not: [yaml', 'k'), {
    message: /^k: not a PEM private key, a key Secret or a List of key Secrets/,
  });
  assert.throws(
    () =>
      parsePrivateKeyFile(
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n',
        'k',
      ),
    {
      message: 'k: encrypted private keys are not supported',
    },
  );
  assert.throws(
    () => parsePrivateKeyFile('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n', 'k'),
    /k: cannot parse private key/,
  );
  assert.throws(() => parsePrivateKeyFile('', 'k'), { message: 'k: no private key found' });
});

test('certificates for sealing must be RSA and unexpired', async () => {
  const expired = await expiredRsaCertificate();
  const ec = await ecCertificate();
  assert.throws(() => parseSealingCertificate(expired, 'old.pem', new Date()), {
    code: 'ERR_CERT_EXPIRED',
    message: 'old.pem: failed to encrypt using an expired certificate on June 15, 2021',
  });
  assert.throws(() => parseSealingCertificate(ec, 'ec.pem', new Date()), {
    code: 'ERR_CERT_NOT_RSA',
    message: 'ec.pem: expected RSA public key but found EC key',
  });
  assert.throws(() => parseSealingCertificate('hello', 'x.pem', new Date()), {
    message: 'x.pem: no PEM certificate found',
  });
});

test('keyring: hinted key first, then newest first; duplicates collapse', async () => {
  const [a, b, c] = await Promise.all([sealingKey(2048, 'a'), sealingKey(2048, 'b'), sealingKey(2048, 'c')]);
  const keys: SealingKey[] = [
    {
      privateKey: a.privateKey,
      fingerprint: a.fingerprint,
      source: 'a',
      createdAt: new Date('2020-01-01'),
    },
    { privateKey: b.privateKey, fingerprint: b.fingerprint, source: 'b' },
    {
      privateKey: c.privateKey,
      fingerprint: c.fingerprint,
      source: 'c',
      createdAt: new Date('2024-01-01'),
    },
    { privateKey: a.privateKey, fingerprint: a.fingerprint, source: 'a again' },
  ];
  const keyring = new Keyring(keys);
  assert.equal(keyring.size, 3);
  assert.deepEqual(
    keyring.candidates().map((key) => key.source),
    ['c', 'a', 'b'],
  );
  assert.deepEqual(
    keyring.candidates(b.fingerprint).map((key) => key.source),
    ['b', 'c', 'a'],
  );
  assert.deepEqual(
    keyring.candidates('SHA256:unknown').map((key) => key.source),
    ['c', 'a', 'b'],
  );
  assert.equal(keyring.newest?.source, 'c');
});
