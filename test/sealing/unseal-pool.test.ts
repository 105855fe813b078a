import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keyring } from '../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, parseSealingCertificate } from '../../src/sealing/keys.ts';
import { prepareSecret, sealSecret, SEALING_KEY_ANNOTATION } from '../../src/sealing/sealed-secret.ts';
import { UnsealPool } from '../../src/sealing/unseal-pool.ts';
import { inThreadOpener, unsealAll, type UnsealInput } from '../../src/sealing/unseal.ts';
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
