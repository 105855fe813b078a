/**
 * The audit policy Cloak recommends, as data. It follows accepted practice (the GCE policy in kubernetes'
 * configure-helper.sh and the Kubernetes website example), with the order fixed so that no rule can log a secret
 * value: Secrets, ConfigMaps, TokenReviews and TokenRequests are matched first, at Metadata (who, what, when, no
 * bodies); noisy read-only traffic is dropped; changes to RBAC and admission webhooks are logged with their bodies;
 * everything else at Metadata. RequestReceived is omitted, so each request gives one event (watches two). It lints
 * clean (lint.ts). Pure; no I/O.
 */
import { yaml } from '../manifests/yaml.ts';
import { AUDIT_API_VERSION, policyFromObject, type AuditPolicy } from './policy.ts';

interface RecommendedRule {
  /** Why the rule is there: written as a comment above it. */
  why: string;
  rule: Record<string, unknown>;
}

export const RECOMMENDED_RULES: readonly RecommendedRule[] = [
  {
    why:
      'Secrets, ConfigMaps, TokenReviews and TokenRequests hold values (base64 is not encryption): who, what and ' +
      'when only, never bodies. First, because the first matching rule wins.',
    rule: {
      level: 'Metadata',
      resources: [
        { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
        { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
      ],
    },
  },
  {
    why: 'Health checks, version and API discovery (non-resource URLs only): frequent and read-only.',
    rule: {
      level: 'None',
      nonResourceURLs: [
        '/healthz*',
        '/livez*',
        '/readyz*',
        '/version',
        '/version/',
        '/api*',
        '/openapi*',
        '/metrics',
      ],
    },
  },
  {
    why: "kube-proxy's watches of services and endpoints.",
    rule: {
      level: 'None',
      users: ['system:kube-proxy'],
      verbs: ['watch'],
      resources: [
        { group: '', resources: ['endpoints', 'services', 'services/status'] },
        { group: 'discovery.k8s.io', resources: ['endpointslices'] },
      ],
    },
  },
  {
    why: 'Node heartbeats: nodes reading and renewing their own status and leases.',
    rule: {
      level: 'None',
      userGroups: ['system:nodes'],
      verbs: ['get', 'update', 'patch'],
      resources: [
        { group: '', resources: ['nodes', 'nodes/status'] },
        { group: 'coordination.k8s.io', resources: ['leases'] },
      ],
    },
  },
  {
    why: 'Events: high volume, and their bodies are already the record.',
    rule: {
      level: 'None',
      resources: [
        { group: '', resources: ['events'] },
        { group: 'events.k8s.io', resources: ['events'] },
      ],
    },
  },
  {
    why:
      'Changes to who may read Secrets (RBAC) and to admission webhooks (which see every object written): ' +
      'the full request and response.',
    rule: {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      resources: [
        {
          group: 'rbac.authorization.k8s.io',
          resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
        },
        {
          group: 'admissionregistration.k8s.io',
          resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
        },
      ],
    },
  },
  {
    why: 'Everything else: who, what and when.',
    rule: { level: 'Metadata' },
  },
];

/** The recommended policy as an `audit.k8s.io/v1` Policy object. */
export function recommendedPolicyObject(): Record<string, unknown> {
  return {
    apiVersion: AUDIT_API_VERSION,
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: RECOMMENDED_RULES.map(({ rule }) => structuredClone(rule)),
  };
}

export function recommendedPolicy(): AuditPolicy {
  return policyFromObject(recommendedPolicyObject(), 'recommended policy').policy;
}

/** The recommended policy file: YAML with each rule's reason above it, lists of names in flow style. */
export function recommendedPolicyYaml(): string {
  const { Document, isMap, isSeq, isScalar, visit } = yaml();
  const document = new Document(recommendedPolicyObject());
  document.commentBefore =
    ' Audit policy recommended by Cloak (cloak audit policy generate). Rules are tried in order and the\n' +
    ' first match wins. Check changes with: cloak audit policy lint FILE';
  visit(document, {
    Seq(_key, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  const rules = document.get('rules', true);
  if (isSeq(rules)) {
    rules.items.forEach((item, i) => {
      const why = RECOMMENDED_RULES[i]?.why;
      if (why && isMap(item)) {
        item.commentBefore = wrap(why, 100)
          .map((line) => ` ${line}`)
          .join('\n');
        item.spaceBefore = i > 0;
      }
    });
  }
  return document.toString({ indentSeq: false, lineWidth: 0, flowCollectionPadding: false });
}

/** Words into lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
