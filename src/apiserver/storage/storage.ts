/**
 * The key-value store under the local API server, shaped like etcd v3 (which it can be): byte values under
 * string keys, one global revision that every write increments (the resourceVersion of Kubernetes objects is
 * the revision of their last write), compare-and-swap writes, range reads at a revision, and watches that
 * replay every change after a revision. Two implementations: embedded SQLite (node:sqlite) and real etcd.
 */
import { CloakError } from '../../common/errors.ts';

export interface StoredValue {
  key: string;
  value: Uint8Array;
  /** Revision of the write that created the key (etcd create_revision). */
  createRevision: number;
  /** Revision of the last write to the key (etcd mod_revision): the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** At most this many items (0 or undefined: all). */
  limit?: number | undefined;
  /** Start after this key (exclusive): the continue token of a paged list. */
  after?: string | undefined;
  /** Read as of this revision (a paged list's later pages read at the first page's revision). */
  revision?: number | undefined;
}

export interface ListResult {
  items: StoredValue[];
  /** The revision the list was read at. */
  revision: number;
  /** More keys follow the last item (for the given limit). */
  more: boolean;
  /** How many keys remain after the last item, when known. */
  remaining?: number | undefined;
}

export type StorageEvent =
  | {
      type: 'put';
      key: string;
      value: Uint8Array;
      createRevision: number;
      modRevision: number;
      previous?: StoredValue | undefined;
    }
  | { type: 'delete'; key: string; modRevision: number; previous: StoredValue };

export interface WatchHandle {
  close(): void;
}

export interface Storage {
  readonly backend: 'sqlite' | 'etcd';
  /** The latest revision (the revision of the last write). */
  revision(): Promise<number>;
  get(key: string): Promise<StoredValue | undefined>;
  /** Keys that start with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Creates the key; StorageConflictError with reason 'exists' when it is there already. */
  create(key: string, value: Uint8Array): Promise<StoredValue>;
  /**
   * Replaces the value if the key's modRevision is still `expectedModRevision`; StorageConflictError with
   * reason 'modified' (or 'missing' when the key is gone) otherwise.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<StoredValue>;
  /** Deletes the key (if its modRevision is still `expectedModRevision`, when given); returns what was deleted. */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; previous: StoredValue }>;
  /**
   * Calls `onEvent` for every change to a key under `prefix` with modRevision > `afterRevision`, in revision
   * order, first the stored history and then live changes. A revision that was compacted away fails with
   * StorageCompactedError (the API server turns it into 410 Gone).
   */
  watch(
    prefix: string,
    afterRevision: number,
    onEvent: (event: StorageEvent) => void,
    onError: (error: Error) => void,
  ): WatchHandle;
  /** Forgets history at and below `revision` (latest values are kept). */
  compact(revision: number): Promise<void>;
  /** The oldest revision a watch may start after. */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export class StorageError extends CloakError {}

export class StorageConflictError extends StorageError {
  readonly reason: 'exists' | 'modified' | 'missing';

  constructor(reason: 'exists' | 'modified' | 'missing', key: string) {
    super(
      'ERR_STORAGE_CONFLICT',
      `${key}: ${reason === 'exists' ? 'already exists' : reason === 'missing' ? 'not found' : 'modified concurrently'}`,
    );
    this.reason = reason;
  }
}

export class StorageCompactedError extends StorageError {
  readonly compactedRevision: number;

  constructor(requested: number, compactedRevision: number) {
    super(
      'ERR_STORAGE_COMPACTED',
      `revision ${requested} has been compacted (oldest available: ${compactedRevision})`,
    );
    this.compactedRevision = compactedRevision;
  }
}

/** The key just past every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
