/**
 * The real world for sprig's non-hermetic functions (I/O): the system clock, crypto randomness, and time zones
 * read from the system's zoneinfo files the way Go's time package reads them (time.Local from $TZ, else
 * /etc/localtime; LoadLocation from /usr/share/zoneinfo and Go's other directories). Zone files are read once
 * and cached; a missing zone is what Go reports as an error (sprig then uses UTC).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hrtime } from 'node:process';
import type { SprigEnvironment } from './environment.ts';
import { locationFromTzif, UTC, type Location } from './go-time.ts';

const ZONE_DIRECTORIES = [
  '/usr/share/zoneinfo/',
  '/usr/share/lib/zoneinfo/',
  '/usr/lib/locale/TZ/',
  '/etc/zoneinfo/',
];

const zones = new Map<string, Location | undefined>();

function readZone(name: string, path: string): Location | undefined {
  try {
    return locationFromTzif(name, readFileSync(path));
  } catch {
    return undefined;
  }
}

/** time.LoadLocation for names other than "", "UTC" and "Local". */
export function loadSystemLocation(name: string): Location | undefined {
  if (zones.has(name)) return zones.get(name);
  let location: Location | undefined;
  // Go refuses names that could leave the zoneinfo directory.
  if (!name.split('/').includes('..') && !name.startsWith('/') && !name.startsWith('\\') && name !== '') {
    const zoneinfo = process.env.ZONEINFO;
    for (const directory of zoneinfo ? [`${zoneinfo}/`, ...ZONE_DIRECTORIES] : ZONE_DIRECTORIES) {
      location = readZone(name, directory + name);
      if (location) break;
    }
  }
  zones.set(name, location);
  return location;
}

/** time.Local as Go initialises it: $TZ ("" is UTC, ":Name" or "Name" a zone), else /etc/localtime. */
function systemLocal(): Location {
  const tz = process.env.TZ;
  if (tz !== undefined) {
    if (tz === '' || tz === 'UTC') return UTC.renamed('Local');
    const name = tz.startsWith(':') ? tz.slice(1) : tz;
    const location = name.startsWith('/') ? readZone(name, name) : loadSystemLocation(name);
    return (location ?? UTC).renamed('Local');
  }
  return (readZone('Local', '/etc/localtime') ?? UTC).renamed('Local');
}

const startHr = hrtime.bigint();
const startUnixNanos = BigInt(Date.now()) * 1_000_000n;

let local: Location | undefined;

export const SYSTEM_ENVIRONMENT: SprigEnvironment = {
  now() {
    // Nanosecond resolution from the monotonic clock, anchored to the wall clock when the module loaded; the
    // monotonic reading counts from then, as Go's counts from process start.
    const elapsed = hrtime.bigint() - startHr;
    return { unixNanos: startUnixNanos + elapsed, monotonicNanos: elapsed + 1n };
  },
  randomBytes(count) {
    return new Uint8Array(randomBytes(count));
  },
  get local() {
    local ??= systemLocal();
    return local;
  },
  loadLocation: loadSystemLocation,
};
