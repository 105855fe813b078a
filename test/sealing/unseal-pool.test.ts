import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Keyring } from '../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, parseSealingCertificate } from '../../src/sealing/keys.ts';
import {
  planUnseal,
  prepareSecret,
  sealSecret,
  SEALING_KEY_ANNOTATION,
} from '../../src/sealing/sealed-secret.ts';
import { ownBytes, UnsealPool } from '../../src/sealing/unseal-pool.ts';
import { inThreadOpener, unsealAll, type OpenResult, type UnsealInput } from '../../src/sealing/unseal.ts';
import { sealingKey } from '../helpers/keys.ts';

async function sealedBatch(count: number, itemsEach: number): Promise<UnsealInput[]> {
  const key = await sealingKey(2048, 'old');
  const certificate = parseSealingCertificate(key.certificatePem, 'cert', new Date());
  return Array.from({ length: count }, (_, index) => {
    const data = Object.fromEntries(
      Array.from({ length: itemsEach }, (_, item) => [
        `k${item}`,
        Buffer.from(`v${index}-${item}`).toString('base64'),
      ]),
    );
    const secret = {
      kind: 'Secret' as const,
      apiVersion: 'v1' as const,
      metadata: { name: `s${index}`, namespace: 'ns' },
      data,
    };
    return { sealed: sealSecret(prepareSecret(secret, {}, 'in'), certificate, 'in'), where: `ns/s${index}` };
  });
}

async function keyring(): Promise<Keyring> {
  const keys = await Promise.all(['newer', 'old', 'newest'].map((name) => sealingKey(2048, name)));
  return new Keyring(keys.flatMap((key) => parsePrivateKeyFile(key.certificatePem + key.privateKeyPem, 'k')));
}

test('the worker pool opens a batch exactly as the calling thread does, in order', async () => {
  const inputs = await sealedBatch(12, 4);
  const keys = await keyring();
  const pool = new UnsealPool(keys.keys, 2);
  try {
    const pooled = await unsealAll(inputs, pool);
    const inline = await unsealAll(inputs, inThreadOpener(keys));
    assert.deepEqual(pooled, inline);
    assert.equal(pooled.length, 12);
    for (const [index, outcome] of pooled.entries()) {
      assert.ok('secret' in outcome, outcome.where);
      assert.equal(Buffer.from(outcome.secret.data?.['k3'] ?? '', 'base64').toString(), `v${index}-3`);
    }
  } finally {
    await pool.close();
  }
});

test('without a hint every key is still tried; wrong labels fail per object', async () => {
  const inputs = await sealedBatch(3, 3);
  for (const { sealed } of inputs) delete sealed.metadata.annotations?.[SEALING_KEY_ANNOTATION];
  inputs[1]!.sealed.metadata.name = 'renamed';
  await using pool = new UnsealPool((await keyring()).keys, 2);
  const outcomes = await unsealAll(inputs, pool);
  assert.ok('secret' in outcomes[0]!);
  assert.ok('error' in outcomes[1]!);
  assert.equal(outcomes[1].error.message, 'ns/s1: no key could decrypt secret (k0, k1, k2)');
  assert.ok('secret' in outcomes[2]!);
});

test('a closed pool refuses work', async () => {
  const pool = new UnsealPool([], 1);
  await pool.close();
  await assert.rejects(pool.open([]), /unseal pool is closed/);
});

test('values travel to the workers and back as their own bytes: no pool slabs, nothing of the caller’s detached', async () => {
  const inputs = await sealedBatch(2, 2);
  const keys = await keyring();
  // Views into one shared ArrayBuffer, as small Buffers are (Buffer's pool slabs).
  const slab = new Uint8Array(64 * 1024);
  let offset = 0;
  const view = (bytes: Uint8Array): Uint8Array => {
    slab.set(bytes, offset);
    offset += bytes.byteLength;
    return slab.subarray(offset - bytes.byteLength, offset);
  };
  const requests = inputs.flatMap(({ sealed, where }) => {
    const plan = planUnseal(sealed, where);
    return plan.values.map((value) => ({ data: view(value.data), label: view(plan.label), hint: plan.hint }));
  });
  const before = Buffer.from(slab);
  await using pool = new UnsealPool(keys.keys, 2);
  const pooled = await pool.open(requests);
  const plain = (results: readonly OpenResult[]) =>
    results.map((result) => (result.ok ? Buffer.from(result.plaintext).toString() : result.reason));
  assert.deepEqual(plain(pooled), plain(await inThreadOpener(keys).open(requests)));
  assert.equal(slab.byteLength, 64 * 1024, 'the caller’s buffer is not transferred away');
  assert.deepEqual(Buffer.from(slab), before);
  for (const result of pooled) {
    assert.ok(result.ok);
    assert.equal(result.plaintext.buffer.byteLength, result.plaintext.byteLength, 'no slab comes back');
  }
  const small = Buffer.from('aGVsbG8=', 'base64');
  assert.ok(small.buffer.byteLength > small.byteLength, 'small Buffers are views into a slab');
  assert.equal(ownBytes(small).buffer.byteLength, small.byteLength);
});

test('concurrent callers share batches: 40 SealedSecrets at once go out in a few messages, each caller gets its own results', async () => {
  const inputs = await sealedBatch(40, 4);
  const keys = await keyring();
  await using pool = new UnsealPool(keys.keys, 2);
  const outcomes = await Promise.all(inputs.map((input) => unsealAll([input], pool)));
  for (const [index, [outcome]] of outcomes.entries()) {
    assert.ok(outcome && 'secret' in outcome, outcome?.where);
    assert.equal(outcome.where, `ns/s${index}`);
    assert.equal(Buffer.from(outcome.secret.data?.['k2'] ?? '', 'base64').toString(), `v${index}-2`);
  }
  // 160 values; one message per value (or per caller) would be 160 (or 40).
  assert.ok(pool.batches <= 20, `${pool.batches} messages`);
});

test('workers start on first use and stop when idle, then start again', async () => {
  const inputs = await sealedBatch(2, 2);
  const keys = await keyring();
  await using pool = new UnsealPool(keys.keys, { size: 2, idleTimeoutMs: 100 });
  assert.equal(pool.running, 0);
  assert.ok('secret' in (await unsealAll(inputs, pool))[0]!);
  assert.equal(pool.running, 2);
  for (let waited = 0; pool.running > 0 && waited < 5000; waited += 50) await sleep(50);
  assert.equal(pool.running, 0);
  assert.ok('secret' in (await unsealAll(inputs, pool))[1]!);
  assert.equal(pool.workerStarts, 4);
});

test('closing the pool fails the work still queued or in flight', async () => {
  const inputs = await sealedBatch(20, 4);
  const pool = new UnsealPool((await keyring()).keys, 1);
  const rejected = assert.rejects(unsealAll(inputs, pool), /unseal pool is closed/);
  await pool.close();
  await rejected;
});

test('a long queue is worked through in order (the queue compacts itself as it goes)', async () => {
  const keys = await keyring();
  const sealed = (await sealedBatch(6, 1)).map(({ sealed, where }) => {
    const plan = planUnseal(sealed, where);
    return { data: plan.values[0]!.data, label: plan.label, hint: plan.hint };
  });
  await using pool = new UnsealPool(keys.keys, 2);
  // Values too short to hold an RSA block fail at once, so 5,000 of them are quick; six real ones mark the order.
  const requests = Array.from({ length: 5_000 }, (_, index) =>
    index % 997 === 0
      ? sealed[index / 997]!
      : { data: Uint8Array.of(0, 1, index & 0xff), label: new Uint8Array(0) },
  );
  const results = await pool.open(requests);
  const text = (result: OpenResult): string =>
    result.ok ? Buffer.from(result.plaintext).toString() : result.reason;
  assert.deepEqual(results.map(text), (await inThreadOpener(keys).open(requests)).map(text));
  assert.deepEqual(
    results.flatMap((result, index) => (result.ok ? [index] : [])),
    [0, 997, 1994, 2991, 3988, 4985],
  );
});
