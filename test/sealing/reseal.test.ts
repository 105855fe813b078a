/**
 * The cores of `cloak reseal`: re-sealing one SealedSecret with private keys (sealing/reseal.ts), checked with an
 * independent decryptor, and replacing sealed values in a file's own text (sealing/sealed-secret-yaml.ts) so
 * that everything else in it stays byte for byte.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Secret } from '../../src/kube/objects.ts';
import { parseManifests } from '../../src/manifests/decode.ts';
import { toGoJson, toKubeYaml } from '../../src/manifests/encode.ts';
import { Keyring } from '../../src/sealing/keyring.ts';
import { parsePrivateKeyFile, type SealingKey } from '../../src/sealing/keys.ts';
import { resealWithKeys, type ResealTarget } from '../../src/sealing/reseal.ts';
import {
  readSealedSecret,
  sealSecret,
  UnsealError,
  type SealedSecret,
} from '../../src/sealing/sealed-secret.ts';
import { findSealedSecrets, replaceSealedValues } from '../../src/sealing/sealed-secret-yaml.ts';
import { progressBar, progressReporter } from '../../src/cli/progress.ts';
import { independentDecrypt } from '../helpers/independent-sealed-secrets.ts';
import { sealingKey } from '../helpers/keys.ts';
import { SEALED_SECRETS_VECTORS } from '../helpers/paths.ts';

const VECTOR = `${SEALED_SECRETS_VECTORS}amilstead__gitops-helm-workshop/`;

async function keys(): Promise<{ old: SealingKey; newer: SealingKey; target: ResealTarget }> {
  const generated = await sealingKey(2048, 'reseal-new');
  const [old] = parsePrivateKeyFile(readFileSync(`${VECTOR}sealed-secrets-key.yaml`), 'vector key');
  const newer: SealingKey = {
    privateKey: generated.privateKey,
    fingerprint: generated.fingerprint,
    createdAt: generated.notBefore,
    source: 'new key',
  };
  assert.ok(old);
  return {
    old,
    newer,
    target: { publicKey: createPublicKey(generated.privateKey), fingerprint: generated.fingerprint },
  };
}

function vectorSealedSecret(): SealedSecret {
  const [object] = parseManifests(readFileSync(`${VECTOR}basic-auth.yaml`, 'utf8'), 'basic-auth.yaml');
  return readSealedSecret(object!, 'basic-auth.yaml');
}

test('a SealedSecret made by the real kubeseal, re-sealed for a new key: same plaintexts, same label', async () => {
  const { old, newer, target } = await keys();
  const sealed = vectorSealedSecret();
  const resealed = resealWithKeys(sealed, 'basic-auth.yaml', new Keyring([old, newer]), target);
  assert.ok(resealed);
  assert.equal(resealed.resealed, 2);
  assert.equal(resealed.hint, target.fingerprint);
  assert.deepEqual(Object.keys(resealed.encryptedData).sort(), ['password', 'user']);
  for (const item of ['password', 'user']) {
    const value: string = resealed.encryptedData[item] ?? '';
    assert.notEqual(value, sealed.spec.encryptedData[item]);
    // Strict scope: the label is namespace/name, as before.
    assert.equal(independentDecrypt(newer.privateKey, value, 'prod/basic-auth').toString(), 'admin');
    assert.throws(() => independentDecrypt(old.privateKey, value, 'prod/basic-auth'));
  }

  // Sealed for the target already: nothing changes. A stale hint alone is corrected without new ciphertext.
  const current: SealedSecret = structuredClone(sealed);
  current.spec.encryptedData = { ...current.spec.encryptedData, ...resealed.encryptedData };
  assert.equal(resealWithKeys(current, 'x', new Keyring([old, newer]), target), undefined);
  current.metadata.annotations = { 'cloak.dev/sealing-key': old.fingerprint };
  assert.deepEqual(resealWithKeys(current, 'x', new Keyring([old, newer]), target), {
    encryptedData: {},
    resealed: 0,
    hint: target.fingerprint,
  });

  // Half re-sealed (an item added later): only the old item gets new ciphertext.
  const mixed: SealedSecret = structuredClone(sealed);
  mixed.spec.encryptedData['user'] = resealed.encryptedData['user'] ?? '';
  const rest = resealWithKeys(mixed, 'x', new Keyring([old, newer]), target);
  assert.deepEqual(Object.keys(rest?.encryptedData ?? {}), ['password']);
});

test('scopes and the v1 format keep their labels; values no key opens fail, naming the items', async () => {
  const { newer, target } = await keys();
  const other = await sealingKey(2048, 'reseal-other');
  const otherKey: SealingKey = {
    privateKey: other.privateKey,
    fingerprint: other.fingerprint,
    source: 'other',
  };
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'app',
      namespace: 'team',
      annotations: { 'sealedsecrets.bitnami.com/namespace-wide': 'true' },
    },
    data: { a: Buffer.from('1').toString('base64'), b: Buffer.from('2').toString('base64') },
  };
  const sealed = sealSecret(
    secret,
    { publicKey: createPublicKey(other.privateKey), fingerprint: other.fingerprint },
    'app',
  );
  const resealed = resealWithKeys(sealed, 'app', new Keyring([otherKey]), target);
  assert.equal(
    independentDecrypt(newer.privateKey, resealed?.encryptedData['a'] ?? '', 'team').toString(),
    '1',
  );

  // spec.data: the whole Secret as one value, under the same label.
  const legacy: SealedSecret = {
    ...structuredClone(sealed),
    spec: { encryptedData: {}, data: sealed.spec.encryptedData['b'] ?? '' },
  };
  const legacyResealed = resealWithKeys(legacy, 'legacy', new Keyring([otherKey]), target);
  assert.deepEqual(legacyResealed?.encryptedData, {});
  assert.equal(independentDecrypt(newer.privateKey, legacyResealed?.data ?? '', 'team').toString(), '2');

  assert.throws(
    () => resealWithKeys(sealed, 'app.yaml', new Keyring([newer]), target),
    (error: unknown) =>
      error instanceof UnsealError && error.message === 'app.yaml: no key could decrypt secret (a, b)',
  );
});

const MULTI = `# Deployed by Argo CD; do not edit the sealed values by hand.
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings   # not a secret
data:
  mode: "strict"
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
    name: db          # four-space indentation here
    namespace: prod
spec:
    encryptedData:
        password: "AgOLD1"   # rotated 2024
        user: 'AgOLD2'
        token: |
            AgOLD3
    template:
        type: Opaque
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: api
  namespace: prod
  annotations:
    example.com/owner: team-a
spec:
  encryptedData:
    key: AgOLD4
`;

test('values are replaced in place: comments, quoting, indentation and other documents stay', () => {
  const found = findSealedSecrets(MULTI, 'multi.yaml');
  assert.deepEqual(
    found.map(({ document, where }) => [document, where]),
    [
      [1, 'multi.yaml (document 2)'],
      [2, 'multi.yaml (document 3)'],
    ],
  );
  const output = replaceSealedValues(MULTI, 'multi.yaml', [
    {
      document: 1,
      encryptedData: { password: 'AgNEW1', user: 'AgNEW2', token: 'AgNEW3' },
      hint: 'SHA256:new',
    },
    { document: 2, encryptedData: { key: 'AgNEW4' }, hint: 'SHA256:new' },
  ]);
  assert.equal(
    output,
    MULTI.replace('"AgOLD1"', '"AgNEW1"')
      .replace("'AgOLD2'", "'AgNEW2'")
      .replace('|\n            AgOLD3\n', 'AgNEW3\n')
      .replace('AgOLD4', 'AgNEW4')
      .replace('    name: db ', '    annotations:\n        cloak.dev/sealing-key: SHA256:new\n    name: db ')
      .replace('    example.com/owner', '    cloak.dev/sealing-key: SHA256:new\n    example.com/owner'),
  );
  const after = findSealedSecrets(output, 'multi.yaml');
  assert.deepEqual(after[0]?.sealed.spec.encryptedData, {
    password: 'AgNEW1',
    user: 'AgNEW2',
    token: 'AgNEW3',
  });
  assert.equal(after[0]?.sealed.metadata.annotations?.['cloak.dev/sealing-key'], 'SHA256:new');
  assert.equal(after[1]?.sealed.metadata.annotations?.['example.com/owner'], 'team-a');

  // A hint already there is replaced where it stands; items not named keep their values.
  const again = replaceSealedValues(output, 'multi.yaml', [
    { document: 1, encryptedData: { user: 'AgNEWER' }, hint: 'SHA256:newer' },
  ]);
  assert.equal(
    again,
    output
      .replace("'AgNEW2'", "'AgNEWER'")
      .replace('sealing-key: SHA256:new\n    name', 'sealing-key: SHA256:newer\n    name'),
  );
  assert.equal(replaceSealedValues(MULTI, 'multi.yaml', []), MULTI);
});

test('flow-style metadata gets no hint; JSON streams keep their key order and indentation', () => {
  const flow =
    'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\nspec:\n  encryptedData: {x: AgOLD}\n';
  assert.equal(
    replaceSealedValues(flow, 'flow.yaml', [
      { document: 0, encryptedData: { x: 'AgNEW' }, hint: 'SHA256:h' },
    ]),
    flow.replace('AgOLD', 'AgNEW'),
  );

  const objects = [
    {
      kind: 'SealedSecret',
      apiVersion: 'bitnami.com/v1alpha1',
      metadata: { name: 'a', namespace: 'b' },
      spec: { encryptedData: { x: 'AgOLD' } },
    },
    { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { k: 'v' } },
  ];
  const json = objects.map((object) => `${toGoJson(object, 4)}\n`).join('');
  const output = replaceSealedValues(json, 'stream.json', [
    { document: 0, encryptedData: { x: 'AgNEW' }, hint: 'SHA256:h' },
  ]);
  const expected = structuredClone(objects);
  (expected[0] as { metadata: Record<string, unknown> }).metadata['annotations'] = {
    'cloak.dev/sealing-key': 'SHA256:h',
  };
  (expected[0] as { spec: { encryptedData: Record<string, string> } }).spec.encryptedData['x'] = 'AgNEW';
  assert.equal(output, expected.map((object) => `${toGoJson(object, 4)}\n`).join(''));
});

test('what is not a SealedSecret file: other kinds, Lists and broken YAML', () => {
  assert.deepEqual(
    findSealedSecrets(toKubeYaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }), 's.yaml'),
    [],
  );
  assert.deepEqual(findSealedSecrets('kind: SealedSecret\napiVersion: other.example/v1\n', 'x.yaml'), []);
  assert.throws(
    () =>
      findSealedSecrets('kind: SealedSecret\nspec: {{ .Values.x }}\n  bad: [\n', 'chart/templates/s.yaml'),
    /chart\/templates\/s\.yaml: invalid YAML at line/,
  );
  assert.throws(
    () =>
      findSealedSecrets(
        'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\n',
        'nospec.yaml',
      ),
    /spec is missing/,
  );
});

test('the progress bar: drawn in place on a terminal, plain lines elsewhere', () => {
  assert.equal(progressBar(0, 4, 8), '[........] 0/4');
  assert.equal(progressBar(3, 12, 8), '[##......]  3/12');
  assert.equal(progressBar(12, 12, 8), '[########] 12/12');

  const written: string[] = [];
  let time = 0;
  const tty = progressReporter(
    'reseal',
    3,
    { isTTY: true, columns: 60, write: (text) => written.push(text) > 0 },
    () => time,
  );
  tty.update(1, 'a.yaml: re-sealed 1');
  time += 10;
  tty.update(2, 'b.yaml: already current'); // within 100 ms: not drawn
  tty.message('error: c.yaml: no key could decrypt secret (x)');
  time += 200;
  tty.update(3, 'c.yaml: failed, left as it was');
  tty.above(() => written.push('re-sealed a.yaml: prod/a\n')); // stdout on the same terminal
  tty.finish();
  assert.deepEqual(written, [
    '\r\x1b[2Kreseal [########................] 1/3 a.yaml: re-sealed 1',
    '\r\x1b[2Kerror: c.yaml: no key could decrypt secret (x)\n',
    '\r\x1b[2Kreseal [########................] 1/3 a.yaml: re-sealed 1',
    '\r\x1b[2Kreseal [########################] 3/3 c.yaml: failed, left…',
    '\r\x1b[2K',
    're-sealed a.yaml: prod/a\n',
    '\r\x1b[2Kreseal [########################] 3/3 c.yaml: failed, left…',
    '\r\x1b[2K',
  ]);

  const lines: string[] = [];
  const plain = progressReporter('reseal', 2, { write: (text) => lines.push(text) > 0 });
  plain.update(1, 'a.yaml: re-sealed 1');
  plain.message('warning: skipped b.yaml');
  plain.finish();
  assert.deepEqual(lines, ['reseal [1/2] a.yaml: re-sealed 1\n', 'warning: skipped b.yaml\n']);
});
