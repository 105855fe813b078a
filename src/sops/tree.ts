/**
 * The SOPS document tree: what every store (YAML, JSON, dotenv, INI, binary) parses into and emits from, and
 * what encryption walks. It mirrors sops' own model: ordered maps whose items are entries or comments, lists
 * whose items are values or comments, and typed scalars, because the `type:` of each encrypted value and the
 * bytes hashed into the MAC depend on the scalar's type. Pure: no I/O.
 *
 * Scalar types: `string` → str, `bigint` → int (int64), `number` → float (float64, even when whole),
 * `boolean` → bool, `SopsTime` → time, `null` → nothing (neither encrypted nor hashed).
 */

/** A YAML timestamp, kept as Go's `time.MarshalText` writes it (RFC 3339 with nanoseconds when present). */
export class SopsTime {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

export interface SopsComment {
  kind: 'comment';
  /** The comment without its leading `#` (YAML) or `;`/`#` (INI), spaces kept. */
  text: string;
}

export interface SopsEntry {
  kind: 'entry';
  key: string;
  value: SopsValue;
}

export interface SopsMap {
  kind: 'map';
  items: (SopsEntry | SopsComment)[];
}

export interface SopsList {
  kind: 'list';
  items: (SopsValue | SopsComment)[];
}

/** `Uint8Array` holds the bytes of a binary file that are not UTF-8 text (sops keeps them as they are). */
export type SopsScalar = string | Uint8Array | bigint | number | boolean | SopsTime | null;
export type SopsValue = SopsScalar | SopsMap | SopsList;

/** The `sops` metadata block as it appears in a file: plain, JSON-like data (see metadata.ts for its meaning). */
export type PlainMetadata = Record<string, unknown>;

/** A parsed file: one branch per document (YAML streams have several; other formats one) and its metadata. */
export interface SopsDocument {
  branches: SopsMap[];
  metadata: PlainMetadata | undefined;
}

export function map(items: SopsMap['items'] = []): SopsMap {
  return { kind: 'map', items };
}

export function list(items: SopsList['items'] = []): SopsList {
  return { kind: 'list', items };
}

export function entry(key: string, value: SopsValue): SopsEntry {
  return { kind: 'entry', key, value };
}

export function comment(text: string): SopsComment {
  return { kind: 'comment', text };
}

export function isComment(item: unknown): item is SopsComment {
  return typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'comment';
}

export function isMap(value: unknown): value is SopsMap {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'map';
}

export function isList(value: unknown): value is SopsList {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'list';
}

/** The entry under `key` in `branch`, if any (first one: sops rejects duplicate keys). */
export function lookup(branch: SopsMap, key: string): SopsEntry | undefined {
  return branch.items.find((item): item is SopsEntry => item.kind === 'entry' && item.key === key);
}
