/**
 * `cloak sops` end to end, as a user runs it: the real bin/cloak on real files in temporary directories, keys
 * made by the real `age-keygen`, data keys opened by the real `age` and `gpg`, values opened by an independent
 * reader (test/helpers/independent-sops.ts), and kubectl reading a decrypted Secret.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { runCloak, type CliOptions, type CliResult } from '../helpers/cli.ts';
import { ageDataKey, openDocumentIndependently, openEncValue } from '../helpers/independent-sops.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';
import { VECTORS } from '../helpers/paths.ts';
import {
  ageKeygen,
  isolatedGnupg,
  runTool,
  SOPS_TEST_PGP_FP,
  SOPS_TEST_PGP_KEY,
  type AgeKeyPair,
} from '../helpers/sops-tools.ts';

const CONCURRENCY = 4;
const NO_MAC_VECTOR = `${VECTORS}sops/getsops-sops/head/functional-tests/res/no_mac.yaml`;
const PGP_ENV = { CLOAK_PGP_KEYRING: SOPS_TEST_PGP_KEY };

// ---------------------------------------------------------------------------------------------------------
// Fixtures. Each is written in the layout sops itself writes, so decrypting must give the same bytes back.

const YAML_TEXT = `# Database settings
database:
    host: db.example.com
    port: 5432
    ratio: 0.75
    enabled: true
    # the password
    password: s3cr3t
    created: 2024-05-06T07:08:09Z
servers:
    - alpha
    - 42
    - name: beta
      weight: 1.5
    - - inner
      - false
plain_unencrypted: visible
nested_unencrypted:
    deep: also visible
empty: ""
nothing: null
multi: |
    first line
    second line
`;

/** The same document indented by 2: sops re-indents to 4, so only the content must survive. */
const YAML_TWO_SPACES = `# Database settings
database:
  host: db.example.com
  port: 5432
  ratio: 0.75
  enabled: true
  # the password
  password: s3cr3t
  created: 2024-05-06T07:08:09Z
servers:
  - alpha
  - 42
  - name: beta
    weight: 1.5
  - - inner
    - false
plain_unencrypted: visible
nested_unencrypted:
  deep: also visible
empty: ""
nothing: null
multi: |
  first line
  second line
`;

const JSON_TEXT = `{
\t"name": "app",
\t"port": 8080,
\t"ratio": 0.5,
\t"debug": false,
\t"tags": [
\t\t"a",
\t\t1
\t],
\t"db": {
\t\t"user": "admin",
\t\t"password": "s3cr3t"
\t},
\t"note_unencrypted": "clear"
}
`;

const DOTENV_TEXT = `# database
DB_HOST=db.example.com
DB_PASSWORD=s3cr3t
EQUALS=a=b
EMPTY=
MULTI=line1\\nline2
SPACED=a b  c
`;

const INI_TEXT = `[database]
host     = db.example.com
port     = 5432
password = s3cr3t

[cache]
; the ttl
ttl = 60
`;

/** Not UTF-8: 0xff, 0xfe, a lone continuation byte, a truncated sequence; and NUL. */
const BINARY = Buffer.concat([
  Buffer.from([0xff, 0xfe, 0x00, 0x80]),
  Buffer.from('s3cr3t binary payload\n'),
  Buffer.from([0xc3, 0x28, 0xe2, 0x82]),
]);

const SECRET_MANIFEST = `apiVersion: v1
kind: Secret
metadata:
    name: db-credentials
    namespace: prod
    labels:
        app: db
type: Opaque
data:
    password: czNjcjN0
stringData:
    username: admin
    port: "5432"
`;

interface Format {
  name: string;
  file: string;
  content: string | Buffer;
}

const FORMATS: readonly Format[] = [
  { name: 'YAML', file: 'secrets.yaml', content: YAML_TEXT },
  { name: 'JSON', file: 'secrets.json', content: JSON_TEXT },
  { name: 'dotenv', file: 'secrets.env', content: DOTENV_TEXT },
  { name: 'INI', file: 'secrets.ini', content: INI_TEXT },
  { name: 'binary', file: 'secrets.bin', content: BINARY },
];

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface AgeEntry {
  recipient: string;
  enc: string;
}

interface SopsMetadata {
  age?: AgeEntry[];
  pgp?: { fp: string; enc: string }[];
  key_groups?: { age?: AgeEntry[] }[];
  shamir_threshold?: number;
  encrypted_regex?: string;
  lastmodified: string;
  mac: string;
}

type Doc = Record<string, unknown> & { sops: SopsMetadata };

function sops(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runCloak(['sops', ...args], options);
}

function ageEnv(...keys: AgeKeyPair[]): NodeJS.ProcessEnv {
  return { SOPS_AGE_KEY: keys.map((key) => key.identity).join('\n') };
}

function assertOk(result: CliResult): void {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
}

/** Exactly one stderr line starting with "error: ", no stack trace, a non-zero exit and nothing on stdout. */
function assertOneLineError(result: CliResult, pattern?: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure, got exit 0 (stdout ${result.stdout.slice(0, 200)})`);
  assert.match(result.stderr, /^error: [^\n]+\n$/, `not a one-line error: ${JSON.stringify(result.stderr)}`);
  assert.doesNotMatch(result.stderr, /\bat .*\.ts:\d+/);
  assert.equal(result.stdout, '');
  if (pattern) assert.match(result.stderr, pattern);
}

interface Snapshot {
  path: string;
  bytes: Buffer;
  mtimeMs: number;
  ino: number;
}

async function snapshot(path: string): Promise<Snapshot> {
  const info = await stat(path);
  return { path, bytes: await readFile(path), mtimeMs: info.mtimeMs, ino: info.ino };
}

/** The file was not rewritten: same bytes, same inode (writes are atomic renames) and same mtime. */
async function assertUntouched(before: Snapshot): Promise<void> {
  const after = await snapshot(before.path);
  assert.ok(after.bytes.equals(before.bytes), `${before.path} changed`);
  assert.equal(after.ino, before.ino, `${before.path} was replaced`);
  assert.equal(after.mtimeMs, before.mtimeMs, `${before.path} was rewritten`);
}

function yamlDoc(text: string): Doc {
  return parse(text) as Doc;
}

function lines(text: string): string[] {
  return text.split('\n');
}

/**
 * The keys of the lines that differ between two texts of the same line count, sorted, leaving out
 * `lastmodified` (it changes only when the clock has moved on to another second).
 */
function changedKeys(before: string, after: string): string[] {
  const a = lines(before);
  const b = lines(after);
  assert.equal(a.length, b.length, 'line count changed');
  const keys = a.flatMap((line, index) => (line === b[index] ? [] : [line.replace(/:.*$/s, '').trim()]));
  return keys.filter((key) => key.replace(/"/g, '') !== 'lastmodified').sort();
}

/** The lines of `before` holding an ENC value, except those of the given keys, all still in `after`. */
function assertCiphertextsKept(before: string, after: string, except: readonly string[]): void {
  const kept = lines(after);
  for (const line of lines(before)) {
    if (!line.includes('ENC[')) continue;
    const key = line.replace(/:.*$/s, '').trim().replace(/^- /, '').replace(/"/g, '');
    if (except.includes(key)) continue;
    assert.ok(kept.includes(line), `ciphertext changed: ${line.slice(0, 60)}`);
  }
}

function encValues(text: string): string[] {
  return text.match(/ENC\[AES256_GCM,data:[^\]]*\]/g) ?? [];
}

async function encryptedFile(
  dir: string,
  name: string,
  content: string | Buffer,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const path = await writeTemp(dir, name, content);
  const result = await sops(['encrypt', '-i', ...args, path], { env });
  assertOk(result);
  return path;
}

async function executable(dir: string, name: string, script: string): Promise<string> {
  const path = await writeTemp(dir, name, `#!/bin/sh\n${script}`);
  await chmod(path, 0o755);
  return path;
}

function ageRecipients(doc: Doc): string[] {
  return (doc.sops.age ?? []).map((entry) => entry.recipient).sort();
}

/** The data key, opened by the real `age` with `key`'s identity file. */
function dataKeyOf(text: string, key: AgeKeyPair): Buffer {
  const entry = yamlDoc(text).sops.age?.find((item) => item.recipient === key.recipient);
  assert.ok(entry, `no age stanza for ${key.recipient}`);
  return ageDataKey(entry.enc, key.file);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Flips the first base64 character of the `data:` of the value at a YAML line matching `line`. */
function tamperData(text: string, line: RegExp): string {
  const tampered = text.replace(
    new RegExp(`^(${line.source}ENC\\[AES256_GCM,data:)(.)`, 'm'),
    (_all, head: string, char: string) => `${head}${char === 'A' ? 'B' : 'A'}`,
  );
  assert.notEqual(tampered, text);
  return tampered;
}

const ENV_YAML = 'FOO: bar\nNUM: 42\nFLAG: true\n';

/**
 * Files encrypted once for alice: tests that only read them use them as they are; tests that change them work
 * on a copy (copyOf). Every Cloak run costs a Node start-up, so sharing keeps this file fast.
 */
interface Shared {
  dir: string;
  alice: AgeKeyPair;
  yaml: string;
  json: string;
  dotenv: string;
  ini: string;
  binary: string;
  envYaml: string;
}

let shared: Promise<Shared> | undefined;

function fixtures(): Promise<Shared> {
  shared ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cloak-test-sops-'));
    const alice = await ageKeygen(dir, 'alice');
    const age = ['--age', alice.recipient];
    const [yaml, json, dotenv, ini, binary, envYaml] = await Promise.all([
      encryptedFile(dir, 'shared.yaml', YAML_TEXT, age),
      encryptedFile(dir, 'shared.json', JSON_TEXT, age),
      encryptedFile(dir, 'shared.env', DOTENV_TEXT, age),
      encryptedFile(dir, 'shared.ini', INI_TEXT, age),
      encryptedFile(dir, 'shared.bin', BINARY, age),
      encryptedFile(dir, 'shared-env.yaml', ENV_YAML, age),
    ]);
    return { dir, alice, yaml, json, dotenv, ini, binary, envYaml };
  })();
  return shared;
}

after(async () => {
  const made = await shared?.catch(() => undefined);
  if (made) await rm(made.dir, { recursive: true, force: true });
});

/** A private copy of a shared encrypted file, in the test's own temporary directory. */
async function copyOf(t: TestContext, file: string): Promise<{ dir: string; path: string }> {
  const dir = await tempDir(t);
  const path = join(dir, basename(file).replace(/^shared/, 'copy'));
  await copyFile(file, path);
  return { dir, path };
}

// ---------------------------------------------------------------------------------------------------------

describe('encrypt and decrypt round trips', { concurrency: CONCURRENCY }, () => {
  for (const format of FORMATS) {
    test(`${format.name}, age and PGP: each identity alone decrypts to the input's bytes`, async (t) => {
      const dir = await tempDir(t);
      const alice = await ageKeygen(dir, 'alice');
      const plain = await writeTemp(dir, format.file, format.content);
      // The age recipient comes from SOPS_AGE_RECIPIENTS, the PGP key from --pgp.
      const encrypt = await sops(['encrypt', '--pgp', SOPS_TEST_PGP_FP, plain], {
        env: { ...PGP_ENV, SOPS_AGE_RECIPIENTS: alice.recipient },
      });
      assertOk(encrypt);
      assert.doesNotMatch(encrypt.stdout, /s3cr3t/);
      assert.match(encrypt.stdout, /ENC\[AES256_GCM,data:/);
      assert.equal(encrypt.stdout.split('BEGIN AGE ENCRYPTED FILE').length, 2, 'one age stanza');
      assert.equal(encrypt.stdout.split('BEGIN PGP MESSAGE').length, 2, 'one PGP stanza');
      const encrypted = await writeTemp(dir, `enc-${format.file}`, encrypt.stdoutBytes);
      const [withAge, withPgp] = await Promise.all([
        sops(['decrypt', encrypted], { env: { SOPS_AGE_KEY_FILE: alice.file } }),
        sops(['decrypt', encrypted], { env: PGP_ENV }),
      ]);
      for (const decrypt of [withAge, withPgp]) {
        assertOk(decrypt);
        assert.ok(
          decrypt.stdoutBytes.equals(Buffer.from(format.content)),
          `decrypted:\n${decrypt.stdout}\nexpected:\n${format.content.toString()}`,
        );
        assert.equal(decrypt.stderr, '');
      }
    });
  }

  test('YAML: every scalar type is recorded, _unencrypted keys stay clear, comments are encrypted', async () => {
    const text = await readFile((await fixtures()).yaml, 'utf8');
    for (const [key, type] of [
      ['host', 'str'],
      ['port', 'int'],
      ['ratio', 'float'],
      ['enabled', 'bool'],
      ['created', 'time'],
      ['weight', 'float'],
      ['multi', 'str'],
    ]) {
      const value = `${key}: ENC\\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:${type}\\]`;
      assert.match(text, new RegExp(`^ *(- )?${value}$`, 'm'));
    }
    assert.match(text, /^ {4}- ENC\[AES256_GCM,.*type:str\]$/m);
    assert.match(text, /^ {6}- ENC\[AES256_GCM,.*type:bool\]$/m);
    assert.match(text, /^#ENC\[AES256_GCM,.*type:comment\]$/m);
    assert.match(text, /^ {4}#ENC\[AES256_GCM,.*type:comment\]$/m);
    assert.doesNotMatch(text, /Database settings|the password/);
    assert.match(text, /^plain_unencrypted: visible$/m);
    assert.match(text, /^nested_unencrypted:\n {4}deep: also visible$/m);
    assert.match(text, /^empty: ""$/m);
    assert.match(text, /^nothing: null$/m);
    assert.match(text, /^ {4}unencrypted_suffix: _unencrypted$/m);
    assert.match(text, /^ {4}version: 3\.13\.2$/m);
  });

  test('YAML indented by 2 comes back re-indented by 4, with the same content', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const path = await encryptedFile(dir, 'two.yaml', YAML_TWO_SPACES, ['--age', alice.recipient]);
    const decrypt = await sops(['decrypt', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.deepEqual(parse(decrypt.stdout), parse(YAML_TWO_SPACES));
    assert.equal(decrypt.stdout, YAML_TEXT);
  });

  test('-i encrypts and decrypts in place; --output writes a file and nothing to stdout', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const path = await writeTemp(dir, 'inplace.json', JSON_TEXT);
    const encrypt = await sops(['encrypt', '-i', '--age', alice.recipient, path]);
    assertOk(encrypt);
    assert.equal(encrypt.stdout, '');
    assert.match(await readFile(path, 'utf8'), /"password": "ENC\[/);
    const decrypt = await sops(['decrypt', '-i', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.equal(decrypt.stdout, '');
    assert.equal(await readFile(path, 'utf8'), JSON_TEXT);

    const out = join(dir, 'out.enc.yaml');
    const plain = await writeTemp(dir, 'plain.yaml', YAML_TEXT);
    const toFile = await sops(['encrypt', '--age', alice.recipient, '--output', out, plain]);
    assertOk(toFile);
    assert.equal(toFile.stdout, '');
    assert.equal(await readFile(plain, 'utf8'), YAML_TEXT, 'the input is left alone');
    const back = join(dir, 'back.yaml');
    const [decrypted, both] = await Promise.all([
      sops(['decrypt', '--output', back, out], { env: ageEnv(alice) }),
      sops(['decrypt', '-i', '--output', join(dir, 'never.yaml'), out], { env: ageEnv(alice) }),
    ]);
    assertOk(decrypted);
    assert.equal(decrypted.stdout, '');
    assert.equal(await readFile(back, 'utf8'), YAML_TEXT);
    assertOneLineError(both, /--in-place and --output/);
    assert.equal(existsSync(join(dir, 'never.yaml')), false);
  });

  test('--input-type and --output-type override the extension', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    // YAML content in a .txt file (binary by its extension), encrypted into JSON.
    const path = await writeTemp(dir, 'config.txt', YAML_TEXT);
    const encrypt = await sops(
      ['encrypt', '--age', alice.recipient, '--input-type', 'yaml', '--output-type', 'json', path],
      {},
    );
    assertOk(encrypt);
    const json = JSON.parse(encrypt.stdout) as { database: { password: string } };
    assert.match(json.database.password, /^ENC\[AES256_GCM,.*type:str\]$/);
    const encrypted = await writeTemp(dir, 'config.enc.txt', encrypt.stdoutBytes);

    const [asYaml, asJson] = await Promise.all([
      sops(['decrypt', '--input-type', 'json', '--output-type', 'yaml', encrypted], { env: ageEnv(alice) }),
      sops(['decrypt', '--input-type', 'json', encrypted], { env: ageEnv(alice) }),
    ]);
    assertOk(asYaml);
    // Comments do not survive JSON; everything else does.
    assert.deepEqual(parse(asYaml.stdout), parse(YAML_TEXT));
    assert.match(asYaml.stdout, /^database:\n {4}host: db\.example\.com\n/);
    assertOk(asJson);
    assert.deepEqual(JSON.parse(asJson.stdout), parse(YAML_TEXT));
    assert.match(asJson.stdout, /^\{\n\t"database": \{\n\t\t"host": "db\.example\.com",/);
  });

  test("stdin as '-' with --filename-override: the override decides the format and the creation rule", async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    await writeTemp(
      dir,
      '.sops.yaml',
      `creation_rules:\n  - path_regex: prod/.*\\.yaml$\n    age: ${bob.recipient}\n  - age: ${alice.recipient}\n`,
    );
    const [encrypt, json] = await Promise.all([
      sops(['encrypt', '--filename-override', 'prod/app.yaml', '-'], { cwd: dir, input: YAML_TEXT }),
      sops(['encrypt', '--input-type', 'json', '-'], { cwd: dir, input: JSON_TEXT }),
    ]);
    assertOk(encrypt);
    assert.deepEqual(ageRecipients(yamlDoc(encrypt.stdout)), [bob.recipient]);
    assert.match(encrypt.stdout, /^ {4}password: ENC\[/m);
    assertOk(json);
    assert.deepEqual(ageRecipients(JSON.parse(json.stdout) as Doc), [alice.recipient]);

    const [decrypt, jsonBack] = await Promise.all([
      sops(['decrypt', '--filename-override', 'prod/app.yaml', '-'], {
        cwd: dir,
        input: encrypt.stdout,
        env: ageEnv(bob),
      }),
      sops(['decrypt', '--input-type', 'json', '-'], { cwd: dir, input: json.stdout, env: ageEnv(alice) }),
    ]);
    assertOk(decrypt);
    assert.equal(decrypt.stdout, YAML_TEXT);
    assertOk(jsonBack);
    assert.equal(jsonBack.stdout, JSON_TEXT);
  });
});

describe(
  'what Cloak writes opens with the real age and gpg and an independent reader',
  { concurrency: CONCURRENCY },
  () => {
    test('age: `age -d -i` gives the 32-byte data key; values and the MAC check out independently', async () => {
      const { alice, yaml } = await fixtures();
      const text = await readFile(yaml, 'utf8');
      const doc = yamlDoc(text);
      const enc = doc.sops.age?.[0]?.enc ?? '';
      assert.match(enc, /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/);
      const dataKey = ageDataKey(enc, alice.file);
      assert.equal(dataKey.length, 32);

      const database = doc['database'] as Record<string, string>;
      const password = openEncValue(database['password'] ?? '', dataKey, 'database:password:');
      assert.deepEqual([password.type, password.bytes.toString()], ['str', 's3cr3t']);
      const port = openEncValue(database['port'] ?? '', dataKey, 'database:port:');
      assert.deepEqual([port.type, port.bytes.toString()], ['int', '5432']);
      const enabled = openEncValue(database['enabled'] ?? '', dataKey, 'database:enabled:');
      assert.deepEqual([enabled.type, enabled.bytes.toString()], ['bool', 'True']);
      const servers = doc['servers'] as unknown[];
      const first = openEncValue(servers[0] as string, dataKey, 'servers:');
      assert.equal(first.bytes.toString(), 'alpha', 'list items use the list key path, without an index');
      const weight = openEncValue(
        (servers[2] as Record<string, string>)['weight'] ?? '',
        dataKey,
        'servers:weight:',
      );
      assert.equal(weight.bytes.toString(), '1.5');
      const comment = /^#(ENC\[.*\])$/m.exec(text)?.[1] ?? '';
      assert.equal(openEncValue(comment, dataKey, ':').bytes.toString(), ' Database settings');

      const independent = openDocumentIndependently(doc, dataKey, doc.sops);
      assert.ok(independent.macOk, 'the MAC recomputed independently matches');
      assert.deepEqual(independent.plaintexts.get('plain_unencrypted'), ['visible']);
    });

    test('PGP: `gpg --decrypt` in an isolated GNUPGHOME gives the 32-byte data key; a value opens with it', async (t) => {
      const dir = await tempDir(t);
      const gnupg = await isolatedGnupg(t);
      const plain = await writeTemp(dir, 'p.json', JSON_TEXT);
      const result = await sops(['encrypt', '--pgp', SOPS_TEST_PGP_FP, plain], { env: PGP_ENV });
      assertOk(result);
      const doc = JSON.parse(result.stdout) as Doc;
      const pgp = doc.sops.pgp?.[0];
      assert.equal(pgp?.fp, SOPS_TEST_PGP_FP);
      assert.match(pgp?.enc ?? '', /^-----BEGIN PGP MESSAGE-----\n\n[\s\S]+-----END PGP MESSAGE-----$/);
      const dataKey = await gnupg.decrypt(pgp?.enc ?? '');
      assert.equal(dataKey.length, 32);
      const db = doc['db'] as Record<string, string>;
      assert.equal(openEncValue(db['password'] ?? '', dataKey, 'db:password:').bytes.toString(), 's3cr3t');
      const tags = doc['tags'] as string[];
      assert.equal(openEncValue(tags[1] ?? '', dataKey, 'tags:').type, 'int');
      assert.ok(openDocumentIndependently(doc, dataKey, doc.sops).macOk);
    });

    test('PGP through the gpg program when no key file has the key (isolated GNUPGHOME)', async (t) => {
      const dir = await tempDir(t);
      const gnupg = await isolatedGnupg(t);
      const path = await writeTemp(dir, 'g.yaml', YAML_TEXT);
      assertOk(await sops(['encrypt', '-i', '--pgp', SOPS_TEST_PGP_FP, path], { env: gnupg.env }));
      const enc = yamlDoc(await readFile(path, 'utf8')).sops.pgp?.[0]?.enc ?? '';
      assert.equal((await gnupg.decrypt(enc)).length, 32);
      const decrypt = await sops(['decrypt', path], { env: gnupg.env });
      assertOk(decrypt);
      assert.equal(decrypt.stdout, YAML_TEXT);
    });
  },
);

describe('--extract', { concurrency: CONCURRENCY }, () => {
  test('a string prints raw without a newline; a subtree prints in the output format', async () => {
    const { alice, yaml, json } = await fixtures();
    const env = ageEnv(alice);
    const [text, multi, subtree, listItem, number, jsonSubtree, missing] = await Promise.all([
      sops(['decrypt', '--extract', '["database"]["password"]', yaml], { env }),
      sops(['decrypt', '--extract', '["multi"]', yaml], { env }),
      sops(['decrypt', '--extract', '["database"]', yaml], { env }),
      sops(['decrypt', '--extract', '["servers"][2]["name"]', yaml], { env }),
      sops(['decrypt', '--extract', '["database"]["port"]', yaml], { env }),
      sops(['decrypt', '--extract', '["db"]', json], { env }),
      sops(['decrypt', '--extract', '["database"]["nope"]', yaml], { env }),
    ]);
    for (const result of [text, multi, subtree, listItem, number, jsonSubtree]) assertOk(result);
    assert.equal(text.stdout, 's3cr3t');
    assert.equal(multi.stdout, 'first line\nsecond line\n');
    assert.equal(
      subtree.stdout,
      'host: db.example.com\nport: 5432\nratio: 0.75\nenabled: true\n# the password\npassword: s3cr3t\ncreated: 2024-05-06T07:08:09Z\n',
    );
    assert.equal(listItem.stdout, 'beta');
    assert.equal(number.stdout, '5432\n');
    // A map prints as a whole file would (sops' EmitPlainFile), so with the final newline.
    assert.equal(jsonSubtree.stdout, '{\n\t"user": "admin",\n\t"password": "s3cr3t"\n}\n');
    assertOneLineError(missing, /nope/);
  });

  test('JSON lists and numbers print as sops prints them (EmitValue: json.Indent, no trailing newline)', async () => {
    const { alice, json } = await fixtures();
    const [list, number] = await Promise.all([
      sops(['decrypt', '--extract', '["tags"]', json], { env: ageEnv(alice) }),
      sops(['decrypt', '--extract', '["port"]', json], { env: ageEnv(alice) }),
    ]);
    assert.equal(list.stdout, '[\n\t"a",\n\t1\n]');
    assert.equal(number.stdout, '8080');
  });
});

describe('.sops.yaml', { concurrency: CONCURRENCY }, () => {
  test('found from a subdirectory upward; the first matching creation rule wins', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    await writeTemp(
      dir,
      '.sops.yaml',
      [
        'creation_rules:',
        '  - path_regex: team-a/.*\\.yaml$',
        `    age: ${bob.recipient}`,
        '  - path_regex: \\.yaml$',
        `    age: ${alice.recipient}`,
        '',
      ].join('\n'),
    );
    const deep = join(dir, 'team-a', 'deep');
    const other = join(dir, 'other');
    await mkdir(deep, { recursive: true });
    await mkdir(other, { recursive: true });
    await writeTemp(deep, 's.yaml', YAML_TEXT);
    await writeTemp(other, 's.yaml', YAML_TEXT);
    await writeTemp(other, 's.json', JSON_TEXT);

    const [inTeam, inOther, unmatched] = await Promise.all([
      sops(['encrypt', 's.yaml'], { cwd: deep }),
      sops(['encrypt', 's.yaml'], { cwd: other }),
      sops(['encrypt', 's.json'], { cwd: other }),
    ]);
    assertOk(inTeam);
    assertOk(inOther);
    // Both rules match team-a/deep/s.yaml: the first one decides.
    assert.deepEqual(ageRecipients(yamlDoc(inTeam.stdout)), [bob.recipient]);
    assert.deepEqual(ageRecipients(yamlDoc(inOther.stdout)), [alice.recipient]);
    assertOneLineError(unmatched, /\.sops\.yaml: no creation rule matches s\.json/);
  });

  test('encrypted_regex ^(data|stringData)$ on a Kubernetes Secret encrypts only those values', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    await writeTemp(
      dir,
      '.sops.yaml',
      `creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${alice.recipient}\n`,
    );
    const path = await writeTemp(dir, 'secret.yaml', SECRET_MANIFEST);
    assertOk(await sops(['encrypt', '-i', 'secret.yaml'], { cwd: dir }));
    const text = await readFile(path, 'utf8');
    const doc = yamlDoc(text);
    assert.equal(doc['apiVersion'], 'v1');
    assert.equal(doc['kind'], 'Secret');
    assert.equal(doc['type'], 'Opaque');
    assert.deepEqual(doc['metadata'], { name: 'db-credentials', namespace: 'prod', labels: { app: 'db' } });
    const data = doc['data'] as Record<string, string>;
    const stringData = doc['stringData'] as Record<string, string>;
    for (const value of [data['password'], stringData['username'], stringData['port']]) {
      assert.match(value ?? '', /^ENC\[AES256_GCM,.*type:str\]$/);
    }
    assert.equal(doc.sops.encrypted_regex, '^(data|stringData)$');
    assert.equal(encValues(text).length, 4, 'three values and the MAC');

    const decrypt = await sops(['decrypt', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.equal(decrypt.stdout, SECRET_MANIFEST);
  });

  test('key_groups with shamir_threshold 2: both groups are needed to decrypt', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    await writeTemp(
      dir,
      '.sops.yaml',
      [
        'creation_rules:',
        '  - shamir_threshold: 2',
        '    key_groups:',
        '      - age:',
        `          - ${alice.recipient}`,
        '      - age:',
        `          - ${bob.recipient}`,
        '',
      ].join('\n'),
    );
    const path = await writeTemp(dir, 'groups.yaml', YAML_TEXT);
    assertOk(await sops(['encrypt', '-i', 'groups.yaml'], { cwd: dir }));
    const doc = yamlDoc(await readFile(path, 'utf8'));
    assert.equal(doc.sops.shamir_threshold, 2);
    assert.deepEqual(
      doc.sops.key_groups?.map((group) => group.age?.map((entry) => entry.recipient)),
      [[alice.recipient], [bob.recipient]],
    );
    assert.equal(doc.sops.age, undefined, 'several groups are written under key_groups only');
    const before = await snapshot(path);
    const [both, aliceOnly, bobOnly, bothInPlace] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice, bob) }),
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', path], { env: { SOPS_AGE_KEY_FILE: bob.file } }),
      sops(['decrypt', '-i', path], { env: ageEnv(bob) }),
    ]);
    assertOk(both);
    assert.equal(both.stdout, YAML_TEXT);
    assertOneLineError(aliceOnly, /1 of the 2 key groups/);
    assertOneLineError(bobOnly, /1 of the 2 key groups/);
    assertOneLineError(bothInPlace);
    await assertUntouched(before);
  });

  test('--config and SOPS_CONFIG name a config file that discovery would not find', async (t) => {
    const dir = await tempDir(t);
    const bob = await ageKeygen(dir, 'bob');
    const config = await writeTemp(dir, 'custom-sops.yaml', `creation_rules:\n  - age: ${bob.recipient}\n`);
    const work = join(dir, 'work');
    await mkdir(work);
    await writeTemp(work, 'c.yaml', YAML_TEXT);
    const [withFlag, withEnv, without] = await Promise.all([
      sops(['encrypt', '--config', config, 'c.yaml'], { cwd: work }),
      sops(['encrypt', 'c.yaml'], { cwd: work, env: { SOPS_CONFIG: config } }),
      sops(['encrypt', 'c.yaml'], { cwd: work }),
    ]);
    assertOk(withFlag);
    assertOk(withEnv);
    assert.deepEqual(ageRecipients(yamlDoc(withFlag.stdout)), [bob.recipient]);
    assert.deepEqual(ageRecipients(yamlDoc(withEnv.stdout)), [bob.recipient]);
    assertOneLineError(without, /no master keys/);
  });

  test('a rule with an empty key group: one-line error naming the config file, nothing written', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const config = await writeTemp(
      dir,
      '.sops.yaml',
      `creation_rules:\n  - key_groups:\n      - age:\n          - ${alice.recipient}\n      - age: []\n`,
    );
    const path = await writeTemp(dir, 'e.yaml', YAML_TEXT);
    const before = await snapshot(path);
    const out = join(dir, 'out.yaml');
    const [inPlace, toFile] = await Promise.all([
      sops(['encrypt', '-i', 'e.yaml'], { cwd: dir }),
      sops(['encrypt', '--output', out, 'e.yaml'], { cwd: dir }),
    ]);
    const named = new RegExp(`${escapeRegExp(config)}: .*empty key group`);
    assertOneLineError(inPlace, named);
    assertOneLineError(toFile, named);
    await assertUntouched(before);
    assert.equal(existsSync(out), false);
  });
});

describe('updatekeys and rotate', { concurrency: CONCURRENCY }, () => {
  test('updatekeys adds a recipient, keeps every value; updatekeys + rotate remove one for good', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    const config = join(dir, '.sops.yaml');
    await writeFile(config, `creation_rules:\n  - age: ${alice.recipient}\n`);
    const path = await writeTemp(dir, 'team.yaml', YAML_TEXT);
    assertOk(await sops(['encrypt', '-i', 'team.yaml'], { cwd: dir }));
    const original = await readFile(path, 'utf8');
    assertOneLineError(await sops(['decrypt', path], { env: ageEnv(bob) }));

    await writeFile(config, `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n`);
    const add = await sops(['updatekeys', '-y', 'team.yaml'], { cwd: dir, env: ageEnv(alice) });
    assertOk(add);
    const added = await readFile(path, 'utf8');
    assert.deepEqual(ageRecipients(yamlDoc(added)), [alice.recipient, bob.recipient].sort());
    assert.deepEqual(encValues(added), encValues(original), 'values and the MAC keep their ciphertext');
    assert.ok(dataKeyOf(added, bob).equals(dataKeyOf(original, alice)), 'the same data key, wrapped for bob');
    const asBob = await sops(['decrypt', path], { env: ageEnv(bob) });
    assertOk(asBob);
    assert.equal(asBob.stdout, YAML_TEXT);

    await writeFile(config, `creation_rules:\n  - age: ${bob.recipient}\n`);
    assertOk(await sops(['updatekeys', '-y', 'team.yaml'], { cwd: dir, env: ageEnv(bob) }));
    assertOk(await sops(['rotate', '-i', 'team.yaml'], { cwd: dir, env: ageEnv(bob) }));
    const rotated = await readFile(path, 'utf8');
    assert.deepEqual(ageRecipients(yamlDoc(rotated)), [bob.recipient]);
    assert.ok(!dataKeyOf(rotated, bob).equals(dataKeyOf(original, alice)), 'the data key alice knew is gone');
    const [asAlice, stillBob] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', path], { env: ageEnv(bob) }),
    ]);
    assertOneLineError(asAlice, new RegExp(bob.recipient));
    assertOk(stillBob);
    assert.equal(stillBob.stdout, YAML_TEXT);
  });

  test('updatekeys without -y asks; answering "n" changes nothing', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    await writeTemp(dir, '.sops.yaml', `creation_rules:\n  - age: ${alice.recipient}\n`);
    const path = await writeTemp(dir, 'ask.yaml', YAML_TEXT);
    assertOk(await sops(['encrypt', '-i', 'ask.yaml'], { cwd: dir }));
    await writeTemp(dir, '.sops.yaml', `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n`);
    const before = await snapshot(path);
    const result = await sops(['updatekeys', 'ask.yaml'], { cwd: dir, env: ageEnv(alice), input: 'n\n' });
    assertOk(result);
    assert.match(result.stderr, /\(y\/n\)/);
    assert.match(result.stderr, new RegExp(bob.recipient));
    await assertUntouched(before);
  });

  test('updatekeys of two files reads one answer per file from stdin', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob] = await Promise.all([ageKeygen(dir, 'alice'), ageKeygen(dir, 'bob')]);
    await writeTemp(dir, '.sops.yaml', `creation_rules:\n  - age: ${alice.recipient}\n`);
    await writeTemp(dir, 'one.yaml', YAML_TEXT);
    await writeTemp(dir, 'two.yaml', YAML_TEXT);
    assertOk(await sops(['encrypt', '-i', 'one.yaml'], { cwd: dir }));
    assertOk(await sops(['encrypt', '-i', 'two.yaml'], { cwd: dir }));
    await writeTemp(dir, '.sops.yaml', `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n`);
    const result = await sops(['updatekeys', 'one.yaml', 'two.yaml'], {
      cwd: dir,
      env: ageEnv(alice),
      input: 'y\ny\n',
    });
    assertOk(result);
    for (const name of ['one.yaml', 'two.yaml']) {
      const doc = yamlDoc(await readFile(join(dir, name), 'utf8'));
      assert.deepEqual(ageRecipients(doc), [alice.recipient, bob.recipient].sort(), name);
    }
  });

  test('rotate -i changes every ciphertext and the data key', async (t) => {
    const { alice, yaml } = await fixtures();
    const { path } = await copyOf(t, yaml);
    const before = await readFile(path, 'utf8');
    const rotate = await sops(['rotate', '-i', path], { env: ageEnv(alice) });
    assertOk(rotate);
    assert.equal(rotate.stdout, '');
    const after = await readFile(path, 'utf8');
    const [old, fresh] = [encValues(before), encValues(after)];
    assert.equal(fresh.length, old.length);
    assert.ok(old.length > 10);
    for (const value of fresh) assert.ok(!old.includes(value), `unchanged ciphertext ${value}`);
    assert.ok(!dataKeyOf(after, alice).equals(dataKeyOf(before, alice)), 'a new data key');
    const decrypt = await sops(['decrypt', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.equal(decrypt.stdout, YAML_TEXT);
  });

  test('rotate --add-age and --rm-age', async (t) => {
    const { alice, json } = await fixtures();
    const { dir, path } = await copyOf(t, json);
    const bob = await ageKeygen(dir, 'bob');
    assertOk(await sops(['rotate', '-i', '--add-age', bob.recipient, path], { env: ageEnv(alice) }));
    const both = JSON.parse(await readFile(path, 'utf8')) as Doc;
    assert.deepEqual(ageRecipients(both), [alice.recipient, bob.recipient].sort());
    const asBob = await sops(['decrypt', path], { env: ageEnv(bob) });
    assertOk(asBob);
    assert.equal(asBob.stdout, JSON_TEXT);

    assertOk(await sops(['rotate', '-i', '--rm-age', alice.recipient, path], { env: ageEnv(bob) }));
    const onlyBob = JSON.parse(await readFile(path, 'utf8')) as Doc;
    assert.deepEqual(ageRecipients(onlyBob), [bob.recipient]);
    const [asAlice, stillBob] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', path], { env: ageEnv(bob) }),
    ]);
    assertOneLineError(asAlice, new RegExp(bob.recipient));
    assertOk(stillBob);
  });
});

describe('set and unset', { concurrency: CONCURRENCY }, () => {
  test('set a string, a number, an object and a value from stdin; untouched values keep their ciphertext', async (t) => {
    const { alice, yaml } = await fixtures();
    const env = ageEnv(alice);
    const { path } = await copyOf(t, yaml);
    const original = await readFile(path, 'utf8');

    assertOk(await sops(['set', path, '["database"]["password"]', '"n3w-pass"'], { env }));
    const afterString = await readFile(path, 'utf8');
    // Only the value set and the MAC change: unchanged values and comments are re-sealed with their IVs.
    assert.deepEqual(changedKeys(original, afterString), ['mac', 'password']);

    assertOk(await sops(['set', path, '["database"]["port"]', '6543'], { env }));
    assertOk(await sops(['set', path, '["extra"]', '{"a": {"b": [1, "two"]}, "c": true}'], { env }));
    assertOk(await sops(['set', '--value-stdin', path, '["from_stdin"]'], { env, input: '"piped"\n' }));
    const final = await readFile(path, 'utf8');
    assertCiphertextsKept(afterString, final, ['port', 'mac']);
    assert.match(final, /^ {4}port: ENC\[.*type:int\]$/m);
    assert.match(final, /^ {4}c: ENC\[.*type:bool\]$/m);
    const decrypt = await sops(['decrypt', path], { env });
    assertOk(decrypt);
    const doc = parse(decrypt.stdout) as Record<string, Record<string, unknown>>;
    assert.equal(doc['database']?.['password'], 'n3w-pass');
    assert.equal(doc['database']?.['port'], 6543);
    assert.deepEqual(doc['extra'], { a: { b: [1, 'two'] }, c: true });
    assert.equal(doc['from_stdin'], 'piped');
    assert.equal(doc['plain_unencrypted'], 'visible');
  });

  test('set --idempotent writes nothing when the value is already there', async (t) => {
    const { alice, json } = await fixtures();
    const env = ageEnv(alice);
    const { path } = await copyOf(t, json);
    const before = await snapshot(path);
    const [same, sameNumber, sameObject] = await Promise.all([
      sops(['set', '--idempotent', path, '["db"]["password"]', '"s3cr3t"'], { env }),
      sops(['set', '--idempotent', path, '["port"]', '8080'], { env }),
      sops(['set', '--idempotent', path, '["db"]', '{"user": "admin", "password": "s3cr3t"}'], { env }),
    ]);
    for (const result of [same, sameNumber, sameObject]) {
      assertOk(result);
      assert.equal(result.stderr, '');
    }
    await assertUntouched(before);
    assertOk(await sops(['set', '--idempotent', path, '["port"]', '8081'], { env }));
    const changed = await readFile(path, 'utf8');
    assert.deepEqual(changedKeys(before.bytes.toString(), changed), ['"mac"', '"port"']);
  });

  test('unset removes a key; a missing path fails, or succeeds silently with --idempotent', async (t) => {
    const { alice, yaml } = await fixtures();
    const env = ageEnv(alice);
    const { path } = await copyOf(t, yaml);
    const original = await readFile(path, 'utf8');
    assertOk(await sops(['unset', path, '["database"]["host"]'], { env }));
    const after = await readFile(path, 'utf8');
    assert.doesNotMatch(after, /^ {4}host:/m);
    assertCiphertextsKept(original, after, ['host', 'mac']);

    const before = await snapshot(path);
    const [extract, missing, idempotent] = await Promise.all([
      sops(['decrypt', '--extract', '["database"]["host"]', path], { env }),
      sops(['unset', path, '["database"]["nope"]'], { env }),
      sops(['unset', '--idempotent', path, '["database"]["nope"]'], { env }),
    ]);
    assertOneLineError(extract, /not found/);
    assertOneLineError(missing, /nope/);
    assertOk(idempotent);
    assert.equal(idempotent.stderr, '');
    assert.equal(idempotent.stdout, '');
    await assertUntouched(before);
  });
});

describe('exec-env, exec-file and filestatus', { concurrency: CONCURRENCY }, () => {
  test('exec-env puts top-level values in the environment; --pristine drops the rest', async () => {
    const { alice, envYaml } = await fixtures();
    const env = { ...ageEnv(alice), OUTSIDE: 'kept' };
    const command = 'printf "%s|%s|%s|%s|%s" "$FOO" "$NUM" "$FLAG" "$OUTSIDE" "$SOPS_AGE_KEY"';
    const [normal, pristine] = await Promise.all([
      sops(['exec-env', envYaml, command], { env }),
      sops(['exec-env', '--pristine', envYaml, command], { env }),
    ]);
    assertOk(normal);
    assert.equal(normal.stdout, `bar|42|true|kept|${alice.identity}`);
    assertOk(pristine);
    assert.equal(pristine.stdout, 'bar|42|true||');
  });

  test('exec-env refuses nested values without running the command', async (t) => {
    const { alice, yaml } = await fixtures();
    const marker = join(await tempDir(t), 'ran');
    const result = await sops(['exec-env', yaml, `touch ${marker}`], { env: ageEnv(alice) });
    assertOneLineError(result, /"database" is not a single value/);
    assert.equal(existsSync(marker), false);
  });

  test("exec-env exits with the command's exit status", async () => {
    const { alice, envYaml } = await fixtures();
    const result = await sops(['exec-env', envYaml, 'exit 7'], { env: ageEnv(alice) });
    assert.equal(result.code, 7);
  });

  for (const fifo of [true, false]) {
    test(`exec-file${fifo ? '' : ' --no-fifo'} hands the plaintext over at {} and removes it afterwards`, async () => {
      const { alice, yaml } = await fixtures();
      const check = fifo ? 'test -p {}' : 'test -f {}';
      const result = await sops(
        ['exec-file', ...(fifo ? [] : ['--no-fifo']), yaml, `echo {}; ${check} && cat {}`],
        {
          env: ageEnv(alice),
        },
      );
      assertOk(result);
      const [where = '', ...rest] = lines(result.stdout);
      assert.equal(rest.join('\n'), YAML_TEXT);
      assert.match(where, /\/tmp-file$/);
      assert.equal(existsSync(dirname(where)), false, 'the temporary directory is gone');
    });
  }

  test('exec-file does not hang when the command never reads {}', { timeout: 20_000 }, async () => {
    const { alice, yaml } = await fixtures();
    const result = await sops(['exec-file', yaml, 'echo {}'], { env: ageEnv(alice) });
    assertOk(result);
    assert.equal(existsSync(dirname(result.stdout.trim())), false);
  });

  test("exec-file exits with the command's exit status", async () => {
    const { alice, yaml } = await fixtures();
    const [withFifo, withFile] = await Promise.all([
      sops(['exec-file', yaml, 'cat {} > /dev/null; exit 3'], { env: ageEnv(alice) }),
      sops(['exec-file', '--no-fifo', yaml, 'exit 4'], { env: ageEnv(alice) }),
    ]);
    assert.equal(withFifo.code, 3);
    assert.equal(withFile.code, 4);
  });

  test('exec-file survives a command that reads only the start of a large plaintext', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const path = await encryptedFile(dir, 'big.txt', Buffer.alloc(400_000, 'x'), ['--age', alice.recipient]);
    const result = await sops(['exec-file', path, 'echo {}; head -c 10 {} > /dev/null; sleep 0.5'], {
      env: ageEnv(alice),
    });
    // A crash skips Cloak's own clean-up: remove what it left behind.
    const left = dirname(result.stdout.trim());
    if (/\/cloak-sops-exec-[^/]+$/.test(left)) t.after(() => rm(left, { recursive: true, force: true }));
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(existsSync(dirname(result.stdout.trim())), false);
  });

  test('filestatus', async (t) => {
    const { yaml, json, dotenv, ini, binary } = await fixtures();
    const dir = await tempDir(t);
    const plain = await Promise.all([
      writeTemp(dir, 'p.yaml', YAML_TEXT),
      writeTemp(dir, 'p.json', JSON_TEXT),
    ]);
    const results = await Promise.all(
      [yaml, json, dotenv, ini, binary, ...plain].map((file) => sops(['filestatus', file])),
    );
    assert.deepEqual(
      results.map((result) => [result.code, result.stdout]),
      [
        ...Array.from({ length: 5 }, () => [0, '{"encrypted":true}\n']),
        [0, '{"encrypted":false}\n'],
        [0, '{"encrypted":false}\n'],
      ],
    );
  });
});

describe('edit', { concurrency: CONCURRENCY }, () => {
  async function setup(t: TestContext): Promise<{ dir: string; path: string; env: NodeJS.ProcessEnv }> {
    const { alice, yaml } = await fixtures();
    const { dir, path } = await copyOf(t, yaml);
    return { dir, path, env: ageEnv(alice) };
  }

  test('an editor that changes nothing: the file is not rewritten', async (t) => {
    const { dir, path, env } = await setup(t);
    const editor = await executable(dir, 'noop.sh', 'exit 0\n');
    const before = await snapshot(path);
    assertOk(await sops(['edit', path], { env: { ...env, SOPS_EDITOR: editor } }));
    await assertUntouched(before);
  });

  test('a changed value: only its ciphertext, the MAC and lastmodified change', async (t) => {
    const { dir, path, env } = await setup(t);
    const editor = await executable(
      dir,
      'change.sh',
      'sed -i "s/^    password: s3cr3t$/    password: changed/" "$1"\n',
    );
    const before = await readFile(path, 'utf8');
    assertOk(await sops(['edit', path], { env: { ...env, SOPS_EDITOR: editor } }));
    const after = await readFile(path, 'utf8');
    // Comments and the other values keep their ciphertext.
    assert.deepEqual(changedKeys(before, after), ['mac', 'password']);
    const extract = await sops(['decrypt', '--extract', '["database"]["password"]', path], { env });
    assert.equal(extract.stdout, 'changed');
  });

  test('invalid YAML sends the user back to the editor (Enter) and the edit is not lost', async (t) => {
    const { dir, path, env } = await setup(t);
    // First run: change a value and break the file. Second run: repair only the breakage.
    const editor = await executable(
      dir,
      'flaky.sh',
      `count="$(dirname "$0")/count"
if [ ! -f "$count" ]; then
  echo 1 > "$count"
  sed -i "s/^    password: s3cr3t$/    password: kept-edit/" "$1"
  printf 'broken: [\\n' >> "$1"
else
  echo 2 > "$count"
  sed -i '/^broken: \\[$/d' "$1"
fi
`,
    );
    const result = await sops(['edit', path], { env: { ...env, SOPS_EDITOR: editor }, input: '\n' });
    assertOk(result);
    assert.match(result.stderr, /invalid YAML/);
    assert.equal(await readFile(join(dir, 'count'), 'utf8'), '2\n');
    const extract = await sops(['decrypt', '--extract', '["database"]["password"]', path], { env });
    assert.equal(extract.stdout, 'kept-edit');
  });

  test('two invalid saves in a row: each Enter read from stdin returns to the editor', async (t) => {
    const { dir, path, env } = await setup(t);
    const editor = await executable(
      dir,
      'flaky2.sh',
      `count="$(dirname "$0")/count"
n=$(($(cat "$count" 2>/dev/null || echo 0) + 1))
echo $n > "$count"
if [ $n -le 2 ]; then
  printf 'broken: [\\n' >> "$1"
else
  sed -i '/^broken: \\[$/d' "$1"
  sed -i "s/^    password: s3cr3t$/    password: third-try/" "$1"
fi
`,
    );
    const result = await sops(['edit', path], { env: { ...env, SOPS_EDITOR: editor }, input: '\n\n' });
    assertOk(result);
    const extract = await sops(['decrypt', '--extract', '["database"]["password"]', path], { env });
    assert.equal(extract.stdout, 'third-try');
  });

  test('an editor that exits non-zero: one-line error, file unchanged', async (t) => {
    const { dir, path, env } = await setup(t);
    const editor = await executable(dir, 'fail.sh', 'sed -i "s/s3cr3t/lost/" "$1"\nexit 3\n');
    const before = await snapshot(path);
    const result = await sops(['edit', path], { env: { ...env, SOPS_EDITOR: editor } });
    assertOneLineError(result, /editor exited with status 3/);
    await assertUntouched(before);
  });

  test('editing a new file with --age creates it encrypted', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const editor = await executable(dir, 'write.sh', 'printf "token: abc123\\nlist:\\n    - 1\\n" > "$1"\n');
    const path = join(dir, 'new.yaml');
    assertOk(await sops(['edit', '--age', alice.recipient, path], { env: { SOPS_EDITOR: editor } }));
    const text = await readFile(path, 'utf8');
    assert.match(text, /^token: ENC\[AES256_GCM,/m);
    assert.deepEqual(ageRecipients(yamlDoc(text)), [alice.recipient]);
    const decrypt = await sops(['decrypt', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.equal(decrypt.stdout, 'token: abc123\nlist:\n    - 1\n');
  });
});

describe('Kubernetes and Flux', { concurrency: CONCURRENCY }, () => {
  test("encrypted outputs carry Flux's marker strings exactly", async () => {
    const files = await fixtures();
    const [yaml, json, dotenv, ini, binary] = await Promise.all(
      [files.yaml, files.json, files.dotenv, files.ini, files.binary].map((file) => readFile(file, 'utf8')),
    );
    assert.match(yaml ?? '', /^ {4}mac: ENC\[/m);
    assert.ok(json?.includes('"mac": "ENC['));
    assert.match(dotenv ?? '', /^sops_mac=ENC\[/m);
    assert.match(ini ?? '', /^\[sops\]$/m);
    assert.ok(binary?.includes('"mac": "ENC['));
    assert.match(binary ?? '', /^\t"data": "ENC\[/m);
  });

  test('a decrypted Secret manifest is a v1 Secret that kubectl reads without a cluster', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const path = await encryptedFile(dir, 'secret.yaml', SECRET_MANIFEST, [
      '--age',
      alice.recipient,
      '--encrypted-regex',
      '^(data|stringData)$',
    ]);
    const decrypt = await sops(['decrypt', path], { env: ageEnv(alice) });
    assertOk(decrypt);
    const secret = parse(decrypt.stdout) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      data: Record<string, string>;
      stringData: Record<string, string>;
    };
    assert.equal(secret.apiVersion, 'v1');
    assert.equal(secret.kind, 'Secret');
    assert.deepEqual(secret.metadata, { name: 'db-credentials', namespace: 'prod', labels: { app: 'db' } });
    assert.equal(Buffer.from(secret.data['password'] ?? '', 'base64').toString(), 's3cr3t');
    assert.deepEqual(secret.stringData, { username: 'admin', port: '5432' });

    // `kubectl create --dry-run=client` needs API discovery from a server; edits with --local need none.
    const home = await tempDir(t);
    const kubectl = await runTool(
      'kubectl',
      ['annotate', '--local', '-f', '-', '-o', 'json', 'cloak.dev/checked=yes'],
      {
        input: decrypt.stdout,
        env: { PATH: process.env['PATH'], HOME: home, KUBECONFIG: join(home, 'none') },
      },
    ).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!kubectl) {
      t.diagnostic('kubectl is not installed: the manifest was checked with the yaml package only');
      return;
    }
    assert.equal(kubectl.code, 0, kubectl.stderr);
    const read = JSON.parse(kubectl.stdout.toString()) as typeof secret & {
      metadata: { annotations: Record<string, string> };
    };
    assert.equal(read.kind, 'Secret');
    assert.equal(read.metadata.name, 'db-credentials');
    assert.equal(read.metadata.annotations['cloak.dev/checked'], 'yes');
    assert.equal(read.data['password'], 'czNjcjN0');
    assert.deepEqual(read.stringData, { username: 'admin', port: '5432' });
  });
});

describe('bad input: one-line errors, nothing changed', { concurrency: CONCURRENCY }, () => {
  test('no matching identity: the message lists the recipients tried', async (t) => {
    const dir = await tempDir(t);
    const [alice, bob, carol] = await Promise.all([
      ageKeygen(dir, 'alice'),
      ageKeygen(dir, 'bob'),
      ageKeygen(dir, 'carol'),
    ]);
    const path = await encryptedFile(dir, 'n.yaml', YAML_TEXT, [
      '--age',
      `${alice.recipient},${bob.recipient}`,
    ]);
    const before = await snapshot(path);
    const [decrypt, inPlace, none] = await Promise.all([
      sops(['decrypt', path], { env: { SOPS_AGE_KEY_FILE: carol.file } }),
      sops(['decrypt', '-i', path], { env: ageEnv(carol) }),
      sops(['decrypt', path]),
    ]);
    for (const result of [decrypt, inPlace, none]) {
      assertOneLineError(result, /failed to get the data key/);
      assert.match(result.stderr, new RegExp(alice.recipient));
      assert.match(result.stderr, new RegExp(bob.recipient));
      assert.ok(result.stderr.includes(path), 'the message names the file');
    }
    assert.ok(decrypt.stderr.includes(carol.file), 'and where identities were found');
    await assertUntouched(before);
  });

  test('no matching PGP key (gpg has a home, but not the key): the message names the fingerprint', async (t) => {
    const dir = await tempDir(t);
    const gnupg = await isolatedGnupg(t, { withKey: false });
    const path = await encryptedFile(dir, 'p.yaml', YAML_TEXT, ['--pgp', SOPS_TEST_PGP_FP], PGP_ENV);
    const result = await sops(['decrypt', path], { env: gnupg.env });
    assertOneLineError(result, new RegExp(SOPS_TEST_PGP_FP));
  });

  test('gpg failing before it reads the encrypted data key: still a one-line error', async (t) => {
    const dir = await tempDir(t);
    const path = await encryptedFile(dir, 'p.json', JSON_TEXT, ['--pgp', SOPS_TEST_PGP_FP], PGP_ENV);
    // A large (damaged) enc fills the pipe, so the write is still going when gpg gives up (no home dir).
    const doc = JSON.parse(await readFile(path, 'utf8')) as Doc;
    const pgp = doc.sops.pgp?.[0];
    assert.ok(pgp);
    pgp.enc = `-----BEGIN PGP MESSAGE-----\n\n${'A'.repeat(1 << 20)}\n-----END PGP MESSAGE-----`;
    await writeFile(path, JSON.stringify(doc, null, '\t'));
    const result = await sops(['decrypt', path], { env: { HOME: join(dir, 'no-home') } });
    assertOneLineError(result, new RegExp(SOPS_TEST_PGP_FP));
  });

  test('a tampered value fails to decrypt, naming its key path', async (t) => {
    const { alice, yaml } = await fixtures();
    const { path } = await copyOf(t, yaml);
    await writeFile(path, tamperData(await readFile(path, 'utf8'), / {4}password: /));
    const before = await snapshot(path);
    const [decrypt, inPlace] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', '-i', path], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(decrypt, /database\.password/);
    assertOneLineError(inPlace, /database\.password/);
    assert.doesNotMatch(decrypt.stderr, /s3cr3t/);
    await assertUntouched(before);
  });

  test('a tampered or malformed value: the error names the file', async (t) => {
    const { alice, yaml } = await fixtures();
    const { dir, path } = await copyOf(t, yaml);
    const text = await readFile(path, 'utf8');
    await writeFile(path, tamperData(text, / {4}password: /));
    const malformed = await writeTemp(
      dir,
      'malformed.yaml',
      text.replace(/^( {4}host: )ENC\[.*\]$/m, '$1ENC[AES256_GCM,data:@@,iv:AA==,tag:AA==,type:str]'),
    );
    const [tampered, broken] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', malformed], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(tampered, new RegExp(escapeRegExp(path)));
    assertOneLineError(broken, new RegExp(escapeRegExp(malformed)));
  });

  test('a value swapped for another valid value of the file: only the MAC catches it; --ignore-mac opens it', async (t) => {
    const { alice, yaml } = await fixtures();
    const { path } = await copyOf(t, yaml);
    const text = lines(await readFile(path, 'utf8'));
    // The first two items of `servers` share the additional data "servers:", so each opens in the other's place.
    const first = text.findIndex((line) => line.startsWith('    - ENC['));
    const [a = '', b = ''] = [text[first], text[first + 1]];
    assert.ok(b.startsWith('    - ENC['));
    text[first] = b;
    text[first + 1] = a;
    await writeFile(path, text.join('\n'));
    const before = await snapshot(path);
    const [decrypt, inPlace, ignored] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', '-i', path], { env: ageEnv(alice) }),
      sops(['decrypt', '--ignore-mac', path], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(decrypt, /MAC mismatch/);
    assert.ok(decrypt.stderr.includes(path), 'the error names the file');
    assertOneLineError(inPlace, /MAC mismatch/);
    await assertUntouched(before);
    assertOk(ignored);
    assert.deepEqual((parse(ignored.stdout) as { servers: unknown[] }).servers.slice(0, 2), [42, 'alpha']);
  });

  test('a tampered MAC (lastmodified changed): refused, and opened with --ignore-mac', async (t) => {
    const { alice, json } = await fixtures();
    const { path } = await copyOf(t, json);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/"lastmodified": "[^"]+"/, '"lastmodified": "2020-01-01T00:00:00Z"'));
    const [refused, ignored] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', '--ignore-mac', path], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(refused, /MAC mismatch/);
    assert.ok(refused.stderr.includes(path));
    assertOk(ignored);
    assert.equal(ignored.stdout, JSON_TEXT);
  });

  test('a malformed ENC[…] value: the message names the key path', async (t) => {
    const { alice, yaml } = await fixtures();
    const { dir, path } = await copyOf(t, yaml);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/^( {4}host: ENC\[AES256_GCM,data:)[^,]+/m, '$1@@not-base64@@'));
    const notSops = await writeTemp(
      dir,
      'shape.yaml',
      text.replace(/^( {6}weight: )ENC\[.*\]$/m, '$1ENC[AES256_GCM,nonsense]'),
    );
    const before = await snapshot(path);
    const [first, second, inPlace] = await Promise.all([
      sops(['decrypt', path], { env: ageEnv(alice) }),
      sops(['decrypt', notSops], { env: ageEnv(alice) }),
      sops(['decrypt', '-i', path], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(first, /database\.host/);
    assertOneLineError(second, /servers\.weight/);
    assertOneLineError(inPlace, /database\.host/);
    await assertUntouched(before);
  });

  test('an unknown --input-type is a usage error', async (t) => {
    const { alice, yaml } = await fixtures();
    const dir = await tempDir(t);
    const path = await writeTemp(dir, 'u.yaml', YAML_TEXT);
    const before = await snapshot(path);
    const [encrypt, decrypt] = await Promise.all([
      sops(['encrypt', '-i', '--age', alice.recipient, '--input-type', 'toml', path]),
      sops(['decrypt', '--input-type', 'toml', yaml], { env: ageEnv(alice) }),
    ]);
    assertOneLineError(encrypt, /--input-type "toml"/);
    assert.equal(encrypt.code, 2);
    assertOneLineError(decrypt, /--input-type "toml"/);
    await assertUntouched(before);
  });

  test('encrypting a file that is already encrypted is refused', async (t) => {
    const { alice, yaml, json, dotenv, ini } = await fixtures();
    const copies = await Promise.all([yaml, json, dotenv, ini].map((file) => copyOf(t, file)));
    const before = await Promise.all(copies.map(({ path }) => snapshot(path)));
    const results = await Promise.all(
      copies.map(({ path }) => sops(['encrypt', '-i', '--age', alice.recipient, path])),
    );
    for (const result of results) assertOneLineError(result, /sops/);
    for (const snap of before) await assertUntouched(snap);
  });

  test('the real no_mac.yaml vector fails without --ignore-mac and opens with it', async () => {
    const [refused, ignored] = await Promise.all([
      sops(['decrypt', NO_MAC_VECTOR], { env: PGP_ENV }),
      sops(['decrypt', '--ignore-mac', NO_MAC_VECTOR], { env: PGP_ENV }),
    ]);
    assertOneLineError(refused, /MAC mismatch/);
    assert.ok(refused.stderr.includes(NO_MAC_VECTOR));
    assertOk(ignored);
    assert.equal(ignored.stdout, 'myapp1: t00m4nys3cr3tzupdated\n');
  });

  test('an integer beyond int64 is never written as a value that cannot be decrypted', async (t) => {
    const dir = await tempDir(t);
    const alice = await ageKeygen(dir, 'alice');
    const path = await writeTemp(dir, 'big.yaml', 'big: 12345678901234567890\nsmall: 1\n');
    const encrypt = await sops(['encrypt', '--age', alice.recipient, path]);
    if (encrypt.code !== 0) {
      // Refusing it, as sops does (uint64 is not a type it encrypts), is fine: one line, naming the key.
      assertOneLineError(encrypt, /big/);
      return;
    }
    const encrypted = await writeTemp(dir, 'big.enc.yaml', encrypt.stdoutBytes);
    const decrypt = await sops(['decrypt', encrypted], { env: ageEnv(alice) });
    assertOk(decrypt);
    assert.equal(decrypt.stdout, 'big: 12345678901234567890\nsmall: 1\n');
  });
});
