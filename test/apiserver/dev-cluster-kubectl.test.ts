/**
 * The real kubectl 1.32, with its default flags (strict validation included), against `cloak dev cluster`
 * started fresh, on each storage backend: SQLite in the data directory, and a real etcd started here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcd } from '../helpers/etcd.ts';
import { kubectlOk, startDevCluster, type DevCluster } from '../helpers/dev-cluster.ts';

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

function appSecret(password: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: app
  labels: {app: shop, tier: db}
type: Opaque
stringData:
  password: ${password}
`;
}

function decoded(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

async function scenarios(t: TestContext, cluster: DevCluster): Promise<void> {
  const kubectl = (args: readonly string[], input?: string) => kubectlOk(cluster, args, input);

  await t.test('create secret generic --from-literal, then get -o yaml / json / jsonpath', async () => {
    assert.match(
      await kubectl([
        'create',
        'secret',
        'generic',
        'literal',
        '--from-literal=user=admin',
        '--from-literal=pass=s3cr3t',
      ]),
      /secret\/literal created/,
    );
    const yaml = await kubectl(['get', 'secret', 'literal', '-o', 'yaml']);
    assert.match(yaml, /^kind: Secret$/m);
    assert.match(yaml, /^ {2}user: YWRtaW4=$/m);
    const json = JSON.parse(await kubectl(['get', 'secret', 'literal', '-o', 'json'])) as {
      type: string;
      metadata: { uid: string; resourceVersion: string };
    };
    assert.equal(json.type, 'Opaque');
    assert.match(json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(
      decoded(await kubectl(['get', 'secret', 'literal', '-o', 'jsonpath={.data.pass}'])),
      's3cr3t',
    );
  });

  await t.test('apply (client-side), change and re-apply, then --server-side', async () => {
    assert.match(await kubectl(['apply', '-f', '-'], appSecret('one')), /secret\/app created/);
    assert.match(await kubectl(['apply', '-f', '-'], appSecret('two')), /secret\/app configured/);
    assert.equal(decoded(await kubectl(['get', 'secret', 'app', '-o', 'jsonpath={.data.password}'])), 'two');
    assert.match(
      await kubectl(['apply', '--server-side', '-f', '-'], appSecret('three')),
      /secret\/app serverside-applied/,
    );
    const object = JSON.parse(
      await kubectl(['get', 'secret', 'app', '-o', 'json', '--show-managed-fields']),
    ) as {
      data: Record<string, string>;
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    assert.equal(decoded(object.data['password'] ?? ''), 'three');
    assert.ok(
      object.metadata.managedFields.some(
        (entry) => entry.manager === 'kubectl' && entry.operation === 'Apply',
      ),
    );
  });

  await t.test('get -w sees a change another client makes', async () => {
    const watcher = spawn(
      'kubectl',
      [
        '--kubeconfig',
        cluster.kubeconfig,
        'get',
        'secret',
        'app',
        '-w',
        '-o',
        'jsonpath={.metadata.labels.tier}{"\\n"}',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'], HOME: cluster.dataDir },
      },
    );
    let seen = '';
    watcher.stdout.setEncoding('utf8');
    watcher.stdout.on('data', (chunk: string) => (seen += chunk));
    try {
      await waitFor(() => seen.includes('db'), 'the watch to list the secret');
      await kubectl(['label', 'secret', 'app', 'tier=cache', '--overwrite']);
      await waitFor(() => seen.includes('cache'), 'the watch to see the label change');
    } finally {
      watcher.kill();
    }
  });

  await t.test('label, annotate --overwrite', async () => {
    await kubectl(['label', 'secret', 'app', 'owner=team-a']);
    await kubectl(['annotate', 'secret', 'app', 'note=first']);
    const again = await cluster.kubectl(['annotate', 'secret', 'app', 'note=second']);
    assert.notEqual(again.code, 0, 'annotate without --overwrite must refuse to change a value');
    await kubectl(['annotate', '--overwrite', 'secret', 'app', 'note=second']);
    const metadata = JSON.parse(await kubectl(['get', 'secret', 'app', '-o', 'jsonpath={.metadata}'])) as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };
    assert.equal(metadata.labels['owner'], 'team-a');
    assert.equal(metadata.annotations['note'], 'second');
  });

  await t.test('patch --type=merge, json and strategic', async () => {
    await kubectl(['patch', 'secret', 'app', '--type=merge', '-p', '{"data":{"extra":"eA=="}}']);
    await kubectl([
      'patch',
      'secret',
      'app',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/data/extra","value":"eQ=="}]',
    ]);
    await kubectl([
      'patch',
      'secret',
      'app',
      '--type=strategic',
      '-p',
      '{"metadata":{"labels":{"patched":"yes"}},"data":{"extra":null}}',
    ]);
    const object = JSON.parse(await kubectl(['get', 'secret', 'app', '-o', 'json'])) as {
      data: Record<string, string>;
      metadata: { labels: Record<string, string> };
    };
    assert.equal(object.data['extra'], undefined);
    assert.equal(object.metadata.labels['patched'], 'yes');
    const failed = await cluster.kubectl([
      'patch',
      'secret',
      'app',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/type","value":"nope"}]',
    ]);
    assert.notEqual(failed.code, 0);
  });

  await t.test('replace', async () => {
    const object = JSON.parse(await kubectl(['get', 'secret', 'app', '-o', 'json'])) as {
      data: Record<string, string>;
    };
    object.data = { password: Buffer.from('replaced').toString('base64') };
    await kubectl(['replace', '-f', '-'], JSON.stringify(object));
    assert.equal(
      decoded(await kubectl(['get', 'secret', 'app', '-o', 'jsonpath={.data.password}'])),
      'replaced',
    );
    const stale = {
      ...object,
      metadata: { ...(object as unknown as { metadata: object }).metadata, resourceVersion: '1' },
    };
    const conflict = await cluster.kubectl(['replace', '-f', '-'], JSON.stringify(stale));
    assert.notEqual(conflict.code, 0);
    assert.match(
      conflict.stderr,
      /the object has been modified; please apply your changes to the latest version and try again/,
    );
  });

  await t.test('get with -l and --field-selector', async () => {
    await kubectl(['create', 'secret', 'generic', 'other', '--from-literal=a=b']);
    await kubectl(['label', 'secret', 'other', 'app=web']);
    assert.deepEqual(names(await kubectl(['get', 'secrets', '-l', 'app=shop', '-o', 'name'])), [
      'secret/app',
    ]);
    assert.deepEqual(
      names(await kubectl(['get', 'secrets', '-l', 'app in (shop,web),tier!=db', '-o', 'name'])),
      ['secret/app', 'secret/other'],
    );
    assert.deepEqual(
      names(await kubectl(['get', 'secrets', '-l', '!patched', '-o', 'name'])).includes('secret/app'),
      false,
    );
    assert.deepEqual(
      names(await kubectl(['get', 'secrets', '--field-selector', 'metadata.name=other', '-o', 'name'])),
      ['secret/other'],
    );
    assert.deepEqual(
      names(
        await kubectl([
          'get',
          'secrets',
          '-A',
          '--field-selector',
          'metadata.namespace!=default',
          '-o',
          'name',
        ]),
      ),
      [],
    );
    const table = await kubectl(['get', 'secret', 'app']);
    assert.match(table, /^NAME\s+TYPE\s+DATA\s+AGE$/m);
    assert.match(table, /^app\s+Opaque\s+1\s+\d+s$/m);
  });

  await t.test('delete waits for the object to go, and returns', async () => {
    assert.match(await kubectl(['delete', 'secret', 'other']), /secret "other" deleted/);
    const gone = await cluster.kubectl(['get', 'secret', 'other']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /secrets "other" not found/);
  });

  await t.test('create -f a CRD, then a custom resource of it', async () => {
    await kubectl(['create', '-f', '-'], WIDGET_CRD);
    await kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
    await kubectl(
      ['create', '-f', '-'],
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, color: red}\n',
    );
    assert.match(await kubectl(['get', 'widgets']), /^w1\s+3\s*$/m);
    assert.equal(await kubectl(['get', 'wd', 'w1', '-o', 'jsonpath={.spec.color}']), 'red');
    const unknown = await cluster.kubectl(
      ['create', '-f', '-'],
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 1, shape: round}\n',
    );
    assert.notEqual(unknown.code, 0, 'strict field validation refuses unknown fields');
    assert.match(unknown.stderr, /unknown field "spec.shape"/);
  });

  await t.test('delete ns removes everything inside', async () => {
    await kubectl(['create', 'namespace', 'doomed']);
    await kubectl(['create', 'secret', 'generic', 'inside', '-n', 'doomed', '--from-literal=a=b']);
    await kubectl(['create', 'configmap', 'settings', '-n', 'doomed', '--from-literal=a=b']);
    await kubectl(
      ['create', '-n', 'doomed', '-f', '-'],
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: inner}\nspec: {size: 1}\n',
    );
    await kubectl(['delete', 'namespace', 'doomed']);
    assert.doesNotMatch(await kubectl(['get', 'namespaces', '-o', 'name']), /doomed/);
    for (const kind of ['secrets', 'configmaps', 'widgets', 'serviceaccounts']) {
      assert.equal(
        (
          await kubectl(['get', kind, '-A', '-o', 'name', '--field-selector', 'metadata.namespace=doomed'])
        ).trim(),
        '',
      );
    }
  });

  await t.test('create token: a ServiceAccount token the server accepts', async () => {
    await kubectl(['create', 'serviceaccount', 'robot']);
    const token = (await kubectl(['create', 'token', 'robot', '--duration=15m'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      exp: number;
      iat: number;
    };
    assert.equal(claims.sub, 'system:serviceaccount:default:robot');
    assert.equal(claims.exp - claims.iat, 900);
    const denied = await cluster.kubectl(['--token', token, 'get', 'secret', 'app', '-o', 'name']);
    assert.notEqual(denied.code, 0, 'RBAC: a new ServiceAccount may read nothing');
    assert.match(
      denied.stderr,
      /secrets "app" is forbidden: User "system:serviceaccount:default:robot" cannot get resource "secrets" in API group "" in the namespace "default"/,
    );
    await kubectl([
      'create',
      'rolebinding',
      'robot-view',
      '--clusterrole=view',
      '--serviceaccount=default:robot',
    ]);
    assert.equal(
      (await kubectl(['--token', token, 'get', 'configmaps', '-o', 'name'])).includes('error'),
      false,
    );
    assert.notEqual(
      (await cluster.kubectl(['--token', token, 'get', 'secret', 'app'])).code,
      0,
      'view cannot read secrets',
    );
    await kubectl([
      'create',
      'rolebinding',
      'robot-edit',
      '--clusterrole=edit',
      '--serviceaccount=default:robot',
    ]);
    const asRobot = await cluster.kubectl(['--token', token, 'get', 'secret', 'app', '-o', 'name']);
    assert.equal(asRobot.stdout.trim(), 'secret/app', asRobot.stderr);
    assert.equal(
      await kubectl(['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
      'system:serviceaccount:default:robot',
    );
    const forged = await cluster.kubectl(['--token', `${token.slice(0, -4)}AAAA`, 'get', 'secrets']);
    assert.notEqual(forged.code, 0);
    assert.match(forged.stderr, /Unauthorized|provide credentials/);
    await kubectl(['delete', 'serviceaccount', 'robot']);
    const revoked = await cluster.kubectl(['--token', token, 'get', 'secrets']);
    assert.notEqual(revoked.code, 0, 'a token dies with its ServiceAccount');
  });

  await t.test('auth can-i (also --as and --list) answers from RBAC', async () => {
    await kubectl(['create', 'serviceaccount', 'reader']);
    await kubectl([
      'create',
      'rolebinding',
      'reader-view',
      '--clusterrole=view',
      '--serviceaccount=default:reader',
    ]);
    const as = ['--as', 'system:serviceaccount:default:reader'];
    const canI = async (...args: string[]) =>
      (await cluster.kubectl(['auth', 'can-i', ...args])).stdout.trim();
    assert.equal(await canI('list', 'configmaps', ...as), 'yes');
    assert.equal(await canI('get', 'secrets', ...as), 'no');
    assert.equal(await canI('get', 'secrets', ...as, '-n', 'kube-system'), 'no');
    assert.equal(await canI('get', 'secrets'), 'yes');
    assert.equal(await canI('create', 'deployments.apps', '--as', 'alice'), 'no');
    const list = await kubectl(['auth', 'can-i', '--list', ...as]);
    assert.match(list, /^configmaps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.doesNotMatch(list, /^secrets\s/m);
    const impersonated = await cluster.kubectl(['get', 'secrets', ...as]);
    assert.notEqual(impersonated.code, 0);
    assert.match(
      impersonated.stderr,
      /User "system:serviceaccount:default:reader" cannot list resource "secrets"/,
    );
  });

  await t.test('workloads are stored: create deployment, scale, rollout restart', async () => {
    await kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2']);
    assert.match(
      await kubectl(['scale', 'deployment', 'web', '--replicas=5']),
      /deployment\.apps\/web scaled/,
    );
    assert.equal(
      await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}']),
      '5 2',
    );
    await kubectl(['rollout', 'restart', 'deployment', 'web']);
    const template = JSON.parse(
      await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.metadata.annotations}']),
    ) as Record<string, string>;
    assert.ok(template['kubectl.kubernetes.io/restartedAt']);
    assert.match(await kubectl(['get', 'deployments']), /^web\s+0\/5\s+0\s+0\s+\d+s$/m);
  });

  await t.test('api-resources, version, and explain (which may fail, but clearly)', async () => {
    const resources = await kubectl(['api-resources']);
    for (const line of [
      /^secrets\s+v1\s+true\s+Secret$/m,
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m,
    ]) {
      assert.match(resources, line);
    }
    assert.match(await kubectl(['version', '-o', 'json']), /"gitVersion": "v1\.32/);
    const explain = await cluster.kubectl(['explain', 'secret']);
    assert.ok(
      explain.code === 0
        ? /KIND:\s+Secret/.test(explain.stdout)
        : explain.stderr.trim().split('\n').length <= 3,
      explain.stderr,
    );
  });
}

function names(output: string): string[] {
  return output.split('\n').filter(Boolean).sort();
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('kubectl against cloak dev cluster (SQLite)', async (t) => {
  const cluster = await startDevCluster(t);
  t.diagnostic(`started in ${cluster.startMs.toFixed(0)} ms`);
  await scenarios(t, cluster);
});

test('kubectl against cloak dev cluster (etcd)', async (t) => {
  const etcd = await startEtcd(t);
  const cluster = await startDevCluster(t, { storage: 'etcd', etcdEndpoint: etcd.endpoint });
  await scenarios(t, cluster);
});

test('a restarted server keeps its data, its CA and its tokens', async (t) => {
  const first = await startDevCluster(t);
  await kubectlOk(first, ['create', 'secret', 'generic', 'kept', '--from-literal=a=b']);
  const before = await kubectlOk(first, [
    'get',
    'secret',
    'kept',
    '-o',
    'jsonpath={.metadata.resourceVersion}',
  ]);
  await first.stop('SIGTERM');
  const second = await startDevCluster(t, { dataDir: first.dataDir });
  assert.equal(
    await kubectlOk(second, ['get', 'secret', 'kept', '-o', 'jsonpath={.metadata.resourceVersion}']),
    before,
  );
  await kubectlOk(second, ['label', 'secret', 'kept', 'again=yes']);
  const after = Number(
    await kubectlOk(second, ['get', 'secret', 'kept', '-o', 'jsonpath={.metadata.resourceVersion}']),
  );
  assert.ok(after > Number(before), 'revisions continue after a restart');
});

test('the kubeconfig is written mode 0600 and names the generated CA', async (t) => {
  const cluster = await startDevCluster(t);
  const { stat, readFile } = await import('node:fs/promises');
  assert.equal((await stat(cluster.kubeconfig)).mode & 0o777, 0o600);
  const text = await readFile(cluster.kubeconfig, 'utf8');
  const ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
  assert.ok(text.includes(Buffer.from(ca).toString('base64')));
  assert.match(text, new RegExp(`server: ${cluster.url.replace(/[.]/g, '\\.')}`));
});
