/**
 * Which resources the local API server serves: the built-ins secrets management needs, plus whatever
 * CustomResourceDefinitions add at run time. Each entry carries what discovery, routing, storage and the table
 * printer need to know about one resource in one served version. Pure data and lookups; no I/O.
 */

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;

/**
 * Which writes bump metadata.generation: `spec` (workloads, ingresses…), `non-metadata` (anything but metadata
 * and, where there is a status subresource, status: custom resources, webhook configurations), or `none`.
 */
export type GenerationPolicy = 'spec' | 'non-metadata' | 'none';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** The URL segment: `secrets`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  verbs: readonly string[];
  /** Subresources beyond the object itself: `status`, `token`, `finalize`, `scale`, `proxy`. */
  subresources: readonly string[];
  /** The etcd key prefix, without the trailing slash: `/registry/secrets`. */
  storagePrefix: string;
  /** How values are stored: kube-apiserver's protobuf envelope, or JSON. */
  codec: 'protobuf' | 'json';
  generation: GenerationPolicy;
  /** Built-in Go types accept strategic merge patches; custom resources do not (415). */
  strategicMerge: boolean;
  /** The version objects are stored in (differs from `version` for a CRD served in several versions). */
  storageVersion: string;
  /** Set for resources a CustomResourceDefinition defines. */
  crd?: CustomResourceInfo | undefined;
  /**
   * Create-only resources that are answered, never stored (access reviews, token reviews): no storage, no
   * watch, no control loop sees them.
   */
  virtual?: boolean | undefined;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string | undefined;
  description?: string | undefined;
  priority?: number | undefined;
  jsonPath: string;
}

export interface CustomResourceInfo {
  /** The CRD's name, `<plural>.<group>`. */
  name: string;
  /** openAPIV3Schema of this version, when the CRD gives one. */
  schema?: Record<string, unknown> | undefined;
  printerColumns: readonly PrinterColumn[];
  /** The scale subresource's paths (`.spec.replicas`…), when the version has one. */
  scale?: ScalePaths | undefined;
}

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string | undefined;
}

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  /** Relative to /registry; defaults to the plural (kube drops the group for most built-ins). */
  storagePath?: string;
  codec?: 'protobuf' | 'json';
  generation?: GenerationPolicy;
  virtual?: boolean;
}

/** Reviews: POST a question, get it back with a status; nothing is stored. */
function review(group: string, kind: string, namespaced = false): BuiltinSpec {
  return { group, version: 'v1', kind, plural: `${kind.toLowerCase()}s`, namespaced, virtual: true };
}

const BUILTINS: BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
  },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, codec: 'protobuf' },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    codec: 'protobuf',
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    subresources: ['token'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status', 'proxy'],
    storagePath: 'services/specs',
  },
  {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    storagePath: 'services/endpoints',
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status'],
  },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  ...(['Deployment', 'StatefulSet', 'DaemonSet'] as const).map((kind): BuiltinSpec => ({
    group: 'apps',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced: true,
    shortNames: [{ Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds' }[kind]],
    categories: ['all'],
    subresources: kind === 'DaemonSet' ? ['status'] : ['status', 'scale'],
    generation: 'spec',
  })),
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    categories: ['all'],
    subresources: ['status'],
    generation: 'spec',
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
    generation: 'spec',
  },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
  },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
    shortNames: ['ing'],
    subresources: ['status'],
    storagePath: 'ingress',
    generation: 'spec',
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    namespaced: true,
    shortNames: ['netpol'],
    generation: 'spec',
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  },
  ...(['Mutating', 'Validating'] as const).map((mode): BuiltinSpec => ({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: `${mode}WebhookConfiguration`,
    plural: `${mode.toLowerCase()}webhookconfigurations`,
    namespaced: false,
    generation: 'non-metadata',
  })),
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    subresources: ['status'],
    storagePath: 'apiextensions.k8s.io/customresourcedefinitions',
    generation: 'spec',
  },
  review('authorization.k8s.io', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'SubjectAccessReview'),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', true),
  review('authorization.k8s.io', 'SelfSubjectRulesReview'),
  review('authentication.k8s.io', 'TokenReview'),
  review('authentication.k8s.io', 'SelfSubjectReview'),
];

export function builtinResources(): ResourceInfo[] {
  return BUILTINS.map((spec) => ({
    group: spec.group,
    version: spec.version,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.virtual ? ['create'] : STANDARD_VERBS,
    subresources: spec.subresources ?? [],
    storagePrefix: `/registry/${spec.storagePath ?? spec.plural}`,
    codec: spec.codec ?? 'json',
    generation: spec.generation ?? 'none',
    strategicMerge: true,
    storageVersion: spec.version,
    ...(spec.virtual ? { virtual: true } : {}),
  }));
}

/** The storage prefix of custom resources: `/registry/<group>/<plural>`. */
export function customResourcePrefix(group: string, plural: string): string {
  return `/registry/${group}/${plural}`;
}

export interface GroupVersion {
  group: string;
  version: string;
}

/**
 * The live set of served resources. CRDs add and remove entries while the server runs; listeners (discovery,
 * OpenAPI caches) hear about every change.
 */
export class ResourceRegistry {
  readonly #byPath = new Map<string, ResourceInfo>();
  readonly #listeners = new Set<() => void>();
  #generation = 0;

  constructor(resources: Iterable<ResourceInfo> = builtinResources()) {
    for (const info of resources) this.#byPath.set(pathKey(info.group, info.version, info.plural), info);
  }

  /** Changes whenever the set of resources changes (a cache key for discovery documents). */
  get generation(): number {
    return this.#generation;
  }

  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.#byPath.get(pathKey(group, version, plural));
  }

  /** Every served version of one resource (by group and plural). */
  versionsOf(group: string, plural: string): ResourceInfo[] {
    return this.all().filter((info) => info.group === group && info.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.all().find((info) => apiVersionOf(info) === apiVersion && info.kind === kind);
  }

  all(): ResourceInfo[] {
    return [...this.#byPath.values()];
  }

  /** Group-versions in discovery order: the core group first, then groups in the order they were added. */
  groupVersions(): GroupVersion[] {
    const seen = new Map<string, GroupVersion>();
    for (const info of this.#byPath.values()) {
      const key = `${info.group}/${info.version}`;
      if (!seen.has(key)) seen.set(key, { group: info.group, version: info.version });
    }
    return [...seen.values()];
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.all().some((info) => info.group === group && info.version === version);
  }

  /** Replaces the versions served for one CRD (by its name); an empty list removes it. */
  setCustomResource(crdName: string, versions: readonly ResourceInfo[]): void {
    const before = this.all().filter((info) => info.crd?.name === crdName);
    const unchanged =
      before.length === versions.length &&
      before.every((info, index) => JSON.stringify(info) === JSON.stringify(versions[index]));
    if (unchanged) return;
    for (const info of before) this.#byPath.delete(pathKey(info.group, info.version, info.plural));
    for (const info of versions) this.#byPath.set(pathKey(info.group, info.version, info.plural), info);
    this.#changed();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.#generation++;
    for (const listener of this.#listeners) listener();
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
