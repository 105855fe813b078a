/**
 * What the SealedSecret controller decides, as pure functions (the shell in controller.ts does the I/O):
 * - whether a Secret is already what a SealedSecret unseals to, without decrypting anything: a hash of every
 *   input of unsealing (ciphertext, scope, name, namespace, owner, template) is recorded on the Secret, so an
 *   unchanged SealedSecret costs no RSA operation on resync or restart;
 * - which Secret write an unsealed result needs (create, update, nothing, or refuse: a Secret the SealedSecret
 *   does not own is never overwritten unless it is annotated `managed` or `patch`);
 * - the Synced condition and observedGeneration, and the messages and Events, worded as the Bitnami controller
 *   words them (tools match on them), with an explanation added where upstream says too little.
 */
import { createHash } from 'node:crypto';
import { CloakError, errorMessage } from '../../common/errors.ts';
import type { ObjectMeta, OwnerReference, Secret, StringMap } from '../../kube/objects.ts';
import { SERVER_SIDE_META_FIELDS } from '../../kube/objects.ts';
import { encryptionLabel, scopeOf, type Scope } from '../../sealing/scope.ts';
import {
  describeFailures,
  SEALING_KEY_ANNOTATION,
  SKIP_SET_OWNER_REFERENCES_ANNOTATION,
  UnsealError,
  type SealedSecret,
} from '../../sealing/sealed-secret.ts';
import { LAST_APPLIED_ANNOTATION } from '../runtime/resource.ts';

export const MANAGED_ANNOTATION = 'sealedsecrets.bitnami.com/managed';
export const PATCH_ANNOTATION = 'sealedsecrets.bitnami.com/patch';
/** On a Secret the controller wrote: "sha256:<hex>" of the inputs it was unsealed from (never of a value). */
export const UNSEALED_FROM_ANNOTATION = 'cloak.dev/unsealed-from';

export const SYNCED_CONDITION = 'Synced';
/** The Events' source component, as the Bitnami controller's. */
export const EVENT_COMPONENT = 'sealed-secrets';
export const REASON_UNSEALED = 'Unsealed';
export const REASON_UNSEAL_FAILED = 'ErrUnsealFailed';
export const REASON_UPDATE_FAILED = 'ErrUpdateFailed';
export const MESSAGE_UNSEALED = 'SealedSecret unsealed successfully';

/** Why unsealing failed, as the `reason` label of sealed_secrets_controller_unseal_errors_total. */
export type ErrorReason = 'fetch' | 'unseal' | 'update' | 'unmanaged' | 'status';

/** Bumped whenever the rules that turn a SealedSecret into a Secret change, so that Secrets are rewritten. */
const UNSEAL_RULES_VERSION = 'cloak-unseal/1';

export function unmanagedMessage(name: string): string {
  return `Resource ${JSON.stringify(name)} already exists and is not managed by SealedSecret`;
}

export function immutableMessage(key: string): string {
  return (
    `Error updating ${key}: the target Secret is immutable. Once a Secret is marked as immutable, it is not ` +
    'possible to revert this change nor to mutate the contents of the data field. You can only delete and ' +
    'recreate the Secret.'
  );
}

/** The API server's answer to a data change of an immutable Secret ends like this. */
export function isImmutableFailure(message: string): boolean {
  return message.endsWith('field is immutable when `immutable` is set');
}

// ---------------------------------------------------------------------------------------------------------
// The inputs hash

/** "sha256:<hex>" over everything the unsealed Secret depends on; the keys are not among them. */
export function unsealInputsHash(sealed: SealedSecret): string {
  const { metadata, spec } = sealed;
  const material = canonicalJson([
    UNSEAL_RULES_VERSION,
    metadata.namespace ?? '',
    metadata.name ?? '',
    metadata.uid ?? '',
    scopeOf(metadata.annotations),
    spec.encryptedData,
    spec.data ?? null,
    spec.template ?? null,
  ]);
  return `sha256:${createHash('sha256').update(material).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Ownership and the Secret's metadata

export function ownerReferenceTo(sealed: SealedSecret): OwnerReference {
  return {
    apiVersion: sealed.apiVersion,
    kind: sealed.kind,
    name: sealed.metadata.name ?? '',
    uid: sealed.metadata.uid ?? '',
    controller: true,
  };
}

function skipsOwnerReferences(sealed: SealedSecret): boolean {
  return sealed.spec.template?.metadata?.annotations?.[SKIP_SET_OWNER_REFERENCES_ANNOTATION] === 'true';
}

export type Ownership = 'controlled' | 'managed' | 'patch' | 'foreign';

/**
 * How the SealedSecret may treat an existing Secret: it controls it (owner reference with its uid), it may
 * adopt it (`managed`) or merge into it (`patch`), or it must leave it alone. A Secret made without an owner
 * reference (`skip-set-owner-references`) counts as controlled when it carries our inputs annotation.
 */
export function ownershipOf(sealed: SealedSecret, secretMeta: ObjectMeta): Ownership {
  const annotations = secretMeta.annotations ?? {};
  if (annotations[PATCH_ANNOTATION] === 'true') return 'patch';
  const controller = secretMeta.ownerReferences?.find((reference) => reference.controller === true);
  if (controller && controller.uid === sealed.metadata.uid) return 'controlled';
  if (annotations[MANAGED_ANNOTATION] === 'true') return 'managed';
  if (
    !controller &&
    skipsOwnerReferences(sealed) &&
    annotations[SKIP_SET_OWNER_REFERENCES_ANNOTATION] === 'true' &&
    annotations[UNSEALED_FROM_ANNOTATION] !== undefined
  )
    return 'controlled';
  return 'foreign';
}

/** The Secret as the controller writes it: the unsealed Secret, server-side fields dropped, inputs recorded. */
export function desiredSecret(unsealed: Secret, hash: string): Secret {
  const secret = structuredClone(unsealed);
  for (const field of SERVER_SIDE_META_FIELDS) delete secret.metadata[field];
  delete secret.metadata.generateName;
  secret.metadata.annotations = { ...secret.metadata.annotations, [UNSEALED_FROM_ANNOTATION]: hash };
  return secret;
}

/**
 * The labels, annotations and owner references the Secret gets, known without decrypting (the deprecated
 * v1 format hides its metadata inside the ciphertext, so for it there is no answer).
 */
export function expectedMetadata(
  sealed: SealedSecret,
  hash: string,
): Pick<ObjectMeta, 'labels' | 'annotations' | 'ownerReferences'> | undefined {
  if (sealed.spec.data !== undefined) return undefined;
  const template = sealed.spec.template?.metadata ?? {};
  return {
    labels: { ...template.labels },
    annotations: { ...template.annotations, [UNSEALED_FROM_ANNOTATION]: hash },
    ...(skipsOwnerReferences(sealed) ? {} : { ownerReferences: [ownerReferenceTo(sealed)] }),
  };
}

/**
 * True when the Secret (its metadata, as the metadata-only cache holds it) was written from exactly these
 * inputs and still has the metadata they give: nothing needs decrypting. Its data is not checked (the cache
 * has none): a Secret whose values were edited by hand is restored when its SealedSecret changes.
 */
export function secretIsCurrent(
  sealed: SealedSecret,
  hash: string,
  secretMeta: ObjectMeta | undefined,
): boolean {
  if (!secretMeta || secretMeta.annotations?.[UNSEALED_FROM_ANNOTATION] !== hash) return false;
  const ownership = ownershipOf(sealed, secretMeta);
  if (ownership === 'foreign') return false;
  const expected = expectedMetadata(sealed, hash);
  if (!expected) return true;
  const merge = ownership === 'patch';
  const managed = secretMeta.annotations[MANAGED_ANNOTATION] === 'true';
  return (
    mapMatches(secretMeta.labels, expected.labels, merge) &&
    mapMatches(withoutLastApplied(secretMeta.annotations), withoutLastApplied(expected.annotations), merge) &&
    (merge && !managed ? true : sameOwners(secretMeta.ownerReferences, expected.ownerReferences))
  );
}

function withoutLastApplied(map: StringMap | undefined): StringMap {
  const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = map ?? {};
  return rest;
}

/** Equal maps, or (merge) `actual` holding every entry of `expected`. */
function mapMatches(actual: StringMap | undefined, expected: StringMap | undefined, merge: boolean): boolean {
  const have = actual ?? {};
  const want = expected ?? {};
  for (const [key, value] of Object.entries(want)) if (have[key] !== value) return false;
  return merge || Object.keys(have).length === Object.keys(want).length;
}

function sameOwners(
  a: readonly OwnerReference[] | undefined,
  b: readonly OwnerReference[] | undefined,
): boolean {
  const normalize = (list: readonly OwnerReference[] | undefined): string =>
    JSON.stringify(
      (list ?? []).map((reference) => [
        reference.apiVersion,
        reference.kind,
        reference.name,
        reference.uid,
        reference.controller ?? false,
        reference.blockOwnerDeletion ?? false,
      ]),
    );
  return normalize(a) === normalize(b);
}

// ---------------------------------------------------------------------------------------------------------
// The Secret write

export type SecretWrite =
  | { action: 'create'; secret: Secret }
  | { action: 'update'; secret: Secret }
  | { action: 'unchanged' }
  | { action: 'unmanaged'; message: string };

/**
 * What to write so that the Secret is `desired`. An owned (or `managed`) Secret gets the desired data,
 * labels, annotations and owner references; a `patch` Secret has them merged in (nothing removed; owners
 * replaced only when also `managed`). The type follows the template; a template without one keeps the
 * Secret's (a Secret's type cannot change).
 */
export function planSecretWrite(
  sealed: SealedSecret,
  desired: Secret,
  existing: Secret | undefined,
): SecretWrite {
  if (!existing) return { action: 'create', secret: desired };
  const ownership = ownershipOf(sealed, existing.metadata);
  if (ownership === 'foreign')
    return { action: 'unmanaged', message: unmanagedMessage(existing.metadata.name ?? '') };
  const next = structuredClone(existing);
  const metadata = next.metadata;
  if (ownership === 'patch') {
    next.data = { ...existing.data, ...desired.data };
    metadata.labels = { ...existing.metadata.labels, ...desired.metadata.labels };
    metadata.annotations = { ...existing.metadata.annotations, ...desired.metadata.annotations };
    if (existing.metadata.annotations?.[MANAGED_ANNOTATION] === 'true')
      setOwners(metadata, desired.metadata.ownerReferences);
  } else {
    next.data = { ...desired.data };
    metadata.labels = { ...desired.metadata.labels };
    metadata.annotations = { ...desired.metadata.annotations };
    setOwners(metadata, desired.metadata.ownerReferences);
  }
  next.type = desired.type ?? existing.type ?? 'Opaque';
  for (const field of ['labels', 'annotations'] as const)
    if (Object.keys(metadata[field] ?? {}).length === 0) delete metadata[field];
  if (Object.keys(next.data).length === 0) delete next.data;
  return sameSecret(existing, next) ? { action: 'unchanged' } : { action: 'update', secret: next };
}

function setOwners(metadata: ObjectMeta, owners: OwnerReference[] | undefined): void {
  if (owners && owners.length > 0) metadata.ownerReferences = owners;
  else delete metadata.ownerReferences;
}

function sameSecret(a: Secret, b: Secret): boolean {
  return (
    mapMatches(a.data, b.data, false) &&
    mapMatches(a.metadata.labels, b.metadata.labels, false) &&
    mapMatches(a.metadata.annotations, b.metadata.annotations, false) &&
    sameOwners(a.metadata.ownerReferences, b.metadata.ownerReferences) &&
    (a.type ?? 'Opaque') === (b.type ?? 'Opaque')
  );
}

// ---------------------------------------------------------------------------------------------------------
// Status

export interface SealedSecretCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface SealedSecretStatus {
  observedGeneration?: number;
  conditions?: SealedSecretCondition[];
}

export type SyncOutcome = { synced: true } | { synced: false; message: string };

/** metav1.Time: RFC 3339 in whole seconds. */
function timeOf(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The status to write after a reconcile, or undefined when the current one says the same: the Synced
 * condition (message empty when synced, the error otherwise) and observedGeneration. lastTransitionTime
 * changes only when the status flips; lastUpdateTime whenever the condition is written.
 */
export function planStatus(
  current: SealedSecretStatus | undefined,
  generation: number | undefined,
  outcome: SyncOutcome,
  now: Date,
): SealedSecretStatus | undefined {
  const conditions = current?.conditions ?? [];
  const index = conditions.findIndex((condition) => condition.type === SYNCED_CONDITION);
  const existing = index >= 0 ? conditions[index] : undefined;
  const status = outcome.synced ? 'True' : 'False';
  const message = outcome.synced ? '' : outcome.message;
  const observedGeneration = generation ?? 0;
  if (
    existing?.status === status &&
    (existing.message ?? '') === message &&
    (current?.observedGeneration ?? 0) === observedGeneration
  )
    return undefined;
  const time = timeOf(now);
  const condition: SealedSecretCondition = {
    type: SYNCED_CONDITION,
    status,
    lastUpdateTime: time,
    lastTransitionTime:
      existing?.status === status && existing.lastTransitionTime ? existing.lastTransitionTime : time,
    ...(message ? { message } : {}),
  };
  const next = [...conditions];
  if (index >= 0) next[index] = condition;
  else next.push(condition);
  return { ...(observedGeneration ? { observedGeneration } : {}), conditions: next };
}

/** sealed_secrets_controller_condition_info's value: -1 false, 0 unknown, 1 true. */
export function conditionValue(status: string | undefined): number {
  return status === 'True' ? 1 : status === 'False' ? -1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// Messages

export interface KeyringFacts {
  size: number;
  has(fingerprint: string): boolean;
}

/**
 * The Synced=False message for a SealedSecret that did not unseal. Upstream's text comes first ("no key could
 * decrypt secret (a, b)"), then, for values no key opened, which key sealed them and what that means.
 */
export function unsealFailureMessage(
  error: unknown,
  sealed: SealedSecret,
  where: string,
  keys: KeyringFacts,
): string {
  if (error instanceof UnsealError) {
    const text = describeFailures(error.failures);
    if (!error.failures.every((failure) => failure.noKey)) return text;
    return `${text}: ${noKeyExplanation(sealed, keys)}`;
  }
  const message = errorMessage(error);
  const prefix = `${where}: `;
  return error instanceof CloakError && message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function noKeyExplanation(sealed: SealedSecret, keys: KeyringFacts): string {
  const { metadata } = sealed;
  const scope = scopeOf(metadata.annotations);
  const target = scopeTarget(scope, metadata.namespace ?? '', metadata.name ?? '');
  const hint = metadata.annotations?.[SEALING_KEY_ANNOTATION];
  if (hint && keys.has(hint))
    return `the key that sealed it (${hint}) is here, so it was sealed for another name, namespace or scope than ${target}`;
  if (hint) return `it was sealed with the key ${hint}, which this controller does not have`;
  const counted =
    keys.size === 1 ? 'the controller’s only key' : `none of the controller’s ${keys.size} keys`;
  const subject = keys.size === 1 ? `${counted} does not open it` : `${counted} opens it`;
  return `${subject} for ${target}: it was sealed with another key, or for another name, namespace or scope`;
}

function scopeTarget(scope: Scope, namespace: string, name: string): string {
  const label = encryptionLabel(scope, namespace, name).toString('utf8');
  if (scope === 'cluster-wide') return 'any name (cluster-wide scope)';
  return `${JSON.stringify(label)} (${scope} scope)`;
}
