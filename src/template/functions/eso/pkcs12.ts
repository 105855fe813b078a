/**
 * External Secrets' PKCS#12 functions: reading a keystore (pkcs12key, pkcs12cert and their *Pass variants,
 * password first) and writing one (pemToPkcs12, fullPemToPkcs12, pemTruststoreToPKCS12 and *Pass, password
 * last; the result is base64). The codec is go-crypto/pkcs12.ts (go-pkcs12's DecodeChain and Modern encoder).
 *
 * ESO's code dereferences what pem.Decode returns without checking it, so a certificate or key argument with
 * no PEM block makes Go panic; the template reports the runtime error, and so does Cloak.
 */
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import {
  GoError,
  marshalPkcs8PrivateKey,
  parseEcPrivateKey,
  parsePkcs1PrivateKey,
  parsePkcs8PrivateKey,
  type GoPrivateKey,
} from '../go-crypto/keys.ts';
import { decodeChain, encodeModern, encodeTrustStoreModern } from '../go-crypto/pkcs12.ts';
import { pemDecode, pemEncode } from '../go-crypto/pem.ts';
import { parseCertificate, type Certificate } from '../go-crypto/x509.ts';
import { orderChain, pemCertificate } from './pem.ts';

const NIL_DEREFERENCE = 'runtime error: invalid memory address or nil pointer dereference';

const fail = (message: string): never => {
  throw new GoFuncError(message);
};

const bytesOf = (text: ByteString): Uint8Array => Buffer.from(text, 'latin1');

function goMessage(error: unknown): string {
  if (error instanceof GoError || error instanceof Error) return error.message;
  return String(error);
}

function decode(password: ByteString, input: ByteString, wrap: string) {
  try {
    return decodeChain(bytesOf(input), bytesOf(password));
  } catch (error) {
    if (error instanceof GoError) return fail(`${wrap}: ${error.message}`);
    throw error;
  }
}

function keyPem(password: ByteString, input: ByteString): ByteString {
  const { key } = decode(password, input, 'unable to decode pkcs12 with password');
  try {
    return pemEncode({ type: 'PRIVATE KEY', bytes: marshalPkcs8PrivateKey(key) });
  } catch (error) {
    return fail(goMessage(error));
  }
}

function certPem(password: ByteString, input: ByteString): ByteString {
  const { certificate, caCertificates } = decode(
    password,
    input,
    'unable to decode pkcs12 certificate with password',
  );
  const unordered = [certificate, ...caCertificates].map(pemCertificate).join('');
  // Ordered leaf first when the certificates form one chain; as stored otherwise.
  try {
    return orderChain(unordered).map(pemCertificate).join('');
  } catch {
    return unordered;
  }
}

export const pkcs12keyPass = defineFunction({
  name: 'pkcs12keyPass',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([password, input]) => keyPem(password as ByteString, input as ByteString),
});

export const pkcs12key = defineFunction({
  name: 'pkcs12key',
  params: ['string'],
  result: 'string',
  returnsError: true,
  call: ([input]) => keyPem('', input as ByteString),
});

export const pkcs12certPass = defineFunction({
  name: 'pkcs12certPass',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([password, input]) => certPem(password as ByteString, input as ByteString),
});

export const pkcs12cert = defineFunction({
  name: 'pkcs12cert',
  params: ['string'],
  result: 'string',
  returnsError: true,
  call: ([input]) => certPem('', input as ByteString),
});

// -- writing keystores -------------------------------------------------------------------------------------

function firstCertificate(text: ByteString): [Certificate, ByteString] {
  const [block, rest] = pemDecode(text);
  if (!block) return fail(NIL_DEREFERENCE);
  try {
    return [parseCertificate(block.bytes), rest];
  } catch (error) {
    return fail(goMessage(error));
  }
}

/** ESO's parseCaCerts: PEM blocks until nothing is left (a remainder without a block panics, as in ESO). */
function allCertificates(text: ByteString): Certificate[] {
  const out: Certificate[] = [];
  let rest = text;
  while (rest.length > 0) {
    const [certificate, next] = firstCertificate(rest);
    out.push(certificate);
    rest = next;
  }
  return out;
}

/** ESO's parsePrivateKey: PKCS#1, then PKCS#8, then SEC 1, whatever the PEM type says. */
function privateKey(text: ByteString): GoPrivateKey {
  const [block] = pemDecode(text);
  if (!block) return fail(NIL_DEREFERENCE);
  for (const parse of [
    parsePkcs1PrivateKey,
    (der: Uint8Array) => parsePkcs8PrivateKey(der),
    (der: Uint8Array) => parseEcPrivateKey(der),
  ]) {
    try {
      return parse(block.bytes);
    } catch {
      // try the next format
    }
  }
  return fail('unable to parse private key type');
}

function encode(
  key: GoPrivateKey,
  certificate: Certificate,
  cas: Certificate[],
  password: ByteString,
): ByteString {
  try {
    return Buffer.from(encodeModern(key, certificate, cas, bytesOf(password))).toString('base64');
  } catch (error) {
    return fail(goMessage(error));
  }
}

function pemToPkcs12Impl(cert: ByteString, key: ByteString, password: ByteString): ByteString {
  const [certificate] = firstCertificate(cert);
  return encode(privateKey(key), certificate, [], password);
}

function fullPemToPkcs12Impl(cert: ByteString, key: ByteString, password: ByteString): ByteString {
  const [certificate, rest] = firstCertificate(cert);
  const cas = allCertificates(rest);
  return encode(privateKey(key), certificate, cas, password);
}

function truststoreImpl(cert: ByteString, password: ByteString): ByteString {
  const certificates = allCertificates(cert);
  try {
    return Buffer.from(encodeTrustStoreModern(certificates, bytesOf(password))).toString('base64');
  } catch (error) {
    return fail(goMessage(error));
  }
}

export const pemToPkcs12 = defineFunction({
  name: 'pemToPkcs12',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([cert, key]) => pemToPkcs12Impl(cert as ByteString, key as ByteString, ''),
});

export const pemToPkcs12Pass = defineFunction({
  name: 'pemToPkcs12Pass',
  params: ['string', 'string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([cert, key, password]) =>
    pemToPkcs12Impl(cert as ByteString, key as ByteString, password as ByteString),
});

export const fullPemToPkcs12 = defineFunction({
  name: 'fullPemToPkcs12',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([cert, key]) => fullPemToPkcs12Impl(cert as ByteString, key as ByteString, ''),
});

export const fullPemToPkcs12Pass = defineFunction({
  name: 'fullPemToPkcs12Pass',
  params: ['string', 'string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([cert, key, password]) =>
    fullPemToPkcs12Impl(cert as ByteString, key as ByteString, password as ByteString),
});

export const pemTruststoreToPKCS12 = defineFunction({
  name: 'pemTruststoreToPKCS12',
  params: ['string'],
  result: 'string',
  returnsError: true,
  call: ([cert]) => truststoreImpl(cert as ByteString, ''),
});

export const pemTruststoreToPKCS12Pass = defineFunction({
  name: 'pemTruststoreToPKCS12Pass',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([cert, password]) => truststoreImpl(cert as ByteString, password as ByteString),
});
