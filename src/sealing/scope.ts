/**
 * Sealing scopes: what the OAEP label binds a sealed value to, and how the scope is recorded in annotations.
 * Pure: no I/O.
 */
import type { StringMap } from '../kube/objects.ts';
import { UsageError } from '../common/errors.ts';

export const SCOPES = ['strict', 'namespace-wide', 'cluster-wide'] as const;
export type Scope = (typeof SCOPES)[number];

export const NAMESPACE_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/namespace-wide';
export const CLUSTER_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/cluster-wide';

export function parseScope(value: string): Scope {
  if (value === '') return 'strict';
  if ((SCOPES as readonly string[]).includes(value)) return value as Scope;
  throw new UsageError(`invalid scope "${value}": must be one of: ${SCOPES.join(', ')}`);
}

/** The scope recorded in annotations; only the exact value "true" counts, and cluster-wide wins. */
export function scopeOf(annotations: StringMap | undefined): Scope {
  if (annotations?.[CLUSTER_WIDE_ANNOTATION] === 'true') return 'cluster-wide';
  if (annotations?.[NAMESPACE_WIDE_ANNOTATION] === 'true') return 'namespace-wide';
  return 'strict';
}

/** The OAEP label: "namespace/name" for strict, "namespace" for namespace-wide, empty for cluster-wide. */
export function encryptionLabel(scope: Scope, namespace: string, name: string): Buffer {
  switch (scope) {
    case 'cluster-wide':
      return Buffer.alloc(0);
    case 'namespace-wide':
      return Buffer.from(namespace);
    case 'strict':
      return Buffer.from(`${namespace}/${name}`);
  }
}

/** Annotations rewritten to record exactly `scope` (strict is the absence of both annotations). */
export function withScopeAnnotations(annotations: StringMap | undefined, scope: Scope): StringMap {
  const out: StringMap = { ...annotations };
  delete out[NAMESPACE_WIDE_ANNOTATION];
  delete out[CLUSTER_WIDE_ANNOTATION];
  if (scope === 'namespace-wide') out[NAMESPACE_WIDE_ANNOTATION] = 'true';
  if (scope === 'cluster-wide') out[CLUSTER_WIDE_ANNOTATION] = 'true';
  return out;
}
