/**
 * The storage contract, run against both backends: embedded SQLite in a temporary directory and a real etcd
 * (the etcd binary, started here on free 127.0.0.1 ports with its data in a temporary directory). Then what
 * only one backend has: SQLite reopening, locking and surviving SIGKILL; etcd holding the raw bytes that
 * etcdctl shows.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';
import { promisify } from 'node:util';
import { openEtcdStorage } from '../../src/apiserver/storage/etcd.ts';
import { AutoCompactor, compactionTarget, openSqliteStorage } from '../../src/apiserver/storage/sqlite.ts';
import {
  StorageCompactedError,
  StorageConflictError,
  type Storage,
  type StorageEvent,
} from '../../src/apiserver/storage/storage.ts';
import { tempDir } from '../helpers/keys.ts';
import { freePorts, startEtcd } from '../helpers/etcd.ts';

const SQLITE_MODULE = fileURLToPath(new URL('../../src/apiserver/storage/sqlite.ts', import.meta.url));

type Open = () => Promise<Storage>;

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (value: Uint8Array): string => Buffer.from(value).toString('utf8');

let prefixes = 0;
/** A key prefix no other test uses (the etcd tests share one server). */
function uniquePrefix(): string {
  return `/registry/test${String(++prefixes).padStart(3, '0')}/`;
}

async function opened(t: TestContext, open: Open): Promise<Storage> {
  const storage = await open();
  t.after(() => storage.close());
  return storage;
}

function conflict(reason: 'exists' | 'modified' | 'missing') {
  return (error: unknown): boolean => {
    assert.ok(error instanceof StorageConflictError, String(error));
    assert.equal(error.reason, reason);
    assert.equal(error.code, 'ERR_STORAGE_CONFLICT');
    return true;
  };
}

/** Collects a watch's events and errors; `until` waits for a condition on them. */
class Recorder {
  readonly events: StorageEvent[] = [];
  readonly errors: Error[] = [];
  #waiters: (() => void)[] = [];

  readonly onEvent = (event: StorageEvent): void => {
    this.events.push(event);
    this.#wake();
  };

  readonly onError = (error: Error): void => {
    this.errors.push(error);
    this.#wake();
  };

  async until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(
          `timed out waiting for ${what}: ${this.events.length} events, errors: ${this.errors.join('; ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  revisions(): number[] {
    return this.events.map((event) => event.modRevision);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function brief(event: StorageEvent): string {
  return event.type === 'put'
    ? `put ${event.key}=${decode(event.value)}${event.previous ? ` (was ${decode(event.previous.value)})` : ''}`
    : `delete ${event.key} (was ${decode(event.previous.value)})`;
}

async function contractSuite(t: TestContext, open: Open): Promise<void> {
  await t.test('create, get and compare-and-swap update', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    const before = await storage.revision();
    assert.equal(await storage.get(`${p}a`), undefined);

    const created = await storage.create(`${p}a`, text('one'));
    assert.ok(created.modRevision > before);
    assert.equal(created.createRevision, created.modRevision);
    assert.equal(await storage.revision(), created.modRevision);
    assert.deepEqual(await storage.get(`${p}a`), { key: `${p}a`, value: text('one'), ...revisions(created) });

    await assert.rejects(storage.create(`${p}a`, text('again')), conflict('exists'));
    await assert.rejects(storage.update(`${p}a`, text('two'), created.modRevision - 1), conflict('modified'));
    await assert.rejects(
      storage.update(`${p}missing`, text('two'), created.modRevision),
      conflict('missing'),
    );
    assert.equal(await storage.revision(), created.modRevision, 'failed writes leave the revision alone');

    const updated = await storage.update(`${p}a`, text('two'), created.modRevision);
    assert.ok(updated.modRevision > created.modRevision);
    assert.equal(updated.createRevision, created.createRevision);
    assert.deepEqual(updated.value, text('two'));
    assert.deepEqual(await storage.get(`${p}a`), { key: `${p}a`, value: text('two'), ...revisions(updated) });
    await assert.rejects(storage.update(`${p}a`, text('three'), created.modRevision), conflict('modified'));
  });

  await t.test('delete with and without an expected revision', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    const a = await storage.create(`${p}a`, text('A'));
    const b = await storage.create(`${p}b`, text('B'));

    await assert.rejects(storage.delete(`${p}a`, a.modRevision + 100), conflict('modified'));
    const deletedA = await storage.delete(`${p}a`, a.modRevision);
    assert.ok(deletedA.revision > b.modRevision);
    assert.deepEqual(deletedA.previous, { key: `${p}a`, value: text('A'), ...revisions(a) });
    assert.equal(await storage.get(`${p}a`), undefined);
    await assert.rejects(storage.delete(`${p}a`), conflict('missing'));
    await assert.rejects(storage.delete(`${p}a`, a.modRevision), conflict('missing'));
    await assert.rejects(storage.update(`${p}a`, text('x'), a.modRevision), conflict('missing'));

    const deletedB = await storage.delete(`${p}b`);
    assert.ok(deletedB.revision > deletedA.revision);
    assert.deepEqual(deletedB.previous.value, text('B'));
    assert.equal(await storage.revision(), deletedB.revision);

    const again = await storage.create(`${p}a`, text('A2'));
    assert.ok(again.createRevision > deletedB.revision, 'a re-created key starts a new life');
    assert.equal(again.modRevision, again.createRevision);
  });

  await t.test('list by prefix with limit, after, revision and more', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    for (const name of ['c', 'a', 'e', 'b', 'd']) await storage.create(`${p}items/${name}`, text(name));
    // Keys that share the prefix's characters but not the prefix.
    await storage.create(`${p}items`, text('outside'));
    await storage.create(`${p}items0`, text('outside'));
    await storage.create(`${p}itemr/x`, text('outside'));

    const all = await storage.list(`${p}items/`);
    assert.deepEqual(
      all.items.map((item) => item.key),
      ['a', 'b', 'c', 'd', 'e'].map((name) => `${p}items/${name}`),
    );
    assert.deepEqual(
      all.items.map((item) => decode(item.value)),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.equal(all.more, false);
    assert.equal(all.revision, await storage.revision());

    const page1 = await storage.list(`${p}items/`, { limit: 2 });
    assert.deepEqual(names(page1.items), ['a', 'b']);
    assert.equal(page1.more, true);
    if (page1.remaining !== undefined) assert.equal(page1.remaining, 3);

    // Writes between pages do not show in later pages read at the first page's revision.
    const c = await storage.get(`${p}items/c`);
    assert.ok(c);
    await storage.update(`${p}items/c`, text('c2'), c.modRevision);
    await storage.delete(`${p}items/d`);
    await storage.create(`${p}items/bb`, text('bb'));

    const page2 = await storage.list(`${p}items/`, {
      limit: 2,
      after: `${p}items/b`,
      revision: page1.revision,
    });
    assert.deepEqual(names(page2.items), ['c', 'd']);
    assert.deepEqual(
      page2.items.map((item) => decode(item.value)),
      ['c', 'd'],
    );
    assert.equal(page2.more, true);
    assert.equal(page2.revision, page1.revision);
    if (page2.remaining !== undefined) assert.equal(page2.remaining, 1);
    const page3 = await storage.list(`${p}items/`, {
      limit: 2,
      after: `${p}items/d`,
      revision: page1.revision,
    });
    assert.deepEqual(names(page3.items), ['e']);
    assert.equal(page3.more, false);

    const now = await storage.list(`${p}items/`);
    assert.deepEqual(names(now.items), ['a', 'b', 'bb', 'c', 'e']);
    assert.deepEqual(decode(now.items[3]?.value ?? new Uint8Array()), 'c2');
    const exact = await storage.list(`${p}items/`, { limit: 5 });
    assert.equal(exact.more, false, 'a limit equal to the count leaves nothing more');
    const afterLast = await storage.list(`${p}items/`, { after: `${p}items/e` });
    assert.deepEqual(afterLast.items, []);
    const afterBeforePrefix = await storage.list(`${p}items/`, { after: `${p}item`, limit: 1 });
    assert.deepEqual(
      names(afterBeforePrefix.items),
      ['a'],
      'an `after` below the prefix starts at the prefix',
    );
    assert.deepEqual((await storage.list(`${p}nothing/`)).items, []);
    await assert.rejects(storage.list(`${p}items/`, { revision: (await storage.revision()) + 1000 }), {
      code: 'ERR_STORAGE_FUTURE_REVISION',
    });
  });

  await t.test('every write takes the next higher revision', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    let last = await storage.revision();
    for (let i = 0; i < 20; i++) {
      const written =
        i % 3 === 2
          ? (await storage.delete(`${p}${i - 1}`)).revision
          : (await storage.create(`${p}${i}`, text(String(i)))).modRevision;
      assert.ok(written > last, `revision ${written} after ${last}`);
      assert.equal(await storage.revision(), written);
      last = written;
    }
    // Concurrent writes all get distinct revisions.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => storage.create(`${p}concurrent/${i}`, text(String(i)))),
    );
    const revisionsSeen = new Set(results.map((result) => result.modRevision));
    assert.equal(revisionsSeen.size, 20);
    assert.ok(Math.min(...revisionsSeen) > last);
  });

  await t.test('watch replays history, then live changes, in order', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    const start = await storage.revision();
    const a = await storage.create(`${p}a`, text('a1'));
    const a2 = await storage.update(`${p}a`, text('a2'), a.modRevision);
    await storage.create(`${p}b`, text('b1'));
    await storage.create(`/registry/elsewhere${p}`, text('not watched'));
    await storage.delete(`${p}a`, a2.modRevision);

    const recorder = new Recorder();
    const watch = storage.watch(p, start, recorder.onEvent, recorder.onError);
    t.after(() => watch.close());
    await recorder.until(() => recorder.events.length >= 4, 'the history');
    await storage.create(`${p}c`, text('c1'));
    await storage.delete(`${p}b`);
    await recorder.until(() => recorder.events.length >= 6, 'the live events');
    assert.deepEqual(recorder.events.map(brief), [
      `put ${p}a=a1`,
      `put ${p}a=a2 (was a1)`,
      `put ${p}b=b1`,
      `delete ${p}a (was a2)`,
      `put ${p}c=c1`,
      `delete ${p}b (was b1)`,
    ]);
    const seen = recorder.revisions();
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
    );
    assert.equal(new Set(seen).size, seen.length);
    const [first, second, , deletion] = recorder.events;
    assert.equal(first?.type === 'put' && first.createRevision, a.modRevision);
    assert.equal(second?.type === 'put' && second.previous?.modRevision, a.modRevision);
    assert.equal(second?.type === 'put' && second.createRevision, a.modRevision);
    assert.ok(deletion?.type === 'delete');
    assert.equal(deletion.previous.modRevision, a2.modRevision);
    assert.equal(deletion.previous.createRevision, a.modRevision);
    assert.deepEqual(recorder.errors, []);

    // A watch from now sees only what comes next; a closed watch sees nothing more.
    const later = new Recorder();
    const laterWatch = storage.watch(p, await storage.revision(), later.onEvent, later.onError);
    t.after(() => laterWatch.close());
    watch.close();
    await storage.create(`${p}d`, text('d1'));
    await later.until(() => later.events.length >= 1, 'the next event');
    assert.deepEqual(later.events.map(brief), [`put ${p}d=d1`]);
    assert.equal(recorder.events.length, 6);
  });

  await t.test(
    'compaction: latest values stay, older revisions fail with StorageCompactedError',
    async (t) => {
      const storage = await opened(t, open);
      const p = uniquePrefix();
      const first = await storage.create(`${p}a`, text('a1'));
      const b = await storage.create(`${p}b`, text('b1'));
      let a = first;
      for (let i = 2; i <= 5; i++) a = await storage.update(`${p}a`, text(`a${i}`), a.modRevision);
      const target = a.modRevision;
      await storage.delete(`${p}b`);
      const c = await storage.create(`${p}c`, text('c1'));
      await storage.update(`${p}a`, text('a6'), a.modRevision);

      await storage.compact(target);
      assert.equal(await storage.compactedRevision(), target);
      await storage.compact(target - 1); // already compacted: nothing to do
      assert.equal(await storage.compactedRevision(), target);

      assert.deepEqual(decode((await storage.get(`${p}a`))?.value ?? text('')), 'a6');
      assert.deepEqual(names((await storage.list(p)).items), ['a', 'c']);
      const atTarget = await storage.list(p, { revision: target });
      assert.deepEqual(
        atTarget.items.map((item) => decode(item.value)),
        ['a5', 'b1'],
      );
      assert.equal(atTarget.items[1]?.modRevision, b.modRevision);

      await assert.rejects(storage.list(p, { revision: first.modRevision }), (error: unknown) => {
        assert.ok(error instanceof StorageCompactedError, String(error));
        assert.equal(error.compactedRevision, target);
        assert.equal(error.code, 'ERR_STORAGE_COMPACTED');
        return true;
      });

      const old = new Recorder();
      const oldWatch = storage.watch(p, first.modRevision - 1, old.onEvent, old.onError);
      t.after(() => oldWatch.close());
      await old.until(() => old.errors.length > 0, 'the compaction error');
      assert.ok(old.errors[0] instanceof StorageCompactedError, String(old.errors[0]));
      assert.equal(old.errors[0].compactedRevision, target);
      assert.deepEqual(old.events, []);

      const fromTarget = new Recorder();
      const targetWatch = storage.watch(p, target, fromTarget.onEvent, fromTarget.onError);
      t.after(() => targetWatch.close());
      await fromTarget.until(() => fromTarget.events.length >= 3, 'the history after the compacted revision');
      assert.deepEqual(fromTarget.events.map(brief), [
        `delete ${p}b (was b1)`,
        `put ${p}c=c1`,
        `put ${p}a=a6 (was a5)`,
      ]);
      assert.equal(fromTarget.events[1]?.modRevision, c.modRevision);
      assert.deepEqual(fromTarget.errors, []);
    },
  );

  await t.test('writes racing watch registrations: no gap, no duplicate', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    const total = 600;
    const written: number[] = [];
    const watchers: { after: number; recorder: Recorder }[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < total; i++) {
        const key = `${p}${i % 10}`;
        const current = await storage.get(key);
        const result = current
          ? i % 4 === 0
            ? { modRevision: (await storage.delete(key, current.modRevision)).revision }
            : await storage.update(key, text(`v${i}`), current.modRevision)
          : await storage.create(key, text(`v${i}`));
        written.push(result.modRevision);
        // Let registrations and history replay run between writes (SQLite writes never leave the microtask
        // queue otherwise).
        if (i % 3 === 0) await tick();
      }
      writing = false;
    })();
    // About 20 watchers, registered while the writes go on: half from the latest revision, half from an
    // older one so that their history replay runs concurrently with new writes.
    let next = 0;
    while (writing) {
      if (written.length >= next) {
        const after =
          watchers.length % 2 === 0
            ? (written.at(-1) ?? (await storage.revision()))
            : (written[Math.max(0, written.length - 300)] ?? (await storage.revision()));
        const recorder = new Recorder();
        const watch = storage.watch(p, after, recorder.onEvent, recorder.onError);
        t.after(() => watch.close());
        watchers.push({ after, recorder });
        next += total / 20;
      }
      await tick();
    }
    await writer;
    assert.ok(watchers.length >= 10, `${watchers.length} watchers registered`);
    for (const { after, recorder } of watchers) {
      const expected = written.filter((revision) => revision > after);
      await recorder.until(() => recorder.events.length >= expected.length, `the events after ${after}`);
      assert.deepEqual(recorder.revisions(), expected, `watch after ${after}`);
      assert.deepEqual(recorder.errors, []);
    }
  });

  await t.test('values are arbitrary bytes', async (t) => {
    const storage = await opened(t, open);
    const p = uniquePrefix();
    const values: Record<string, Uint8Array> = {
      zeros: Uint8Array.of(0, 0, 0),
      invalidUtf8: Uint8Array.of(0xc3, 0x28, 0xff, 0xfe, 0x80, 0x00, 0x41),
      empty: new Uint8Array(0),
      protobuf: Uint8Array.of(0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0c, 0x0a, 0x02, 0x76, 0x31),
      large: Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919) & 0xff),
      // A view into the middle of a larger buffer: only its own bytes count.
      view: Buffer.from('xxxxhello\u0000worldxxxx').subarray(4, 15),
    };
    const start = await storage.revision();
    const recorder = new Recorder();
    const watch = storage.watch(p, start, recorder.onEvent, recorder.onError);
    t.after(() => watch.close());
    for (const [name, value] of Object.entries(values)) {
      const created = await storage.create(`${p}${name}`, value);
      assert.deepEqual(Buffer.from(created.value), Buffer.from(value));
      assert.deepEqual(
        Buffer.from((await storage.get(`${p}${name}`))?.value ?? []),
        Buffer.from(value),
        name,
      );
    }
    const listed = await storage.list(p);
    for (const item of listed.items) {
      const name = item.key.slice(p.length);
      assert.deepEqual(Buffer.from(item.value), Buffer.from(values[name] ?? []), name);
    }
    await recorder.until(() => recorder.events.length >= Object.keys(values).length, 'the events');
    for (const event of recorder.events) {
      assert.ok(event.type === 'put');
      assert.deepEqual(Buffer.from(event.value), Buffer.from(values[event.key.slice(p.length)] ?? []));
    }
    const updated = await storage.update(
      `${p}zeros`,
      Uint8Array.of(0xff, 0),
      (await storage.get(`${p}zeros`))?.modRevision ?? 0,
    );
    assert.deepEqual(Buffer.from((await storage.get(`${p}zeros`))?.value ?? []), Buffer.from([0xff, 0]));
    assert.equal(updated.modRevision, await storage.revision());
  });
}

function revisions(value: { createRevision: number; modRevision: number }) {
  return { createRevision: value.createRevision, modRevision: value.modRevision };
}

function names(items: readonly { key: string }[]): string[] {
  return items.map((item) => item.key.slice(item.key.lastIndexOf('/') + 1));
}

// ---------------------------------------------------------------------------------------------------------

test('SQLite storage', async (t) => {
  const dir = await tempDir(t);
  let databases = 0;
  await contractSuite(t, () => openSqliteStorage({ path: join(dir, `contract-${++databases}.db`) }));

  await t.test('in memory', async (t) => {
    const storage = await opened(t, () => openSqliteStorage({ path: ':memory:' }));
    const created = await storage.create('/registry/x', text('x'));
    assert.equal(created.modRevision, 1);
    assert.deepEqual((await storage.get('/registry/x'))?.value, text('x'));
  });

  await t.test('reopening keeps the data, the revision counter and the compacted revision', async () => {
    const path = join(dir, 'reopen.db');
    let storage = await openSqliteStorage({ path });
    const a = await storage.create('/registry/secrets/ns/a', Uint8Array.of(0, 1, 2));
    const b = await storage.create('/registry/secrets/ns/b', text('b'));
    await storage.update('/registry/secrets/ns/a', Uint8Array.of(3, 4), a.modRevision);
    const deleted = await storage.delete('/registry/secrets/ns/b', b.modRevision);
    // Compacting at the last write (a delete) removes the newest row: the counter must not go back.
    await storage.compact(deleted.revision);
    await storage.close();
    await assert.rejects(storage.get('/registry/secrets/ns/a'), { code: 'ERR_STORAGE_CLOSED' });

    storage = await openSqliteStorage({ path });
    try {
      assert.equal(await storage.revision(), deleted.revision);
      assert.equal(await storage.compactedRevision(), deleted.revision);
      const reread = await storage.get('/registry/secrets/ns/a');
      assert.deepEqual(reread && Buffer.from(reread.value), Buffer.from([3, 4]));
      assert.equal(reread?.createRevision, a.modRevision);
      assert.equal(await storage.get('/registry/secrets/ns/b'), undefined);
      const next = await storage.create('/registry/secrets/ns/b', text('b2'));
      assert.equal(next.modRevision, deleted.revision + 1);
    } finally {
      await storage.close();
    }
  });

  await t.test('a data file in use is refused, by this process and by another one', async () => {
    const path = join(dir, 'locked.db');
    const owner = await openSqliteStorage({ path });
    try {
      await assert.rejects(openSqliteStorage({ path }), { code: 'ERR_STORAGE_LOCKED' });
      const other = await runNode(
        `const { openSqliteStorage } = await import(process.argv[1]);
         try { await openSqliteStorage({ path: process.argv[2] }); console.log('opened'); }
         catch (error) { console.log(error.code); }`,
        [SQLITE_MODULE, path],
      );
      assert.equal(other.trim(), 'ERR_STORAGE_LOCKED');
      await owner.create('/registry/still-mine', text('ok'));
    } finally {
      await owner.close();
    }
    const again = await openSqliteStorage({ path });
    assert.deepEqual((await again.get('/registry/still-mine'))?.value, text('ok'));
    await again.close();
  });

  await t.test('every acknowledged write survives SIGKILL', async () => {
    const path = join(dir, 'killed.db');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { openSqliteStorage } = await import(process.argv[1]);
         const storage = await openSqliteStorage({ path: process.argv[2] });
         // Eight writes at a time, so that they share commits (group commit).
         for (let i = 0; ; i += 8) {
           await Promise.all(Array.from({ length: 8 }, async (_, j) => {
             const value = new TextEncoder().encode('value-' + (i + j));
             const written = await storage.create('/registry/burst/' + (i + j), value);
             process.stdout.write((i + j) + ' ' + written.modRevision + '\\n');
           }));
         }`,
        SQLITE_MODULE,
        path,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (!killed && output.split('\n').length > 300) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', `child exited with ${code}`);
    const acknowledged = output
      .split('\n')
      .filter((line) => /^\d+ \d+$/.test(line))
      .map((line) => line.split(' ').map(Number) as [number, number]);
    assert.ok(acknowledged.length >= 300);

    const storage = await openSqliteStorage({ path });
    try {
      for (const [i, revision] of acknowledged) {
        const value = await storage.get(`/registry/burst/${i}`);
        assert.ok(value, `acknowledged write ${i} (revision ${revision}) is missing`);
        assert.equal(value.modRevision, revision);
        assert.equal(decode(value.value), `value-${i}`);
      }
      const last = acknowledged.at(-1)?.[1] ?? 0;
      assert.ok((await storage.revision()) >= last);
    } finally {
      await storage.close();
    }
  });

  await t.test(
    'group commit: the writes of one turn share a commit; nothing is seen before it',
    async (t) => {
      const storage = await opened(t, () => openSqliteStorage({ path: join(dir, 'group.db') }));
      const commits = (): number => (storage as unknown as { commits: number }).commits;
      const recorder = new Recorder();
      storage.watch('/registry/group/', 0, recorder.onEvent, recorder.onError);
      await tick();
      await tick();
      const before = commits();
      let acknowledged = 0;
      const writes = Array.from({ length: 50 }, (_, i) =>
        storage.create(`/registry/group/${i}`, text(String(i))).then((value) => {
          acknowledged++;
          return value;
        }),
      );
      // Nothing is acknowledged, and no watcher hears of anything, before the commit.
      await Promise.resolve();
      assert.equal(acknowledged, 0);
      assert.equal(recorder.events.length, 0);
      // A read while the commit is pending answers after it, with what it saw.
      const read = storage.get('/registry/group/7').then((value) => ({ value, acknowledged }));
      const conflicting = storage.create('/registry/group/3', text('again'));
      await assert.rejects(conflicting, conflict('exists'));
      const written = await Promise.all(writes);
      assert.equal(commits() - before, 1);
      assert.deepEqual(
        written.map((value) => value.modRevision),
        Array.from({ length: 50 }, (_, i) => written[0]!.modRevision + i),
      );
      const { value, acknowledged: seenAfter } = await read;
      assert.equal(decode(value?.value ?? text('')), '7');
      assert.equal(seenAfter, 50);
      await recorder.until(() => recorder.events.length === 50, 'the 50 events');
      assert.deepEqual(
        recorder.events.map((event) => event.modRevision),
        written.map((value) => value.modRevision),
      );
      // One after another, each write commits on its own turn.
      await storage.create('/registry/group/a', text('a'));
      await storage.create('/registry/group/b', text('b'));
      assert.equal(commits() - before, 3);
      // Each acknowledged write was fsynced first (the WAL, off the event loop), never more often than committed.
      const syncs = (storage as unknown as { syncs: number }).syncs;
      assert.ok(syncs >= 3 && syncs <= commits(), `${syncs} syncs, ${commits()} commits`);
    },
  );

  await t.test('a failed sync fails the writes waiting for it, and everything after', async () => {
    const path = join(dir, 'unsyncable.db');
    const storage = await openSqliteStorage({ path });
    try {
      // The WAL file vanishes under the store (SQLite writes on into the unlinked file): it cannot be synced.
      await rm(`${path}-wal`);
      await assert.rejects(storage.create('/registry/lost', text('x')), { code: 'ERR_STORAGE_IO' });
      await assert.rejects(storage.get('/registry/lost'), /restart the server/);
      await assert.rejects(storage.create('/registry/later', text('y')), { code: 'ERR_STORAGE_IO' });
    } finally {
      await storage.close();
    }
  });

  await t.test('under a steady stream of writes, a new watcher still catches up and goes live', async (t) => {
    const storage = await opened(t, () => openSqliteStorage({ path: join(dir, 'stream.db') }));
    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        await Promise.all(
          Array.from({ length: 4 }, () => storage.create(`/registry/stream/${written++}`, text('v'))),
        );
      }
    })();
    await storage.create('/registry/stream/first', text('v'));
    const recorder = new Recorder();
    storage.watch('/registry/stream/', 0, recorder.onEvent, recorder.onError);
    await recorder.until(() => recorder.events.length > written / 2 + 20, 'history and live events');
    stop = true;
    await writer;
    const final = await storage.revision();
    await recorder.until(() => recorder.events.at(-1)?.modRevision === final, 'every event');
    const revisions = recorder.events.map((event) => event.modRevision);
    assert.deepEqual(
      revisions,
      Array.from({ length: revisions.length }, (_, i) => i + 1),
    );
  });

  await t.test('automatic compaction keeps the last N revisions or the last few minutes', async () => {
    assert.equal(compactionTarget({ keepRevisions: 10 }, 100, [], 0), 90);
    assert.equal(compactionTarget({ keepRevisions: 10 }, 5, [], 0), 0);
    assert.equal(compactionTarget({}, 100, [], 0), 0);
    const samples = [
      { time: 0, revision: 10 },
      { time: 60_000, revision: 20 },
      { time: 120_000, revision: 30 },
    ];
    assert.equal(compactionTarget({ keepMillis: 60_000 }, 40, samples, 125_000), 20);
    assert.equal(compactionTarget({ keepMillis: 60_000 }, 40, samples, 30_000), 0);
    assert.equal(compactionTarget({ keepMillis: 60_000, keepRevisions: 25 }, 40, samples, 125_000), 15);

    const storage = await openSqliteStorage({ path: ':memory:' });
    try {
      const compactor = new AutoCompactor(storage, { keepMillis: 5 * 60_000 });
      let value = await storage.create('/registry/a', text('0'));
      assert.equal(await compactor.run(0), undefined);
      for (let i = 1; i <= 5; i++)
        value = await storage.update('/registry/a', text(String(i)), value.modRevision);
      const sampled = value.modRevision;
      assert.equal(await compactor.run(60_000), undefined, 'nothing is five minutes old yet');
      value = await storage.update('/registry/a', text('6'), value.modRevision);
      assert.equal(await compactor.run(300_000), 1, 'the revision seen at 0 is now five minutes old');
      assert.equal(await compactor.run(360_000), sampled);
      assert.equal(await storage.compactedRevision(), sampled);
      assert.equal(await compactor.run(370_000), undefined);

      const byCount = new AutoCompactor(storage, { keepRevisions: 2 });
      for (let i = 7; i <= 10; i++)
        value = await storage.update('/registry/a', text(String(i)), value.modRevision);
      assert.equal(await byCount.run(), value.modRevision - 2);
      assert.deepEqual((await storage.get('/registry/a'))?.value, text('10'));
    } finally {
      await storage.close();
    }
  });
});

test('etcd storage', async (t) => {
  const etcd = await startEtcd(t);
  await contractSuite(t, () => openEtcdStorage({ endpoints: [etcd.endpoint] }));

  await t.test('etcdctl sees the raw keys and bytes', async (t) => {
    const storage = await opened(t, () => openEtcdStorage({ endpoints: [etcd.endpoint] }));
    const value = Uint8Array.of(0x6b, 0x38, 0x73, 0x00, 0xff, 0xc3, 0x28, 0x0a);
    await storage.create('/registry/secrets/raw/one', value);
    await storage.create('/registry/secrets/raw/two', text('plain text'));
    const { stdout } = await execFileAsync(
      'etcdctl',
      ['--endpoints', etcd.endpoint, 'get', '--prefix', '/registry/secrets/raw/', '-w', 'json'],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    const kvs = (JSON.parse(stdout) as { kvs: { key: string; value: string }[] }).kvs;
    assert.deepEqual(
      kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString('utf8'), Buffer.from(kv.value, 'base64')]),
      [
        ['/registry/secrets/raw/one', Buffer.from(value)],
        ['/registry/secrets/raw/two', Buffer.from('plain text')],
      ],
    );
    const plain = await execFileAsync(
      'etcdctl',
      ['--endpoints', etcd.endpoint, 'get', '/registry/secrets/raw/two'],
      { env: { ...process.env, ETCDCTL_API: '3' } },
    );
    assert.equal(plain.stdout, '/registry/secrets/raw/two\nplain text\n');
  });

  await t.test('a watch resumes after etcd restarts, without gap or duplicate', async (t) => {
    const storage = await opened(t, () => openEtcdStorage({ endpoints: [etcd.endpoint] }));
    const p = uniquePrefix();
    const start = await storage.revision();
    const recorder = new Recorder();
    const watch = storage.watch(p, start, recorder.onEvent, recorder.onError);
    t.after(() => watch.close());
    await storage.create(`${p}before`, text('1'));
    await recorder.until(() => recorder.events.length === 1, 'the first event');
    await etcd.restart();
    await storage.create(`${p}after`, text('2'));
    await storage.delete(`${p}before`);
    await recorder.until(() => recorder.events.length >= 3, 'the events after the restart', 15_000);
    assert.deepEqual(recorder.events.map(brief), [
      `put ${p}before=1`,
      `put ${p}after=2`,
      `delete ${p}before (was 1)`,
    ]);
    assert.deepEqual(recorder.errors, []);
  });

  await t.test('an endpoint that refuses connections is skipped', async (t) => {
    const dead = `http://127.0.0.1:${(await freePorts(1))[0]}`;
    const storage = await opened(t, () => openEtcdStorage({ endpoints: [dead, etcd.endpoint] }));
    const created = await storage.create(`${uniquePrefix()}x`, text('x'));
    assert.equal(created.modRevision, await storage.revision());
    await assert.rejects(openEtcdStorage({ endpoints: [dead] }), { code: 'ERR_STORAGE_UNAVAILABLE' });
  });
});

// ---------------------------------------------------------------------------------------------------------

const execFileAsync = promisify(execFile);

async function runNode(source: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', source, ...args]);
  return stdout;
}
