/**
 * ownerReferences and finalizers (pure; every function returns a new object and leaves its input alone).
 * A controller owns what it creates through a controller reference, so the garbage collector deletes it with
 * its owner; an object has at most one controller. Finalizers hold an object's deletion until the controller
 * that added one has cleaned up.
 */
import { CloakError } from '../../common/errors.ts';
import type { OwnerReference } from '../../kube/objects.ts';
import type { KubeObject } from './resource.ts';

/** The object is already controlled by another owner. */
export class AlreadyOwnedError extends CloakError {
  constructor(object: KubeObject, owner: OwnerReference) {
    super(
      'ERR_ALREADY_OWNED',
      `${object.kind ?? 'object'} "${object.metadata.name ?? ''}" is already controlled by ${owner.kind} "${owner.name}"`,
    );
  }
}

/** The reference a controller puts on what it creates (blockOwnerDeletion: foreground deletion waits). */
export function controllerReference(owner: KubeObject): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!owner.apiVersion || !owner.kind || !name || !uid)
    throw new RangeError('an owner needs apiVersion, kind, metadata.name and metadata.uid');
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((reference) => reference.controller === true);
}

export function isOwnedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((reference) => reference.uid === owner.metadata.uid);
}

export function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  return controllerOf(object)?.uid === owner.metadata.uid;
}

/**
 * Makes `owner` the object's controller. Throws AlreadyOwnedError if another owner controls it; an existing
 * plain reference to the same owner is upgraded.
 */
export function setControllerReference<T extends KubeObject>(object: T, owner: KubeObject): T {
  const reference = controllerReference(owner);
  const current = controllerOf(object);
  if (current && current.uid !== reference.uid) throw new AlreadyOwnedError(object, current);
  const others = (object.metadata.ownerReferences ?? []).filter((existing) => existing.uid !== reference.uid);
  return { ...object, metadata: { ...object.metadata, ownerReferences: [...others, reference] } };
}

export function removeOwnerReference<T extends KubeObject>(object: T, owner: KubeObject): T {
  const references = (object.metadata.ownerReferences ?? []).filter(
    (reference) => reference.uid !== owner.metadata.uid,
  );
  const { ownerReferences: _dropped, ...metadata } = object.metadata;
  return {
    ...object,
    metadata: references.length > 0 ? { ...metadata, ownerReferences: references } : metadata,
  };
}

export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

export function addFinalizer<T extends KubeObject>(object: T, finalizer: string): T {
  if (hasFinalizer(object, finalizer)) return object;
  return {
    ...object,
    metadata: { ...object.metadata, finalizers: [...(object.metadata.finalizers ?? []), finalizer] },
  };
}

export function removeFinalizer<T extends KubeObject>(object: T, finalizer: string): T {
  if (!hasFinalizer(object, finalizer)) return object;
  const finalizers = (object.metadata.finalizers ?? []).filter((name) => name !== finalizer);
  const { finalizers: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata: finalizers.length > 0 ? { ...metadata, finalizers } : metadata };
}

/** The object is being deleted (a deletionTimestamp is set): finalizers are running. */
export function isBeingDeleted(object: KubeObject): boolean {
  return Boolean(object.metadata.deletionTimestamp);
}
