/**
 * sprig's crypto functions beyond what the case table can hold (its outputs are random): certificates are
 * compared with certificates the real sprig made from the same keys (test/template/fixtures, recorded by
 * tools/sprig-crypto-fixtures) field by field, byte for byte except the serial number, the validity dates
 * and the signature; keys and certificates are read back by OpenSSL; bcrypt hashes are checked both ways.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import bcryptjs from 'bcryptjs';
import {
  byteStringFromText,
  defineFunction,
  goMap,
  goValueFromJson,
  renderToByteString,
  textFromByteString,
  GoStruct,
  type GoValue,
} from '../../src/template/index.ts';
import { SPRIG_CRYPTO } from '../../src/template/functions/sprig-crypto/index.ts';
import { children, parseDer, type Der } from '../../src/template/functions/go-crypto/der.ts';
import { pemDecode } from '../../src/template/functions/go-crypto/pem.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const KEYS = JSON.parse(readFileSync(join(FIXTURES, 'sprig-crypto-keys.json'), 'utf8')) as Record<
  string,
  string
>;
const GO = JSON.parse(readFileSync(join(FIXTURES, 'sprig-crypto-go.json'), 'utf8')) as {
  ips: string[];
  dns: string[];
  scenarios: { name: string; template: string; output: string }[];
};

const FUNCTIONS = SPRIG_CRYPTO.extend('sprig-crypto-test', [
  defineFunction({
    name: 'b64enc',
    params: ['string'],
    result: 'string',
    call: ([text]) => Buffer.from(text as string, 'latin1').toString('base64'),
  }),
]);

const NOW = new Date('2027-05-04T03:02:01.987Z');

function render(template: string, data: GoValue = null, now = NOW): string {
  return textFromByteString(
    renderToByteString({ name: 't', text: template, functions: FUNCTIONS }, data, {
      revealValuesInErrors: true,
      now: () => now,
    }),
  );
}

const DATA = goValueFromJson({ ...KEYS, ips: GO.ips, dns: GO.dns });

const work = mkdtempSync(join(tmpdir(), 'cloak-sprig-crypto-'));
after(() => rmSync(work, { recursive: true, force: true }));

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function der(pem: string): Uint8Array {
  const [block] = pemDecode(pem);
  assert.ok(block, 'a PEM block');
  return block.bytes;
}

/** The TBSCertificate's fields, with the serial number and the validity taken out. */
function tbsWithoutSerialAndValidity(certificate: string): {
  fields: string[];
  validity: Der;
  algorithm: string;
} {
  const [tbs, algorithm] = children(parseDer(der(certificate)));
  const fields = children(tbs!);
  const hex = (element: Der): string => Buffer.from(element.raw).toString('hex');
  return {
    fields: fields.filter((_, index) => index !== 1 && index !== 4).map(hex),
    validity: fields[4]!,
    algorithm: hex(algorithm!),
  };
}

function validitySeconds(certificate: string): number {
  const x509 = new X509Certificate(certificate);
  return (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 1000;
}

describe('certificates match those sprig makes from the same keys', () => {
  for (const scenario of GO.scenarios) {
    test(scenario.name, () => {
      const ours = render(scenario.template, DATA).split('|');
      const go = scenario.output.split('|');
      assert.equal(ours.length, go.length);
      for (let i = 0; i < go.length; i += 2) {
        const [goCert, goKey] = [go[i]!, go[i + 1]!];
        const [ourCert, ourKey] = [ours[i]!, ours[i + 1]!];
        assert.equal(ourKey, goKey, 'the key is written back as sprig writes it');
        const a = tbsWithoutSerialAndValidity(ourCert);
        const b = tbsWithoutSerialAndValidity(goCert);
        assert.deepEqual(a.fields, b.fields, 'every TBS field but the serial and the validity');
        assert.equal(a.algorithm, b.algorithm);
        assert.equal(validitySeconds(ourCert), validitySeconds(goCert));
        const x509 = new X509Certificate(ourCert);
        const givenCa = scenario.name === 'signed-by-openssl-ca' && i === 0;
        if (!givenCa) assert.equal(Date.parse(x509.validFrom), Math.floor(NOW.getTime() / 1000) * 1000);
        // Self-signed certificates verify with their own key; leaves with the CA's (the pair before them).
        const issuer = i === 0 ? x509 : new X509Certificate(ours[0]!);
        assert.ok(x509.verify(issuer.publicKey), 'the signature verifies');
        writeFileSync(join(work, `${scenario.name}-${i}.pem`), ourCert);
        const text = openssl(['x509', '-noout', '-text', '-in', join(work, `${scenario.name}-${i}.pem`)]);
        assert.match(text, /Version: 3 \(0x2\)/);
      }
      if (go.length === 4) {
        writeFileSync(join(work, `${scenario.name}-ca.pem`), ours[0]!);
        const verified = openssl([
          'verify',
          '-no-CApath',
          '-attime',
          String(Math.floor(NOW.getTime() / 1000) + 60),
          '-CAfile',
          join(work, `${scenario.name}-ca.pem`),
          join(work, `${scenario.name}-2.pem`),
        ]);
        assert.match(verified, /: OK/);
      }
    });
  }

  test('a serial number is random and below 2^128', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const cert = render('{{ (genCAWithKey "x" 1 .ed).Cert }}', DATA);
      const serial = new X509Certificate(cert).serialNumber;
      assert.ok(serial.length <= 32, serial);
      serials.add(serial);
    }
    assert.equal(serials.size, 5);
  });

  test('the clock comes from the render options', () => {
    const cert = render('{{ (genCAWithKey "x" 2 .ed).Cert }}', DATA, new Date('2051-01-01T00:00:00Z'));
    const x509 = new X509Certificate(cert);
    // After 2049 the times are GeneralizedTime; node reads them either way.
    assert.equal(new Date(x509.validFrom).toISOString(), '2051-01-01T00:00:00.000Z');
    assert.equal(new Date(x509.validTo).toISOString(), '2051-01-03T00:00:00.000Z');
  });

  test('generated CAs and leaves (fresh RSA 2048 keys) chain and verify with OpenSSL', () => {
    const out = render(
      '{{ $ca := genCA "gen-ca" 3 }}{{ $c := genSignedCert "svc.ns.svc" .ips .dns 3 $ca }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}',
      DATA,
    ).split('|');
    writeFileSync(join(work, 'gen-ca.pem'), out[0]!);
    writeFileSync(join(work, 'gen-leaf.pem'), out[1]!);
    const attime = String(Math.floor(NOW.getTime() / 1000) + 60);
    assert.match(
      openssl([
        'verify',
        '-no-CApath',
        '-attime',
        attime,
        '-CAfile',
        join(work, 'gen-ca.pem'),
        join(work, 'gen-leaf.pem'),
      ]),
      /: OK/,
    );
    const text = openssl(['x509', '-noout', '-text', '-in', join(work, 'gen-leaf.pem')]);
    assert.match(
      text,
      /DNS:example\.com, DNS:\*\.example\.com, DNS:localhost, IP Address:10\.0\.0\.1, IP Address:2001:DB8:0:0:0:0:0:1, IP Address:192\.168\.1\.2/,
    );
    assert.match(text, /Public-Key: \(2048 bit\)/);
    const key = createPrivateKey(out[2]!);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  });
});

describe('genPrivateKey makes keys OpenSSL accepts', () => {
  const cases: [string, RegExp, string][] = [
    ['rsa', /^-----BEGIN RSA PRIVATE KEY-----\n/, 'rsa'],
    ['', /^-----BEGIN RSA PRIVATE KEY-----\n/, 'rsa'],
    ['ecdsa', /^-----BEGIN EC PRIVATE KEY-----\n/, 'ec'],
    ['ed25519', /^-----BEGIN PRIVATE KEY-----\n/, 'ed25519'],
    ['dsa', /^-----BEGIN DSA PRIVATE KEY-----\n/, 'dsa'],
  ];
  for (const [type, header, nodeType] of cases) {
    test(type || '(empty: rsa)', () => {
      const pem = render(`{{ genPrivateKey "${type}" }}`);
      assert.match(pem, header);
      const key = createPrivateKey(pem);
      assert.equal(key.asymmetricKeyType, nodeType);
      if (nodeType === 'rsa') assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
      if (nodeType === 'ec') assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      if (nodeType === 'dsa') {
        assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
        assert.equal(key.asymmetricKeyDetails?.divisorLength, 256);
      }
      // OpenSSL checks the key's consistency (for DSA: that y = g^x mod p, which Cloak computes).
      assert.match(openssl(['pkey', '-check', '-noout'], pem), /valid/i);
      // sprig can read back what it wrote: a CA from an RSA/ECDSA/Ed25519 key writes the same key again.
      if (nodeType !== 'dsa') assert.equal(render('{{ (genCAWithKey "x" 1 .k).Key }}', keyData(pem)), pem);
    });
  }
});

function keyData(pem: string): GoValue {
  return goMap([[byteStringFromText('k'), byteStringFromText(pem)]]);
}

describe('bcrypt and htpasswd', () => {
  test('Cloak checks hashes made by Go, and Go-format hashes come out', () => {
    // Made by sprig 3.2.3's bcrypt and htpasswd (Go 1.23).
    assert.ok(
      bcryptjs.compareSync('correct horse', '$2a$10$UFxx.t1oygbgDjX9fhig3OtnXTqTxivClcqAOsM0JPcLwbXU6XmuS'),
    );
    const line = 'admin:$2a$10$EB7s30EPKglpGXDTIuelgueuZ3b9dU/MXPE8oIy/.fKK4ImE1px/i';
    assert.ok(bcryptjs.compareSync('s3cret', line.slice('admin:'.length)));
    const ours = render('{{ htpasswd "admin" "s3cret" }}');
    assert.match(ours, /^admin:\$2a\$10\$[./A-Za-z0-9]{53}$/);
    assert.ok(bcryptjs.compareSync('s3cret', ours.slice('admin:'.length)));
    assert.ok(!bcryptjs.compareSync('wrong', ours.slice('admin:'.length)));
  });

  test('non-ASCII passwords are hashed as their UTF-8 bytes', () => {
    const hash = render('{{ bcrypt "pässwörd" }}');
    assert.ok(bcryptjs.compareSync('pässwörd', hash));
  });
});

describe('AES', () => {
  test("encryptAES output has sprig's layout: IV, then AES-256-CBC with PKCS#7 padding", () => {
    const encoded = render('{{ encryptAES "key" "0123456789abcdef0" }}');
    const bytes = Buffer.from(encoded, 'base64');
    assert.equal(bytes.length, 16 + 32);
    const key = Buffer.alloc(32);
    key.write('key');
    const decrypted = execFileSync(
      'openssl',
      ['enc', '-d', '-aes-256-cbc', '-K', key.toString('hex'), '-iv', bytes.subarray(0, 16).toString('hex')],
      { input: bytes.subarray(16) },
    );
    assert.equal(decrypted.toString(), '0123456789abcdef0');
  });
});

describe('the certificate value', () => {
  test('is a sprig.certificate struct with Cert and Key', () => {
    const value = FUNCTIONS.get('buildCustomCert')!.implementation(
      [Buffer.from(KEYS.ca!).toString('base64'), Buffer.from(KEYS.ec8!).toString('base64')],
      { charge: () => {}, maxOutputBytes: 1 << 20 },
    );
    assert.ok(value instanceof GoStruct);
    assert.equal(value.type, 'sprig.certificate');
    assert.deepEqual([...value.fields.keys()], ['Cert', 'Key']);
  });
});
