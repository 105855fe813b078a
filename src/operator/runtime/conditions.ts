/**
 * Status conditions (pure), as Kubernetes API conventions define them: one entry per type; lastTransitionTime
 * changes only when the status does, so "since when has it been failing?" stays answerable; observedGeneration
 * says which spec the condition describes.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  /** Kept by APIs that have it (Sealed Secrets' conditions do): when the condition was last written. */
  lastUpdateTime?: string;
  observedGeneration?: number;
}

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface SetConditionOptions {
  /** Also maintain lastUpdateTime (set whenever reason, message or status change). */
  updateTime?: boolean;
}

/** metav1.Time: RFC 3339 in whole seconds. */
function timeOf(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Returns the conditions with `update` applied (a new array; the input is left alone). */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
  options: SetConditionOptions = {},
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const transitioned = existing?.status !== update.status;
  const changed = transitioned || existing?.reason !== update.reason || existing?.message !== update.message;
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.reason !== undefined ? { reason: update.reason } : {}),
    ...(update.message !== undefined ? { message: update.message } : {}),
    lastTransitionTime:
      transitioned || !existing?.lastTransitionTime ? timeOf(now) : existing.lastTransitionTime,
    ...(options.updateTime
      ? { lastUpdateTime: changed || !existing?.lastUpdateTime ? timeOf(now) : existing.lastUpdateTime }
      : {}),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}

/** True when writing `next` would change nothing (so a reconcile can skip the status update). */
export function conditionsEqual(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
