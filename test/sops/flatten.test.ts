import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareGoStrings } from '../../src/common/go-strings.ts';
import { formatFloatF as formatGoFloat } from '../../src/sops/go-format.ts';
import { flattenMetadata, scalarToString, unflattenMetadata } from '../../src/sops/stores/flatten.ts';
import { SopsTime } from '../../src/sops/tree.ts';

const METADATA = {
  version: '3.13.2',
  pgp: [
    {
      fp: 'FBC7',
      enc: '-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----',
      created_at: '2026-01-01T00:00:00Z',
    },
  ],
  age: [
    { recipient: 'age1one', enc: 'one\n' },
    { recipient: 'age1two', enc: 'two\n' },
  ],
  lastmodified: '2026-01-02T03:04:05Z',
  mac: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
  unencrypted_suffix: '_unencrypted',
};

test('flattening writes __map_/__list_N keys, map keys sorted at every level, lists in order', () => {
  assert.deepEqual(flattenMetadata(METADATA), [
    { key: 'age__list_0__map_enc', value: 'one\n' },
    { key: 'age__list_0__map_recipient', value: 'age1one' },
    { key: 'age__list_1__map_enc', value: 'two\n' },
    { key: 'age__list_1__map_recipient', value: 'age1two' },
    { key: 'lastmodified', value: '2026-01-02T03:04:05Z' },
    { key: 'mac', value: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]' },
    { key: 'pgp__list_0__map_created_at', value: '2026-01-01T00:00:00Z' },
    { key: 'pgp__list_0__map_enc', value: '-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----' },
    { key: 'pgp__list_0__map_fp', value: 'FBC7' },
    { key: 'unencrypted_suffix', value: '_unencrypted' },
    { key: 'version', value: '3.13.2' },
  ]);
});

test('nested key groups, kms context maps and eleven keys keep list order (2 before 10)', () => {
  const recipients = Array.from({ length: 11 }, (_, index) => ({ recipient: `r${index}`, enc: `e${index}` }));
  const flat = flattenMetadata({
    shamir_threshold: 2n,
    mac_only_encrypted: true,
    key_groups: [
      { pgp: [], age: recipients },
      {
        kms: [{ arn: 'arn:x', context: { Team: 'a', Env: 'b' }, created_at: 't', enc: 'k', aws_profile: '' }],
      },
    ],
  });
  const keys = flat.map((item) => item.key);
  assert.equal(
    keys.indexOf('key_groups__list_0__map_age__list_2__map_enc') <
      keys.indexOf('key_groups__list_0__map_age__list_10__map_enc'),
    true,
  );
  assert.deepEqual(
    flat.filter((item) => item.key.startsWith('key_groups__list_1')).map((item) => item.key),
    [
      'key_groups__list_1__map_kms__list_0__map_arn',
      'key_groups__list_1__map_kms__list_0__map_aws_profile',
      'key_groups__list_1__map_kms__list_0__map_context__map_Env',
      'key_groups__list_1__map_kms__list_0__map_context__map_Team',
      'key_groups__list_1__map_kms__list_0__map_created_at',
      'key_groups__list_1__map_kms__list_0__map_enc',
    ],
  );
  assert.deepEqual(
    flat.filter((item) => !item.key.startsWith('key_groups')),
    [
      { key: 'mac_only_encrypted', value: 'true' },
      { key: 'shamir_threshold', value: '2' },
    ],
  );
  // Empty lists leave nothing behind, as in sops.
  assert.equal(
    keys.some((key) => key.includes('pgp')),
    false,
  );
});

test('unflattening rebuilds the same nesting, every leaf a string, whatever the order', () => {
  const flat = flattenMetadata(METADATA).reverse();
  const plain = unflattenMetadata(flat);
  assert.deepEqual(plain, {
    version: '3.13.2',
    unencrypted_suffix: '_unencrypted',
    pgp: [
      {
        fp: 'FBC7',
        enc: '-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----',
        created_at: '2026-01-01T00:00:00Z',
      },
    ],
    mac: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
    lastmodified: '2026-01-02T03:04:05Z',
    age: [
      { recipient: 'age1one', enc: 'one\n' },
      { recipient: 'age1two', enc: 'two\n' },
    ],
  });
  assert.deepEqual(unflattenMetadata([{ key: 'shamir_threshold', value: '3' }]), { shamir_threshold: '3' });
  assert.deepEqual(
    unflattenMetadata([
      { key: 'a__list_0__list_1', value: 'y' },
      { key: 'a__list_0__list_0', value: 'x' },
    ]),
    { a: [['x', 'y']] },
  );
  const proto = unflattenMetadata([{ key: '__proto__', value: 'x' }]);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ['__proto__']);
});

test('unflattening rejects duplicates, gaps, mixed shapes and bad indices', () => {
  const fails = (entries: { key: string; value: string }[], message: RegExp): void => {
    assert.throws(() => unflattenMetadata(entries), { code: 'ERR_SOPS_METADATA', message });
  };
  fails(
    [
      { key: 'mac', value: 'a' },
      { key: 'mac', value: 'b' },
    ],
    /"mac" is given twice/,
  );
  fails([{ key: 'pgp__list_1__map_fp', value: 'x' }], /"pgp" has missing items/);
  fails(
    [
      { key: 'pgp__list_0', value: 'x' },
      { key: 'pgp__list_999999999999', value: 'y' },
    ],
    /missing items/,
  );
  fails(
    [
      { key: 'pgp__list_0', value: 'x' },
      { key: 'pgp__map_fp', value: 'y' },
    ],
    /mixes/,
  );
  fails(
    [
      { key: 'pgp', value: 'x' },
      { key: 'pgp__list_0', value: 'y' },
    ],
    /mixes/,
  );
  fails(
    [
      { key: 'pgp__list_0', value: 'y' },
      { key: 'pgp', value: 'x' },
    ],
    /both as a value and as a map or list/,
  );
  fails([{ key: 'pgp__list_x', value: 'y' }], /invalid list index/);
  fails([{ key: 'pgp__list_-1', value: 'y' }], /invalid list index/);
});

test('flattening refuses values it cannot write and keys that collide', () => {
  assert.throws(() => flattenMetadata({ mac: () => 1 }), { code: 'ERR_SOPS_METADATA' });
  assert.throws(() => flattenMetadata({ shamir_threshold: NaN }), { code: 'ERR_SOPS_METADATA' });
  assert.throws(() => flattenMetadata({ a: { b: 'x' }, a__map_b: 'y' }), {
    code: 'ERR_SOPS_METADATA',
    message: /twice/,
  });
  assert.deepEqual(flattenMetadata({ a: null, b: undefined, c: {}, d: [] }), []);
});

test('scalars are written as sops ValueToString writes them', () => {
  assert.equal(scalarToString('x\ny'), 'x\ny');
  assert.equal(scalarToString(123n), '123');
  assert.equal(scalarToString(-9223372036854775808n), '-9223372036854775808');
  assert.equal(scalarToString(1.5), '1.5');
  assert.equal(scalarToString(3), '3');
  assert.equal(scalarToString(true), 'true');
  assert.equal(scalarToString(false), 'false');
  assert.equal(scalarToString(new SopsTime('2024-01-01T00:00:00Z')), '2024-01-01T00:00:00Z');
  assert.equal(scalarToString(null), '');
});

test('Go float formatting never uses an exponent', () => {
  assert.equal(formatGoFloat(1234568000), '1234568000');
  assert.equal(formatGoFloat(1e21), '1000000000000000000000');
  assert.equal(formatGoFloat(1.5e-7), '0.00000015');
  assert.equal(formatGoFloat(-2.5e-10), '-0.00000000025');
  assert.equal(formatGoFloat(1.2345e25), '12345000000000000000000000');
  assert.equal(formatGoFloat(0.1), '0.1');
  assert.equal(formatGoFloat(-0), '-0');
  assert.equal(formatGoFloat(NaN), 'NaN');
  assert.equal(formatGoFloat(-Infinity), '-Inf');
});

test('Go string order is byte order, not UTF-16 order', () => {
  assert.equal(compareGoStrings('hc_vault', 'hckms') < 0, true);
  assert.equal(compareGoStrings('mac', 'mac_only_encrypted') < 0, true);
  // U+FF5E sorts before U+1F600 in UTF-8 but after its surrogates in UTF-16.
  assert.equal(compareGoStrings('\uff5e', '\u{1f600}') < 0, true);
  assert.equal('\uff5e' < '\u{1f600}', false);
});
