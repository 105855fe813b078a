/**
 * The audit log backend's file writer (I/O), with kube-apiserver's `--audit-log-*` flag semantics, which come from
 * lumberjack (gopkg.in/natefinch/lumberjack.v2):
 *
 * - `--audit-log-path`: the file; `-` writes to stdout. The directory is made 0700, new files are 0600.
 * - `--audit-log-maxsize` (MB, 0 = lumberjack's default of 100): a write that would take the file past the size
 *   first renames it to `<name>-<UTC time as 2006-01-02T15-04-05.000><.ext>` (`audit-2024-05-01T10-00-00.000.log`)
 *   and starts a new file. One line larger than the limit is refused.
 * - `--audit-log-maxbackup` (0 = keep all): only that many backups stay, the newest by the time in their names.
 * - `--audit-log-maxage` (days, 0 = no limit): backups whose name time is older are removed.
 * - `--audit-log-compress`: backups are gzipped to `<backup>.gz`.
 *
 * Writes are queued and done one at a time, each line with whole writes, so lines keep their order and never
 * interleave. Unlike lumberjack, a rotation never overwrites an existing backup of the same millisecond.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CloakError, UsageError } from '../common/errors.ts';
import { eventLine, type AuditEvent } from './event.ts';
import { describeFsError } from '../common/fs-errors.ts';

export const MEGABYTE = 1024 * 1024;
/** lumberjack's size when MaxSize is 0. */
export const DEFAULT_MAX_SIZE_MB = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const COMPRESS_SUFFIX = '.gz';

export class AuditLogError extends CloakError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_AUDIT_LOG', message, options);
  }
}

/** Where `-` writes: process.stdout, or a stand-in in tests. */
export interface LineSink {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

export interface AuditLogOptions {
  /** The log file; `-` for stdout. */
  path: string;
  /** Days to keep backups (by the time in their names); 0 keeps them regardless of age. */
  maxAgeDays?: number | undefined;
  /** Backups to keep; 0 keeps all (maxAgeDays may still remove them). */
  maxBackups?: number | undefined;
  /** Size in MB at which the file rotates; 0 or unset means 100 MB, as in kube. */
  maxSizeMB?: number | undefined;
  /** The rotation size in bytes, instead of maxSizeMB (tests and embedding). */
  maxSizeBytes?: number | undefined;
  /** Gzip backups. */
  compress?: boolean | undefined;
  /** The clock for backup names and ages. */
  now?: (() => Date) | undefined;
  /** Used when path is `-`. */
  stdout?: LineSink | undefined;
  /** Told about failures to prune or compress backups (lumberjack ignores them); writes still go on. */
  onError?: ((error: Error) => void) | undefined;
}

/** Commander's names for kube's flags (`--audit-log-maxage` → auditLogMaxage). */
export interface AuditLogFlags {
  auditLogPath?: string | undefined;
  auditLogMaxage?: string | number | undefined;
  auditLogMaxbackup?: string | number | undefined;
  auditLogMaxsize?: string | number | undefined;
  auditLogCompress?: boolean | undefined;
}

/** The writer options for kube's flags, or undefined when `--audit-log-path` is unset (the backend is off). */
export function auditLogOptionsFromFlags(flags: AuditLogFlags): AuditLogOptions | undefined {
  const path = flags.auditLogPath ?? '';
  const maxAgeDays = flagInt(flags.auditLogMaxage, '--audit-log-maxage');
  const maxBackups = flagInt(flags.auditLogMaxbackup, '--audit-log-maxbackup');
  const maxSizeMB = flagInt(flags.auditLogMaxsize, '--audit-log-maxsize');
  if (path === '') return undefined;
  return { path, maxAgeDays, maxBackups, maxSizeMB, compress: flags.auditLogCompress ?? false };
}

function flagInt(value: string | number | undefined, flag: string): number {
  if (value === undefined || value === '') return 0;
  const text = String(value).trim();
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`invalid argument "${text}" for "${flag}" flag`);
  const number = Number(text);
  if (number < 0) throw new UsageError(`${flag} ${number} can't be a negative number`);
  return number;
}

/** lumberjack's backup name: `<prefix>-<UTC 2006-01-02T15-04-05.000><ext>`, beside the log file. */
export function backupName(path: string, time: Date): string {
  const { prefix, ext } = prefixAndExt(path);
  return join(dirname(path), `${prefix}-${formatBackupTime(time)}${ext}`);
}

export function formatBackupTime(time: Date): string {
  // toISOString: 2006-01-02T15:04:05.000Z
  return time.toISOString().slice(0, -1).replace(/:/g, '-');
}

/** The time in a backup's name, or undefined when the name is not one of this log's backups. */
export function backupTime(fileName: string, logPath: string): Date | undefined {
  const { prefix, ext } = prefixAndExt(logPath);
  for (const suffix of [ext, ext + COMPRESS_SUFFIX]) {
    if (!fileName.startsWith(`${prefix}-`) || !fileName.endsWith(suffix)) continue;
    const stamp = fileName.slice(prefix.length + 1, fileName.length - suffix.length);
    const time = parseBackupTime(stamp);
    if (time) return time;
  }
  return undefined;
}

function parseBackupTime(stamp: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(stamp);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match.map(Number) as [number, ...number[]];
  const time = new Date(Date.UTC(y ?? 0, (mo ?? 0) - 1, d, h, mi, s, ms));
  // Go's time.Parse refuses out-of-range fields (month 13, February 30) rather than rolling them over.
  return formatBackupTime(time) === stamp ? time : undefined;
}

/** Go's filepath.Ext on the base name: from the last dot (".log"), or nothing. */
function prefixAndExt(path: string): { prefix: string; ext: string } {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot) : '';
  return { prefix: name.slice(0, name.length - ext.length), ext };
}

/**
 * The audit log: `AuditLogWriter.open(options)` makes sure the file can be written (as kube does at start-up), then
 * `write(event)` appends one JSON line. Each call's promise settles when its line is written or refused; a failed
 * write does not stop later ones. `close()` waits for queued writes.
 */
export class AuditLogWriter {
  readonly path: string;
  readonly maxSizeBytes: number;
  readonly #options: AuditLogOptions;
  readonly #now: () => Date;
  #file: FileHandle | undefined;
  #size = 0;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: AuditLogOptions) {
    this.path = options.path;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    const megabytes = options.maxSizeMB && options.maxSizeMB > 0 ? options.maxSizeMB : DEFAULT_MAX_SIZE_MB;
    this.maxSizeBytes =
      options.maxSizeBytes && options.maxSizeBytes > 0 ? options.maxSizeBytes : megabytes * MEGABYTE;
  }

  static async open(options: AuditLogOptions): Promise<AuditLogWriter> {
    if (options.path === '') throw new AuditLogError('audit log path is empty');
    for (const [name, value] of [
      ['maxAgeDays', options.maxAgeDays],
      ['maxBackups', options.maxBackups],
      ['maxSizeMB', options.maxSizeMB],
    ] as const) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        throw new AuditLogError(`audit log ${name} must be a whole number of at least 0`);
      }
    }
    const writer = new AuditLogWriter(options);
    if (options.path !== '-') await writer.#ensureLogFile();
    return writer;
  }

  /** Appends the event as one JSON line. The event is serialized now, so later changes to it do not show. */
  write(event: AuditEvent): Promise<void> {
    return this.writeLine(eventLine(event));
  }

  /** Appends a line that already ends in a newline. */
  writeLine(line: string): Promise<void> {
    if (this.#closed) return Promise.reject(new AuditLogError(`audit log ${this.path} is closed`));
    const bytes = Buffer.from(line, 'utf8');
    return this.#enqueue(() => (this.path === '-' ? this.#writeStdout(line) : this.#writeFile(bytes)));
  }

  /** Starts a new file now (lumberjack's Rotate, e.g. on SIGHUP), then prunes backups. */
  rotate(): Promise<void> {
    if (this.path === '-') return Promise.resolve();
    return this.#enqueue(() => this.#rotate());
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#enqueue(() => this.#closeFile());
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #writeStdout(line: string): Promise<void> {
    const sink = this.#options.stdout ?? process.stdout;
    await new Promise<void>((resolve, reject) => {
      sink.write(line, (error) => (error ? reject(error) : resolve()));
    });
  }

  async #writeFile(bytes: Buffer): Promise<void> {
    if (bytes.length > this.maxSizeBytes) {
      throw new AuditLogError(`write length ${bytes.length} exceeds maximum file size ${this.maxSizeBytes}`);
    }
    try {
      if (!this.#file) await this.#openExistingOrNew(bytes.length);
      if (this.#size + bytes.length > this.maxSizeBytes) await this.#rotate();
      const file = this.#file;
      if (!file) throw new Error('log file is not open');
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
        this.#size += bytesWritten;
      }
    } catch (error) {
      if (error instanceof AuditLogError) throw error;
      throw new AuditLogError(`cannot write audit log ${this.path}: ${describeFsError(error)}`, {
        cause: error,
      });
    }
  }

  /** kube's ensureLogFile: the directory (0700) and the file (0600), made if missing, before serving. */
  async #ensureLogFile(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const handle = await open(this.path, 'a', 0o600);
      await handle.close();
    } catch (error) {
      throw new AuditLogError(`cannot open audit log ${this.path}: ${describeFsError(error)}`, {
        cause: error,
      });
    }
  }

  async #openExistingOrNew(writeLength: number): Promise<void> {
    await this.#mill();
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.#openNew();
      throw error;
    }
    if (size + writeLength >= this.maxSizeBytes) return this.#rotate();
    try {
      this.#file = await open(this.path, 'a');
      this.#size = size;
    } catch {
      await this.#openNew();
    }
  }

  async #rotate(): Promise<void> {
    await this.#closeFile();
    await this.#openNew();
    await this.#mill();
  }

  /** Moves the current file aside (if any) and opens an empty one with mode 0600. */
  async #openNew(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    if (await exists(this.path)) await rename(this.path, await this.#freeBackupName());
    this.#file = await open(this.path, 'w', 0o600);
    await this.#file.chmod(0o600);
    this.#size = 0;
  }

  /** The backup name for now; a later millisecond when that name (or its .gz) is taken. */
  async #freeBackupName(): Promise<string> {
    let time = this.#now().getTime();
    for (;;) {
      const name = backupName(this.path, new Date(time));
      if (!(await exists(name)) && !(await exists(name + COMPRESS_SUFFIX))) return name;
      time += 1;
    }
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }

  /** lumberjack's millRunOnce: drop backups past maxBackups (newest kept) or older than maxAgeDays, gzip the rest. */
  async #mill(): Promise<void> {
    const maxBackups = this.#options.maxBackups ?? 0;
    const maxAgeDays = this.#options.maxAgeDays ?? 0;
    const compress = this.#options.compress ?? false;
    if (maxBackups === 0 && maxAgeDays === 0 && !compress) return;
    try {
      const dir = dirname(this.path);
      let files = (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => !entry.isDirectory())
        .flatMap((entry) => {
          const time = backupTime(entry.name, this.path);
          return time ? [{ name: entry.name, time: time.getTime() }] : [];
        })
        .sort((a, b) => b.time - a.time);
      const remove: string[] = [];
      if (maxBackups > 0 && maxBackups < files.length) {
        // A backup and its .gz count once.
        const preserved = new Set<string>();
        const remaining: typeof files = [];
        for (const file of files) {
          preserved.add(
            file.name.endsWith(COMPRESS_SUFFIX) ? file.name.slice(0, -COMPRESS_SUFFIX.length) : file.name,
          );
          if (preserved.size > maxBackups) remove.push(file.name);
          else remaining.push(file);
        }
        files = remaining;
      }
      if (maxAgeDays > 0) {
        const cutoff = this.#now().getTime() - maxAgeDays * DAY_MS;
        const remaining: typeof files = [];
        for (const file of files) {
          if (file.time < cutoff) remove.push(file.name);
          else remaining.push(file);
        }
        files = remaining;
      }
      for (const name of remove) await rm(join(dir, name), { force: true });
      if (compress) {
        for (const file of files) {
          if (!file.name.endsWith(COMPRESS_SUFFIX)) await compressFile(join(dir, file.name));
        }
      }
    } catch (error) {
      this.#options.onError?.(
        new AuditLogError(`cannot prune audit log backups of ${this.path}: ${describeFsError(error)}`, {
          cause: error,
        }),
      );
    }
  }
}

async function compressFile(source: string): Promise<void> {
  const target = source + COMPRESS_SUFFIX;
  const mode = (await stat(source)).mode & 0o777;
  try {
    await pipeline(createReadStream(source), createGzip(), createWriteStream(target, { mode }));
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  }
  await rm(source, { force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
