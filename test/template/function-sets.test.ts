/**
 * The named function sets: which functions each consumer's set has (composeFunctionSets, with a stand-in for
 * sprig's general library), and the injector set, which needs no sprig.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defineFunction,
  FunctionSet,
  goMap,
  goList,
  loadFunctionSet,
  renderToByteString,
  type GoFunc,
} from '../../src/template/index.ts';
import { composeFunctionSets } from '../../src/template/function-sets.ts';
import {
  htpasswdWithAlgorithm,
  sprig33CryptoAdditions,
  sprigCryptoFunctions,
} from '../../src/template/functions/sprig-crypto/index.ts';
import { esoFunctions } from '../../src/template/functions/eso/index.ts';
import { injectorFunctions } from '../../src/template/functions/injector/index.ts';

const stub = (name: string, params = 1): GoFunc =>
  defineFunction({
    name,
    params: new Array<string>(params).fill('string'),
    result: 'string',
    call: () => name,
  });

const GENERAL = new FunctionSet(
  'general',
  ['upper', 'b64enc', 'env', 'expandenv', 'getHostByName', 'uuidv4'].map((n) => stub(n)),
);

const sets = composeFunctionSets(
  {
    general: GENERAL,
    v33: [stub('camelcase')],
    yaml: [stub('toYaml'), stub('fromYaml')],
    eso: [stub('camelcase', 1)],
  },
  {
    sprigCrypto: sprigCryptoFunctions,
    sprig33Crypto: sprig33CryptoAdditions,
    esoHtpasswd: htpasswdWithAlgorithm,
    eso: esoFunctions,
    injector: injectorFunctions,
  },
);

describe('composeFunctionSets', () => {
  test('sprig: general + crypto, without env, expandenv, getHostByName', () => {
    const sprig = sets.sprig;
    for (const name of [
      'upper',
      'b64enc',
      'uuidv4',
      'sha256sum',
      'genCA',
      'derivePassword',
      'encryptAES',
      'randBytes',
    ])
      assert.ok(sprig.has(name), name);
    for (const name of ['env', 'expandenv', 'getHostByName', 'sha512sum', 'pkcs12key', 'toYaml', 'hexdec'])
      assert.ok(!sprig.has(name), name);
    assert.equal(sprig.get('htpasswd')!.signature.params.length, 2);
  });

  test('sealed-secrets: sprig 3.3.0 (adds sha512sum)', () => {
    const set = sets['sealed-secrets'];
    assert.deepEqual(
      set.names().filter((name) => !sets.sprig.has(name)),
      ['camelcase', 'sha512sum'].filter((name) => !sets.sprig.has(name)),
    );
    assert.ok(!set.has('env') && !set.has('getHostByName') && !set.has('pkcs12key'));
  });

  test("eso: its sprig fork plus ESO's functions", () => {
    const eso = sets.eso;
    for (const name of [
      'pkcs12key',
      'pkcs12keyPass',
      'pkcs12cert',
      'pkcs12certPass',
      'pemToPkcs12',
      'pemToPkcs12Pass',
      'fullPemToPkcs12',
      'fullPemToPkcs12Pass',
      'pemTruststoreToPKCS12',
      'pemTruststoreToPKCS12Pass',
      'filterPEM',
      'filterCertChain',
      'certSANs',
      'jwkPublicKeyPem',
      'jwkPrivateKeyPem',
      'toYaml',
      'fromYaml',
      'rsaDecrypt',
      'hexdec',
      'sha512sum',
      'genCA',
      'upper',
    ])
      assert.ok(eso.has(name), name);
    for (const name of ['env', 'expandenv', 'getHostByName']) assert.ok(!eso.has(name), name);
    // ESO's vendored sprig: htpasswd(username, password, hashAlgorithm).
    assert.equal(eso.get('htpasswd')!.signature.params.length, 3);
  });

  test('injector: toJSON only', () => {
    assert.deepEqual(sets.injector.names(), ['toJSON']);
  });
});

describe('the injector set', () => {
  test('loads without sprig and renders the default JSON template', async () => {
    const functions = await loadFunctionSet('injector');
    const data = goMap([
      [
        'Data',
        goMap([
          ['password', 'p<&>'],
          ['list', goList([1, 'x', null])],
        ]),
      ],
    ]);
    const out = renderToByteString({ name: 'default', text: '{{ .Data | toJSON }}\n', functions }, data);
    assert.equal(out, '{"list":[1,"x",null],"password":"p\\u003c\\u0026\\u003e"}\n');
  });
});

describe('ESO and htpasswd with SHA', () => {
  test('htpasswd "sha" gives {SHA} + base64(SHA-1)', () => {
    const out = renderToByteString(
      { name: 't', text: '{{ htpasswd "user" "password" "sha" }}', functions: sets.eso },
      null,
    );
    assert.equal(out, 'user:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=');
  });
});
