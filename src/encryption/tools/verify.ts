/**
 * `cloak encryption verify`: what protects each stored object, read from its prefix (never its value), and
 * whether it is where the configuration wants it. Pure: stored bytes and the configuration in, a report out.
 *
 * States, worst first: `unreadable` (the configuration has no provider or key that can read it — removing a
 * key too early makes these), `plaintext` (stored by identity), `stale` (readable, but not written by the
 * resource's current write provider and key: a rewrite moves it), `ok`. An encrypted value with an unknown
 * `k8s:enc:` prefix is `unknown` without a configuration.
 */
import type { ProviderConfiguration } from '../config.ts';
import { describeStoredValue, type StoredValueDescription } from '../transformer.ts';
import { parseEtcdKey } from './resources.ts';

export type ObjectState = 'ok' | 'plaintext' | 'stale' | 'unreadable' | 'unknown';

export interface ObjectReport {
  key: string;
  resource: string;
  namespace?: string | undefined;
  name: string;
  /** How the value is stored: `aescbc`, `identity`, `kms`… with the key (or KMS provider) name. */
  protection: StoredValueDescription;
  state: ObjectState;
  /** Why it is stale or unreadable. */
  reason?: string | undefined;
}

/** What the configuration says about one resource. */
export interface ResourceExpectation {
  /** The current write provider and key (for KMS v2, the plugin's current key ID when it could be asked). */
  target: StoredValueDescription;
  /** Every provider that may read the resource, in order. */
  providers: readonly ProviderConfiguration[];
}

export interface ProtectionCount {
  label: string;
  count: number;
}

export interface ResourceSummary {
  resource: string;
  total: number;
  protections: ProtectionCount[];
  /** With a configuration: how the resource is written now. */
  target?: string | undefined;
}

export interface VerifyReport {
  configured: boolean;
  objects: ObjectReport[];
  resources: ResourceSummary[];
  counts: Record<ObjectState, number>;
}

/** `aescbc key "k1"`, `kms v2 provider "vault"`, `identity (plaintext)`: how a value is protected. */
export function protectionLabel(description: StoredValueDescription): string {
  switch (description.provider) {
    case 'identity':
      return 'identity (plaintext)';
    case 'unknown':
      return 'unknown k8s:enc: prefix';
    case 'kms': {
      const name =
        description.keyName === undefined ? '(unreadable name)' : JSON.stringify(description.keyName);
      const keyId =
        description.kmsKeyId === undefined ? '' : ` key ID ${JSON.stringify(description.kmsKeyId)}`;
      return `kms ${description.kmsApiVersion ?? ''} provider ${name}${keyId}`.replace('  ', ' ');
    }
    default:
      return `${description.provider} key ${description.keyName === undefined ? '(unreadable name)' : JSON.stringify(description.keyName)}`;
  }
}

/** The report line of one stored value; `resource` names the `--resources` entry it was listed under. */
export function classifyStoredValue(
  key: string,
  value: Uint8Array,
  resource: string,
  expectation?: ResourceExpectation,
  etcdPrefix?: string,
): ObjectReport {
  const protection = describeStoredValue(value);
  const parts = parseEtcdKey(key, etcdPrefix);
  const report: ObjectReport = {
    key,
    resource,
    ...(parts?.namespace === undefined ? {} : { namespace: parts.namespace }),
    name: parts?.name ?? key.slice(key.lastIndexOf('/') + 1),
    protection,
    state: protection.encrypted ? (protection.provider === 'unknown' ? 'unknown' : 'ok') : 'plaintext',
  };
  if (expectation === undefined) return report;
  const reader = readerOf(protection, expectation.providers);
  if (reader === undefined) {
    report.state = 'unreadable';
    report.reason = `no provider in the configuration reads ${protectionLabel(protection)}`;
    return report;
  }
  if (report.state === 'plaintext') return report;
  const target = expectation.target;
  const sameProvider =
    protection.provider === target.provider &&
    protection.keyName === target.keyName &&
    (protection.provider !== 'kms' || protection.kmsApiVersion === target.kmsApiVersion);
  if (!sameProvider) {
    report.state = 'stale';
    report.reason = `needs rewrite: written with ${protectionLabel(protection)}, the configuration writes with ${protectionLabel(target)}`;
  } else if (
    protection.provider === 'kms' &&
    target.kmsKeyId !== undefined &&
    protection.kmsKeyId !== target.kmsKeyId
  ) {
    report.state = 'stale';
    report.reason = `needs rewrite: written under KMS key ID ${JSON.stringify(protection.kmsKeyId ?? '')}, the plugin's current key ID is ${JSON.stringify(target.kmsKeyId)}`;
  }
  return report;
}

/** The provider of `providers` that reads values stored as `protection` (by prefix and name), if any. */
export function readerOf(
  protection: StoredValueDescription,
  providers: readonly ProviderConfiguration[],
): ProviderConfiguration | undefined {
  return providers.find((provider) => {
    switch (provider.type) {
      case 'identity':
        return !protection.encrypted;
      case 'kms':
        return (
          protection.provider === 'kms' &&
          protection.kmsApiVersion === provider.apiVersion &&
          protection.keyName === provider.name
        );
      default:
        return (
          protection.provider === provider.type &&
          provider.keys.some((key) => key.name === protection.keyName)
        );
    }
  });
}

/** Marks an object whose value the configuration's provider could not open (wrong key material, corrupt data). */
export function markUnreadable(report: ObjectReport, reason: string): void {
  report.state = 'unreadable';
  report.reason = reason;
}

export function buildVerifyReport(
  objects: readonly ObjectReport[],
  resources: readonly string[],
  targets?: ReadonlyMap<string, StoredValueDescription>,
): VerifyReport {
  const counts: Record<ObjectState, number> = { ok: 0, plaintext: 0, stale: 0, unreadable: 0, unknown: 0 };
  const byResource = new Map<string, Map<string, number>>(
    resources.map((name) => [name, new Map<string, number>()]),
  );
  for (const object of objects) {
    counts[object.state]++;
    let protections = byResource.get(object.resource);
    if (!protections) byResource.set(object.resource, (protections = new Map<string, number>()));
    const label = protectionLabel(object.protection);
    protections.set(label, (protections.get(label) ?? 0) + 1);
  }
  return {
    configured: targets !== undefined,
    objects: [...objects],
    counts,
    resources: [...byResource].map(([resource, protections]) => {
      const target = targets?.get(resource);
      return {
        resource,
        total: [...protections.values()].reduce((sum, count) => sum + count, 0),
        protections: [...protections]
          .map(([label, count]) => ({ label, count }))
          .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1)),
        ...(target === undefined ? {} : { target: protectionLabel(target) }),
      };
    }),
  };
}

/** Exit status 1: something is plain text, or (with a configuration) stale or unreadable. */
export function verifyFailed(report: VerifyReport): boolean {
  return report.counts.plaintext + report.counts.stale + report.counts.unreadable > 0;
}

const STATE_TEXT: Record<ObjectState, string> = {
  ok: 'ok',
  plaintext: 'PLAINTEXT',
  stale: 'STALE',
  unreadable: 'UNREADABLE',
  unknown: 'unknown',
};

/** The text report: one line per object, then the summary per resource and the verdict. */
export function formatVerifyText(report: VerifyReport): string {
  const rows = report.objects.map((object) => [
    object.key,
    protectionLabel(object.protection),
    object.reason === undefined ? STATE_TEXT[object.state] : `${STATE_TEXT[object.state]}: ${object.reason}`,
  ]);
  const lines: string[] = [];
  if (rows.length > 0) {
    const header = ['KEY', 'STORED WITH', 'STATE'];
    const widths = [0, 1].map((column) =>
      Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)),
    );
    for (const row of [header, ...rows]) {
      lines.push(`${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`.trimEnd());
    }
    lines.push('');
  }
  for (const summary of report.resources) {
    lines.push(`${summary.resource}: ${summary.total} object${summary.total === 1 ? '' : 's'}`);
    for (const { label, count } of summary.protections)
      lines.push(`  ${String(count).padStart(6)}  ${label}`);
    if (summary.target !== undefined) lines.push(`  written now with: ${summary.target}`);
  }
  const { plaintext, stale, unreadable, unknown } = report.counts;
  const problems: string[] = [];
  if (plaintext > 0) problems.push(`${plaintext} stored in plain text`);
  if (stale > 0) problems.push(`${stale} stale (not under the current write key: cloak encryption rewrite)`);
  if (unreadable > 0) problems.push(`${unreadable} unreadable with this configuration`);
  if (unknown > 0) problems.push(`${unknown} with an unknown k8s:enc: prefix`);
  if (verifyFailed(report)) lines.push(`FAIL: ${problems.join('; ')}`);
  else if (problems.length > 0) lines.push(`OK, but: ${problems.join('; ')}`);
  else if (report.configured)
    lines.push('OK: every object is encrypted under the current write provider and key');
  else lines.push('OK: every object is encrypted');
  return `${lines.join('\n')}\n`;
}

/** The JSON report (`-o json`): objects and summary, no values. */
export function verifyReportJson(report: VerifyReport): Record<string, unknown> {
  return {
    ok: !verifyFailed(report),
    counts: report.counts,
    resources: report.resources,
    objects: report.objects.map((object) => ({
      key: object.key,
      resource: object.resource,
      ...(object.namespace === undefined ? {} : { namespace: object.namespace }),
      name: object.name,
      provider: object.protection.provider,
      ...(object.protection.keyName === undefined ? {} : { keyName: object.protection.keyName }),
      ...(object.protection.kmsApiVersion === undefined
        ? {}
        : { kmsApiVersion: object.protection.kmsApiVersion }),
      ...(object.protection.kmsKeyId === undefined ? {} : { kmsKeyId: object.protection.kmsKeyId }),
      encrypted: object.protection.encrypted,
      state: object.state,
      ...(object.reason === undefined ? {} : { reason: object.reason }),
    })),
  };
}
