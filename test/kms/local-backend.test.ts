/**
 * The local key-file backend: the key file format and its errors (which never quote a line), the wrapped form
 * opened independently with node:crypto, and rotation as an operator does it: a new key first, old ciphertexts
 * still unwrap, the key id changes, a running plugin notices without a restart, pruning retires old keys.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CloakError } from '../../src/common/errors.ts';
import {
  createKeyFile,
  listKeyFile,
  LocalFileBackend,
  pruneKeyFile,
  rotateKeyFile,
} from '../../src/kms/backends/local-file.ts';
import {
  localKeyId,
  parseKeyFile,
  unwrapWithKey,
  wrapWithKey,
  type LocalKey,
} from '../../src/kms/backends/local-keys.ts';
import { KmsPlugin } from '../../src/kms/plugin.ts';
import { tempDir } from '../helpers/keys.ts';

const NOW = new Date('2026-05-06T07:08:09.123Z');

function keyText(key: Uint8Array): string {
  return Buffer.from(key).toString('base64');
}

/** The file holds none of the keys' forms that could leak: raw base64, hex. */
function assertNoKeyIn(text: string, keys: Uint8Array[]): void {
  for (const key of keys) {
    assert.ok(!text.includes(keyText(key)), `"${text}" holds a key`);
    assert.ok(!text.includes(Buffer.from(key).toString('hex')), `"${text}" holds a key`);
  }
}

describe('key file format', () => {
  test('one base64 key per line, current first; comments and blank lines ignored', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const keys = parseKeyFile(`# header\n\n  ${keyText(a)}  # added today\r\n${keyText(b)}\n`, 'keys');
    assert.deepEqual(
      keys.map((key) => key.id),
      [localKeyId(a), localKeyId(b)],
    );
    assert.deepEqual(Buffer.from(keys[0]?.key ?? []), a);
  });

  test('key ids: local: and 32 hex digits, stable, one per key, telling nothing of the key', () => {
    const key = randomBytes(32);
    const id = localKeyId(key);
    assert.match(id, /^local:[0-9a-f]{32}$/);
    assert.equal(localKeyId(Buffer.from(key)), id);
    assert.notEqual(localKeyId(randomBytes(32)), id);
    assertNoKeyIn(id, [key]);
    assert.ok(!key.toString('hex').includes(id.slice(6, 14)));
  });

  test('malformed files are refused by line number, never quoting the line', () => {
    const good = randomBytes(32);
    const short = randomBytes(16);
    const cases: [string, RegExp][] = [
      [
        `${keyText(good)}\n${keyText(good).slice(0, 40)}!!\n`,
        /^key file keys: line 2 is not a base64-encoded key$/,
      ],
      [`${keyText(short)}\n`, /^key file keys: line 1 holds a 16-byte key; keys are 32 bytes \(AES-256\)$/],
      [`${keyText(good)}\n# x\n${keyText(good)}\n`, /^key file keys: line 3 repeats the key of line 1$/],
      ['# only comments\n\n', /^key file keys: holds no key$/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseKeyFile(text, 'keys'),
        (error: unknown) => {
          assert.ok(error instanceof CloakError && error.code === 'ERR_KMS_KEY_FILE');
          assert.match(error.message, message);
          assertNoKeyIn(error.message, [good, short]);
          assert.ok(!error.message.includes(keyText(good).slice(0, 20)));
          return true;
        },
      );
    }
  });
});

describe('wrapping', () => {
  test('0x01 ‖ nonce ‖ AES-256-GCM ciphertext ‖ tag, with 0x01 ‖ key id as additional data', () => {
    const raw = randomBytes(32);
    const key: LocalKey = { id: localKeyId(raw), key: raw };
    const seed = randomBytes(32);
    const wrapped = Buffer.from(wrapWithKey(key, seed));
    assert.equal(wrapped.length, 1 + 12 + 32 + 16);
    assert.equal(wrapped[0], 0x01);
    // Opened here with node:crypto from the layout alone.
    const decipher = createDecipheriv('aes-256-gcm', raw, wrapped.subarray(1, 13));
    decipher.setAAD(Buffer.concat([Buffer.from([1]), Buffer.from(key.id)]));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    assert.deepEqual(Buffer.concat([decipher.update(wrapped.subarray(13, -16)), decipher.final()]), seed);
    assert.deepEqual(Buffer.from(unwrapWithKey(key, wrapped)), seed);
    // A fresh nonce every time.
    assert.notDeepEqual(Buffer.from(wrapWithKey(key, seed)), wrapped);
  });

  test('altered, truncated or foreign ciphertexts are refused as bad requests', () => {
    const raw = randomBytes(32);
    const key: LocalKey = { id: localKeyId(raw), key: raw };
    const wrapped = Buffer.from(wrapWithKey(key, randomBytes(32)));
    const altered = Buffer.from(wrapped);
    altered[20] = (altered[20] as number) ^ 1;
    const other = randomBytes(32);
    const refusals: [Uint8Array, LocalKey, RegExp][] = [
      [altered, key, /does not authenticate/],
      [wrapped.subarray(0, 20), key, /too short/],
      [Buffer.concat([Buffer.from([2]), wrapped.subarray(1)]), key, /unknown ciphertext format 2/],
      [wrapped, { id: key.id, key: other }, /does not authenticate/],
      [wrapped, { id: localKeyId(other), key: raw }, /does not authenticate/],
    ];
    for (const [ciphertext, withKey, message] of refusals) {
      assert.throws(
        () => unwrapWithKey(withKey, ciphertext),
        (error: unknown) =>
          error instanceof CloakError && error.code === 'ERR_KMS_REQUEST' && message.test(error.message),
      );
    }
  });
});

describe('key files and rotation', () => {
  test('keygen makes a 0600 file with one key and refuses to overwrite it', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'kek');
    const id = await createKeyFile(path, NOW);
    assert.match(id, /^local:[0-9a-f]{32}$/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.match(text, /^# Cloak KMS plugin key file/);
    assert.match(text, /^[A-Za-z0-9+/]{43}= # added 2026-05-06T07:08:09Z$/m);
    assert.deepEqual(await listKeyFile(path), [id]);
    await assert.rejects(
      createKeyFile(path, NOW),
      /already exists; add a key with: cloak kms-plugin rotate --key-file/,
    );
    assert.equal(await readFile(path, 'utf8'), text);
    await assert.rejects(
      createKeyFile(join(dir, 'no', 'kek'), NOW),
      /cannot write key file .*: its directory does not exist/,
    );
  });

  test('rotation: a new current key, old ciphertexts still unwrap, the key id changes; prune retires', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'kek');
    const first = await createKeyFile(path, NOW);
    // An operator's own comment survives rotation.
    await writeFile(path, `${await readFile(path, 'utf8')}# the first key came from the 2026 bootstrap\n`);
    const backend = await LocalFileBackend.open(path);
    const plugin = new KmsPlugin(backend);
    assert.deepEqual(await plugin.status(), { version: 'v2', healthz: 'ok', keyId: first });
    const seed = randomBytes(32);
    const before = await plugin.encrypt(seed, 'u');
    assert.equal(before.keyId, first);
    assert.deepEqual(before.annotations, {});

    const ids = await rotateKeyFile(path, NOW);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], first);
    const second = ids[0] as string;
    assert.notEqual(second, first);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.match(await readFile(path, 'utf8'), /# the first key came from the 2026 bootstrap/);

    // The running plugin reads the changed file by itself: Status reports the new key, Encrypt uses it.
    assert.equal((await plugin.status()).keyId, second);
    const after = await plugin.encrypt(seed, 'u');
    assert.equal(after.keyId, second);
    assert.deepEqual(Buffer.from(await plugin.decrypt({ ...before, uid: 'u' })), seed);
    assert.deepEqual(Buffer.from(await plugin.decrypt({ ...after, uid: 'u' })), seed);

    assert.deepEqual(await pruneKeyFile(path, 1), { kept: [second], removed: [first] });
    assert.deepEqual(await pruneKeyFile(path, 1), { kept: [second], removed: [] });
    await assert.rejects(
      plugin.decrypt({ ...before, uid: 'u' }),
      (error: unknown) =>
        error instanceof CloakError &&
        error.code === 'ERR_KMS_REQUEST' &&
        error.message.includes(`key ${first} is not in key file ${path}`),
    );
    assert.deepEqual(Buffer.from(await plugin.decrypt({ ...after, uid: 'u' })), seed);
    assert.deepEqual(await listKeyFile(path), [second]);
  });

  test('a key file broken while serving: last good keys stay in use, Status is unhealthy until fixed', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'kek');
    const id = await createKeyFile(path, NOW);
    const good = await readFile(path, 'utf8');
    const plugin = new KmsPlugin(await LocalFileBackend.open(path));
    await writeFile(path, `${good}not-a-key\n`);
    const status = await plugin.status();
    assert.equal(status.keyId, '');
    assert.match(status.healthz, /^key file .*kek: line \d+ is not a base64-encoded key$/);
    const wrapped = await plugin.encrypt(randomBytes(32), 'u');
    assert.equal(wrapped.keyId, id);
    await writeFile(path, good);
    assert.deepEqual(await plugin.status(), { version: 'v2', healthz: 'ok', keyId: id });
  });

  test('opening: a missing file says how to make one; a file others can read is warned about', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'kek');
    await assert.rejects(
      LocalFileBackend.open(path),
      new RegExp(
        `^KmsError: key file ${path} does not exist \\(make one with: cloak kms-plugin keygen --key-file ${path}\\)$`,
      ),
    );
    await createKeyFile(path, NOW);
    assert.deepEqual((await LocalFileBackend.open(path)).warnings(), []);
    await chmod(path, 0o644);
    assert.deepEqual((await LocalFileBackend.open(path)).warnings(), [
      `key file ${path} is open to group or others (mode 0644); run chmod 600 on it`,
    ]);
    await assert.rejects(rotateKeyFile(join(dir, 'nope'), NOW), /does not exist/);
  });
});
