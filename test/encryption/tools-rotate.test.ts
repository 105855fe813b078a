import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEncryptionConfiguration, type KeyedProviderConfig } from '../../src/encryption/config.ts';
import { EncryptionToolError } from '../../src/encryption/tools/errors.ts';
import { parseResourceList } from '../../src/encryption/tools/resources.ts';
import {
  rotateEncryptionConfig,
  rotationStep,
  type KeyRotation,
  type RotateOptions,
} from '../../src/encryption/tools/rotate.ts';

const OLD = Buffer.alloc(32, 1).toString('base64');
const NEW = Buffer.alloc(32, 2);
const NOW = new Date(Date.UTC(2025, 5, 1, 12, 0, 0));
const HEADER = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n';

function options(overrides: Partial<RotateOptions> = {}): RotateOptions {
  return { now: NOW, newKey: () => NEW, file: 'enc.yaml', ...overrides };
}

function rotateKeys(text: string, overrides: Partial<RotateOptions> = {}): KeyRotation {
  const result = rotateEncryptionConfig(text, options(overrides));
  assert.equal(result.kind, 'keys');
  return result;
}

function rotateFails(text: string, pattern: RegExp, overrides: Partial<RotateOptions> = {}): void {
  assert.throws(
    () => rotateEncryptionConfig(text, options(overrides)),
    (error: unknown) => {
      assert.ok(error instanceof EncryptionToolError, String(error));
      assert.equal(error.code, 'ERR_ENCRYPTION_ROTATE');
      assert.match(error.message, pattern);
      assert.ok(!/[\r\n]/.test(error.message), error.message);
      assert.ok(!error.message.includes(OLD), 'key material in the message');
      return true;
    },
  );
}

function keyNames(text: string, entry = 0): string[] {
  const provider = parseEncryptionConfiguration(text).resources[entry]?.providers[0] as KeyedProviderConfig;
  return provider.keys.map((key) => key.name);
}

const COMMENTED = `# managed by ops: do not edit by hand
${HEADER}resources:
  - resources:
      - secrets # the important ones
    providers:
      # the first provider writes
      - aescbc:
          keys:
            - name: key-20250101000000
              secret: ${OLD} # from the vault
      - identity: {} # reads what was stored before
  - resources:
      - configmaps
    providers:
      - identity: {}
`;

test('rotate walks steps 1 → 2 → 3, keeping comments, order and the other entries', () => {
  const step1 = rotateKeys(COMMENTED);
  assert.equal(step1.step, 1);
  assert.equal(step1.provider, 'aescbc');
  assert.equal(step1.added, 'key-20250601120000');
  assert.equal(step1.writer, 'key-20250101000000');
  assert.deepEqual(step1.removed, []);
  assert.deepEqual(step1.resources, ['secrets']);
  assert.equal(
    step1.text,
    COMMENTED.replace(
      `secret: ${OLD} # from the vault\n`,
      `secret: ${OLD} # from the vault\n            - name: key-20250601120000\n              secret: ${NEW.toString('base64')}\n`,
    ),
  );
  assert.deepEqual(step1.done, [
    'step 1 of 3: added aescbc key "key-20250601120000" as the second key for secrets in enc.yaml; "key-20250101000000" still encrypts new writes.',
  ]);
  assert.equal(step1.next[0], '1. Back up enc.yaml securely: it now holds the new key.');
  assert.match(
    step1.next[1] ?? '',
    /^2\. Restart every kube-apiserver .* Each can then read data written with "key-20250601120000"\.$/,
  );
  assert.equal(step1.next[2], '3. Then run: cloak encryption config rotate enc.yaml');

  const step2 = rotateKeys(step1.text, { newKey: () => assert.fail('step 2 makes no key') });
  assert.equal(step2.step, 2);
  assert.equal(step2.writer, 'key-20250601120000');
  assert.equal(step2.added, undefined);
  assert.equal(
    step2.text,
    COMMENTED.replace(
      `            - name: key-20250101000000\n              secret: ${OLD} # from the vault\n`,
      `            - name: key-20250601120000\n              secret: ${NEW.toString('base64')}\n            - name: key-20250101000000\n              secret: ${OLD} # from the vault\n`,
    ),
  );
  assert.deepEqual(step2.done, [
    'step 2 of 3: moved aescbc key "key-20250601120000" first for secrets in enc.yaml: it encrypts new writes; "key-20250101000000" stays to read older data.',
  ]);
  assert.ok(
    step2.next.includes('2. Re-encrypt every object: cloak encryption rewrite'),
    step2.next.join('\n'),
  );
  assert.ok(step2.next.includes('   (or: kubectl get secrets -A -o json | kubectl replace -f -)'));
  assert.ok(
    step2.next.includes(
      '3. Check that nothing is left under the old key: cloak encryption verify --etcd-endpoints URLS --config enc.yaml',
    ),
  );

  const step3 = rotateKeys(step2.text, { newKey: () => assert.fail('step 3 makes no key') });
  assert.equal(step3.step, 3);
  assert.deepEqual(step3.removed, ['key-20250101000000']);
  assert.equal(step3.writer, 'key-20250601120000');
  assert.equal(
    step3.text,
    COMMENTED.replace(
      `            - name: key-20250101000000\n              secret: ${OLD} # from the vault\n`,
      `            - name: key-20250601120000\n              secret: ${NEW.toString('base64')}\n`,
    ),
  );
  assert.deepEqual(step3.done, [
    'step 3 of 3: removed aescbc key "key-20250101000000" for secrets from enc.yaml; "key-20250601120000" is the only key.',
  ]);
  assert.match(
    step3.next.at(-1) ?? '',
    /^The rotation is complete\. Data still written with "key-20250101000000" can no longer be read/,
  );

  // With one key left, the next run starts a new rotation.
  const again = rotateKeys(step3.text, { now: new Date(Date.UTC(2025, 11, 1)) });
  assert.equal(again.step, 1);
  assert.deepEqual(keyNames(again.text), ['key-20250601120000', 'key-20251201000000']);
});

test('rotate a key whose name has no timestamp; two runs within one second still order', () => {
  const text = `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - {name: key1, secret: "${OLD}"}\n`;
  const step1 = rotateKeys(text);
  assert.deepEqual(keyNames(step1.text), ['key1', 'key-20250601120000']);
  const step2 = rotateKeys(step1.text);
  assert.deepEqual(keyNames(step2.text), ['key-20250601120000', 'key1']);
  const step3 = rotateKeys(step2.text);
  assert.deepEqual(keyNames(step3.text), ['key-20250601120000']);
  const next = rotateKeys(step3.text); // the same second
  assert.deepEqual(keyNames(next.text), ['key-20250601120000', 'key-20250601120001']);
  assert.equal(next.step, 1);
});

test('a JSON file stays JSON', () => {
  const text = JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: OLD }] } }] }],
  });
  const step1 = rotateKeys(text, { file: 'enc.json' });
  assert.ok(step1.text.startsWith('{\n  "apiVersion": "apiserver.config.k8s.io/v1",\n'), step1.text);
  assert.deepEqual(JSON.parse(step1.text), {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [
          {
            aesgcm: {
              keys: [
                { name: 'k1', secret: OLD },
                { name: 'key-20250601120000', secret: NEW.toString('base64') },
              ],
            },
          },
        ],
      },
    ],
  });
});

test('several resources in one entry rotate together; --resources names them in the commands', () => {
  const text = `${HEADER}resources:\n  - resources: [secrets, configmaps]\n    providers:\n      - aesgcm:\n          keys:\n            - name: key-20250101000000\n              secret: ${OLD}\n`;
  const step1 = rotateKeys(text, { resources: parseResourceList('secrets,configmaps') });
  assert.deepEqual(step1.resources, ['secrets', 'configmaps']);
  assert.equal(
    step1.next[2],
    '3. Then run: cloak encryption config rotate enc.yaml --resources secrets,configmaps',
  );
  assert.ok(step1.done[0]?.includes('for secrets, configmaps in enc.yaml'));
  // A file name with spaces is quoted for the shell.
  const quoted = rotateKeys(text, { file: "my enc's.yaml" });
  assert.equal(quoted.next[2], `3. Then run: cloak encryption config rotate 'my enc'\\''s.yaml'`);
});

test('rotate refuses states it cannot step from, saying why', () => {
  const keys = (...names: string[]): string =>
    `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n${names
      .map((name) => `            - name: ${name}\n              secret: ${OLD}\n`)
      .join('')}`;
  rotateFails(
    keys('key-20250101000000', 'key-20240101000000', 'key-20250301000000'),
    /^cannot tell the rotation step: the newest key "key-20250301000000" is key 3 of 3 \("key-20250101000000", "key-20240101000000", "key-20250301000000"\); a rotation in progress has it second \(next: move it first\) or first \(next: remove the others\)$/,
  );
  rotateFails(
    keys('alpha', 'beta'),
    /^cannot tell which key is the newest: none of the key names \("alpha", "beta"\) ends in a timestamp \(key-YYYYMMDDhhmmss\); finish this rotation by hand, or leave one key and rotate again$/,
  );
  rotateFails(
    keys('a-20250101000000', 'b-20250101000000'),
    /^cannot tell which key is the newest: several key names \("a-20250101000000", "b-20250101000000"\) carry the same timestamp$/,
  );
  rotateFails(
    `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n      - aescbc:\n          keys:\n            - name: k1\n              secret: ${OLD}\n`,
    /^secrets is written by the identity provider \(no encryption\) in enc\.yaml: there is no key to rotate; put an encrypting provider first \(cloak encryption config generate makes one\)$/,
  );
  rotateFails(
    `${HEADER}resources:\n  - resources: [configmaps]\n    providers:\n      - aescbc:\n          keys:\n            - name: k1\n              secret: ${OLD}\n`,
    /^enc\.yaml does not cover secrets: it is stored in plain text, with no key to rotate$/,
  );
  const twoEntries = `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k1\n              secret: ${OLD}\n  - resources: [configmaps]\n    providers:\n      - aesgcm:\n          keys:\n            - name: k1\n              secret: ${OLD}\n`;
  rotateFails(
    twoEntries,
    /^secrets, configmaps are at different rotation steps \(or providers\) in enc\.yaml: rotate them one at a time with --resources$/,
    { resources: parseResourceList('secrets,configmaps') },
  );
  // One at a time works.
  assert.equal(rotateKeys(twoEntries, { resources: parseResourceList('configmaps') }).provider, 'aesgcm');
  rotateFails(
    `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k1\n              secret: ${OLD}\n`,
    /^the new key must be 32 bytes$/,
    { newKey: () => Buffer.alloc(16) },
  );
  // Anchors and aliases: the keys list is not where the edit can reach it.
  rotateFails(
    `${HEADER}resources:\n  - resources: [configmaps]\n    providers:\n      - aescbc:\n          keys: &keys\n            - name: k1\n              secret: ${OLD}\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys: *keys\n`,
    /^enc\.yaml: cannot find the provider's keys list in the file \(anchors or aliases there are not supported\)$/,
  );
});

test("an invalid file is refused with kube-apiserver's field errors before anything is changed", () => {
  assert.throws(
    () =>
      rotateEncryptionConfig(
        `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k1\n              secret: c2hvcnQ=\n`,
        options(),
      ),
    (error: unknown) => {
      assert.ok(error instanceof Error && 'code' in error);
      assert.equal(error.code, 'ERR_ENCRYPTION_CONFIG');
      assert.match(error.message, /^enc\.yaml: resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret: /);
      assert.ok(!error.message.includes('c2hvcnQ='));
      return true;
    },
  );
});

test('kms: the file is left as it is, and the rotation in the KMS is explained', () => {
  const text = `${HEADER}resources:\n  - resources: [secrets]\n    providers:\n      - kms:\n          apiVersion: v2\n          name: vault\n          endpoint: unix:///run/kms.sock\n      - identity: {}\n`;
  const result = rotateEncryptionConfig(text, options({ newKey: () => assert.fail('kms makes no key') }));
  assert.equal(result.kind, 'kms');
  const kms = result;
  assert.equal(kms.providerName, 'vault');
  assert.equal(kms.apiVersion, 'v2');
  assert.deepEqual(kms.done, [
    'secrets is encrypted by the kms provider "vault" (KMS v2): its keys rotate in the KMS, not in enc.yaml, which was left unchanged.',
  ]);
  assert.equal(
    kms.next[0],
    "1. Rotate the key-encryption key in the KMS; with cloak's plugin: cloak kms-plugin rotate --key-file KEYFILE",
  );
  assert.equal(
    kms.next[2],
    '2. Wait until every kube-apiserver has seen the new key ID (its status poll runs every minute).',
  );
  assert.equal(kms.next[3], '3. Re-encrypt every object: cloak encryption rewrite');
  assert.ok(kms.next.some((line) => line.startsWith('5. Only then remove the old key from the KMS')));
  assert.ok(!kms.next.some((line) => line.includes('KMS v1 is deprecated')));
});

test('rotationStep reads the step from the key names', () => {
  assert.deepEqual(rotationStep(['anything']), { step: 1, newest: 'anything' });
  assert.deepEqual(rotationStep(['key-20250101000000', 'key-20250201000000']), {
    step: 2,
    newest: 'key-20250201000000',
  });
  assert.deepEqual(rotationStep(['key-20250201000000', 'key-20250101000000', 'legacy']), {
    step: 3,
    newest: 'key-20250201000000',
  });
  // A name without a timestamp counts as older than any with one.
  assert.deepEqual(rotationStep(['legacy', 'key-20250101000000']), { step: 2, newest: 'key-20250101000000' });
  assert.throws(() => rotationStep([]), {
    code: 'ERR_ENCRYPTION_ROTATE',
    message: 'the provider has no keys',
  });
});
