/**
 * Kubernetes objects as the server handles them: plain JSON values with a metadata block. Helpers here read
 * and write the few metadata fields every layer needs, without assuming anything else about the kind.
 */
import type { ObjectMeta } from '../../kube/objects.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type { ObjectMeta, OwnerReference } from '../../kube/objects.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value (objects from storage are shared by watchers and must not be mutated). */
export function cloneObject<T>(value: T): T {
  return structuredClone(value);
}

export function metadataOf(object: Record<string, unknown>): ObjectMeta {
  const metadata = object['metadata'];
  return isPlainObject(metadata) ? metadata : {};
}

/** Equality of JSON values, ignoring key order. */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left)) {
    return (
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => jsonEqual(item, right[index]))
    );
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
    const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    return leftKeys.length === rightKeys.length && leftKeys.every((key) => jsonEqual(left[key], right[key]));
  }
  return false;
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function kubeTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
