/**
 * The controller's sealing keys, decided from the key Secrets in its namespace (pure): which Secrets are keys
 * (`kubernetes.io/tls`, labelled `sealedsecrets.bitnami.com/sealed-secrets-key: active`, plus the pre-0.9
 * Secret named exactly after the key prefix), which of them cannot be read (reported and skipped, never
 * fatal), which key is the newest (it seals and is served at /v1/cert.pem), and when a new key is due.
 */
import { X509Certificate } from 'node:crypto';
import { CloakError, errorMessage } from '../../common/errors.ts';
import type { Secret } from '../../kube/objects.ts';
import { SEALING_KEY_LABEL } from '../../sealing/keygen.ts';
import { parsePrivateKeyFile, type SealingKey } from '../../sealing/keys.ts';

export { SEALING_KEY_LABEL };

/** How the newest key is chosen (--key-order-priority): certificate NotBefore, or Secret creation time. */
export type KeyOrder = 'CertNotBefore' | 'SecretCreationTimestamp';
export const KEY_ORDERS: readonly KeyOrder[] = ['CertNotBefore', 'SecretCreationTimestamp'];

export interface ControllerKey extends SealingKey {
  /** The key Secret's name ("" for a key generated here and not yet read back). */
  secretName: string;
  /** What orders keys: the newest seals. */
  orderingTime: Date;
  /** The key's own certificate (tls.crt), when it has one that matches the key. */
  certificate: X509Certificate | undefined;
  /** The key Secret's resourceVersion: of two keys made within one second, the later write is newer. */
  resourceVersion?: string | undefined;
}

export interface MalformedKey {
  secretName: string;
  reason: string;
}

export interface KeySet {
  /** Newest first. */
  keys: ControllerKey[];
  malformed: MalformedKey[];
}

/** Is this Secret one of the controller's keys (an active key, or the legacy one named after the prefix)? */
export function isKeySecret(secret: Pick<Secret, 'metadata'>, prefix: string): boolean {
  const label = secret.metadata.labels?.[SEALING_KEY_LABEL];
  if (label === 'active') return true;
  return secret.metadata.name === prefix && label === undefined;
}

/** Reads every key Secret; one that cannot be read is listed in `malformed` with why, never thrown. */
export function readKeySecrets(secrets: readonly Secret[], prefix: string, order: KeyOrder): KeySet {
  const keys: ControllerKey[] = [];
  const malformed: MalformedKey[] = [];
  const seen = new Set<string>();
  for (const secret of secrets) {
    if (!isKeySecret(secret, prefix)) continue;
    const secretName = secret.metadata.name ?? '';
    try {
      const key = readKeySecret(secret, order);
      if (seen.has(key.fingerprint)) continue;
      seen.add(key.fingerprint);
      keys.push(key);
    } catch (error) {
      malformed.push({ secretName, reason: errorMessage(error) });
    }
  }
  return { keys: sortNewestFirst(keys), malformed };
}

function readKeySecret(secret: Secret, order: KeyOrder): ControllerKey {
  const name = secret.metadata.name ?? '';
  // Items of a LIST carry no kind; the key file reader wants one.
  const object = { ...secret, kind: 'Secret', apiVersion: 'v1' };
  const [key] = parsePrivateKeyFile(JSON.stringify(object), `key Secret ${name}`);
  if (!key) throw new CloakError('ERR_KEY_PARSE', `key Secret ${name}: no private key found`);
  const certificate = key.certificatePem ? new X509Certificate(key.certificatePem) : undefined;
  const created = parseTime(secret.metadata.creationTimestamp ?? undefined);
  const orderingTime =
    order === 'SecretCreationTimestamp'
      ? (created ?? certificate?.validFromDate ?? new Date(0))
      : (certificate?.validFromDate ?? created ?? new Date(0));
  return {
    ...key,
    secretName: name,
    orderingTime,
    certificate,
    resourceVersion: secret.metadata.resourceVersion,
  };
}

function parseTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/**
 * Newest first. Certificate times have whole seconds, so keys made within one second tie: the key Secret
 * written last (the larger resourceVersion, compared as a number when both are numbers) is the newer.
 */
export function sortNewestFirst(keys: readonly ControllerKey[]): ControllerKey[] {
  return [...keys].sort(
    (a, b) =>
      b.orderingTime.getTime() - a.orderingTime.getTime() ||
      compareVersions(b.resourceVersion ?? '', a.resourceVersion ?? ''),
  );
}

function compareVersions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const difference = BigInt(a) - BigInt(b);
    return difference > 0n ? 1 : difference < 0n ? -1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key that seals: the newest one that has a certificate to hand out. */
export function sealingKeyOf(keys: readonly ControllerKey[]): ControllerKey | undefined {
  return keys.find((key) => key.certificate !== undefined);
}

export interface RenewalPolicy {
  /** --key-renew-period; 0 turns automatic renewal off. */
  periodMs: number;
  /** --key-cutoff-time: a newest key older than this is replaced. */
  cutoff?: Date | undefined;
}

export type RenewalReason = 'initial' | 'cutoff' | 'renewal';

export interface RenewalDecision {
  /** Generate a key now, and why. */
  generate: RenewalReason | undefined;
  /** When to look again (undefined: only when keys change). */
  nextCheckMs: number | undefined;
}

/** Timers fire at most this far ahead (setTimeout's limit is about 24.8 days); the decision is made again then. */
const LONGEST_WAIT_MS = 24 * 3600 * 1000;

/**
 * A key is due when there is none, when the newest predates the cutoff, or when it is a renewal period old
 * (the first renewal after a start comes at period minus the newest key's age, as upstream).
 */
export function renewalDue(newest: Date | undefined, now: Date, policy: RenewalPolicy): RenewalDecision {
  if (!newest) return { generate: 'initial', nextCheckMs: undefined };
  if (policy.cutoff && newest.getTime() < policy.cutoff.getTime())
    return { generate: 'cutoff', nextCheckMs: undefined };
  if (policy.periodMs <= 0) return { generate: undefined, nextCheckMs: undefined };
  const dueInMs = newest.getTime() + policy.periodMs - now.getTime();
  if (dueInMs <= 0) return { generate: 'renewal', nextCheckMs: undefined };
  return { generate: undefined, nextCheckMs: Math.min(dueInMs, LONGEST_WAIT_MS) };
}

/**
 * renewalDue with the cutoff honoured once per process, as upstream checks it once at start. Without this a
 * cutoff later than now would replace every key made before it (each new key's NotBefore still predates it),
 * one after another until the clock passes the cutoff.
 */
export class RenewalSchedule {
  readonly #policy: RenewalPolicy;
  #cutoffPending: boolean;

  constructor(policy: RenewalPolicy) {
    this.#policy = policy;
    this.#cutoffPending = policy.cutoff !== undefined;
  }

  decide(newest: Date | undefined, now: Date): RenewalDecision {
    const policy = this.#cutoffPending ? this.#policy : { periodMs: this.#policy.periodMs };
    const decision = renewalDue(newest, now, policy);
    if (decision.generate !== 'cutoff') this.#cutoffPending = false;
    return decision;
  }

  /** A key was written: the cutoff, if it was pending, is met. */
  generated(): void {
    this.#cutoffPending = false;
  }
}

/** `k=v,k=v` (--privatekey-labels, --privatekey-annotations). */
export function parseKeyValueList(value: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    if (equals <= 0) throw new CloakError('ERR_USAGE', `${flag}: expected key=value, found "${item}"`);
    out[item.slice(0, equals).trim()] = item.slice(equals + 1).trim();
  }
  return out;
}

/** --key-cutoff-time: RFC 1123 with a numeric zone, as `date -R` prints ("Mon, 02 Jan 2006 15:04:05 -0700"). */
export function parseCutoffTime(value: string): Date {
  const match =
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(
      value.trim(),
    );
  if (!match)
    throw new CloakError(
      'ERR_USAGE',
      `--key-cutoff-time: "${value}" is not RFC 1123 with a numeric zone, e.g. "Mon, 02 Jan 2006 15:04:05 -0700" (date -R)`,
    );
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const [, , day, month, year, hour, minute, second, sign, zoneHours, zoneMinutes] = match;
  const utc = Date.UTC(
    Number(year),
    months.indexOf(month ?? ''),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const offsetMs = (Number(zoneHours) * 60 + Number(zoneMinutes)) * 60_000 * (sign === '-' ? -1 : 1);
  return new Date(utc - offsetMs);
}
