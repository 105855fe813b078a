/**
 * Storage on embedded SQLite (node:sqlite), modelled on kine: one append-only table of revisions. Every write
 * appends a row whose INTEGER PRIMARY KEY is the new global revision; a key's value is its highest row, a
 * delete appends a tombstone row, and each row points at the key's previous row (prev_revision) so that watch
 * events carry the value they replaced. Reading "as of revision R" takes each key's highest row at or below R,
 * so paged lists read a consistent past snapshot and watches replay history from any revision that has not
 * been compacted away.
 *
 * One process owns the file (SQLite's own EXCLUSIVE locking mode, see `open`), and node:sqlite is synchronous,
 * so writes are serialized by construction: a write's read-compare-append runs without interleaving.
 *
 * Group commit: the writes of one event-loop turn share a transaction, committed when the turn's I/O callbacks
 * are done (setImmediate). SQLite commits without syncing (`synchronous = NORMAL`), and the WAL file is then
 * fsynced on libuv's thread pool, covering every transaction committed since the last sync: the event loop
 * never waits for the disk, and under load one fsync covers many turns, as etcd batches its WAL syncs. A write
 * is acknowledged, and its watch event delivered, only once it is on disk; a read answers once what it saw is
 * on disk too, so nothing that a crash could take back ever leaves the store.
 */
import { fdatasync, openSync, closeSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { errorMessage } from '../../common/errors.ts';
import {
  prefixEnd,
  StorageCompactedError,
  StorageConflictError,
  StorageError,
  type ListOptions,
  type ListResult,
  type Storage,
  type StorageEvent,
  type StoredValue,
  type WatchHandle,
} from './storage.ts';

export interface SqliteStorageOptions {
  /** The database file (created when missing), or ':memory:'. */
  path: string;
}

/** Version of the table layout below, kept in PRAGMA user_version. */
const SCHEMA_VERSION = 1;

/** History rows a catching-up watcher reads per event-loop turn. */
const HISTORY_BATCH = 256;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  revision INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  value BLOB,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS kv_key_revision ON kv (key, revision);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
`;

/**
 * The upper bound of a range with no upper bound. SQLite orders every TEXT value before every BLOB value, so
 * `key < x''` holds for every key while the (key, revision) index still serves the range.
 */
const NO_UPPER_BOUND = new Uint8Array(0);

const EMPTY = new Uint8Array(0);

interface KeyRow {
  revision: number;
  key: string;
  value: Uint8Array | null;
  create_revision: number;
  deleted: number;
}

interface HistoryRow extends KeyRow {
  prev_revision: number | null;
  prev_value: Uint8Array | null;
  prev_create_revision: number | null;
  prev_deleted: number | null;
}

/** Latest row of a key at or below a revision, for every key in a range, in key order. */
function listSql(lowerBound: '>=' | '>'): string {
  return `SELECT c.revision, c.key, c.value, c.create_revision, c.deleted FROM kv AS c
    WHERE c.key ${lowerBound} ? AND c.key < ? AND c.revision <= ? AND c.deleted = 0
      AND c.revision = (SELECT MAX(n.revision) FROM kv AS n WHERE n.key = c.key AND n.revision <= ?)
    ORDER BY c.key LIMIT ?`;
}

class Statements {
  readonly latest: StatementSync;
  readonly insert: StatementSync;
  readonly listFrom: StatementSync;
  readonly listAfter: StatementSync;
  readonly history: StatementSync;
  readonly compact: StatementSync;
  readonly setMeta: StatementSync;
  readonly getMeta: StatementSync;
  readonly maxRevision: StatementSync;

  constructor(db: DatabaseSync) {
    this.latest = db.prepare(
      'SELECT revision, key, value, create_revision, deleted FROM kv WHERE key = ? ORDER BY revision DESC LIMIT 1',
    );
    this.insert = db.prepare(
      'INSERT INTO kv (revision, key, value, create_revision, prev_revision, deleted) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.listFrom = db.prepare(listSql('>='));
    this.listAfter = db.prepare(listSql('>'));
    // History is read in revision order: NOT INDEXED keeps the planner on the rowid (= revision) range
    // instead of scanning the key index and sorting.
    this.history = db.prepare(
      `SELECT c.revision, c.key, c.value, c.create_revision, c.deleted,
         p.revision AS prev_revision, p.value AS prev_value, p.create_revision AS prev_create_revision,
         p.deleted AS prev_deleted
       FROM kv AS c NOT INDEXED LEFT JOIN kv AS p ON p.revision = c.prev_revision
       WHERE c.revision > ? AND c.revision <= ? AND c.key >= ? AND c.key < ? ORDER BY c.revision LIMIT ?`,
    );
    // A row at or below the compaction revision goes when a later row of its key (also at or below it)
    // replaced it, or when it is a tombstone: what is left is each live key's value as of that revision.
    this.compact = db.prepare(
      `DELETE FROM kv WHERE revision <= ?1 AND (deleted = 1 OR EXISTS (
         SELECT 1 FROM kv AS n WHERE n.key = kv.key AND n.revision > kv.revision AND n.revision <= ?1))`,
    );
    this.setMeta = db.prepare(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.getMeta = db.prepare('SELECT value FROM meta WHERE name = ?');
    this.maxRevision = db.prepare('SELECT MAX(revision) AS revision FROM kv');
  }
}

function stored(row: KeyRow): StoredValue {
  return {
    key: row.key,
    value: row.value ?? EMPTY,
    createRevision: row.create_revision,
    modRevision: row.revision,
  };
}

function historyEvent(row: HistoryRow): StorageEvent {
  const previous: StoredValue | undefined =
    row.prev_revision !== null && row.prev_deleted === 0
      ? {
          key: row.key,
          value: row.prev_value ?? EMPTY,
          createRevision: row.prev_create_revision ?? 0,
          modRevision: row.prev_revision,
        }
      : undefined;
  if (row.deleted) {
    if (!previous)
      throw new StorageError('ERR_STORAGE_CORRUPT', `revision ${row.revision}: deleted value missing`);
    return { type: 'delete', key: row.key, modRevision: row.revision, previous };
  }
  return {
    type: 'put',
    key: row.key,
    value: row.value ?? EMPTY,
    createRevision: row.create_revision,
    modRevision: row.revision,
    previous,
  };
}

function upperBound(prefix: string): string | Uint8Array {
  return prefix === '' ? NO_UPPER_BOUND : prefixEnd(prefix);
}

/** Runs a synchronous body as a settled promise (the Storage interface is asynchronous). */
function settle<T>(body: () => T): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return rejection(error);
  }
}

function rejection(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

function sqliteFailure(what: string, error: unknown): StorageError {
  return error instanceof StorageError
    ? error
    : new StorageError('ERR_STORAGE_IO', `sqlite ${what}: ${errorMessage(error)}`, { cause: error });
}

function futureRevision(revision: number, current: number): StorageError {
  return new StorageError(
    'ERR_STORAGE_FUTURE_REVISION',
    `revision ${revision} is newer than the current revision ${current}`,
  );
}

/** A watcher: a cursor (the last revision it has seen), a queue of events and whether it is live yet. */
class SqliteWatch implements WatchHandle {
  readonly prefix: string;
  /** Every change at or below the cursor has been queued (or did not match the prefix). */
  cursor: number;
  /** Caught up with the stored history: new writes are queued as they commit. */
  live = false;
  closed = false;
  readonly #onEvent: (event: StorageEvent) => void;
  readonly #onError: (error: Error) => void;
  readonly #unregister: (watch: SqliteWatch) => void;
  #queue: StorageEvent[] = [];
  #scheduled = false;

  constructor(
    prefix: string,
    afterRevision: number,
    onEvent: (event: StorageEvent) => void,
    onError: (error: Error) => void,
    unregister: (watch: SqliteWatch) => void,
  ) {
    this.prefix = prefix;
    this.cursor = afterRevision;
    this.#onEvent = onEvent;
    this.#onError = onError;
    this.#unregister = unregister;
  }

  push(event: StorageEvent): void {
    this.#queue.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#deliver());
    }
  }

  #deliver(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0 && !this.closed) {
      const batch = this.#queue;
      this.#queue = [];
      for (const event of batch) {
        if (this.closed) return;
        try {
          this.#onEvent(event);
        } catch (error) {
          this.fail(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
    }
  }

  fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.#onError(error);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue = [];
    this.#unregister(this);
  }
}

/** The writes (and the reads made meanwhile) of one transaction, waiting for it to be on disk. */
interface Batch {
  /** The newest revision the transaction wrote (or, for reads only, saw). */
  revision: number;
  /** Run once the transaction is on disk, in order: acknowledge writes, notify watchers, answer reads. */
  durable: (() => void)[];
  /** Run when it fails to commit or sync: everything waiting gets the error. */
  failed: ((error: Error) => void)[];
}

/** Settles with `answer()` once the batch is on disk, or with the error that stopped it getting there. */
function whenDurable<T>(batch: Batch, answer: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    batch.durable.push(() => resolve(answer()));
    batch.failed.push(reject);
  });
}

class SqliteStorage implements Storage {
  readonly backend = 'sqlite';
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  readonly #watchers = new Set<SqliteWatch>();
  /** The WAL file (undefined in memory): fsynced after commits. */
  readonly #walPath: string | undefined;
  #walFd: number | undefined;
  #current: number;
  /** The newest committed revision (#current counts the open transaction's writes too). */
  #committed: number;
  /** The newest revision on disk: committed and synced. */
  #durable: number;
  #compacted: number;
  #closed = false;
  /** The transaction of this turn, open until setImmediate commits it. */
  #open: Batch | undefined;
  /** Committed transactions waiting for the next fsync, oldest first. */
  #unsynced: Batch[] = [];
  #syncing: Promise<void> | undefined;
  /** After a failed fsync nothing about the file can be trusted (the kernel may have dropped the pages). */
  #broken: StorageError | undefined;
  #commits = 0;
  #syncs = 0;

  constructor(db: DatabaseSync, walPath: string | undefined) {
    this.#db = db;
    this.#walPath = walPath;
    this.#sql = new Statements(db);
    const compacted = this.#sql.getMeta.get('compacted') as { value: number } | undefined;
    const max = this.#sql.maxRevision.get() as { revision: number | null };
    this.#compacted = compacted?.value ?? 0;
    // Compaction may remove the newest row (a tombstone at or below the compacted revision), never a row
    // above it, so the counter is whichever is higher.
    this.#current = Math.max(max.revision ?? 0, this.#compacted);
    this.#committed = this.#current;
    this.#durable = this.#current;
  }

  /** Transactions committed, and fsyncs of the WAL, so far (for tests: writes of one turn share a commit). */
  get commits(): number {
    return this.#commits;
  }

  get syncs(): number {
    return this.#syncs;
  }

  revision(): Promise<number> {
    return this.#read(() => {
      this.#assertOpen();
      return this.#current;
    });
  }

  compactedRevision(): Promise<number> {
    return this.#read(() => {
      this.#assertOpen();
      return this.#compacted;
    });
  }

  get(key: string): Promise<StoredValue | undefined> {
    return this.#read(() => {
      const row = this.#latest(key);
      return row && !row.deleted ? stored(row) : undefined;
    });
  }

  list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    return this.#read(() => {
      this.#assertOpen();
      const revision = options.revision || this.#current;
      if (revision > this.#current) throw futureRevision(revision, this.#current);
      if (revision < this.#compacted) throw new StorageCompactedError(revision, this.#compacted);
      const limit = options.limit && options.limit > 0 ? options.limit : 0;
      const after = options.after;
      const statement =
        after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0
          ? this.#sql.listAfter
          : this.#sql.listFrom;
      const lower = statement === this.#sql.listAfter ? (after as string) : prefix;
      const rows = statement.all(
        lower,
        upperBound(prefix),
        revision,
        revision,
        limit ? limit + 1 : -1,
      ) as unknown as KeyRow[];
      const more = limit > 0 && rows.length > limit;
      if (more) rows.length = limit;
      // `remaining` is left out: counting the rest of a range costs a scan of it on every page.
      return { items: rows.map(stored), revision, more };
    });
  }

  create(key: string, value: Uint8Array): Promise<StoredValue> {
    return this.#write(() => {
      const latest = this.#latest(key);
      if (latest && !latest.deleted) throw new StorageConflictError('exists', key);
      const revision = this.#append(key, value, 0, latest?.revision ?? 0, false);
      const result: StoredValue = {
        key,
        value: Uint8Array.from(value),
        createRevision: revision,
        modRevision: revision,
      };
      return { result, event: { type: 'put', ...result, previous: undefined } };
    });
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<StoredValue> {
    return this.#write(() => {
      const latest = this.#latest(key);
      if (!latest || latest.deleted) throw new StorageConflictError('missing', key);
      if (latest.revision !== expectedModRevision) throw new StorageConflictError('modified', key);
      const revision = this.#append(key, value, latest.create_revision, latest.revision, false);
      const result: StoredValue = {
        key,
        value: Uint8Array.from(value),
        createRevision: latest.create_revision,
        modRevision: revision,
      };
      return { result, event: { type: 'put', ...result, previous: stored(latest) } };
    });
  }

  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; previous: StoredValue }> {
    return this.#write(() => {
      const latest = this.#latest(key);
      if (!latest || latest.deleted) throw new StorageConflictError('missing', key);
      if (expectedModRevision !== undefined && latest.revision !== expectedModRevision) {
        throw new StorageConflictError('modified', key);
      }
      const revision = this.#append(key, EMPTY, latest.create_revision, latest.revision, true);
      const previous = stored(latest);
      return {
        result: { revision, previous },
        event: { type: 'delete', key, modRevision: revision, previous },
      };
    });
  }

  watch(
    prefix: string,
    afterRevision: number,
    onEvent: (event: StorageEvent) => void,
    onError: (error: Error) => void,
  ): WatchHandle {
    this.#assertOpen();
    const watch = new SqliteWatch(prefix, afterRevision, onEvent, onError, (w) => this.#watchers.delete(w));
    this.#watchers.add(watch);
    setImmediate(() => this.#catchUp(watch));
    return watch;
  }

  compact(revision: number): Promise<void> {
    return settle(() => {
      this.#assertOpen();
      // The open transaction commits first; compaction runs in a transaction of its own.
      this.#commit();
      if (revision > this.#committed) throw futureRevision(revision, this.#committed);
      if (revision <= this.#compacted) return;
      this.#transaction('compaction', () => {
        this.#sql.compact.run(revision);
        this.#sql.setMeta.run('compacted', revision);
      });
      this.#compacted = revision;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commit();
    this.#closed = true;
    for (const watch of [...this.#watchers]) watch.close();
    // What was committed is acknowledged once synced, even now.
    while (this.#syncing) await this.#syncing;
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#db.close();
  }

  /**
   * Runs a write in the turn's transaction (opening it, and scheduling its commit, when it is the first). A
   * write that fails its own checks (a conflict) changes nothing and fails at once; the others are
   * acknowledged, and their watch events delivered in revision order, once on disk.
   */
  #write<T>(body: () => { result: T; event: StorageEvent }): Promise<T> {
    let written: { result: T; event: StorageEvent };
    let batch: Batch;
    try {
      this.#assertOpen();
      batch = this.#begin();
      written = body();
    } catch (error) {
      this.#failIfRolledBack();
      return rejection(error);
    }
    batch.revision = this.#current;
    return whenDurable(batch, () => {
      this.#notify(written.event);
      return written.result;
    });
  }

  /** A read: answered at once, or, when it saw writes not yet on disk, once they are. */
  #read<T>(body: () => T): Promise<T> {
    // After a failed sync what the file holds is unknown: nothing is served until a restart reads the WAL.
    if (this.#broken) return Promise.reject(this.#broken);
    const batch = this.#open ?? this.#unsynced.at(-1);
    if (!batch) return settle(body);
    let value: T;
    try {
      value = body();
    } catch (error) {
      return rejection(error);
    }
    return whenDurable(batch, () => value);
  }

  #begin(): Batch {
    this.#failIfRolledBack();
    if (this.#broken) throw this.#broken;
    if (this.#open) return this.#open;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw sqliteFailure('write', error);
    }
    this.#open = { revision: this.#current, durable: [], failed: [] };
    setImmediate(() => this.#commit());
    return this.#open;
  }

  /** Commits the open transaction, if any, and has it synced. */
  #commit(): void {
    const batch = this.#open;
    if (!batch) return;
    this.#open = undefined;
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      rollback(this.#db);
      this.#abandon(batch, sqliteFailure('commit', error));
      return;
    }
    this.#commits++;
    this.#committed = this.#current;
    this.#unsynced.push(batch);
    this.#sync();
  }

  /** One fsync of the WAL for every transaction committed before it starts; the next waits for it. */
  #sync(): void {
    if (this.#syncing || this.#unsynced.length === 0) return;
    const batches = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = this.#fsyncWal().then(
      () => {
        this.#syncs++;
        this.#syncing = undefined;
        for (const batch of batches) {
          this.#durable = batch.revision;
          for (const settled of batch.durable) settled();
        }
        this.#sync();
      },
      (error: unknown) => {
        this.#syncing = undefined;
        this.#broken = new StorageError(
          'ERR_STORAGE_IO',
          `sqlite sync: ${errorMessage(error)}; restart the server to recover from the WAL`,
          { cause: error },
        );
        for (const batch of [...batches, ...this.#unsynced.splice(0)])
          for (const fail of batch.failed) fail(this.#broken);
      },
    );
  }

  #fsyncWal(): Promise<void> {
    if (this.#walPath === undefined) return Promise.resolve();
    let fd: number;
    try {
      // The WAL exists from the first commit on, and stays (the connection keeps it open) until close.
      fd = this.#walFd ??= openSync(this.#walPath, 'r');
    } catch (error) {
      return rejection(error);
    }
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Some errors (I/O, out of memory) make SQLite roll the whole transaction back on its own: every write of
   * the turn so far is lost, so all of them fail now, before a later write could commit by itself.
   */
  #failIfRolledBack(): void {
    const batch = this.#open;
    if (!batch || this.#db.isTransaction) return;
    this.#open = undefined;
    this.#abandon(batch, new StorageError('ERR_STORAGE_IO', 'sqlite write: the transaction was rolled back'));
  }

  /** The batch's rows are gone: the revision counter goes back to the last commit, and no watcher heard of them. */
  #abandon(batch: Batch, failure: StorageError): void {
    this.#current = this.#committed;
    for (const fail of batch.failed) fail(failure);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError('ERR_STORAGE_CLOSED', 'storage is closed');
  }

  #latest(key: string): KeyRow | undefined {
    this.#assertOpen();
    return this.#sql.latest.get(key) as KeyRow | undefined;
  }

  /** Appends one row as the next revision, in the pending transaction. */
  #append(
    key: string,
    value: Uint8Array,
    createRevision: number,
    prevRevision: number,
    deleted: boolean,
  ): number {
    const revision = this.#current + 1;
    try {
      this.#sql.insert.run(
        revision,
        key,
        deleted ? null : value,
        createRevision || revision,
        prevRevision,
        deleted ? 1 : 0,
      );
    } catch (error) {
      throw sqliteFailure('write', error);
    }
    this.#current = revision;
    return revision;
  }

  #transaction(what: string, body: () => void): void {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        body();
        this.#db.exec('COMMIT');
      } catch (error) {
        rollback(this.#db);
        throw error;
      }
    } catch (error) {
      throw sqliteFailure(what, error);
    }
  }

  /** Hands a committed change to every live watcher (called right after the commit, in revision order). */
  #notify(event: StorageEvent): void {
    for (const watch of this.#watchers) {
      if (!watch.live || event.modRevision <= watch.cursor) continue;
      watch.cursor = event.modRevision;
      if (event.key.startsWith(watch.prefix)) watch.push(event);
    }
  }

  /**
   * Replays the stored history after the watcher's cursor, a batch per event-loop turn. The batch that
   * reaches the end of the table also makes the watcher live, in the same synchronous step: no write can
   * commit between the last history row read and the first live event, so there is no gap and no duplicate.
   */
  #catchUp(watch: SqliteWatch): void {
    if (watch.closed || this.#closed) return;
    if (watch.cursor < this.#compacted) {
      watch.fail(new StorageCompactedError(watch.cursor, this.#compacted));
      return;
    }
    let rows: HistoryRow[];
    try {
      // Only what is on disk: later writes reach the watcher as live events, once they are on disk too.
      rows = this.#sql.history.all(
        watch.cursor,
        this.#durable,
        watch.prefix,
        upperBound(watch.prefix),
        HISTORY_BATCH,
      ) as unknown as HistoryRow[];
      for (const row of rows) {
        watch.push(historyEvent(row));
        watch.cursor = row.revision;
      }
    } catch (error) {
      watch.fail(sqliteFailure('watch', error));
      return;
    }
    if (rows.length < HISTORY_BATCH) {
      watch.live = true;
      watch.cursor = Math.max(watch.cursor, this.#durable);
    } else {
      setImmediate(() => this.#catchUp(watch));
    }
  }
}

/** Ends a failed transaction (SQLite may have rolled it back already). */
function rollback(db: DatabaseSync): void {
  if (db.isTransaction) db.exec('ROLLBACK');
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), also as extended codes.
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

/**
 * Opens (creating when missing) the database at `path`.
 *
 * Durability: WAL journal, and no write is acknowledged before the WAL holding it is fsynced, as with etcd.
 * SQLite's own `synchronous = FULL` would do that inside every COMMIT, blocking the event loop for each; with
 * `NORMAL` commits only write to the WAL (which alone survives the process being killed, SIGKILL included: the
 * kernel's page cache outlives the process) and the storage runs fdatasync on the WAL file itself, off the
 * event loop, before acknowledging (see the class). Checkpoints, which copy the WAL into the database file,
 * are synced by SQLite in both modes. Without the sync, a power loss or kernel crash could roll back
 * acknowledged writes — too weak for the store of an API server, whose clients act on an acknowledged write.
 *
 * Ownership: SQLite's own file locking, in EXCLUSIVE locking mode. The first write transaction takes an
 * exclusive lock on the database file and the connection keeps it until it closes, so another process (or
 * another connection in this one) that opens the file fails with ERR_STORAGE_LOCKED instead of writing
 * behind our back. The lock is an OS advisory lock that ends with its process, so a killed server leaves no
 * stale lock file behind. (In this mode the WAL index lives in heap memory: no -shm file.)
 */
export function openSqliteStorage({ path }: SqliteStorageOptions): Promise<Storage> {
  return settle(() => {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: 0 });
    } catch (error) {
      throw new StorageError('ERR_STORAGE_OPEN', `${path}: ${errorMessage(error)}`, { cause: error });
    }
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('PRAGMA journal_mode = WAL');
      // Commits do not sync; the storage fsyncs the WAL itself, off the event loop, before acknowledging.
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('BEGIN EXCLUSIVE');
      try {
        const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
        if (version > SCHEMA_VERSION) {
          throw new StorageError(
            'ERR_STORAGE_VERSION',
            `${path}: storage schema version ${version} is newer than this Cloak (${SCHEMA_VERSION})`,
          );
        }
        db.exec(SCHEMA);
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } catch (error) {
        rollback(db);
        throw error;
      }
      return new SqliteStorage(db, path === ':memory:' || path === '' ? undefined : `${path}-wal`);
    } catch (error) {
      db.close();
      if (error instanceof StorageError) throw error;
      if (isBusy(error)) {
        throw new StorageError('ERR_STORAGE_LOCKED', `${path}: the data file is in use by another process`, {
          cause: error,
        });
      }
      throw new StorageError('ERR_STORAGE_OPEN', `${path}: ${errorMessage(error)}`, { cause: error });
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Automatic compaction (works on either backend).

export interface CompactionPolicy {
  /** Keep at least the last this-many revisions of history. */
  keepRevisions?: number | undefined;
  /** Keep at least the history written in the last this-many milliseconds. */
  keepMillis?: number | undefined;
}

/** kube-apiserver's default: compact every 5 minutes, keeping 5 minutes of history. */
export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = { keepMillis: 5 * 60_000 };

/** The latest revision as seen at a moment (every write at or below it happened before `time`). */
export interface RevisionSample {
  time: number;
  revision: number;
}

/**
 * The revision a policy allows compacting to (0: none). With both limits, the one that keeps more history
 * wins. The time limit needs samples of the revision taken over time: the newest sample old enough is the
 * target.
 */
export function compactionTarget(
  policy: CompactionPolicy,
  current: number,
  samples: readonly RevisionSample[],
  now: number,
): number {
  const targets: number[] = [];
  if (policy.keepRevisions !== undefined) targets.push(current - policy.keepRevisions);
  if (policy.keepMillis !== undefined) {
    const cutoff = now - policy.keepMillis;
    let target = 0;
    for (const sample of samples) if (sample.time <= cutoff) target = Math.max(target, sample.revision);
    targets.push(target);
  }
  return targets.length === 0 ? 0 : Math.max(0, Math.min(...targets));
}

/** Compacts a store by a policy each time `run` is called (the server calls it periodically). */
export class AutoCompactor {
  readonly #storage: Storage;
  readonly #policy: CompactionPolicy;
  #samples: RevisionSample[] = [];

  constructor(storage: Storage, policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY) {
    this.#storage = storage;
    this.#policy = policy;
  }

  /** Samples the revision and compacts as far as the policy allows; returns the new compacted revision. */
  async run(now: number = Date.now()): Promise<number | undefined> {
    const current = await this.#storage.revision();
    this.#samples.push({ time: now, revision: current });
    const target = compactionTarget(this.#policy, current, this.#samples, now);
    if (this.#policy.keepMillis !== undefined) {
      // Only the newest sample at or before the cutoff can still be a target; older ones are dropped.
      const cutoff = now - this.#policy.keepMillis;
      const oldEnough = this.#samples.filter((sample) => sample.time <= cutoff).length;
      if (oldEnough > 1) this.#samples = this.#samples.slice(oldEnough - 1);
    } else {
      this.#samples = [];
    }
    if (target <= (await this.#storage.compactedRevision())) return undefined;
    await this.#storage.compact(target);
    return target;
  }

  /** Calls `run` every `intervalMs` on an unreferenced timer until `stop`. */
  start(intervalMs: number, onError: (error: Error) => void): { stop(): void } {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.run()
        .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}
