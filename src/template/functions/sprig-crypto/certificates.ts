/**
 * sprig's certificate functions: buildCustomCert, genCA(WithKey), genSelfSignedCert(WithKey),
 * genSignedCert(WithKey). Each returns sprig's `certificate` struct (fields Cert and Key, PEM text), which
 * templates read as `.Cert` / `.Key` and pass back to genSignedCert as the CA.
 *
 * The certificates are built the way Go 1.23's x509.CreateCertificate builds sprig's template: version 3,
 * a random serial below 2^128, subject CN only, validity from now for daysValid × 24h, critical KeyUsage
 * (digitalSignature, keyEncipherment, and certSign for a CA), ExtKeyUsage serverAuth+clientAuth, critical
 * BasicConstraints, a SHA-1 SubjectKeyId for CAs, the signer's key id as AuthorityKeyId, SANs (critical when
 * the subject is empty); SHA-256 with RSA, ECDSA with the curve's hash, or Ed25519.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import { sprint } from '../../go-fmt.ts';
import { quote } from '../../go-strconv.ts';
import { isValidUtf8, type ByteString } from '../../../common/go-utf8.ts';
import { GoStruct, type CallContext, type GoList, type GoValue } from '../../values.ts';
import { decodeStdBase64 } from '../../../manifests/base64.ts';
import {
  TAG,
  bitString,
  boolean,
  derNull,
  equalBytes,
  explicit,
  integer,
  octetString,
  oid,
  seq,
  setOf,
  time,
  tlv,
  unsignedInteger,
} from '../go-crypto/der.ts';
import { GoError, publicKeyBits, subjectPublicKeyInfo, type GoPrivateKey } from '../go-crypto/keys.ts';
import { pemDecode, pemEncode } from '../go-crypto/pem.ts';
import { EXTENSION, certificatePublicKey, ipTo4, parseCertificate, parseIp } from '../go-crypto/x509.ts';
import { parsePrivateKeyPem, pemForKey } from './keys.ts';

/** sprig's unexported struct type, as %T prints it. */
export const CERTIFICATE_TYPE = 'sprig.certificate';

export function certificateValue(cert: ByteString, key: ByteString): GoStruct {
  return new GoStruct({
    type: CERTIFICATE_TYPE,
    fields: [
      ['Cert', cert],
      ['Key', key],
    ],
  });
}

function fieldsOf(ca: GoValue): { cert: ByteString; key: ByteString } {
  const struct = ca as GoStruct;
  return { cert: struct.fields.get('Cert') as ByteString, key: struct.fields.get('Key') as ByteString };
}

const fail = (message: string): never => {
  throw new GoFuncError(message);
};

// -- building blocks -------------------------------------------------------------------------------------------

interface BaseTemplate {
  readonly commonName: ByteString;
  readonly ips: readonly Uint8Array[];
  readonly dnsNames: readonly ByteString[];
  readonly daysValid: bigint;
}

/** sprig's getBaseCertTemplate checks: the IPs and DNS names must be strings, the IPs parseable. */
function baseTemplate(
  commonName: ByteString,
  ips: GoValue,
  dnsNames: GoValue,
  daysValid: GoValue,
): BaseTemplate {
  const ipList = ips === null ? [] : (ips as GoList).items;
  const parsedIps = ipList.map((ip) => {
    if (typeof ip !== 'string') return fail(`error parsing ip: ${sprint([ip])} is not a string`);
    return parseIp(ip) ?? fail(`error parsing ip: ${ip}`);
  });
  const dnsList = dnsNames === null ? [] : (dnsNames as GoList).items;
  const names = dnsList.map((name) =>
    typeof name === 'string'
      ? name
      : fail(`error processing alternate dns name: ${sprint([name])} is not a string`),
  );
  return { commonName, ips: parsedIps, dnsNames: names, daysValid: (daysValid as { value: bigint }).value };
}

/** Go's asn1 string choice for a Name value: PrintableString when it can be, else UTF8String. */
function directoryString(value: ByteString): Uint8Array {
  if (/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value))
    return tlv(TAG.PRINTABLE_STRING, Buffer.from(value, 'latin1'));
  if (!isValidUtf8(value)) throw new GoError('asn1: string not valid UTF-8');
  return tlv(TAG.UTF8_STRING, Buffer.from(value, 'latin1'));
}

function subjectName(commonName: ByteString): Uint8Array {
  if (commonName === '') return seq();
  return seq(setOf(seq(oid('2.5.4.3'), directoryString(commonName))));
}

function isIa5(value: ByteString): boolean {
  return [...value].every((c) => c.charCodeAt(0) < 0x80);
}

interface Signer {
  readonly algorithm: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

/** Go's signingParamsForKey: the key must be a crypto.Signer (RSA, ECDSA, Ed25519). */
function signerFor(key: GoPrivateKey): Signer {
  switch (key.kind) {
    case 'rsa':
      return {
        algorithm: seq(oid('1.2.840.113549.1.1.11'), derNull()),
        sign: (data) => sign('sha256', data, key.key),
      };
    case 'ecdsa': {
      const [hash, algorithmOid] =
        key.curve === 'P-384'
          ? ['sha384', '1.2.840.10045.4.3.3']
          : key.curve === 'P-521'
            ? ['sha512', '1.2.840.10045.4.3.4']
            : ['sha256', '1.2.840.10045.4.3.2'];
      return { algorithm: seq(oid(algorithmOid)), sign: (data) => sign(hash, data, key.key) };
    }
    case 'ed25519':
      return { algorithm: seq(oid('1.3.101.112')), sign: (data) => sign(null, data, key.key) };
    default:
      throw new GoError('x509: certificate private key does not implement crypto.Signer');
  }
}

interface Parent {
  readonly subject: Uint8Array;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly publicKey: KeyObject | undefined;
}

/** A random serial below 2^128, as crypto/rand.Int gives it. */
function randomSerial(): Uint8Array {
  return unsignedInteger(randomBytes(16));
}

function keyUsageExtension(isCA: boolean): Uint8Array {
  // digitalSignature (bit 0) and keyEncipherment (bit 2), plus keyCertSign (bit 5) for a CA; Go drops
  // trailing zero bits.
  const bits = isCA ? bitString(Uint8Array.of(0xa4), 2) : bitString(Uint8Array.of(0xa0), 5);
  return seq(oid(EXTENSION.keyUsage), boolean(true), octetString(bits));
}

/** Go's x509.CreateCertificate for sprig's template; returns the certificate's DER. */
function createCertificate(
  template: BaseTemplate & { readonly isCA: boolean },
  publicKeySource: GoPrivateKey,
  parent: Parent | 'self',
  signingKey: GoPrivateKey,
  now: Date,
): Uint8Array {
  const signer = signerFor(signingKey);
  // Go 1.23's certificate code has no encoding for DSA or X25519 public keys.
  if (publicKeySource.kind === 'x25519')
    throw new GoError('x509: unsupported public key type: *ecdh.PublicKey');
  const spki = subjectPublicKeyInfo(publicKeySource);
  const subject = subjectName(template.commonName);
  const issuer = parent === 'self' ? subject : parent.subject;
  const authorityKeyId =
    parent !== 'self' && !equalBytes(issuer, subject) && parent.subjectKeyId && parent.subjectKeyId.length > 0
      ? parent.subjectKeyId
      : undefined;
  const subjectKeyId = template.isCA ? createHash('sha1').update(publicKeyBits(spki)).digest() : undefined;
  if (parent !== 'self' && parent.publicKey) {
    // Compared by encoding: KeyObject.equals on keys of different types leaves an OpenSSL error queued that
    // the next unrelated operation then reports.
    const signerPublic = createPublicKey((signingKey as { key: KeyObject }).key).export({
      type: 'spki',
      format: 'der',
    });
    const parentPublic = parent.publicKey.export({ type: 'spki', format: 'der' });
    if (!signerPublic.equals(parentPublic))
      throw new GoError("x509: provided PrivateKey doesn't match parent's PublicKey");
  }
  const extensions: Uint8Array[] = [
    keyUsageExtension(template.isCA),
    seq(oid(EXTENSION.extKeyUsage), octetString(seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2')))),
    seq(
      oid(EXTENSION.basicConstraints),
      boolean(true),
      octetString(template.isCA ? seq(boolean(true)) : seq()),
    ),
  ];
  if (subjectKeyId) extensions.push(seq(oid(EXTENSION.subjectKeyId), octetString(octetString(subjectKeyId))));
  if (authorityKeyId)
    extensions.push(seq(oid(EXTENSION.authorityKeyId), octetString(seq(tlv(0x80, authorityKeyId)))));
  if (template.dnsNames.length > 0 || template.ips.length > 0) {
    const names: Uint8Array[] = [];
    for (const name of template.dnsNames) {
      if (!isIa5(name)) throw new GoError(`x509: ${quote(name)} cannot be encoded as an IA5String`);
      names.push(tlv(0x82, Buffer.from(name, 'latin1')));
    }
    for (const ip of template.ips) names.push(tlv(0x87, ipTo4(ip) ?? ip));
    const critical = template.commonName === '';
    extensions.push(
      seq(oid(EXTENSION.subjectAltName), ...(critical ? [boolean(true)] : []), octetString(seq(...names))),
    );
  }
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + Number(template.daysValid) * 86_400_000);
  const tbs = seq(
    explicit(0, integer(2)),
    randomSerial(),
    signer.algorithm,
    issuer,
    seq(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(3, seq(...extensions)),
  );
  return seq(tbs, signer.algorithm, bitString(signer.sign(tbs)));
}

function certAndKey(
  template: BaseTemplate & { readonly isCA: boolean },
  key: GoPrivateKey,
  parent: Parent | 'self',
  signingKey: GoPrivateKey,
  now: Date,
): GoStruct {
  let der: Uint8Array;
  try {
    der = createCertificate(template, key, parent, signingKey, now);
  } catch (error) {
    if (error instanceof GoError) throw new GoFuncError(`error creating certificate: ${error.message}`);
    throw error;
  }
  return certificateValue(pemEncode({ type: 'CERTIFICATE', bytes: der }), pemForKey(key));
}

function newRsaKey(): GoPrivateKey {
  return { kind: 'rsa', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
}

function keyFromPem(text: GoValue): GoPrivateKey {
  try {
    return parsePrivateKeyPem(text as ByteString);
  } catch (error) {
    if (error instanceof GoError) throw new GoFuncError(`parsing private key: ${error.message}`);
    throw error;
  }
}

const nowOf = (context: CallContext): Date => context.now?.() ?? new Date();

// -- the functions ---------------------------------------------------------------------------------------------

export const buildCustomCert = defineFunction({
  name: 'buildCustomCert',
  params: ['string', 'string'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: ([b64cert, b64key]) => {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = decodeStdBase64(b64cert as string);
    } catch {
      return fail('unable to decode base64 certificate');
    }
    try {
      key = decodeStdBase64(b64key as string);
    } catch {
      return fail('unable to decode base64 private key');
    }
    const certText = cert.toString('latin1');
    const keyText = key.toString('latin1');
    const [block] = pemDecode(certText);
    if (!block) return fail('unable to decode certificate');
    try {
      parseCertificate(block.bytes);
    } catch (error) {
      return fail(`error parsing certificate: decodedCert.Bytes: ${(error as Error).message}`);
    }
    try {
      parsePrivateKeyPem(keyText);
    } catch (error) {
      if (error instanceof GoError) return fail(`error parsing private key: ${error.message}`);
      throw error;
    }
    return certificateValue(certText, keyText);
  },
});

function caTemplate(commonName: GoValue, daysValid: GoValue): BaseTemplate & { isCA: boolean } {
  return { ...baseTemplate(commonName as ByteString, null, null, daysValid), isCA: true };
}

export const genCA = defineFunction({
  name: 'genCA',
  params: ['string', 'int'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: ([cn, days], context) => {
    const key = newRsaKey();
    return certAndKey(caTemplate(cn!, days!), key, 'self', key, nowOf(context));
  },
});

export const genCAWithKey = defineFunction({
  name: 'genCAWithKey',
  params: ['string', 'int', 'string'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: ([cn, days, keyPem], context) => {
    const key = keyFromPem(keyPem!);
    return certAndKey(caTemplate(cn!, days!), key, 'self', key, nowOf(context));
  },
});

export const genSelfSignedCert = defineFunction({
  name: 'genSelfSignedCert',
  params: ['string', '[]interface {}', '[]interface {}', 'int'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: ([cn, ips, dns, days], context) => {
    const key = newRsaKey();
    const template = { ...baseTemplate(cn as ByteString, ips!, dns!, days!), isCA: false };
    return certAndKey(template, key, 'self', key, nowOf(context));
  },
});

export const genSelfSignedCertWithKey = defineFunction({
  name: 'genSelfSignedCertWithKey',
  params: ['string', '[]interface {}', '[]interface {}', 'int', 'string'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: ([cn, ips, dns, days, keyPem], context) => {
    const key = keyFromPem(keyPem!);
    const template = { ...baseTemplate(cn as ByteString, ips!, dns!, days!), isCA: false };
    return certAndKey(template, key, 'self', key, nowOf(context));
  },
});

/** sprig's generateSignedCertificateWithKeyInternal: read the CA, then sign a new leaf with it. */
function signedBy([cn, ips, dns, days, ca]: GoValue[], key: GoPrivateKey, context: CallContext): GoStruct {
  const { cert, key: caKeyPem } = fieldsOf(ca!);
  const [block] = pemDecode(cert);
  if (!block) return fail('unable to decode certificate');
  let parsed;
  try {
    parsed = parseCertificate(block.bytes);
  } catch (error) {
    return fail(`error parsing certificate: decodedSignerCert.Bytes: ${(error as Error).message}`);
  }
  let signingKey: GoPrivateKey;
  try {
    signingKey = parsePrivateKeyPem(caKeyPem);
  } catch (error) {
    if (error instanceof GoError) return fail(`error parsing private key: ${error.message}`);
    throw error;
  }
  const template = { ...baseTemplate(cn as ByteString, ips!, dns!, days!), isCA: false };
  let publicKey: KeyObject | undefined;
  try {
    publicKey = certificatePublicKey(parsed);
  } catch {
    publicKey = undefined;
  }
  const parent: Parent = { subject: parsed.subjectRaw, subjectKeyId: parsed.subjectKeyId, publicKey };
  return certAndKey(template, key, parent, signingKey, nowOf(context));
}

export const genSignedCert = defineFunction({
  name: 'genSignedCert',
  params: ['string', '[]interface {}', '[]interface {}', 'int', CERTIFICATE_TYPE],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: (args, context) => signedBy(args, newRsaKey(), context),
});

export const genSignedCertWithKey = defineFunction({
  name: 'genSignedCertWithKey',
  params: ['string', '[]interface {}', '[]interface {}', 'int', CERTIFICATE_TYPE, 'string'],
  result: CERTIFICATE_TYPE,
  returnsError: true,
  call: (args, context) => signedBy(args.slice(0, 5), keyFromPem(args[5]!), context),
});
