import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decryptValue, encryptValue, IvStash } from '../../src/sops/cipher.ts';
import { matchRule, parseConfig } from '../../src/sops/config.ts';
import { decryptTree, encryptTree } from '../../src/sops/crypt.ts';
import { formatFloatF, formatFloatG, parseYamlTimestamp } from '../../src/sops/go-format.ts';
import { EncryptionRules } from '../../src/sops/rules.ts';
import { storeFor } from '../../src/sops/stores/index.ts';
import { resolvePlainScalar } from '../../src/sops/stores/yaml-resolve.ts';
import { getAt, parseTreePath, setAt, unsetAt } from '../../src/sops/tree-path.ts';
import { SopsTime, type SopsMap } from '../../src/sops/tree.ts';

const KEY = randomBytes(32);

test("Go's float formatting: 'f' for values and the MAC, 'g' for YAML output", () => {
  const cases: [number, string, string][] = [
    [1234568000, '1234568000', '1.234568e+09'],
    [1.5, '1.5', '1.5'],
    [1e-7, '0.0000001', '1e-07'],
    [123456, '123456', '123456'],
    [1234567, '1234567', '1.234567e+06'],
    [-2.5e-5, '-0.000025', '-2.5e-05'],
    [1, '1', '1'],
    [1e21, '1000000000000000000000', '1e+21'],
  ];
  for (const [value, f, g] of cases) {
    assert.equal(formatFloatF(value), f, `f ${value}`);
    assert.equal(formatFloatG(value), g, `g ${value}`);
  }
});

test('yaml.v3 typing of plain scalars', () => {
  const cases: [string, unknown][] = [
    ['yes', 'yes'],
    ['on', 'on'],
    ['True', true],
    ['0777', 511n],
    ['0o17', 15n],
    ['0x1F', 31n],
    ['1_000', 1000n],
    ['-0b101', -5n],
    ['.5', 0.5],
    ['1e3', 1000],
    ['08', 8],
    ['~', null],
    ['', null],
    ['12:30', '12:30'],
    ['1e400', '1e400'],
  ];
  for (const [text, expected] of cases) assert.deepEqual(resolvePlainScalar(text), expected, text);
  assert.equal((resolvePlainScalar('2024-01-01') as SopsTime).text, '2024-01-01T00:00:00Z');
  assert.equal(parseYamlTimestamp('2001-12-14t21:59:43.10-05:00')?.text, '2001-12-14T21:59:43.1-05:00');
  assert.equal(parseYamlTimestamp('2001-12-14 21:59:43.10')?.text, '2001-12-14T21:59:43.1Z');
  assert.equal(parseYamlTimestamp('2024-02-30'), undefined);
});

test('ENC values: types, empty strings, IV reuse, and errors that name the path', () => {
  for (const value of ['text', 42n, 1.25, true, false, new SopsTime('2024-01-01T00:00:00Z')]) {
    const encrypted = encryptValue(value, KEY, 'a:b:');
    assert.match(
      encrypted,
      /^ENC\[AES256_GCM,data:[^,]*,iv:[A-Za-z0-9+/=]{44},tag:[A-Za-z0-9+/=]{24},type:(str|int|float|bool|time)\]$/,
    );
    assert.deepEqual(decryptValue(encrypted, KEY, 'a:b:'), value);
  }
  assert.match(encryptValue(true, KEY, 'x:'), /type:bool/);
  assert.equal(encryptValue('', KEY, 'x:'), '');
  assert.equal(decryptValue('', KEY, 'x:'), '');
  const stash = new IvStash();
  const first = encryptValue('same', KEY, 'k:');
  decryptValue(first, KEY, 'k:', stash);
  assert.equal(encryptValue('same', KEY, 'k:', stash), first, 'unchanged value, same ciphertext');
  assert.notEqual(encryptValue('changed', KEY, 'k:', stash), first);
  assert.throws(() => decryptValue(first, KEY, 'other:'), {
    code: 'ERR_SOPS_DECRYPT',
    message: /^other: could not decrypt the value/,
  });
  assert.throws(() => decryptValue('ENC[AES256_GCM,data:x', KEY, 'a:b:'), {
    message: /^a\.b: the value is not in sops' ENC/,
  });
  assert.throws(() => decryptValue('ENC[AES256_GCM,data:***,iv:AA==,tag:AA==,type:str]', KEY, 'a:'), {
    message: 'a: malformed ENC[…] value: data is not standard base64',
  });
});

function tree(yamlText: string): SopsMap[] {
  return storeFor('yaml').parsePlain(yamlText, 'test');
}

test('rules decide what is encrypted; clear values are still covered by the MAC unless mac_only_encrypted', () => {
  const input = tree('data:\n    password: p\nkind: Secret\nname_unencrypted: visible\n');
  const encryptedOnly = (rules: ConstructorParameters<typeof EncryptionRules>[0]): string =>
    storeFor('yaml').emitPlain(
      encryptTree(input, KEY, { rules: new EncryptionRules(rules), macOnlyEncrypted: false }).branches,
    );
  assert.match(encryptedOnly({}), /^name_unencrypted: visible$/m);
  assert.match(encryptedOnly({}), /^kind: ENC\[/m);
  const regex = encryptedOnly({ encryptedRegex: '^(data|stringData)$' });
  assert.match(regex, /^kind: Secret$/m);
  assert.match(regex, /^ {4}password: ENC\[/m);
  assert.match(encryptedOnly({ encryptedSuffix: 'word' }), /^kind: Secret$/m);
  assert.match(encryptedOnly({ unencryptedRegex: '^kind$' }), /^kind: Secret$/m);
  assert.throws(() => new EncryptionRules({ encryptedRegex: 'a', encryptedSuffix: 'b' }), /only one of/);

  const rules = new EncryptionRules({ encryptedRegex: '^data$' });
  const full = encryptTree(input, KEY, { rules, macOnlyEncrypted: false });
  const only = encryptTree(input, KEY, { rules, macOnlyEncrypted: true });
  assert.notEqual(full.mac, only.mac);
  const tampered = storeFor('yaml').parsePlain(
    storeFor('yaml').emitPlain(full.branches).replace('kind: Secret', 'kind: Other'),
    't',
  );
  assert.notEqual(
    decryptTree(tampered, KEY, { rules, macOnlyEncrypted: false }).mac,
    full.mac,
    'a clear value is in the MAC',
  );
  const tamperedOnly = storeFor('yaml').parsePlain(
    storeFor('yaml').emitPlain(only.branches).replace('kind: Secret', 'kind: Other'),
    't',
  );
  assert.equal(
    decryptTree(tamperedOnly, KEY, { rules, macOnlyEncrypted: true }).mac,
    only.mac,
    'but not with mac_only_encrypted',
  );
});

test('encrypted_comment_regex encrypts the values after a marker comment, not the marker itself', () => {
  const input = tree('# sops:enc\nsecret: s\nplain: p\n');
  const out = storeFor('yaml').emitPlain(
    encryptTree(input, KEY, {
      rules: new EncryptionRules({ encryptedCommentRegex: 'sops:enc' }),
      macOnlyEncrypted: false,
    }).branches,
  );
  assert.match(out, /^# sops:enc\nsecret: ENC\[.*\nplain: p\n$/);
});

test('YAML output quotes what yaml.v3 quotes', () => {
  const values: [string, string][] = [
    ['true', '"true"'],
    ['123', '"123"'],
    ['', '""'],
    ['yes', '"yes"'],
    ['2024-01-01', '"2024-01-01"'],
    ['- item', "'- item'"],
    ['a: b', "'a: b'"],
    ['#hash', "'#hash'"],
    [' leading', "' leading'"],
    ['tab\there', '"tab\\there"'],
    ['plain text', 'plain text'],
    ['multi\nline', '|-\n    multi\n    line'],
    ['ends with newline\n', '|\n    ends with newline'],
    ['trailing space \nx', '"trailing space \\nx"'],
  ];
  for (const [value, expected] of values) {
    const out = storeFor('yaml').emitPlain([{ kind: 'map', items: [{ kind: 'entry', key: 'k', value }] }]);
    assert.equal(out, `k: ${expected}\n`, JSON.stringify(value));
  }
  assert.equal(storeFor('yaml').emitPlain([tree('"123": a\n')[0] as SopsMap]), '"123": a\n');
});

test('YAML documents: lists, nested maps, multi-document streams, anchors expanded, errors located', () => {
  const text =
    'base: &b\n    x: 1\nother: *b\nlist:\n    - a: 1\n      b: 2\n    - [1, 2]\n---\nsecond: doc\n';
  const branches = tree(text);
  assert.equal(branches.length, 2);
  assert.equal(
    storeFor('yaml').emitPlain(branches),
    'base:\n    x: 1\nother:\n    x: 1\nlist:\n    - a: 1\n      b: 2\n    - - 1\n      - 2\n---\nsecond: doc\n',
  );
  assert.throws(() => tree('- a\n- b\n'), /YAML documents that are sequences are not supported/);
  assert.throws(() => tree('a: 1\na: 2\n'), /duplicate key "a"/);
  assert.throws(() => tree('1: one\n'), /only string keys are supported/);
  assert.throws(() => tree('a: [1\n'), { message: /^test: invalid YAML at line \d+, column \d+/ });
  assert.throws(() => tree('sops: x\n'), { code: 'ERR_SOPS_ALREADY_ENCRYPTED' });
});

test('JSON keeps key order and Go int/float typing', () => {
  const [branch] = storeFor('json').parsePlain(
    '{"b": 1, "1": 2.0, "a": 9223372036854775807, "big": 9223372036854775808}',
    'x',
  );
  assert.deepEqual(
    branch?.items.map((item) => (item.kind === 'entry' ? [item.key, item.value] : [])),
    [
      ['b', 1n],
      ['1', 2],
      ['a', 9223372036854775807n],
      ['big', 9223372036854775808],
    ],
  );
  assert.equal(
    storeFor('json').emitPlain([branch]),
    '{\n\t"b": 1,\n\t"1": 2,\n\t"a": 9223372036854775807,\n\t"big": 9223372036854776000\n}\n',
  );
  assert.equal(
    storeFor('json').emitPlain([tree('a: "<&>"\n')[0] as SopsMap], { indent: 2 }),
    '{\n  "a": "\\u003c\\u0026\\u003e"\n}\n',
  );
  assert.throws(() => storeFor('json').parsePlain('{"a": hunter2}', 'x.json'), {
    message: 'x.json: invalid JSON at line 1, column 7',
  });
});

test('tree paths: parse, get, set (creating on the way), unset', () => {
  assert.deepEqual(parseTreePath(`["a"][0]['b c']`), ['a', 0, 'b c']);
  assert.throws(() => parseTreePath('a.b'), /invalid path/);
  const [root] = tree('a:\n    list:\n        - x\n        - "y"\n');
  assert.equal(getAt(root as SopsMap, ['a', 'list', 1]), 'y');
  const set = setAt(root as SopsMap, ['a', 'new', 'deep'], 'v');
  // "y" stays quoted: yaml.v3 quotes YAML 1.1 booleans.
  assert.equal(
    storeFor('yaml').emitPlain([set]),
    'a:\n    list:\n        - x\n        - "y"\n    new:\n        deep: v\n',
  );
  assert.equal(
    storeFor('yaml').emitPlain([unsetAt(set, ['a', 'list', 0])]),
    'a:\n    list:\n        - "y"\n    new:\n        deep: v\n',
  );
  assert.throws(() => unsetAt(root as SopsMap, ['missing']), {
    code: 'ERR_SOPS_PATH',
    message: 'component ["missing"] not found',
  });
});

test('.sops.yaml: first matching rule wins, paths relative to the config, key groups, empty group refused', () => {
  const config = parseConfig(
    `creation_rules:
  - path_regex: secrets/prod/.*\\.yaml$
    encrypted_regex: ^(data|stringData)$
    key_groups:
      - age: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
      - age: [age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw]
    shamir_threshold: 2
  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p,age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw
    mac_only_encrypted: true
stores:
  yaml:
    indent: 2
`,
    '/repo/.sops.yaml',
  );
  const prod = matchRule(config, '/repo/secrets/prod/db.yaml');
  assert.equal(prod?.index, 0);
  assert.equal(prod?.keyGroups.length, 2);
  assert.equal(prod?.shamirThreshold, 2);
  assert.deepEqual(prod?.rules, { encryptedRegex: '^(data|stringData)$' });
  const other = matchRule(config, '/repo/app/values.yaml');
  assert.equal(other?.index, 1);
  assert.equal(other?.keyGroups[0]?.length, 2);
  assert.equal(other?.macOnlyEncrypted, true);
  assert.equal(config.indent.yaml, 2);
  assert.throws(() => parseConfig('creation_rules:\n  - key_groups:\n      - {}\n', '/r/.sops.yaml'), {
    code: 'ERR_SOPS_CONFIG',
    message: '/r/.sops.yaml: creation_rules[0].key_groups[0] is an empty key group',
  });
  assert.throws(
    () => parseConfig('creation_rules:\n  - age: nonsense\n', '/r/.sops.yaml'),
    /\/r\/\.sops\.yaml: creation_rules\[0\]: invalid age recipient/,
  );
});
