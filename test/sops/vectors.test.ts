/**
 * Files written by the real sops (../shared/vectors/sops, see its README.txt and INDEX.tsv): every one opens
 * with its key, the MAC verified, and the plaintext is what the README says.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { openDocument, parseMetadata } from '../../src/sops/file.ts';
import type { KeyContext } from '../../src/sops/keys/master-key.ts';
import { formatFromPath, storeFor } from '../../src/sops/stores/index.ts';
import type { SopsFormat } from '../../src/sops/stores/store.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';
import { VECTORS } from '../helpers/paths.ts';

const SOPS = `${VECTORS}sops/`;
const FLUX_KEYS = `${SOPS}fluxcd-kustomize-controller/internal/controller/testdata/sops/keys/`;

function indexRows(): { file: string; dataKey: string | undefined }[] {
  return readFileSync(`${SOPS}INDEX.tsv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [file = '', , key = ''] = line.split('\t');
      return { file, dataKey: key.startsWith('datakey=') ? key.slice('datakey='.length) : undefined };
    });
}

async function keyContext(t: TestContext): Promise<KeyContext> {
  const dir = await tempDir(t);
  const ageKeys = [
    `${SOPS}getsops-sops/keys/age_keys.txt`,
    `${FLUX_KEYS}age.txt`,
    `${FLUX_KEYS}age-global.txt`,
    `${FLUX_KEYS}age-pq.txt`,
  ]
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
  const env = {
    SOPS_AGE_KEY_FILE: await writeTemp(dir, 'keys.txt', ageKeys),
    CLOAK_PGP_KEYRING: [`${SOPS}getsops-sops/keys/sops_functional_tests_key.asc`, `${FLUX_KEYS}pgp.asc`].join(
      ':',
    ),
    HOME: dir,
    GNUPGHOME: `${dir}/gnupg`,
    PATH: '/nonexistent',
  };
  return { env, now: () => new Date() };
}

function encryptedFormat(file: string): SopsFormat {
  const format = formatFromPath(file);
  return format === 'binary' ? 'json' : format;
}

async function open(file: string, context: KeyContext, ignoreMac = false) {
  const text = readFileSync(`${SOPS}${file}`, 'utf8');
  const document = storeFor(encryptedFormat(file)).parseEncrypted(text, file);
  return openDocument(document, context, { source: file, ignoreMac });
}

test('every vector in INDEX.tsv opens with its key (age X25519 and post-quantum, PGP), MAC verified', async (t) => {
  const context = await keyContext(t);
  const rows = indexRows().filter((row) => row.dataKey !== undefined);
  assert.ok(rows.length >= 51, `${rows.length} vectors`);
  for (const { file, dataKey } of rows) {
    const opened = await open(file, context);
    assert.equal(Buffer.from(opened.dataKey).toString('hex'), dataKey, file);
  }
});

test('the README expected outputs of the functional-test vectors', async (t) => {
  const context = await keyContext(t);
  const expected: Record<string, string> = {
    'format.enc.yaml': 'foo: bar\n',
    'format.enc.json': '{\n\t"foo": "bar"\n}\n',
    'format.enc.env': 'foo = bar\n',
    'format.enc.ini': '[foo]\nbar = baz\n',
  };
  for (const [name, plaintext] of Object.entries(expected)) {
    const file = `getsops-sops/head/functional-tests/res/${name}`;
    const opened = await open(file, context);
    assert.equal(storeFor(formatFromPath(file)).emitPlain(opened.branches), plaintext, name);
  }
});

test('no_mac.yaml fails without --ignore-mac and opens with it', async (t) => {
  const context = await keyContext(t);
  const file = 'getsops-sops/head/functional-tests/res/no_mac.yaml';
  await assert.rejects(open(file, context), { code: 'ERR_SOPS_MAC', message: /no_mac\.yaml: MAC mismatch/ });
  const opened = await open(file, context, true);
  assert.match(storeFor('yaml').emitPlain(opened.branches), /^myapp1: /);
});

test('example.yaml: typed values, comments, and cleartext under _unencrypted', async (t) => {
  const context = await keyContext(t);
  const opened = await open('getsops-sops/head/example.yaml', context);
  const plain = storeFor('yaml').emitPlain(opened.branches);
  assert.match(plain, /^myapp1: t00m4nys3cr3tzupdated$/m);
  // A float64 prints as yaml.v3 prints it (Go's %g): 1234568000 → 1.234568e+09.
  assert.match(plain, /^number: 1\.234568e\+09$/m);
  assert.match(plain, /^somebooleans:\n {4}- true\n {4}- false$/m);
  assert.match(plain, /^ {8}# private key for secret operations in app2$/m);
  assert.match(plain, /^ {4}- remain in clear text$/m);
});

test('ksops vectors decrypt to the Secrets their want.yaml expects', async (t) => {
  const context = await keyContext(t);
  const opened = await open('viaduct-ai-kustomize-sops/test/krm/single/secret.enc.yaml', context);
  const want = readFileSync(`${SOPS}viaduct-ai-kustomize-sops/test/krm/single/want.yaml`, 'utf8');
  const plain = storeFor('yaml').emitPlain(opened.branches);
  for (const line of plain
    .split('\n')
    .filter((text) => /^ {4}\S+: \S+$/.test(text) && !/name:|namespace:/.test(text))) {
    assert.ok(want.includes(line.trim()), `want.yaml has ${line.trim()}`);
  }
});

test('files written by sops 3.10+ re-emit byte for byte (YAML, JSON, dotenv, INI)', () => {
  for (const file of [
    'getsops-sops/head/functional-tests/res/format.enc.yaml',
    'getsops-sops/head/functional-tests/res/format.enc.json',
    'getsops-sops/head/functional-tests/res/format.enc.env',
    'getsops-sops/head/functional-tests/res/format.enc.ini',
    'getsops-sops/head/example.yaml',
  ]) {
    const text = readFileSync(`${SOPS}${file}`, 'utf8');
    const store = storeFor(formatFromPath(file));
    assert.equal(store.emitEncrypted(store.parseEncrypted(text, file)), text, file);
  }
});

test('metadata of every layout reads: struct order, [] and null lists, flattened strings, key groups', () => {
  for (const file of [
    'getsops-sops/pr1031-age/example.json',
    'getsops-sops/head/example.ini',
    'getsops-sops/head/functional-tests/res/multiple_keys.yaml',
  ]) {
    const store = storeFor(encryptedFormat(file));
    const metadata = parseMetadata(store.parseEncrypted(readFileSync(`${SOPS}${file}`, 'utf8'), file), file);
    assert.ok(metadata.keyGroups[0] && metadata.keyGroups[0].length > 0, file);
    assert.equal(metadata.rules.unencryptedSuffix, '_unencrypted', file);
  }
});
