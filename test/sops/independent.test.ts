/**
 * What Cloak encrypts opens with an independent reader (test/helpers/independent-sops.ts, written from the
 * format description) and with the real `age` and `gpg` programs for the data key.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { encryptDocument, openDocument, sealBranches } from '../../src/sops/file.ts';
import { AgeKey } from '../../src/sops/keys/age.ts';
import type { KeyContext, MasterKey } from '../../src/sops/keys/master-key.ts';
import { PgpKey } from '../../src/sops/keys/pgp.ts';
import { binaryDocument } from '../../src/sops/stores/json.ts';
import { storeFor } from '../../src/sops/stores/index.ts';
import type { SopsFormat } from '../../src/sops/stores/store.ts';
import {
  ageDataKey,
  combineSharesIndependently,
  openDocumentIndependently,
  openEncValue,
} from '../helpers/independent-sops.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';
import { VECTORS } from '../helpers/paths.ts';

const PGP_KEY_FILE = `${VECTORS}sops/getsops-sops/keys/sops_functional_tests_key.asc`;
const PGP_FINGERPRINT = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

interface AgeIdentity {
  file: string;
  recipient: string;
}

function ageIdentity(dir: string, name: string): AgeIdentity {
  const file = join(dir, `${name}.txt`);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
  return { file, recipient };
}

function context(env: NodeJS.ProcessEnv = {}): KeyContext {
  return {
    env: { PATH: '/nonexistent', HOME: '/nonexistent', ...env },
    now: () => new Date('2026-11-22T12:00:00Z'),
  };
}

async function encrypt(format: SopsFormat, text: string, keys: MasterKey[][], threshold?: number) {
  const store = storeFor(format === 'binary' ? 'json' : format);
  const branches =
    format === 'binary' ? [binaryDocument(Buffer.from(text))] : storeFor(format).parsePlain(text, 'input');
  const document = await encryptDocument(
    branches,
    { keyGroups: keys, shamirThreshold: threshold, rules: {} },
    context({ CLOAK_PGP_KEYRING: PGP_KEY_FILE }),
  );
  return store.emitEncrypted(document);
}

function sopsBlock(
  parsed: Record<string, unknown>,
): { mac: string; lastmodified: string } & Record<string, unknown> {
  return parsed['sops'] as { mac: string; lastmodified: string };
}

async function gpgDataKey(t: TestContext, armored: string): Promise<Buffer> {
  const home = join(await tempDir(t), 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  execFileSync('gpg', ['--batch', '--import', PGP_KEY_FILE], { env: { GNUPGHOME: home }, stdio: 'ignore' });
  return execFileSync('gpg', ['--batch', '--decrypt'], {
    env: { GNUPGHOME: home },
    input: armored,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}

const YAML_INPUT = `# a top-level comment
database:
    user: admin
    # the password
    password: hunter2
    hosts:
        - db-1
        - db-2
api_token: tok_123
`;

test('YAML with comments and lists, age: the real age CLI opens the data key, every value and the MAC check out', async (t) => {
  const dir = await tempDir(t);
  const identity = ageIdentity(dir, 'alice');
  const encrypted = await encrypt('yaml', YAML_INPUT, [[AgeKey.fromSpec(identity.recipient)]]);
  assert.match(encrypted, /^sops:\n {4}age:\n {8}- enc: \|\n {12}-----BEGIN AGE ENCRYPTED FILE-----$/m);
  assert.match(encrypted, /^ {4}mac: ENC\[/m, "Flux's marker `mac: ENC[`");
  const parsed = parse(encrypted) as Record<string, unknown>;
  const sops = sopsBlock(parsed);
  const enc = (sops['age'] as { enc: string }[])[0]?.enc ?? '';
  const dataKey = ageDataKey(enc, identity.file);
  assert.equal(dataKey.length, 32);
  const result = openDocumentIndependently(parsed, dataKey, sops);
  assert.ok(result.macOk, 'MAC');
  assert.deepEqual(result.plaintexts.get('database:hosts'), ['db-1', 'db-2']);
  assert.deepEqual(result.plaintexts.get('database:password'), ['hunter2']);
  const topComment = /^#(ENC\[.*\])$/m.exec(encrypted)?.[1] ?? '';
  assert.equal(openEncValue(topComment, dataKey, ':').bytes.toString(), ' a top-level comment');
  const nestedComment = /^ {4}#(ENC\[.*\])$/m.exec(encrypted)?.[1] ?? '';
  assert.equal(openEncValue(nestedComment, dataKey, 'database:').bytes.toString(), ' the password');
});

test("JSON with PGP: gpg opens the data key; the JSON carries Flux's marker", async (t) => {
  const encrypted = await encrypt('json', '{"a": "1", "nested": {"b": ["x", "y"]}}', [
    [PgpKey.fromSpec(PGP_FINGERPRINT)],
  ]);
  assert.ok(encrypted.includes('"mac": "ENC['));
  const parsed = JSON.parse(encrypted) as Record<string, unknown>;
  const sops = sopsBlock(parsed);
  const pgp = (sops['pgp'] as { enc: string; fp: string }[])[0];
  assert.equal(pgp?.fp, PGP_FINGERPRINT);
  assert.match(pgp?.enc ?? '', /^-----BEGIN PGP MESSAGE-----\n\n[\s\S]*-----END PGP MESSAGE-----$/);
  const result = openDocumentIndependently(parsed, await gpgDataKey(t, pgp?.enc ?? ''), sops);
  assert.ok(result.macOk);
  assert.deepEqual(result.plaintexts.get('nested:b'), ['x', 'y']);
});

test('dotenv, INI and binary open independently', async (t) => {
  const dir = await tempDir(t);
  const identity = ageIdentity(dir, 'bob');
  const keys = [[AgeKey.fromSpec(identity.recipient)]];

  const env = await encrypt('dotenv', 'DB_PASSWORD=hunter2\nAPI=a=b\n', keys);
  const envLines = Object.fromEntries(
    env
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const envKey = ageDataKey(
    (envLines['sops_age__list_0__map_enc'] ?? '').replace(/\\n/g, '\n'),
    identity.file,
  );
  assert.equal(
    openEncValue(envLines['DB_PASSWORD'] ?? '', envKey, 'DB_PASSWORD:').bytes.toString(),
    'hunter2',
  );
  assert.equal(openEncValue(envLines['API'] ?? '', envKey, 'API:').bytes.toString(), 'a=b');

  const ini = await encrypt('ini', '[database]\npassword = hunter2\n', keys);
  const iniValue = /^password\s*=\s*(ENC\[.*\])$/m.exec(ini)?.[1] ?? '';
  const iniEnc = /^age__list_0__map_enc\s*=\s*(.*)$/m.exec(ini)?.[1]?.replace(/\\n/g, '\n') ?? '';
  assert.equal(
    openEncValue(iniValue, ageDataKey(iniEnc, identity.file), 'database:password:').bytes.toString(),
    'hunter2',
  );

  const binary = await encrypt('binary', 'any\nfile\ncontents', keys);
  const parsed = JSON.parse(binary) as Record<string, unknown>;
  const sops = sopsBlock(parsed);
  const dataKey = ageDataKey((sops['age'] as { enc: string }[])[0]?.enc ?? '', identity.file);
  const result = openDocumentIndependently(parsed, dataKey, sops);
  assert.ok(result.macOk);
  assert.deepEqual(result.plaintexts.get('data'), ['any\nfile\ncontents']);
});

test('key groups: each group holds a 33-byte Shamir share; two groups combine to the data key', async (t) => {
  const dir = await tempDir(t);
  const [first, second, third] = ['g1', 'g2', 'g3'].map((name) => ageIdentity(dir, name));
  const keys = [first, second, third].map((identity) => [AgeKey.fromSpec(identity?.recipient ?? '')]);
  const encrypted = await encrypt('yaml', 'secret: value\n', keys, 2);
  const parsed = parse(encrypted) as Record<string, unknown>;
  const sops = sopsBlock(parsed);
  assert.equal(sops['shamir_threshold'], 2);
  const groups = sops['key_groups'] as { age: { enc: string }[] }[];
  assert.equal(groups.length, 3);
  const shares = [first, third].map((identity, index) =>
    ageDataKey(groups[index === 0 ? 0 : 2]?.age[0]?.enc ?? '', identity?.file ?? ''),
  );
  for (const share of shares) assert.equal(share.length, 33);
  assert.deepEqual(
    shares.map((share) => share[32]),
    [1, 3],
    'x = group index + 1',
  );
  const dataKey = combineSharesIndependently(shares);
  assert.ok(openDocumentIndependently(parsed, dataKey, sops).macOk);

  const onlyOne = storeFor('yaml').parseEncrypted(encrypted, 'groups.yaml');
  await assert.rejects(
    openDocument(onlyOne, context({ SOPS_AGE_KEY: readFileSync(first?.file ?? '', 'utf8') }), {
      source: 'groups.yaml',
    }),
    {
      code: 'ERR_SOPS_DATA_KEY',
      message: /groups\.yaml: failed to get the data key \(1 of the 2 key groups needed could be opened\)/,
    },
  );
  const both = readFileSync(first?.file ?? '', 'utf8') + readFileSync(second?.file ?? '', 'utf8');
  const opened = await openDocument(onlyOne, context({ SOPS_AGE_KEY: both }), { source: 'groups.yaml' });
  assert.equal(storeFor('yaml').emitPlain(opened.branches), 'secret: value\n');
});

test('round trips are byte-stable: re-emitting, and re-sealing unchanged values with the same clock', async (t) => {
  const dir = await tempDir(t);
  const identity = ageIdentity(dir, 'carol');
  const encrypted = await encrypt('yaml', YAML_INPUT, [[AgeKey.fromSpec(identity.recipient)]]);
  const store = storeFor('yaml');
  assert.equal(store.emitEncrypted(store.parseEncrypted(encrypted, 'x')), encrypted);
  const keyFile = await writeTemp(dir, 'keys.txt', readFileSync(identity.file));
  const opened = await openDocument(
    store.parseEncrypted(encrypted, 'x'),
    context({ SOPS_AGE_KEY_FILE: keyFile }),
    { source: 'x' },
  );
  const resealed = store.emitEncrypted(
    sealBranches(opened.branches, opened.metadata, opened.dataKey, context(), opened.stash),
  );
  // The MAC is encrypted afresh (new IV), everything else is identical.
  const withoutMac = (text: string): string => text.replace(/^ {4}mac: .*$/m, '');
  assert.equal(withoutMac(resealed), withoutMac(encrypted));
  assert.equal(
    store.emitPlain(opened.branches),
    YAML_INPUT,
    'input already in sops layout comes back byte for byte',
  );
});
