import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { inspect } from 'node:util';
import {
  parseEncryptionConfiguration,
  parseGroupResource,
  type KeyedProviderConfig,
  type KmsProviderConfig,
} from '../../src/encryption/config.ts';
import { EncryptionConfigError } from '../../src/encryption/errors.ts';

const HEADER = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n';
const KEY32 = randomBytes(32).toString('base64');

/** A configuration with one resources entry. */
function config(providers: string, resources = '[secrets]'): string {
  return `${HEADER}resources:\n  - resources: ${resources}\n    providers:\n${providers}`;
}

/**
 * Parsing must fail with EncryptionConfigError (stable code), a message on one line that matches `pattern`
 * and contains none of the `secrets` (as written or decoded).
 */
function rejects(text: string, pattern: RegExp, secrets: readonly string[] = [], reload = false): string {
  let message = '';
  assert.throws(
    () => parseEncryptionConfiguration(text, { source: 'enc.yaml', reload }),
    (error: unknown) => {
      assert.ok(error instanceof EncryptionConfigError, `not an EncryptionConfigError: ${String(error)}`);
      assert.equal(error.code, 'ERR_ENCRYPTION_CONFIG');
      message = error.message;
      return true;
    },
  );
  assert.match(message, pattern);
  assert.ok(message.startsWith('enc.yaml: '), message);
  assert.ok(!/[\r\n]/.test(message), `message spans lines: ${message}`);
  for (const secret of secrets) {
    assert.ok(!message.includes(secret), `the message holds key material: ${message}`);
    const decoded = Buffer.from(secret, 'base64');
    if (decoded.length > 0) {
      assert.ok(!message.includes(decoded.toString('hex')), 'the message holds key bytes (hex)');
      assert.ok(!message.includes(decoded.toString('latin1')), 'the message holds key bytes');
    }
  }
  return message;
}

test('a full configuration: every provider, keys decoded, kube defaults applied', () => {
  const parsed = parseEncryptionConfiguration(`${HEADER}resources:
  - resources:
      - secrets
      - configmaps
    providers:
      - aesgcm:
          keys:
            - name: key2
              secret: ${KEY32}
            - name: key1
              secret: ${randomBytes(16).toString('base64')}
      - aescbc:
          keys: [{ name: cbc, secret: ${randomBytes(24).toString('base64')} }]
      - secretbox:
          keys: [{ name: box, secret: ${KEY32} }]
      - kms:
          apiVersion: v2
          name: vault
          endpoint: unix:///var/run/kms/vault.sock
          timeout: 5s
      - kms:
          name: legacy
          endpoint: unix:///@abstract-kms
      - identity: {}
  - resources: ['*.apps', '*.']
    providers:
      - identity: {}
`);
  const [first, second] = parsed.resources;
  assert.deepEqual(first?.resources, ['secrets', 'configmaps']);
  assert.deepEqual(
    first?.providers.map((provider) => provider.type),
    ['aesgcm', 'aescbc', 'secretbox', 'kms', 'kms', 'identity'],
  );
  const gcm = first?.providers[0] as KeyedProviderConfig;
  assert.deepEqual(
    gcm.keys.map((key) => [key.name, key.secret.length]),
    [
      ['key2', 32],
      ['key1', 16],
    ],
  );
  assert.equal(gcm.keys[0]?.secret.reveal().toString('base64'), KEY32);
  const v2 = first?.providers[3] as KmsProviderConfig;
  assert.deepEqual(v2, {
    type: 'kms',
    apiVersion: 'v2',
    name: 'vault',
    endpoint: 'unix:///var/run/kms/vault.sock',
    socketPath: '/var/run/kms/vault.sock',
    timeoutMs: 5000,
    cacheSize: undefined,
  });
  // v1 is the default apiVersion; its cache defaults to 1000 and its timeout to 3 s; /@name is abstract.
  const v1 = first?.providers[4] as KmsProviderConfig;
  assert.equal(v1.apiVersion, 'v1');
  assert.equal(v1.cacheSize, 1000);
  assert.equal(v1.timeoutMs, 3000);
  assert.equal(v1.socketPath, '@abstract-kms');
  assert.deepEqual(second?.resources, ['*.apps', '*.']);
});

test('JSON text is read too', () => {
  const parsed = parseEncryptionConfiguration(
    JSON.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [
        { resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'k', secret: KEY32 }] } }] },
      ],
    }),
  );
  assert.equal(parsed.resources[0]?.providers[0]?.type, 'secretbox');
});

test('key material never prints: inspect, JSON and string conversion show only the length', () => {
  const parsed = parseEncryptionConfiguration(
    config(`      - aesgcm:\n          keys: [{name: k, secret: ${KEY32}}]\n`),
  );
  const hex = Buffer.from(KEY32, 'base64').toString('hex');
  for (const text of [
    inspect(parsed, { depth: 10 }),
    JSON.stringify(parsed),
    String((parsed.resources[0]?.providers[0] as KeyedProviderConfig).keys[0]?.secret),
  ]) {
    assert.ok(!text.includes(KEY32) && !text.includes(hex), text);
    assert.match(text, /key material, 32 bytes/);
  }
});

test('key errors: wrong length, bad base64, empty, names missing or repeated, no keys', () => {
  const short = randomBytes(8).toString('base64');
  rejects(
    config(`      - aesgcm:\n          keys: [{name: k, secret: ${short}}]\n`),
    /resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of \[16 24 32\]/,
    [short],
  );
  const sixteen = randomBytes(16).toString('base64');
  rejects(
    config(`      - secretbox:\n          keys: [{name: k, secret: ${sixteen}}]\n`),
    /secretbox\.keys\[0\]\.secret: .*got 16, expected one of \[32\]/,
    [sixteen],
  );
  const notBase64 = `${KEY32.slice(0, 20)}!!${KEY32.slice(22)}`;
  rejects(
    config(`      - aescbc:\n          keys: [{name: k, secret: "${notBase64}"}]\n`),
    /aescbc\.keys\[0\]\.secret: Invalid value: "REDACTED": secrets must be base64 encoded/,
    [notBase64, KEY32.slice(0, 20)],
  );
  rejects(
    config(`      - aescbc:\n          keys: [{name: k, secret: ""}]\n`),
    /secret: Required value: secret is a mandatory field for a key/,
  );
  rejects(
    config(`      - aescbc:\n          keys: [{secret: ${KEY32}}]\n`),
    /keys\[0\]\.name: Required value: name is a mandatory field for a key/,
    [KEY32],
  );
  rejects(
    config(`      - aesgcm:\n          keys: [{name: k1, secret: ${KEY32}}, {name: k1, secret: ${KEY32}}]\n`),
    /keys\[1\]\.name: Duplicate value: "k1"/,
    [KEY32],
  );
  rejects(
    config('      - aesgcm:\n          keys: []\n'),
    /aesgcm\.keys: Required value: at least one keys is required/,
  );
});

test('every problem is reported, in one line', () => {
  const bad = randomBytes(5).toString('base64');
  const message = rejects(
    config(
      `      - aesgcm:\n          keys: [{name: a, secret: ${bad}}]\n      - kms:\n          apiVersion: v2\n          name: p\n          endpoint: /run/kms.sock\n          cachesize: 10\n`,
    ),
    /got 5/,
    [bad],
  );
  assert.match(message, /unsupported scheme "" for KMS provider, only unix is supported/);
  assert.match(message, /cachesize: Invalid value: 10: cachesize is not supported in v2/);
  assert.equal(message.split('; ').length, 3);
});

test('resources masked by an earlier wildcard entry', () => {
  const two = (a: string, b: string): string =>
    `${HEADER}resources:\n  - resources: ${a}\n    providers: [{identity: {}}]\n  - resources: ${b}\n    providers: [{identity: {}}]\n`;
  rejects(two("['*.*']", '[secrets]'), /resource "secrets" is masked by earlier rule "\*\.\*"/);
  rejects(
    two("['*.apps']", '[deployments.apps]'),
    /resource "deployments.apps" is masked by earlier rule "\*\.apps"/,
  );
  rejects(two("['*.']", '[configmaps]'), /resource "configmaps" is masked by earlier rule "\*\."/);
  rejects(two("['*.*']", "['*.apps']"), /resource "\*\.apps" is masked by earlier rule "\*\.\*"/);
  // A specific resource before a wildcard is fine, and so is a resource named twice (its providers append).
  parseEncryptionConfiguration(two('[secrets]', "['*.']"));
  parseEncryptionConfiguration(two('[secrets]', '[secrets]'));
  parseEncryptionConfiguration(two("['*.apps']", '[secrets]'));
});

test('resource name rules', () => {
  rejects(
    config('      - identity: {}\n', "['*']"),
    /use '\*\.' to encrypt all the resources from core API group or \*\.\* to encrypt all resources/,
  );
  rejects(config('      - identity: {}\n', '[Secrets]'), /resource name should not contain capital letters/);
  rejects(
    config('      - identity: {}\n', "['secrets', '*.']"),
    /overlapping resources such as 'secrets' and '\*\.'/,
  );
  rejects(config('      - identity: {}\n', "['*.*', 'deployments.apps']"), /overlapping resources/);
  rejects(
    config('      - identity: {}\n', '[secrets, secrets]'),
    /the same resource cannot be specified multiple times/,
  );
  rejects(
    config('      - identity: {}\n', "['pods.*']"),
    /encrypting the same resource across groups is not supported/,
  );
  rejects(config('      - identity: {}\n', '[ingresses.extensions]'), /'extensions' group has been removed/);
  rejects(config('      - identity: {}\n', '[events.events.k8s.io]'), /Use 'events' instead/);
  rejects(
    config('      - identity: {}\n', '[serviceipallocations]'),
    /resources which do not have REST API\/s cannot be encrypted/,
  );
  rejects(config('      - identity: {}\n', '[]'), /resources\[0\]\.resources: Required value/);
  parseEncryptionConfiguration(
    config('      - identity: {}\n', "['*.apps', secrets, configmaps, 'widgets.example.com']"),
  );
});

test('provider rules: exactly one type, a non-empty list', () => {
  rejects(
    config(`      - identity: {}\n        aesgcm:\n          keys: [{name: k, secret: ${KEY32}}]\n`),
    /more than one provider specified in a single element \(aesgcm, identity\)/,
    [KEY32],
  );
  rejects(config('      - {}\n'), /provider does not contain any of the expected providers/);
  // `identity:` with no value is null, which kube decodes as no provider at all.
  rejects(
    config('      - identity:\n'),
    /expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity \(identity: has no value; write for example identity: \{\}\)/,
  );
  rejects(
    `${HEADER}resources:\n  - resources: [secrets]\n    providers: []\n`,
    /resources\[0\]\.providers: Required value/,
  );
  rejects(`${HEADER}resources: []\n`, /resources: Required value: at least one resources is required/);
});

test('KMS rules: endpoint scheme, names, apiVersion, cachesize, timeout', () => {
  const kms = (fields: string): string => config(`      - kms:\n${fields.replace(/^/gm, '          ')}\n`);
  rejects(
    kms('apiVersion: v2\nname: p'),
    /endpoint: Invalid value: "": endpoint is a mandatory field for a kms/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: /var/run/kms.sock'),
    /unsupported scheme "" for KMS provider/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: tcp://127.0.0.1:9000'),
    /unsupported scheme "tcp" for KMS provider, only unix is supported/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: unix:///k.sock\ncachesize: 100'),
    /cachesize is not supported in v2/,
  );
  rejects(
    kms('apiVersion: v1\nname: p\nendpoint: unix:///k.sock\ncachesize: 0'),
    /cachesize should be a positive value, or negative to disable/,
  );
  rejects(
    kms('apiVersion: v3\nname: p\nendpoint: unix:///k.sock'),
    /unsupported apiVersion for KMS provider, only v1 and v2 are supported/,
  );
  rejects(
    kms('apiVersion: v2\nname: "a:b"\nendpoint: unix:///k.sock'),
    /invalid KMS provider name a:b, must not contain ':'/,
  );
  rejects(
    kms('apiVersion: v2\nendpoint: unix:///k.sock'),
    /kms\.name: Required value: name is a mandatory field for a provider/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: unix:///k.sock\ntimeout: 0s'),
    /timeout should be a positive value/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: unix:///k.sock\ntimeout: soon'),
    /timeout: Invalid value: "soon": not a duration/,
  );
  rejects(
    kms('apiVersion: v2\nname: p\nendpoint: unix:///k.sock\ntimeout: 3'),
    /timeout: must be a duration string/,
  );
  // v1 names may hold ':', and the scheme is case-insensitive as Go's url.Parse reads it.
  parseEncryptionConfiguration(kms('name: "a:b"\nendpoint: UNIX:///k.sock\ncachesize: -1'));

  const twoKms = (firstVersion: string, secondVersion: string): string =>
    config(
      `      - kms: {apiVersion: ${firstVersion}, name: same, endpoint: "unix:///a.sock"}\n      - kms: {apiVersion: ${secondVersion}, name: same, endpoint: "unix:///b.sock"}\n`,
    );
  rejects(
    twoKms('v2', 'v2'),
    /providers\[1\]\.kms\.name: Invalid value: "same": duplicate KMS provider name same, names must be unique/,
  );
  rejects(twoKms('v1', 'v2'), /duplicate KMS provider name same/);
  // Two v1 providers of one name are accepted, unless the configuration reloads automatically.
  parseEncryptionConfiguration(twoKms('v1', 'v1'));
  rejects(twoKms('v1', 'v1'), /duplicate KMS provider name same/, [], true);
});

test('the document: apiVersion and kind, strict fields, one document, YAML errors without the source', () => {
  rejects(
    'apiVersion: v1\nkind: EncryptionConfig\nresources: []\n',
    /kind EncryptionConfig is the pre-1\.13 format.*use apiVersion apiserver\.config\.k8s\.io\/v1 and kind EncryptionConfiguration/,
  );
  rejects(
    'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: EncryptionConfiguration\n',
    /expected apiVersion apiserver\.config\.k8s\.io\/v1 and kind EncryptionConfiguration \(found apiVersion "apiserver\.config\.k8s\.io\/v1beta1"/,
  );
  rejects(
    'resources: []\n',
    /expected apiVersion apiserver\.config\.k8s\.io\/v1 and kind EncryptionConfiguration$/,
  );
  rejects(`${HEADER}metadata: {name: x}\nresources: []\n`, /unknown field "metadata"/);
  rejects(
    config(`      - aesgcm:\n          keys: [{name: k, secret: ${KEY32}, sercet: x}]\n`),
    /keys\[0\]: unknown field "sercet"/,
    [KEY32],
  );
  rejects(
    config(`      - aesgcm:\n          keys: {name: k, secret: ${KEY32}}\n`),
    /aesgcm\.keys: must be a list, found an object/,
    [KEY32],
  );
  rejects(
    `${HEADER}resources:\n  - resources: secrets\n    providers: [{identity: {}}]\n`,
    /resources\[0\]\.resources: must be a list, found a string/,
  );
  rejects(`${HEADER}kind: EncryptionConfiguration\nresources: []\n`, /invalid YAML at line 3, column 1/);
  rejects('', /the file is empty/);
  rejects('# nothing\n', /the file is empty/);
  rejects(`${HEADER}resources: []\n---\n${HEADER}resources: []\n`, /expected one document, found 2/);
  // A syntax error on the line that holds a key: the message names the place, not the text.
  const message = rejects(
    config(`      - aesgcm:\n          keys: [{name: k, secret: "${KEY32}}]\n`),
    /invalid YAML at line \d+, column \d+/,
    [KEY32],
  );
  assert.ok(!message.includes('secret'), message);
});

test('parseGroupResource as schema.ParseGroupResource', () => {
  assert.deepEqual(parseGroupResource('secrets'), { group: '', resource: 'secrets' });
  assert.deepEqual(parseGroupResource('deployments.apps'), { group: 'apps', resource: 'deployments' });
  assert.deepEqual(parseGroupResource('*.'), { group: '', resource: '*' });
  assert.deepEqual(parseGroupResource('*.*'), { group: '*', resource: '*' });
  assert.deepEqual(parseGroupResource('widgets.example.com'), { group: 'example.com', resource: 'widgets' });
});
