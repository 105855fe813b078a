import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStdBase64, encodeStdBase64 } from '../../src/manifests/base64.ts';

test('decodes standard padded base64 and ignores line breaks, as Go does', () => {
  assert.equal(decodeStdBase64('YWRtaW4=').toString(), 'admin');
  assert.equal(decodeStdBase64('YWRt\naW4=').toString(), 'admin');
  assert.equal(decodeStdBase64('').length, 0);
  assert.deepEqual(decodeStdBase64('+/8='), Buffer.from([0xfb, 0xff]));
});

test('rejects what Go rejects, naming the position', () => {
  const cases: [string, number][] = [
    ['YWRtaW4', 4], // unpadded
    ['-_8=', 0], // URL-safe alphabet
    ['YW Rt', 2], // space
    ['YWRtaW4=YQ==', 8], // data after padding
    ['YQ===', 4], // too much padding
    ['Y', 0], // truncated quantum
  ];
  for (const [input, position] of cases) {
    assert.throws(
      () => decodeStdBase64(input),
      { code: 'ERR_BASE64', message: `illegal base64 data at input byte ${position}` },
      input,
    );
  }
});

test('encodes with padding', () => {
  assert.equal(encodeStdBase64(Buffer.from('admin')), 'YWRtaW4=');
  assert.equal(encodeStdBase64(new Uint8Array([0xfb, 0xff])), '+/8=');
});
