/**
 * Leader-election decisions on a coordination.k8s.io/v1 Lease (pure: the caller passes the Lease it read and
 * the time). The rules are client-go's:
 * - a candidate may take the lease when nobody holds it, or when the holder's record has not changed for a
 *   whole lease duration *as measured on the candidate's own clock* since it first saw that record (so clock
 *   skew between machines does not matter, only their rates);
 * - taking it from someone else increments leaseTransitions and sets acquireTime; renewing keeps both;
 * - a leader that has not renewed within the renew deadline must stop, which is before anyone else may take
 *   over (renew deadline < lease duration), so two leaders never act at once;
 * - releasing writes an empty holder, so that a successor need not wait.
 */

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** External Secrets' and controller-runtime's defaults. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** client-go's JitterFactor: a retry may come up to 20 % late. */
const JITTER_FACTOR = 1.2;

/** Throws unless the timings can keep the guarantee above (client-go's checks). */
export function checkTimings(timings: LeaseTimings): void {
  if (timings.leaseDurationMs <= timings.renewDeadlineMs)
    throw new RangeError('the lease duration must be longer than the renew deadline');
  if (timings.renewDeadlineMs <= JITTER_FACTOR * timings.retryPeriodMs)
    throw new RangeError('the renew deadline must be longer than 1.2 × the retry period');
  if (timings.retryPeriodMs < 1) throw new RangeError('the retry period must be positive');
}

/** What a candidate last saw of the Lease, and when (its own clock) it first saw it so. */
export interface Observation {
  record: string;
  sinceMs: number;
}

/** The record's identity for "has it changed": everything the holder writes when it renews. */
function recordOf(spec: LeaseSpec | undefined): string {
  return JSON.stringify([
    spec?.holderIdentity ?? '',
    spec?.leaseDurationSeconds ?? 0,
    spec?.acquireTime ?? '',
    spec?.renewTime ?? '',
    spec?.leaseTransitions ?? 0,
  ]);
}

export function observe(
  previous: Observation | undefined,
  spec: LeaseSpec | undefined,
  nowMs: number,
): Observation {
  const record = recordOf(spec);
  return previous?.record === record ? previous : { record, sinceMs: nowMs };
}

export type LeaseDecision =
  | { action: 'create'; spec: LeaseSpec }
  | { action: 'update'; spec: LeaseSpec }
  /** Someone else holds a valid lease; try again after the retry period. */
  | { action: 'wait'; holder: string; expiresMs: number };

/**
 * What `identity` should do with the Lease it just read (`spec` undefined: the Lease does not exist), given
 * what it has observed of it.
 */
export function decide(
  identity: string,
  spec: LeaseSpec | undefined,
  observation: Observation,
  nowMs: number,
  timings: LeaseTimings,
): LeaseDecision {
  const now = formatMicroTime(nowMs);
  const leaseDurationSeconds = Math.ceil(timings.leaseDurationMs / 1000);
  if (spec === undefined) {
    return {
      action: 'create',
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    };
  }
  const holder = spec.holderIdentity ?? '';
  const expiresMs = observation.sinceMs + timings.leaseDurationMs;
  if (holder !== '' && holder !== identity && expiresMs > nowMs) return { action: 'wait', holder, expiresMs };
  const renewing = holder === identity;
  return {
    action: 'update',
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: renewing && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    },
  };
}

/** A leader must step down when its last successful renewal is older than the renew deadline. */
export function mustStepDown(lastRenewMs: number, nowMs: number, timings: LeaseTimings): boolean {
  return nowMs - lastRenewMs >= timings.renewDeadlineMs;
}

/** The record a leader writes when it steps down cleanly: nobody holds it, transitions are kept. */
export function released(spec: LeaseSpec, nowMs: number): LeaseSpec {
  const now = formatMicroTime(nowMs);
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/**
 * metav1.MicroTime's wire format, RFC 3339 with exactly six fractional digits in UTC
 * ("2006-01-02T15:04:05.000000Z"). JavaScript time has milliseconds; the last three digits are zeros.
 */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function parseMicroTime(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) throw new RangeError(`not a MicroTime: "${text}"`);
  const fraction = (match[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${match[1]}.${fraction}${match[3]}`);
}
