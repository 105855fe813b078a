/** `cloak template render` as a user runs it: exact output bytes, one-line Go errors, exit statuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCloak } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';

test('renders with JSON data: exact bytes, no added newline, numbers as Go prints float64', async (t) => {
  const dir = await tempDir(t);
  const template = await writeTemp(
    dir,
    'config.tmpl',
    'port={{ .port }} big={{ .big }}\n{{- range $k, $v := .m }} {{ $k }}={{ $v }}{{ end }}',
  );
  const data = await writeTemp(
    dir,
    'data.json',
    '{"port": 8080, "big": 1000000, "m": {"b": [1, "x"], "a": null}}',
  );
  const result = await runCloak(['template', 'render', '--data', data, template]);
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
  assert.equal(result.stdout, 'port=8080 big=1e+06 a=<no value> b=[1 x]');
});

test('YAML data, custom delimiters and the template on stdin', async (t) => {
  const dir = await tempDir(t);
  const data = await writeTemp(dir, 'values.yaml', 'enabled: yes\nname: web\n');
  const result = await runCloak(['template', 'render', '--delims', '[[,]]', '--data', data, '-'], {
    input: '[[ if .enabled ]][[ .name ]] {{ untouched }}[[ end ]]',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'web {{ untouched }}');
});

test('output bytes are written as rendered, binary included', async (t) => {
  const dir = await tempDir(t);
  const template = await writeTemp(
    dir,
    'bin.tmpl',
    Buffer.from([0x7b, 0x7b, 0x20, 0x22, 0x5c, 0x78, 0x66, 0x66, 0x22, 0x20, 0x7d, 0x7d, 0xfe]),
  );
  const result = await runCloak(['template', 'render', template]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...result.stdoutBytes], [0xff, 0xfe]);
});

test('missingkey=error fails as External Secrets does: one line, exit 1, nothing on stdout', async (t) => {
  const dir = await tempDir(t);
  const template = await writeTemp(dir, 'secret.tmpl', 'user={{ .username }}\npass={{ .password }}\n');
  const data = await writeTemp(dir, 'data.json', '{"username": "admin"}');
  const result = await runCloak(['template', 'render', '--missingkey', 'error', '--data', data, template]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    'error: template: secret.tmpl:2:8: executing "secret.tmpl" at <.password>: map has no entry for key "password"\n',
  );
});

test('parse errors and errors whose node spans lines are one line', async (t) => {
  const dir = await tempDir(t);
  const parse = await runCloak(['template', 'render', await writeTemp(dir, 'p.tmpl', 'a\n{{ if }}')]);
  assert.equal(parse.code, 1);
  assert.equal(parse.stderr, 'error: template: p.tmpl:2: missing value for if\n');
  const exec = await runCloak([
    'template',
    'render',
    await writeTemp(dir, 'e.tmpl', '{{ range 1.5 }}\n{{ end }}'),
  ]);
  assert.equal(exec.code, 1);
  assert.equal(exec.stderr.split('\n').length, 2, exec.stderr);
  assert.match(
    exec.stderr,
    /^error: template: e\.tmpl:1:9: executing "e\.tmpl" at <1\.5>: range can't iterate over 1\.5\n$/,
  );
});

test('bad data and bad flags', async (t) => {
  const dir = await tempDir(t);
  const template = await writeTemp(dir, 't.tmpl', '{{ . }}');
  const data = await writeTemp(dir, 'bad.json', '{"password": hunter2}');
  const bad = await runCloak(['template', 'render', '--data', data, template]);
  assert.equal(bad.code, 1);
  assert.doesNotMatch(bad.stderr, /hunter2/);
  assert.match(bad.stderr, /bad\.json: invalid JSON at line 1, column 14/);
  const funcs = await runCloak(['template', 'render', '--funcs', 'helm', template]);
  assert.equal(funcs.code, 2);
  assert.match(funcs.stderr, /unknown function set "helm"/);
  const mode = await runCloak(['template', 'render', '--missingkey', 'panic', template]);
  assert.equal(mode.code, 2);
  const delims = await runCloak(['template', 'render', '--delims', '[[', template]);
  assert.equal(delims.code, 2);
});
