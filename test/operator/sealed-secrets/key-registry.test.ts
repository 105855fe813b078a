import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Secret } from '../../../src/kube/objects.ts';
import { expandLists, parseManifests } from '../../../src/manifests/decode.ts';
import {
  parseCutoffTime,
  parseKeyValueList,
  readKeySecrets,
  renewalDue,
  RenewalSchedule,
  sealingKeyOf,
  sortNewestFirst,
} from '../../../src/operator/sealed-secrets/key-registry.ts';
import { keySecret } from '../../../src/sealing/keygen.ts';
import { sealingKey } from '../../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../../helpers/paths.ts';

function vectorSecrets(file: string): Secret[] {
  const text = readFileSync(`${SEALED_SECRETS_VECTORS}${file}`, 'utf8');
  return expandLists(parseManifests(text, file), file).map((object) => {
    const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
    return rest as unknown as Secret; // as a LIST delivers items: without kind
  });
}

test('Bitnami key Secrets are read unchanged, newest first by certificate NotBefore', () => {
  const secrets = [
    ...vectorSecrets('butterv__secret-sample-manifests/sealed-secrets-key.yaml'),
    ...vectorSecrets('redhatcluster77__k8s-nginxapp-sot/sealed-secrets-key.yaml'),
    ...vectorSecrets('amilstead__gitops-helm-workshop/sealed-secrets-key.yaml'),
  ];
  const { keys, malformed } = readKeySecrets(secrets, 'sealed-secrets-key', 'CertNotBefore');
  assert.deepEqual(malformed, []);
  assert.deepEqual(
    keys.map((key) => [key.secretName, key.orderingTime.getUTCFullYear()]),
    [
      ['sealed-secrets-keyjqs27', 2025],
      ['sealed-secrets-key4wlwz', 2020],
      ['', 2019],
    ],
  );
  assert.ok(keys.every((key) => key.certificate && key.fingerprint.startsWith('SHA256:')));
  assert.equal(sealingKeyOf(keys)?.secretName, 'sealed-secrets-keyjqs27');
  // The same key twice (a restored backup beside the original) counts once.
  assert.equal(
    readKeySecrets([...secrets, ...secrets], 'sealed-secrets-key', 'CertNotBefore').keys.length,
    3,
  );
});

test('only active keys and the legacy prefix-named key count; malformed ones are reported, not thrown', async () => {
  const generated = await sealingKey(2048, 'registry');
  const active = keySecret(generated, { namespace: 'kube-system' });
  active.metadata.name = 'sealed-secrets-keyaaaaa';
  const compromised = structuredClone(active);
  compromised.metadata.name = 'sealed-secrets-keybbbbb';
  compromised.metadata.labels = { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'compromised' };
  const legacy = structuredClone(active);
  legacy.metadata = { name: 'sealed-secrets-key', namespace: 'kube-system' };
  const broken: Secret = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'sealed-secrets-keybroke',
      labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' },
    },
    data: {
      'tls.key': Buffer.from(
        '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
      ).toString('base64'),
    },
  };
  const noKey = { ...broken, metadata: { ...broken.metadata, name: 'sealed-secrets-keyempty' }, data: {} };
  const { keys, malformed } = readKeySecrets(
    [compromised, broken, legacy, noKey],
    'sealed-secrets-key',
    'CertNotBefore',
  );
  assert.deepEqual(
    keys.map((key) => key.secretName),
    ['sealed-secrets-key'],
  );
  assert.deepEqual(
    malformed.map((entry) => entry.secretName),
    ['sealed-secrets-keybroke', 'sealed-secrets-keyempty'],
  );
  assert.match(malformed[0]?.reason ?? '', /cannot parse private key/);
  assert.match(malformed[1]?.reason ?? '', /tls\.key/);
  assert.equal(readKeySecrets([active], 'sealed-secrets-key', 'CertNotBefore').keys.length, 1);
});

test('ordering by Secret creation time, and keys of the same second ordered by resourceVersion', async () => {
  const [older, newer] = await Promise.all([sealingKey(2048, 'order-a'), sealingKey(2048, 'order-b')]);
  const secretOf = (key: typeof older, name: string, created: string, resourceVersion: string): Secret => {
    const secret = keySecret(key);
    secret.metadata = { ...secret.metadata, name, creationTimestamp: created, resourceVersion };
    return secret;
  };
  const a = secretOf(older, 'a', '2026-01-02T00:00:00Z', '10');
  const b = secretOf(newer, 'b', '2026-01-01T00:00:00Z', '9');
  assert.deepEqual(
    readKeySecrets([a, b], 'p', 'SecretCreationTimestamp').keys.map((key) => key.secretName),
    ['a', 'b'],
  );
  // Certificates made within the same second tie: the key Secret written later is the newer.
  const [x, y] = readKeySecrets(
    [secretOf(older, 'x', '', '99'), secretOf(newer, 'y', '', '100')],
    'p',
    'CertNotBefore',
  ).keys;
  const second = new Date('2026-01-01T00:00:00Z');
  const tied = [x, y].map((key) => ({ ...key!, orderingTime: second }));
  assert.deepEqual(
    sortNewestFirst(tied).map((key) => key.secretName),
    ['y', 'x'],
  );
  assert.deepEqual(
    sortNewestFirst(tied.reverse()).map((key) => key.secretName),
    ['y', 'x'],
  );
});

test('renewal: a key at first start, past the cutoff, and every period after the newest', () => {
  const now = new Date('2026-06-30T00:00:00Z');
  const day = 24 * 3600 * 1000;
  const policy = { periodMs: 30 * day };
  assert.deepEqual(renewalDue(undefined, now, policy), { generate: 'initial', nextCheckMs: undefined });
  assert.deepEqual(renewalDue(new Date('2026-06-20T00:00:00Z'), now, policy), {
    generate: undefined,
    nextCheckMs: day,
  });
  assert.deepEqual(renewalDue(new Date('2026-05-31T00:00:00Z'), now, policy), {
    generate: 'renewal',
    nextCheckMs: undefined,
  });
  assert.deepEqual(renewalDue(new Date('2026-06-29T00:00:00Z'), now, { periodMs: 0 }), {
    generate: undefined,
    nextCheckMs: undefined,
  });
  assert.deepEqual(
    renewalDue(new Date('2026-06-29T00:00:00Z'), now, {
      periodMs: 0,
      cutoff: new Date('2026-06-29T12:00:00Z'),
    }),
    { generate: 'cutoff', nextCheckMs: undefined },
  );
  assert.deepEqual(
    renewalDue(new Date('2026-06-29T13:00:00Z'), now, {
      periodMs: 0,
      cutoff: new Date('2026-06-29T12:00:00Z'),
    }),
    { generate: undefined, nextCheckMs: undefined },
  );
});

test('renewal: the cutoff is honoured once, even when it lies ahead of every new key', () => {
  const cutoff = new Date('2026-06-30T00:00:10Z');
  const schedule = new RenewalSchedule({ periodMs: 0, cutoff });
  const start = new Date('2026-06-30T00:00:00Z');
  assert.equal(schedule.decide(new Date('2026-06-29T00:00:00Z'), start).generate, 'cutoff');
  // The attempt failed (nothing written): still due.
  assert.equal(schedule.decide(new Date('2026-06-29T00:00:00Z'), start).generate, 'cutoff');
  schedule.generated();
  // The new key's NotBefore (00:00:01) still predates the cutoff; no second key.
  assert.equal(schedule.decide(new Date('2026-06-30T00:00:01Z'), start).generate, undefined);

  const met = new RenewalSchedule({ periodMs: 0, cutoff });
  assert.equal(met.decide(new Date('2026-06-30T00:00:11Z'), start).generate, undefined);
  // A key Secret with an old NotBefore added later is never the cue for a cutoff key.
  assert.equal(met.decide(new Date('2026-06-01T00:00:00Z'), start).generate, undefined);
  assert.equal(new RenewalSchedule({ periodMs: 0 }).decide(undefined, start).generate, 'initial');
});

test('flag values: --key-cutoff-time as `date -R` prints it, --privatekey-labels as k=v lists', () => {
  assert.equal(parseCutoffTime('Mon, 02 Jan 2006 15:04:05 -0700').toISOString(), '2006-01-02T22:04:05.000Z');
  assert.equal(parseCutoffTime('Sun, 22 Nov 2026 18:41:28 +0000').toISOString(), '2026-11-22T18:41:28.000Z');
  assert.throws(() => parseCutoffTime('2026-11-22T18:41:28Z'), /RFC 1123 with a numeric zone/);
  assert.throws(() => parseCutoffTime('Sun, 22 Nov 2026 18:41:28 GMT'), /RFC 1123/);
  assert.deepEqual(parseKeyValueList('a=1, b = x=y,,', '--privatekey-labels'), { a: '1', b: 'x=y' });
  assert.deepEqual(parseKeyValueList('', '--privatekey-labels'), {});
  assert.throws(
    () => parseKeyValueList('novalue', '--privatekey-labels'),
    /--privatekey-labels: expected key=value/,
  );
});
