/**
 * PKCS#12 as External Secrets reads and writes it through software.sslmate.com/src/go-pkcs12:
 *
 * - decodeChain: go-pkcs12's DecodeChain: a DER PFX with a MAC (SHA-1, SHA-256 or SHA-512; a file without
 *   one only with the empty password), one or two SafeContents, certificates (the first is the leaf) and
 *   exactly one key (keyBag or pkcs8ShroudedKeyBag), encrypted with PBES2 (PBKDF2 + AES-CBC), or the legacy
 *   PBE-SHA1-3DES and PBE-SHA1-RC2-40 that OpenSSL 1.x, Windows and Java write. Errors are go-pkcs12's.
 * - encodeModern / encodeTrustStoreModern: go-pkcs12's Modern2023 encoder: PBES2 with PBKDF2-HMAC-SHA-256
 *   (2048 iterations, 16-byte salt) and AES-256-CBC for both the certificates and the key, an HMAC-SHA-256 MAC;
 *   the leaf and the key carry a localKeyId (SHA-1 of the leaf), trust store entries Java's trusted-cert
 *   attribute and the subject as friendly name.
 *
 * The cryptography is node:crypto's, except RC2 (OpenSSL 3 keeps it in its legacy provider, which Node does
 * not load): node-forge's RC2, loaded only when a legacy file needs it. The ASN.1 is der.ts.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { createRequire } from 'node:module';
import {
  Asn1Error,
  TAG,
  children,
  derNull,
  explicit,
  integer,
  octetString,
  oid,
  parseDer,
  readInteger,
  readOctetString,
  readOid,
  seq,
  setOf,
  tlv,
  type Der,
} from './der.ts';
import { GoError, marshalPkcs8PrivateKey, parsePkcs8PrivateKey, type GoPrivateKey } from './keys.ts';
import { nameString, parseCertificate, type Certificate } from './x509.ts';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  javaTrustStore: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd40BitRC2CBC: '1.2.840.113549.1.12.1.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
} as const;

export const ERR_INCORRECT_PASSWORD = 'pkcs12: decryption password incorrect';
const ERR_DECRYPTION = 'pkcs12: decryption error, incorrect padding';

const notImplemented = (message: string): GoError => new GoError(`pkcs12: ${message}`);

// -- passwords ---------------------------------------------------------------------------------------------

/** go-pkcs12's bmpStringZeroTerminated of a Go string (bytes; invalid UTF-8 reads as U+FFFD, as Go's range). */
function bmpPassword(password: Uint8Array): Uint8Array {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(password);
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code > 0xffff || (code >= 0xd800 && code < 0xe000))
      throw new GoError('pkcs12: string contains characters that cannot be encoded in UCS-2');
    out.push(code >> 8, code & 0xff);
  }
  out.push(0, 0);
  return Uint8Array.from(out);
}

/** The password PBES2 uses: the BMP password read back as text, in UTF-8. */
function utf8FromBmp(bmp: Uint8Array | undefined): Buffer {
  if (!bmp || bmp.length === 0) return Buffer.alloc(0);
  let text = '';
  for (let i = 0; i + 1 < bmp.length - 2; i += 2) text += String.fromCharCode((bmp[i]! << 8) | bmp[i + 1]!);
  return Buffer.from(text, 'utf8');
}

// -- key derivation (RFC 7292, appendix B) -------------------------------------------------------------------

const HASHES: Record<string, { name: string; size: number; block: number }> = {
  [OIDS.sha1]: { name: 'sha1', size: 20, block: 64 },
  [OIDS.sha256]: { name: 'sha256', size: 32, block: 64 },
  [OIDS.sha512]: { name: 'sha512', size: 64, block: 128 },
};

function pkcs12Kdf(
  hash: { name: string; size: number; block: number },
  password: Uint8Array | undefined,
  salt: Uint8Array,
  iterations: number,
  id: number,
  size: number,
): Buffer {
  const v = hash.block;
  const fill = (source: Uint8Array): Buffer => {
    const length = v * Math.ceil(source.length / v);
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password ?? new Uint8Array(0))]);
  const blocks = Math.ceil(size / hash.size);
  const out: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    let A = createHash(hash.name).update(D).update(I).digest();
    for (let j = 1; j < iterations; j++) A = createHash(hash.name).update(A).digest();
    out.push(A);
    if (i < blocks - 1) {
      const B = fill(A).subarray(0, v);
      for (let offset = 0; offset < I.length; offset += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[offset + k]! + B[k]! + carry;
          I[offset + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}

// -- decryption ----------------------------------------------------------------------------------------------

interface ForgeRc2 {
  createDecryptionCipher(
    key: unknown,
    bits: number,
  ): {
    start(iv: unknown): void;
    update(input: unknown): void;
    finish(pad: () => boolean): boolean;
    output: { getBytes(): string };
  };
}
interface ForgeUtil {
  createBuffer(bytes: string, encoding: string): unknown;
}

let forge: { rc2: ForgeRc2; util: ForgeUtil } | undefined;

/** RC2-CBC decryption without unpadding (node-forge; loaded on first use). */
function rc2Decrypt(key: Buffer, iv: Buffer, data: Uint8Array, effectiveBits: number): Buffer {
  if (!forge) {
    const require = createRequire(import.meta.url);
    forge = {
      rc2: require('node-forge/lib/rc2.js') as ForgeRc2,
      util: require('node-forge/lib/util.js') as ForgeUtil,
    };
  }
  const cipher = forge.rc2.createDecryptionCipher(
    forge.util.createBuffer(key.toString('latin1'), 'raw'),
    effectiveBits,
  );
  cipher.start(forge.util.createBuffer(iv.toString('latin1'), 'raw'));
  cipher.update(forge.util.createBuffer(Buffer.from(data).toString('latin1'), 'raw'));
  cipher.finish(() => true);
  return Buffer.from(cipher.output.getBytes(), 'latin1');
}

function unpad(decrypted: Buffer, blockSize: number): Buffer {
  const padding = decrypted[decrypted.length - 1] ?? 0;
  if (padding === 0 || padding > blockSize || decrypted.length < padding) throw new GoError(ERR_DECRYPTION);
  for (let i = decrypted.length - padding; i < decrypted.length; i++)
    if (decrypted[i] !== padding) throw new GoError(ERR_DECRYPTION);
  return decrypted.subarray(0, decrypted.length - padding);
}

function pbeParams(parameters: Der | undefined): { salt: Uint8Array; iterations: number } {
  if (!parameters) throw new Asn1Error('asn1: syntax error: sequence truncated');
  const [salt, iterations] = children(parameters);
  return { salt: readOctetString(salt), iterations: Number(readInteger(iterations)) };
}

const PRFS: Record<string, string> = {
  [OIDS.hmacWithSHA1]: 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  [OIDS.hmacWithSHA256]: 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const AES_CBC: Record<string, string> = {
  [OIDS.aes128cbc]: 'aes-128-cbc',
  [OIDS.aes192cbc]: 'aes-192-cbc',
  [OIDS.aes256cbc]: 'aes-256-cbc',
};

/** go-pkcs12's pbDecrypt: the content encrypted under `algorithm` with the (BMP) password. */
function pbDecrypt(algorithm: Der, encrypted: Uint8Array, password: Uint8Array | undefined): Buffer {
  const [algorithmId, parameters] = children(algorithm);
  const id = readOid(algorithmId);
  const sha1 = HASHES[OIDS.sha1]!;
  switch (id) {
    case OIDS.pbeWithSHAAnd3KeyTripleDESCBC: {
      const { salt, iterations } = pbeParams(parameters);
      const key = pkcs12Kdf(sha1, password, salt, iterations, 1, 24);
      const iv = pkcs12Kdf(sha1, password, salt, iterations, 2, 8);
      if (encrypted.length % 8 !== 0) throw new GoError('pkcs12: input is not a multiple of the block size');
      const decipher = createDecipheriv('des-ede3-cbc', key, iv).setAutoPadding(false);
      return unpad(Buffer.concat([decipher.update(encrypted), decipher.final()]), 8);
    }
    case OIDS.pbeWithSHAAnd40BitRC2CBC: {
      const { salt, iterations } = pbeParams(parameters);
      const key = pkcs12Kdf(sha1, password, salt, iterations, 1, 5);
      const iv = pkcs12Kdf(sha1, password, salt, iterations, 2, 8);
      if (encrypted.length % 8 !== 0) throw new GoError('pkcs12: input is not a multiple of the block size');
      return unpad(rc2Decrypt(key, iv, encrypted, 40), 8);
    }
    case OIDS.pbes2: {
      const [kdf, scheme] = children(parameters!);
      const [kdfId, kdfParameters] = children(kdf!);
      const kdfOid = readOid(kdfId);
      if (kdfOid !== OIDS.pbkdf2) throw notImplemented(`kdf algorithm ${kdfOid} is not supported`);
      const kdfFields = children(kdfParameters!);
      const salt = readOctetString(kdfFields[0]);
      const iterations = Number(readInteger(kdfFields[1]));
      const prfField = kdfFields.slice(2).find((field) => field.tag === TAG.SEQUENCE);
      const prfOid = prfField ? readOid(children(prfField)[0]) : OIDS.hmacWithSHA1;
      const prf = PRFS[prfOid];
      if (!prf) throw notImplemented(`pbes2 prf ${prfOid} is not supported`);
      const [schemeId, ivField] = children(scheme!);
      const schemeOid = readOid(schemeId);
      const cipherName = AES_CBC[schemeOid];
      if (!cipherName) throw notImplemented(`pbes2 algorithm ${schemeOid} is not supported`);
      const iv = readOctetString(ivField);
      const keyLength = Number(cipherName.slice(4, 7)) / 8;
      const key = pbkdf2Sync(utf8FromBmp(password), salt, iterations, keyLength, prf);
      if (encrypted.length % 16 !== 0) throw new GoError('pkcs12: input is not a multiple of the block size');
      if (iv.length !== 16) throw new GoError('pkcs12: invalid cipher parameters');
      const decipher = createDecipheriv(cipherName, key, iv).setAutoPadding(false);
      return unpad(Buffer.concat([decipher.update(encrypted), decipher.final()]), 16);
    }
    default:
      throw notImplemented(`algorithm ${id} is not supported`);
  }
}

// -- decoding ------------------------------------------------------------------------------------------------

interface SafeBag {
  readonly id: string;
  readonly value: Der;
  readonly attributes: readonly { id: string; values: readonly Der[] }[];
}

function readSafeBags(data: Uint8Array): SafeBag[] {
  return children(parseDer(data, 'pkcs12: trailing data found')).map((bag) => {
    const fields = children(bag);
    const value = fields[1];
    if (!value || value.tag !== 0xa0) throw new Asn1Error("asn1: structure error: tags don't match safeBag");
    const attributes = fields[2]?.tag === TAG.SET ? children(fields[2]) : [];
    return {
      id: readOid(fields[0]),
      value: children(value)[0]!,
      attributes: attributes.map((attribute) => {
        const [attributeId, values] = children(attribute);
        return { id: readOid(attributeId), values: values ? children(values) : [] };
      }),
    };
  });
}

function verifyMac(macData: Der, content: Uint8Array, password: Uint8Array | undefined): void {
  const [digestInfo, saltField, iterationsField] = children(macData);
  const [algorithm, digest] = children(digestInfo!);
  const algorithmOid = readOid(children(algorithm!)[0]);
  const hash = HASHES[algorithmOid];
  if (!hash) throw notImplemented(`unknown digest algorithm: ${algorithmOid}`);
  const salt = readOctetString(saltField);
  const iterations = iterationsField ? Number(readInteger(iterationsField)) : 1;
  const key = pkcs12Kdf(hash, password, salt, iterations, 3, hash.size);
  const expected = createHmac(hash.name, key).update(content).digest();
  const given = readOctetString(digest);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new GoError(ERR_INCORRECT_PASSWORD);
}

/** go-pkcs12's getSafeContents with 1 to 2 items: the bags and the password that opened them. */
function safeContents(
  pfxData: Uint8Array,
  bmp: Uint8Array,
): { bags: SafeBag[]; password: Uint8Array | undefined } {
  let pfx: Der[];
  try {
    pfx = children(parseDer(pfxData, 'pkcs12: trailing data found'));
    if (pfx[0]?.tag !== TAG.INTEGER || pfx[1]?.tag !== TAG.SEQUENCE)
      throw new Asn1Error("asn1: structure error: tags don't match pfxPdu");
  } catch (error) {
    throw new GoError(`pkcs12: error reading P12 data: ${(error as Error).message}`);
  }
  if (readInteger(pfx[0]) !== 3n) throw notImplemented("can only decode v3 PFX PDU's");
  const [contentType, content] = children(pfx[1]);
  if (readOid(contentType) !== OIDS.data) throw notImplemented('only password-protected PFX is implemented');
  const authSafe = readOctetString(children(content!)[0]);
  let password: Uint8Array | undefined = bmp;
  const emptyPassword = bmp.length === 2 && bmp[0] === 0 && bmp[1] === 0;
  const macData = pfx[2];
  if (!macData) {
    if (!emptyPassword) throw new GoError('pkcs12: no MAC in data');
  } else {
    try {
      verifyMac(macData, authSafe, password);
    } catch (error) {
      if (!(error instanceof GoError && error.message === ERR_INCORRECT_PASSWORD && emptyPassword))
        throw error;
      // Some implementations use no bytes at all for the empty password.
      password = undefined;
      verifyMac(macData, authSafe, password);
    }
  }
  const items = children(parseDer(authSafe, 'pkcs12: trailing data found'));
  if (items.length < 1 || items.length > 2)
    throw notImplemented(
      `expected between 1 and 2 items in the authenticated safe, but this file has ${items.length}`,
    );
  const bags: SafeBag[] = [];
  for (const item of items) {
    const [itemType, itemContent] = children(item);
    const type = readOid(itemType);
    let data: Uint8Array;
    if (type === OIDS.data) {
      data = readOctetString(children(itemContent!)[0]);
    } else if (type === OIDS.encryptedData) {
      const [version, encryptedContentInfo] = children(children(itemContent!)[0]!);
      if (readInteger(version) !== 0n) throw notImplemented('only version 0 of EncryptedData is supported');
      const [, algorithm, encryptedContent] = children(encryptedContentInfo!);
      data = pbDecrypt(algorithm!, encryptedContent?.value ?? new Uint8Array(0), password);
    } else {
      throw notImplemented('only data and encryptedData content types are supported in authenticated safe');
    }
    bags.push(...readSafeBags(data));
  }
  return { bags, password };
}

export interface Pkcs12Contents {
  readonly key: GoPrivateKey;
  readonly certificate: Certificate;
  readonly caCertificates: readonly Certificate[];
}

/** go-pkcs12's DecodeChain. Throws GoError with go-pkcs12's (or Go's asn1/x509) message. */
export function decodeChain(pfxData: Uint8Array, password: Uint8Array): Pkcs12Contents {
  try {
    return decode(pfxData, password);
  } catch (error) {
    if (error instanceof Asn1Error) throw new GoError(error.message);
    throw error;
  }
}

function decode(pfxData: Uint8Array, passwordBytes: Uint8Array): Pkcs12Contents {
  const { bags, password } = safeContents(pfxData, bmpPassword(passwordBytes));
  let key: GoPrivateKey | undefined;
  let certificate: Certificate | undefined;
  const caCertificates: Certificate[] = [];
  for (const bag of bags) {
    if (bag.id === OIDS.certBag) {
      const [certType, certValue] = children(bag.value);
      if (readOid(certType) !== OIDS.x509Certificate)
        throw notImplemented('only X509 certificates are supported in cert bags');
      const parsed = parseCertificate(readOctetString(children(certValue!)[0]));
      if (certificate) caCertificates.push(parsed);
      else certificate = parsed;
    } else if (bag.id === OIDS.keyBag || bag.id === OIDS.pkcs8ShroudedKeyBag) {
      if (key) throw new GoError('pkcs12: expected exactly one key bag');
      let pkcs8: Uint8Array = bag.value.raw;
      if (bag.id === OIDS.pkcs8ShroudedKeyBag) {
        const [algorithm, encrypted] = children(bag.value);
        pkcs8 = pbDecrypt(algorithm!, readOctetString(encrypted), password);
      }
      key = parsePkcs8PrivateKey(pkcs8);
    }
  }
  if (!certificate) throw new GoError('pkcs12: certificate missing');
  if (!key) throw new GoError('pkcs12: private key missing');
  return { key, certificate, caCertificates };
}

// -- encoding (Modern2023) -------------------------------------------------------------------------------------

const ITERATIONS = 2048;
const SALT_LENGTH = 16;

function pbes2Encrypt(plain: Uint8Array, bmp: Uint8Array): { algorithm: Uint8Array; encrypted: Uint8Array } {
  const salt = randomBytes(SALT_LENGTH);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(utf8FromBmp(bmp), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = seq(
    oid(OIDS.pbes2),
    seq(
      seq(
        oid(OIDS.pbkdf2),
        seq(octetString(salt), integer(ITERATIONS), seq(oid(OIDS.hmacWithSHA256), derNull())),
      ),
      seq(oid(OIDS.aes256cbc), octetString(iv)),
    ),
  );
  return { algorithm, encrypted };
}

function attribute(id: string, ...values: Uint8Array[]): Uint8Array {
  return seq(oid(id), setOf(...values));
}

function certBag(certificate: Certificate, attributes: Uint8Array[]): Uint8Array {
  return seq(
    oid(OIDS.certBag),
    explicit(0, seq(oid(OIDS.x509Certificate), explicit(0, octetString(certificate.raw)))),
    setOf(...attributes),
  );
}

function encryptedSafe(bags: Uint8Array[], bmp: Uint8Array): Uint8Array {
  const { algorithm, encrypted } = pbes2Encrypt(seq(...bags), bmp);
  return seq(
    oid(OIDS.encryptedData),
    explicit(0, seq(integer(0), seq(oid(OIDS.data), algorithm, tlv(0x80, encrypted)))),
  );
}

function pfx(safes: Uint8Array[], bmp: Uint8Array): Uint8Array {
  const authenticatedSafe = seq(...safes);
  const salt = randomBytes(SALT_LENGTH);
  const key = pkcs12Kdf(HASHES[OIDS.sha256]!, bmp, salt, ITERATIONS, 3, 32);
  const mac = createHmac('sha256', key).update(authenticatedSafe).digest();
  return seq(
    integer(3),
    seq(oid(OIDS.data), explicit(0, octetString(authenticatedSafe))),
    seq(seq(seq(oid(OIDS.sha256)), octetString(mac)), octetString(salt), integer(ITERATIONS)),
  );
}

/** go-pkcs12's Modern.Encode(key, leaf, caCerts, password). */
export function encodeModern(
  key: GoPrivateKey,
  certificate: Certificate,
  caCertificates: readonly Certificate[],
  password: Uint8Array,
): Uint8Array {
  const bmp = bmpPassword(password);
  const localKeyId = attribute(
    OIDS.localKeyId,
    octetString(createHash('sha1').update(certificate.raw).digest()),
  );
  const certBags = [certBag(certificate, [localKeyId]), ...caCertificates.map((ca) => certBag(ca, []))];
  const pkcs8 = marshalPkcs8PrivateKey(key);
  const { algorithm, encrypted } = pbes2Encrypt(pkcs8, bmp);
  const keyBag = seq(
    oid(OIDS.pkcs8ShroudedKeyBag),
    explicit(0, seq(algorithm, octetString(encrypted))),
    setOf(localKeyId),
  );
  const keySafe = seq(oid(OIDS.data), explicit(0, octetString(seq(keyBag))));
  return pfx([encryptedSafe(certBags, bmp), keySafe], bmp);
}

/** go-pkcs12's Modern.EncodeTrustStore(certs, password): every certificate trusted, named by its subject. */
export function encodeTrustStoreModern(
  certificates: readonly Certificate[],
  password: Uint8Array,
): Uint8Array {
  const bmp = bmpPassword(password);
  const trusted = attribute(OIDS.javaTrustStore, oid(OIDS.anyExtendedKeyUsage));
  const bags = certificates.map((certificate) => {
    const name = nameString(certificate.subject);
    const bmpName = bmpPassword(Buffer.from(name, 'utf8')).subarray(0, -2);
    return certBag(certificate, [trusted, attribute(OIDS.friendlyName, tlv(TAG.BMP_STRING, bmpName))]);
  });
  return pfx([encryptedSafe(bags, bmp)], bmp);
}
