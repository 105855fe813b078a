/**
 * Key names that say when the key was made: `key-<UTC YYYYMMDDhhmmss>`. The rotation tells its step from them
 * (which key is the newest, and where it stands), so names made here always sort by age. Pure.
 */

/** What a key name may be: it becomes part of every stored value's prefix (`k8s:enc:aescbc:v1:<name>:`). */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const TIMESTAMP = /(?:^|[^0-9])(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** `key-20250102030405` for 2025-01-02T03:04:05Z (seconds are the finest step). */
export function timestampKeyName(when: Date): string {
  return `key-${formatTimestamp(when)}`;
}

export function formatTimestamp(when: Date): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return (
    pad(when.getUTCFullYear(), 4) +
    pad(when.getUTCMonth() + 1) +
    pad(when.getUTCDate()) +
    pad(when.getUTCHours()) +
    pad(when.getUTCMinutes()) +
    pad(when.getUTCSeconds())
  );
}

/**
 * The time a key name records (ms since the epoch): a name that ends in a valid 14-digit UTC timestamp, as
 * `timestampKeyName` writes it (any text may come before it). Undefined for other names (`key1`).
 */
export function keyNameTimestamp(name: string): number | undefined {
  const match = TIMESTAMP.exec(name);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(time);
  // Date.UTC rolls over (month 13, second 61): such digits are no timestamp.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return time;
}

/**
 * A timestamped name for a new key that is newer than every name in `existing` and equal to none of them: the
 * current time, or one second after the newest existing timestamp when the clock is not ahead of it (two
 * commands within one second, or a clock set back).
 */
export function newKeyName(now: Date, existing: readonly string[]): string {
  let time = Math.floor(now.getTime() / 1000) * 1000;
  for (const name of existing) {
    const stamp = keyNameTimestamp(name);
    if (stamp !== undefined && stamp >= time) time = stamp + 1000;
  }
  let name = timestampKeyName(new Date(time));
  while (existing.includes(name)) {
    time += 1000;
    name = timestampKeyName(new Date(time));
  }
  return name;
}
