/**
 * Audit logging and RBAC escalation checks of `cloak dev cluster`, through the real kubectl.
 *
 * - A policy that logs secrets at Metadata: `kubectl get secret` writes one JSON line with kube's Event schema,
 *   and the log never holds a request or response body, nor the secret's value; impersonated requests carry
 *   impersonatedUser (the policy matches the requester, as kube's audit filter runs before impersonation);
 *   omitStages is honoured.
 * - A policy that writes Secret bodies: `cloak audit policy lint` flags it, and a server running it shows why
 *   (the value is in the log); the log rotates at --audit-log-maxsize, keeping --audit-log-maxbackup backups.
 * - Escalation: a user who may create RoleBindings cannot bind `edit` without holding it, can with `bind` on
 *   that ClusterRole; a Role granting more than the writer holds is refused unless `escalate`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCloak } from '../helpers/cli.ts';
import { kubectlOk, startDevCluster } from '../helpers/dev-cluster.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';

interface AuditEventLine {
  kind: string;
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username?: string; groups?: string[] };
  impersonatedUser?: { username?: string; groups?: string[] };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: Record<string, string>;
  responseStatus?: { metadata: Record<string, never>; code: number; status?: string; reason?: string };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

async function readEvents(path: string): Promise<AuditEventLine[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  assert.ok(text === '' || text.endsWith('\n'), 'the log ends with a whole line');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEventLine);
}

/** The events of `path` that satisfy `match`, once there are `count` of them (writes are asynchronous). */
async function eventsWhere(
  path: string,
  match: (event: AuditEventLine) => boolean,
  count = 1,
): Promise<AuditEventLine[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await readEvents(path)).filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline)
      assert.fail(`expected ${count} matching audit event(s), found ${found.length}`);
    await sleep(50);
  }
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const METADATA_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  # Matched against the requester, not the impersonated user: admin --as alice is still logged.
  - level: None
    users: ["alice"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Metadata
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: None
`;

const BODY_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["secrets", "configmaps"]
  - level: Metadata
`;

test('audit at Metadata: kube’s event schema, no bodies or values in the log, impersonation, omitStages', async (t) => {
  const dir = await tempDir(t);
  const policy = await writeTemp(dir, 'policy.yaml', METADATA_POLICY);
  const log = join(dir, 'audit', 'audit.log');
  const cluster = await startDevCluster(t, {
    extraArgs: ['--audit-policy-file', policy, '--audit-log-path', log],
  });
  const value = `pw-${randomBytes(12).toString('hex')}`;
  await kubectlOk(cluster, ['create', 'namespace', 'ns']);
  await kubectlOk(cluster, [
    'create',
    'secret',
    'generic',
    's',
    '-n',
    'ns',
    `--from-literal=password=${value}`,
  ]);
  assert.equal(await kubectlOk(cluster, ['get', 'secret', 's', '-n', 'ns', '-o', 'name']), 'secret/s\n');

  const [get] = await eventsWhere(log, (event) => event.verb === 'get' && event.objectRef?.['name'] === 's');
  assert.ok(get);
  assert.deepEqual(Object.keys(get), [
    'kind',
    'apiVersion',
    'level',
    'auditID',
    'stage',
    'requestURI',
    'verb',
    'user',
    'sourceIPs',
    'userAgent',
    'objectRef',
    'responseStatus',
    'requestReceivedTimestamp',
    'stageTimestamp',
    'annotations',
  ]);
  assert.equal(get.kind, 'Event');
  assert.equal(get.apiVersion, 'audit.k8s.io/v1');
  assert.equal(get.level, 'Metadata');
  assert.match(get.auditID, UUID);
  assert.equal(get.stage, 'ResponseComplete');
  assert.equal(get.requestURI, '/api/v1/namespaces/ns/secrets/s');
  assert.equal(get.user.username, 'cloak-admin');
  assert.ok(get.user.groups?.includes('system:masters'));
  assert.deepEqual(get.sourceIPs, ['127.0.0.1']);
  assert.match(get.userAgent ?? '', /^kubectl\//);
  assert.deepEqual(get.objectRef, { resource: 'secrets', namespace: 'ns', name: 's', apiVersion: 'v1' });
  assert.deepEqual(get.responseStatus, { metadata: {}, code: 200 });
  assert.match(get.requestReceivedTimestamp, MICRO_TIME);
  assert.match(get.stageTimestamp, MICRO_TIME);
  assert.ok(get.stageTimestamp >= get.requestReceivedTimestamp);
  assert.equal(get.annotations?.['authorization.k8s.io/decision'], 'allow');

  // The create is logged with the name from the request body, at Metadata: no body.
  const [create] = await eventsWhere(
    log,
    (event) => event.verb === 'create' && event.objectRef?.['resource'] === 'secrets',
  );
  assert.equal(create?.objectRef?.['name'], 's');
  assert.deepEqual(create?.responseStatus, { metadata: {}, code: 201 });

  // A create that fails after its body was read is logged with the body's name too (and still no body).
  const again = await cluster.kubectl([
    'create',
    'secret',
    'generic',
    's',
    '-n',
    'ns',
    `--from-literal=password=${value}`,
  ]);
  assert.equal(again.code, 1);
  const [conflict] = await eventsWhere(
    log,
    (event) => event.verb === 'create' && event.responseStatus?.code === 409,
  );
  assert.equal(conflict?.objectRef?.['name'], 's');
  assert.equal(conflict?.responseStatus?.reason, 'AlreadyExists');

  // Impersonation: the event is the requester's, with the impersonated user beside it.
  const denied = await cluster.kubectl(['get', 'secret', 's', '-n', 'ns', '--as', 'alice']);
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /User "alice" cannot get resource "secrets" in API group "" in the namespace "ns"/,
  );
  const [impersonated] = await eventsWhere(log, (event) => event.impersonatedUser !== undefined);
  assert.ok(impersonated);
  assert.equal(impersonated.user.username, 'cloak-admin');
  assert.deepEqual(impersonated.impersonatedUser, { username: 'alice', groups: ['system:authenticated'] });
  assert.equal(impersonated.verb, 'get');
  assert.equal(impersonated.responseStatus?.code, 403);
  assert.equal(impersonated.annotations?.['authorization.k8s.io/decision'], 'forbid');

  await kubectlOk(cluster, ['get', 'namespaces']); // level None: not logged
  const events = await readEvents(log);
  assert.deepEqual(
    events.filter((event) => event.stage !== 'ResponseComplete'),
    [],
    'omitStages: RequestReceived',
  );
  assert.deepEqual(
    events.filter((event) => event.objectRef?.['resource'] !== 'secrets'),
    [],
    'only secrets are logged (rule 3 is None)',
  );
  const text = await readFile(log, 'utf8');
  assert.doesNotMatch(text, /requestObject|responseObject/);
  assert.equal((await stat(log)).mode & 0o777, 0o600, 'the log is 0600, as kube makes it');
  assert.equal((await stat(join(dir, 'audit'))).mode & 0o777, 0o700, 'its new directory 0700');
  for (const form of [value, Buffer.from(value).toString('base64')])
    assert.ok(!text.includes(form), 'the secret’s value is in the audit log');
});

test('a policy that logs Secret bodies: lint flags it, the log shows why; rotation keeps maxbackup files', async (t) => {
  const dir = await tempDir(t);
  const policy = await writeTemp(dir, 'policy.yaml', BODY_POLICY);
  const lint = await runCloak(['audit', 'policy', 'lint', policy]);
  assert.equal(lint.code, 1, lint.stderr);
  assert.match(
    lint.stdout,
    /^warning: rule 0: level RequestResponse writes Secret data \(secrets: get, list, create, update, patch, delete, deletecollection\) .*into the audit log; set rule 0's level to Metadata$/m,
  );
  assert.equal(lint.stdout.trimEnd().split('\n').length, 1, lint.stdout);

  const log = join(dir, 'audit.log');
  const cluster = await startDevCluster(t, {
    extraArgs: [
      '--audit-policy-file',
      policy,
      '--audit-log-path',
      log,
      '--audit-log-maxsize',
      '1',
      '--audit-log-maxbackup',
      '1',
    ],
  });
  const value = `pw-${randomBytes(12).toString('hex')}`;
  await kubectlOk(cluster, ['create', 'secret', 'generic', 'leaky', `--from-literal=password=${value}`]);
  await kubectlOk(cluster, ['get', 'secret', 'leaky', '-o', 'json']);
  const [get] = await eventsWhere(
    log,
    (event) =>
      event.verb === 'get' && event.objectRef?.['name'] === 'leaky' && event.stage === 'ResponseComplete',
  );
  // No omitStages here: the request was also logged as it arrived, under the same audit ID.
  const [received] = await eventsWhere(
    log,
    (event) => event.stage === 'RequestReceived' && event.auditID === get?.auditID,
  );
  assert.equal(received?.responseStatus, undefined);
  assert.equal(
    (get?.responseObject as { data?: Record<string, string> } | undefined)?.data?.['password'],
    Buffer.from(value).toString('base64'),
  );

  // About 2.5 MB of events into a log that rotates at 1 MB and keeps one backup.
  const big = await writeTemp(dir, 'big.txt', 'x'.repeat(300_000));
  await kubectlOk(cluster, ['create', 'configmap', 'big', `--from-file=big=${big}`]);
  for (let i = 0; i < 6; i++) await kubectlOk(cluster, ['get', 'configmap', 'big', '-o', 'name']);
  await eventsWhere(log, (event) => event.verb === 'get' && event.objectRef?.['name'] === 'big');
  await sleep(300); // pruning follows the rotation
  const files = (await readdir(dir)).filter((name) => name.startsWith('audit')).sort();
  assert.equal(files.length, 2, files.join(', '));
  assert.equal(files[1], 'audit.log');
  assert.match(files[0] ?? '', /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
  for (const name of files) {
    const path = join(dir, name);
    const text = await readFile(path, 'utf8');
    assert.ok(Buffer.byteLength(text) <= 1024 * 1024, `${name} is over --audit-log-maxsize`);
    await readEvents(path); // whole JSON lines only
  }
});

test('escalation: binding edit needs its permissions or bind; a bigger Role needs escalate', async (t) => {
  const dir = await tempDir(t);
  const cluster = await startDevCluster(t, {
    extraArgs: [
      '--audit-policy-file',
      await writeTemp(dir, 'policy.yaml', METADATA_POLICY),
      '--audit-log-path',
      join(dir, 'audit.log'),
    ],
  });
  const as = ['--as', 'alice', '-n', 'team'];
  await kubectlOk(cluster, ['create', 'namespace', 'team']);
  await kubectlOk(cluster, [
    'create',
    'role',
    'binder',
    '-n',
    'team',
    '--verb=get,list,create,update,delete',
    '--resource=rolebindings.rbac.authorization.k8s.io,roles.rbac.authorization.k8s.io',
  ]);
  await kubectlOk(cluster, [
    'create',
    'rolebinding',
    'alice-binder',
    '-n',
    'team',
    '--role=binder',
    '--user=alice',
  ]);

  const refused = await cluster.kubectl([
    'create',
    'rolebinding',
    'bob-edit',
    '--clusterrole=edit',
    '--user=bob',
    ...as,
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^error: failed to create rolebinding: rolebindings\.rbac\.authorization\.k8s\.io "bob-edit" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/,
  );
  // One line per resource, edit's aggregated rules compacted as kube prints them.
  assert.match(
    refused.stderr,
    /^\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get" "list" "watch" "create" "delete" "deletecollection" "patch" "update"\]\}$/m,
  );
  assert.equal(
    (await cluster.kubectl(['get', 'rolebinding', 'bob-edit', '-n', 'team'])).code,
    1,
    'not created',
  );
  // Refused by the escalation check after authorization allowed the create: the event says so.
  const [refusal] = await eventsWhere(
    join(dir, 'audit.log'),
    (event) =>
      event.verb === 'create' &&
      event.objectRef?.['resource'] === 'rolebindings' &&
      event.responseStatus?.code === 403,
  );
  assert.equal(refusal?.impersonatedUser?.username, 'alice');
  assert.equal(refusal?.annotations?.['authorization.k8s.io/decision'], 'allow');
  assert.match(
    (refusal?.responseStatus as { message?: string } | undefined)?.message ?? '',
    /"bob-edit" is forbidden: user "alice" .* is attempting to grant RBAC permissions not currently held/,
  );

  // bind on the edit ClusterRole, in this namespace: now alice may bind it (and only it).
  await kubectlOk(cluster, [
    'create',
    'role',
    'bind-edit',
    '-n',
    'team',
    '--verb=bind',
    '--resource=clusterroles.rbac.authorization.k8s.io',
    '--resource-name=edit',
  ]);
  await kubectlOk(cluster, [
    'create',
    'rolebinding',
    'alice-bind-edit',
    '-n',
    'team',
    '--role=bind-edit',
    '--user=alice',
  ]);
  await kubectlOk(cluster, ['create', 'rolebinding', 'bob-edit', '--clusterrole=edit', '--user=bob', ...as]);
  assert.equal(
    (await kubectlOk(cluster, ['auth', 'can-i', 'get', 'secrets', '-n', 'team', '--as', 'bob'])).trim(),
    'yes',
  );
  const admin = await cluster.kubectl([
    'create',
    'rolebinding',
    'bob-admin',
    '--clusterrole=admin',
    '--user=bob',
    ...as,
  ]);
  assert.equal(admin.code, 1);
  assert.match(admin.stderr, /is attempting to grant RBAC permissions not currently held/);

  // Roles: what alice holds she may grant; more needs escalate.
  await kubectlOk(cluster, [
    'create',
    'role',
    'small',
    '--verb=get',
    '--resource=rolebindings.rbac.authorization.k8s.io',
    ...as,
  ]);
  const bigger = await cluster.kubectl([
    'create',
    'role',
    'reader',
    '--verb=get',
    '--resource=secrets',
    ...as,
  ]);
  assert.equal(bigger.code, 1);
  assert.match(
    bigger.stderr,
    /roles\.rbac\.authorization\.k8s\.io "reader" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/,
  );
  await kubectlOk(cluster, [
    'create',
    'role',
    'escalator',
    '-n',
    'team',
    '--verb=escalate',
    '--resource=roles.rbac.authorization.k8s.io',
  ]);
  await kubectlOk(cluster, [
    'create',
    'rolebinding',
    'alice-escalator',
    '-n',
    'team',
    '--role=escalator',
    '--user=alice',
  ]);
  await kubectlOk(cluster, ['create', 'role', 'reader', '--verb=get', '--resource=secrets', ...as]);
  assert.equal(
    (await cluster.kubectl(['get', 'secrets', ...as])).code,
    1,
    'escalate grants nothing to alice herself',
  );
});

test('a missing or invalid --audit-policy-file stops the start with one line and leaves no data directory', async (t) => {
  const dir = await tempDir(t);
  const invalid = await writeTemp(
    dir,
    'invalid.yaml',
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n',
  );
  for (const [policy, problem] of [
    [join(dir, 'nope.yaml'), /^error: cannot read .*nope\.yaml: no such file or directory$/],
    [invalid, /^error: .*invalid\.yaml.*rules/],
  ] as const) {
    const dataDir = join(dir, 'data');
    const result = await runCloak([
      'dev',
      'cluster',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--audit-policy-file',
      policy,
      '--audit-log-path',
      join(dir, 'audit.log'),
    ]);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', problem);
    await assert.rejects(stat(dataDir), { code: 'ENOENT' });
  }
});
