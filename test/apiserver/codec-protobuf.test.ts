import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ProtobufError } from '../../src/common/protobuf-wire.ts';
import {
  PROTOBUF_API_VERSION,
  PROTOBUF_KINDS,
  decodeStorageObject,
  encodeStorageObject,
  isProtobufEnvelope,
} from '../../src/apiserver/codec/protobuf.ts';
import { VECTORS } from '../helpers/paths.ts';

const K8S_TESTDATA = `${VECTORS}k8s-testdata/`;

function vector(kind: 'Secret' | 'ConfigMap'): { pb: Buffer; text: string; json: Record<string, unknown> } {
  const text = readFileSync(`${K8S_TESTDATA}core.v1.${kind}.json`, 'utf8');
  return {
    pb: readFileSync(`${K8S_TESTDATA}core.v1.${kind}.pb`),
    text,
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string): string => Buffer.from(text).toString('hex');

/** A length-delimited field, built by hand: tag, length varint, payload (all hex). */
function ld(tag: string, payload: string): string {
  let length = fromHex(payload).length;
  let varint = '';
  while (length >= 0x80) {
    varint += ((length & 0x7f) | 0x80).toString(16).padStart(2, '0');
    length >>>= 7;
  }
  return tag + varint + length.toString(16).padStart(2, '0') + payload.replace(/\s+/g, '');
}

/** The envelope around a hand-built raw message. */
function envelopeOf(kind: string, raw: string): Buffer {
  return fromHex(
    `6b387300 ${ld('0a', `0a02${ascii('v1')} ${ld('12', ascii(kind))}`)} ${ld('12', raw)} 1a00 2200`,
  );
}

function roundTrip(object: Record<string, unknown>): Record<string, unknown> {
  return decodeStorageObject(encodeStorageObject(object));
}

// ---------------------------------------------------------------------------------------------------------
// An independent, generic protobuf walker: it knows wire types, not the codec. `schema` names the fields
// that hold nested messages, so the dump can descend into them.
// ---------------------------------------------------------------------------------------------------------

interface RawField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

function walk(bytes: Uint8Array): RawField[] {
  const buf = Buffer.from(bytes);
  const fields: RawField[] = [];
  let i = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[i++];
      assert.ok(byte !== undefined, 'walker: truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      fields.push({ field, wire, varint: readVarint() });
    } else if (wire === 2) {
      const length = Number(readVarint());
      assert.ok(i + length <= buf.length, 'walker: truncated bytes');
      fields.push({ field, wire, bytes: buf.subarray(i, i + length) });
      i += length;
    } else {
      assert.fail(`walker: unexpected wire type ${wire}`);
    }
  }
  return fields;
}

type Schema = Record<string, Record<number, string>>;

const SCHEMA: Schema = {
  Unknown: { 1: 'TypeMeta', 2: 'Secret' },
  Secret: { 1: 'ObjectMeta', 2: 'Entry', 4: 'Entry' },
  ConfigMap: { 1: 'ObjectMeta', 2: 'Entry', 3: 'Entry' },
  ObjectMeta: {
    8: 'Time',
    9: 'Time',
    11: 'Entry',
    12: 'Entry',
    13: 'OwnerReference',
    17: 'ManagedFieldsEntry',
  },
  ManagedFieldsEntry: { 4: 'Time', 7: 'FieldsV1' },
};

/** One line per field: `path field:wire value`, nested messages indented. */
function dump(bytes: Uint8Array, message = 'Unknown', indent = ''): string[] {
  const lines: string[] = [];
  for (const f of walk(bytes)) {
    const child = SCHEMA[message]?.[f.field];
    if (f.wire === 0) {
      lines.push(`${indent}${f.field}:varint ${f.varint}`);
    } else if (child !== undefined && f.bytes !== undefined) {
      lines.push(`${indent}${f.field}:${child}`);
      lines.push(...dump(f.bytes, child, `${indent}  `));
    } else {
      lines.push(`${indent}${f.field}:bytes ${JSON.stringify(f.bytes?.toString('latin1'))}`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// The upstream vectors
// ---------------------------------------------------------------------------------------------------------

for (const kind of ['Secret', 'ConfigMap'] as const) {
  test(`decodes core.v1.${kind}.pb into core.v1.${kind}.json, fields in Go's order`, () => {
    const { pb, text, json } = vector(kind);
    const decoded = decodeStorageObject(pb);
    assert.deepEqual(decoded, json);
    // Same keys in the same order as kube-apiserver's JSON encoder wrote them.
    assert.equal(JSON.stringify(decoded, null, 2), text);
  });

  test(`encodes core.v1.${kind}.json into core.v1.${kind}.pb byte for byte`, () => {
    const { pb, json } = vector(kind);
    assert.equal(hex(encodeStorageObject(json)), hex(pb));
  });
}

test('isProtobufEnvelope, PROTOBUF_KINDS', () => {
  assert.equal(isProtobufEnvelope(vector('Secret').pb), true);
  assert.equal(isProtobufEnvelope(fromHex('6b387300')), true);
  assert.equal(isProtobufEnvelope(fromHex('6b3873')), false);
  assert.equal(isProtobufEnvelope(Buffer.from('{"kind":"Secret"}')), false);
  assert.equal(isProtobufEnvelope(Buffer.from('k8s:enc:aescbc:v1:key1:')), false);
  assert.deepEqual([...PROTOBUF_KINDS].sort(), ['ConfigMap', 'Secret']);
  assert.equal(PROTOBUF_API_VERSION, 'v1');
});

// ---------------------------------------------------------------------------------------------------------
// Encoding rules, checked on exact bytes
// ---------------------------------------------------------------------------------------------------------

const MINIMAL_SECRET = {
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: { name: 'a', namespace: 'ns', uid: 'u1', creationTimestamp: '2024-01-02T03:04:05Z' },
  data: { a: 'Yg==' },
  type: 'Opaque',
};

test('a minimal Secret: empty strings and zero generation written, exact bytes, and back', () => {
  const expected = [
    '6b387300', // k8s\0
    `0a0c 0a02${ascii('v1')} 1206${ascii('Secret')}`, // typeMeta, 12 bytes
    '122f', // raw: Secret, 47 bytes
    '0a1d', //   metadata, 29 bytes
    `0a01${ascii('a')} 1200 1a02${ascii('ns')} 2200 2a02${ascii('u1')} 3200`, // name..resourceVersion
    '3800', //     generation 0
    '4208 08a5facdac06 1000', //     creationTimestamp {seconds 1704164645, nanos 0}
    `1206 0a01${ascii('a')} 1201 62`, //   data {a: "b"}
    `1a06${ascii('Opaque')}`, //   type
    '1a00 2200', // contentEncoding, contentType
  ].join('');
  const bytes = encodeStorageObject(MINIMAL_SECRET);
  assert.equal(hex(bytes), hex(fromHex(expected)));
  assert.deepEqual(decodeStorageObject(bytes), MINIMAL_SECRET);
});

test('an independent walker sees the field numbers and wire types of the reference', () => {
  const object = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'n',
      namespace: 'ns',
      uid: 'u',
      generation: 3,
      creationTimestamp: '1970-01-01T00:01:40Z',
      deletionTimestamp: '1970-01-01T00:03:20Z',
      deletionGracePeriodSeconds: 0,
      labels: { l: 'v' },
      annotations: { an: 'av' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'x', controller: false },
      ],
      finalizers: ['f1', 'f2'],
      managedFields: [
        {
          manager: 'm',
          operation: 'Update',
          apiVersion: 'v1',
          time: '1970-01-01T00:00:05Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:k': {} } },
        },
      ],
    },
    immutable: false,
    data: { k: 'AA==' },
    stringData: { s: 't' },
    type: 'Opaque',
  };
  const bytes = encodeStorageObject(object);
  assert.equal(hex(bytes.subarray(0, 4)), '6b387300');
  assert.deepEqual(dump(bytes.subarray(4)), [
    '1:TypeMeta',
    '  1:bytes "v1"',
    '  2:bytes "Secret"',
    '2:Secret',
    '  1:ObjectMeta',
    '    1:bytes "n"',
    '    2:bytes ""',
    '    3:bytes "ns"',
    '    4:bytes ""',
    '    5:bytes "u"',
    '    6:bytes ""',
    '    7:varint 3',
    '    8:Time',
    '      1:varint 100',
    '      2:varint 0',
    '    9:Time',
    '      1:varint 200',
    '      2:varint 0',
    '    10:varint 0',
    '    11:Entry',
    '      1:bytes "l"',
    '      2:bytes "v"',
    '    12:Entry',
    '      1:bytes "an"',
    '      2:bytes "av"',
    '    13:OwnerReference',
    '      1:bytes "Deployment"',
    '      3:bytes "d"',
    '      4:bytes "x"',
    '      5:bytes "apps/v1"',
    '      6:varint 0',
    '    14:bytes "f1"',
    '    14:bytes "f2"',
    '    17:ManagedFieldsEntry',
    '      1:bytes "m"',
    '      2:bytes "Update"',
    '      3:bytes "v1"',
    '      4:Time',
    '        1:varint 5',
    '        2:varint 0',
    '      6:bytes "FieldsV1"',
    '      7:FieldsV1',
    '        1:bytes "{\\"f:data\\":{\\".\\":{},\\"f:k\\":{}}}"',
    '      8:bytes ""',
    '  2:Entry',
    '    1:bytes "k"',
    '    2:bytes "\\u0000"',
    '  3:bytes "Opaque"',
    '  4:Entry',
    '    1:bytes "s"',
    '    2:bytes "t"',
    '  5:varint 0',
    '3:bytes ""',
    '4:bytes ""',
  ]);
  assert.deepEqual(roundTrip(object), object);
});

test('the walker agrees with the upstream Secret vector', () => {
  const lines = dump(vector('Secret').pb.subarray(4));
  assert.ok(lines.includes('      7:FieldsV1'));
  assert.ok(lines.includes('        1:bytes "{}"'));
  assert.equal(lines.at(-2), '3:bytes ""');
  assert.equal(lines.at(-1), '4:bytes ""');
});

test('empty maps and lists are not written and decode as absent', () => {
  const object = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'e',
      labels: {},
      annotations: {},
      finalizers: [],
      ownerReferences: [],
      managedFields: [],
    },
    data: {},
    stringData: {},
  };
  const bytes = encodeStorageObject(object);
  assert.equal(
    hex(bytes),
    hex(encodeStorageObject({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'e' } })),
  );
  const secretFields = walk(walk(bytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0)).map((f) => f.field);
  assert.deepEqual(secretFields, [1, 3]); // metadata and type only
  assert.deepEqual(decodeStorageObject(bytes), {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'e', creationTimestamp: null },
  });

  const configMap = { kind: 'ConfigMap', apiVersion: 'v1', metadata: {}, data: {}, binaryData: {} };
  const cmBytes = encodeStorageObject(configMap);
  assert.deepEqual(
    walk(walk(cmBytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0)).map((f) => f.field),
    [1],
  );
  assert.deepEqual(decodeStorageObject(cmBytes), {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { creationTimestamp: null },
  });
});

test('a nil data value leaves the entry value out; an empty one is written; both read back as ""', () => {
  const bytes = encodeStorageObject({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'n' },
    data: { a: null, b: '' },
  });
  const secret = walk(walk(bytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0));
  const entries = secret.filter((f) => f.field === 2).map((f) => hex(f.bytes ?? Buffer.alloc(0)));
  assert.deepEqual(entries, [`0a01${ascii('a')}`, `0a01${ascii('b')}1200`]);
  // gogo unmarshals a missing value as an empty, non-nil []byte: JSON "".
  assert.deepEqual(decodeStorageObject(bytes)['data'], { a: '', b: '' });

  const cm = encodeStorageObject({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {},
    data: { s: null },
    binaryData: { b: null },
  });
  const cmFields = walk(walk(cm.subarray(4))[1]?.bytes ?? Buffer.alloc(0));
  assert.deepEqual(
    cmFields.filter((f) => f.field !== 1).map((f) => `${f.field}:${hex(f.bytes ?? Buffer.alloc(0))}`),
    [`2:0a01${ascii('s')}1200`, `3:0a01${ascii('b')}`],
  );
  const decoded = decodeStorageObject(cm);
  assert.deepEqual(decoded['data'], { s: '' });
  assert.deepEqual(decoded['binaryData'], { b: '' });
});

test('immutable: false is written and kept, unset is neither', () => {
  const base = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'i' } };
  const unset = encodeStorageObject(base);
  const falseBytes = encodeStorageObject({ ...base, immutable: false });
  const trueBytes = encodeStorageObject({ ...base, immutable: true });
  const tail = (bytes: Uint8Array): string =>
    hex(walk(bytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0)).slice(-8);
  assert.equal(tail(falseBytes), '1a002800'); // type "" then immutable 0
  assert.equal(tail(trueBytes), '1a002801');
  assert.equal(tail(unset).slice(-4), '1a00');
  assert.equal('immutable' in decodeStorageObject(unset), false);
  assert.equal(decodeStorageObject(falseBytes)['immutable'], false);
  assert.equal(decodeStorageObject(trueBytes)['immutable'], true);
  // Field order in JSON: immutable comes right after metadata.
  assert.deepEqual(Object.keys(roundTrip({ ...base, type: 'Opaque', data: { a: '' }, immutable: false })), [
    'kind',
    'apiVersion',
    'metadata',
    'immutable',
    'data',
    'type',
  ]);

  const cm = encodeStorageObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: {}, immutable: false });
  assert.equal(hex(walk(cm.subarray(4))[1]?.bytes ?? Buffer.alloc(0)).slice(-4), '2000');
  assert.equal(decodeStorageObject(cm)['immutable'], false);
});

test("unicode keys and values: Go's byte order for keys, UTF-8 on the wire", () => {
  // UTF-16 order would put the emoji (D83D…) before U+FF5E; UTF-8 (Go) order puts it after (F0… > EF…).
  const data = { '😀': 'AQ==', '～': 'Ag==', é: 'Aw==', z: 'BA==', ключ: 'BQ==' };
  const labels = { 'a.example/ключ': 'значение', 日本: '語' };
  const object = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'u', labels }, data, type: 'Opaque' };
  const bytes = encodeStorageObject(object);
  const secret = walk(walk(bytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0));
  const keys = secret
    .filter((f) => f.field === 2)
    .map((f) => walk(f.bytes ?? Buffer.alloc(0))[0]?.bytes?.toString('utf8'));
  assert.deepEqual(keys, ['z', 'é', 'ключ', '～', '😀']);
  const decoded = roundTrip(object);
  assert.deepEqual(decoded, { ...object, metadata: { ...object.metadata, creationTimestamp: null } });
  assert.deepEqual(Object.keys(decoded['data'] as object), ['z', 'é', 'ключ', '～', '😀']);
});

test('a __proto__ key stays a key', () => {
  const object = JSON.parse(
    '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"p"},"data":{"__proto__":"x","a":"y"}}',
  ) as Record<string, unknown>;
  const decoded = roundTrip(object);
  const data = decoded['data'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(data), ['__proto__', 'a']);
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(data, '__proto__')?.value, 'x');
});

test('large values (1 MiB) round-trip in a Secret and a ConfigMap', () => {
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919 + (i >> 8)) & 0xff;
  const secret = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'big', creationTimestamp: null },
    data: { blob: big.toString('base64'), small: 'AA==' },
    type: 'Opaque',
  };
  const bytes = encodeStorageObject(secret);
  assert.ok(bytes.length > big.length && bytes.length < big.length + 200);
  const entry = walk(walk(walk(bytes.subarray(4))[1]?.bytes ?? Buffer.alloc(0))[1]?.bytes ?? Buffer.alloc(0));
  assert.equal(entry[1]?.bytes?.length, big.length);
  assert.ok(entry[1]?.bytes?.equals(big));
  assert.deepEqual(decodeStorageObject(bytes), secret);

  const text = 'x'.repeat(1024 * 1024);
  const configMap = {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'big', creationTimestamp: null },
    data: { text },
    binaryData: { blob: big.toString('base64') },
  };
  assert.deepEqual(roundTrip(configMap), configMap);
});

test('timestamps: offsets, fractions, the zero time, before 1970, and nil pointers', () => {
  const meta = (metadata: Record<string, unknown>): Record<string, unknown> =>
    roundTrip({ kind: 'Secret', apiVersion: 'v1', metadata })['metadata'] as Record<string, unknown>;
  // An offset is converted to UTC, a fraction dropped (kube-apiserver stores whole seconds).
  assert.deepEqual(meta({ creationTimestamp: '2008-01-01T02:01:01.999+01:00' }), {
    creationTimestamp: '2008-01-01T01:01:01Z',
  });
  // The zero time is a zero-length Time, read back as null.
  const zero = encodeStorageObject({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { creationTimestamp: '0001-01-01T00:00:00Z' },
  });
  assert.ok(hex(zero).includes('38004200'));
  assert.deepEqual(decodeStorageObject(zero)['metadata'], { creationTimestamp: null });
  // Zero seconds written out (not as an empty message) is still the zero time.
  const zeroSeconds = (BigInt.asUintN(64, -62135596800n) | 0n).toString(2);
  let varint = '';
  for (let rest = BigInt(`0b${zeroSeconds}`); ; rest >>= 7n) {
    const low = Number(rest & 0x7fn);
    if (rest < 0x80n) {
      varint += low.toString(16).padStart(2, '0');
      break;
    }
    varint += (low | 0x80).toString(16);
  }
  const explicitZero = envelopeOf('Secret', `${ld('0a', ld('42', `08${varint} 1000`))} 1a00`);
  assert.deepEqual(decodeStorageObject(explicitZero)['metadata'], { creationTimestamp: null });
  // Before 1970: a negative int64, ten bytes on the wire.
  const old = encodeStorageObject({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { creationTimestamp: '1969-12-31T23:59:59Z' },
  });
  assert.ok(hex(old).includes('420d08ffffffffffffffffff011000'));
  assert.deepEqual(decodeStorageObject(old)['metadata'], { creationTimestamp: '1969-12-31T23:59:59Z' });
  assert.deepEqual(
    meta({ creationTimestamp: '0001-01-01T00:00:01Z', deletionTimestamp: '9999-12-31T23:59:59Z' }),
    {
      creationTimestamp: '0001-01-01T00:00:01Z',
      deletionTimestamp: '9999-12-31T23:59:59Z',
    },
  );
  // Leap day.
  assert.deepEqual(meta({ creationTimestamp: '2024-02-29T12:00:00Z' }), {
    creationTimestamp: '2024-02-29T12:00:00Z',
  });
  // null is a nil pointer (not written); a zero deletionTimestamp is written and reads back as null.
  assert.deepEqual(meta({ deletionTimestamp: null, deletionGracePeriodSeconds: null }), {
    creationTimestamp: null,
  });
  assert.deepEqual(meta({ deletionTimestamp: '0001-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 }), {
    creationTimestamp: null,
    deletionTimestamp: null,
    deletionGracePeriodSeconds: 0,
  });
});

test('owner references keep empty identifying fields; managed fields keep their JSON', () => {
  const object = {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: 'o',
      generation: 12345678901,
      creationTimestamp: null,
      ownerReferences: [{ apiVersion: '', kind: '', name: '', uid: '' }],
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:k': {} }, 'k:{"type":"Ready"}': { '.': {} } },
        },
        { manager: 'x', fieldsV1: null },
      ],
    },
  };
  const decoded = roundTrip(object);
  const metadata = decoded['metadata'] as Record<string, unknown>;
  assert.deepEqual(metadata['ownerReferences'], [{ apiVersion: '', kind: '', name: '', uid: '' }]);
  assert.deepEqual(metadata['managedFields'], [object.metadata.managedFields[0], { manager: 'x' }]);
  assert.equal(metadata['generation'], 12345678901);
});

test('decoding skips unknown fields and groups, and merges a repeated metadata', () => {
  const secret = [
    ld('0a', `0a01${ascii('a')} 7805`), // metadata {name "a", unknown field 15 varint}
    ld('0a', `1a01${ascii('n')} 8001 01`), // a second metadata merges: namespace "n", unknown field 16 varint
    ld('1a', ascii('Opaque')),
    'f807 2a', // unknown field 127, varint
    '6b 7805 6c', // unknown group 13 holding a varint
    '61 0102030405060708', // unknown fixed64 (field 12)
    '65 01020304', // unknown fixed32 (field 12)
  ].join('');
  const bytes = envelopeOf('Secret', secret);
  assert.deepEqual(decodeStorageObject(bytes), {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'a', namespace: 'n', creationTimestamp: null },
    type: 'Opaque',
  });
});

test('invalid UTF-8 in stored strings reads as Go writes it: one U+FFFD per bad byte', () => {
  const name = 'e282 41 ff'; // a truncated 3-byte sequence, "A", a stray byte
  const bytes = envelopeOf('Secret', `${ld('0a', ld('0a', name))} 1a00`);
  const metadata = decodeStorageObject(bytes)['metadata'] as Record<string, unknown>;
  assert.equal(metadata['name'], '\uFFFD\uFFFDA\uFFFD');
});

// ---------------------------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------------------------

function assertCodecError(fn: () => unknown, pattern: RegExp, secret?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProtobufError);
    assert.equal(error.code, 'ERR_CODEC');
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    if (secret !== undefined) assert.ok(!error.message.includes(secret), 'no secret value in the message');
    return true;
  });
}

test('malformed values give ERR_CODEC without echoing their bytes', () => {
  const marker = 'TOPSECRETVALUE';
  const good = encodeStorageObject({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'm' },
    data: { k: Buffer.from(marker).toString('base64') },
  });
  assertCodecError(() => decodeStorageObject(new Uint8Array()), /empty/);
  assertCodecError(() => decodeStorageObject(Buffer.from(`{"data":"${marker}"}`)), /magic/, marker);
  assertCodecError(() => decodeStorageObject(Buffer.from(`k8s:enc:aescbc:v1:${marker}`)), /magic/, marker);
  // Every cut inside typeMeta or raw is an error, never a partial object. (Cut right after typeMeta, or after
  // raw, the rest is a valid message: the fields it lacks are optional.)
  const afterTypeMeta = 4 + 2 + 12;
  for (let cut = 5; cut < good.length - 4; cut++) {
    if (cut === afterTypeMeta) continue;
    assertCodecError(() => decodeStorageObject(good.subarray(0, cut)), /truncated|past the end/, marker);
  }
  // A varint cut in the middle.
  assertCodecError(() => decodeStorageObject(fromHex('6b387300 0a80')), /truncated varint at byte 5/);
  // Eleven-byte varint.
  assertCodecError(
    () => decodeStorageObject(fromHex('6b387300 28 ffffffffffffffffffff01')),
    /varint at byte 5 overflows 64 bits/,
  );
  // typeMeta (field 1) as a varint.
  assertCodecError(
    () => decodeStorageObject(fromHex('6b387300 0801')),
    /wrong wire type 0 for field typeMeta \(1\)/,
  );
  // Field number 0, and an end group out of place.
  assertCodecError(() => decodeStorageObject(fromHex('6b387300 0001')), /illegal tag 0/);
  assertCodecError(() => decodeStorageObject(fromHex('6b387300 0c')), /end group/);
  // Wire types 6 and 7 do not exist.
  assertCodecError(() => decodeStorageObject(fromHex('6b387300 2e')), /illegal wire type 6/);
  assertCodecError(() => decodeStorageObject(fromHex('6b387300 0e')), /wrong wire type 6 for field typeMeta/);
  // metadata (Secret field 1) as a varint inside raw.
  assertCodecError(
    () => decodeStorageObject(envelopeOf('Secret', '0801')),
    /protobuf Secret: wrong wire type 0 for field metadata/,
  );
  // A Time with seconds as bytes.
  assertCodecError(
    () => decodeStorageObject(envelopeOf('Secret', ld('0a', ld('42', '0a00')))),
    /Secret\.metadata\.creationTimestamp: wrong wire type 2 for field seconds/,
  );
});

test('an envelope of another kind or version is refused', () => {
  const envelope = (apiVersion: string, kind: string): Buffer => {
    const typeMeta = Buffer.concat([
      Buffer.from([0x0a, apiVersion.length]),
      Buffer.from(apiVersion),
      Buffer.from([0x12, kind.length]),
      Buffer.from(kind),
    ]);
    return Buffer.concat([
      fromHex('6b387300'),
      Buffer.from([0x0a, typeMeta.length]),
      typeMeta,
      fromHex('12001a002200'),
    ]);
  };
  assertCodecError(() => decodeStorageObject(envelope('v1', 'Pod')), /kind "Pod" \(apiVersion "v1"\)/);
  assertCodecError(() => decodeStorageObject(envelope('v2', 'Secret')), /apiVersion "v2"/);
  assertCodecError(() => decodeStorageObject(envelope('', '')), /without a kind/);
  assertCodecError(
    () => decodeStorageObject(envelope('v1', 'SECRET\u0000VALUE')),
    /an unreadable value/,
    'VALUE',
  );
  // No raw at all: Go unmarshals nothing into an empty Secret.
  assert.deepEqual(decodeStorageObject(envelope('v1', 'Secret').subarray(0, -6)), {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { creationTimestamp: null },
  });
});

test('objects that cannot be encoded give ERR_CODEC without echoing values', () => {
  const secret = (extra: Record<string, unknown>): Record<string, unknown> => ({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 's' },
    ...extra,
  });
  assertCodecError(() => encodeStorageObject({ kind: 'Pod', apiVersion: 'v1' }), /kind "Pod"/);
  assertCodecError(
    () => encodeStorageObject({ kind: 'Secret', apiVersion: 'v2' }),
    /only v1 Secret and ConfigMap/,
  );
  assertCodecError(() => encodeStorageObject({}), /without a kind/);
  assertCodecError(
    () => encodeStorageObject(secret({ data: { k: 'not base64 TOPSECRET' } })),
    /^data\["k"\]: illegal base64 data at input byte 3$/,
    'TOPSECRET',
  );
  assertCodecError(
    () => encodeStorageObject(secret({ data: { k: 5 } })),
    /data\["k"\]: expected a base64 string/,
  );
  assertCodecError(() => encodeStorageObject(secret({ data: ['a'] })), /^data: expected an object$/);
  assertCodecError(
    () => encodeStorageObject(secret({ stringData: { k: 7 } })),
    /stringData\["k"\]: expected a string/,
  );
  assertCodecError(() => encodeStorageObject(secret({ type: 1 })), /^type: expected a string$/);
  assertCodecError(
    () => encodeStorageObject(secret({ immutable: 'yes' })),
    /^immutable: expected a boolean$/,
  );
  assertCodecError(() => encodeStorageObject(secret({ metadata: 'x' })), /^metadata: expected an object$/);
  assertCodecError(
    () => encodeStorageObject(secret({ metadata: { generation: 1.5 } })),
    /metadata\.generation: expected an integer/,
  );
  assertCodecError(
    () => encodeStorageObject(secret({ metadata: { finalizers: 'f' } })),
    /metadata\.finalizers: expected an array/,
  );
  for (const time of [
    '2008-01-01 01:01:01Z',
    '2008-13-01T01:01:01Z',
    '2023-02-29T00:00:00Z',
    '2008-01-01T24:00:00Z',
    '2008-01-01T01:01:01',
    '2008-01-01T01:01:01+24:00',
    1199149261,
  ]) {
    assertCodecError(
      () => encodeStorageObject(secret({ metadata: { creationTimestamp: time } })),
      /metadata\.creationTimestamp: (not an RFC 3339 time|expected an RFC 3339 time string)/,
    );
  }
  assertCodecError(
    () => encodeStorageObject(secret({ metadata: { managedFields: [{ fieldsV1: { n: 1n } }] } })),
    /metadata\.managedFields\[0\]\.fieldsV1: not a JSON value/,
  );
});

test('fieldsV1 that is not JSON fails to decode without quoting it', () => {
  const entry = ld('3a', ld('0a', ascii('{SECRET')));
  const bytes = envelopeOf('Secret', `${ld('0a', ld('8a01', entry))} 1a00`);
  assertCodecError(
    () => decodeStorageObject(bytes),
    /managedFields\[0\]\.fieldsV1 is not valid JSON/,
    'SECRET',
  );
});
