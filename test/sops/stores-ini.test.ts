/**
 * The INI store against files written by sops (../shared/vectors/sops, see its README.txt and INDEX.tsv).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { IniStore, iniStore } from '../../src/sops/stores/ini.ts';
import { comment, entry, isMap, list, map, SopsTime, type SopsMap } from '../../src/sops/tree.ts';
import { VECTORS } from '../helpers/paths.ts';

function vector(path: string): string {
  return readFileSync(`${VECTORS}sops/${path}`, 'utf8');
}

const FORMAT_INI = 'getsops-sops/head/functional-tests/res/format.enc.ini'; // sops 3.13.2
const FORMAT_2_INI = 'getsops-sops/head/functional-tests/res/format-2.enc.ini'; // sops 3.13.1, """…""" values
const EXAMPLE_INI = 'getsops-sops/head/example.ini'; // sops 3.5.0, two PGP keys
const AGE_INI = 'getsops-sops/pr1031-age/example.ini'; // sops 3.7.1, two age keys

const ENC = /^ENC\[AES256_GCM,data:[^,]*,iv:[^,]+,tag:[^,]+,type:(str|comment)\]$/;

function sectionNames(branch: SopsMap): (string | false)[] {
  return branch.items.map((item) => item.kind === 'entry' && item.key);
}

function section(branch: SopsMap, name: string): SopsMap {
  const found = branch.items.find((item) => item.kind === 'entry' && item.key === name);
  assert.ok(found?.kind === 'entry' && isMap(found.value), name);
  return found.value;
}

/** The value of the entry at `index`, which must be a string. */
function stringAt(branch: SopsMap, index: number): string {
  const item = branch.items[index];
  assert.ok(item?.kind === 'entry' && typeof item.value === 'string');
  return item.value;
}

test('format.enc.ini (sops 3.13.2): an empty DEFAULT section, [foo], and the metadata with real newlines', () => {
  const document = iniStore.parseEncrypted(vector(FORMAT_INI), FORMAT_INI);
  const [branch] = document.branches;
  assert.deepEqual(sectionNames(branch!), ['DEFAULT', 'foo']);
  assert.deepEqual(section(branch!, 'DEFAULT'), map());
  const foo = section(branch!, 'foo');
  assert.equal(foo.items.length, 1);
  assert.equal(foo.items[0]?.kind === 'entry' && foo.items[0].key, 'bar');
  assert.match(stringAt(foo, 0), ENC);

  const metadata = document.metadata!;
  assert.deepEqual(Object.keys(metadata).sort(), [
    'lastmodified',
    'mac',
    'pgp',
    'unencrypted_suffix',
    'version',
  ]);
  assert.equal(metadata['version'], '3.13.2');
  assert.equal(metadata['lastmodified'], '2026-05-22T20:15:58Z');
  const [key] = metadata['pgp'] as Record<string, string>[];
  assert.equal(key!['fp'], 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4');
  assert.equal(key!['created_at'], '2026-05-22T20:15:53Z');
  assert.ok(key!['enc']!.startsWith('-----BEGIN PGP MESSAGE-----\n\nwcBMA'));
  assert.ok(key!['enc']!.endsWith('\n=Axgz\n-----END PGP MESSAGE-----'));
  assert.equal(key!['enc']!.includes('\\n'), false);
});

test('format-2.enc.ini (sops 3.13.1): the """…""" multi-line form reads to the same shape', () => {
  const document = iniStore.parseEncrypted(vector(FORMAT_2_INI), FORMAT_2_INI);
  assert.deepEqual(sectionNames(document.branches[0]!), ['DEFAULT', 'foo']);
  const [key] = document.metadata!['pgp'] as Record<string, string>[];
  const enc = key!['enc']!;
  assert.ok(enc.startsWith('-----BEGIN PGP MESSAGE-----\n\nwcBMAyUpShfNkFB/AQf/eLAA'));
  assert.ok(enc.endsWith('1bfP6Q44c+7Ut5wiMJfjdm5U\n=j3Rn\n-----END PGP MESSAGE-----'));
  assert.equal(enc.split('\n').length, 12);
  assert.equal(document.metadata!['version'], '3.13.1');
  assert.equal(key!['fp'], 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4');
});

test('example.ini (sops 3.5.0): sections, the encrypted section comment in place, two PGP keys', () => {
  const document = iniStore.parseEncrypted(vector(EXAMPLE_INI), EXAMPLE_INI);
  const [branch] = document.branches;
  assert.deepEqual(sectionNames(branch!), ['DEFAULT', 'name', 'address', 'phoneNumbers', 'not private']);
  const name = section(branch!, 'name');
  assert.equal(name.items[0]?.kind, 'comment');
  assert.match(name.items[0]?.kind === 'comment' ? name.items[0].text : '', ENC);
  assert.deepEqual(
    name.items.slice(1).map((item) => item.kind === 'entry' && item.key),
    ['firstName', 'lastName', 'age'],
  );
  assert.deepEqual(section(branch!, 'not private'), map([entry('notsecret_unencrypted', 'hi there!')]));
  const pgp = document.metadata!['pgp'] as Record<string, string>[];
  assert.deepEqual(
    pgp.map((key) => key['fp']),
    ['FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4', 'D7229043384BCC60326C6FB9D8720D957C3D3074'],
  );
  for (const key of pgp)
    assert.match(key['enc']!, /^-----BEGIN PGP MESSAGE-----\n\n[^\\]+-----END PGP MESSAGE-----$/);
});

test('pr1031 example.ini (sops 3.7.1): two age keys with their armored enc', () => {
  const document = iniStore.parseEncrypted(vector(AGE_INI), AGE_INI);
  const age = document.metadata!['age'] as Record<string, string>[];
  assert.deepEqual(
    age.map((key) => key['recipient']),
    [
      'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw',
      'age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep',
    ],
  );
  for (const key of age) {
    assert.match(
      key['enc']!,
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+\n-----END AGE ENCRYPTED FILE-----\n$/,
    );
  }
});

test('re-emitting format.enc.ini (sops 3.13.2) gives the same bytes', () => {
  const text = vector(FORMAT_INI);
  assert.equal(iniStore.emitEncrypted(iniStore.parseEncrypted(text, FORMAT_INI)), text);
});

test('re-emitting format-2.enc.ini gives the 3.13.2 form: the same file with the newlines escaped', () => {
  const text = vector(FORMAT_2_INI);
  const expected = text.replace(/"""([^"]*)"""/, (_, value: string) => value.replaceAll('\n', '\\n'));
  assert.notEqual(expected, text);
  assert.equal(iniStore.emitEncrypted(iniStore.parseEncrypted(text, FORMAT_2_INI)), expected);
});

test('re-emitting sops 3.5/3.7 files keeps the data bytes; only the [sops] order and the final blank line differ', () => {
  for (const path of [EXAMPLE_INI, AGE_INI]) {
    const text = vector(path);
    const output = iniStore.emitEncrypted(iniStore.parseEncrypted(text, path));
    const [data, metadata] = text.split('[sops]\n');
    const [outputData, outputMetadata] = output.split('[sops]\n');
    assert.equal(outputData, data, path);
    assert.ok(text.endsWith('\n\n') && !output.endsWith('\n\n'));
    const lines = (block: string): string[] => block.trim().split('\n');
    assert.deepEqual(lines(outputMetadata!).sort(), lines(metadata!).sort(), path);
    const keys = lines(outputMetadata!).map((line) => line.slice(0, line.indexOf(' ')));
    assert.deepEqual(keys, [...keys].sort(), 'metadata keys in sops 3.13 order');
  }
});

test('emitPlain gives what sops decrypt prints for format.enc.ini', () => {
  const tree = map([entry('DEFAULT', map()), entry('foo', map([entry('bar', 'baz')]))]);
  assert.equal(iniStore.emitPlain([tree]), '[foo]\nbar = baz\n');
  assert.equal(iniStore.emitPlain([map([entry('foo', map([entry('bar', 'baz')]))])]), '[foo]\nbar = baz\n');
  const [parsed] = iniStore.parsePlain('[foo]\nbar = baz\n', 'plain.ini');
  assert.deepEqual(parsed, tree);
});

const COMMENTED = `; file comment
# second line
[first] ; on the header
; before a
a = 1
b = 2 ; inline
; at the end of the section
[second]
c = 3
; after the last key of the file
`;

test('comments become items where sops puts them: section comments first, key comments after the key', () => {
  const [branch] = iniStore.parsePlain(COMMENTED, 'commented.ini');
  assert.deepEqual(
    branch,
    map([
      entry('DEFAULT', map()),
      entry(
        'first',
        map([
          comment('file comment\n# second line\n; on the header'),
          entry('a', '1'),
          comment('before a'),
          entry('b', '2'),
          comment('inline'),
        ]),
      ),
      entry('second', map([comment('at the end of the section'), entry('c', '3')])),
    ]),
  );
  const written = iniStore.emitPlain([branch]);
  assert.equal(
    written,
    `; file comment
# second line
; on the header
[first]
; before a
a = 1
; inline
b = 2

; at the end of the section
[second]
c = 3
`,
  );
  assert.deepEqual(iniStore.parsePlain(written, 'again.ini'), [branch]);
});

const ODD = `[odd]
spaced key   =   spaced value${'  '}
colon: yes
"quoted=key" = q
\`back"tick\` = b
empty =
hash = \`pass#word\`
semicolon = \`a;b\`
padded = "  two spaces  "
single = 'single quoted'
multi = """line one
line two"""
continued = first \\
  second
dup = one
dup = two
`;

test('odd keys and values: quotes, delimiters, padding, multi-line and continued values, repeated keys', () => {
  const [branch] = iniStore.parsePlain(ODD, 'odd.ini');
  const odd = map([
    entry('spaced key', 'spaced value'),
    entry('colon', 'yes'),
    entry('quoted=key', 'q'),
    entry('back"tick', 'b'),
    entry('empty', ''),
    entry('hash', 'pass#word'),
    entry('semicolon', 'a;b'),
    entry('padded', '  two spaces  '),
    entry('single', 'single quoted'),
    entry('multi', 'line one\nline two'),
    entry('continued', 'first second'),
    entry('dup', 'two'),
  ]);
  assert.deepEqual(branch, map([entry('DEFAULT', map()), entry('odd', odd)]));
  const written = iniStore.emitPlain([branch]);
  assert.equal(
    written,
    `[odd]
spaced key   = spaced value
colon        = yes
\`quoted=key\` = q
\`back"tick\`  = b
empty        = ${''}
hash         = \`pass#word\`
semicolon    = \`a;b\`
padded       = "  two spaces  "
single       = single quoted
multi        = """line one
line two"""
continued    = first second
dup          = two
`,
  );
  assert.deepEqual(iniStore.parsePlain(written, 'again.ini'), [branch]);
});

test('keys before any section are the DEFAULT section, written without a header; duplicate sections stay', () => {
  const text = 'top = 1\n\n[peer]\nkey = a\n\n[peer]\nkey = b\n';
  const [branch] = iniStore.parsePlain(text, 'wg.ini');
  assert.deepEqual(
    branch,
    map([
      entry('DEFAULT', map([entry('top', '1')])),
      entry('peer', map([entry('key', 'a')])),
      entry('peer', map([entry('key', 'b')])),
    ]),
  );
  assert.equal(iniStore.emitPlain([branch]), text);
  // A DEFAULT section that is not first gets its header; "-" keys are numbered per section.
  const [numbered] = iniStore.parsePlain('[list]\n- = a\n- = b\n[DEFAULT]\nx = 1\n', 'list.ini');
  assert.deepEqual(
    numbered,
    map([
      entry('DEFAULT', map()),
      entry('list', map([entry('#1', 'a'), entry('#2', 'b')])),
      entry('DEFAULT', map([entry('x', '1')])),
    ]),
  );
  assert.equal(iniStore.emitPlain([numbered]), '[list]\n#1 = a\n#2 = b\n\n[DEFAULT]\nx = 1\n');
});

test('non-string scalars are written as sops ValueToString writes them; the = signs align on UTF-8 bytes', () => {
  const tree = map([
    entry(
      's',
      map([
        entry('int', 42n),
        entry('float', 0.5),
        entry('bool', false),
        entry('time', new SopsTime('2024-01-01T00:00:00Z')),
        entry('clé', 'x'),
      ]),
    ),
  ]);
  assert.equal(
    iniStore.emitPlain([tree]),
    '[s]\nint   = 42\nfloat = 0.5\nbool  = false\ntime  = 2024-01-01T00:00:00Z\nclé  = x\n',
  );
});

test('emitEncrypted adds a [sops] section: sorted flat keys, escaped newlines, aligned', () => {
  const output = iniStore.emitEncrypted({
    branches: [map([entry('DEFAULT', map()), entry('s', map([comment('ENC[c]'), entry('k', 'ENC[v]')]))])],
    metadata: {
      version: '3.13.2',
      mac: 'ENC[m]',
      lastmodified: '2026-01-01T00:00:00Z',
      age: [{ recipient: 'age1x', enc: 'line1\nline2\n' }],
      shamir_threshold: 3,
    },
  });
  assert.equal(
    output,
    `; ENC[c]
[s]
k = ENC[v]

[sops]
age__list_0__map_enc       = line1\\nline2\\n
age__list_0__map_recipient = age1x
lastmodified               = 2026-01-01T00:00:00Z
mac                        = ENC[m]
shamir_threshold           = 3
version                    = 3.13.2
`,
  );
  const reread = iniStore.parseEncrypted(output, 'x.ini');
  assert.deepEqual(reread.metadata, {
    age: [{ recipient: 'age1x', enc: 'line1\nline2\n' }],
    lastmodified: '2026-01-01T00:00:00Z',
    mac: 'ENC[m]',
    shamir_threshold: '3',
    version: '3.13.2',
  });
  assert.deepEqual(
    reread.branches[0],
    map([entry('DEFAULT', map()), entry('s', map([comment('ENC[c]'), entry('k', 'ENC[v]')]))]),
  );
});

test('emitValue: strings as they are, other scalars and lists as Go JSON, maps as INI', () => {
  assert.equal(iniStore.emitValue('a b'), 'a b');
  assert.equal(iniStore.emitValue(1.5), '1.5');
  assert.equal(iniStore.emitValue(1e21), '1e+21');
  assert.equal(iniStore.emitValue(12n), '12');
  assert.equal(iniStore.emitValue(true), 'true');
  assert.equal(iniStore.emitValue(null), 'null');
  assert.equal(iniStore.emitValue(new SopsTime('2024-01-01T00:00:00Z')), '"2024-01-01T00:00:00Z"');
  assert.equal(iniStore.emitValue(list(['a', '<b>&', 2n])), '["a","\\u003cb\\u003e\\u0026",2]');
  assert.equal(iniStore.emitValue(map([entry('sec', map([entry('k', 'v')]))])), '[sec]\nk = v\n');
  assert.throws(() => iniStore.emitValue(map([entry('k', 'v')])), { code: 'ERR_SOPS_INI' });
  assert.equal(new IniStore().format, 'ini');
});

test('errors: reserved [sops], missing or repeated metadata, nested values, bad syntax; no value in messages', () => {
  const secret = 'hunter2-secret';
  const noLeak = (code: string, pattern: RegExp) => (error: Error & { code?: string }) => {
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.equal(error.message.includes(secret), false, error.message);
    return true;
  };
  assert.throws(
    () => iniStore.parsePlain(`[sops]\nmac = ${secret}\n`, 'in.ini'),
    noLeak('ERR_SOPS_RESERVED_KEY', /^in\.ini: the section \[sops\] is reserved/),
  );
  assert.throws(
    () => iniStore.parseEncrypted(`[foo]\nbar = ${secret}\n`, 'plain.ini'),
    noLeak('ERR_SOPS_NOT_ENCRYPTED', /^plain\.ini: no \[sops\] section found/),
  );
  assert.throws(
    () => iniStore.parseEncrypted('[sops]\nmac = a\n[sops]\nversion = b\n', 'twice.ini'),
    noLeak('ERR_SOPS_METADATA', /appears twice/),
  );
  assert.throws(
    () => iniStore.parseEncrypted('[sops]\npgp__list_1__map_fp = a\n', 'gap.ini'),
    noLeak('ERR_SOPS_METADATA', /^gap\.ini: metadata list "pgp" has missing items/),
  );
  assert.throws(
    () =>
      iniStore.emitEncrypted({ branches: [map([entry('sops', map())])], metadata: { version: '3.13.2' } }),
    noLeak('ERR_SOPS_RESERVED_KEY', /reserved/),
  );
  assert.throws(() => iniStore.emitEncrypted({ branches: [map()], metadata: undefined }), {
    code: 'ERR_SOPS_NO_METADATA',
  });
  assert.throws(
    () => iniStore.emitPlain([map([entry('top', secret)])]),
    noLeak('ERR_SOPS_INI', /"top".*sections \(maps\)/),
  );
  assert.throws(
    () => iniStore.emitPlain([map([entry('s', map([entry('k', list([secret]))]))])]),
    noLeak('ERR_SOPS_INI', /"s\.k".*list/),
  );
  assert.throws(() => iniStore.emitPlain([map([entry('', map())])]), noLeak('ERR_SOPS_INI', /empty name/));
  assert.throws(
    () => iniStore.parsePlain(`[ok]\na = 1\n${secret}\n`, 'bad.ini'),
    noLeak('ERR_SOPS_INI_SYNTAX', /^bad\.ini: line 3: not a section header/),
  );
  assert.throws(
    () => iniStore.parsePlain(`[open\n`, 'h.ini'),
    noLeak('ERR_SOPS_INI_SYNTAX', /line 1: .*not closed/),
  );
  assert.throws(
    () => iniStore.parsePlain(`[]\n`, 'e.ini'),
    noLeak('ERR_SOPS_INI_SYNTAX', /empty section name/),
  );
  assert.throws(
    () => iniStore.parsePlain(`= ${secret}\n`, 'k.ini'),
    noLeak('ERR_SOPS_INI_SYNTAX', /empty key name/),
  );
  assert.throws(
    () => iniStore.parsePlain(`[s]\nk = """${secret}\nmore\n`, 'q.ini'),
    noLeak('ERR_SOPS_INI_SYNTAX', /line 2: the value opened with """ is never closed/),
  );
});
