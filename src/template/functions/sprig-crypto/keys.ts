/**
 * sprig's private keys: genPrivateKey and the two helpers its certificate functions share, parsePrivateKeyPEM
 * (which PEM block types mean which key format) and pemBlockForKey (how a key is written back: PKCS#1 for RSA,
 * SEC 1 for ECDSA, sprig's own DSA structure, PKCS#8 for the rest).
 */
import { generateKeyPairSync } from 'node:crypto';
import { defineFunction } from '../../functions.ts';
import {
  dsaKeyFromPkcs8,
  GoError,
  marshalDsaPrivateKey,
  marshalEcPrivateKey,
  marshalPkcs1PrivateKey,
  marshalPkcs8PrivateKey,
  parseDsaPrivateKey,
  parseEcPrivateKey,
  parsePkcs1PrivateKey,
  parsePkcs8PrivateKey,
  type GoPrivateKey,
} from '../go-crypto/keys.ts';
import { pemDecode, pemEncode } from '../go-crypto/pem.ts';
import type { ByteString } from '../../../common/go-utf8.ts';

/** sprig's parsePrivateKeyPEM: the first PEM block, read by its type. Throws GoError with sprig's message. */
export function parsePrivateKeyPem(text: ByteString): GoPrivateKey {
  const [block] = pemDecode(text);
  if (!block) throw new GoError('no PEM data in input');
  if (block.type === 'PRIVATE KEY') {
    try {
      return parsePkcs8PrivateKey(block.bytes);
    } catch (error) {
      throw new GoError(`decoding PEM as PKCS#8: ${(error as Error).message}`);
    }
  }
  if (!block.type.endsWith(' PRIVATE KEY'))
    throw new GoError(`no private key data in PEM block of type ${block.type}`);
  const attempt = (what: string, parse: () => GoPrivateKey): GoPrivateKey => {
    try {
      return parse();
    } catch (error) {
      throw new GoError(`parsing ${what} private key from PEM: ${(error as Error).message}`);
    }
  };
  switch (block.type.slice(0, -' PRIVATE KEY'.length)) {
    case 'RSA':
      return attempt('RSA', () => parsePkcs1PrivateKey(block.bytes));
    case 'EC':
      return attempt('EC', () => parseEcPrivateKey(block.bytes));
    case 'DSA':
      return attempt('DSA', () => parseDsaPrivateKey(block.bytes));
    default:
      throw new GoError(`invalid private key type ${block.type}`);
  }
}

/** sprig's pemBlockForKey, encoded. */
export function pemForKey(key: GoPrivateKey): ByteString {
  switch (key.kind) {
    case 'rsa':
      return pemEncode({ type: 'RSA PRIVATE KEY', bytes: marshalPkcs1PrivateKey(key.key) });
    case 'dsa':
      return pemEncode({ type: 'DSA PRIVATE KEY', bytes: marshalDsaPrivateKey(key) });
    case 'ecdsa':
      return pemEncode({ type: 'EC PRIVATE KEY', bytes: marshalEcPrivateKey(key) });
    default:
      return pemEncode({ type: 'PRIVATE KEY', bytes: marshalPkcs8PrivateKey(key) });
  }
}

/** A new key of sprig's kinds: RSA 4096, ECDSA P-256, Ed25519, DSA L2048N256. */
export function generatePrivateKey(type: string): GoPrivateKey | undefined {
  switch (type) {
    case '':
    case 'rsa':
      return { kind: 'rsa', key: generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey };
    case 'ecdsa':
      return {
        kind: 'ecdsa',
        curve: 'P-256',
        key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      };
    case 'ed25519':
      return { kind: 'ed25519', key: generateKeyPairSync('ed25519').privateKey };
    case 'dsa': {
      const { privateKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
      return dsaKeyFromPkcs8(new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })));
    }
    default:
      return undefined;
  }
}

export const genPrivateKey = defineFunction({
  name: 'genPrivateKey',
  params: ['string'],
  result: 'string',
  call: ([type]) => {
    const key = generatePrivateKey(type as string);
    if (!key) return `Unknown type ${type as string}`;
    return pemForKey(key);
  },
});
