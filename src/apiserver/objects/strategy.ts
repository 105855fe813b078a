/**
 * What differs by kind, as kube-apiserver's registry strategies define it: defaults and server-owned fields on
 * create, what an update may change (status only through the status subresource, namespace finalizers only
 * through `finalize`), when metadata.generation moves, validation, and how deletion proceeds.
 */
import { crdDefaults, validateCrd, validateCrdUpdate } from '../crd.ts';
import { CRD_CLEANUP_FINALIZER } from '../controllers/crds.ts';
import type { ResourceInfo } from '../resources.ts';
import { applySchema } from '../schema.ts';
import { badRequest, conflict, invalid } from '../status.ts';
import {
  decodeProblem,
  foldStringData,
  strictDecodingError,
  undecodableMessage,
  unknownFieldMessage,
  unknownTopLevelFields,
  validateObject,
  withoutUnknownFields,
} from '../validation.ts';
import { objectForResource } from './body.ts';
import type { FieldValidation, RequestContext } from './context.ts';
import { isPlainObject, jsonEqual, kubeTimestamp, type KubeObject } from './object.ts';

type Cause = { field: string; message: string; reason?: string };

const CORE = '';
const isKind = (info: ResourceInfo, group: string, kind: string): boolean =>
  info.group === group && info.kind === kind && !info.crd;

/**
 * What decoding into the kind's type does in kube-apiserver: values of the wrong shape are a 400, fields the
 * type (or a CRD's structural schema) does not know are dropped, and reported as warnings (Warn) or refused
 * with 400 (Strict). Returns the object to carry on with.
 */
export function normalizeFields(
  info: ResourceInfo,
  object: KubeObject,
  validation: FieldValidation,
  context: RequestContext,
  patch = false,
): KubeObject {
  const problem = info.crd ? undefined : decodeProblem(info.kind, object);
  if (problem) throw badRequest(undecodableMessage(info.kind, info.version, problem));
  let unknown: string[] = [];
  let result = object;
  if (info.crd?.schema) {
    const applied = applySchema(info.crd.schema, object, { fieldValidation: validation });
    unknown = applied.unknownFields;
    result = applied.object as KubeObject;
  } else if (!info.crd) {
    unknown = unknownTopLevelFields(info.kind, object);
    if (unknown.length > 0) result = withoutUnknownFields(info.kind, object);
  }
  if (unknown.length === 0 || validation === 'Ignore') return result;
  if (validation === 'Strict') throw strictDecodingError(info.kind, info.version, unknown, { patch });
  context.warnings.push(...unknown.map(unknownFieldMessage));
  return result;
}

/** A patched value must still be an object of the URL's kind. */
export function coerceKind(info: ResourceInfo, value: unknown): KubeObject {
  return objectForResource(info, value);
}

export function prepareForCreate(info: ResourceInfo, object: KubeObject): void {
  const metadata = object.metadata;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.generation;
  delete metadata.selfLink;
  if (
    info.crd
      ? info.subresources.includes('status')
      : info.subresources.includes('status') && !isKind(info, CORE, 'Namespace')
  ) {
    delete object['status'];
  }
  if (isKind(info, CORE, 'Secret')) defaultSecret(object);
  if (isKind(info, CORE, 'Namespace')) {
    object['spec'] = { finalizers: ['kubernetes'] };
    object['status'] = { phase: 'Active' };
    metadata.labels = { ...metadata.labels, 'kubernetes.io/metadata.name': metadata.name ?? '' };
  }
  if (isKind(info, CORE, 'Service')) defaultService(object);
  defaultEndpointPorts(info, object);
  if (isKind(info, CORE, 'Pod')) object['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
  if (isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition')) {
    Object.assign(object, crdDefaults(object));
    object['status'] = { storedVersions: [], conditions: [], acceptedNames: { kind: '', plural: '' } };
  }
}

export function prepareForUpdate(
  info: ResourceInfo,
  next: KubeObject,
  old: KubeObject,
  subresource: string | undefined,
): void {
  keepServerOwnedMetadata(info, next, old);
  if (subresource === 'status') {
    for (const key of Object.keys(next)) if (key !== 'status' && key !== 'metadata') delete next[key];
    Object.assign(next, {
      ...old,
      status: next['status'],
      metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion },
    });
    if (next['status'] === undefined) delete next['status'];
    if (info.crd || isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition'))
      next.metadata.managedFields = old.metadata.managedFields;
    return;
  }
  if (subresource === 'finalize') {
    const finalizers = isPlainObject(next['spec']) ? next['spec']['finalizers'] : undefined;
    Object.assign(next, {
      ...old,
      spec: { ...(old['spec'] as object), finalizers },
      metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion },
    });
    return;
  }
  if (info.subresources.includes('status')) {
    if (old['status'] === undefined) delete next['status'];
    else next['status'] = old['status'];
  }
  if (isKind(info, CORE, 'Secret')) defaultSecret(next);
  if (isKind(info, CORE, 'Namespace')) {
    next['spec'] = old['spec'];
    next['status'] = old['status'];
    next.metadata.labels = {
      ...next.metadata.labels,
      'kubernetes.io/metadata.name': next.metadata.name ?? '',
    };
  }
  if (isKind(info, CORE, 'Service')) defaultService(next);
  defaultEndpointPorts(info, next);
  if (isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition'))
    Object.assign(next, crdDefaults(next), { status: old['status'] });
  bumpGeneration(info, next, old);
}

/** uid, creationTimestamp, deletion state and generation belong to the server; a different uid is a conflict. */
function keepServerOwnedMetadata(info: ResourceInfo, next: KubeObject, old: KubeObject): void {
  const metadata = next.metadata;
  if (metadata.uid && metadata.uid !== old.metadata.uid) {
    throw conflict(
      info,
      old.metadata.name ?? '',
      `Precondition failed: UID in precondition: ${metadata.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
    );
  }
  metadata.uid = old.metadata.uid;
  metadata.creationTimestamp = old.metadata.creationTimestamp;
  metadata.generation = old.metadata.generation;
  setOrDelete(metadata, 'deletionTimestamp', old.metadata.deletionTimestamp);
  setOrDelete(metadata, 'deletionGracePeriodSeconds', old.metadata.deletionGracePeriodSeconds);
  if (metadata.generation === undefined) delete metadata.generation;
  delete metadata.selfLink;
}

function setOrDelete(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

function bumpGeneration(info: ResourceInfo, next: KubeObject, old: KubeObject): void {
  if (info.generation === 'none') return;
  const changed =
    info.generation === 'spec'
      ? !jsonEqual(next['spec'], old['spec'])
      : !jsonEqual(withoutMetaAndStatus(info, next), withoutMetaAndStatus(info, old));
  if (changed) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
}

function withoutMetaAndStatus(info: ResourceInfo, object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status, ...rest } = object;
  return info.subresources.includes('status') ? rest : { ...rest, status };
}

function defaultSecret(secret: KubeObject): void {
  Object.assign(secret, foldStringData(secret));
  delete secret['stringData'];
  if (!secret['type']) secret['type'] = 'Opaque';
}

function defaultService(service: KubeObject): void {
  const spec = isPlainObject(service['spec']) ? service['spec'] : (service['spec'] = {});
  spec['type'] ??= 'ClusterIP';
  spec['sessionAffinity'] ??= 'None';
  if (Array.isArray(spec['ports'])) {
    for (const port of spec['ports']) if (isPlainObject(port)) port['protocol'] ??= 'TCP';
  }
}

/** SetDefaults_EndpointPort of core (protocol TCP) and of discovery (name "", protocol TCP). */
function defaultEndpointPorts(info: ResourceInfo, object: KubeObject): void {
  const ports: unknown[] = [];
  if (isKind(info, CORE, 'Endpoints') && Array.isArray(object['subsets'])) {
    for (const subset of object['subsets'])
      if (isPlainObject(subset) && Array.isArray(subset['ports']))
        ports.push(...(subset['ports'] as unknown[]));
  } else if (isKind(info, 'discovery.k8s.io', 'EndpointSlice') && Array.isArray(object['ports'])) {
    ports.push(...(object['ports'] as unknown[]));
    for (const port of object['ports']) if (isPlainObject(port)) port['name'] ??= '';
  }
  for (const port of ports) if (isPlainObject(port)) port['protocol'] ??= 'TCP';
}

/** Throws 422 Invalid when the object breaks the kind's rules (`old` is set for updates). */
export function validate(info: ResourceInfo, object: KubeObject, old: KubeObject | undefined): void {
  const schemaCauses = info.crd?.schema
    ? applySchema(info.crd.schema, object, { fieldValidation: 'Ignore' }).causes
    : [];
  const causes: Cause[] = validateObject(info, object, old, schemaCauses);
  if (isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition'))
    causes.push(...(old ? validateCrdUpdate(object, old) : validateCrd(object)));
  if (causes.length > 0) throw invalid(info.kind, info.group, object.metadata.name ?? '', causes);
}

/** PUT of a missing object creates it only for these kinds (kube's AllowCreateOnUpdate). */
export function allowCreateOnUpdate(info: ResourceInfo): boolean {
  return (
    !info.crd &&
    ((info.group === CORE && info.kind === 'Event') ||
      (info.group === 'coordination.k8s.io' && info.kind === 'Lease'))
  );
}

/** Deletion must wait even without metadata finalizers: namespaces (spec.finalizers) and CRDs (their objects). */
export function deletionPending(info: ResourceInfo, object: KubeObject): boolean {
  if (isKind(info, CORE, 'Namespace')) {
    const spec = object['spec'];
    return isPlainObject(spec) && Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0;
  }
  if (isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition'))
    return object.metadata.deletionTimestamp === undefined;
  return false;
}

/** The state of an object whose deletion has begun but waits. */
export function markedForDeletion(info: ResourceInfo, object: KubeObject): KubeObject {
  if (isKind(info, CORE, 'Namespace'))
    return { ...object, status: { ...(object['status'] as object), phase: 'Terminating' } };
  if (
    isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition') &&
    !object.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)
  ) {
    const finalizers = [...(object.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER];
    return { ...object, metadata: { ...object.metadata, finalizers }, status: terminatingCrdStatus(object) };
  }
  return object;
}

function terminatingCrdStatus(crd: KubeObject): Record<string, unknown> {
  const status = isPlainObject(crd['status']) ? crd['status'] : {};
  const conditions = Array.isArray(status['conditions'])
    ? (status['conditions'] as Record<string, unknown>[])
    : [];
  const terminating = {
    type: 'Terminating',
    status: 'True',
    lastTransitionTime: kubeTimestamp(new Date()),
    reason: 'InstanceDeletionPending',
    message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
  };
  return {
    ...status,
    conditions: [...conditions.filter((condition) => condition['type'] !== 'Terminating'), terminating],
  };
}

/** DELETE answers with the deleted object for these kinds, with a Status for the rest (as kube does). */
export function returnsDeletedObject(info: ResourceInfo): boolean {
  return (
    Boolean(info.crd) ||
    (info.group === CORE && (info.kind === 'Pod' || info.kind === 'Namespace')) ||
    isKind(info, 'apiextensions.k8s.io', 'CustomResourceDefinition')
  );
}
