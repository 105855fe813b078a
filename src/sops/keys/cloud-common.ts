/**
 * What the four cloud master-key types (AWS KMS, GCP KMS, Azure Key Vault, Vault transit) share: reading and
 * checking their metadata entries, `created_at` in sops' format, and turning a failed call into a one-line
 * CloakError that names the key and the cause. Pure: no I/O.
 */
import { CloakError, errorMessage } from '../../common/errors.ts';
import type { MasterKeyType } from './master-key.ts';

export type CloudKeyType = Extract<MasterKeyType, 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault'>;

/** How a person calls each key type in messages. */
export const CLOUD_KEY_LABELS: Record<CloudKeyType, string> = {
  kms: 'AWS KMS',
  gcp_kms: 'GCP KMS',
  azure_kv: 'Azure Key Vault',
  hc_vault: 'Vault transit',
};

/** A metadata entry (`sops.kms[i]`, …) that is missing a field or holds a wrong one. */
export function metadataError(type: CloudKeyType, message: string): CloakError {
  return new CloakError('ERR_SOPS_KEY_METADATA', `sops metadata: ${type} entry: ${message}`);
}

/** A key given on the command line or in `.sops.yaml` that cannot be a key of this type. */
export function specError(type: CloudKeyType, message: string): CloakError {
  return new CloakError('ERR_SOPS_KEY_SPEC', `${CLOUD_KEY_LABELS[type]} key: ${message}`);
}

/** A key that could not wrap or unwrap the data key: names the key and says why, on one line. */
export function keyFailure(
  operation: 'encrypt' | 'decrypt',
  type: CloudKeyType,
  id: string,
  cause: string,
): CloakError {
  return new CloakError(
    operation === 'encrypt' ? 'ERR_SOPS_KEY_ENCRYPT' : 'ERR_SOPS_KEY_DECRYPT',
    `${CLOUD_KEY_LABELS[type]} key ${id}: cannot ${operation} the data key: ${oneLine(cause)}`,
  );
}

export function asEntry(type: CloudKeyType, entry: unknown): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw metadataError(type, 'not a map');
  }
  return entry as Record<string, unknown>;
}

/** A field that must be a non-empty string. */
export function requiredString(type: CloudKeyType, entry: Record<string, unknown>, field: string): string {
  const value = entry[field];
  if (value === undefined || value === null || value === '') {
    throw metadataError(type, `missing "${field}"`);
  }
  if (typeof value !== 'string') throw metadataError(type, `"${field}" is not a string`);
  return value;
}

/** A field that may be absent, null or empty (then ''), but is a string when present. */
export function optionalString(type: CloudKeyType, entry: Record<string, unknown>, field: string): string {
  const value = entry[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw metadataError(type, `"${field}" is not a string`);
  return value;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `created_at` as Go's `time.Parse(time.RFC3339, …)` accepts it (sops refuses an entry whose date does not
 * parse). Fractions of a second are kept only to the millisecond; sops writes whole seconds anyway.
 */
export function requiredCreatedAt(type: CloudKeyType, entry: Record<string, unknown>): Date {
  const text = requiredString(type, entry, 'created_at');
  const match = RFC3339.exec(text);
  const date = match ? new Date(text.toUpperCase()) : undefined;
  if (!match || !date || Number.isNaN(date.getTime()) || !fieldsInRange(match)) {
    throw metadataError(type, `"created_at" is not an RFC 3339 time`);
  }
  return date;
}

/** Date() rolls 2024-02-30 over to March 1st; Go refuses it. Checks the day and time fields are in range. */
function fieldsInRange(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= daysInMonth;
}

/** sops writes `created_at` as `CreationDate.UTC().Format(time.RFC3339)`: UTC, whole seconds, `Z`. */
export function formatCreatedAt(date: Date | undefined): string {
  if (date === undefined) return '';
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Service messages can span lines or run long; a CloakError message is one short line. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The cause of a failed SDK or HTTP call, without a stack: the error's name when it says something
 * (`AccessDeniedException`, `CredentialUnavailableError`), its message, and the low-level cause of a
 * network failure (`connect ECONNREFUSED 127.0.0.1:8200`).
 */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const parts: string[] = [];
  const name = error.name && error.name !== 'Error' && error.name !== 'CloakError' ? error.name : '';
  const message = oneLine(errorMessage(error));
  parts.push(name && !message.startsWith(name) ? `${name}: ${message}` : message || name);
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    const text = oneLine(cause.message);
    if (text && !parts.some((part) => part.includes(text))) parts.push(text);
    cause = cause.cause;
  }
  return parts.filter(Boolean).join(': ') || 'unknown error';
}
