import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseEncryptionConfiguration,
  type KeyedProviderConfig,
  type KmsProviderConfig,
} from '../../src/encryption/config.ts';
import { EncryptionToolError } from '../../src/encryption/tools/errors.ts';
import {
  GENERATED_KEY_BYTES,
  generateEncryptionConfig,
  type GenerateOptions,
} from '../../src/encryption/tools/generate.ts';
import {
  KEY_NAME_PATTERN,
  formatTimestamp,
  keyNameTimestamp,
  newKeyName,
  timestampKeyName,
} from '../../src/encryption/tools/key-names.ts';

const NOW = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
const KEY = Buffer.from(Array.from({ length: 32 }, (_, index) => index + 1));

function generateFails(options: GenerateOptions, pattern: RegExp): void {
  assert.throws(
    () => generateEncryptionConfig(options),
    (error: unknown) => {
      assert.ok(error instanceof EncryptionToolError, String(error));
      assert.equal(error.code, 'ERR_ENCRYPTION_GENERATE');
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes(KEY.toString('base64')));
      return true;
    },
  );
}

for (const provider of ['aescbc', 'aesgcm', 'secretbox'] as const) {
  test(`generate ${provider}: one 32-byte base64 key named by the time, identity last, valid`, () => {
    const generated = generateEncryptionConfig({ provider, key: KEY, now: NOW });
    assert.equal(generated.keyName, 'key-20250102030405');
    // The text is a configuration kube-apiserver's rules accept, and it says exactly this.
    const config = parseEncryptionConfiguration(generated.text);
    assert.equal(config.resources.length, 1);
    assert.deepEqual(config.resources[0]?.resources, ['secrets']);
    const providers = config.resources[0]?.providers ?? [];
    assert.deepEqual(
      providers.map((each) => each.type),
      [provider, 'identity'],
    );
    const keyed = providers[0] as KeyedProviderConfig;
    assert.equal(keyed.keys.length, 1);
    assert.equal(keyed.keys[0]?.name, 'key-20250102030405');
    assert.equal(keyed.keys[0]?.secret.length, GENERATED_KEY_BYTES);
    assert.deepEqual(keyed.keys[0]?.secret.reveal(), KEY);
    // Standard base64 of the 32 bytes, as the file holds it.
    assert.ok(
      generated.text.includes(
        `            - name: key-20250102030405\n              secret: ${KEY.toString('base64')}\n`,
      ),
      generated.text,
    );
    assert.match(
      generated.text,
      /^# EncryptionConfiguration for kube-apiserver --encryption-provider-config/,
    );
    assert.ok(generated.text.includes('# cloak encryption config generate on 2025-01-02T03:04:05Z.\n'));
    assert.ok(generated.text.includes('# It holds key material'));
    assert.ok(
      generated.text.endsWith(
        `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources:\n      - secrets\n    providers:\n      - ${provider}:\n          keys:\n            - name: key-20250102030405\n              secret: ${KEY.toString('base64')}\n      - identity: {}\n`,
      ),
      generated.text,
    );
    assert.deepEqual(generated.config, config);
  });
}

test('generate: resources, a key name, no identity fallback', () => {
  const generated = generateEncryptionConfig({
    provider: 'aesgcm',
    resources: ['secrets', 'configmaps', '*.apps'],
    keyName: 'primary.v2',
    key: KEY,
    identityFallback: false,
    now: NOW,
  });
  assert.equal(generated.keyName, 'primary.v2');
  const entry = parseEncryptionConfiguration(generated.text).resources[0];
  assert.deepEqual(entry?.resources, ['secrets', 'configmaps', '*.apps']);
  assert.deepEqual(
    entry?.providers.map((each) => each.type),
    ['aesgcm'],
  );
  assert.ok(!generated.text.includes('identity'), generated.text);
});

test('generate kms: KMS v2 with name, endpoint and timeout, no key in the file', () => {
  const generated = generateEncryptionConfig({
    provider: 'kms',
    kms: { name: 'vault', endpoint: 'unix:///run/kms/plugin.sock' },
    now: NOW,
  });
  assert.equal(generated.keyName, undefined);
  const providers = parseEncryptionConfiguration(generated.text).resources[0]?.providers ?? [];
  assert.deepEqual(
    providers.map((each) => each.type),
    ['kms', 'identity'],
  );
  const kms = providers[0] as KmsProviderConfig;
  assert.equal(kms.apiVersion, 'v2');
  assert.equal(kms.name, 'vault');
  assert.equal(kms.endpoint, 'unix:///run/kms/plugin.sock');
  assert.equal(kms.socketPath, '/run/kms/plugin.sock');
  assert.equal(kms.timeoutMs, 3000);
  assert.ok(
    generated.text.includes(
      '      - kms:\n          apiVersion: v2\n          name: vault\n          endpoint: unix:///run/kms/plugin.sock\n          timeout: 3s\n      - identity: {}\n',
    ),
    generated.text,
  );
  assert.ok(generated.text.includes('# The keys are in the KMS behind the plugin; this file holds none.'));
  assert.ok(!generated.text.includes('secret:'));

  const slow = generateEncryptionConfig({
    provider: 'kms',
    kms: { name: 'vault', endpoint: 'unix:///@kms', timeout: '1m30s' },
    now: NOW,
  });
  const slowKms = parseEncryptionConfiguration(slow.text).resources[0]?.providers[0] as KmsProviderConfig;
  assert.equal(slowKms.timeoutMs, 90_000);
  assert.equal(slowKms.socketPath, '@kms');
});

test('generate refuses what cannot make a configuration, naming the problem', () => {
  generateFails(
    { provider: 'rot13' as 'aesgcm', key: KEY, now: NOW },
    /^unknown provider "rot13": use aescbc, aesgcm, secretbox, kms$/,
  );
  generateFails({ provider: 'aesgcm', resources: [], key: KEY, now: NOW }, /^no resources to encrypt$/);
  generateFails({ provider: 'aesgcm', now: NOW }, /^no key bytes$/);
  generateFails({ provider: 'aesgcm', key: KEY.subarray(0, 16), now: NOW }, /^the key must be 32 bytes$/);
  generateFails(
    { provider: 'aesgcm', key: KEY, keyName: 'has space', now: NOW },
    /^invalid key name "has space": use letters, digits/,
  );
  generateFails(
    { provider: 'aesgcm', key: KEY, kms: { name: 'x', endpoint: 'unix:///x' }, now: NOW },
    /^kms settings are for the kms provider, not aesgcm$/,
  );
  generateFails({ provider: 'kms', now: NOW }, /^the kms provider needs a name and an endpoint$/);
  generateFails(
    { provider: 'kms', key: KEY, kms: { name: 'x', endpoint: 'unix:///x' }, now: NOW },
    /^the kms provider has no key: its keys are in the KMS$/,
  );
  generateFails(
    { provider: 'kms', kms: { name: 'a:b', endpoint: 'unix:///x' }, now: NOW },
    /^invalid kms provider name "a:b"$/,
  );
  generateFails(
    { provider: 'kms', kms: { name: 'x', endpoint: 'unix:///x', timeout: 'soon' }, now: NOW },
    /^invalid kms timeout "soon": use a duration such as 3s$/,
  );
  generateFails(
    { provider: 'kms', kms: { name: 'x', endpoint: 'unix:///x', timeout: '0s' }, now: NOW },
    /^the kms timeout must be positive, not "0s"$/,
  );
});

test('generate: what kube-apiserver refuses is refused by its rules (field path, no key material)', () => {
  assert.throws(
    () =>
      generateEncryptionConfig({
        provider: 'kms',
        kms: { name: 'x', endpoint: 'http://kms.example' },
        now: NOW,
      }),
    {
      code: 'ERR_ENCRYPTION_CONFIG',
      message:
        'the generated configuration: resources[0].providers[0].kms.endpoint: Invalid value: "http://kms.example": unsupported scheme "http" for KMS provider, only unix is supported',
    },
  );
  assert.throws(
    () => generateEncryptionConfig({ provider: 'aesgcm', resources: ['Secrets'], key: KEY, now: NOW }),
    {
      code: 'ERR_ENCRYPTION_CONFIG',
      message:
        /^the generated configuration: resources\[0\]\.resources\[0\]: Invalid value: "Secrets": resource name should not contain capital letters$/,
    },
  );
});

test('key names: UTC timestamps, read back; other names have none', () => {
  assert.equal(timestampKeyName(NOW), 'key-20250102030405');
  assert.equal(formatTimestamp(new Date(Date.UTC(999, 11, 31, 23, 59, 59))), '09991231235959');
  assert.equal(keyNameTimestamp('key-20250102030405'), Date.UTC(2025, 0, 2, 3, 4, 5));
  assert.equal(keyNameTimestamp('prod-20250102030405'), Date.UTC(2025, 0, 2, 3, 4, 5));
  assert.equal(keyNameTimestamp('20250102030405'), Date.UTC(2025, 0, 2, 3, 4, 5));
  for (const name of [
    'key1',
    'key-2025010203040',
    'key-120250102030405', // 15 digits: not a 14-digit timestamp at the end
    'key-20250230000000', // 30 February
    'key-20251301000000',
    'key-20250102240000',
    'key-20250102036000',
    'key-20250102030460',
    'key-20250102030405-old',
  ]) {
    assert.equal(keyNameTimestamp(name), undefined, name);
  }
  assert.ok(KEY_NAME_PATTERN.test('key-20250102030405'));
  assert.ok(KEY_NAME_PATTERN.test('a'.repeat(63)));
  assert.ok(!KEY_NAME_PATTERN.test('a'.repeat(64)));
  assert.ok(!KEY_NAME_PATTERN.test('-key'));
  assert.ok(!KEY_NAME_PATTERN.test('key:1'));
});

test('new key names are newer than, and different from, every existing name', () => {
  assert.equal(newKeyName(NOW, []), 'key-20250102030405');
  assert.equal(newKeyName(NOW, ['key1', 'key-20240101000000']), 'key-20250102030405');
  // Within the same second, or with the clock behind the newest key: one second after it.
  assert.equal(newKeyName(NOW, ['key-20250102030405']), 'key-20250102030406');
  assert.equal(newKeyName(NOW, ['key-20300101000000', 'key-20250102030405']), 'key-20300101000001');
  // A name without the `key-` form that carries the same timestamp still counts.
  assert.equal(newKeyName(NOW, ['prod-20250102030409']), 'key-20250102030410');
});
