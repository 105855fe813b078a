/**
 * The dotenv store against files written by sops (../shared/vectors/sops, see its README.txt and INDEX.tsv).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DotenvStore, dotenvStore } from '../../src/sops/stores/dotenv.ts';
import { comment, entry, list, map, SopsTime, type SopsMap } from '../../src/sops/tree.ts';
import { VECTORS } from '../helpers/paths.ts';

function vector(path: string): string {
  return readFileSync(`${VECTORS}sops/${path}`, 'utf8');
}

const FLUX = 'fluxcd-kustomize-controller/internal/controller/testdata/sops/';
const FORMAT_ENV = 'getsops-sops/head/functional-tests/res/format.enc.env';
/** Written by sops 3.9.0 (flat keys sorted) and 3.13.1 (sorted tree walk): the same order as 3.13 writes. */
const SAME_ORDER = [FORMAT_ENV, `${FLUX}component/env.env`, `${FLUX}envs/env.env`, `${FLUX}remote/env.env`];
/** Written by sops 3.7.2, which wrote metadata in Go's random map order. */
const RANDOM_ORDER = [
  'viaduct-ai-kustomize-sops/test/krm/envs/secret.enc.env',
  'viaduct-ai-kustomize-sops/test/krm/metadata/secret.enc.env',
  'viaduct-ai-kustomize-sops/test/legacy/envs/secret.enc.env',
  'viaduct-ai-kustomize-sops/test/legacy/metadata/secret.enc.env',
];

const ENC = /^ENC\[AES256_GCM,data:[^,]*,iv:[^,]+,tag:[^,]+,type:str\]$/;

test('format.enc.env (sops 3.13.1): the key "foo " with its space, and the metadata nested back', () => {
  const document = dotenvStore.parseEncrypted(vector(FORMAT_ENV), FORMAT_ENV);
  assert.equal(document.branches.length, 1);
  const [item] = document.branches[0]!.items;
  assert.equal(document.branches[0]!.items.length, 1);
  assert.equal(item?.kind, 'entry');
  assert.equal(item.kind === 'entry' && item.key, 'foo ');
  assert.ok(item.kind === 'entry' && typeof item.value === 'string');
  assert.match(item.value, ENC);

  const metadata = document.metadata!;
  assert.deepEqual(Object.keys(metadata).sort(), [
    'lastmodified',
    'mac',
    'pgp',
    'unencrypted_suffix',
    'version',
  ]);
  assert.equal(metadata['lastmodified'], '2026-05-22T20:15:29Z');
  assert.equal(metadata['version'], '3.13.1');
  assert.equal(metadata['unencrypted_suffix'], '_unencrypted');
  assert.match(metadata['mac'] as string, ENC);
  const pgp = metadata['pgp'] as Record<string, string>[];
  assert.equal(pgp.length, 1);
  assert.deepEqual(Object.keys(pgp[0]!).sort(), ['created_at', 'enc', 'fp']);
  assert.equal(pgp[0]!['fp'], 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4');
  assert.equal(pgp[0]!['created_at'], '2026-05-22T20:15:26Z');
  const enc = pgp[0]!['enc']!;
  assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----\n\nwcBMA'), 'armor with real newlines');
  assert.ok(enc.endsWith('\n=5coz\n-----END PGP MESSAGE-----'));
  assert.equal(enc.includes('\\n'), false);
});

test('Flux env.env (sops 3.9.0, age): the age recipient and its armored enc with the final newline', () => {
  const document = dotenvStore.parseEncrypted(vector(`${FLUX}envs/env.env`), 'env.env');
  assert.deepEqual(
    document.branches[0]!.items.map((item) => item.kind === 'entry' && item.key),
    ['key'],
  );
  const age = document.metadata!['age'] as Record<string, string>[];
  assert.equal(age.length, 1);
  assert.equal(age[0]!['recipient'], 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29');
  assert.match(
    age[0]!['enc']!,
    /^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+\n-----END AGE ENCRYPTED FILE-----\n$/,
  );
  assert.equal(document.metadata!['version'], '3.9.0');
});

test('ksops files (sops 3.7.2): metadata with unencrypted_regex, data keys in file order', () => {
  for (const path of RANDOM_ORDER) {
    const document = dotenvStore.parseEncrypted(vector(path), path);
    assert.deepEqual(
      document.branches[0]!.items.map((item) => item.kind === 'entry' && item.key),
      ['password', 'username'],
    );
    assert.equal(document.metadata!['unencrypted_regex'], '^(apiVersion|metadata|kind|type)$');
    assert.equal(document.metadata!['version'], '3.7.2');
    const pgp = document.metadata!['pgp'] as Record<string, string>[];
    assert.ok(pgp[0]!['enc']!.endsWith('-----END PGP MESSAGE-----\n'));
  }
});

test('re-emitting gives the same bytes for files written in the order sops 3.13 uses', () => {
  for (const path of SAME_ORDER) {
    const text = vector(path);
    assert.equal(dotenvStore.emitEncrypted(dotenvStore.parseEncrypted(text, path)), text, path);
  }
});

test('re-emitting sops 3.7 files gives the same lines, with the metadata in sorted order', () => {
  for (const path of RANDOM_ORDER) {
    const text = vector(path);
    const output = dotenvStore.emitEncrypted(dotenvStore.parseEncrypted(text, path));
    assert.notEqual(output, text, 'the original order was random');
    assert.deepEqual(output.split('\n').sort(), text.split('\n').sort(), path);
    const metadataKeys = output
      .split('\n')
      .filter((line) => line.startsWith('sops_'))
      .map((line) => line.slice(0, line.indexOf('=')));
    assert.deepEqual(metadataKeys, [...metadataKeys].sort());
  }
});

test('emitPlain of {"foo ": " bar"} is what sops decrypt prints for format.enc.env', () => {
  assert.equal(dotenvStore.emitPlain([map([entry('foo ', ' bar')])]), 'foo = bar\n');
});

test('plaintext: comments, = inside values, spaces kept, escaped newlines, empty lines dropped', () => {
  const text =
    '# top comment\nA=b=c\n\nfoo = bar\nMULTI=line1\\nline2\nEMPTY=\n#\n  x=y \n#=not a key\nexport Z="q"\n';
  const [branch] = dotenvStore.parsePlain(text, 'plain.env');
  assert.deepEqual(branch, {
    kind: 'map',
    items: [
      comment(' top comment'),
      entry('A', 'b=c'),
      entry('foo ', ' bar'),
      entry('MULTI', 'line1\nline2'),
      entry('EMPTY', ''),
      comment(''),
      entry('  x', 'y '),
      comment('=not a key'),
      entry('export Z', '"q"'),
    ],
  });
  assert.equal(dotenvStore.emitPlain([branch]), text.replace('\n\n', '\n'));
  // A key keeps a literal backslash-n (only values are unescaped), and \r stays part of the line.
  assert.deepEqual(dotenvStore.parsePlain('a\\nb=c\r\n', 'x')[0], map([entry('a\\nb', 'c\r')]));
});

test('non-string scalars are written as sops ValueToString writes them', () => {
  const branch = map([
    entry('int', 42n),
    entry('float', 1.5),
    entry('bool', true),
    entry('time', new SopsTime('2024-01-01T00:00:00Z')),
    entry('nothing', null),
  ]);
  assert.equal(
    dotenvStore.emitPlain([branch]),
    'int=42\nfloat=1.5\nbool=true\ntime=2024-01-01T00:00:00Z\nnothing=\n',
  );
});

test('emitEncrypted writes the metadata last, sorted, newlines escaped, with the prefix Flux looks for', () => {
  const output = dotenvStore.emitEncrypted({
    branches: [map([comment('ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]'), entry('A', 'ENC[…]')])],
    metadata: {
      version: '3.13.2',
      mac: 'ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
      lastmodified: '2026-01-01T00:00:00Z',
      age: [
        {
          recipient: 'age1x',
          enc: '-----BEGIN AGE ENCRYPTED FILE-----\nabc\n-----END AGE ENCRYPTED FILE-----\n',
        },
      ],
      mac_only_encrypted: true,
      shamir_threshold: 2n,
      unencrypted_suffix: '_unencrypted',
    },
  });
  assert.equal(
    output,
    [
      '#ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]',
      'A=ENC[…]',
      'sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nabc\\n-----END AGE ENCRYPTED FILE-----\\n',
      'sops_age__list_0__map_recipient=age1x',
      'sops_lastmodified=2026-01-01T00:00:00Z',
      'sops_mac=ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
      'sops_mac_only_encrypted=true',
      'sops_shamir_threshold=2',
      'sops_unencrypted_suffix=_unencrypted',
      'sops_version=3.13.2',
      '',
    ].join('\n'),
  );
  assert.ok(output.includes('sops_mac=ENC['), 'Flux detects dotenv files by this marker');
  // Reading it back gives strings: the metadata reader converts shamir_threshold and mac_only_encrypted.
  const metadata = dotenvStore.parseEncrypted(output, 'x').metadata!;
  assert.equal(metadata['shamir_threshold'], '2');
  assert.equal(metadata['mac_only_encrypted'], 'true');
});

test('emitValue prints strings as they are and refuses other values', () => {
  assert.equal(dotenvStore.emitValue('a\nb'), 'a\nb');
  assert.equal(dotenvStore.emitValue(map([entry('k', 'v')])), 'k=v\n');
  assert.throws(() => dotenvStore.emitValue(5n), { code: 'ERR_SOPS_EXTRACT' });
  assert.throws(() => dotenvStore.emitValue(list(['a'])), { code: 'ERR_SOPS_EXTRACT' });
  assert.equal(new DotenvStore().format, 'dotenv');
});

test('errors: nested values, the sops_ prefix, missing metadata, lines without =; no value in messages', () => {
  const secret = 'hunter2-secret';
  const nested: SopsMap = map([entry('A', map([entry('b', secret)]))]);
  assert.throws(
    () => dotenvStore.emitPlain([nested]),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_SOPS_DOTENV_NESTED');
      assert.match(error.message, /"A".*map/);
      assert.equal(error.message.includes(secret), false);
      return true;
    },
  );
  assert.throws(() => dotenvStore.emitPlain([map([entry('L', list([secret]))])]), {
    code: 'ERR_SOPS_DOTENV_NESTED',
  });
  assert.throws(() => dotenvStore.parsePlain(`A=1\nsops_mac=${secret}\n`, 'in.env'), {
    code: 'ERR_SOPS_RESERVED_KEY',
    message: /^in\.env: key "sops_mac" starts with "sops_"/,
  });
  assert.throws(
    () =>
      dotenvStore.emitEncrypted({
        branches: [map([entry('sops_x', secret)])],
        metadata: { version: '3.13.2' },
      }),
    { code: 'ERR_SOPS_RESERVED_KEY' },
  );
  assert.throws(() => dotenvStore.parseEncrypted(`A=${secret}\n# comment\n`, 'plain.env'), {
    code: 'ERR_SOPS_NOT_ENCRYPTED',
    message: /^plain\.env: no SOPS metadata/,
  });
  assert.throws(() => dotenvStore.emitEncrypted({ branches: [map()], metadata: undefined }), {
    code: 'ERR_SOPS_NO_METADATA',
  });
  assert.throws(
    () => dotenvStore.parsePlain(`A=1\n${secret}\n`, 'bad.env'),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_SOPS_DOTENV_SYNTAX');
      assert.equal(error.message, 'bad.env: line 2 is not KEY=VALUE (it has no "=")');
      return true;
    },
  );
  assert.throws(() => dotenvStore.parseEncrypted('sops_mac=a\nsops_mac=b\n', 'dup.env'), {
    code: 'ERR_SOPS_METADATA',
    message: /^dup\.env: metadata key "mac" is given twice/,
  });
  assert.throws(() => dotenvStore.emitPlain([map(), map()]), { code: 'ERR_SOPS_DOTENV_DOCUMENTS' });
  assert.equal(dotenvStore.emitPlain([]), '');
});
