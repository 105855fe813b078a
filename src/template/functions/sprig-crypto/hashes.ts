/**
 * sprig's digests, password hashes and symmetric helpers: sha1sum, sha256sum, sha512sum (sprig 3.3), adler32sum,
 * bcrypt, htpasswd, derivePassword (the Master Password algorithm), encryptAES/decryptAES, randBytes.
 *
 * Every input is a Go string, which here is a byte string: hashes see exactly the bytes Go hashes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import bcryptjs from 'bcryptjs';
import { decodeStdBase64 } from '../../../manifests/base64.ts';
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import {
  byteStringFromBytes,
  isValidUtf8,
  textFromByteString,
  type ByteString,
} from '../../../common/go-utf8.ts';
import type { GoInt } from '../../values.ts';

const bytesOf = (text: ByteString): Buffer => Buffer.from(text, 'latin1');

const digest = (algorithm: string) => (args: unknown[]) =>
  createHash(algorithm)
    .update(bytesOf(args[0] as ByteString))
    .digest('hex');

export const sha1sum = defineFunction({
  name: 'sha1sum',
  params: ['string'],
  result: 'string',
  call: digest('sha1'),
});
export const sha256sum = defineFunction({
  name: 'sha256sum',
  params: ['string'],
  result: 'string',
  call: digest('sha256'),
});
/** Added in sprig 3.3.0 (Sealed Secrets' and External Secrets' sprig have it; sprig 3.2.3 does not). */
export const sha512sum = defineFunction({
  name: 'sha512sum',
  params: ['string'],
  result: 'string',
  call: digest('sha512'),
});

/** hash/adler32, printed with %d. */
export const adler32sum = defineFunction({
  name: 'adler32sum',
  params: ['string'],
  result: 'string',
  call: ([input], context) => {
    const text = input as ByteString;
    context.charge(Math.floor(text.length / 1024));
    let a = 1;
    let b = 0;
    for (let i = 0; i < text.length; i++) {
      a = (a + text.charCodeAt(i)) % 65521;
      b = (b + a) % 65521;
    }
    return String(b * 65536 + a);
  },
});

// -- bcrypt -------------------------------------------------------------------------------------------------

/** golang.org/x/crypto/bcrypt's DefaultCost. */
const BCRYPT_COST = 10;

/**
 * golang.org/x/crypto/bcrypt's GenerateFromPassword with the default cost: a "$2a$" hash. Since x/crypto 0.24
 * (what Sealed Secrets and External Secrets build with) passwords over 72 bytes are refused rather than cut.
 * bcryptjs takes text and hashes its UTF-8 bytes, which are the Go string's bytes when they are valid UTF-8.
 */
function bcryptHash(password: ByteString): string {
  if (password.length > 72)
    return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  if (!isValidUtf8(password))
    return 'failed to encrypt string with bcrypt: password is not valid UTF-8 (Cloak hashes text only)';
  const salt = bcryptjs.genSaltSync(BCRYPT_COST).replace(/^\$2b\$/, '$2a$');
  return bcryptjs.hashSync(textFromByteString(password), salt);
}

export const bcrypt = defineFunction({
  name: 'bcrypt',
  params: ['string'],
  result: 'string',
  call: ([input]) => bcryptHash(input as ByteString),
});

/** sprig 3.2/3.3's htpasswd(username, password): an Apache htpasswd line with a bcrypt hash. */
export const htpasswd = defineFunction({
  name: 'htpasswd',
  params: ['string', 'string'],
  result: 'string',
  call: ([username, password]) => {
    const user = username as ByteString;
    if (user.includes(':')) return `invalid username: ${user}`;
    return `${user}:${bcryptHash(password as ByteString)}`;
  },
});

/**
 * The htpasswd of sprig's development line that External Secrets vendors: a third argument chooses the hash,
 * "sha" for `{SHA}` + base64(SHA-1), anything else bcrypt. Go declares it as sprig.HashAlgorithm (a string
 * type); Cloak's values have no named string types, so it is declared as string here.
 */
export const htpasswdWithAlgorithm = defineFunction({
  name: 'htpasswd',
  params: ['string', 'string', 'string'],
  result: 'string',
  call: ([username, password, algorithm]) => {
    const user = username as ByteString;
    if (user.includes(':')) return `invalid username: ${user}`;
    if (algorithm === 'sha') {
      return `${user}:{SHA}${createHash('sha1')
        .update(bytesOf(password as ByteString))
        .digest('base64')}`;
    }
    return `${user}:${bcryptHash(password as ByteString)}`;
  },
});

// -- derivePassword (Master Password, as sprig implements it) ------------------------------------------------

const MASTER_PASSWORD_SEED = 'com.lyndir.masterpassword';

/** The password templates per type, and the characters each template letter stands for. */
const PASSWORD_TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv',
    'CvcvCvcvnoCvcv',
    'CvcvCvcvCvcvno',
    'CvccnoCvcvCvcv',
    'CvccCvcvnoCvcv',
    'CvccCvcvCvcvno',
    'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv',
    'CvcvCvccCvcvno',
    'CvcvnoCvcvCvcc',
    'CvcvCvcvnoCvcc',
    'CvcvCvcvCvccno',
    'CvccnoCvccCvcv',
    'CvccCvccnoCvcv',
    'CvccCvccCvcvno',
    'CvcvnoCvccCvcc',
    'CvcvCvccnoCvcc',
    'CvcvCvccCvccno',
    'CvccnoCvcvCvcc',
    'CvccCvcvnoCvcc',
    'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};

const TEMPLATE_CHARACTERS: Readonly<Record<string, string>> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

function uint32BigEndian(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

export const derivePassword = defineFunction({
  name: 'derivePassword',
  params: ['uint32', 'string', 'string', 'string', 'string'],
  result: 'string',
  call: ([counter, passwordType, password, user, site]) => {
    const templates = Object.hasOwn(PASSWORD_TEMPLATES, passwordType as string)
      ? PASSWORD_TEMPLATES[passwordType as string]
      : undefined;
    if (!templates) return `cannot find password template ${passwordType as string}`;
    const seed = Buffer.from(MASTER_PASSWORD_SEED, 'latin1');
    const userBytes = bytesOf(user as ByteString);
    const salt = Buffer.concat([seed, uint32BigEndian(userBytes.length), userBytes]);
    // scrypt N=32768, r=8, p=2 needs 32 MiB; node's default cap is exactly that, so allow a little more.
    const key = scryptSync(bytesOf(password as ByteString), salt, 64, {
      N: 32768,
      r: 8,
      p: 2,
      maxmem: 64 * 1024 * 1024,
    });
    const siteBytes = bytesOf(site as ByteString);
    const message = Buffer.concat([
      seed,
      uint32BigEndian(siteBytes.length),
      siteBytes,
      uint32BigEndian(Number((counter as GoInt).value)),
    ]);
    const mac = createHmac('sha256', key).update(message).digest();
    const template = templates[mac[0]! % templates.length]!;
    let out = '';
    for (let i = 0; i < template.length; i++) {
      const characters = TEMPLATE_CHARACTERS[template[i]!]!;
      out += characters[mac[i + 1]! % characters.length];
    }
    return out;
  },
});

// -- encryptAES / decryptAES -----------------------------------------------------------------------------------

/** sprig's key: the password's bytes in a zeroed 32-byte buffer (cut at 32), so always AES-256. */
function aesKey(password: ByteString): Buffer {
  const key = Buffer.alloc(32);
  bytesOf(password).copy(key, 0, 0, 32);
  return key;
}

/** AES-256-CBC with PKCS#7 padding and a random IV in front, base64 (standard, padded). */
export const encryptAES = defineFunction({
  name: 'encryptAES',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([password, plaintext]) => {
    const text = plaintext as ByteString;
    if (text === '') return '';
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', aesKey(password as ByteString), iv);
    return Buffer.concat([iv, cipher.update(bytesOf(text)), cipher.final()]).toString('base64');
  },
});

/**
 * The reverse, with sprig's lack of checks: the last byte says how much padding to drop and is not verified,
 * so a wrong password gives garbage rather than an error. Inputs Go's code cannot slice make it panic; the
 * template reports those runtime errors, and so does Cloak, word for word.
 */
export const decryptAES = defineFunction({
  name: 'decryptAES',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([password, encoded]) => {
    const text = encoded as ByteString;
    if (text === '') return '';
    let crypt: Buffer;
    try {
      crypt = decodeStdBase64(text);
    } catch (error) {
      throw new GoFuncError((error as Error).message);
    }
    if (crypt.length < 16)
      throw new GoFuncError(`runtime error: slice bounds out of range [:16] with capacity ${crypt.length}`);
    const body = crypt.subarray(16);
    if (body.length % 16 !== 0) throw new GoFuncError('crypto/cipher: input not full blocks');
    if (body.length === 0) throw new GoFuncError('runtime error: index out of range [-1]');
    const decipher = createDecipheriv('aes-256-cbc', aesKey(password as ByteString), crypt.subarray(0, 16));
    decipher.setAutoPadding(false);
    const decrypted = Buffer.concat([decipher.update(body), decipher.final()]);
    const end = decrypted.length - decrypted[decrypted.length - 1]!;
    if (end < 0) throw new GoFuncError(`runtime error: slice bounds out of range [:${end}]`);
    return byteStringFromBytes(decrypted.subarray(0, end));
  },
});

/** `count` random bytes, base64. */
export const randBytes = defineFunction({
  name: 'randBytes',
  params: ['int'],
  result: 'string',
  returnsError: true,
  call: ([count], context) => {
    const n = (count as GoInt).value;
    if (n < 0n) throw new GoFuncError('runtime error: makeslice: len out of range');
    if (n > BigInt(context.maxOutputBytes))
      throw new GoFuncError(
        `randBytes: ${n} bytes exceed the output limit of ${context.maxOutputBytes} bytes`,
      );
    context.charge(Number(n) >> 10);
    return randomBytes(Number(n)).toString('base64');
  },
});
