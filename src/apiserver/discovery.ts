/**
 * The discovery documents kubectl and client libraries read before anything else: aggregated discovery
 * (apidiscovery.k8s.io/v2 and v2beta1, one request for every group) and the legacy documents (/api, /apis,
 * /apis/<group>, /api/v1 and /apis/<group>/<version>). Pure functions of the registry; the server negotiates
 * the format with negotiateDiscovery and sends discoveryContentType(format).
 */
import { createHash } from 'node:crypto';
import type { GroupVersion, ResourceInfo, ResourceRegistry } from './resources.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface SubresourceInfo {
  /** `status`, `token`, `finalize`, `scale`, `proxy`. */
  name: string;
  /** What a request to the subresource returns (and, for writes, takes). */
  responseKind: GroupVersionKind;
  verbs: readonly string[];
  /** A connect subresource (the service proxy): requests pass through to something else. */
  connect: boolean;
}

interface SubresourceShape {
  verbs: readonly string[];
  /** Set when the subresource speaks another kind than its parent. */
  kind?: GroupVersionKind;
  /** A connect subresource (`proxy`): no object in or out, so no OpenAPI operations here. */
  connect?: boolean;
}

// What kube-apiserver registers for these subresources (verbs as upstream discovery lists them).
const SUBRESOURCE_SHAPES: Record<string, SubresourceShape> = {
  status: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
  token: { verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  scale: { verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  proxy: {
    verbs: ['create', 'delete', 'get', 'patch', 'update'],
    kind: { group: '', version: 'v1', kind: 'ServiceProxyOptions' },
    connect: true,
  },
};

const DEFAULT_SUBRESOURCE_SHAPE: SubresourceShape = { verbs: ['get', 'patch', 'update'] };

/** The subresources of one resource, sorted by name, with the kind and verbs each serves. */
export function subresourcesOf(info: ResourceInfo): SubresourceInfo[] {
  return [...info.subresources].sort().map((name) => {
    const shape = SUBRESOURCE_SHAPES[name] ?? DEFAULT_SUBRESOURCE_SHAPE;
    return {
      name,
      responseKind: shape.kind ?? kindOf(info),
      verbs: shape.verbs,
      connect: shape.connect ?? false,
    };
  });
}

export function kindOf(info: ResourceInfo): GroupVersionKind {
  return { group: info.group, version: info.version, kind: info.kind };
}

// ---------------------------------------------------------------------------------------------------------
// Versions and groups

/**
 * Kube's version priority (apimachinery's CompareKubeAwareVersionStrings): GA before beta before alpha, then
 * the higher major, then the higher minor; versions not shaped like `v1beta2` come last, alphabetically.
 */
export function compareVersionPriority(a: string, b: string): number {
  const left = parseKubeVersion(a);
  const right = parseKubeVersion(b);
  if (!left && !right) return a < b ? -1 : a > b ? 1 : 0;
  if (!left) return 1;
  if (!right) return -1;
  return right.stability - left.stability || right.major - left.major || right.minor - left.minor;
}

const STABILITY: Record<string, number> = { alpha: 0, beta: 1, '': 2 };

function parseKubeVersion(version: string): { major: number; stability: number; minor: number } | undefined {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return undefined;
  return { major: Number(match[1]), stability: STABILITY[match[2] ?? ''] ?? 2, minor: Number(match[3] ?? 0) };
}

interface ServedGroup {
  name: string;
  /** In preference order: the first is the preferred version. */
  versions: string[];
}

/** Groups in registry order (the core group excluded unless asked for), versions in preference order. */
function servedGroups(registry: ResourceRegistry, which: 'core' | 'apis'): ServedGroup[] {
  const byName = new Map<string, string[]>();
  for (const { group, version } of registry.groupVersions()) {
    if ((group === '') !== (which === 'core')) continue;
    const versions = byName.get(group) ?? [];
    versions.push(version);
    byName.set(group, versions);
  }
  return [...byName].map(([name, versions]) => ({ name, versions: versions.sort(compareVersionPriority) }));
}

function resourcesIn(registry: ResourceRegistry, { group, version }: GroupVersion): ResourceInfo[] {
  return registry
    .all()
    .filter((info) => info.group === group && info.version === version)
    .sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------
// Aggregated discovery (apidiscovery.k8s.io)

export type AggregatedFormat = 'v2' | 'v2beta1';

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: string;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

export interface APIGroupDiscovery {
  metadata: { name?: string };
  versions: APIVersionDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current';
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

/**
 * The aggregated document for `/api` (`core`: one item, the core group, whose metadata has no name) or for
 * `/apis` (every other group). v2beta1 differs from v2 only in apiVersion.
 */
export function aggregatedDiscovery(
  registry: ResourceRegistry,
  which: 'core' | 'apis',
  format: AggregatedFormat = 'v2',
): APIGroupDiscoveryList {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${format}`,
    metadata: {},
    items: servedGroups(registry, which).map((group) => ({
      metadata: group.name ? { name: group.name } : {},
      versions: group.versions.map((version) => ({
        version,
        resources: resourcesIn(registry, { group: group.name, version }).map(resourceDiscovery),
        freshness: 'Current',
      })),
    })),
  };
}

function resourceDiscovery(info: ResourceInfo): APIResourceDiscovery {
  const subresources = subresourcesOf(info).map((sub): APISubresourceDiscovery => ({
    subresource: sub.name,
    responseKind: sub.responseKind,
    verbs: [...sub.verbs],
  }));
  return {
    resource: info.plural,
    responseKind: kindOf(info),
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: [...info.verbs],
    // Go's omitempty: empty lists are left out.
    ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
    ...(info.categories.length > 0 ? { categories: [...info.categories] } : {}),
    ...(subresources.length > 0 ? { subresources } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Legacy discovery (meta/v1 APIVersions, APIGroupList, APIGroup, APIResourceList)

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: { clientCIDR: string; serverAddress: string }[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion?: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

/** `/api` in the legacy format: the core group's only version, reachable at `serverAddress` (host:port). */
export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `/apis` in the legacy format. */
export function apiGroupList(registry: ResourceRegistry): APIGroupList {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups(registry, 'apis').map(groupEntry) };
}

/** `/apis/<group>`, or undefined when no version of the group is served. */
export function apiGroup(registry: ResourceRegistry, group: string): APIGroup | undefined {
  const served = servedGroups(registry, 'apis').find((candidate) => candidate.name === group);
  return served ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(served) } : undefined;
}

function groupEntry(group: ServedGroup): APIGroup {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] as GroupVersionForDiscovery };
}

/**
 * `/api/v1` or `/apis/<group>/<version>`: every resource, then each subresource as its own `<plural>/<sub>`
 * entry, sorted by name as kube-apiserver lists them. Undefined for a group-version that is not served.
 */
export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): APIResourceList | undefined {
  const resources = resourcesIn(registry, { group, version });
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    // kube-apiserver leaves apiVersion out of the core group's list only.
    ...(group ? { apiVersion: 'v1' as const } : {}),
    groupVersion: group ? `${group}/${version}` : version,
    resources: resources.flatMap((info) => [legacyResource(info), ...legacySubresources(info)]),
  };
}

function legacyResource(info: ResourceInfo): APIResource {
  return {
    name: info.plural,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: [...info.verbs],
    ...(info.shortNames.length > 0 ? { shortNames: [...info.shortNames] } : {}),
    ...(info.categories.length > 0 ? { categories: [...info.categories] } : {}),
    storageVersionHash: storageVersionHash({
      group: info.group,
      version: info.storageVersion,
      kind: info.kind,
    }),
  };
}

function legacySubresources(info: ResourceInfo): APIResource[] {
  return subresourcesOf(info).map((sub) => {
    const foreign = sub.responseKind.group !== info.group || sub.responseKind.version !== info.version;
    return {
      name: `${info.plural}/${sub.name}`,
      singularName: '',
      namespaced: info.namespaced,
      // The group and version are only spelt out when the subresource speaks another group-version's kind.
      ...(foreign ? { group: sub.responseKind.group, version: sub.responseKind.version } : {}),
      kind: sub.responseKind.kind,
      verbs: [...sub.verbs],
    };
  });
}

/**
 * kube-apiserver's storage version hash: base64 of the first 8 bytes of SHA-256 over `<group>/<version>/<kind>`
 * of the version objects are stored in. Clients only compare it for equality.
 */
export function storageVersionHash({ group, version, kind }: GroupVersionKind): string {
  return createHash('sha256')
    .update(`${group}/${version}/${kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

// ---------------------------------------------------------------------------------------------------------
// The documents behind /api and /apis, per negotiated format

/**
 * What `/api` (`core`) or `/apis` answers in the negotiated format. Both must be answered in the same format:
 * client-go only uses aggregated discovery when both documents come back aggregated.
 */
export function discoveryRoot(
  registry: ResourceRegistry,
  which: 'core' | 'apis',
  format: DiscoveryFormat,
  serverAddress: string,
): APIGroupDiscoveryList | APIVersions | APIGroupList {
  if (format !== 'legacy') return aggregatedDiscovery(registry, which, format);
  return which === 'core' ? apiVersions(serverAddress) : apiGroupList(registry);
}

// ---------------------------------------------------------------------------------------------------------
// Content negotiation and caching

export type DiscoveryFormat = AggregatedFormat | 'legacy';

const DISCOVERY_GROUP = 'apidiscovery.k8s.io';
const DISCOVERY_LIST_KIND = 'APIGroupDiscoveryList';

export interface MediaRange {
  type: string;
  params: Map<string, string>;
  quality: number;
}

/**
 * Picks the discovery format from an Accept header, honouring the client's order and q-values. client-go sends
 * `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…;v=v2beta1;…,application/json`.
 * Anything else (no header, `*\/*`, plain JSON, types this server cannot produce) gets the legacy documents,
 * which every client understands.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  const ranges = parseAccept(accept ?? '')
    .filter((range) => range.quality > 0)
    .sort((a, b) => b.quality - a.quality);
  for (const range of ranges) {
    const format = formatFor(range);
    if (format) return format;
  }
  return 'legacy';
}

function formatFor(range: MediaRange): DiscoveryFormat | undefined {
  const as = range.params.get('as');
  if (as === undefined) return acceptsJson(range.type) ? 'legacy' : undefined;
  if (range.type !== 'application/json' || as !== DISCOVERY_LIST_KIND) return undefined;
  if (range.params.get('g') !== DISCOVERY_GROUP) return undefined;
  const version = range.params.get('v');
  return version === 'v2' || version === 'v2beta1' ? version : undefined;
}

function acceptsJson(type: string): boolean {
  return type === 'application/json' || type === 'application/*' || type === '*/*';
}

/** An Accept header's media ranges, in header order (types lowercased, `q` taken out of the parameters). */
export function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [type = '', ...rawParams] = part.split(';').map((piece) => piece.trim());
      const params = new Map<string, string>();
      for (const raw of rawParams) {
        const equals = raw.indexOf('=');
        if (equals <= 0) continue;
        params.set(raw.slice(0, equals).trim().toLowerCase(), unquote(raw.slice(equals + 1).trim()));
      }
      const quality = Number(params.get('q') ?? '1');
      params.delete('q');
      return { type: type.toLowerCase(), params, quality: Number.isFinite(quality) ? quality : 0 };
    });
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** The Content-Type to answer with; client-go decides from it how to parse the body. */
export function discoveryContentType(format: DiscoveryFormat): string {
  if (format === 'legacy') return 'application/json';
  return `application/json;g=${DISCOVERY_GROUP};v=${format};as=${DISCOVERY_LIST_KIND}`;
}

/**
 * The ETag of a serialized discovery body: the quoted uppercase hex SHA-512, as kube-apiserver's aggregated
 * discovery handler computes it (it also sends `Vary: Accept`, `Cache-Control: public`, and 304 on a matching
 * If-None-Match).
 */
export function discoveryEtag(body: string | Uint8Array): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
}
