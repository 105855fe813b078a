/**
 * Which resource a client, informer or event talks about, and where it lives in the REST API (pure).
 */
import type { ObjectMeta, StringMap } from '../../kube/objects.ts';

/** A Kubernetes object as the runtime handles it: whatever its kind, it has metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** The resource's URL name, e.g. "secrets". */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const SECRETS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
};
export const CONFIG_MAPS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const EVENTS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
};
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/**
 * The collection's path: in one namespace, or across all of them when `namespace` is undefined (for a
 * namespaced resource) or always (for a cluster-scoped one).
 */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const scope =
    type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${type.plural}`;
}

export function objectPath(type: ResourceType, namespace: string | undefined, name: string): string {
  if (type.namespaced && namespace === undefined)
    throw new RangeError(`${type.plural} are namespaced: a namespace is needed to address "${name}"`);
  return `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;
}

/** The cache and work-queue key: "namespace/name", or "name" for cluster-scoped objects (client-go's). */
export function objectKey(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Annotation in which `kubectl apply` keeps a full copy of the applied object, Secret values included. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The apiVersion of PartialObjectMetadata (one string shared by every cached object). */
const META_V1 = 'meta.k8s.io/v1';

/**
 * The object reduced to what a metadata-only cache keeps: a `PartialObjectMetadata` without what would still
 * carry the body — managed fields, and the last-applied annotation (for a Secret, a plaintext copy of its
 * data). An API server that honours `as=PartialObjectMetadata` sends only metadata, but with both of those (kube
 * copies the whole ObjectMeta); one that ignores it sends the whole object. Either way the result is the same.
 * Annotations left empty by that are dropped too: a cache of 10,000 `kubectl apply`d Secrets would otherwise keep
 * 10,000 empty maps.
 */
export function toMetadataOnly(object: KubeObject): KubeObject {
  const { managedFields: _managed, annotations, ...rest } = object.metadata;
  let metadata: ObjectMeta = rest;
  if (annotations) {
    const kept =
      LAST_APPLIED_ANNOTATION in annotations ? withoutKey(annotations, LAST_APPLIED_ANNOTATION) : annotations;
    if (Object.keys(kept).length > 0) metadata = { ...rest, annotations: kept };
  }
  const apiVersion =
    !isPartialObjectMetadata(object) || object.apiVersion === META_V1 ? META_V1 : object.apiVersion;
  return { apiVersion, kind: 'PartialObjectMetadata', metadata };
}

/** The object without `metadata.managedFields` (the same object when it has none). */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (object.metadata.managedFields === undefined) return object;
  const { managedFields: _managed, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function withoutKey(map: StringMap, key: string): StringMap {
  const { [key]: _dropped, ...rest } = map;
  return rest;
}

/** Whether the server already answered with metadata only (it honoured the metadata-only Accept header). */
export function isPartialObjectMetadata(object: KubeObject): boolean {
  return object.kind === 'PartialObjectMetadata' && object.apiVersion?.startsWith('meta.k8s.io/') === true;
}
