import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuditPolicyError,
  type AuditAttributes,
  levelFor,
  loadPolicy,
  pathMatches,
  policyFromObject,
  recordsStage,
} from '../../src/audit/policy.ts';

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
# 0: one user's watches are dropped
- level: None
  users: [system:kube-proxy]
  verbs: [watch]
# 1: a group's access to one named configmap
- level: RequestResponse
  userGroups: [auditors]
  resources:
  - group: ""
    resources: [configmaps]
    resourceNames: [cluster-info]
# 2: secrets at Metadata, with managed fields kept even though the policy omits them
- level: Metadata
  resources:
  - group: ""
    resources: [secrets]
  omitManagedFields: false
# 3: every subresource of pods, and pods themselves
- level: Request
  resources:
  - group: ""
    resources: [pods/*]
  omitStages: [ResponseStarted]
# 4: every scale subresource in apps
- level: RequestResponse
  resources:
  - group: apps
    resources: ["*/scale"]
# 5: one exact subresource
- level: Metadata
  resources:
  - group: ""
    resources: [serviceaccounts/token]
# 6: cluster-scoped requests in the rbac group
- level: RequestResponse
  namespaces: [""]
  resources:
  - group: rbac.authorization.k8s.io
# 7: everything in two namespaces
- level: Request
  namespaces: [kube-system, prod]
# 8: health checks by prefix, /version exactly
- level: None
  nonResourceURLs: [/healthz*, /version]
# 9: catch-all
- level: Metadata
omitManagedFields: true
`;

const policy = loadPolicy(POLICY, 'policy.yaml').policy;

const alice = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const auditor = { username: 'bob', groups: ['auditors'] };
const proxy = { username: 'system:kube-proxy', groups: ['system:authenticated'] };

function resource(overrides: Partial<AuditAttributes>): AuditAttributes {
  return {
    user: alice,
    verb: 'get',
    resourceRequest: true,
    apiGroup: '',
    namespace: 'default',
    ...overrides,
  };
}

describe('levelFor: first matching rule wins', () => {
  const cases: [string, AuditAttributes, string, number | undefined][] = [
    [
      'users + verbs: kube-proxy watch',
      resource({ user: proxy, verb: 'watch', resource: 'services' }),
      'None',
      0,
    ],
    [
      'users: other verbs fall through',
      resource({ user: proxy, verb: 'list', resource: 'services' }),
      'Metadata',
      9,
    ],
    ['users: other users fall through', resource({ verb: 'watch', resource: 'services' }), 'Metadata', 9],
    [
      'userGroups + resourceNames',
      resource({ user: auditor, resource: 'configmaps', name: 'cluster-info' }),
      'RequestResponse',
      1,
    ],
    [
      'resourceNames: other name',
      resource({ user: auditor, resource: 'configmaps', name: 'other' }),
      'Metadata',
      9,
    ],
    [
      'resourceNames: a list has no name',
      resource({ user: auditor, verb: 'list', resource: 'configmaps' }),
      'Metadata',
      9,
    ],
    ['userGroups: not a member', resource({ resource: 'configmaps', name: 'cluster-info' }), 'Metadata', 9],
    ['secrets', resource({ resource: 'secrets', name: 's' }), 'Metadata', 2],
    [
      'secrets in kube-system: rule 2 comes before rule 7',
      resource({ resource: 'secrets', namespace: 'kube-system' }),
      'Metadata',
      2,
    ],
    ['res/* matches the resource itself', resource({ resource: 'pods', name: 'p' }), 'Request', 3],
    [
      'res/* matches a subresource',
      resource({ resource: 'pods', name: 'p', subresource: 'log' }),
      'Request',
      3,
    ],
    [
      '*/scale in apps',
      resource({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }),
      'RequestResponse',
      4,
    ],
    [
      '*/scale does not match the resource',
      resource({ apiGroup: 'apps', resource: 'deployments' }),
      'Metadata',
      9,
    ],
    [
      '*/scale: the group must match exactly',
      resource({ apiGroup: '', resource: 'replicationcontrollers', subresource: 'scale' }),
      'Metadata',
      9,
    ],
    [
      'exact subresource',
      resource({ verb: 'create', resource: 'serviceaccounts', name: 'sa', subresource: 'token' }),
      'Metadata',
      5,
    ],
    [
      'the resource alone does not match res/sub',
      resource({ resource: 'serviceaccounts', name: 'sa', namespace: 'prod' }),
      'Request',
      7,
    ],
    [
      'namespaces [""]: cluster-scoped',
      resource({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: '' }),
      'RequestResponse',
      6,
    ],
    [
      'namespaces [""]: undefined namespace is cluster-scoped',
      resource({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: undefined }),
      'RequestResponse',
      6,
    ],
    [
      'namespaces [""]: a namespaced role does not match',
      resource({ apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'dev' }),
      'Metadata',
      9,
    ],
    [
      'namespaces only: any resource there',
      resource({ apiGroup: 'apps', resource: 'deployments', namespace: 'prod' }),
      'Request',
      7,
    ],
    [
      'namespaces: non-resource requests never match',
      { user: alice, verb: 'get', resourceRequest: false, path: '/api', namespace: 'prod' },
      'Metadata',
      9,
    ],
    [
      'nonResourceURLs prefix',
      { user: alice, verb: 'get', resourceRequest: false, path: '/healthz/etcd' },
      'None',
      8,
    ],
    [
      'nonResourceURLs prefix, bare',
      { user: alice, verb: 'get', resourceRequest: false, path: '/healthz' },
      'None',
      8,
    ],
    [
      'nonResourceURLs exact',
      { user: alice, verb: 'get', resourceRequest: false, path: '/version' },
      'None',
      8,
    ],
    [
      'nonResourceURLs exact only',
      { user: alice, verb: 'get', resourceRequest: false, path: '/version/x' },
      'Metadata',
      9,
    ],
    [
      'nonResourceURLs: resource requests never match',
      resource({ resource: 'healthz', namespace: 'x' }),
      'Metadata',
      9,
    ],
  ];
  for (const [name, attributes, level, rule] of cases) {
    it(name, () => {
      const config = levelFor(policy, attributes);
      assert.equal(config.level, level);
      assert.equal(config.rule, rule);
    });
  }

  it('rules naming users or groups never match a request without a user', () => {
    assert.equal(levelFor(policy, resource({ user: undefined, verb: 'watch', resource: 'x' })).rule, 9);
    assert.equal(
      levelFor(policy, resource({ user: undefined, resource: 'configmaps', name: 'cluster-info' })).rule,
      9,
    );
  });

  it('no matching rule is level None with the policy-wide options', () => {
    const only = loadPolicy(
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Panic]\nomitManagedFields: true\nrules:\n- level: Metadata\n  verbs: [create]\n',
      'p',
    ).policy;
    assert.deepEqual(levelFor(only, resource({ resource: 'secrets' })), {
      level: 'None',
      omitStages: ['Panic'],
      omitManagedFields: true,
      rule: undefined,
    });
  });
});

describe('levelFor: stages and managed fields', () => {
  it('merges the policy omitStages into the rule', () => {
    const config = levelFor(policy, resource({ resource: 'pods', name: 'p' }));
    assert.deepEqual(config.omitStages, ['RequestReceived', 'ResponseStarted']);
    assert.equal(recordsStage(config, 'RequestReceived'), false);
    assert.equal(recordsStage(config, 'ResponseStarted'), false);
    assert.equal(recordsStage(config, 'ResponseComplete'), true);
  });

  it('level None records no stage', () => {
    const config = levelFor(policy, resource({ user: proxy, verb: 'watch', resource: 'services' }));
    assert.equal(recordsStage(config, 'ResponseComplete'), false);
  });

  it('a rule omitManagedFields overrides the policy default; unset inherits it', () => {
    assert.equal(levelFor(policy, resource({ resource: 'secrets' })).omitManagedFields, false);
    assert.equal(levelFor(policy, resource({ resource: 'pods' })).omitManagedFields, true);
  });
});

describe('pathMatches', () => {
  it('matches *, exact paths and trailing-* prefixes', () => {
    assert.equal(pathMatches('/anything', '*'), true);
    assert.equal(pathMatches('/api', '/api'), true);
    assert.equal(pathMatches('/apis/apps', '/api*'), true);
    assert.equal(pathMatches('/ap', '/api*'), false);
    assert.equal(pathMatches('/api/v1', '/api'), false);
  });
});

function loadError(text: string): string {
  try {
    loadPolicy(text, 'policy.yaml');
  } catch (error) {
    assert.ok(error instanceof AuditPolicyError, String(error));
    assert.equal(error.code, 'ERR_AUDIT_POLICY');
    return error.message;
  }
  assert.fail('expected the policy to be refused');
}

const HEAD = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';

describe('validation with kube-apiserver messages', () => {
  it('level: required and supported values', () => {
    assert.equal(loadError(`${HEAD}rules:\n- verbs: [get]\n`), 'policy.yaml: rules[0].level: Required value');
    assert.equal(
      loadError(`${HEAD}rules:\n- level: Everything\n`),
      'policy.yaml: rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"',
    );
  });

  it('nonResourceURLs: leading slash and a final wildcard', () => {
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  nonResourceURLs: ["*", "/ok*", healthz, "/a*/b"]\n`),
      'policy.yaml: [rules[0].nonResourceURLs[2]: Invalid value: "healthz": non-resource URL rules must begin with a \'/\' character, ' +
        'rules[0].nonResourceURLs[3]: Invalid value: "/a*/b": non-resource URL wildcards \'*\' must be the final character of the rule]',
    );
  });

  it('resources: group names, resourceNames without resources', () => {
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  resources:\n  - group: rbac.authorization.k8s.io/v1\n`),
      'policy.yaml: rules[0].resources.group: Invalid value: "rbac.authorization.k8s.io/v1": a lowercase RFC 1123 subdomain ' +
        "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  resources:\n  - group: ""\n    resourceNames: [a, b]\n`),
      'policy.yaml: rules[0].resources.resourceNames: Invalid value: []string{"a", "b"}: using resourceNames requires at least one resource',
    );
  });

  it('omitStages, policy-wide and per rule', () => {
    assert.equal(
      loadError(`${HEAD}omitStages: [RequestRecieved]\nrules:\n- level: None\n  omitStages: [Panic, Done]\n`),
      'policy.yaml: [omitStages[0]: Invalid value: "RequestRecieved": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic, ' +
        'rules[0].omitStages[1]: Invalid value: "Done": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic]',
    );
  });

  it('resources and nonResourceURLs together', () => {
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [/x]\n`),
      'policy.yaml: rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    );
  });

  it('a policy needs a rule', () => {
    assert.equal(loadError(`${HEAD}rules: []\n`), 'policy.yaml: loaded illegal policy with 0 rules');
    assert.equal(loadError(HEAD), 'policy.yaml: loaded illegal policy with 0 rules');
  });

  it('decoding: kind, version and Go JSON types', () => {
    assert.equal(loadError('rules: []\n'), "policy.yaml: failed decoding: Object 'Kind' is missing");
    assert.equal(
      loadError('apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: []\n'),
      'policy.yaml: failed decoding: no kind "Policy" is registered for version "audit.k8s.io/v1beta1"',
    );
    assert.equal(
      loadError(`${HEAD}rules:\n- level: 3\n`),
      'policy.yaml: failed decoding: json: cannot unmarshal number into Go struct field PolicyRule.rules.level of type v1.Level',
    );
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  verbs: get\n`),
      'policy.yaml: failed decoding: json: cannot unmarshal string into Go struct field PolicyRule.rules.verbs of type []string',
    );
    assert.equal(
      loadError(`${HEAD}rules:\n- level: None\n  omitManagedFields: "yes"\n`),
      'policy.yaml: failed decoding: json: cannot unmarshal string into Go struct field PolicyRule.rules.omitManagedFields of type bool',
    );
    assert.equal(loadError(`${HEAD}---\n${HEAD}`), 'policy.yaml: expected one Policy object, found 2');
  });

  it('field names are case-sensitive; unknown fields are ignored and listed', () => {
    const loaded = loadPolicy(
      `${HEAD}metadata: {name: p}\nrules:\n- level: Metadata\n  Verbs: [get]\n  resources:\n  - group: ""\n    resource: [secrets]\n`,
      'p',
    );
    assert.deepEqual(loaded.unknownFields, ['rules[0].Verbs', 'rules[0].resources[0].resource']);
    // The misspelt fields do not narrow the rule: it matches everything.
    assert.equal(
      levelFor(loaded.policy, { verb: 'delete', resourceRequest: true, resource: 'pods', apiGroup: '' })
        .level,
      'Metadata',
    );
  });

  it('reads JSON as well as YAML, and decoded objects', () => {
    const json = JSON.stringify({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      rules: [{ level: 'Request' }],
    });
    assert.equal(loadPolicy(json, 'p.json').policy.rules[0]?.level, 'Request');
    const loaded = policyFromObject(
      { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None' }] },
      'x',
    );
    assert.deepEqual(loaded.policy, {
      rules: [
        {
          level: 'None',
          users: [],
          userGroups: [],
          verbs: [],
          resources: [],
          namespaces: [],
          nonResourceURLs: [],
          omitStages: [],
          omitManagedFields: undefined,
        },
      ],
      omitStages: [],
      omitManagedFields: false,
    });
  });
});
