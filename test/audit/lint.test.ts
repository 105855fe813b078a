import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFinding, lintPolicy, type LintFinding } from '../../src/audit/lint.ts';
import { levelFor, loadPolicy } from '../../src/audit/policy.ts';
import {
  RECOMMENDED_RULES,
  recommendedPolicy,
  recommendedPolicyObject,
  recommendedPolicyYaml,
} from '../../src/audit/recommended.ts';

const HEAD = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';

function lint(rules: string, extra = ''): LintFinding[] {
  const { policy, unknownFields } = loadPolicy(`${HEAD}${extra}rules:\n${rules}`, 'policy.yaml');
  return lintPolicy(policy, { unknownFields });
}

function lines(findings: readonly LintFinding[]): string[] {
  return findings.map(formatFinding);
}

const SECRETS_METADATA =
  '- level: Metadata\n  resources:\n  - group: ""\n    resources: [secrets, configmaps]\n';

describe('lintPolicy: secret values in the log', () => {
  it('flags RequestResponse on secrets and says to lower that rule', () => {
    const findings = lint(
      '- level: RequestResponse\n  resources:\n  - group: ""\n    resources: [secrets]\n- level: Metadata\n',
    );
    assert.deepEqual(lines(findings), [
      'warning: rule 0: level RequestResponse writes Secret data (secrets: get, list, create, update, patch, delete, ' +
        "deletecollection) into the audit log; set rule 0's level to Metadata",
    ]);
    assert.equal(findings[0]?.code, 'sensitive-values-logged');
  });

  it('flags a policy that logs all secret access at RequestResponse, as blog posts suggest', () => {
    // The policy of "SRE: Secrets Management in Kubernetes" (2026-03-07), in ../shared/seeds.
    const { policy } = loadPolicy(
      `${HEAD}rules:
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["secrets"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["serviceaccounts/token"]
    verbs: ["create"]
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
        resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]
    verbs: ["create", "update", "patch", "delete"]
  - level: Metadata
    omitStages:
      - "RequestReceived"
`,
      'blog',
    );
    assert.deepEqual(lines(lintPolicy(policy)), [
      'warning: rule 0: level RequestResponse writes Secret data (secrets: get, list, create, update, patch, delete) ' +
        "into the audit log; set rule 0's level to Metadata",
    ]);
  });

  it('Request level leaks the data of writes only', () => {
    assert.deepEqual(
      lines(
        lint(
          `- level: Request\n  resources:\n  - group: ""\n    resources: [configmaps]\n${SECRETS_METADATA}`,
        ),
      ),
      [
        'warning: rule 0: level Request writes ConfigMap data (configmaps: create, update, patch) into the audit log; ' +
          "set rule 0's level to Metadata",
      ],
    );
  });

  it('a broad RequestResponse rule before the secrets Metadata rule still leaks (rule order)', () => {
    const findings = lint(
      `- level: RequestResponse\n  resources:\n  - group: ""\n${SECRETS_METADATA}- level: Metadata\n`,
    );
    assert.deepEqual(lines(findings), [
      'warning: rule 0: level RequestResponse writes Secret data (secrets: get, list, create, update, patch, delete, ' +
        'deletecollection), ConfigMap data (configmaps: get, list, create, update, patch, delete, deletecollection) and ' +
        'issued ServiceAccount tokens (serviceaccounts/token: create) into the audit log; add {level: Metadata, ' +
        'resources: [{group: "", resources: [secrets, configmaps, serviceaccounts/token]}]} before rule 0',
    ]);
    // The same rules the other way round are clean for secrets and configmaps.
    const reordered = lint(
      `${SECRETS_METADATA}- level: RequestResponse\n  resources:\n  - group: ""\n- level: Metadata\n`,
    );
    assert.deepEqual(
      reordered.map((finding) => [finding.rule, finding.message.replace(/ into the audit log.*/, '')]),
      [[1, 'level RequestResponse writes issued ServiceAccount tokens (serviceaccounts/token: create)']],
    );
  });

  it('a catch-all rule at Request level first leaks tokens under review too, and hides every later rule', () => {
    const findings = lint(
      `- level: Request\n${SECRETS_METADATA}- level: None\n  nonResourceURLs: [/healthz*]\n`,
    );
    assert.deepEqual(
      findings.map((finding) => [finding.rule, finding.code]),
      [
        [0, 'unreachable-rules'],
        [0, 'sensitive-values-logged'],
      ],
    );
    assert.equal(
      findings[0]?.message,
      'this rule matches every request, so rules 1 to 2 are never used; move it to the end',
    );
    assert.match(findings[1]?.message ?? '', /bearer tokens under review \(tokenreviews: create\)/);
    assert.match(
      findings[1]?.message ?? '',
      /\{group: "authentication\.k8s\.io", resources: \[tokenreviews\]\}/,
    );
  });

  it('a rule narrowed to some users, namespaces or names still leaks, and does not hide later rules', () => {
    const findings = lint(
      '- level: RequestResponse\n  userGroups: [admins]\n  namespaces: [prod]\n  resources:\n  - group: ""\n    resources: [secrets]\n    resourceNames: [db]\n' +
        '- level: RequestResponse\n  resources:\n  - group: ""\n    resources: ["*"]\n',
    );
    assert.deepEqual(
      findings.map((finding) => finding.rule),
      [0, 1],
    );
  });

  it('tokens: TokenReview at Request, TokenRequest only at RequestResponse', () => {
    const reviews = lint(
      '- level: Request\n  resources:\n  - group: authentication.k8s.io\n    resources: [tokenreviews]\n' +
        SECRETS_METADATA,
    );
    assert.equal(reviews.length, 1);
    assert.match(
      reviews[0]?.message ?? '',
      /^level Request writes bearer tokens under review \(tokenreviews: create\)/,
    );
    const requestLevel = lint(
      '- level: Request\n  resources:\n  - group: ""\n    resources: [serviceaccounts/token]\n' +
        SECRETS_METADATA,
    );
    assert.deepEqual(requestLevel, []);
    for (const spec of ['serviceaccounts/token', 'serviceaccounts/*', '*/token', '*']) {
      const findings = lint(
        `- level: RequestResponse\n  resources:\n  - group: ""\n    resources: ["${spec}"]\n${SECRETS_METADATA}`,
      );
      assert.ok(
        findings.some((finding) =>
          finding.message.includes('issued ServiceAccount tokens (serviceaccounts/token: create)'),
        ),
        spec,
      );
    }
    // "serviceaccounts" alone does not match the subresource.
    assert.deepEqual(
      lint(
        `- level: RequestResponse\n  resources:\n  - group: ""\n    resources: [serviceaccounts]\n${SECRETS_METADATA}`,
      ),
      [],
    );
  });

  it('verbs decide what leaks; a rule whose stages cannot carry bodies leaks nothing', () => {
    assert.deepEqual(
      lint(
        `- level: RequestResponse\n  verbs: [watch]\n  resources:\n  - group: ""\n    resources: [secrets]\n${SECRETS_METADATA}`,
      ),
      [],
    );
    const findings = lint(
      `- level: Request\n  verbs: [get, patch]\n  resources:\n  - group: ""\n${SECRETS_METADATA}`,
    );
    assert.match(
      findings[0]?.message ?? '',
      /Secret data \(secrets: patch\) and ConfigMap data \(configmaps: patch\)/,
    );
    assert.deepEqual(
      lint(
        `- level: RequestResponse\n  omitStages: [ResponseStarted, ResponseComplete, Panic]\n  resources:\n  - group: ""\n${SECRETS_METADATA}`,
      ),
      [],
    );
  });
});

describe('lintPolicy: reads of Secrets', () => {
  it('flags level None on secret reads', () => {
    const findings = lint(
      `- level: None\n  verbs: [get, list, watch]\n  resources:\n  - group: ""\n    resources: [secrets]\n${SECRETS_METADATA}`,
    );
    assert.deepEqual(lines(findings), [
      'warning: rule 0: level None leaves get, list, watch of secrets unrecorded, so nothing shows who read which ' +
        'Secret; add {level: Metadata, resources: [{group: "", resources: [secrets]}]} before rule 0',
    ]);
    assert.equal(findings[0]?.code, 'secret-reads-unrecorded');
  });

  it('flags a None rule for some users, and omitStages that leave no event', () => {
    const findings = lint(
      `- level: None\n  users: [system:kube-controller-manager]\n  verbs: [watch]\n${SECRETS_METADATA.replace('- level: Metadata', '- level: Metadata\n  omitStages: [RequestReceived, ResponseComplete]')}`,
    );
    assert.deepEqual(lines(findings), [
      'warning: rule 0: level None leaves watch of secrets unrecorded for the users, groups, namespaces or names it ' +
        'selects, so nothing shows who read which Secret; add {level: Metadata, resources: [{group: "", resources: ' +
        '[secrets]}]} before rule 0',
      'warning: rule 1: its omitStages leaves get, list of secrets unrecorded, so nothing shows who read which Secret; ' +
        'add {level: Metadata, resources: [{group: "", resources: [secrets]}]} before rule 1',
    ]);
  });

  it('flags reads that match no rule', () => {
    assert.deepEqual(lines(lint('- level: Metadata\n  resources:\n  - group: apps\n')), [
      'warning: policy: get, list, watch of secrets can match no rule and then get level None, so nothing shows who ' +
        'read which Secret; add {level: Metadata, resources: [{group: "", resources: [secrets]}]} as the first rule',
    ]);
    assert.deepEqual(lines(lint(`- level: Metadata\n  namespaces: [prod]\n`)), [
      'warning: policy: get, list, watch of secrets can match no rule (rule 0 selects only some users, groups, ' +
        'namespaces or names) and then get level None, so nothing shows who read which Secret; add {level: Metadata, ' +
        'resources: [{group: "", resources: [secrets]}]} as the first rule',
    ]);
  });
});

describe('lintPolicy: other mistakes', () => {
  it('wildcards audit policies do not have, and unknown fields', () => {
    const findings = lint(
      `${SECRETS_METADATA}- level: None\n  verbs: ["*"]\n  userGroups: ["*"]\n  namespace: [kube-system]\n- level: Metadata\n`,
    );
    assert.deepEqual(lines(findings), [
      'warning: rule 1: unknown field "namespace" is ignored by kube-apiserver; check its spelling',
      'warning: rule 1: userGroups has no wildcard in audit policies: "*" matches only the literal name "*"; leave userGroups out to match all',
      'warning: rule 1: verbs has no wildcard in audit policies: "*" matches only the literal name "*"; leave verbs out to match all',
    ]);
  });
});

describe('the recommended policy', () => {
  it('lints clean, as data and as the YAML that generate writes', () => {
    assert.deepEqual(lintPolicy(recommendedPolicy()), []);
    const loaded = loadPolicy(recommendedPolicyYaml(), 'generated');
    assert.deepEqual(loaded.unknownFields, []);
    assert.deepEqual(lintPolicy(loaded.policy), []);
    assert.deepEqual(loaded.policy, recommendedPolicy());
  });

  it('puts secrets, configmaps and tokens at Metadata first, omits RequestReceived, logs RBAC changes in full', () => {
    const policy = recommendedPolicy();
    assert.deepEqual(recommendedPolicyObject()['omitStages'], ['RequestReceived']);
    assert.equal(RECOMMENDED_RULES.length, policy.rules.length);
    const admin = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
    const request = (resource: string, verb: string, apiGroup = '', subresource = '') =>
      levelFor(policy, {
        user: admin,
        verb,
        resourceRequest: true,
        apiGroup,
        resource,
        subresource,
        namespace: 'prod',
      });
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
      assert.deepEqual([request('secrets', verb).level, request('secrets', verb).rule], ['Metadata', 0]);
      assert.equal(request('configmaps', verb).rule, 0);
    }
    assert.equal(request('serviceaccounts', 'create', '', 'token').rule, 0);
    assert.equal(request('tokenreviews', 'create', 'authentication.k8s.io').rule, 0);
    assert.deepEqual(request('secrets', 'get').omitStages, ['RequestReceived']);
    assert.equal(request('rolebindings', 'create', 'rbac.authorization.k8s.io').level, 'RequestResponse');
    assert.equal(request('rolebindings', 'get', 'rbac.authorization.k8s.io').level, 'Metadata');
    assert.equal(request('deployments', 'update', 'apps').level, 'Metadata');
    const health = levelFor(policy, {
      user: undefined,
      verb: 'get',
      resourceRequest: false,
      path: '/readyz',
    });
    assert.equal(health.level, 'None');
  });

  it('the generated YAML explains each rule', () => {
    const text = recommendedPolicyYaml();
    assert.match(text, /^# Audit policy recommended by Cloak/);
    assert.equal(text.match(/^# /gm)?.length !== undefined, true);
    assert.ok(text.includes('# Secrets, ConfigMaps, TokenReviews and TokenRequests hold values'));
    assert.ok(
      text.indexOf('resources: [secrets, configmaps, serviceaccounts/token]') < text.indexOf('level: None'),
    );
  });
});
