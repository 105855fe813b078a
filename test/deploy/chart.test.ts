/**
 * The deployment artefacts (docs/adr/0013): the Helm chart in deploy/helm/cloak, rendered by Cloak's Go template
 * engine with Helm's data and functions (tools/render-chart.ts), and the plain manifests rendered from it. Checked
 * three ways: the committed files are what the chart and `cloak operator crds` produce; every object is valid
 * against Kubernetes' own OpenAPI schemas (the kubernetes-models validators, an independent implementation) and
 * has the properties the chart promises (replicas, leader election, restricted pod security, probes, the
 * Service kubeseal looks for); and on a real API server (`cloak dev cluster`) the real kubectl applies them with
 * strict validation, after which the operator's ServiceAccount may do what unsealing needs and nothing more, as
 * `cloak rbac can-i` and `kubectl auth can-i` (SubjectAccessReview through impersonation) both answer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseManifests, type ManifestObject } from '../../src/manifests/decode.ts';
import {
  CHART_DIR,
  MANIFESTS_FILE,
  renderChart,
  renderPlainManifests,
  type RenderOptions,
} from '../../tools/render-chart.ts';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster } from '../helpers/dev-cluster.ts';
import { writeTemp } from '../helpers/keys.ts';

interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const OPERATOR = 'system:serviceaccount:kube-system:cloak';

function objects(options: RenderOptions): ManifestObject[] {
  return parseManifests(renderChart({ releaseName: 'cloak', namespace: 'kube-system', ...options }), 'chart');
}

function find(all: ManifestObject[], kind: string, name: string, namespace?: string): ManifestObject {
  const found = all.find((object) => {
    const metadata = object['metadata'] as { name?: string; namespace?: string };
    return (
      object['kind'] === kind &&
      metadata.name === name &&
      (namespace === undefined || metadata.namespace === namespace)
    );
  });
  assert.ok(found, `${kind} ${namespace ?? ''}/${name} rendered`);
  return found;
}

function podSpec(all: ManifestObject[], name = 'cloak'): PodSpec {
  const deployment = find(all, 'Deployment', name) as { spec: { template: { spec: PodSpec } } };
  return deployment.spec.template.spec;
}

function operatorContainer(all: ManifestObject[]): Container {
  const [container] = podSpec(all).containers;
  assert.ok(container);
  return container;
}

/** The kubernetes-models class that validates each kind the chart renders. */
async function validatorFor(object: ManifestObject): Promise<new (data: never) => { validate(): void }> {
  const key = `${String(object['apiVersion'])}/${String(object['kind'])}`;
  switch (key) {
    case 'apiextensions.k8s.io/v1/CustomResourceDefinition':
      return (await import('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition'))
        .CustomResourceDefinition;
    case 'v1/ServiceAccount':
      return (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount;
    case 'v1/Service':
      return (await import('kubernetes-models/v1/Service')).Service;
    case 'apps/v1/Deployment':
      return (await import('kubernetes-models/apps/v1/Deployment')).Deployment;
    case 'rbac.authorization.k8s.io/v1/ClusterRole':
      return (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole')).ClusterRole;
    case 'rbac.authorization.k8s.io/v1/ClusterRoleBinding':
      return (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding'))
        .ClusterRoleBinding;
    case 'rbac.authorization.k8s.io/v1/Role':
      return (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role;
    case 'rbac.authorization.k8s.io/v1/RoleBinding':
      return (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding;
    case 'policy/v1/PodDisruptionBudget':
      return (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget;
    case 'monitoring.coreos.com/v1/ServiceMonitor':
      return (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'))
        .ServiceMonitor;
  }
  assert.fail(`no validator for ${key}`);
}

const EVERYTHING_ON: RenderOptions = {
  namespace: 'sealing',
  values: {
    watchNamespaces: ['team-a', 'sealing', 'team-b'],
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    podDisruptionBudget: { enabled: true },
    extraArgs: ['--key-size=3072', '--workers=8'],
    extraEnv: [{ name: 'SEALED_SECRETS_KEY_TTL', value: '17520h' }],
    image: { repository: 'registry.example/cloak', tag: '9.9.9' },
    podLabels: { team: 'platform' },
    podAnnotations: { 'example.com/scrape': 'true' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
    priorityClassName: 'system-cluster-critical',
    imagePullSecrets: [{ name: 'registry' }],
    keyRenewPeriod: '168h',
    logLevel: 'debug',
  },
};

test("the chart's CRD is what `cloak operator crds` prints", async () => {
  const printed = await runCloak(['operator', 'crds']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(readFileSync(join(CHART_DIR, 'crds/sealedsecrets.bitnami.com.yaml'), 'utf8'), printed.stdout);
});

test('deploy/manifests/cloak.yaml is the chart rendered with its defaults into kube-system', () => {
  assert.equal(
    readFileSync(MANIFESTS_FILE, 'utf8'),
    renderPlainManifests(),
    'run `node tools/render-chart.ts` after changing the chart',
  );
});

test("every object is valid against Kubernetes' OpenAPI schemas, with defaults and with every value set", async () => {
  for (const all of [
    parseManifests(renderPlainManifests(), 'cloak.yaml'),
    objects({ ...EVERYTHING_ON, includeCrds: true }),
  ]) {
    assert.ok(all.length >= 11);
    for (const object of all) {
      const Model = await validatorFor(object);
      const where = `${String(object['kind'])} ${JSON.stringify(object['metadata'])}`;
      assert.doesNotThrow(() => new Model(object as never).validate(), where);
    }
  }
});

test('the Deployment: two replicas electing a leader, restricted pod security, probes and ports', () => {
  const all = parseManifests(renderPlainManifests(), 'cloak.yaml');
  const deployment = find(all, 'Deployment', 'cloak', 'kube-system') as { spec: { replicas: number } };
  assert.equal(deployment.spec.replicas, 2);
  const pod = podSpec(all);
  assert.equal(pod.serviceAccountName, 'cloak');
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const container = operatorContainer(all);
  assert.equal(container.image, 'cloak:0.1.0');
  assert.deepEqual(container.args, [
    '--namespace=kube-system',
    '--leader-elect=true',
    '--listen-addr=:8080',
    '--listen-metrics-addr=:8081',
    '--key-renew-period=720h',
    '--log-level=info',
  ]);
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  });
  assert.deepEqual(
    container.ports.map(({ name, containerPort }) => [name, containerPort]),
    [
      ['http', 8080],
      ['metrics', 8081],
    ],
  );
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
  assert.deepEqual(container.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);

  // The Service kubeseal and `cloak seal` find with their defaults, selecting the operator's pods.
  const service = find(all, 'Service', 'sealed-secrets-controller', 'kube-system') as {
    spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
  };
  assert.deepEqual(service.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  const podLabels = (
    find(all, 'Deployment', 'cloak') as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    }
  ).spec.template.metadata.labels;
  for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(podLabels[key], value);
  const metrics = find(all, 'Service', 'sealed-secrets-controller-metrics') as {
    spec: { ports: { port: number }[] };
  };
  assert.equal(metrics.spec.ports[0]?.port, 8081);
  assert.ok(
    !all.some((object) => object['kind'] === 'ServiceMonitor' || object['kind'] === 'PodDisruptionBudget'),
  );
});

test('RBAC: no wildcards, nothing deleted, Secrets written only by the unsealer and the key Role', () => {
  const all = parseManifests(renderPlainManifests(), 'cloak.yaml');
  const roles = all.filter((object) => object['kind'] === 'ClusterRole' || object['kind'] === 'Role');
  assert.deepEqual(
    roles.map((role) => (role['metadata'] as { name: string }).name),
    ['cloak-unsealer', 'cloak-keys', 'cloak-service-proxy'],
  );
  for (const role of roles) {
    for (const rule of role['rules'] as Rule[]) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) assert.ok(!field.includes('*'));
      for (const verb of ['delete', 'deletecollection', 'escalate', 'bind', 'impersonate'])
        assert.ok(!rule.verbs.includes(verb), `${verb} in ${JSON.stringify(rule)}`);
    }
  }
  const unsealer = find(all, 'ClusterRole', 'cloak-unsealer')['rules'] as Rule[];
  assert.deepEqual(unsealer.find((rule) => rule.resources.includes('secrets'))?.verbs, [
    ...['get', 'list', 'watch', 'create', 'update'],
  ]);
  const keys = find(all, 'Role', 'cloak-keys', 'kube-system')['rules'] as Rule[];
  assert.deepEqual(keys.find((rule) => rule.resources.includes('secrets'))?.verbs, [
    'get',
    'list',
    'watch',
    'create',
  ]);
});

test('values: namespace, watched namespaces, ServiceMonitor, PodDisruptionBudget, extra args, image', () => {
  const all = objects(EVERYTHING_ON);
  for (const object of all) {
    const namespace = (object['metadata'] as { namespace?: string }).namespace;
    if (object['kind'] === 'ClusterRole') assert.equal(namespace, undefined);
    else if (object['kind'] !== 'RoleBinding') assert.equal(namespace, 'sealing', String(object['kind']));
  }
  const container = operatorContainer(all);
  assert.equal(container.image, 'registry.example/cloak:9.9.9');
  assert.deepEqual(container.args, [
    '--namespace=sealing',
    '--leader-elect=true',
    '--listen-addr=:8080',
    '--listen-metrics-addr=:8081',
    '--key-renew-period=168h',
    '--log-level=debug',
    '--all-namespaces=false',
    '--additional-namespaces=team-a,sealing,team-b',
    '--key-size=3072',
    '--workers=8',
  ]);
  assert.deepEqual(
    container.env?.map(({ name }) => name),
    ['POD_NAMESPACE', 'SEALED_SECRETS_KEY_TTL'],
  );
  // Unsealing is bound where the operator unseals, once per namespace, and nowhere else.
  assert.ok(!all.some((object) => object['kind'] === 'ClusterRoleBinding'));
  const unsealerBindings = all
    .filter(
      (object) =>
        object['kind'] === 'RoleBinding' &&
        (object['metadata'] as { name: string }).name === 'cloak-unsealer',
    )
    .map((object) => (object['metadata'] as { namespace: string }).namespace);
  assert.deepEqual(unsealerBindings, ['sealing', 'team-a', 'team-b']);
  const monitor = find(all, 'ServiceMonitor', 'cloak', 'sealing') as {
    metadata: { labels: Record<string, string> };
    spec: { endpoints: { port: string }[] };
  };
  assert.equal(monitor.metadata.labels['release'], 'prometheus');
  assert.equal(monitor.spec.endpoints[0]?.port, 'metrics');
  find(all, 'PodDisruptionBudget', 'cloak', 'sealing');
  const pod = find(all, 'Deployment', 'cloak') as {
    spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } };
  };
  assert.equal(pod.spec.template.metadata.labels['team'], 'platform');
  assert.equal(pod.spec.template.metadata.annotations['example.com/scrape'], 'true');

  // No proxy grant when serviceProxySubjects is empty; the release namespace when namespace is not set.
  const plain = objects({ namespace: 'elsewhere', values: { serviceProxySubjects: [] } });
  assert.ok(!plain.some((object) => (object['metadata'] as { name: string }).name === 'cloak-service-proxy'));
  assert.equal(operatorContainer(plain).args[0], '--namespace=elsewhere');
});

test('on a real API server: kubectl applies the manifests strictly, and the operator gets least privilege', async (t) => {
  const cluster = await startDevCluster(t);
  await kubectlOk(cluster, ['apply', '--validate=strict', '--dry-run=server', '-f', MANIFESTS_FILE]);
  // The variant with watched namespaces too (its RoleBindings need the namespaces).
  await kubectlOk(cluster, ['create', 'namespace', 'sealing']);
  await kubectlOk(cluster, ['create', 'namespace', 'team-a']);
  await kubectlOk(cluster, ['create', 'namespace', 'team-b']);
  const variant = await writeTemp(
    cluster.dataDir,
    'variant.yaml',
    renderChart({
      ...EVERYTHING_ON,
      values: {
        ...EVERYTHING_ON.values,
        serviceMonitor: { enabled: false },
        podDisruptionBudget: { enabled: false },
      },
    }),
  );
  await kubectlOk(cluster, ['apply', '--validate=strict', '--dry-run=server', '-f', variant]);

  const applied = await kubectlOk(cluster, ['apply', '--validate=strict', '-f', MANIFESTS_FILE]);
  assert.match(applied, /deployment\.apps\/cloak created/);
  await kubectlOk(cluster, ['wait', '--for=condition=Established', 'crd/sealedsecrets.bitnami.com']);

  const kube = ['--kubeconfig', cluster.kubeconfig];
  const expectations: [string[], boolean][] = [
    [['get', 'sealedsecrets.bitnami.com', '-A'], true],
    [['watch', 'sealedsecrets.bitnami.com', '-A'], true],
    [['update', 'sealedsecrets.bitnami.com', '--subresource', 'status', '-n', 'default'], true],
    [['patch', 'sealedsecrets.bitnami.com', '--subresource', 'status', '-n', 'team-a'], true],
    [['update', 'sealedsecrets.bitnami.com', '-n', 'default'], false],
    [['delete', 'sealedsecrets.bitnami.com', '-n', 'default'], false],
    [['list', 'secrets', '-A'], true],
    [['create', 'secrets', '-n', 'default'], true],
    [['update', 'secrets', '-n', 'team-b'], true],
    [['create', 'secrets', '-n', 'kube-system'], true],
    [['delete', 'secrets', '-n', 'default'], false],
    [['delete', 'secrets', '-n', 'kube-system'], false],
    [['patch', 'secrets', '-n', 'default'], false],
    [['create', 'events', '-n', 'default'], true],
    [['get', 'configmaps', '-n', 'kube-system'], false],
    [['list', 'pods', '-A'], false],
    [['create', 'leases.coordination.k8s.io', '-n', 'kube-system'], true],
    [['update', 'leases.coordination.k8s.io/sealed-secrets-controller', '-n', 'kube-system'], true],
    [['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', 'kube-system'], false],
    [['create', 'leases.coordination.k8s.io', '-n', 'default'], false],
    [['escalate', 'clusterroles.rbac.authorization.k8s.io'], false],
    [['bind', 'clusterroles.rbac.authorization.k8s.io'], false],
    [['create', 'rolebindings.rbac.authorization.k8s.io', '-n', 'kube-system'], false],
    [['impersonate', 'users'], false],
    [['create', 'services', '-n', 'kube-system'], false],
  ];
  // Each question to both, all at once (the answers do not depend on each other).
  await Promise.all(
    expectations.map(async ([args, allowed]) => {
      const expected = allowed ? 'yes' : 'no';
      const ours = await runCloak(['rbac', 'can-i', ...args, '--as', OPERATOR, ...kube]);
      assert.equal(ours.stdout.trim(), expected, `cloak rbac can-i ${args.join(' ')}: ${ours.stderr}`);
      const theirs = await cluster.kubectl(['auth', 'can-i', ...args, '--as', OPERATOR]);
      assert.equal(theirs.stdout.trim(), expected, `kubectl auth can-i ${args.join(' ')}: ${theirs.stderr}`);
    }),
  );

  // Any authenticated user reaches the controller through the service proxy, and only that.
  const user = ['--as', 'alice', '--as-group', 'system:authenticated'];
  const proxy = 'services/http:sealed-secrets-controller:http';
  for (const [args, allowed] of [
    [['get', 'services/sealed-secrets-controller', '-n', 'kube-system'], true],
    [['get', proxy, '--subresource', 'proxy', '-n', 'kube-system'], true],
    [['create', proxy, '--subresource', 'proxy', '-n', 'kube-system'], true],
    [['get', 'services/kube-dns', '-n', 'kube-system'], false],
    [['get', 'secrets', '-n', 'kube-system'], false],
  ] as [string[], boolean][]) {
    const answer = await cluster.kubectl(['auth', 'can-i', ...args, ...user]);
    assert.equal(answer.stdout.trim(), allowed ? 'yes' : 'no', `kubectl auth can-i ${args.join(' ')}`);
  }
});
