/** What `cloak rbac can-i` does (see rbac.ts for the flags). */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CloakError, UsageError } from '../../common/errors.ts';
import { expandLists, parseManifests, type ManifestObject } from '../../manifests/decode.ts';
import { aggregateClusterRoles } from '../../rbac/aggregation.ts';
import { bootstrapPolicy } from '../../rbac/bootstrap.ts';
import {
  answerLine,
  canIRequest,
  explainDecision,
  incompleteWarning,
  parseCanIArguments,
  rulesTable,
} from '../../rbac/can-i.ts';
import { authorize, buildRbacIndex, type RbacIndex } from '../../rbac/evaluator.ts';
import { impersonate } from '../../rbac/impersonation.ts';
import { subjectRulesReviewStatus } from '../../rbac/review.ts';
import { RBAC_GROUP, type RbacObjects, type UserInfo } from '../../rbac/types.ts';
import { ClusterAccess } from '../cluster-access.ts';
import { readInput, readInputFile, writeOutput } from '../io.ts';
import type { CanIFlags } from './rbac.ts';

export async function runCanI(args: string[], flags: CanIFlags): Promise<void> {
  validateFlags(args, flags);
  const offline = (flags.filename?.length ?? 0) > 0;
  const cluster = offline ? undefined : new ClusterAccess(flags);
  const namespace = flags.allNamespaces ? '' : await namespaceFor(flags, cluster);
  const user = await userFor(flags, cluster);
  const index = cluster ? await clusterIndex(cluster, namespace) : await offlineIndex(flags.filename ?? []);

  if (flags.list) {
    const status = subjectRulesReviewStatus(user, namespace, index);
    const warning = incompleteWarning(status);
    if (warning) process.stderr.write(`${warning}\n`);
    await writeOutput(rulesTable(status, { noHeaders: !flags.headers }));
    return;
  }

  const parsed = parseCanIArguments(args);
  if (!parsed) {
    throw new UsageError('you must specify two arguments: verb resource or verb resource/resourceName.');
  }
  if (parsed.nonResourceURL !== undefined && flags.subresource) {
    throw new UsageError('--subresource can not be used with NonResourceURL');
  }
  const request = canIRequest(user, parsed, {
    namespace,
    subresource: flags.subresource,
    allNamespaces: flags.allNamespaces,
  });
  for (const warning of request.warnings) process.stderr.write(`Warning: ${warning}\n`);
  const decision = authorize(request.attributes, index);
  if (!flags.quiet) {
    const lines = [answerLine(decision)];
    if (flags.explain) lines.push(...explainDecision(request.attributes, decision, index));
    await writeOutput(`${lines.join('\n')}\n`);
  }
  if (!decision.allowed) process.exitCode = 1;
}

/** kubectl's own flag rules for can-i. */
function validateFlags(args: string[], flags: CanIFlags): void {
  if (flags.list) {
    if (args.length > 0) throw new UsageError('list option must be specified with no arguments');
    if (flags.quiet || flags.allNamespaces || flags.subresource) {
      throw new UsageError(
        '--list options must not be specified with --quiet, --all-namespaces, or --subresource',
      );
    }
  } else if (!flags.headers) {
    throw new UsageError('--no-headers cannot be set without --list specified');
  }
  if (flags.asGroup?.length && !flags.as)
    throw new UsageError('--as-group needs --as: groups belong to a user');
  if (flags.filename?.length && !flags.as) {
    throw new UsageError('offline checks (-f) need --as USER: the identity whose access is checked');
  }
}

async function namespaceFor(flags: CanIFlags, cluster: ClusterAccess | undefined): Promise<string> {
  if (flags.namespace) return flags.namespace;
  if (!cluster) return 'default';
  return cluster.contextNamespace(
    'no kubeconfig found: pass -f to check RBAC manifests offline, or --kubeconfig',
  );
}

/** --as and --as-group make the user as impersonation would; otherwise the cluster says who we are. */
async function userFor(flags: CanIFlags, cluster: ClusterAccess | undefined): Promise<UserInfo> {
  if (flags.as) {
    const requester: UserInfo = { username: '', groups: [] };
    return impersonate(requester, { user: flags.as, groups: flags.asGroup ?? [] }).user;
  }
  if (!cluster) throw new UsageError('offline checks (-f) need --as USER');
  return whoAmI(cluster);
}

// ---------- offline: manifests plus the default roles ----------

const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'] as const;
type RbacKind = (typeof RBAC_KINDS)[number];

async function manifestFiles(path: string): Promise<string[]> {
  if (path === '-') return [path];
  let info;
  try {
    info = await stat(path);
  } catch {
    await readInputFile(path); // reports the error as every command does
    return [];
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path);
  return entries
    .filter((entry) => /\.(ya?ml|json)$/.test(entry))
    .sort()
    .map((entry) => join(path, entry));
}

async function readRbacObjects(
  paths: readonly string[],
  defaultNamespace: string,
): Promise<Record<RbacKind, ManifestObject[]>> {
  const found: Record<RbacKind, ManifestObject[]> = {
    Role: [],
    ClusterRole: [],
    RoleBinding: [],
    ClusterRoleBinding: [],
  };
  for (const path of paths) {
    const files = await manifestFiles(path);
    let count = 0;
    for (const file of files) {
      const input = await readInput(file);
      const objects = expandLists(parseManifests(input.text, input.source), input.source);
      for (const object of objects) {
        const kind = object['kind'];
        const apiVersion = object['apiVersion'];
        if (typeof apiVersion !== 'string' || !apiVersion.startsWith(`${RBAC_GROUP}/`)) continue;
        if (!RBAC_KINDS.includes(kind as RbacKind)) continue;
        const metadata = object['metadata'];
        const name =
          typeof metadata === 'object' && metadata !== null
            ? (metadata as Record<string, unknown>)['name']
            : '';
        if (typeof name !== 'string' || name === '') {
          throw new CloakError('ERR_INPUT_PARSE', `${input.source}: a ${String(kind)} without metadata.name`);
        }
        const copy = { ...object, metadata: { ...(metadata as Record<string, unknown>) } };
        if ((kind === 'Role' || kind === 'RoleBinding') && !copy.metadata['namespace']) {
          copy.metadata['namespace'] = defaultNamespace;
        }
        found[kind as RbacKind].push(copy);
        count++;
      }
    }
    if (count === 0) process.stderr.write(`Warning: ${path} holds no RBAC objects\n`);
  }
  return found;
}

/**
 * Manifests win over default objects of the same name, as `kubectl apply` would replace them. Roles and
 * RoleBindings without a namespace are in "default" (whatever -n says: that is the namespace checked).
 */
async function offlineIndex(paths: readonly string[]): Promise<RbacIndex> {
  const manifests = await readRbacObjects(paths, 'default');
  const defaults = bootstrapPolicy();
  const byName = new Map<string, object>();
  for (const role of [...defaults.clusterRoles, ...manifests.ClusterRole]) byName.set(nameOf(role), role);
  const objects: RbacObjects = {
    clusterRoles: aggregateClusterRoles([...byName.values()]),
    clusterRoleBindings: [...defaults.clusterRoleBindings, ...manifests.ClusterRoleBinding],
    roles: manifests.Role,
    roleBindings: manifests.RoleBinding,
  };
  return buildRbacIndex(objects);
}

function nameOf(object: object): string {
  const metadata = (object as { metadata?: { name?: unknown } }).metadata;
  return typeof metadata?.name === 'string' ? metadata.name : '';
}

// ---------- live: the cluster's RBAC objects, evaluated here ----------

async function getJson(
  cluster: ClusterAccess,
  method: 'GET' | 'POST',
  path: string,
  what: string,
  body?: string,
): Promise<Record<string, unknown>> {
  const { kubeRequest, responseMessage } = await import('../../kube/client.ts');
  const response = await kubeRequest(await cluster.config(), {
    method,
    path,
    body,
    timeoutMs: cluster.timeoutMs,
  });
  if (response.status < 200 || response.status > 299) {
    throw new CloakError('ERR_RBAC_READ', `cannot ${what}: ${responseMessage(response)}`);
  }
  try {
    return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CloakError('ERR_RBAC_READ', `cannot ${what}: the API server did not answer JSON`);
  }
}

async function listAll(cluster: ClusterAccess, path: string, resource: string): Promise<object[]> {
  const items: object[] = [];
  let token = '';
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (token) query.set('continue', token);
    const list = await getJson(
      cluster,
      'GET',
      `${path}?${query.toString()}`,
      `list ${resource} (checking needs read access to RBAC objects; or use -f with their manifests)`,
    );
    const page = Array.isArray(list['items']) ? (list['items'] as unknown[]) : [];
    items.push(...page.filter((item): item is object => typeof item === 'object' && item !== null));
    const metadata = list['metadata'] as { continue?: unknown } | undefined;
    token = typeof metadata?.continue === 'string' ? metadata.continue : '';
  } while (token);
  return items;
}

async function clusterIndex(cluster: ClusterAccess, namespace: string): Promise<RbacIndex> {
  const base = `/apis/${RBAC_GROUP}/v1`;
  const scoped = namespace === '' ? undefined : `${base}/namespaces/${encodeURIComponent(namespace)}`;
  const [clusterRoles, clusterRoleBindings, roles, roleBindings] = await Promise.all([
    listAll(cluster, `${base}/clusterroles`, 'clusterroles'),
    listAll(cluster, `${base}/clusterrolebindings`, 'clusterrolebindings'),
    scoped ? listAll(cluster, `${scoped}/roles`, 'roles') : Promise.resolve([]),
    scoped ? listAll(cluster, `${scoped}/rolebindings`, 'rolebindings') : Promise.resolve([]),
  ]);
  return buildRbacIndex({ clusterRoles, clusterRoleBindings, roles, roleBindings });
}

/** Who the kubeconfig's credentials are, from a SelfSubjectReview. */
async function whoAmI(cluster: ClusterAccess): Promise<UserInfo> {
  const review = await getJson(
    cluster,
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    'tell who you are (a SelfSubjectReview failed); pass --as USER',
    JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
  );
  const info = ((review['status'] as Record<string, unknown> | undefined)?.['userInfo'] ?? {}) as Record<
    string,
    unknown
  >;
  const username = typeof info['username'] === 'string' ? info['username'] : '';
  const groups = Array.isArray(info['groups'])
    ? info['groups'].filter((group) => typeof group === 'string')
    : [];
  if (username === '')
    throw new CloakError('ERR_RBAC_READ', 'the API server did not say who you are; pass --as USER');
  return {
    username,
    groups,
    ...(typeof info['uid'] === 'string' ? { uid: info['uid'] } : {}),
    ...(typeof info['extra'] === 'object' && info['extra'] !== null
      ? { extra: info['extra'] as Record<string, string[]> }
      : {}),
  };
}
