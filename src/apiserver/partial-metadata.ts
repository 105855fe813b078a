/**
 * `PartialObjectMetadata` and `PartialObjectMetadataList` (meta.k8s.io v1 and v1beta1): the metadata-only answers
 * kube-apiserver gives for `Accept: …;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`. The whole ObjectMeta
 * is kept, as kube's meta.AsPartialObjectMetadata keeps it: labels, annotations (the last-applied copy too),
 * owner references, finalizers and managed fields. A client that must not hold those drops them itself. Pure.
 */
import { encodeMetaObject } from './codec/protobuf.ts';
import type { MetaVersion } from './negotiation.ts';
import { notAcceptable } from './negotiation.ts';
import type { ResourceInfo } from './resources.ts';

type Json = Record<string, unknown>;

export interface ListMetadata {
  resourceVersion?: string | undefined;
  continue?: string | undefined;
  remainingItemCount?: number | undefined;
}

function metadataOf(object: Json): Json {
  const metadata = object['metadata'];
  return typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
    ? (metadata as Json)
    : {};
}

export function toPartialObjectMetadata(object: Json, version: MetaVersion): Json {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: metadataOf(object),
  };
}

export function toPartialObjectMetadataList(
  items: readonly Json[],
  metadata: ListMetadata,
  version: MetaVersion,
): Json {
  const listMeta: Json = {};
  if (metadata.resourceVersion !== undefined) listMeta['resourceVersion'] = metadata.resourceVersion;
  if (metadata.continue) listMeta['continue'] = metadata.continue;
  if (metadata.remainingItemCount !== undefined) listMeta['remainingItemCount'] = metadata.remainingItemCount;
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    items: items.map((item) => toPartialObjectMetadata(item, version)),
  };
}

/** What a watch event or a bookmark carries for a metadata watcher, as JSON text. */
export function partialObjectMetadataJson(object: Json, version: MetaVersion): string {
  return JSON.stringify(toPartialObjectMetadata(object, version));
}

export function partialObjectMetadataProtobuf(object: Json, version: MetaVersion): Uint8Array {
  return encodeMetaObject(toPartialObjectMetadata(object, version));
}

/**
 * The 406 kube answers when the transformation does not fit the response: a single object asked for as a list,
 * or a list asked for as a single object (messages name the internal Go type, `*core.Secret`).
 */
export function wrongShape(asked: 'PartialObjectMetadata' | 'PartialObjectMetadataList', info: ResourceInfo) {
  return asked === 'PartialObjectMetadata'
    ? notAcceptable(
        `you requested PartialObjectMetadata, but the requested object is a list (${goTypeName(info, true)})`,
      )
    : notAcceptable(
        `you requested PartialObjectMetadataList, but the requested object is not a list (${goTypeName(info, false)})`,
      );
}

/** `%T` of the object kube-apiserver holds at that point: the internal type, or unstructured for custom resources. */
export function goTypeName(info: ResourceInfo, list: boolean): string {
  if (info.crd) return list ? '*unstructured.UnstructuredList' : '*unstructured.Unstructured';
  const goPackage = info.group === '' ? 'core' : (info.group.split('.')[0] ?? info.group);
  return `*${goPackage}.${list ? info.listKind : info.kind}`;
}
