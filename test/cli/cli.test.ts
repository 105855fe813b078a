import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCloak } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;

test('--help lists the commands; each command has its own help', async () => {
  const help = await runCloak(['--help']);
  assert.equal(help.code, 0);
  for (const command of ['seal', 'unseal', 'keys'])
    assert.match(help.stdout, new RegExp(`^ {2}${command}\\b`, 'm'));
  const sealHelp = await runCloak(['seal', '--help']);
  assert.equal(sealHelp.code, 0);
  for (const flag of [
    '--cert',
    '--controller-namespace',
    '--raw',
    '--merge-into',
    '--recovery-unseal',
    '--re-encrypt',
    '--kubeconfig',
    '-n, --namespace',
  ]) {
    assert.ok(sealHelp.stdout.includes(flag), flag);
  }
  const keysHelp = await runCloak(['keys', 'generate', '--help']);
  assert.match(keysHelp.stdout, /--bits <bits>/);
});

test('no command prints the help and succeeds', async () => {
  const result = await runCloak([]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: cloak \[options\] \[command\]/);
});

test('--version prints the package version', async () => {
  assert.equal((await runCloak(['--version'])).stdout, `${VERSION}\n`);
  assert.equal((await runCloak(['seal', '--version'])).stdout, `cloak seal version: ${VERSION}\n`);
});

test('usage errors exit 2 with one line; user errors exit 1; --debug adds the stack', async () => {
  const unknownCommand = await runCloak(['frobnicate']);
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /^error: unknown command 'frobnicate'/);
  const unknownFlag = await runCloak(['seal', '--frobnicate']);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /^error: unknown option '--frobnicate'/);
  const missingValue = await runCloak(['seal', '--cert']);
  assert.equal(missingValue.code, 2);
  assert.match(missingValue.stderr, /^error: option '--cert <file\|url>' argument missing/);

  const userError = await runCloak(['seal', '--cert', '/nonexistent.pem'], { input: 'kind: Secret\n' });
  assert.equal(userError.code, 1);
  assert.equal(
    userError.stderr,
    'error: cannot read certificate /nonexistent.pem: no such file or directory\n',
  );
  const debug = await runCloak(['--debug', 'seal', '--cert', '/nonexistent.pem'], {
    input: 'kind: Secret\n',
  });
  assert.equal(debug.code, 1);
  assert.match(
    debug.stderr,
    /^error: cannot read certificate \/nonexistent\.pem: no such file or directory\nCloakError: .*\n\s+at /,
  );
});

test('bin/cloak refuses a Node.js older than 24 with a clear message', async () => {
  // Simulate an old runtime by overriding the version the entry point reads.
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.20.2"});Object.defineProperty(process,"version",{value:"v20.20.2"})',
      `${REPO_ROOT}bin/cloak`,
      '--version',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 1);
  assert.equal(result.stderr, 'error: cloak needs Node.js 24 or newer; this is Node.js v20.20.2\n');
});
