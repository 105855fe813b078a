/**
 * External Secrets' template functions, checked against OpenSSL: keystores OpenSSL writes (modern, legacy
 * RC2/3DES, empty password, without MAC) are read; keystores Cloak writes are read back by `openssl pkcs12`
 * with the algorithms go-pkcs12's Modern encoder uses; the PEM, JWK and RSA helpers are compared with what
 * OpenSSL makes of the same inputs. ESO is not packaged for Go here, so these are the oracle (ESO's own
 * behaviour on malformed input is followed from its source and written out in the expectations).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  constants,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  byteStringFromBytes,
  defineFunction,
  FunctionSet,
  goMap,
  renderToByteString,
  TemplateExecError,
  type GoValue,
} from '../../src/template/index.ts';
import { esoFunctions } from '../../src/template/functions/eso/index.ts';

const FUNCTIONS = new FunctionSet('eso-test', [
  ...esoFunctions,
  defineFunction({
    name: 'b64dec',
    params: ['string'],
    result: 'string',
    call: ([text]) => Buffer.from(text as string, 'base64').toString('latin1'),
  }),
]);

const work = mkdtempSync(join(tmpdir(), 'cloak-eso-'));
after(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string): string => join(work, name);

function openssl(args: string[], input?: string | Buffer): string {
  return execFileSync('openssl', args, {
    input,
    encoding: 'latin1',
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: work,
  });
}

/** Data as ESO passes it: map[string]string of the fetched bytes. */
function data(values: Record<string, string | Buffer>): GoValue {
  return goMap(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? byteStringFromBytes(Buffer.from(value, 'utf8'))
        : byteStringFromBytes(value),
    ]),
  );
}

function render(template: string, values: Record<string, string | Buffer> = {}): string {
  return renderToByteString({ name: 'tls.crt', text: template, functions: FUNCTIONS }, data(values), {
    missingKey: 'error',
    revealValuesInErrors: true,
  });
}

function renderError(template: string, values: Record<string, string | Buffer> = {}): string {
  try {
    render(template, values);
  } catch (error) {
    assert.ok(error instanceof TemplateExecError, String(error));
    return error.message;
  }
  assert.fail('expected an error');
}

const read = (name: string): string => readFileSync(path(name), 'latin1');

const EXTENSIONS = `
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:app.example.com,DNS:*.app.example.com,IP:10.1.2.3,IP:2001:db8::7,email:ops@example.com,URI:spiffe://example.org/ns/app
`;

before(() => {
  writeFileSync(path('ext.cnf'), EXTENSIONS);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.crt',
    '-subj',
    '/O=Cloak Test/CN=Root CA',
    '-days',
    '30',
    '-extensions',
    'ca',
    '-config',
    'ext.cnf',
  ]);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'int.key',
    '-out',
    'int.csr',
    '-subj',
    '/CN=Intermediate CA',
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.crt',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'int.crt',
    '-days',
    '30',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'ca',
  ]);
  openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=app.example.com',
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.crt',
    '-CAkey',
    'int.key',
    '-CAcreateserial',
    '-out',
    'leaf.crt',
    '-days',
    '30',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'leaf',
  ]);
  writeFileSync(path('chain.crt'), read('int.crt') + read('root.crt'));
  writeFileSync(path('bundle.crt'), read('leaf.crt') + read('int.crt') + read('root.crt'));
  const p12 = (name: string, extra: string[]): void => {
    openssl([
      'pkcs12',
      '-export',
      '-in',
      'leaf.crt',
      '-inkey',
      'leaf.key',
      '-certfile',
      'chain.crt',
      '-out',
      name,
      ...extra,
    ]);
  };
  p12('modern.p12', ['-passout', 'pass:s3cret']);
  p12('legacy.p12', ['-legacy', '-passout', 'pass:s3cret']);
  p12('des.p12', ['-descert', '-passout', 'pass:s3cret']);
  p12('empty.p12', ['-passout', 'pass:']);
  p12('nomac.p12', ['-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac', '-passout', 'pass:']);
  p12('sha512mac.p12', ['-macalg', 'sha512', '-passout', 'pass:s3cret']);
  openssl([
    'pkcs12',
    '-export',
    '-in',
    'leaf.crt',
    '-nokeys',
    '-out',
    'nokey.p12',
    '-passout',
    'pass:s3cret',
  ]);
});

const p12 = (name: string): Buffer => readFileSync(path(name));

function samePrivateKey(a: string, b: string): void {
  const der = (pem: string): string =>
    createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).toString('hex');
  assert.equal(der(a), der(b));
}

describe('reading keystores: pkcs12key, pkcs12cert', () => {
  for (const [file, password] of [
    ['modern.p12', 's3cret'],
    ['legacy.p12', 's3cret'],
    ['des.p12', 's3cret'],
    ['sha512mac.p12', 's3cret'],
  ] as const) {
    test(`${file} (made by openssl)`, () => {
      const key = render('{{ .p12 | pkcs12keyPass .pw }}', { p12: p12(file), pw: password });
      assert.match(key, /^-----BEGIN PRIVATE KEY-----\n/);
      samePrivateKey(key, read('leaf.key'));
      const certs = render('{{ .p12 | pkcs12certPass .pw }}', { p12: p12(file), pw: password });
      // Ordered leaf → intermediate → root whatever order the file keeps them in.
      assert.equal(certs, read('leaf.crt') + read('int.crt') + read('root.crt'));
    });
  }

  test('the empty password, with and without MAC', () => {
    samePrivateKey(render('{{ .p12 | pkcs12key }}', { p12: p12('empty.p12') }), read('leaf.key'));
    samePrivateKey(render('{{ .p12 | pkcs12key }}', { p12: p12('nomac.p12') }), read('leaf.key'));
    assert.equal(
      render('{{ .p12 | pkcs12cert }}', { p12: p12('nomac.p12') }).split('-----BEGIN').length - 1,
      3,
    );
  });

  test('base64 input as ESO users write it', () => {
    const key = render('{{ .keystore | b64dec | pkcs12keyPass "s3cret" }}', {
      keystore: p12('modern.p12').toString('base64'),
    });
    samePrivateKey(key, read('leaf.key'));
  });

  test("errors are go-pkcs12's, wrapped as ESO wraps them", () => {
    assert.equal(
      renderError('{{ .p12 | pkcs12keyPass "wrong" }}', { p12: p12('modern.p12') }),
      'template: tls.crt:1:10: executing "tls.crt" at <pkcs12keyPass "wrong">: error calling pkcs12keyPass: unable to decode pkcs12 with password: pkcs12: decryption password incorrect',
    );
    assert.match(
      renderError('{{ .p12 | pkcs12certPass "wrong" }}', { p12: p12('legacy.p12') }),
      /error calling pkcs12certPass: unable to decode pkcs12 certificate with password: pkcs12: decryption password incorrect$/,
    );
    assert.match(
      renderError('{{ .p12 | pkcs12key }}', { p12: p12('modern.p12') }),
      /pkcs12: decryption password incorrect$/,
    );
    assert.match(
      renderError('{{ .p12 | pkcs12keyPass "x" }}', { p12: p12('nomac.p12') }),
      /unable to decode pkcs12 with password: pkcs12: no MAC in data$/,
    );
    assert.match(
      renderError('{{ .p12 | pkcs12keyPass "s3cret" }}', { p12: p12('nokey.p12') }),
      /unable to decode pkcs12 with password: pkcs12: (private key missing|expected between 1 and 2 items in the authenticated safe, but this file has \d)$/,
    );
    assert.match(
      renderError('{{ pkcs12key "not a keystore" }}'),
      /unable to decode pkcs12 with password: pkcs12: error reading P12 data: asn1: /,
    );
  });
});

function info(base64: string, password: string): string {
  writeFileSync(path('out.p12'), Buffer.from(base64, 'base64'));
  return execFileSync(
    'openssl',
    ['pkcs12', '-in', 'out.p12', '-info', '-nodes', '-passin', `pass:${password}`],
    {
      cwd: work,
      encoding: 'latin1',
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
}

function infoStderr(password: string): string {
  const result = execFileSync(
    'sh',
    ['-c', `openssl pkcs12 -in out.p12 -info -noout -passin pass:${password} 2>&1`],
    { cwd: work, encoding: 'latin1' },
  );
  return result;
}

describe('writing keystores: pemToPkcs12, fullPemToPkcs12, pemTruststoreToPKCS12', () => {
  const values = (): Record<string, string> => ({
    crt: read('leaf.crt'),
    key: read('leaf.key'),
    bundle: read('bundle.crt'),
    chain: read('chain.crt'),
  });

  test("pemToPkcs12Pass: openssl reads it with go-pkcs12 Modern's algorithms", () => {
    const out = render('{{ pemToPkcs12Pass .crt .key "changeit" }}', values());
    const text = info(out, 'changeit');
    const pems = text.match(/-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----\n/g) ?? [];
    assert.equal(pems.length, 2);
    const details = infoStderr('changeit');
    assert.match(details, /MAC: sha256, Iteration 2048/);
    assert.match(details, /MAC length: 32, salt length: 16/);
    assert.match(
      details,
      /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/,
    );
    assert.match(details, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
    // The leaf and the key share a localKeyID: the SHA-1 of the certificate.
    const fingerprint = openssl(['x509', '-in', 'leaf.crt', '-noout', '-fingerprint', '-sha1'])
      .split('=')[1]!
      .trim()
      .replace(/:/g, ' ');
    assert.equal(text.split(`localKeyID: ${fingerprint}`).length - 1, 2);
    samePrivateKey(
      pems.find((pem) => pem.includes('PRIVATE KEY'))!,
      read('leaf.key'),
    );
    // And Cloak reads its own keystores.
    samePrivateKey(render('{{ .p12 | b64dec | pkcs12keyPass "changeit" }}', { p12: out }), read('leaf.key'));
  });

  test('pemToPkcs12 has the empty password and takes only the first certificate', () => {
    const out = render('{{ pemToPkcs12 .bundle .key }}', values());
    const text = info(out, '');
    assert.equal((text.match(/BEGIN CERTIFICATE/g) ?? []).length, 1);
  });

  test('fullPemToPkcs12Pass keeps the chain', () => {
    const out = render('{{ fullPemToPkcs12Pass .bundle .key "pw" }}', values());
    assert.equal((info(out, 'pw').match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
    assert.equal(render('{{ .p12 | b64dec | pkcs12certPass "pw" }}', { p12: out }), read('bundle.crt'));
    assert.equal(
      render('{{ .p12 | b64dec | pkcs12cert }}', {
        p12: render('{{ fullPemToPkcs12 .bundle .key }}', values()),
      }),
      read('bundle.crt'),
    );
  });

  test('an EC key', () => {
    const out = render('{{ pemToPkcs12 .crt .key }}', { crt: read('int.crt'), key: read('int.key') });
    samePrivateKey(render('{{ .p12 | b64dec | pkcs12key }}', { p12: out }), read('int.key'));
  });

  test('pemTruststoreToPKCS12Pass: trusted certificates named by their subject', () => {
    const out = render('{{ pemTruststoreToPKCS12Pass .chain "store" }}', values());
    const text = info(out, 'store');
    assert.match(text, /friendlyName: CN=Intermediate CA\n/);
    assert.match(text, /friendlyName: CN=Root CA,O=Cloak Test\n/);
    // Java's "trusted for" attribute holding anyExtendedKeyUsage (OpenSSL 3.0 cannot print an OID value).
    assert.equal(
      (text.match(/2\.16\.840\.1\.113894\.746875\.1\.1: (<Unsupported tag 6>|Any Extended Key Usage)/g) ?? [])
        .length,
      2,
    );
    assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.match(infoStderr('store'), /MAC: sha256, Iteration 2048/);
    info(render('{{ pemTruststoreToPKCS12 .chain }}', values()), '');
  });

  test("ESO's unchecked PEM decoding fails as Go does", () => {
    const nilDereference = /runtime error: invalid memory address or nil pointer dereference$/;
    assert.match(renderError('{{ pemToPkcs12 "not pem" .key }}', values()), nilDereference);
    assert.match(renderError('{{ pemToPkcs12 .crt "not pem" }}', values()), nilDereference);
    // A chain with a trailing blank line leaves a remainder without a PEM block.
    assert.match(renderError('{{ fullPemToPkcs12 (print .bundle "\\n") .key }}', values()), nilDereference);
    assert.match(
      renderError('{{ pemToPkcs12 .crt .crt }}', values()),
      /error calling pemToPkcs12: unable to parse private key type$/,
    );
    assert.match(
      renderError(
        '{{ pemToPkcs12 "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n" .key }}',
        values(),
      ),
      /error calling pemToPkcs12: x509: malformed certificate$/,
    );
  });
});

describe('PEM helpers', () => {
  test('filterPEM keeps the blocks of one type (any case), with their headers', () => {
    const mixed = `${read('leaf.key')}${read('leaf.crt')}${read('int.crt')}`;
    assert.equal(
      render('{{ .v | filterPEM "CERTIFICATE" }}', { v: mixed }),
      read('leaf.crt') + read('int.crt'),
    );
    assert.equal(render('{{ .v | filterPEM "private key" }}', { v: mixed }), read('leaf.key'));
    assert.equal(render('{{ .v | filterPEM "PUBLIC KEY" }}', { v: mixed }), '');
    assert.equal(
      render('{{ .v | filterPEM "CERTIFICATE" }}', { v: `junk before${read('leaf.crt')}` }),
      read('leaf.crt'),
    );
    const withHeaders = '-----BEGIN X-----\nB: 2\nA: 1\n\nAAEC\n-----END X-----\n';
    assert.equal(
      render('{{ .v | filterPEM "x" }}', { v: withHeaders }),
      '-----BEGIN X-----\nA: 1\nB: 2\n\nAAEC\n-----END X-----\n',
    );
    assert.match(
      renderError('{{ filterPEM "CERTIFICATE" "no pem here" }}'),
      /error calling filterPEM: error filtering pem: found junk$/,
    );
    assert.equal(render('{{ filterPEM "CERTIFICATE" "" }}'), '');
  });

  test('filterCertChain orders by key identifiers', () => {
    const shuffled = { v: read('root.crt') + read('leaf.crt') + read('int.crt') };
    assert.equal(render('{{ .v | filterCertChain "leaf" }}', shuffled), read('leaf.crt'));
    assert.equal(render('{{ .v | filterCertChain "intermediate" }}', shuffled), read('int.crt'));
    assert.equal(render('{{ .v | filterCertChain "root" }}', shuffled), read('root.crt'));
    assert.equal(render('{{ .v | filterCertChain "other" }}', shuffled), '');
    assert.equal(render('{{ .v | filterCertChain "root" }}', { v: read('leaf.crt') }), '');
    assert.equal(render('{{ .v | filterCertChain "leaf" }}', { v: read('root.crt') }), '');
    assert.match(
      renderError('{{ .v | filterCertChain "leaf" }}', { v: read('leaf.crt') + read('root.crt') }),
      /error calling filterCertChain: found multiple leaf or disjunct certificates$/,
    );
    assert.match(renderError('{{ filterCertChain "leaf" "" }}'), /no leaf certificate found$/);
  });

  test('certSANs lists DNS names, IPs, emails, URIs', () => {
    assert.equal(
      render('{{ .v | certSANs }}', { v: read('leaf.crt') }),
      '[app.example.com *.app.example.com 10.1.2.3 2001:db8::7 ops@example.com spiffe://example.org/ns/app]',
    );
    assert.equal(
      render('{{ range certSANs .v }}{{ . }};{{ end }}', { v: `text first\n${read('leaf.crt')}` }).split(';')
        .length,
      7,
    );
    assert.equal(render('{{ certSANs .v | len }}', { v: read('root.crt') }), '0');
    assert.match(renderError('{{ certSANs "x" }}'), /error calling certSANs: failed to decode PEM block$/);
  });
});

describe('JWK, RSA and hex', () => {
  test("jwkPublicKeyPem and jwkPrivateKeyPem match OpenSSL's encodings", () => {
    const pairs = {
      rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      ec: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      ed25519: generateKeyPairSync('ed25519'),
    };
    for (const [type, { privateKey, publicKey }] of Object.entries(pairs)) {
      const privateJwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
      const publicJwk = JSON.stringify(publicKey.export({ format: 'jwk' }));
      const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      assert.equal(render('{{ .k | jwkPublicKeyPem }}', { k: publicJwk }), spki, type);
      assert.equal(render('{{ .k | jwkPrivateKeyPem }}', { k: privateJwk }), openssl(['pkey'], pkcs8), type);
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.match(
      renderError('{{ .k | jwkPublicKeyPem }}', {
        k: JSON.stringify(rsa.privateKey.export({ format: 'jwk' })),
      }),
      /error calling jwkPublicKeyPem: x509: unsupported public key type: \*rsa\.PrivateKey$/,
    );
    assert.match(
      renderError('{{ .k | jwkPrivateKeyPem }}', {
        k: JSON.stringify(rsa.publicKey.export({ format: 'jwk' })),
      }),
      /x509: unknown key type while marshaling PKCS#8: \*rsa\.PublicKey$/,
    );
    assert.match(
      renderError('{{ jwkPublicKeyPem "{" }}'),
      /error calling jwkPublicKeyPem: failed to unmarshal JSON into key hint: /,
    );
    assert.match(
      renderError('{{ jwkPublicKeyPem `{"kty":"oct","k":"AAAA"}` }}'),
      /unsupported public key type: \[\]uint8$/,
    );
  });

  test('rsaDecrypt decrypts what OpenSSL encrypts with RSA-OAEP', () => {
    const keyPem = read('leaf.key');
    const publicKey = createPublicKey(keyPem);
    for (const [hash, node] of [
      ['SHA1', 'sha1'],
      ['SHA256', 'sha256'],
      ['SHA512', 'sha512'],
      ['None', 'sha256'],
    ]) {
      const ciphertext = publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: node },
        Buffer.from('p@ss\u00e9'),
      );
      assert.equal(
        render(`{{ rsaDecrypt "RSA-OAEP" "${hash}" .c .k }}`, { c: ciphertext, k: keyPem }),
        Buffer.from('p@ss\u00e9').toString('latin1'),
      );
    }
    writeFileSync(path('plain.txt'), 'from openssl');
    openssl(['pkey', '-in', 'leaf.key', '-pubout', '-out', 'leaf.pub']);
    openssl([
      'pkeyutl',
      '-encrypt',
      '-pubin',
      '-inkey',
      'leaf.pub',
      '-in',
      'plain.txt',
      '-out',
      'ct.bin',
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-pkeyopt',
      'rsa_oaep_md:sha256',
      '-pkeyopt',
      'rsa_mgf1_md:sha256',
    ]);
    assert.equal(
      render('{{ rsaDecrypt "RSA-OAEP" "SHA256" (.c | b64dec) .k }}', {
        c: readFileSync(path('ct.bin')).toString('base64'),
        k: keyPem,
      }),
      'from openssl',
    );
    assert.equal(render('{{ rsaDecrypt "None" "" "as is" "" }}'), 'as is');
    assert.match(
      renderError('{{ rsaDecrypt "RSA-PKCS1" "" "x" "" }}'),
      /decryption scheme RSA-PKCS1 is not supported$/,
    );
    assert.match(renderError('{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" "" }}'), /failed to decode PEM block$/);
    assert.match(
      renderError('{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" .k }}', { k: read('int.key') }),
      /could not parse RSA private key$/,
    );
    assert.match(
      renderError('{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" .k }}', { k: keyPem }),
      /error decrypting data with RSA: crypto\/rsa: decryption error$/,
    );
  });

  test('hexdec', () => {
    assert.equal(render('{{ hexdec "48656c6c6f" }}'), 'Hello');
    assert.equal(render('{{ hexdec "DEADbeef" | len }}'), '4');
    assert.equal(render('{{ hexdec "" }}'), '');
    assert.equal(render('{{ hexdec "abc" }}'), 'encoding/hex: odd length hex string');
    assert.equal(render('{{ hexdec "zz" }}'), "encoding/hex: invalid byte: U+007A 'z'");
    assert.equal(render('{{ hexdec "ab0g" }}'), "encoding/hex: invalid byte: U+0067 'g'");
    assert.equal(render('{{ hexdec "abc\\x00" }}'), 'encoding/hex: invalid byte: U+0000');
  });
});
