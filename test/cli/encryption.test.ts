/** `cloak encryption` as a user runs it, without a cluster: config generate and rotate, usage errors, decrypt of a dump. */
import assert from 'node:assert/strict';
import { chmod, lstat, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeForStorage } from '../../src/apiserver/codec/codec.ts';
import { parseEncryptionConfiguration, type KeyedProviderConfig } from '../../src/encryption/config.ts';
import { encryptionTransformers } from '../../src/encryption/transformer.ts';
import { runCloak, type CliResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/keys.ts';

const KEY_NAME = /^key-\d{14}$/;

function usageError(result: CliResult, message: string | RegExp, what: string): void {
  assert.equal(result.code, 2, `${what}: exit ${result.code}\n${result.stderr}`);
  assert.equal(result.stdout, '', what);
  const lines = result.stderr.split('\n');
  assert.equal(lines.length, 2, `${what}: not one line: ${result.stderr}`);
  assert.equal(lines[1], '');
  if (typeof message === 'string') assert.equal(lines[0], `error: ${message}`, what);
  else assert.match(lines[0] ?? '', message, what);
}

function firstKeys(text: string): string[] {
  const provider = parseEncryptionConfiguration(text).resources[0]?.providers[0] as KeyedProviderConfig;
  return provider.keys.map((key) => key.name);
}

test('config generate -o writes the file atomically with mode 0600 and refuses to overwrite without --force', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'enc.yaml');
  const result = await runCloak(['encryption', 'config', 'generate', '--provider', 'aesgcm', '-o', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  const text = await readFile(file, 'utf8');
  const config = parseEncryptionConfiguration(text);
  const provider = config.resources[0]?.providers[0] as KeyedProviderConfig;
  assert.equal(provider.type, 'aesgcm');
  const name = provider.keys[0]?.name ?? '';
  assert.match(name, KEY_NAME);
  assert.equal(provider.keys[0]?.secret.length, 32);
  assert.deepEqual(
    config.resources[0]?.providers.map((each) => each.type),
    ['aesgcm', 'identity'],
  );
  assert.equal(
    result.stderr,
    `wrote ${file} (aesgcm key "${name}", for secrets); back it up securely, then give it to every kube-apiserver with --encryption-provider-config\n`,
  );
  assert.ok(!result.stderr.includes(provider.keys[0]?.secret.reveal().toString('base64') ?? '?'));
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['enc.yaml'], 'a temporary file was left behind');

  // The file may hold the only copy of a key: not overwritten without --force.
  const again = await runCloak(['encryption', 'config', 'generate', '--provider', 'secretbox', '-o', file]);
  assert.equal(again.code, 1);
  assert.equal(
    again.stderr,
    `error: ${file} exists: it may hold the only copy of a key; use --force to overwrite it\n`,
  );
  assert.equal(await readFile(file, 'utf8'), text);

  // --force replaces it, and a file that was readable by others becomes 0600.
  await chmod(file, 0o644);
  const forced = await runCloak([
    'encryption',
    'config',
    'generate',
    '--provider',
    'secretbox',
    '-o',
    file,
    '--force',
  ]);
  assert.equal(forced.code, 0, forced.stderr);
  const replaced = await readFile(file, 'utf8');
  assert.equal(parseEncryptionConfiguration(replaced).resources[0]?.providers[0]?.type, 'secretbox');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['enc.yaml']);

  const missingDir = await runCloak([
    'encryption',
    'config',
    'generate',
    '--provider',
    'aescbc',
    '-o',
    join(dir, 'no/enc.yaml'),
  ]);
  assert.equal(missingDir.code, 1);
  assert.equal(
    missingDir.stderr,
    `error: cannot write ${join(dir, 'no/enc.yaml')}: no such file or directory\n`,
  );
});

test('config generate to stdout: every provider, flags for resources, key name and kms', async () => {
  const [aescbc, kms, plain] = await Promise.all([
    runCloak([
      'encryption',
      'config',
      'generate',
      '--provider',
      'aescbc',
      '--resources',
      'secrets,configmaps',
      '--key-name',
      'primary',
      '--no-identity-fallback',
    ]),
    runCloak([
      'encryption',
      'config',
      'generate',
      '--provider',
      'kms',
      '--kms-name',
      'vault',
      '--kms-endpoint',
      'unix:///run/kms.sock',
      '--kms-timeout',
      '10s',
      '-o',
      '-',
    ]),
    runCloak(['encryption', 'config', 'generate', '--provider', 'secretbox']),
  ]);
  assert.equal(aescbc.code, 0, aescbc.stderr);
  assert.equal(aescbc.stderr, '');
  const entry = parseEncryptionConfiguration(aescbc.stdout).resources[0];
  assert.deepEqual(entry?.resources, ['secrets', 'configmaps']);
  assert.deepEqual(
    entry?.providers.map((each) => each.type),
    ['aescbc'],
  );
  assert.deepEqual(firstKeys(aescbc.stdout), ['primary']);
  assert.equal(kms.code, 0, kms.stderr);
  assert.ok(
    kms.stdout.endsWith(
      '      - kms:\n          apiVersion: v2\n          name: vault\n          endpoint: unix:///run/kms.sock\n          timeout: 10s\n      - identity: {}\n',
    ),
    kms.stdout,
  );
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(firstKeys(plain.stdout)[0] ?? '', KEY_NAME);
});

test('config generate: bad flags exit 2 with one line', async (t) => {
  const dir = await tempDir(t);
  const cases: [string[], string | RegExp][] = [
    [[], '--provider is required: aescbc, aesgcm, secretbox, kms'],
    [['--provider', 'rot13'], '--provider must be aescbc, aesgcm, secretbox, kms, not "rot13"'],
    [['--provider', 'aesgcm', '--resources', ','], '--resources needs at least one resource, e.g. secrets'],
    [
      ['--provider', 'aesgcm', '--resources', 'Secrets'],
      '--resources: Invalid value: "Secrets": resource name should not contain capital letters',
    ],
    [
      ['--provider', 'aesgcm', '--key-name', 'a b'],
      'invalid key name "a b": use letters, digits, ".", "_" and "-" (at most 63)',
    ],
    [
      ['--provider', 'aesgcm', '--kms-name', 'v'],
      '--kms-name and --kms-endpoint are for --provider kms, not aesgcm',
    ],
    [['--provider', 'aesgcm', '--force'], '--force needs -o FILE'],
    [
      ['--provider', 'kms', '--kms-name', 'v'],
      '--provider kms needs --kms-name and --kms-endpoint (unix:///path/to/plugin.sock)',
    ],
    [
      ['--provider', 'kms', '--kms-name', 'v', '--kms-endpoint', 'unix:///x', '--key-name', 'k'],
      '--key-name is for aescbc, aesgcm and secretbox: kms has no key in the file',
    ],
    [
      ['--provider', 'kms', '--kms-name', 'v', '--kms-endpoint', 'http://kms:80'],
      '--kms-endpoint: Invalid value: "http://kms:80": unsupported scheme "http" for KMS provider, only unix is supported',
    ],
    [
      ['--provider', 'kms', '--kms-name', 'v', '--kms-endpoint', 'unix:///x', '--kms-timeout', 'soon'],
      'invalid kms timeout "soon": use a duration such as 3s',
    ],
    [['--provider', 'aesgcm', '--bogus'], "unknown option '--bogus'"],
  ];
  const results = await Promise.all(
    cases.map(([args]) =>
      runCloak([
        'encryption',
        'config',
        'generate',
        ...args,
        ...(args.includes('--force') ? [] : ['-o', join(dir, 'enc.yaml')]),
      ]),
    ),
  );
  results.forEach((result, index) => {
    const [args, message] = cases[index] as [string[], string];
    usageError(result, message, args.join(' '));
  });
  assert.deepEqual(await readdir(dir), [], 'nothing is written');
});

test('config rotate: steps 1, 2, 3 in place, with what to do next; the mode is kept', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'enc.yaml');
  const made = await runCloak(['encryption', 'config', 'generate', '--provider', 'aesgcm', '-o', file]);
  assert.equal(made.code, 0, made.stderr);
  const original = await readFile(file, 'utf8');
  const [first] = firstKeys(original) as [string];

  const step1 = await runCloak(['encryption', 'config', 'rotate', file]);
  assert.equal(step1.code, 0, step1.stderr);
  assert.equal(step1.stderr, '');
  const after1 = await readFile(file, 'utf8');
  const [, added] = firstKeys(after1) as [string, string];
  assert.match(added, KEY_NAME);
  assert.ok(added > first, `${added} is not newer than ${first}`);
  assert.equal(
    step1.stdout,
    `step 1 of 3: added aesgcm key "${added}" as the second key for secrets in ${file}; "${first}" still encrypts new writes.\n` +
      '\n' +
      'Next:\n' +
      `1. Back up ${file} securely: it now holds the new key.\n` +
      '2. Restart every kube-apiserver so that each one loads the file (with --encryption-provider-config-automatic-reload, wait until each has reloaded it, about a minute). ' +
      `Each can then read data written with "${added}".\n` +
      `3. Then run: cloak encryption config rotate ${file}\n`,
  );
  // Only the key list changed: the header comment and everything else are as generate wrote them.
  assert.ok(after1.startsWith(original.slice(0, original.indexOf('      - identity: {}'))), after1);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['enc.yaml']);

  const step2 = await runCloak(['encryption', 'config', 'rotate', file]);
  assert.equal(step2.code, 0, step2.stderr);
  assert.deepEqual(firstKeys(await readFile(file, 'utf8')), [added, first]);
  assert.equal(
    step2.stdout,
    `step 2 of 3: moved aesgcm key "${added}" first for secrets in ${file}: it encrypts new writes; "${first}" stays to read older data.\n` +
      '\n' +
      'Next:\n' +
      '1. Restart every kube-apiserver so that each one loads the file (with --encryption-provider-config-automatic-reload, wait until each has reloaded it, about a minute).\n' +
      '2. Re-encrypt every object: cloak encryption rewrite\n' +
      '   (or: kubectl get secrets -A -o json | kubectl replace -f -)\n' +
      `3. Check that nothing is left under the old key: cloak encryption verify --etcd-endpoints URLS --config ${file}\n` +
      `4. Then run: cloak encryption config rotate ${file}\n`,
  );

  const step3 = await runCloak(['encryption', 'config', 'rotate', file]);
  assert.equal(step3.code, 0, step3.stderr);
  assert.deepEqual(firstKeys(await readFile(file, 'utf8')), [added]);
  assert.match(
    step3.stdout,
    new RegExp(
      `^step 3 of 3: removed aesgcm key "${first}" for secrets from ${file.replace(/[.]/g, '\\.')}; "${added}" is the only key\\.\n`,
    ),
  );
  assert.match(
    step3.stdout,
    /\nThe rotation is complete\. Data still written with "key-\d{14}" can no longer be read: keep a backup of the previous file until you are sure\.\n$/,
  );
});

test('config rotate: through a symlink the target changes; a file readable by others is warned about', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'real.yaml');
  const link = join(dir, 'link.yaml');
  assert.equal(
    (await runCloak(['encryption', 'config', 'generate', '--provider', 'secretbox', '-o', target])).code,
    0,
  );
  await chmod(target, 0o644);
  await symlink('real.yaml', link);
  const result = await runCloak(['encryption', 'config', 'rotate', link]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `warning: ${link} is readable by others (mode 0644); it holds keys: chmod 600 it\n`,
  );
  assert.ok((await lstat(link)).isSymbolicLink());
  assert.equal(await readlink(link), 'real.yaml');
  assert.equal(firstKeys(await readFile(target, 'utf8')).length, 2);
  // Its mode is kept.
  assert.equal((await stat(target)).mode & 0o777, 0o644);
});

test('config rotate: states it cannot step from fail with one line and leave the file alone', async (t) => {
  const dir = await tempDir(t);
  const secret = Buffer.alloc(32, 9).toString('base64');
  const header = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n';
  const files: [string, string, string][] = [
    [
      'identity.yaml',
      `${header}  - resources: [secrets]\n    providers:\n      - identity: {}\n`,
      'secrets is written by the identity provider (no encryption) in FILE: there is no key to rotate; put an encrypting provider first (cloak encryption config generate makes one)',
    ],
    [
      'names.yaml',
      `${header}  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - {name: a, secret: "${secret}"}\n            - {name: b, secret: "${secret}"}\n`,
      'cannot tell which key is the newest: none of the key names ("a", "b") ends in a timestamp (key-YYYYMMDDhhmmss); finish this rotation by hand, or leave one key and rotate again',
    ],
    ['empty.yaml', '', 'FILE: the file is empty'],
  ];
  for (const [name, text, message] of files) {
    const file = join(dir, name);
    await writeFile(file, text, { mode: 0o600 });
    const result = await runCloak(['encryption', 'config', 'rotate', file]);
    assert.equal(result.code, 1, `${name}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `error: ${message.replace('FILE', file)}\n`);
    assert.ok(!result.stderr.includes(secret));
    assert.equal(await readFile(file, 'utf8'), text);
  }
  const kmsFile = join(dir, 'kms.yaml');
  const kmsText = `${header}  - resources: [secrets]\n    providers:\n      - kms: {apiVersion: v2, name: vault, endpoint: "unix:///run/kms.sock"}\n`;
  await writeFile(kmsFile, kmsText, { mode: 0o600 });
  const kms = await runCloak(['encryption', 'config', 'rotate', kmsFile]);
  assert.equal(kms.code, 0, kms.stderr);
  assert.match(
    kms.stdout,
    /^secrets is encrypted by the kms provider "vault" \(KMS v2\): its keys rotate in the KMS, not in .*, which was left unchanged\.\n\nNext:\n1\. Rotate the key-encryption key in the KMS/,
  );
  assert.equal(await readFile(kmsFile, 'utf8'), kmsText);

  const missing = await runCloak(['encryption', 'config', 'rotate', join(dir, 'none.yaml')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: cannot read ${join(dir, 'none.yaml')}: no such file or directory\n`);
  usageError(
    await runCloak(['encryption', 'config', 'rotate', kmsFile, '--resources', 'Secrets']),
    '--resources: "Secrets" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
    'rotate --resources',
  );
  usageError(
    await runCloak(['encryption', 'config', 'rotate']),
    "error: missing required argument 'file'".slice(7),
    'rotate',
  );
});

test('verify, decrypt and rewrite: usage errors exit 2 before touching etcd or a cluster', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'enc.yaml');
  assert.equal(
    (await runCloak(['encryption', 'config', 'generate', '--provider', 'aesgcm', '-o', config])).code,
    0,
  );
  const cases: [string[], string][] = [
    [['verify'], "required option '--etcd-endpoints <urls>' not specified"],
    [
      ['verify', '--etcd-endpoints', ' , '],
      '--etcd-endpoints needs at least one URL, e.g. http://127.0.0.1:2379',
    ],
    [['verify', '--etcd-endpoints', 'http://127.0.0.1:1', '-o', 'xml'], '-o must be text or json, not "xml"'],
    [
      ['verify', '--etcd-endpoints', 'http://127.0.0.1:1', '--resources', 'a b'],
      '--resources: "a b" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
    ],
    [
      ['verify', '--etcd-endpoints', 'http://127.0.0.1:1', '--etcd-prefix', 'registry'],
      '--etcd-prefix must start with "/", not "registry"',
    ],
    [
      ['decrypt', '--etcd-endpoints', 'http://127.0.0.1:1'],
      '--config is required: the EncryptionConfiguration that wrote the values',
    ],
    [['decrypt', '--config', config], 'give one source: --etcd-endpoints URLS or --from-dump FILE'],
    [
      ['decrypt', '--config', config, '--etcd-endpoints', 'http://127.0.0.1:1', '--from-dump', 'd.json'],
      'give one source: --etcd-endpoints URLS or --from-dump FILE',
    ],
    [
      ['decrypt', '--config', config, '--from-dump', 'd.json', '-o', 'wide'],
      '-o must be yaml or json, not "wide"',
    ],
    [
      ['decrypt', '--config', config, '--from-dump', 'd.json', '--prefix', '/registry/', 'secrets/a/b'],
      'give KEYS or --prefix, not both',
    ],
    [
      ['decrypt', '--config', config, '--from-dump', 'd.json', '--prefix', 'registry/'],
      '--prefix must start with "/", not "registry/"',
    ],
    [['rewrite', '-n', 'a', '-A'], '-n and -A exclude each other (the default is every namespace)'],
    [['rewrite', '--batch', '0'], '--batch must be a number from 1 to 10000, not "0"'],
    [['rewrite', '--batch', '1e3'], '--batch must be a number from 1 to 10000, not "1e3"'],
    [
      ['rewrite', '--resources', '*.*'],
      '--resources: "*.*" is not a resource: use lowercase plural names such as secrets or widgets.example.com',
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runCloak(['encryption', ...args], { cwd: dir })));
  results.forEach((result, index) => {
    const [args, message] = cases[index] as [string[], string];
    usageError(result, message, args.join(' '));
  });
});

test('decrypt --from-dump: objects as kubectl prints them; an unknown key fails naming it, or warns with --skip-unreadable', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'enc.yaml');
  assert.equal(
    (await runCloak(['encryption', 'config', 'generate', '--provider', 'secretbox', '-o', config])).code,
    0,
  );
  const configText = await readFile(config, 'utf8');
  const keyName = firstKeys(configText)[0] ?? '';
  const transformer = encryptionTransformers(parseEncryptionConfiguration(configText), () =>
    assert.fail('no KMS'),
  )({
    group: '',
    plural: 'secrets',
  });
  const secret = (name: string): Record<string, unknown> => ({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name, namespace: 'prod', uid: `uid-${name}`, creationTimestamp: '2025-01-02T03:04:05Z' },
    data: { password: Buffer.from(`pw-${name}`).toString('base64') },
    type: 'Opaque',
  });
  const encrypted = await transformer.toStorage(
    encodeForStorage('protobuf', secret('db')),
    '/registry/secrets/prod/db',
  );
  assert.ok(Buffer.from(encrypted).toString('latin1').startsWith(`k8s:enc:secretbox:v1:${keyName}:`));
  const foreign = Buffer.concat([
    Buffer.from('k8s:enc:secretbox:v1:key-19990101000000:'),
    Buffer.alloc(60, 1),
  ]);
  const kv = (key: string, value: Uint8Array, revision: number): Record<string, unknown> => ({
    key: Buffer.from(key).toString('base64'),
    create_revision: revision,
    mod_revision: revision,
    version: 1,
    value: Buffer.from(value).toString('base64'),
  });
  const dump = join(dir, 'dump.json');
  await writeFile(
    dump,
    `${JSON.stringify({
      header: { cluster_id: 1, member_id: 2, revision: 30, raft_term: 2 },
      kvs: [
        kv(
          '/registry/namespaces/prod',
          Buffer.from('{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"prod"}}'),
          3,
        ),
        kv('/registry/secrets/prod/db', encrypted, 21),
        kv('/registry/secrets/prod/legacy', encodeForStorage('protobuf', secret('legacy')), 22),
        kv('/registry/secrets/prod/old', foreign, 23),
      ],
      count: 4,
    })}\n`,
  );

  const one = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    config,
    '--from-dump',
    dump,
    'secrets/prod/db',
  ]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stderr, '');
  assert.equal(
    one.stdout,
    'apiVersion: v1\ndata:\n  password: cHctZGI=\nkind: Secret\nmetadata:\n  creationTimestamp: "2025-01-02T03:04:05Z"\n  name: db\n  namespace: prod\n  resourceVersion: "21"\n  uid: uid-db\ntype: Opaque\n',
  );

  const all = await runCloak(['encryption', 'decrypt', '--config', config, '--from-dump', dump]);
  assert.equal(all.code, 1);
  assert.equal(all.stdout, '');
  assert.equal(
    all.stderr,
    'error: cannot decrypt /registry/secrets/prod/old (resource secrets): secretbox: the value was written with key "key-19990101000000", which is not configured\n',
  );

  const skipping = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    config,
    '--from-dump',
    dump,
    '--skip-unreadable',
    '-o',
    'json',
  ]);
  assert.equal(skipping.code, 0, skipping.stderr);
  assert.equal(
    skipping.stderr,
    'warning: cannot decrypt /registry/secrets/prod/old (resource secrets): secretbox: the value was written with key "key-19990101000000", which is not configured (skipped)\n',
  );
  const list = JSON.parse(skipping.stdout) as {
    kind: string;
    items: { metadata: { name: string; resourceVersion: string } }[];
  };
  assert.equal(list.kind, 'List');
  assert.deepEqual(
    list.items.map((item) => [item.metadata.name, item.metadata.resourceVersion]),
    [
      ['db', '21'],
      ['legacy', '22'],
    ],
  );

  const missing = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    config,
    '--from-dump',
    dump,
    '/registry/secrets/prod/nope',
  ]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: /registry/secrets/prod/nope: not found\n');

  const out = join(dir, 'recovered.yaml');
  const toFile = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    config,
    '--from-dump',
    dump,
    '--prefix',
    '/registry/namespaces/',
    '--output-file',
    out,
  ]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(toFile.stdout, '');
  assert.equal((await stat(out)).mode & 0o777, 0o600);
  assert.equal(
    await readFile(out, 'utf8'),
    'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: prod\n    resourceVersion: "3"\nkind: List\nmetadata:\n  resourceVersion: ""\n',
  );

  await writeFile(join(dir, 'bad.json'), 'not json\n');
  const bad = await runCloak([
    'encryption',
    'decrypt',
    '--config',
    config,
    '--from-dump',
    join(dir, 'bad.json'),
  ]);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    `error: ${join(dir, 'bad.json')}: not the JSON output of etcdctl get --prefix -w json (expected a JSON object with kvs)\n`,
  );
});
