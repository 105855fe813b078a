import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateEncryptionConfiguration, type ProviderConfiguration } from '../../src/encryption/config.ts';
import { resourceProviders } from '../../src/encryption/tools/resources.ts';
import {
  buildVerifyReport,
  classifyStoredValue,
  formatVerifyText,
  markUnreadable,
  protectionLabel,
  readerOf,
  verifyFailed,
  verifyReportJson,
  type ResourceExpectation,
} from '../../src/encryption/tools/verify.ts';

const SECRETS = { group: '', plural: 'secrets' };
const K = Buffer.alloc(32, 3).toString('base64');
const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** Readers: aesgcm new, old; identity. Writes with aesgcm "new". */
function expectation(identity = true): ResourceExpectation {
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [
          {
            aesgcm: {
              keys: [
                { name: 'new', secret: K },
                { name: 'old', secret: K },
              ],
            },
          },
          { kms: { apiVersion: 'v2', name: 'vault', endpoint: 'unix:///run/kms.sock' } },
          ...(identity ? [{ identity: {} }] : []),
        ],
      },
    ],
  });
  return {
    target: { encrypted: true, provider: 'aesgcm', keyName: 'new' },
    providers: resourceProviders(config, SECRETS),
  };
}

test('without a configuration: plain text, encrypted, unknown — from the prefix alone', () => {
  const plain = classifyStoredValue('/registry/secrets/a/p', bytes('k8s\0TOPSECRET'), 'secrets');
  assert.deepEqual(plain, {
    key: '/registry/secrets/a/p',
    resource: 'secrets',
    namespace: 'a',
    name: 'p',
    protection: { encrypted: false, provider: 'identity' },
    state: 'plaintext',
  });
  const gcm = classifyStoredValue(
    '/registry/secrets/a/g',
    bytes('k8s:enc:aesgcm:v1:old:\x01\x02'),
    'secrets',
  );
  assert.equal(gcm.state, 'ok');
  assert.deepEqual(gcm.protection, { encrypted: true, provider: 'aesgcm', keyName: 'old' });
  const unknown = classifyStoredValue('/registry/secrets/a/u', bytes('k8s:enc:rot13:v1:x:'), 'secrets');
  assert.equal(unknown.state, 'unknown');
  const clusterScoped = classifyStoredValue('/registry/namespaces/kube-system', bytes('{}'), 'namespaces');
  assert.equal(clusterScoped.namespace, undefined);
  assert.equal(clusterScoped.name, 'kube-system');
});

test('with a configuration: ok, stale, plaintext and unreadable, with the reason', () => {
  const expect = expectation();
  const ok = classifyStoredValue(
    '/registry/secrets/a/1',
    bytes('k8s:enc:aesgcm:v1:new:xx'),
    'secrets',
    expect,
  );
  assert.equal(ok.state, 'ok');
  assert.equal(ok.reason, undefined);
  const stale = classifyStoredValue(
    '/registry/secrets/a/2',
    bytes('k8s:enc:aesgcm:v1:old:xx'),
    'secrets',
    expect,
  );
  assert.equal(stale.state, 'stale');
  assert.equal(
    stale.reason,
    'needs rewrite: written with aesgcm key "old", the configuration writes with aesgcm key "new"',
  );
  const kms = classifyStoredValue(
    '/registry/secrets/a/3',
    bytes('k8s:enc:kms:v2:vault:xx'),
    'secrets',
    expect,
  );
  assert.equal(kms.state, 'stale');
  const plain = classifyStoredValue('/registry/secrets/a/4', bytes('k8s\0'), 'secrets', expect);
  assert.equal(plain.state, 'plaintext');
  const removedKey = classifyStoredValue(
    '/registry/secrets/a/5',
    bytes('k8s:enc:aesgcm:v1:gone:xx'),
    'secrets',
    expect,
  );
  assert.equal(removedKey.state, 'unreadable');
  assert.equal(removedKey.reason, 'no provider in the configuration reads aesgcm key "gone"');
  const otherProvider = classifyStoredValue(
    '/registry/secrets/a/6',
    bytes('k8s:enc:aescbc:v1:new:xx'),
    'secrets',
    expect,
  );
  assert.equal(otherProvider.state, 'unreadable');
  // Plain text without identity in the configuration cannot be read either.
  const plainNoIdentity = classifyStoredValue(
    '/registry/secrets/a/7',
    bytes('k8s\0'),
    'secrets',
    expectation(false),
  );
  assert.equal(plainNoIdentity.state, 'unreadable');
  assert.equal(plainNoIdentity.reason, 'no provider in the configuration reads identity (plaintext)');
  markUnreadable(ok, 'cannot be opened: wrong key');
  assert.equal(ok.state, 'unreadable');
  assert.equal(ok.reason, 'cannot be opened: wrong key');
});

test('KMS v2: a value under an older key ID of the current provider is stale', () => {
  const kmsProvider: ProviderConfiguration = {
    type: 'kms',
    apiVersion: 'v2',
    name: 'vault',
    endpoint: 'unix:///run/kms.sock',
    socketPath: '/run/kms.sock',
    timeoutMs: 3000,
    cacheSize: undefined,
  };
  const protection = {
    encrypted: true,
    provider: 'kms' as const,
    keyName: 'vault',
    kmsApiVersion: 'v2' as const,
  };
  assert.equal(readerOf({ ...protection, kmsKeyId: 'a' }, [kmsProvider]), kmsProvider);
  assert.equal(readerOf({ ...protection, keyName: 'other' }, [kmsProvider]), undefined);
  assert.equal(readerOf({ ...protection, kmsApiVersion: 'v1' }, [kmsProvider]), undefined);
  assert.equal(
    protectionLabel({ ...protection, kmsKeyId: 'kek-2' }),
    'kms v2 provider "vault" key ID "kek-2"',
  );
});

test('the report: counts, per-resource summary, the verdict and the exit decision', () => {
  const expect = expectation();
  const objects = [
    classifyStoredValue('/registry/secrets/a/1', bytes('k8s:enc:aesgcm:v1:new:xx'), 'secrets', expect),
    classifyStoredValue('/registry/secrets/a/2', bytes('k8s:enc:aesgcm:v1:old:xx'), 'secrets', expect),
    classifyStoredValue('/registry/secrets/b/3', bytes('k8s:enc:aesgcm:v1:new:xx'), 'secrets', expect),
  ];
  const targets = new Map([['secrets', expect.target]]);
  const stale = buildVerifyReport(objects, ['secrets', 'configmaps'], targets);
  assert.deepEqual(stale.counts, { ok: 2, plaintext: 0, stale: 1, unreadable: 0, unknown: 0 });
  assert.ok(verifyFailed(stale));
  assert.equal(
    formatVerifyText(stale),
    [
      'KEY                    STORED WITH       STATE',
      '/registry/secrets/a/1  aesgcm key "new"  ok',
      '/registry/secrets/a/2  aesgcm key "old"  STALE: needs rewrite: written with aesgcm key "old", the configuration writes with aesgcm key "new"',
      '/registry/secrets/b/3  aesgcm key "new"  ok',
      '',
      'secrets: 3 objects',
      '       2  aesgcm key "new"',
      '       1  aesgcm key "old"',
      '  written now with: aesgcm key "new"',
      'configmaps: 0 objects',
      'FAIL: 1 stale (not under the current write key: cloak encryption rewrite)',
      '',
    ].join('\n'),
  );
  const json = verifyReportJson(stale);
  assert.equal(json['ok'], false);
  assert.deepEqual((json['objects'] as unknown[])[1], {
    key: '/registry/secrets/a/2',
    resource: 'secrets',
    namespace: 'a',
    name: '2',
    provider: 'aesgcm',
    keyName: 'old',
    encrypted: true,
    state: 'stale',
    reason: 'needs rewrite: written with aesgcm key "old", the configuration writes with aesgcm key "new"',
  });

  const good = buildVerifyReport([objects[0]!, objects[2]!], ['secrets'], targets);
  assert.ok(!verifyFailed(good));
  assert.match(
    formatVerifyText(good),
    /\nOK: every object is encrypted under the current write provider and key\n$/,
  );
  const unconfigured = buildVerifyReport(
    [classifyStoredValue('/registry/secrets/a/1', bytes('k8s:enc:aesgcm:v1:new:xx'), 'secrets')],
    ['secrets'],
  );
  assert.equal(unconfigured.configured, false);
  assert.match(formatVerifyText(unconfigured), /\nOK: every object is encrypted\n$/);
  const unknown = buildVerifyReport(
    [classifyStoredValue('/registry/secrets/a/1', bytes('k8s:enc:new:v9:x:'), 'secrets')],
    ['secrets'],
  );
  assert.ok(!verifyFailed(unknown));
  assert.match(formatVerifyText(unknown), /\nOK, but: 1 with an unknown k8s:enc: prefix\n$/);
  const plain = buildVerifyReport(
    [classifyStoredValue('/registry/secrets/a/p', bytes('k8s\0'), 'secrets')],
    ['secrets'],
  );
  assert.ok(verifyFailed(plain));
  assert.ok(formatVerifyText(plain).includes('\n/registry/secrets/a/p  identity (plaintext)  PLAINTEXT\n'));
  assert.match(formatVerifyText(plain), /\nFAIL: 1 stored in plain text\n$/);
  const empty = buildVerifyReport([], ['secrets']);
  assert.equal(formatVerifyText(empty), 'secrets: 0 objects\nOK: every object is encrypted\n');
});
