import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { generateSealingKey, keySecret, type GeneratedKey } from '../../src/sealing/keygen.ts';
import { toKubeYaml } from '../../src/manifests/encode.ts';

const cache = new Map<string, Promise<GeneratedKey>>();

/** A controller-style key and certificate, made once per size and name within a test process. */
export function sealingKey(bits = 2048, name = 'default'): Promise<GeneratedKey> {
  const id = `${bits}/${name}`;
  let key = cache.get(id);
  if (!key) {
    key = generateSealingKey({ bits, commonName: '', validityMs: 24 * 3600 * 1000, now: new Date() });
    cache.set(id, key);
  }
  return key;
}

export function keySecretYaml(key: GeneratedKey, name = 'sealed-secrets-keyabcde'): string {
  const secret = keySecret(key, { namespace: 'kube-system' });
  secret.metadata.name = name;
  return toKubeYaml(secret);
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeTemp(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const RSA_SIGNING = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/** A self-signed RSA certificate whose validity ended a year ago. */
export async function expiredRsaCertificate(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(RSA_SIGNING, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=expired',
      keys,
      notBefore: new Date(Date.UTC(2020, 0, 1)),
      notAfter: new Date(Date.UTC(2021, 5, 15)),
      signingAlgorithm: RSA_SIGNING,
    },
    webcrypto,
  );
  return certificate.toString('pem');
}

/** A valid self-signed ECDSA P-256 certificate: sealing needs RSA, so this must be refused. */
export async function ecCertificate(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=ec',
      keys,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: algorithm,
    },
    webcrypto,
  );
  return certificate.toString('pem');
}
