import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { auditEvent, eventLine, objectReference, responseStatus } from '../../src/audit/event.ts';
import {
  AuditLogWriter,
  auditLogOptionsFromFlags,
  backupName,
  backupTime,
  DEFAULT_MAX_SIZE_MB,
  MEGABYTE,
} from '../../src/audit/log-writer.ts';
import { UsageError } from '../../src/common/errors.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock the test moves by hand. */
function clock(start: string): { now: () => Date; advance: (ms: number) => void } {
  let time = Date.parse(start);
  return { now: () => new Date(time), advance: (ms) => (time += ms) };
}

/** A line of exactly `length` bytes, newline included. */
function line(n: number, length = 20): string {
  const text = `{"n":${n}}`;
  return `${text}${' '.repeat(length - text.length - 1)}\n`;
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('AuditLogWriter', () => {
  it('rotates by size into lumberjack backup names and keeps maxbackup of them, newest first', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'logs', 'audit.log');
    const time = clock('2026-03-07T10:30:00.000Z');
    // Room for two event lines (ids up to "id-11") per file, not three.
    const maxSizeBytes = 2 * Buffer.byteLength(eventLine(lineEvent(11, time.now())));
    const writer = await AuditLogWriter.open({ path, maxSizeBytes, maxBackups: 2, now: time.now });
    // The directory is made 0700 and the file 0600 before the first write, as kube-apiserver does at start-up.
    assert.equal((await stat(join(dir, 'logs'))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(path)).size, 0);

    for (let n = 0; n < 12; n++) {
      await writer.write(lineEvent(n, time.now()));
      time.advance(1000);
    }
    await writer.close();

    const files = await listDir(join(dir, 'logs'));
    // Two lines per file: 12 lines make six files, of which the current one and the two newest backups remain.
    // A backup is named for the time it was rotated away.
    assert.deepEqual(files, [
      'audit-2026-03-07T10-30-08.000.log',
      'audit-2026-03-07T10-30-10.000.log',
      'audit.log',
    ]);
    const contents = await Promise.all(files.map((name) => readFile(join(dir, 'logs', name), 'utf8')));
    const numbers = contents.flatMap((text) =>
      text
        .trimEnd()
        .split('\n')
        .map((row) => (JSON.parse(row) as { auditID: string }).auditID),
    );
    assert.deepEqual(numbers, ['id-6', 'id-7', 'id-8', 'id-9', 'id-10', 'id-11']);
    for (const name of files) {
      const info = await stat(join(dir, 'logs', name));
      assert.ok(info.size <= maxSizeBytes, `${name} is ${info.size} bytes`);
      assert.equal(info.mode & 0o777, 0o600, name);
    }
  });

  it('moves even an empty file aside when one write fills it, as lumberjack does (size + write >= max)', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const time = clock('2026-01-01T00:00:00.000Z');
    const writer = await AuditLogWriter.open({ path, maxSizeBytes: 20, now: time.now });
    await writer.writeLine(line(0));
    await writer.close();
    assert.deepEqual(await listDir(dir), ['audit-2026-01-01T00-00-00.000.log', 'audit.log']);
    assert.equal(await readFile(path, 'utf8'), line(0));
  });

  it('rotates before a write that would pass the size, and appends to an existing file below it', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    await writeFile(path, line(0), { mode: 0o600 });
    const time = clock('2026-01-01T00:00:00.000Z');
    let writer = await AuditLogWriter.open({ path, maxSizeBytes: 60, now: time.now });
    await writer.writeLine(line(1));
    await writer.writeLine(line(2));
    await writer.close();
    assert.equal(await readFile(path, 'utf8'), line(0) + line(1) + line(2));

    // A full file is moved aside on the first write after a restart (lumberjack: size + write >= max).
    writer = await AuditLogWriter.open({ path, maxSizeBytes: 60, now: time.now });
    await writer.writeLine(line(3));
    await writer.close();
    assert.deepEqual(await listDir(dir), ['audit-2026-01-01T00-00-00.000.log', 'audit.log']);
    assert.equal(await readFile(path, 'utf8'), line(3));
  });

  it('never overwrites a backup made in the same millisecond', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const time = clock('2026-01-01T00:00:00.000Z');
    const writer = await AuditLogWriter.open({ path, maxSizeBytes: 30, now: time.now });
    for (let n = 0; n < 3; n++) await writer.writeLine(line(n));
    await writer.close();
    assert.deepEqual(await listDir(dir), [
      'audit-2026-01-01T00-00-00.000.log',
      'audit-2026-01-01T00-00-00.001.log',
      'audit.log',
    ]);
    assert.equal(await readFile(join(dir, 'audit-2026-01-01T00-00-00.000.log'), 'utf8'), line(0));
    assert.equal(await readFile(join(dir, 'audit-2026-01-01T00-00-00.001.log'), 'utf8'), line(1));
  });

  it('removes backups older than maxage days by the time in their names, and nothing else', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const keep = [
      'audit-2026-03-06T12-00-00.000.log', // 22 hours old
      'audit-2026-03-07T09-00-00.000.log.gz',
      'audit-notatime.log', // not a backup name
      'audit-2026-02-30T00-00-00.000.log', // not a real date: Go's time.Parse refuses it
      'other-2020-01-01T00-00-00.000.log',
      'audit-2020-01-01T00-00-00.000.txt',
    ];
    const old = ['audit-2026-03-05T09-59-59.999.log', 'audit-2020-01-01T00-00-00.000.log.gz'];
    for (const name of [...keep, ...old]) await writeFile(join(dir, name), 'x\n');
    const time = clock('2026-03-07T10:00:00.000Z');
    const writer = await AuditLogWriter.open({ path, maxSizeBytes: 40, maxAgeDays: 1, now: time.now });
    await writer.writeLine(line(0)); // the first write prunes
    assert.deepEqual(await listDir(dir), [...keep, 'audit.log'].sort());

    // Backups age out as the clock moves on; the check runs at each rotation.
    time.advance(2 * 24 * 3600 * 1000);
    await writer.writeLine(line(1));
    await writer.writeLine(line(2)); // rotates
    await writer.close();
    assert.deepEqual(await listDir(dir), [
      'audit-2020-01-01T00-00-00.000.txt',
      'audit-2026-02-30T00-00-00.000.log',
      'audit-2026-03-09T10-00-00.000.log',
      'audit-notatime.log',
      'audit.log',
      'other-2020-01-01T00-00-00.000.log',
    ]);
  });

  it('counts a backup and its .gz once, and gzips backups with --audit-log-compress', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const time = clock('2026-01-01T00:00:00.000Z');
    const writer = await AuditLogWriter.open({
      path,
      maxSizeBytes: 30,
      maxBackups: 2,
      compress: true,
      now: time.now,
    });
    for (let n = 0; n < 5; n++) {
      await writer.writeLine(line(n));
      time.advance(1000);
    }
    await writer.close();
    assert.deepEqual(await listDir(dir), [
      'audit-2026-01-01T00-00-03.000.log.gz',
      'audit-2026-01-01T00-00-04.000.log.gz',
      'audit.log',
    ]);
    // The backup named for the rotation at 4 s holds the line written at 3 s.
    assert.equal(
      gunzipSync(await readFile(join(dir, 'audit-2026-01-01T00-00-04.000.log.gz'))).toString(),
      line(3),
    );
    assert.equal((await stat(join(dir, 'audit-2026-01-01T00-00-04.000.log.gz'))).mode & 0o777, 0o600);
    assert.equal(await readFile(path, 'utf8'), line(4));
  });

  it('keeps the order of concurrent writes and never splits a line', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const time = clock('2026-01-01T00:00:00.000Z');
    const writer = await AuditLogWriter.open({ path, maxSizeBytes: 4096, now: time.now });
    const writes: Promise<void>[] = [];
    for (let n = 0; n < 300; n++) {
      // Lines of different lengths, fired without waiting.
      writes.push(writer.writeLine(`${JSON.stringify({ n, pad: 'x'.repeat(n % 37) })}\n`));
      if (n % 50 === 0) time.advance(1);
    }
    await Promise.all(writes);
    await writer.close();
    const files = (await listDir(dir)).filter((name) => name !== 'audit.log');
    files.push('audit.log'); // backups sort by their time; the current file is the newest
    const rows: number[] = [];
    for (const name of files) {
      const text = await readFile(join(dir, name), 'utf8');
      assert.ok(text.endsWith('\n'));
      for (const row of text.trimEnd().split('\n')) rows.push((JSON.parse(row) as { n: number }).n);
    }
    assert.deepEqual(
      rows,
      Array.from({ length: 300 }, (_, n) => n),
    );
  });

  it('refuses a line larger than the maximum size, and goes on writing', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'audit.log');
    const writer = await AuditLogWriter.open({ path, maxSizeBytes: 30 });
    await assert.rejects(writer.writeLine(`${'x'.repeat(40)}\n`), {
      code: 'ERR_AUDIT_LOG',
      message: 'write length 41 exceeds maximum file size 30',
    });
    await writer.writeLine(line(1));
    await writer.close();
    assert.equal(await readFile(path, 'utf8'), line(1));
    await assert.rejects(writer.writeLine(line(2)), /is closed/);
  });

  it('"-" writes whole lines to stdout', async () => {
    const chunks: string[] = [];
    const writer = await AuditLogWriter.open({
      path: '-',
      stdout: {
        write(chunk, callback) {
          chunks.push(chunk);
          setImmediate(callback);
          return true;
        },
      },
    });
    await Promise.all([writer.writeLine(line(1)), writer.writeLine(line(2))]);
    await writer.close();
    assert.deepEqual(chunks, [line(1), line(2)]);
  });

  it('fails to open where the file cannot be made', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'file'), '');
    await assert.rejects(AuditLogWriter.open({ path: join(dir, 'file', 'audit.log') }), {
      code: 'ERR_AUDIT_LOG',
      message: /^cannot open audit log .*audit\.log: /,
    });
  });
});

describe('backup names', () => {
  it("formats and parses lumberjack's name, in UTC", () => {
    const time = new Date('2026-03-07T12:30:05.123+02:00');
    assert.equal(backupName('/var/log/audit.log', time), '/var/log/audit-2026-03-07T10-30-05.123.log');
    assert.equal(backupName('/var/log/audit', time), '/var/log/audit-2026-03-07T10-30-05.123');
    assert.equal(
      backupName('/var/log/kube.audit.json', time),
      '/var/log/kube.audit-2026-03-07T10-30-05.123.json',
    );
    assert.equal(
      backupTime('audit-2026-03-07T10-30-05.123.log', '/var/log/audit.log')?.toISOString(),
      time.toISOString(),
    );
    assert.equal(
      backupTime('audit-2026-03-07T10-30-05.123.log.gz', '/x/audit.log')?.toISOString(),
      time.toISOString(),
    );
    assert.equal(backupTime('audit-2026-03-07T10-30-05.log', '/x/audit.log'), undefined);
    assert.equal(backupTime('audit-2026-13-07T10-30-05.000.log', '/x/audit.log'), undefined);
  });
});

describe('auditLogOptionsFromFlags', () => {
  it("reads kube's flags", () => {
    assert.equal(auditLogOptionsFromFlags({}), undefined);
    assert.deepEqual(
      auditLogOptionsFromFlags({
        auditLogPath: '/var/log/audit.log',
        auditLogMaxage: '30',
        auditLogMaxbackup: '10',
        auditLogMaxsize: '100',
      }),
      { path: '/var/log/audit.log', maxAgeDays: 30, maxBackups: 10, maxSizeMB: 100, compress: false },
    );
  });

  it("refuses negative numbers with kube's message", () => {
    assert.throws(
      () => auditLogOptionsFromFlags({ auditLogPath: 'a.log', auditLogMaxage: '-1' }),
      (error: unknown) =>
        error instanceof UsageError && error.message === "--audit-log-maxage -1 can't be a negative number",
    );
    assert.throws(
      () => auditLogOptionsFromFlags({ auditLogPath: 'a.log', auditLogMaxsize: '1.5' }),
      UsageError,
    );
  });

  it('maxsize 0 is 100 MB, as lumberjack', async (t) => {
    const dir = await tempDir(t);
    const writer = await AuditLogWriter.open({ path: join(dir, 'a.log'), maxSizeMB: 0 });
    assert.equal(writer.maxSizeBytes, DEFAULT_MAX_SIZE_MB * MEGABYTE);
    await writer.close();
  });
});

function lineEvent(n: number, at: Date) {
  const event = auditEvent({
    config: { level: 'Metadata', omitStages: [], omitManagedFields: false },
    stage: 'ResponseComplete',
    request: {
      auditID: `id-${n}`,
      requestURI: '/api/v1/namespaces/a/secrets/b',
      verb: 'get',
      user: { username: 'u' },
      objectRef: objectReference({
        group: '',
        version: 'v1',
        resource: 'secrets',
        namespace: 'a',
        name: 'b',
      }),
      requestReceivedTimestamp: at,
    },
    outcome: { responseStatus: responseStatus(200) },
    stageTimestamp: at,
  });
  assert.ok(event);
  return event;
}
