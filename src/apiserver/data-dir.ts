/**
 * The data directory of a local control plane: its CA and serving certificate, the ServiceAccount token
 * signing key, the admin token, and (with SQLite) the database. Made on first start, reused afterwards so a
 * restarted server keeps its kubeconfigs valid. Every secret file is mode 0600 in a 0700 directory, written
 * atomically.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.ts';
import { toKubeYaml } from '../manifests/encode.ts';
import {
  certificateHosts,
  generateCertificateAuthority,
  issueServingCertificate,
  type CertificateAuthority,
} from './server/pki.ts';

export interface DataDirMaterial {
  ca: CertificateAuthority;
  serving: { certificatePem: string; privateKeyPem: string };
  signingKey: KeyObject;
  adminToken: string;
}

const SECRET_FILE = { mode: 0o600, forceMode: true };

export async function prepareDataDir(
  dir: string,
  hosts: readonly string[],
  now: Date,
): Promise<DataDirMaterial> {
  await mkdir(join(dir, 'pki'), { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCa(dir, now);
  const serving = await loadOrIssueServing(dir, ca, hosts, now);
  const signingKey = await loadOrCreateSigningKey(dir);
  const adminToken = await loadOrCreate(
    join(dir, 'admin.token'),
    () => `${randomBytes(32).toString('base64url')}\n`,
  );
  return { ca, serving, signingKey, adminToken: adminToken.trim() };
}

async function loadOrCreateCa(dir: string, now: Date): Promise<CertificateAuthority> {
  const certificatePath = join(dir, 'pki', 'ca.crt');
  const keyPath = join(dir, 'pki', 'ca.key');
  const existing = await readPair(certificatePath, keyPath);
  if (existing) return { certificatePem: existing[0], privateKeyPem: existing[1] };
  const ca = await generateCertificateAuthority('cloak-dev-cluster-ca', now);
  await writeFileAtomic(keyPath, ca.privateKeyPem, SECRET_FILE);
  await writeFileAtomic(certificatePath, ca.certificatePem);
  return ca;
}

/** The serving certificate is re-issued when the listen address is not among its names, or it is expiring. */
async function loadOrIssueServing(
  dir: string,
  ca: CertificateAuthority,
  hosts: readonly string[],
  now: Date,
) {
  const certificatePath = join(dir, 'pki', 'apiserver.crt');
  const keyPath = join(dir, 'pki', 'apiserver.key');
  const existing = await readPair(certificatePath, keyPath);
  if (existing) {
    const covered = await certificateHosts(existing[0]);
    const fresh = covered.notAfter.getTime() - now.getTime() > 7 * 86_400_000;
    if (fresh && hosts.every((host) => covered.hosts.includes(host)))
      return { certificatePem: existing[0], privateKeyPem: existing[1] };
  }
  const serving = await issueServingCertificate(ca, [...hosts, '127.0.0.1', 'localhost'], now);
  await writeFileAtomic(keyPath, serving.privateKeyPem, SECRET_FILE);
  await writeFileAtomic(certificatePath, serving.certificatePem);
  return serving;
}

async function loadOrCreateSigningKey(dir: string): Promise<KeyObject> {
  const pem = await loadOrCreate(join(dir, 'pki', 'sa.key'), () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  });
  return createPrivateKey(pem);
}

async function loadOrCreate(path: string, make: () => string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const content = make();
  await writeFileAtomic(path, content, SECRET_FILE);
  return content;
}

async function readPair(first: string, second: string): Promise<[string, string] | undefined> {
  try {
    return [await readFile(first, 'utf8'), await readFile(second, 'utf8')];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface KubeconfigRequest {
  server: string;
  caPem: string;
  token: string;
  name?: string | undefined;
}

/** A kubeconfig for the admin user: the server, its CA, and the bearer token. */
export function adminKubeconfig({ server, caPem, token, name = 'cloak-dev' }: KubeconfigRequest): string {
  return toKubeYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content, SECRET_FILE);
}
