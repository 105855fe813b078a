/** `cloak rbac can-i` offline, end to end: the real bin/cloak on real manifest files. */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCloak } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';

const BINDINGS = `# RBAC for team-a
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: team-a}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: editors, namespace: team-a}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
---
# No namespace: offline, that is "default"; so is the service account's.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployers}
subjects: [{kind: ServiceAccount, name: deployer}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
---
apiVersion: v1
kind: Secret
metadata: {name: not-rbac}
stringData: {password: hunter2}
`;

const ROLES_JSON = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'widget-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'one-secret', namespace: 'team-a' },
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['db-creds'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'one-secret', namespace: 'team-a' },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-secret' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metrics' },
      subjects: [{ kind: 'Group', name: 'monitoring', apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:monitoring' },
    },
  ],
});

async function manifests(t: TestContext): Promise<string> {
  const dir = await tempDir(t);
  const rbac = join(dir, 'rbac');
  await mkdir(rbac);
  await writeTemp(rbac, 'bindings.yaml', BINDINGS);
  await writeTemp(rbac, 'roles.json', ROLES_JSON);
  await writeTemp(rbac, 'README.txt', 'not a manifest');
  return rbac;
}

async function canI(dir: string, ...args: string[]) {
  return runCloak(['rbac', 'can-i', ...args, '-f', dir]);
}

test('yes and no, with kubectl’s exit statuses', async (t) => {
  const dir = await manifests(t);
  const table: [string[], string, number][] = [
    [['get', 'secrets', '-n', 'team-a', '--as', 'alice'], 'no\n', 1],
    [['get', 'secrets/db-creds', '-n', 'team-a', '--as', 'alice'], 'yes\n', 0],
    [['get', 'secrets', 'db-creds', '-n', 'team-a', '--as', 'alice'], 'yes\n', 0],
    [['list', 'secrets', '-n', 'team-a', '--as', 'bob', '--as-group', 'devs'], 'yes\n', 0],
    [['get', 'secret', '-n', 'team-b', '--as', 'bob', '--as-group', 'devs'], 'no\n', 1],
    [['create', 'deploy', '--as', 'system:serviceaccount:default:deployer'], 'yes\n', 0],
    [['create', 'deploy', '-n', 'team-a', '--as', 'system:serviceaccount:default:deployer'], 'no\n', 1],
    [['create', 'deploy', '-n', 'team-a', '--as', 'system:serviceaccount:team-a:deployer'], 'no\n', 1],
    [['list', 'widgets.example.com', '-n', 'team-a', '--as', 'alice'], 'yes\n', 0],
    [['get', 'pods', '--subresource', 'log', '-n', 'team-a', '--as', 'alice'], 'yes\n', 0],
    [['create', 'pods', '--subresource', 'exec', '-n', 'team-a', '--as', 'alice'], 'no\n', 1],
    [['get', '/metrics', '--as', 'mon', '--as-group', 'monitoring'], 'yes\n', 0],
    [['get', '/metrics', '--as', 'alice'], 'no\n', 1],
    [['get', '/healthz', '--as', 'system:anonymous'], 'yes\n', 0],
    [['list', 'pods', '-A', '--as', 'alice'], 'no\n', 1],
    [['delete', 'nodes', '-A', '--as', 'root', '--as-group', 'system:masters'], 'yes\n', 0],
  ];
  for (const [args, stdout, code] of table) {
    const result = await canI(dir, ...args);
    assert.equal(result.stdout, stdout, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.code, code, args.join(' '));
  }
});

test('--explain names the binding and the rule, and where an aggregated rule came from', async (t) => {
  const dir = await manifests(t);
  const edit = await canI(
    dir,
    'get',
    'secrets',
    '-n',
    'team-a',
    '--as',
    'bob',
    '--as-group',
    'devs',
    '--explain',
  );
  assert.equal(edit.code, 0);
  assert.equal(
    edit.stdout,
    'yes\n' +
      'allowed by RoleBinding "editors/team-a" of ClusterRole "edit" to Group "devs"\n' +
      '  rule: ClusterRole "edit" rules[0] {APIGroups:[""], Resources:["pods/attach" "pods/exec" "pods/portforward" "pods/proxy" "secrets" "services/proxy"], Verbs:["get" "list" "watch"]}\n' +
      '  (aggregated into "edit" from ClusterRole "system:aggregate-to-edit")\n',
  );
  const widget = await canI(dir, 'get', 'widgets.example.com', '-n', 'team-a', '--as', 'alice', '--explain');
  assert.match(widget.stdout, /\(aggregated into "view" from ClusterRole "widget-viewer"\)\n$/);
  const role = await canI(dir, 'get', 'secrets/db-creds', '-n', 'team-a', '--as', 'alice', '--explain');
  assert.equal(
    role.stdout,
    'yes\nallowed by RoleBinding "one-secret/team-a" of Role "one-secret" to User "alice"\n' +
      '  rule: Role "one-secret/team-a" rules[0] {APIGroups:[""], Resources:["secrets"], ResourceNames:["db-creds"], Verbs:["get"]}\n',
  );
});

test('--explain on a no lists the bindings the user has', async (t) => {
  const dir = await manifests(t);
  const result = await canI(dir, 'get', 'secrets', '-n', 'team-a', '--as', 'alice', '--explain');
  assert.equal(result.code, 1);
  assert.equal(
    result.stdout,
    'no\n' +
      'no RBAC rule allows User "alice" (groups=["system:authenticated"]) to get resource "secrets" in API group "" in the namespace "team-a"\n' +
      'bindings that apply to this user:\n' +
      '  ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"\n' +
      '  ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"\n' +
      '  ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:authenticated"\n' +
      '  RoleBinding "viewers/team-a" of ClusterRole "view" to User "alice"\n' +
      '  RoleBinding "one-secret/team-a" of Role "one-secret" to User "alice"\n',
  );
  const masters = await canI(
    dir,
    'get',
    'secrets',
    '--as',
    'root',
    '--as-group',
    'system:masters',
    '--explain',
  );
  assert.match(masters.stdout, /^yes\nallowed: the group "system:masters" passes every check/);
});

test('--list prints kubectl’s table', async (t) => {
  const dir = await manifests(t);
  const result = await canI(dir, '--list', '-n', 'team-a', '--as', 'alice');
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.match(lines[0] ?? '', /^Resources {3,}Non-Resource URLs {3}Resource Names {3}Verbs$/);
  assert.ok(
    lines.some((line) => /^secrets {3,}\[\] {3,}\[db-creds\] {3,}\[get\]$/.test(line)),
    result.stdout,
  );
  assert.ok(
    lines.some((line) => /^widgets\.example\.com {3,}\[\] {3,}\[\] {3,}\[get list watch\]$/.test(line)),
  );
  assert.ok(!lines.some((line) => /^secrets .*\[\] {3,}\[get/.test(line)), 'view has no secrets');
  const noHeaders = await canI(dir, '--list', '-n', 'team-a', '--as', 'alice', '--no-headers');
  assert.equal(noHeaders.stdout.split('\n')[0]?.startsWith('Resources'), false);
});

test('a single file, stdin, and manifests replacing a default role', async (t) => {
  const dir = await tempDir(t);
  const file = await writeTemp(
    dir,
    'view.yaml',
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-view}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
`,
  );
  const replaced = await runCloak(['rbac', 'can-i', 'get', 'secrets', '--as', 'anyone', '-f', file]);
  assert.equal(replaced.stdout, 'yes\n');
  const piped = await runCloak(['rbac', 'can-i', 'get', 'pods', '--as', 'anyone', '-f', '-'], {
    input: (await import('node:fs')).readFileSync(file),
  });
  assert.equal(piped.stdout, 'no\n', 'the replaced view has no pods');
});

test('kubectl’s warnings go to stderr', async (t) => {
  const dir = await manifests(t);
  const log = await canI(dir, 'get', 'pods/log', '-n', 'team-a', '--as', 'alice');
  assert.equal(log.stdout, 'yes\n');
  assert.match(
    log.stderr,
    /^Warning: "pods\/log" checks the object named "log"; for the subresource use --subresource log$/m,
  );
  const verb = await canI(dir, 'frobnicate', 'secrets', '-n', 'team-a', '--as', 'alice');
  assert.match(verb.stderr, /^Warning: verb 'frobnicate' is not a known verb$/m);
  const scope = await canI(dir, 'get', 'nodes', '--as', 'alice');
  assert.match(scope.stderr, /^Warning: resource 'nodes' is not namespace scoped$/m);
  const unknown = await canI(dir, 'get', 'gizmos', '--as', 'alice');
  assert.match(
    unknown.stderr,
    /^Warning: the resource type 'gizmos' is not a built-in one; it is checked as typed$/m,
  );
  const quiet = await canI(dir, 'get', 'secrets', '-n', 'team-a', '--as', 'alice', '-q');
  assert.equal(quiet.stdout, '');
  assert.equal(quiet.code, 1);
});

test('usage errors exit 2; unreadable input exits 1; nothing is evaluated half-read', async (t) => {
  const dir = await manifests(t);
  const cases: [string[], RegExp][] = [
    [['get', 'secrets'], /offline checks \(-f\) need --as USER/],
    [['get', '--as', 'a'], /you must specify two arguments: verb resource or verb resource\/resourceName\./],
    [['--list', 'get', 'pods', '--as', 'a'], /list option must be specified with no arguments/],
    [
      ['--list', '-A', '--as', 'a'],
      /--list options must not be specified with --quiet, --all-namespaces, or --subresource/,
    ],
    [['get', 'pods', '--no-headers', '--as', 'a'], /--no-headers cannot be set without --list specified/],
    [
      ['get', '/healthz', '--subresource', 'x', '--as', 'a'],
      /--subresource can not be used with NonResourceURL/,
    ],
    [['get', 'pods', '--as-group', 'g'], /--as-group needs --as/],
  ];
  for (const [args, message] of cases) {
    const result = await canI(dir, ...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const missing = await runCloak(['rbac', 'can-i', 'get', 'pods', '--as', 'a', '-f', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: cannot read .*nope\.yaml: no such file or directory$/m);
  const nameless = await writeTemp(
    dir,
    'nameless.yaml',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {}\n',
  );
  const bad = await runCloak(['rbac', 'can-i', 'get', 'pods', '--as', 'a', '-f', nameless]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: .*nameless\.yaml: a Role without metadata\.name$/m);
  const empty = await writeTemp(dir, 'empty.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
  const none = await runCloak(['rbac', 'can-i', 'get', '/version', '--as', 'a', '-f', empty]);
  assert.equal(none.stdout, 'yes\n');
  assert.match(none.stderr, /^Warning: .*empty\.yaml holds no RBAC objects$/m);
});

test('cloak rbac can-i --help describes the command', async () => {
  const result = await runCloak(['rbac', 'can-i', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /VERB TYPE\[\/NAME\]/);
  assert.match(result.stdout, /--explain/);
});
