/**
 * The Sealed Secrets vectors (../shared/vectors/sealed-secrets: files made by the real kubeseal and
 * controller) as a controller test needs them: their keys installed as controller keys, the way a Bitnami
 * controller left them in kube-system, the namespaces their SealedSecrets live in, and what each SealedSecret
 * must unseal to. Also small kubectl readers shared by the operator tests.
 */
import { readFileSync } from 'node:fs';
import type { Secret } from '../../src/kube/objects.ts';
import { expandLists, parseManifests } from '../../src/manifests/decode.ts';
import { toKubeYaml } from '../../src/manifests/encode.ts';
import { kubectlOk, type DevCluster } from './dev-cluster.ts';
import { eventually } from './operator.ts';
import { SEALED_SECRETS_VECTORS } from './paths.ts';

export const vector = (path: string): string => readFileSync(`${SEALED_SECRETS_VECTORS}${path}`, 'utf8');

const KEY_FILES = [
  'butterv__secret-sample-manifests/sealed-secrets-key.yaml',
  'amilstead__gitops-helm-workshop/sealed-secrets-key.yaml',
  'madpearl__helm-operator-get-started/sealed-secrets-key.yaml',
  'redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml',
];

/** A key kept as a certificate and a private key file: installed as a `kubernetes.io/tls` Secret. */
const KEY_PAIR = 'AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master';

/** How many keys `installVectorKeys` installs. */
export const VECTOR_KEY_COUNT = 5;

export const VECTOR_NAMESPACES = ['prod', 'dev', 'fluxcdtutorial'];

export interface ExpectedSecret {
  file: string;
  namespace: string;
  name: string;
  values: Record<string, string>;
}

export interface SealedSecretVector extends ExpectedSecret {
  /** What the vector shows. */
  description: string;
  /** The private key file (in any form the CLI reads) that opens it. */
  keyFile: string;
}

/** Every SealedSecret vector that unseals: the key file that opens it, and the Secret it unseals to. */
export const SEALED_SECRET_VECTORS: readonly SealedSecretVector[] = [
  {
    description: 'butterv: List backup, overlay file',
    keyFile: 'butterv__secret-sample-manifests/sealed-secrets-key.yaml',
    file: 'butterv__secret-sample-manifests/overlays-local-server-sealed-secret.yaml',
    namespace: 'default',
    name: 'sample-secret',
    values: { MYSQL_HOST: 'localhost', MYSQL_PASSWORD: 'password', MYSQL_USER: 'root' },
  },
  {
    description: 'butterv: List backup, base file at ca26344',
    keyFile: 'butterv__secret-sample-manifests/sealed-secrets-key.yaml',
    file: 'butterv__secret-sample-manifests/base-server-sealed-secret@ca26344.yaml',
    namespace: 'default',
    name: 'sample-secret',
    values: { MYSQL_HOST: 'localhost', MYSQL_PASSWORD: 'password', MYSQL_USER: 'root' },
  },
  {
    description: 'amilstead: single key Secret with only generateName, 0.9-era output with status: {}',
    keyFile: 'amilstead__gitops-helm-workshop/sealed-secrets-key.yaml',
    file: 'amilstead__gitops-helm-workshop/basic-auth.yaml',
    namespace: 'prod',
    name: 'basic-auth',
    values: { user: 'admin', password: 'admin' },
  },
  {
    description: 'madpearl: key Secret with managedFields',
    keyFile: 'madpearl__helm-operator-get-started/sealed-secrets-key.yaml',
    file: 'madpearl__helm-operator-get-started/releases-dev-basic-auth.yaml',
    namespace: 'dev',
    name: 'basic-auth',
    values: { user: 'admin', password: 'admin' },
  },
  {
    description: 'redhatcluster77: 2025 controller key (certificate with SKID)',
    keyFile: 'redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml',
    file: 'redhatcluster77__k8s-nginxapp-sot/sealedSecret.yaml',
    namespace: 'fluxcdtutorial',
    name: 'my-secret',
    values: { password: 'username', username: 'password' },
  },
  {
    description: 'AndiDog: bare PKCS#1 PEM key',
    keyFile: 'AndiDog__argo-cd-comparisonerror-control-repo/sealed-secrets-master.key',
    file: 'AndiDog__argo-cd-comparisonerror-control-repo/some-sealed-secret@7d42063.yaml',
    namespace: 'default',
    name: 'doesntmatter',
    values: { a: 'b' },
  },
];

/** One vector per Secret (a cluster holds one of each name): what the controller tests apply. */
export const EXPECTED: readonly ExpectedSecret[] = SEALED_SECRET_VECTORS.filter(
  (vector, index, all) =>
    all.findIndex((other) => other.namespace === vector.namespace && other.name === vector.name) === index,
);

/** The key Secrets as a Bitnami controller left them, moved into kube-system with server-side fields dropped. */
export function vectorKeySecrets(): string {
  const secrets: Record<string, unknown>[] = [];
  for (const file of KEY_FILES) {
    for (const object of expandLists(parseManifests(vector(file), file), file)) {
      const metadata = { ...(object['metadata'] as Record<string, unknown>) };
      for (const field of ['uid', 'resourceVersion', 'selfLink', 'creationTimestamp', 'managedFields'])
        delete metadata[field];
      secrets.push({ ...object, metadata: { ...metadata, namespace: 'kube-system' } });
    }
  }
  return secrets.map((secret) => `---\n${toKubeYaml(secret)}`).join('');
}

/** Creates the vectors' namespaces and installs their keys (VECTOR_KEY_COUNT of them) in kube-system. */
export async function installVectorKeys(cluster: DevCluster): Promise<void> {
  for (const namespace of VECTOR_NAMESPACES) await kubectlOk(cluster, ['create', 'namespace', namespace]);
  await kubectlOk(cluster, ['create', '-f', '-'], vectorKeySecrets());
  await kubectlOk(cluster, [
    ...['create', 'secret', 'tls', 'sealed-secrets-keyandid', '-n', 'kube-system'],
    `--cert=${SEALED_SECRETS_VECTORS}${KEY_PAIR}.crt`,
    `--key=${SEALED_SECRETS_VECTORS}${KEY_PAIR}.key`,
  ]);
  await kubectlOk(cluster, [
    ...['label', 'secret', 'sealed-secrets-keyandid', '-n', 'kube-system'],
    'sealedsecrets.bitnami.com/sealed-secrets-key=active',
  ]);
}

export async function getJson<T>(cluster: DevCluster, args: readonly string[]): Promise<T | undefined> {
  const result = await cluster.kubectl(['get', ...args, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as T) : undefined;
}

/** A Secret's data, base64-decoded. */
export function decoded(secret: Secret | undefined): Record<string, string> | undefined {
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
}

export interface SealedSecretObject {
  metadata: { uid: string; generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; message?: string; lastTransitionTime?: string }[];
  };
}

export async function syncedCondition(cluster: DevCluster, namespace: string, name: string) {
  const sealed = await getJson<SealedSecretObject>(cluster, ['sealedsecret', '-n', namespace, name]);
  return sealed?.status?.conditions?.find((condition) => condition.type === 'Synced');
}

export async function waitForCondition(
  cluster: DevCluster,
  namespace: string,
  name: string,
  status: 'True' | 'False',
): Promise<{ message?: string }> {
  return eventually(`${namespace}/${name} Synced=${status}`, async () => {
    const condition = await syncedCondition(cluster, namespace, name);
    return condition?.status === status ? condition : undefined;
  });
}
