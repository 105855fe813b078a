/**
 * `can-i` as kubectl does it (kubectl/pkg/cmd/auth/cani.go), minus the server: reading the arguments into the
 * attributes a SelfSubjectAccessReview carries, printing `yes` / `no - reason`, printing a SelfSubjectRulesReview
 * as the `--list` table, and explaining a decision from the RBAC objects. Pure; the command in
 * src/cli/commands/rbac-run.ts does the I/O.
 */
import { labelSelectorString, parseLabelSelector } from '../apiserver/selectors.ts';
import { goQuote } from '../apiserver/field-errors.ts';
import { jsonEqual } from '../apiserver/objects/object.ts';
import {
  describeSource,
  matchingSubject,
  type Decision,
  type IndexedRole,
  type RbacIndex,
} from './evaluator.ts';
import {
  compactRules,
  compactString,
  breakdownRule,
  goList,
  goRuleString,
  normalRule,
  type NormalRule,
} from './rules.ts';
import type { RequestAttributes, UserInfo } from './types.ts';

// ---------- arguments ----------

export interface CanIArguments {
  verb: string;
  /** The resource argument as typed (before the `/NAME`), or undefined for a non-resource URL. */
  resource?: string | undefined;
  name?: string | undefined;
  nonResourceURL?: string | undefined;
}

/** kubectl's argument rules: `VERB TYPE[/NAME]`, `VERB TYPE NAME` or `VERB /url`; undefined when they do not fit. */
export function parseCanIArguments(args: readonly string[]): CanIArguments | undefined {
  const [verb = '', target = '', name] = args;
  if (args.length === 2) {
    if (target.startsWith('/')) return { verb, nonResourceURL: target };
    const slash = target.indexOf('/');
    return slash < 0
      ? { verb, resource: target }
      : { verb, resource: target.slice(0, slash), name: target.slice(slash + 1) };
  }
  if (args.length === 3) return { verb, resource: target, name };
  return undefined;
}

/** A resource kubectl's RESTMapper would know: plural, group, and what else names it. */
export interface KnownResource {
  group: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
}

function known(
  group: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  ...shortNames: string[]
): KnownResource {
  return { group, kind, plural, namespaced, shortNames };
}

/**
 * The Kubernetes 1.32 resources `can-i` resolves without a server (kind, plural, short names, scope), in the
 * order a RESTMapper prefers groups: the core group first.
 */
export const KNOWN_RESOURCES: readonly KnownResource[] = [
  known('', 'Binding', 'bindings', true),
  known('', 'ComponentStatus', 'componentstatuses', false, 'cs'),
  known('', 'ConfigMap', 'configmaps', true, 'cm'),
  known('', 'Endpoints', 'endpoints', true, 'ep'),
  known('', 'Event', 'events', true, 'ev'),
  known('', 'LimitRange', 'limitranges', true, 'limits'),
  known('', 'Namespace', 'namespaces', false, 'ns'),
  known('', 'Node', 'nodes', false, 'no'),
  known('', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'pvc'),
  known('', 'PersistentVolume', 'persistentvolumes', false, 'pv'),
  known('', 'Pod', 'pods', true, 'po'),
  known('', 'PodTemplate', 'podtemplates', true),
  known('', 'ReplicationController', 'replicationcontrollers', true, 'rc'),
  known('', 'ResourceQuota', 'resourcequotas', true, 'quota'),
  known('', 'Secret', 'secrets', true),
  known('', 'ServiceAccount', 'serviceaccounts', true, 'sa'),
  known('', 'Service', 'services', true, 'svc'),
  known(
    'admissionregistration.k8s.io',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
  ),
  known(
    'admissionregistration.k8s.io',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
  ),
  known(
    'apiextensions.k8s.io',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    'crd',
    'crds',
  ),
  known('apiregistration.k8s.io', 'APIService', 'apiservices', false),
  known('apps', 'ControllerRevision', 'controllerrevisions', true),
  known('apps', 'DaemonSet', 'daemonsets', true, 'ds'),
  known('apps', 'Deployment', 'deployments', true, 'deploy'),
  known('apps', 'ReplicaSet', 'replicasets', true, 'rs'),
  known('apps', 'StatefulSet', 'statefulsets', true, 'sts'),
  known('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', false),
  known('authentication.k8s.io', 'TokenReview', 'tokenreviews', false),
  known('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  known('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
  known('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false),
  known('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', false),
  known('autoscaling', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'hpa'),
  known('batch', 'CronJob', 'cronjobs', true, 'cj'),
  known('batch', 'Job', 'jobs', true),
  known('certificates.k8s.io', 'CertificateSigningRequest', 'certificatesigningrequests', false, 'csr'),
  known('coordination.k8s.io', 'Lease', 'leases', true),
  known('discovery.k8s.io', 'EndpointSlice', 'endpointslices', true),
  known('events.k8s.io', 'Event', 'events', true, 'ev'),
  known('flowcontrol.apiserver.k8s.io', 'FlowSchema', 'flowschemas', false),
  known('flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', false),
  known('networking.k8s.io', 'IngressClass', 'ingressclasses', false),
  known('networking.k8s.io', 'Ingress', 'ingresses', true, 'ing'),
  known('networking.k8s.io', 'NetworkPolicy', 'networkpolicies', true, 'netpol'),
  known('node.k8s.io', 'RuntimeClass', 'runtimeclasses', false),
  known('policy', 'PodDisruptionBudget', 'poddisruptionbudgets', true, 'pdb'),
  known('rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', false),
  known('rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', false),
  known('rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings', true),
  known('rbac.authorization.k8s.io', 'Role', 'roles', true),
  known('scheduling.k8s.io', 'PriorityClass', 'priorityclasses', false, 'pc'),
  known('storage.k8s.io', 'CSIDriver', 'csidrivers', false),
  known('storage.k8s.io', 'CSINode', 'csinodes', false),
  known('storage.k8s.io', 'CSIStorageCapacity', 'csistoragecapacities', true),
  known('storage.k8s.io', 'StorageClass', 'storageclasses', false, 'sc'),
  known('storage.k8s.io', 'VolumeAttachment', 'volumeattachments', false),
];

export interface ResolvedResource {
  group: string;
  resource: string;
  /** The resource is known (and so is its scope); unknown ones are checked as typed, with a warning. */
  known?: KnownResource | undefined;
}

function names(resource: KnownResource): string[] {
  return [resource.plural, resource.kind.toLowerCase(), ...resource.shortNames];
}

/**
 * kubectl's resourceFor: `*` stays `*`; `resource`, `resource.group` or `resource.version.group`, lower-cased,
 * where `resource` may be a plural, a singular or a short name. An unknown resource is used as typed.
 */
export function resolveResource(
  argument: string,
  resources: readonly KnownResource[] = KNOWN_RESOURCES,
): ResolvedResource {
  if (argument === '*') return { group: '', resource: '*' };
  const lower = argument.toLowerCase();
  const candidates: { resource: string; group: string | undefined }[] = [];
  const parts = lower.split('.');
  if (parts.length >= 3) candidates.push({ resource: parts[0] ?? '', group: parts.slice(2).join('.') });
  const dot = lower.indexOf('.');
  candidates.push(
    dot < 0
      ? { resource: lower, group: undefined }
      : { resource: lower.slice(0, dot), group: lower.slice(dot + 1) },
  );
  for (const candidate of candidates) {
    const found = resources.find(
      (resource) =>
        (candidate.group === undefined || candidate.group === resource.group) &&
        names(resource).includes(candidate.resource),
    );
    if (found) return { group: found.group, resource: found.plural, known: found };
  }
  return dot < 0
    ? { group: '', resource: argument }
    : { group: lower.slice(dot + 1), resource: lower.slice(0, dot) };
}

const KNOWN_RESOURCE_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'use',
  'bind',
  'impersonate',
  '*',
  'approve',
  'sign',
  'escalate',
  'attest',
];
const KNOWN_NON_RESOURCE_VERBS = ['get', 'put', 'post', 'head', 'options', 'delete', 'patch', '*'];

/** Subresource names `TYPE/NAME` is easily mistaken for (kubectl reads `pods/log` as the pod named "log"). */
const COMMON_SUBRESOURCES = [
  'approval',
  'attach',
  'binding',
  'ephemeralcontainers',
  'eviction',
  'exec',
  'finalize',
  'log',
  'portforward',
  'proxy',
  'resize',
  'rollback',
  'scale',
  'status',
  'token',
];

export interface CanIRequest {
  attributes: RequestAttributes;
  /** kubectl's warnings (printed as `Warning: …` on stderr), and ours. */
  warnings: string[];
}

/**
 * The attributes `kubectl auth can-i` sends for these arguments. The namespace is sent even for cluster-scoped
 * resources (kubectl only warns), so RoleBindings in it are consulted, as they are for kubectl.
 */
export function canIRequest(
  user: UserInfo,
  args: CanIArguments,
  options: { namespace: string; subresource?: string | undefined; allNamespaces?: boolean | undefined },
): CanIRequest {
  const warnings: string[] = [];
  if (args.nonResourceURL !== undefined) {
    if (!KNOWN_NON_RESOURCE_VERBS.includes(args.verb))
      warnings.push(`verb '${args.verb}' is not a known verb`);
    return {
      attributes: { user, verb: args.verb, resourceRequest: false, path: args.nonResourceURL },
      warnings,
    };
  }
  const resolved = resolveResource(args.resource ?? '');
  if (!resolved.known && resolved.resource !== '*') {
    warnings.push(
      resolved.group === ''
        ? `the resource type '${resolved.resource}' is not a built-in one; it is checked as typed`
        : `the resource type '${resolved.resource}' in group '${resolved.group}' is not a built-in one; it is checked as typed`,
    );
  }
  if (resolved.known && !resolved.known.namespaced && !options.allNamespaces) {
    warnings.push(
      resolved.group === ''
        ? `resource '${resolved.resource}' is not namespace scoped`
        : `resource '${resolved.resource}' is not namespace scoped in group '${resolved.group}'`,
    );
  }
  if (!KNOWN_RESOURCE_VERBS.includes(args.verb)) warnings.push(`verb '${args.verb}' is not a known verb`);
  if (args.name && !options.subresource && COMMON_SUBRESOURCES.includes(args.name)) {
    warnings.push(
      `"${args.resource ?? ''}/${args.name}" checks the object named "${args.name}"; ` +
        `for the subresource use --subresource ${args.name}`,
    );
  }
  return {
    attributes: {
      user,
      verb: args.verb,
      resourceRequest: true,
      namespace: options.allNamespaces ? '' : options.namespace,
      apiGroup: resolved.group,
      resource: resolved.resource,
      subresource: options.subresource ?? '',
      name: args.name ?? '',
    },
    warnings,
  };
}

// ---------- printing ----------

/** kubectl's answer line: `yes`, or `no` followed by ` - <reason>` and ` - <evaluationError>` when set. */
export function answerLine(status: { allowed: boolean; reason?: string; evaluationError?: string }): string {
  if (status.allowed) return 'yes';
  let line = 'no';
  if (status.reason) line += ` - ${status.reason}`;
  if (status.evaluationError) line += ` - ${status.evaluationError}`;
  return line;
}

/** describe.CombineResourceGroup: `secrets`, `deployments.apps`, `deployments.apps/scale`. */
function combineResourceGroup(resources: readonly string[], groups: readonly string[]): string {
  const first = resources[0];
  if (first === undefined) return '';
  const slash = first.indexOf('/');
  let combined = slash < 0 ? first : first.slice(0, slash);
  const group = groups[0];
  if (group) combined += `.${group}`;
  if (slash >= 0) combined += `/${first.slice(slash + 1)}`;
  return combined;
}

/**
 * Go's text/tabwriter as kubectl's printers configure it (minwidth 6, padding 3, blanks): every cell but a row's last
 * is padded to its column's width, the widest cell plus 3.
 */
export function tabwrite(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 6, [...cell].length + 3);
    });
  }
  const padded = rows.map((row) =>
    row
      .map((cell, column) =>
        column < row.length - 1 ? cell + ' '.repeat((widths[column] ?? 0) - [...cell].length) : cell,
      )
      .join(''),
  );
  return padded.map((line) => `${line}\n`).join('');
}

interface RulesReviewStatus {
  resourceRules?: {
    verbs?: string[];
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
  }[];
  nonResourceRules?: { verbs?: string[]; nonResourceURLs?: string[] }[];
  incomplete?: boolean;
  evaluationError?: string;
}

/**
 * `kubectl auth can-i --list`: the rules of a SelfSubjectRulesReview status broken down, merged by resource,
 * sorted as kubectl sorts them (by the Go string of each rule, verbs first) and laid out in its table.
 */
export function rulesTable(status: RulesReviewStatus, options: { noHeaders?: boolean } = {}): string {
  const rules: NormalRule[] = [
    ...(status.resourceRules ?? []).map((rule) => normalRule({ ...rule, nonResourceURLs: [] })),
    ...(status.nonResourceRules ?? []).map((rule) =>
      normalRule({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs }),
    ),
  ];
  const compacted = compactRules(rules.flatMap(breakdownRule), true);
  const keyed = compacted.map((rule) => ({ rule, key: goRuleString(rule) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows = keyed.map(({ rule }) => [
    combineResourceGroup(rule.resources, rule.apiGroups),
    goList(rule.nonResourceURLs),
    goList(rule.resourceNames),
    goList(rule.verbs),
  ]);
  if (!options.noHeaders) rows.unshift(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
  return tabwrite(rows);
}

/** kubectl's stderr line for an incomplete rules review. */
export function incompleteWarning(status: RulesReviewStatus): string | undefined {
  return status.incomplete
    ? `warning: the list may be incomplete: ${status.evaluationError ?? ''}`
    : undefined;
}

// ---------- explaining ----------

function describeUser(user: UserInfo): string {
  return `User ${goQuote(user.username)} (groups=${goList(user.groups.map(goQuote))})`;
}

function describeAsk(attributes: RequestAttributes): string {
  if (!attributes.resourceRequest) return `${attributes.verb} path ${goQuote(attributes.path ?? '')}`;
  const resource = attributes.subresource
    ? `${attributes.resource ?? ''}/${attributes.subresource}`
    : (attributes.resource ?? '');
  const name = attributes.name ? ` named ${goQuote(attributes.name)}` : '';
  const scope = attributes.namespace
    ? `in the namespace ${goQuote(attributes.namespace)}`
    : 'at the cluster scope';
  return `${attributes.verb} resource ${goQuote(resource)}${name} in API group ${goQuote(attributes.apiGroup ?? '')} ${scope}`;
}

function selects(aggregator: IndexedRole, role: IndexedRole): boolean {
  const rule = (aggregator.object as Record<string, unknown>)['aggregationRule'] as
    { clusterRoleSelectors?: unknown[] } | undefined;
  return (rule?.clusterRoleSelectors ?? []).some((selector) => {
    const text = labelSelectorString(selector);
    return text !== '' && parseLabelSelector(text).matches(role.labels);
  });
}

/** The ClusterRole an aggregated rule came from: the first role without an aggregationRule that holds it. */
export function aggregatedRuleOrigin(
  index: RbacIndex,
  roleName: string,
  rule: NormalRule,
): string | undefined {
  const seen = new Set<string>();
  const queue = [roleName];
  while (queue.length > 0) {
    const name = queue.shift() ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const aggregator = index.clusterRoles.get(name);
    if (!aggregator || !(aggregator.object as Record<string, unknown>)['aggregationRule']) continue;
    const selected = [...index.clusterRoles.values()]
      .filter((role) => role.name !== name && selects(aggregator, role))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const role of selected) {
      const holds = role.rules.some((candidate) => jsonEqual(candidate, rule));
      if (!holds) continue;
      if (!(role.object as Record<string, unknown>)['aggregationRule']) return role.name;
      queue.push(role.name);
    }
  }
  return undefined;
}

/** What `--explain` prints under the answer: which binding and rule allowed it, or what the user does have. */
export function explainDecision(
  attributes: RequestAttributes,
  decision: Decision,
  index: RbacIndex,
): string[] {
  if (decision.privilegedGroup) {
    return [
      `allowed: the group ${goQuote(decision.privilegedGroup)} passes every check ` +
        '(kube-apiserver authorizes it before RBAC is asked)',
    ];
  }
  const lines: string[] = [];
  if (decision.allowed && decision.binding && decision.rule && decision.role) {
    lines.push(decision.reason.replace(/^RBAC: /, ''));
    const role = decision.role;
    const where =
      role.kind === 'Role'
        ? `Role ${goQuote(`${role.name}/${role.namespace ?? ''}`)}`
        : `ClusterRole ${goQuote(role.name)}`;
    const rule = normalRule(decision.rule);
    lines.push(`  rule: ${where} rules[${decision.ruleIndex ?? 0}] ${compactString(rule)}`);
    if (role.kind === 'ClusterRole') {
      const origin = aggregatedRuleOrigin(index, role.name, rule);
      if (origin) lines.push(`  (aggregated into ${goQuote(role.name)} from ClusterRole ${goQuote(origin)})`);
    }
    if (decision.errors.length > 0) lines.push(`  role lookup errors: ${decision.errors.join('; ')}`);
    return lines;
  }
  lines.push(`no RBAC rule allows ${describeUser(attributes.user)} to ${describeAsk(attributes)}`);
  const namespace = attributes.resourceRequest ? (attributes.namespace ?? '') : '';
  const bindings = [
    ...index.clusterRoleBindings,
    ...(namespace ? (index.roleBindings.get(namespace) ?? []) : []),
  ];
  const applying = bindings.flatMap((binding) => {
    const subject = matchingSubject(attributes.user, binding);
    return subject ? [describeSource(binding, subject)] : [];
  });
  if (applying.length === 0) {
    lines.push(
      namespace
        ? `no binding in the cluster or in the namespace ${goQuote(namespace)} applies to this user`
        : 'no ClusterRoleBinding applies to this user',
    );
  } else {
    lines.push('bindings that apply to this user:');
    for (const binding of applying) lines.push(`  ${binding}`);
  }
  if (decision.errors.length > 0) lines.push(`role lookup errors: ${decision.errors.join('; ')}`);
  return lines;
}
