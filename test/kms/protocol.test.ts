/**
 * The KMS v2 messages on the wire, against bytes written out by hand from api.proto's field numbers (proto3:
 * zero values left out, map entries as {1: key, 2: value}); the health rules kube-apiserver applies to Status;
 * and endpoint parsing as kube's ParseEndpoint reads `unix://` URLs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ProtobufError } from '../../src/common/protobuf-wire.ts';
import { grpcTarget, parseKmsEndpoint, socketAddress } from '../../src/kms/endpoint.ts';
import { KmsError } from '../../src/kms/errors.ts';
import {
  checkKmsStatus,
  decodeDecryptRequest,
  decodeDecryptResponse,
  decodeEncryptRequest,
  decodeEncryptResponse,
  decodeStatusRequest,
  decodeStatusResponse,
  encodeDecryptRequest,
  encodeDecryptResponse,
  encodeEncryptRequest,
  encodeEncryptResponse,
  encodeStatusRequest,
  encodeStatusResponse,
  encryptResultProblem,
  methodPath,
} from '../../src/kms/protocol.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): string => Buffer.from(text).toString('hex');
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('writing', () => {
  test('method paths are /v2.KeyManagementService/{Status,Encrypt,Decrypt}', () => {
    assert.equal(methodPath('Status'), '/v2.KeyManagementService/Status');
    assert.equal(methodPath('Encrypt'), '/v2.KeyManagementService/Encrypt');
    assert.equal(methodPath('Decrypt'), '/v2.KeyManagementService/Decrypt');
  });

  test('StatusRequest is empty; StatusResponse is version=1, healthz=2, key_id=3', () => {
    assert.equal(encodeStatusRequest().length, 0);
    assert.equal(
      hex(encodeStatusResponse({ version: 'v2', healthz: 'ok', keyId: 'k1' })),
      `0a02${ascii('v2')}1202${ascii('ok')}1a02${ascii('k1')}`,
    );
    // proto3: an empty string is not written at all.
    assert.equal(hex(encodeStatusResponse({ version: 'v2', healthz: '', keyId: '' })), `0a02${ascii('v2')}`);
  });

  test('EncryptRequest is plaintext=1, uid=2; EncryptResponse ciphertext=1, key_id=2, annotations=3', () => {
    assert.equal(
      hex(encodeEncryptRequest({ plaintext: bytes(1, 2, 3), uid: 'u' })),
      `0a030102031201${ascii('u')}`,
    );
    const response = encodeEncryptResponse({
      ciphertext: bytes(0xca, 0xfe),
      keyId: 'k',
      annotations: { 'b.example.com': bytes(9), 'a.example.com': bytes() },
    });
    // Map entries in key order, both fields always present (an empty value too), as Go writes map entries.
    assert.equal(
      hex(response),
      '0a02cafe' +
        `1201${ascii('k')}` +
        `1a11 0a0d${ascii('a.example.com')} 1200`.replace(/ /g, '') +
        `1a12 0a0d${ascii('b.example.com')} 120109`.replace(/ /g, ''),
    );
  });

  test('DecryptRequest is ciphertext=1, uid=2, key_id=3, annotations=4; DecryptResponse plaintext=1', () => {
    const request = encodeDecryptRequest({
      ciphertext: bytes(7),
      uid: 'id',
      keyId: 'k',
      annotations: { 'x.io': bytes(1, 2) },
    });
    assert.equal(
      hex(request),
      `0a0107 1202${ascii('id')} 1a01${ascii('k')} 220a 0a04${ascii('x.io')} 12020102`.replace(/ /g, ''),
    );
    assert.equal(hex(encodeDecryptResponse(bytes(4, 5))), '0a020405');
    assert.equal(encodeDecryptResponse(bytes()).length, 0);
  });

  test('lengths past 127 take a two-byte varint', () => {
    const plaintext = new Uint8Array(200).fill(0xab);
    const encoded = encodeEncryptRequest({ plaintext, uid: '' });
    assert.equal(hex(encoded.subarray(0, 3)), '0ac801');
    assert.equal(encoded.length, 203);
  });
});

describe('reading', () => {
  test('reads what it writes, for random messages', () => {
    for (let i = 0; i < 50; i++) {
      const annotations: Record<string, Uint8Array> = {};
      for (let j = 0; j < i % 4; j++) annotations[`k${j}.example.com`] = randomBytes(j * 50);
      const encrypt = { ciphertext: randomBytes(1 + i * 7), keyId: `key-${i}`, annotations };
      assert.deepEqual(decodeEncryptResponse(encodeEncryptResponse(encrypt)), {
        ciphertext: new Uint8Array(encrypt.ciphertext),
        keyId: encrypt.keyId,
        annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, new Uint8Array(v)])),
      });
      const decrypt = {
        ciphertext: new Uint8Array(randomBytes(i + 1)),
        uid: `uid-${i}`,
        keyId: 'é',
        annotations: {},
      };
      assert.deepEqual(decodeDecryptRequest(encodeDecryptRequest(decrypt)), decrypt);
    }
    assert.deepEqual(decodeEncryptRequest(encodeEncryptRequest({ plaintext: bytes(1), uid: 'u' })), {
      plaintext: bytes(1),
      uid: 'u',
    });
    assert.deepEqual(decodeDecryptResponse(encodeDecryptResponse(bytes(3))), bytes(3));
    assert.deepEqual(decodeStatusResponse(new Uint8Array()), { version: '', healthz: '', keyId: '' });
  });

  test('skips unknown fields of every wire type, and known fields sent with another wire type', () => {
    const message = Buffer.from(
      [
        '4801', // field 9, varint
        `7a03${ascii('abc')}`, // field 15, bytes
        '5501020304', // field 10, fixed32
        '590102030405060708', // field 11, fixed64
        '6b 7001 6c'.replace(/ /g, ''), // field 13, a group holding field 14 varint
        '0801', // field 1 as a varint: not the string field 1, so skipped
        `0a02${ascii('v2')}`,
        `1202${ascii('ok')}`,
        `1a02${ascii('k9')}`,
      ].join(''),
      'hex',
    );
    assert.deepEqual(decodeStatusResponse(message), { version: 'v2', healthz: 'ok', keyId: 'k9' });
    decodeStatusRequest(Buffer.from('4801', 'hex'));
  });

  test('a repeated scalar field: the last one counts; a repeated map key: the last entry counts', () => {
    const status = Buffer.from(`1202${ascii('no')}1202${ascii('ok')}`, 'hex');
    assert.equal(decodeStatusResponse(status).healthz, 'ok');
    const response = Buffer.from(
      `1a06 0a01${ascii('a')} 120101 1a06 0a01${ascii('a')} 120102`.replace(/ /g, ''),
      'hex',
    );
    assert.deepEqual(decodeEncryptResponse(response).annotations, { a: bytes(2) });
  });

  test('map entries with a missing key or value read as empty; "__proto__" stays an ordinary key', () => {
    const response = Buffer.from(`1a03 120105 1a0b 0a09${ascii('__proto__')}`.replace(/ /g, ''), 'hex');
    const { annotations } = decodeEncryptResponse(response);
    assert.deepEqual(Object.keys(annotations).sort(), ['', '__proto__']);
    assert.deepEqual(annotations[''], bytes(5));
    assert.deepEqual(Object.getOwnPropertyDescriptor(annotations, '__proto__')?.value, bytes());
    assert.equal(Object.getPrototypeOf(annotations), Object.prototype);
  });

  test('decoded bytes are copies, not views of the input', () => {
    const wire = Buffer.from('0a03010203', 'hex');
    const plaintext = decodeDecryptResponse(wire);
    wire[2] = 0xff;
    assert.deepEqual(plaintext, bytes(1, 2, 3));
  });

  test('strings must be UTF-8 (as proto3 in Go); malformed input fails without quoting it', () => {
    const bad = Buffer.from('1a05c3283132ff', 'hex'); // key_id bytes that are not UTF-8
    assert.throws(
      () => decodeDecryptRequest(bad),
      (error: unknown) =>
        error instanceof ProtobufError &&
        /key_id \(3\) is not valid UTF-8/.test(error.message) &&
        !error.message.includes('c328'),
    );
    assert.throws(
      () => decodeEncryptResponse(Buffer.from('0a05010203', 'hex')),
      /truncated|runs past the end/,
    );
    assert.throws(() => decodeStatusResponse(Buffer.from('0a', 'hex')), ProtobufError);
    assert.throws(() => decodeDecryptResponse(Buffer.from('0000', 'hex')), /illegal tag 0/);
  });
});

describe('what kube-apiserver accepts', () => {
  const ok = { version: 'v2', healthz: 'ok', keyId: 'k' };

  test('Status: healthz exactly "ok", version v2 or v2beta1, a key id of 1 to 1024 bytes', () => {
    assert.deepEqual(checkKmsStatus(ok, 'unix:///k.sock'), ok);
    assert.deepEqual(checkKmsStatus({ ...ok, version: 'v2beta1' }, 'x'), { ...ok, version: 'v2beta1' });
    assert.deepEqual(checkKmsStatus({ ...ok, keyId: 'k'.repeat(1024) }, 'x').keyId.length, 1024);
    const refused: [Partial<typeof ok>, RegExp][] = [
      [{ healthz: 'Ok' }, /^KMS plugin at unix:\/\/\/k\.sock is unhealthy: Ok$/],
      [{ healthz: '' }, /is unhealthy: empty healthz$/],
      [{ healthz: 'vault sealed\n  since 10:00' }, /is unhealthy: vault sealed since 10:00$/],
      [{ version: 'v1' }, /reports API version "v1", expected "v2"/],
      [{ keyId: '' }, /reports an empty key id/],
      [{ keyId: 'é'.repeat(513) }, /a key id of 1026 bytes \(at most 1024\)/],
    ];
    for (const [change, message] of refused) {
      assert.throws(
        () => checkKmsStatus({ ...ok, ...change }, 'unix:///k.sock'),
        (error: unknown) =>
          error instanceof KmsError && error.code === 'ERR_KMS_UNHEALTHY' && message.test(error.message),
      );
    }
  });

  test('Encrypt results: ciphertext 1 to 1024 bytes, a key id, DNS-subdomain annotation keys, 32 KiB in all', () => {
    const result = { ciphertext: bytes(1), keyId: 'k', annotations: { 'kms.example.com': bytes(1) } };
    assert.equal(encryptResultProblem(result), undefined);
    assert.match(encryptResultProblem({ ...result, ciphertext: bytes() }) ?? '', /empty ciphertext/);
    assert.match(encryptResultProblem({ ...result, ciphertext: new Uint8Array(1025) }) ?? '', /1025 bytes/);
    assert.match(encryptResultProblem({ ...result, keyId: '' }) ?? '', /empty key id/);
    assert.match(
      encryptResultProblem({ ...result, annotations: { Upper_Case: bytes() } }) ?? '',
      /not a DNS subdomain/,
    );
    assert.match(
      encryptResultProblem({ ...result, annotations: { 'a.io': new Uint8Array(32 * 1024) } }) ?? '',
      /annotations of 32772 bytes/,
    );
  });
});

describe('endpoints', () => {
  test('unix:///path is a socket file, unix:///@name an abstract socket', () => {
    const file = parseKmsEndpoint('unix:///var/run/kms.sock');
    assert.deepEqual(file, { endpoint: 'unix:///var/run/kms.sock', kind: 'file', path: '/var/run/kms.sock' });
    assert.equal(socketAddress(file), '/var/run/kms.sock');
    assert.equal(grpcTarget(file), 'unix:///var/run/kms.sock');
    assert.deepEqual(parseKmsEndpoint('unix:/tmp/a%20b.sock'), {
      endpoint: 'unix:/tmp/a%20b.sock',
      kind: 'file',
      path: '/tmp/a b.sock',
    });
    const abstract = parseKmsEndpoint('unix:///@cloak-kms');
    assert.deepEqual(abstract, { endpoint: 'unix:///@cloak-kms', kind: 'abstract', name: 'cloak-kms' });
    assert.equal(socketAddress(abstract), '\0cloak-kms');
    assert.equal(grpcTarget(abstract), 'unix:\0cloak-kms');
  });

  test('anything else is refused with the forms that work', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['/var/run/kms.sock', /not a unix socket URL/],
      ['tcp://127.0.0.1:8080', /unsupported scheme "tcp"/],
      ['unix://kms.sock', /three slashes/],
      ['unix://host/kms.sock', /three slashes/],
      ['unix:kms.sock', /must be absolute/],
      ['unix:///tmp/kms.sock?x=1', /not a unix socket URL/],
      ['unix:///@', /no name/],
      ['unix:///tmp/', /names a directory/],
      [`unix:///tmp/${'x'.repeat(120)}.sock`, /longer than 107 bytes/],
    ];
    for (const [endpoint, message] of cases) {
      assert.throws(
        () => parseKmsEndpoint(endpoint),
        (error: unknown) =>
          error instanceof KmsError &&
          error.code === 'ERR_KMS_ENDPOINT' &&
          message.test(error.message) &&
          error.message.includes('unix:///path/to/plugin.sock'),
        endpoint,
      );
    }
  });
});
