import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { hybridDecrypt, hybridEncrypt, openWithKey, splitSealed } from '../../src/sealing/format.ts';
import { encryptionLabel } from '../../src/sealing/scope.ts';
import { independentDecrypt, independentEncrypt } from '../helpers/independent-sealed-secrets.ts';
import { sealingKey } from '../helpers/keys.ts';

for (const bits of [2048, 3072, 4096]) {
  test(`RSA-${bits}: layout is u16 length ‖ RSA ciphertext ‖ GCM ciphertext ‖ tag`, async () => {
    const key = await sealingKey(bits);
    const publicKey = createPublicKey(key.privateKey);
    const plaintext = Buffer.from('hunter2');
    const sealed = hybridEncrypt(publicKey, plaintext, Buffer.from('default/db'));
    const rsaBytes = bits / 8;
    assert.equal(sealed.readUInt16BE(0), rsaBytes);
    assert.equal(sealed.length, 2 + rsaBytes + plaintext.length + 16);
    // 4096-bit values start "Ag", 2048-bit ones "AQ", as in every real SealedSecret.
    if (bits === 4096) assert.match(sealed.toString('base64'), /^Ag/);
    if (bits === 2048) assert.match(sealed.toString('base64'), /^AQ/);
    const opened = independentDecrypt(key.privateKeyPem, sealed.toString('base64'), 'default/db');
    assert.equal(opened.toString(), 'hunter2');
  });
}

test('values sealed by an independent encryptor open', async () => {
  const key = await sealingKey(2048);
  const value = independentEncrypt(createPublicKey(key.privateKey), Buffer.from('s3cret'), 'ns');
  assert.equal(
    hybridDecrypt([key.privateKey], Buffer.from(value, 'base64'), Buffer.from('ns')).toString(),
    's3cret',
  );
});

test('each value gets a fresh session key', async () => {
  const key = await sealingKey(2048);
  const publicKey = createPublicKey(key.privateKey);
  const a = hybridEncrypt(publicKey, Buffer.from('same'), Buffer.alloc(0));
  const b = hybridEncrypt(publicKey, Buffer.from('same'), Buffer.alloc(0));
  assert.notDeepEqual(a, b);
});

test('labels bind scope: strict "ns/name", namespace-wide "ns", cluster-wide empty', () => {
  assert.equal(encryptionLabel('strict', 'prod', 'db').toString(), 'prod/db');
  assert.equal(encryptionLabel('namespace-wide', 'prod', 'db').toString(), 'prod');
  assert.equal(encryptionLabel('cluster-wide', 'prod', 'db').length, 0);
});

test('the wrong label, the wrong key, a flipped bit or truncation fail to open', async () => {
  const key = await sealingKey(2048);
  const other = await sealingKey(2048, 'other');
  const publicKey = createPublicKey(key.privateKey);
  const sealed = hybridEncrypt(publicKey, Buffer.from('value'), Buffer.from('a/b'));
  assert.throws(() => hybridDecrypt([key.privateKey], sealed, Buffer.from('a/c')), {
    code: 'ERR_NO_KEY',
    message: 'no key could decrypt secret',
  });
  assert.throws(() => hybridDecrypt([other.privateKey], sealed, Buffer.from('a/b')), { code: 'ERR_NO_KEY' });
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 1]! ^= 1;
  assert.throws(() => hybridDecrypt([key.privateKey], flipped, Buffer.from('a/b')), { code: 'ERR_NO_KEY' });
  assert.throws(() => hybridDecrypt([key.privateKey], sealed.subarray(0, 100), Buffer.from('a/b')), {
    code: 'ERR_SEALED_TOO_SHORT',
    message: 'SealedSecret data is too short',
  });
  assert.throws(() => hybridDecrypt([key.privateKey], sealed.subarray(0, 1), Buffer.from('a/b')), {
    code: 'ERR_SEALED_TOO_SHORT',
  });
  // Cut inside the GCM part: long enough to split, too short to carry a tag.
  assert.throws(() => hybridDecrypt([key.privateKey], sealed.subarray(0, 2 + 256 + 8), Buffer.from('a/b')), {
    code: 'ERR_NO_KEY',
  });
});

test('keys are tried in order and the first that opens wins', async () => {
  const key = await sealingKey(2048);
  const other = await sealingKey(2048, 'other');
  const sealed = hybridEncrypt(createPublicKey(key.privateKey), Buffer.from('v'), Buffer.alloc(0));
  assert.equal(hybridDecrypt([other.privateKey, key.privateKey], sealed, Buffer.alloc(0)).toString(), 'v');
});

test('a wrapped key longer than the modulus is skipped without an RSA operation', async () => {
  const small = await sealingKey(2048);
  const large = await sealingKey(3072);
  const sealed = hybridEncrypt(createPublicKey(large.privateKey), Buffer.from('v'), Buffer.alloc(0));
  assert.equal(
    openWithKey(createPrivateKey(small.privateKeyPem), splitSealed(sealed), Buffer.alloc(0)),
    undefined,
  );
});
