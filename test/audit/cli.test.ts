import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { recommendedPolicyYaml } from '../../src/audit/recommended.ts';
import { runCloak } from '../helpers/cli.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-audit-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const LEAKY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: RequestResponse
  resources:
  - group: ""
- level: Metadata
  resources:
  - group: ""
    resources: [secrets, configmaps]
- level: Metadata
`;

describe('cloak audit policy generate', () => {
  it('prints the recommended policy, which lint passes', async () => {
    const generated = await runCloak(['audit', 'policy', 'generate']);
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(generated.stdout, recommendedPolicyYaml());
    const linted = await runCloak(['audit', 'policy', 'lint', '-'], { input: generated.stdout });
    assert.deepEqual([linted.code, linted.stdout, linted.stderr], [0, '', '']);
  });

  it('-o writes the file atomically, and nothing when it cannot', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'audit-policy.yaml');
    const generated = await runCloak(['audit', 'policy', 'generate', '-o', file]);
    assert.deepEqual([generated.code, generated.stdout, generated.stderr], [0, '', '']);
    assert.equal(await readFile(file, 'utf8'), recommendedPolicyYaml());
    assert.deepEqual(await readdir(dir), ['audit-policy.yaml'], 'no temporary file is left behind');
    const linted = await runCloak(['audit', 'policy', 'lint', file]);
    assert.equal(linted.code, 0, linted.stdout + linted.stderr);

    const failed = await runCloak(['audit', 'policy', 'generate', '-o', join(dir, 'missing', 'p.yaml')]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^error: cannot write .*p\.yaml: no such file or directory\n$/);
  });
});

describe('cloak audit policy lint', () => {
  it('prints one warning per line and exits 1', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'policy.yaml');
    await writeFile(file, LEAKY);
    const result = await runCloak(['audit', 'policy', 'lint', file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    assert.deepEqual(result.stdout.split('\n'), [
      'warning: rule 0: level RequestResponse writes Secret data (secrets: get, list, create, update, patch, delete, ' +
        'deletecollection), ConfigMap data (configmaps: get, list, create, update, patch, delete, deletecollection) and ' +
        'issued ServiceAccount tokens (serviceaccounts/token: create) into the audit log; add {level: Metadata, ' +
        'resources: [{group: "", resources: [secrets, configmaps, serviceaccounts/token]}]} before rule 0',
      '',
    ]);
  });

  it('-o json', async () => {
    const result = await runCloak(['audit', 'policy', 'lint', '-o', 'json', '-'], {
      input: LEAKY.replace('- level: Metadata\n', '- level: Metadata\n  verbs: ["*"]\n'),
    });
    assert.equal(result.code, 1, result.stderr);
    const findings = JSON.parse(result.stdout) as { rule: number | null; code: string; message: string }[];
    assert.deepEqual(
      findings.map(({ rule, code }) => [rule, code]),
      [
        [0, 'sensitive-values-logged'],
        [1, 'no-wildcard'],
      ],
    );
    const clean = await runCloak(['audit', 'policy', 'lint', '--output', 'JSON', '-'], {
      input: recommendedPolicyYaml(),
    });
    assert.deepEqual([clean.code, clean.stdout], [0, '[]\n']);
  });

  it('policy-wide findings say "policy"', async () => {
    const result = await runCloak(['audit', 'policy', 'lint', '-'], {
      input: 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  namespaces: [prod]\n',
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^warning: policy: get, list, watch of secrets can match no rule/);
  });

  it("refuses an invalid policy with kube-apiserver's message", async () => {
    const result = await runCloak(['audit', 'policy', 'lint', '-'], {
      input: 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Verbose\n',
    });
    assert.deepEqual([result.code, result.stdout], [1, '']);
    assert.equal(
      result.stderr,
      'error: stdin: rules[0].level: Unsupported value: "Verbose": supported values: "None", "Metadata", "Request", "RequestResponse"\n',
    );
  });

  it('does not echo file contents in errors', async () => {
    const result = await runCloak(['audit', 'policy', 'lint', '-'], {
      input: 'kind: Policy\nrules: [ {level: "hunter2"\n',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: stdin: invalid YAML at line \d+, column \d+/);
    assert.ok(!result.stderr.includes('hunter2'));
  });

  it('usage errors exit 2', async (t) => {
    const bad = await runCloak(['audit', 'policy', 'lint', '-o', 'yaml', '-'], {
      input: recommendedPolicyYaml(),
    });
    assert.deepEqual(
      [bad.code, bad.stderr],
      [2, 'error: unsupported output format: yaml (use text or json)\n'],
    );
    const missing = await runCloak(['audit', 'policy', 'lint']);
    assert.equal(missing.code, 2);
    const dir = await tempDir(t);
    const absent = await runCloak(['audit', 'policy', 'lint', join(dir, 'nope.yaml')]);
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /^error: cannot read .*nope\.yaml: no such file or directory\n$/);
  });
});
