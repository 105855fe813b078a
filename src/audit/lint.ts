/**
 * Audit policy lint: where a policy writes secret values into the audit log, and where it keeps no record of who
 * read Secrets. Rules are taken in order, as kube-apiserver takes them (the first match wins), so a broad
 * `RequestResponse` rule placed before the Metadata rule for secrets is reported: the secrets never reach that
 * later rule. Rules are numbered from 0, as in kube's `rules[N]` field paths. Pure; no I/O.
 *
 * What lands in the log, per resource and level (kube 1.32, see event.ts):
 * - secrets, configmaps: `Request` logs the bodies of create, update and patch (the data); `RequestResponse`
 *   also the objects returned by get, list, delete and deletecollection (watch events are never logged).
 * - tokenreviews: the request of a create holds the bearer token under review (`Request` and above).
 * - serviceaccounts/token: the TokenRequest's response holds the new token (`RequestResponse`; the request at
 *   `Request` holds only audiences and expiry).
 */
import {
  type AuditPolicy,
  type Level,
  type PolicyRule,
  type Stage,
  levelAtLeast,
  resourceSpecMatches,
  unionStages,
} from './policy.ts';

export type FindingCode =
  | 'sensitive-values-logged'
  | 'secret-reads-unrecorded'
  | 'no-wildcard'
  | 'unreachable-rules'
  | 'unknown-field';

export interface LintFinding {
  /** The rule's index (as in `rules[N]`); undefined for a finding about the policy as a whole. */
  rule: number | undefined;
  code: FindingCode;
  /** One line: what happens, and what to change. Never holds anything but names from the policy. */
  message: string;
}

export interface LintOptions {
  /** Fields the decoder ignored (LoadedPolicy.unknownFields), reported as findings. */
  unknownFields?: readonly string[] | undefined;
}

interface SensitiveTarget {
  /** As a policy names it. */
  label: string;
  group: string;
  resource: string;
  subresource: string;
  clusterScoped: boolean;
  /** What would land in the log. */
  values: string;
  /** Verbs whose bodies hold the values, by the lowest level that logs them. */
  leaks: { Request: readonly string[]; RequestResponse: readonly string[] };
}

const DATA_WRITES = ['create', 'update', 'patch'] as const;
const DATA_ALL = ['get', 'list', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;

const SENSITIVE_TARGETS: readonly SensitiveTarget[] = [
  {
    label: 'secrets',
    group: '',
    resource: 'secrets',
    subresource: '',
    clusterScoped: false,
    values: 'Secret data',
    leaks: { Request: DATA_WRITES, RequestResponse: DATA_ALL },
  },
  {
    label: 'configmaps',
    group: '',
    resource: 'configmaps',
    subresource: '',
    clusterScoped: false,
    values: 'ConfigMap data',
    leaks: { Request: DATA_WRITES, RequestResponse: DATA_ALL },
  },
  {
    label: 'tokenreviews',
    group: 'authentication.k8s.io',
    resource: 'tokenreviews',
    subresource: '',
    clusterScoped: true,
    values: 'bearer tokens under review',
    leaks: { Request: ['create'], RequestResponse: ['create'] },
  },
  {
    label: 'serviceaccounts/token',
    group: '',
    resource: 'serviceaccounts',
    subresource: 'token',
    clusterScoped: false,
    values: 'issued ServiceAccount tokens',
    leaks: { Request: [], RequestResponse: ['create'] },
  },
];

const SECRETS = SENSITIVE_TARGETS[0] as SensitiveTarget;
const SECRET_READS = ['get', 'list', 'watch'] as const;

/** The stages in which a request of this verb that does not panic produces an event. */
function eventStages(verb: string): readonly Stage[] {
  return verb === 'watch'
    ? ['RequestReceived', 'ResponseStarted', 'ResponseComplete']
    : ['RequestReceived', 'ResponseComplete'];
}

/** Stages after the body is known, in which request and response objects appear. */
const BODY_STAGES: readonly Stage[] = ['ResponseStarted', 'ResponseComplete', 'Panic'];

export function lintPolicy(policy: AuditPolicy, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [
    ...unknownFieldFindings(options.unknownFields ?? []),
    ...wildcardFindings(policy),
    ...unreachableFindings(policy),
    ...leakFindings(policy),
    ...unrecordedReadFindings(policy),
  ];
  // Rule findings in rule order, policy-wide ones last; within a rule, the order above.
  return findings
    .map((finding, position) => ({ finding, position }))
    .sort((a, b) => ruleKey(a.finding) - ruleKey(b.finding) || a.position - b.position)
    .map(({ finding }) => finding);
}

function ruleKey(finding: LintFinding): number {
  return finding.rule ?? Number.MAX_SAFE_INTEGER;
}

/** `warning: rule N: …`, or `warning: policy: …` for the policy as a whole. */
export function formatFinding(finding: LintFinding): string {
  return `warning: ${finding.rule === undefined ? 'policy' : `rule ${finding.rule}`}: ${finding.message}`;
}

// ---------- coverage ----------

type Coverage = 'none' | 'some' | 'all';

/**
 * Whether a rule matches requests of `verb` on the target: `all` of them (nothing narrows it to some users,
 * groups, namespaces or names), `some`, or `none`.
 */
function coverage(rule: PolicyRule, target: SensitiveTarget, verb: string): Coverage {
  if (rule.verbs.length > 0 && !rule.verbs.includes(verb)) return 'none';
  let narrowed = rule.users.length > 0 || rule.userGroups.length > 0;
  if (rule.namespaces.length === 0 && rule.resources.length === 0) {
    if (rule.nonResourceURLs.length > 0) return 'none';
    return narrowed ? 'some' : 'all';
  }
  if (rule.namespaces.length > 0) {
    // A cluster-scoped resource has the namespace ""; a namespaced one is in many namespaces (or "" when listed
    // across all of them).
    if (target.clusterScoped) {
      if (!rule.namespaces.includes('')) return 'none';
    } else narrowed = true;
  }
  if (rule.resources.length > 0) {
    const entries = rule.resources.filter(
      (entry) =>
        entry.group === target.group &&
        (entry.resources.length === 0 ||
          entry.resources.some((spec) => resourceSpecMatches(spec, target.resource, target.subresource))),
    );
    if (entries.length === 0) return 'none';
    if (!entries.some((entry) => entry.resources.length === 0 || entry.resourceNames.length === 0))
      narrowed = true;
  }
  return narrowed ? 'some' : 'all';
}

/** Whether the rule names the target itself (`secrets`, `serviceaccounts/token`) rather than catching it broadly. */
function namesTarget(rule: PolicyRule, target: SensitiveTarget): boolean {
  return rule.resources.some(
    (entry) => entry.group === target.group && entry.resources.includes(target.label),
  );
}

interface Reach {
  /** Rules that match some or all of these requests and are not hidden behind an earlier rule matching all. */
  rules: { index: number; coverage: Coverage }[];
  /** Some of the requests match no rule at all (level None). */
  fallsThrough: boolean;
}

function reach(policy: AuditPolicy, target: SensitiveTarget, verb: string): Reach {
  const rules: Reach['rules'] = [];
  for (let index = 0; index < policy.rules.length; index++) {
    const rule = policy.rules[index] as PolicyRule;
    const covered = coverage(rule, target, verb);
    if (covered === 'none') continue;
    rules.push({ index, coverage: covered });
    if (covered === 'all') return { rules, fallsThrough: false };
  }
  return { rules, fallsThrough: true };
}

function omittedStages(policy: AuditPolicy, rule: PolicyRule): readonly Stage[] {
  return unionStages(policy.omitStages, rule.omitStages);
}

// ---------- findings ----------

function leakFindings(policy: AuditPolicy): LintFinding[] {
  // rule index → target label → verbs
  const leaks = new Map<number, Map<SensitiveTarget, string[]>>();
  for (const target of SENSITIVE_TARGETS) {
    const verbs = [...new Set([...target.leaks.RequestResponse, ...target.leaks.Request])];
    for (const verb of verbs) {
      const threshold: Level = target.leaks.Request.includes(verb) ? 'Request' : 'RequestResponse';
      for (const { index } of reach(policy, target, verb).rules) {
        const rule = policy.rules[index] as PolicyRule;
        if (!levelAtLeast(rule.level, threshold)) continue;
        const omitted = omittedStages(policy, rule);
        if (BODY_STAGES.every((stage) => omitted.includes(stage))) continue;
        const byTarget = leaks.get(index) ?? new Map<SensitiveTarget, string[]>();
        leaks.set(index, byTarget);
        byTarget.set(target, [...(byTarget.get(target) ?? []), verb]);
      }
    }
  }
  return [...leaks.entries()].map(([index, byTarget]) => {
    const rule = policy.rules[index] as PolicyRule;
    const targets = [...byTarget.keys()];
    const what = targets.map(
      (target) => `${target.values} (${target.label}: ${byTarget.get(target)?.join(', ')})`,
    );
    const fix = targets.every((target) => namesTarget(rule, target))
      ? `set rule ${index}'s level to Metadata`
      : `add ${metadataRuleText(targets)} before rule ${index}`;
    return {
      rule: index,
      code: 'sensitive-values-logged',
      message: `level ${rule.level} writes ${joinList(what)} into the audit log; ${fix}`,
    };
  });
}

function unrecordedReadFindings(policy: AuditPolicy): LintFinding[] {
  const unrecorded = new Map<number, { verbs: string[]; level: Level; some: boolean }>();
  const fallThrough: string[] = [];
  const narrowRules = new Set<number>();
  for (const verb of SECRET_READS) {
    const { rules, fallsThrough } = reach(policy, SECRETS, verb);
    for (const { index, coverage: covered } of rules) {
      const rule = policy.rules[index] as PolicyRule;
      if (covered === 'some') narrowRules.add(index);
      const omitted = omittedStages(policy, rule);
      const silent = rule.level === 'None' || eventStages(verb).every((stage) => omitted.includes(stage));
      if (!silent) continue;
      const entry = unrecorded.get(index) ?? { verbs: [], level: rule.level, some: covered === 'some' };
      entry.verbs.push(verb);
      unrecorded.set(index, entry);
    }
    if (fallsThrough) fallThrough.push(verb);
  }
  const findings: LintFinding[] = [...unrecorded.entries()].map(([index, { verbs, level, some }]) => {
    const why = level === 'None' ? 'level None' : 'its omitStages';
    const scope = some ? ' for the users, groups, namespaces or names it selects' : '';
    return {
      rule: index,
      code: 'secret-reads-unrecorded',
      message:
        `${why} leaves ${verbs.join(', ')} of secrets unrecorded${scope}, so nothing shows who read which Secret; ` +
        `add ${metadataRuleText([SECRETS])} before rule ${index}`,
    };
  });
  if (fallThrough.length > 0) {
    const narrow = [...narrowRules].sort((a, b) => a - b);
    const partly =
      narrow.length > 0
        ? ` (rule${narrow.length > 1 ? 's' : ''} ${narrow.join(', ')} select${narrow.length > 1 ? '' : 's'} only some users, groups, namespaces or names)`
        : '';
    findings.push({
      rule: undefined,
      code: 'secret-reads-unrecorded',
      message:
        `${fallThrough.join(', ')} of secrets can match no rule${partly} and then get level None, so nothing shows ` +
        `who read which Secret; add ${metadataRuleText([SECRETS])} as the first rule`,
    });
  }
  return findings;
}

function wildcardFindings(policy: AuditPolicy): LintFinding[] {
  const findings: LintFinding[] = [];
  policy.rules.forEach((rule, index) => {
    for (const field of ['users', 'userGroups', 'verbs', 'namespaces'] as const) {
      if (rule[field].includes('*')) {
        findings.push({
          rule: index,
          code: 'no-wildcard',
          message: `${field} has no wildcard in audit policies: "*" matches only the literal name "*"; leave ${field} out to match all`,
        });
      }
    }
  });
  return findings;
}

function unreachableFindings(policy: AuditPolicy): LintFinding[] {
  const index = policy.rules.findIndex(
    (rule) =>
      rule.users.length === 0 &&
      rule.userGroups.length === 0 &&
      rule.verbs.length === 0 &&
      rule.resources.length === 0 &&
      rule.namespaces.length === 0 &&
      rule.nonResourceURLs.length === 0,
  );
  if (index < 0 || index === policy.rules.length - 1) return [];
  const last = policy.rules.length - 1;
  const later = index + 1 === last ? `rule ${last} is` : `rules ${index + 1} to ${last} are`;
  return [
    {
      rule: index,
      code: 'unreachable-rules',
      message: `this rule matches every request, so ${later} never used; move it to the end`,
    },
  ];
}

function unknownFieldFindings(paths: readonly string[]): LintFinding[] {
  return paths.map((path) => {
    const match = /^rules\[(\d+)\]\.(.*)$/.exec(path);
    const field = match ? (match[2] ?? path) : path;
    return {
      rule: match ? Number(match[1]) : undefined,
      code: 'unknown-field' as const,
      message: `unknown field "${field}" is ignored by kube-apiserver; check its spelling`,
    };
  });
}

// ---------- text ----------

/** A Metadata rule for the targets, as one line of YAML flow style. */
function metadataRuleText(targets: readonly SensitiveTarget[]): string {
  const groups = new Map<string, string[]>();
  for (const target of targets) groups.set(target.group, [...(groups.get(target.group) ?? []), target.label]);
  const entries = [...groups.entries()].map(
    ([group, resources]) => `{group: ${JSON.stringify(group)}, resources: [${resources.join(', ')}]}`,
  );
  return `{level: Metadata, resources: [${entries.join(', ')}]}`;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
