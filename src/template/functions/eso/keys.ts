/**
 * External Secrets' key helpers: jwkPublicKeyPem / jwkPrivateKeyPem (a JWK, as lestrrat-go/jwx parses it,
 * to PKIX "PUBLIC KEY" / PKCS#8 "PRIVATE KEY" PEM), rsaDecrypt (RSA-OAEP with a PEM private key) and hexdec
 * (ESO's vendored sprig addition).
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import {
  byteStringFromBytes,
  byteStringFromText,
  textFromByteString,
  type ByteString,
} from '../../../common/go-utf8.ts';
import {
  marshalPkcs8PrivateKey,
  parseEcPrivateKey,
  parsePkcs1PrivateKey,
  parsePkcs8PrivateKey,
  type GoPrivateKey,
  type NamedCurve,
} from '../go-crypto/keys.ts';
import { pemDecode, pemEncode } from '../go-crypto/pem.ts';

const fail = (message: string): never => {
  throw new GoFuncError(message);
};

// -- JWK --------------------------------------------------------------------------------------------------

const JWK_CURVES: Record<string, NamedCurve | undefined> = {
  'P-256': 'P-256',
  'P-384': 'P-384',
  'P-521': 'P-521',
};

interface ParsedJwk {
  /** What jwx's Raw gives, as Go names its type. */
  readonly goType: string;
  readonly privateKey?: GoPrivateKey;
  readonly publicKey?: KeyObject;
}

/** jwx's ParseKey + Raw: which Go value the JWK becomes. Errors read like jwx's. */
function parseJwk(text: ByteString): ParsedJwk {
  let json: unknown;
  try {
    json = JSON.parse(textFromByteString(text));
  } catch (error) {
    return fail(`failed to unmarshal JSON into key hint: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return fail(
      'failed to unmarshal JSON into key hint: json: cannot unmarshal into Go value of type jwk.keyHint',
    );
  const jwk = json as Record<string, unknown>;
  const kty = typeof jwk.kty === 'string' ? jwk.kty : '';
  const isPrivate = typeof jwk.d === 'string';
  const importKey = (): KeyObject => {
    try {
      return isPrivate
        ? createPrivateKey({ key: jwk, format: 'jwk' })
        : createPublicKey({ key: jwk, format: 'jwk' });
    } catch (error) {
      return fail(`failed to parse key: ${(error as Error).message}`);
    }
  };
  switch (kty) {
    case 'RSA': {
      const key = importKey();
      return isPrivate
        ? { goType: '*rsa.PrivateKey', privateKey: { kind: 'rsa', key } }
        : { goType: '*rsa.PublicKey', publicKey: key };
    }
    case 'EC': {
      const curve = JWK_CURVES[String(jwk.crv)];
      if (!curve) return fail(`failed to parse key: invalid curve algorithm ${String(jwk.crv)}`);
      const key = importKey();
      return isPrivate
        ? { goType: '*ecdsa.PrivateKey', privateKey: { kind: 'ecdsa', key, curve } }
        : { goType: '*ecdsa.PublicKey', publicKey: key };
    }
    case 'OKP': {
      const crv = String(jwk.crv);
      if (crv === 'Ed25519') {
        const key = importKey();
        return isPrivate
          ? { goType: 'ed25519.PrivateKey', privateKey: { kind: 'ed25519', key } }
          : { goType: 'ed25519.PublicKey', publicKey: key };
      }
      // jwx keeps X25519 keys in its own x25519 types, which crypto/x509 does not know.
      if (crv === 'X25519') return { goType: isPrivate ? 'x25519.PrivateKey' : 'x25519.PublicKey' };
      return fail(`failed to parse key: invalid curve algorithm ${crv}`);
    }
    case 'oct':
      return { goType: '[]uint8' };
    default:
      return fail(`failed to parse key: invalid key type from JSON (${kty})`);
  }
}

export const jwkPublicKeyPem = defineFunction({
  name: 'jwkPublicKeyPem',
  params: ['string'],
  result: 'string',
  returnsError: true,
  call: ([text]) => {
    const parsed = parseJwk(text as ByteString);
    // x509.MarshalPKIXPublicKey takes public keys only: a private JWK is refused, as in ESO.
    if (!parsed.publicKey) return fail(`x509: unsupported public key type: ${parsed.goType}`);
    const spki = new Uint8Array(parsed.publicKey.export({ type: 'spki', format: 'der' }));
    return pemEncode({ type: 'PUBLIC KEY', bytes: spki });
  },
});

export const jwkPrivateKeyPem = defineFunction({
  name: 'jwkPrivateKeyPem',
  params: ['string'],
  result: 'string',
  returnsError: true,
  call: ([text]) => {
    const parsed = parseJwk(text as ByteString);
    if (!parsed.privateKey) return fail(`x509: unknown key type while marshaling PKCS#8: ${parsed.goType}`);
    return pemEncode({ type: 'PRIVATE KEY', bytes: marshalPkcs8PrivateKey(parsed.privateKey) });
  },
});

// -- rsaDecrypt -----------------------------------------------------------------------------------------------

const OAEP_HASHES: Record<string, string> = {
  None: 'sha256',
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
};

export const rsaDecrypt = defineFunction({
  name: 'rsaDecrypt',
  params: ['string', 'string', 'string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([scheme, hash, input, keyText]) => {
    if (scheme === 'None') return input!;
    if (scheme !== 'RSA-OAEP') return fail(`decryption scheme ${scheme as string} is not supported`);
    const [block] = pemDecode(keyText as ByteString);
    if (!block) return fail('failed to decode PEM block');
    let key: GoPrivateKey | undefined;
    for (const parse of [
      parsePkcs1PrivateKey,
      (der: Uint8Array) => parsePkcs8PrivateKey(der),
      (der: Uint8Array) => parseEcPrivateKey(der),
    ]) {
      try {
        key = parse(block.bytes);
        break;
      } catch {
        // next format
      }
    }
    if (!key) return fail('could not parse private key: unable to parse private key type');
    if (key.kind !== 'rsa') return fail('could not parse RSA private key');
    try {
      const plain = privateDecrypt(
        {
          key: key.key,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: OAEP_HASHES[hash as string] ?? 'sha256',
        },
        Buffer.from(input as ByteString, 'latin1'),
      );
      return byteStringFromBytes(plain);
    } catch {
      return fail('error decrypting data with RSA: crypto/rsa: decryption error');
    }
  },
});

// -- hexdec ------------------------------------------------------------------------------------------------

/** Go's %#U of a byte read as a rune: "U+0067 'g'", or "U+0000" when not printable. */
function goRuneDescription(byte: number): string {
  const code = `U+${byte.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = (byte >= 0x20 && byte < 0x7f) || (byte >= 0xa1 && byte !== 0xad);
  return printable ? `${code} '${byteStringFromText(String.fromCharCode(byte))}'` : code;
}

const HEX = /^[0-9a-fA-F]$/;

/**
 * hexdec: encoding/hex's DecodeString; like sprig's b64dec, a decoding error is returned as the result text
 * rather than failing the template.
 */
export const hexdec = defineFunction({
  name: 'hexdec',
  params: ['string'],
  result: 'string',
  call: ([input]) => {
    const text = input as ByteString;
    const out: number[] = [];
    let i = 0;
    for (; i + 1 < text.length; i += 2) {
      for (const c of [text[i]!, text[i + 1]!]) {
        if (!HEX.test(c)) return `encoding/hex: invalid byte: ${goRuneDescription(c.charCodeAt(0))}`;
      }
      out.push(parseInt(text.slice(i, i + 2), 16));
    }
    if (text.length % 2 === 1) {
      const last = text[text.length - 1]!;
      if (!HEX.test(last)) return `encoding/hex: invalid byte: ${goRuneDescription(last.charCodeAt(0))}`;
      return 'encoding/hex: odd length hex string';
    }
    return byteStringFromBytes(Uint8Array.from(out));
  },
});
