/** The parts of Kubernetes objects Cloak reads and writes, with their fields in Go struct order. */
import { compareGoStrings } from '../common/go-strings.ts';

export type StringMap = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: StringMap;
  annotations?: StringMap;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Secret {
  kind: 'Secret';
  apiVersion: 'v1';
  metadata: ObjectMeta;
  immutable?: boolean;
  /** Values are standard base64, as in the API. */
  data?: StringMap;
  stringData?: StringMap;
  type?: string;
}

/** ObjectMeta's fields, in Go struct order (also: every field ObjectMeta has). */
export const OBJECT_META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Fields that the API server owns: they must not travel from one object into another. */
export const SERVER_SIDE_META_FIELDS = [
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
] as const;

/**
 * Returns `meta` with its fields in Go's order and its maps sorted, empty maps and lists dropped (Go's
 * `omitempty`), and `creationTimestamp` present, since Go always writes it (as `null` when unset).
 */
export function canonicalObjectMeta(meta: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  const known = new Set<string>(OBJECT_META_ORDER);
  for (const field of OBJECT_META_ORDER) {
    const value = field === 'creationTimestamp' ? (meta.creationTimestamp ?? null) : meta[field];
    if (isOmitted(value) || (field === 'generation' && value === 0)) continue;
    out[field] = field === 'labels' || field === 'annotations' ? sortedMap(value as StringMap) : value;
  }
  for (const [field, value] of Object.entries(meta)) {
    if (!known.has(field) && !isOmitted(value)) out[field] = value;
  }
  return out;
}

function isOmitted(value: unknown): boolean {
  if (value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

export function sortedMap<T>(map: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(map).sort(compareGoStrings)) out[key] = map[key] as T;
  return out;
}

/** A Secret with its fields in Go's order, as `kubectl get -o json` prints it. */
export function canonicalSecret(secret: Secret): Secret {
  const out: Secret = { kind: 'Secret', apiVersion: 'v1', metadata: canonicalObjectMeta(secret.metadata) };
  if (secret.immutable !== undefined) out.immutable = secret.immutable;
  if (secret.data && Object.keys(secret.data).length > 0) out.data = sortedMap(secret.data);
  if (secret.stringData && Object.keys(secret.stringData).length > 0)
    out.stringData = sortedMap(secret.stringData);
  if (secret.type) out.type = secret.type;
  return out;
}

export function namespacedName(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}
