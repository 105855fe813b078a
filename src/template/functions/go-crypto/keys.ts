/**
 * Private keys as Go's crypto/x509 parses and marshals them (PKCS#1, SEC 1, PKCS#8) and the key types Go
 * distinguishes (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey, *ecdh.PrivateKey for X25519,
 * *dsa.PrivateKey from sprig's own DSA format). The cryptography is node:crypto's; what this module adds is
 * Go's choice of format and Go's error messages ("x509: failed to parse private key (use
 * ParsePKCS1PrivateKey instead for this key format)"), which template users see.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  Asn1Error,
  TAG,
  children,
  integer,
  parseDer,
  readInteger,
  readOctetString,
  readOid,
  seq,
  bitString,
  explicit,
  octetString,
  oid,
  type Der,
} from './der.ts';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  x25519: '1.3.101.110',
  dsa: '1.2.840.10040.4.1',
} as const;

const CURVES: Record<string, NamedCurve | undefined> = {
  '1.3.132.0.33': 'P-224',
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

export type NamedCurve = 'P-224' | 'P-256' | 'P-384' | 'P-521';

export type GoPrivateKey =
  | { readonly kind: 'rsa'; readonly key: KeyObject }
  | { readonly kind: 'ecdsa'; readonly key: KeyObject; readonly curve: NamedCurve }
  | { readonly kind: 'ed25519'; readonly key: KeyObject }
  | { readonly kind: 'x25519'; readonly key: KeyObject }
  | {
      readonly kind: 'dsa';
      readonly p: bigint;
      readonly q: bigint;
      readonly g: bigint;
      readonly y: bigint;
      readonly x: bigint;
    };

/** The Go type of the key, as %T prints it. */
export function goKeyType(key: GoPrivateKey): string {
  switch (key.kind) {
    case 'rsa':
      return '*rsa.PrivateKey';
    case 'ecdsa':
      return '*ecdsa.PrivateKey';
    case 'ed25519':
      return 'ed25519.PrivateKey';
    case 'x25519':
      return '*ecdh.PrivateKey';
    case 'dsa':
      return '*dsa.PrivateKey';
  }
}

/** The Go type of the key's public half. */
export function goPublicKeyType(key: GoPrivateKey): string {
  return goKeyType(key).replace('Private', 'Public');
}

/** An error whose message is exactly what the Go function returned. */
export class GoError extends Error {}

// -- shapes: what Go's asn1.Unmarshal would accept into each structure ----------------------------------------

function tryElements(der: Uint8Array): Der[] | undefined {
  try {
    const top = parseDer(der, 'trailing data');
    if (top.tag !== TAG.SEQUENCE) return undefined;
    return children(top);
  } catch {
    return undefined;
  }
}

function isPkcs8Shape(der: Uint8Array): boolean {
  const items = tryElements(der);
  if (!items || items.length < 3) return false;
  return (
    items[0]!.tag === TAG.INTEGER && items[1]!.tag === TAG.SEQUENCE && items[2]!.tag === TAG.OCTET_STRING
  );
}

function isEcShape(der: Uint8Array): boolean {
  const items = tryElements(der);
  if (!items || items.length < 2) return false;
  return items[0]!.tag === TAG.INTEGER && items[1]!.tag === TAG.OCTET_STRING;
}

function isPkcs1Shape(der: Uint8Array): boolean {
  const items = tryElements(der);
  if (!items || items.length < 9) return false;
  return items.slice(0, 9).every((item) => item.tag === TAG.INTEGER);
}

function structureError(what: string, error: unknown): GoError {
  const detail = error instanceof Error ? error.message : String(error);
  return new GoError(detail.startsWith('asn1:') ? detail : `asn1: structure error: ${what}: ${detail}`);
}

// -- parsing ------------------------------------------------------------------------------------------------

/** Go's x509.ParsePKCS1PrivateKey. */
export function parsePkcs1PrivateKey(der: Uint8Array): GoPrivateKey {
  if (!isPkcs1Shape(der)) {
    if (isEcShape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
      );
    if (isPkcs8Shape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)',
      );
    throw structureError('pkcs1PrivateKey', new Asn1Error("asn1: structure error: tags don't match"));
  }
  const items = tryElements(der)!;
  const version = readInteger(items[0]);
  if (version > 1n) throw new GoError('x509: unsupported private key version');
  const values = items.slice(1, 9).map((item) => readInteger(item));
  if (values.slice(0, 3).some((value) => value <= 0n))
    throw new GoError('x509: private key contains zero or negative value');
  if (values.slice(3, 5).some((value) => value <= 0n))
    throw new GoError('x509: private key contains zero or negative prime');
  try {
    return { kind: 'rsa', key: createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' }) };
  } catch {
    throw new GoError('crypto/rsa: invalid private key');
  }
}

/** Go's x509.ParseECPrivateKey (the curve from the key itself, or `curveOid` when PKCS#8 gave one). */
export function parseEcPrivateKey(der: Uint8Array, curveOid?: string): GoPrivateKey {
  if (!isEcShape(der)) {
    if (isPkcs8Shape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)',
      );
    if (isPkcs1Shape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)',
      );
    throw new GoError("x509: failed to parse EC private key: asn1: structure error: tags don't match");
  }
  const items = tryElements(der)!;
  const version = readInteger(items[0]);
  if (version !== 1n) throw new GoError(`x509: unknown EC private key version ${version}`);
  let curveId = curveOid;
  if (curveId === undefined) {
    const parameters = items.find((item) => item.tag === 0xa0);
    if (parameters) {
      try {
        curveId = readOid(children(parameters)[0]);
      } catch {
        curveId = undefined;
      }
    }
  }
  const curve = curveId === undefined ? undefined : CURVES[curveId];
  if (!curve) throw new GoError('x509: unknown elliptic curve');
  const privateBytes = readOctetString(items[1]);
  const size = curve === 'P-521' ? 66 : curve === 'P-384' ? 48 : curve === 'P-256' ? 32 : 28;
  if (privateBytes.length > size) throw new GoError('x509: invalid private key length');
  // Node needs the curve inside the structure; rebuild it the way Go would marshal it.
  const padded = new Uint8Array(size);
  padded.set(privateBytes, size - privateBytes.length);
  const sec1 = seq(integer(1), octetString(padded), explicit(0, oid(CURVE_OIDS[curve])));
  try {
    return {
      kind: 'ecdsa',
      curve,
      key: createPrivateKey({ key: Buffer.from(sec1), format: 'der', type: 'sec1' }),
    };
  } catch {
    throw new GoError('x509: invalid elliptic curve private key value');
  }
}

const CURVE_OIDS: Record<NamedCurve, string> = {
  'P-224': '1.3.132.0.33',
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
};

/** Go's x509.ParsePKCS8PrivateKey. */
export function parsePkcs8PrivateKey(der: Uint8Array): GoPrivateKey {
  if (!isPkcs8Shape(der)) {
    if (isEcShape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
      );
    if (isPkcs1Shape(der))
      throw new GoError(
        'x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)',
      );
    throw new GoError(
      "asn1: structure error: tags don't match (16 vs {class:0 tag:2 length:1 isCompound:false}) pkcs8",
    );
  }
  const items = tryElements(der)!;
  const algorithm = children(items[1]!);
  const algorithmOid = readOid(algorithm[0]);
  const inner = readOctetString(items[2]);
  switch (algorithmOid) {
    case OID.rsaEncryption:
      try {
        return parsePkcs1PrivateKey(inner);
      } catch (error) {
        throw new GoError(
          `x509: failed to parse RSA private key embedded in PKCS#8: ${(error as Error).message}`,
        );
      }
    case OID.ecPublicKey: {
      let curveOid: string | undefined;
      try {
        curveOid = readOid(algorithm[1]);
      } catch {
        curveOid = undefined;
      }
      try {
        return parseEcPrivateKey(inner, curveOid ?? 'unknown');
      } catch (error) {
        throw new GoError(
          `x509: failed to parse EC private key embedded in PKCS#8: ${(error as Error).message}`,
        );
      }
    }
    case OID.ed25519:
    case OID.x25519: {
      const name = algorithmOid === OID.ed25519 ? 'Ed25519' : 'X25519';
      if (algorithm.length > 1) throw new GoError(`x509: invalid ${name} private key parameters`);
      let seed: Uint8Array;
      try {
        seed = readOctetString(parseDer(inner, 'asn1: syntax error: trailing data'));
      } catch (error) {
        throw new GoError(`x509: invalid ${name} private key: ${(error as Error).message}`);
      }
      if (seed.length !== 32)
        throw new GoError(
          algorithmOid === OID.ed25519
            ? `x509: invalid Ed25519 private key length: ${seed.length}`
            : 'x509: invalid X25519 private key: crypto/ecdh: invalid private key size',
        );
      const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
      return { kind: algorithmOid === OID.ed25519 ? 'ed25519' : 'x25519', key };
    }
    default:
      throw new GoError(
        `x509: PKCS#8 wrapping contained private key with unknown algorithm: ${algorithmOid}`,
      );
  }
}

/** sprig's DSA format: SEQUENCE { version, p, q, g, y, x } read without checks, as asn1.Unmarshal does. */
export function parseDsaPrivateKey(der: Uint8Array): GoPrivateKey {
  const items = tryElements(der);
  if (!items || items.length < 6 || items.slice(0, 6).some((item) => item.tag !== TAG.INTEGER))
    throw new GoError("asn1: structure error: tags don't match");
  const [, p, q, g, y, x] = items.slice(0, 6).map((item) => readInteger(item));
  return { kind: 'dsa', p: p!, q: q!, g: g!, y: y!, x: x! };
}

// -- marshalling ----------------------------------------------------------------------------------------------

function exportDer(key: KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1' | 'spki'): Uint8Array {
  return new Uint8Array(key.export({ type, format: 'der' } as never) as Buffer);
}

/** Go's x509.MarshalPKCS1PrivateKey. */
export function marshalPkcs1PrivateKey(key: KeyObject): Uint8Array {
  return exportDer(key, 'pkcs1');
}

const CURVE_SIZES: Record<NamedCurve, number> = { 'P-224': 28, 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** The private scalar (padded to the curve's size) and the uncompressed public point. */
function ecParts(key: Extract<GoPrivateKey, { kind: 'ecdsa' }>): { d: Uint8Array; point: Uint8Array } {
  const jwk = key.key.export({ format: 'jwk' });
  const size = CURVE_SIZES[key.curve];
  const d = Buffer.from(jwk.d!, 'base64url');
  const padded = new Uint8Array(size);
  padded.set(d, size - d.length);
  const point = publicKeyBits(exportDer(createPublicKey(key.key), 'spki'));
  return { d: padded, point };
}

/**
 * Go's marshalECPrivateKeyWithOID: version 1, the padded scalar, the curve (omitted inside PKCS#8) and the
 * public point. Built here rather than exported by OpenSSL, which leaves out the public point of a key that
 * was read without one.
 */
function ecPrivateKeyDer(key: Extract<GoPrivateKey, { kind: 'ecdsa' }>, withCurve: boolean): Uint8Array {
  const { d, point } = ecParts(key);
  return seq(
    integer(1),
    octetString(d),
    ...(withCurve ? [explicit(0, oid(CURVE_OIDS[key.curve]))] : []),
    explicit(1, bitString(point)),
  );
}

/** Go's x509.MarshalECPrivateKey (with the curve and the public key). */
export function marshalEcPrivateKey(key: Extract<GoPrivateKey, { kind: 'ecdsa' }>): Uint8Array {
  return ecPrivateKeyDer(key, true);
}

/** Go's x509.MarshalPKCS8PrivateKey; Go refuses DSA keys. */
export function marshalPkcs8PrivateKey(key: GoPrivateKey): Uint8Array {
  if (key.kind === 'dsa')
    throw new GoError('x509: unknown key type while marshaling PKCS#8: *dsa.PrivateKey');
  if (key.kind === 'ecdsa') {
    return seq(
      integer(0),
      seq(oid(OID.ecPublicKey), oid(CURVE_OIDS[key.curve])),
      octetString(ecPrivateKeyDer(key, false)),
    );
  }
  return exportDer(key.key, 'pkcs8');
}

/** sprig's DSA PRIVATE KEY body. */
export function marshalDsaPrivateKey(key: Extract<GoPrivateKey, { kind: 'dsa' }>): Uint8Array {
  const int = (value: bigint): Uint8Array => integer(value);
  return seq(integer(0), int(key.p), int(key.q), int(key.g), int(key.y), int(key.x));
}

/** A DSA key from node:crypto (PKCS#8) in sprig's form, with y computed from x. */
export function dsaKeyFromPkcs8(der: Uint8Array): Extract<GoPrivateKey, { kind: 'dsa' }> {
  const items = children(parseDer(der));
  const parameters = children(children(items[1]!)[1]!).map((item) => readInteger(item));
  const [p, q, g] = parameters as [bigint, bigint, bigint];
  const x = readInteger(parseDer(readOctetString(items[2])));
  return { kind: 'dsa', p, q, g, x, y: modPow(g, x, p) };
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * Go's marshalPublicKey: the SubjectPublicKeyInfo of the key's public half. DSA keys have none in Go 1.23's
 * certificate code.
 */
export function subjectPublicKeyInfo(key: GoPrivateKey): Uint8Array {
  if (key.kind === 'dsa') throw new GoError('x509: unsupported public key type: *dsa.PublicKey');
  return exportDer(createPublicKey(key.key), 'spki');
}

/** The bytes of the BIT STRING inside a SubjectPublicKeyInfo. */
export function publicKeyBits(spki: Uint8Array): Uint8Array {
  const items = children(parseDer(spki));
  return items[1]!.value.subarray(1);
}
