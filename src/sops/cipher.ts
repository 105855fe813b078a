/**
 * One encrypted SOPS value: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`, AES-256-GCM under the
 * 32-byte data key with a 32-byte IV, the key path as additional data, and the scalar's type recorded so it
 * comes back typed. Pure, apart from fresh random IVs.
 */
import { isUtf8 } from 'node:buffer';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import { formatFloatF, isInt64, parseGoBool, parseGoFloat, parseGoInt } from './go-format.ts';
import { SopsTime, type SopsComment, type SopsScalar } from './tree.ts';

const IV_BYTES = 32;
const TAG_BYTES = 16;
const ENCRYPTED = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export type Plaintext = Exclude<SopsScalar, null> | SopsComment;

export class ValueError extends CloakError {}

/** The bytes sops encrypts (and hashes into the MAC) for a value. */
export function valueBytes(value: Plaintext): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.from(valueText(value), 'utf8');
}

function valueText(value: Plaintext): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatFloatF(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof SopsTime) return value.text;
  return value.text;
}

function typeName(value: Plaintext): string {
  if (typeof value === 'string' || value instanceof Uint8Array) return 'str';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof SopsTime) return 'time';
  return 'comment';
}

function isEmpty(value: Plaintext): boolean {
  if (value instanceof Uint8Array) return value.length === 0;
  return value === '' || (typeof value === 'object' && !(value instanceof SopsTime) && value.text === '');
}

/**
 * Remembers the IV of every value decrypted, keyed by path and plaintext, so that re-encrypting an unchanged
 * value (after `edit` or `set`) yields the same ciphertext and the file's diff shows only what changed.
 */
export class IvStash {
  readonly #ivs = new Map<string, Buffer>();

  remember(value: Plaintext, additionalData: string, iv: Buffer): void {
    this.#ivs.set(stashKey(value, additionalData), iv);
  }

  recall(value: Plaintext, additionalData: string): Buffer | undefined {
    return this.#ivs.get(stashKey(value, additionalData));
  }
}

function stashKey(value: Plaintext, additionalData: string): string {
  return `${typeName(value)}\u0000${additionalData}\u0000${valueText(value)}`;
}

/**
 * The data key as a key object: handing node:crypto a raw Buffer costs a key import (and two internal
 * exceptions) per value, most of the time of a large file.
 */
export type DataKey = KeyObject | Uint8Array;

export function dataKeyObject(key: Uint8Array): KeyObject {
  return createSecretKey(key);
}

let ivPool = Buffer.alloc(0);
let ivOffset = 0;

/** A fresh random IV, cut from a pool filled in bulk (each pool buffer is used once and never refilled). */
function randomIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 512);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

export function encryptValue(
  value: Plaintext,
  key: DataKey,
  additionalData: string,
  stash?: IvStash,
): string {
  if (isEmpty(value)) return '';
  if (typeof value === 'bigint' && !isInt64(value)) {
    throw new ValueError(
      'ERR_SOPS_VALUE',
      `${describePath(additionalData)}: the integer is outside the 64-bit range sops supports; quote it to keep it as a string`,
    );
  }
  const iv = stash?.recall(value, additionalData) ?? randomIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(valueBytes(value)), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${typeName(value)}]`;
}

export function isEncryptedValue(value: unknown): value is string {
  return typeof value === 'string' && ENCRYPTED.test(value);
}

interface Parsed {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const WELL_FORMED =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/]*={0,2}),iv:([A-Za-z0-9+/]+={0,2}),tag:([A-Za-z0-9+/]+={0,2}),type:([a-z0-9]+)\]$/;

function parse(text: string, path: string): Parsed {
  const quick = WELL_FORMED.exec(text);
  if (quick && quick[1]!.length % 4 === 0 && quick[2]!.length % 4 === 0 && quick[3]!.length % 4 === 0) {
    return {
      data: Buffer.from(quick[1]!, 'base64'),
      iv: Buffer.from(quick[2]!, 'base64'),
      tag: Buffer.from(quick[3]!, 'base64'),
      type: quick[4]!,
    };
  }
  // Anything else is checked piece by piece, for a message that says what is wrong.
  const match = ENCRYPTED.exec(text);
  if (!match)
    throw new ValueError(
      'ERR_SOPS_VALUE',
      `${describePath(path)}: the value is not in sops' ENC[AES256_GCM,…] format`,
    );
  const [, data = '', iv = '', tag = '', type = ''] = match;
  return {
    data: base64(data, path, 'data'),
    iv: base64(iv, path, 'iv'),
    tag: base64(tag, path, 'tag'),
    type,
  };
}

function base64(text: string, path: string, field: string): Buffer {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ValueError(
      'ERR_SOPS_VALUE',
      `${describePath(path)}: malformed ENC[…] value: ${field} is not standard base64`,
    );
  }
  return Buffer.from(text, 'base64');
}

/** "key path a:b:" → "a.b", for messages. */
export function describePath(additionalData: string): string {
  const path = additionalData.replace(/:$/, '');
  return path === '' ? 'the document' : path.split(':').join('.');
}

/**
 * Decrypts an ENC[…] value under `additionalData`. An empty string is an empty string (sops never encrypts
 * those). Wrong key, wrong path or tampering all fail GCM authentication.
 */
export function decryptValue(text: string, key: DataKey, additionalData: string, stash?: IvStash): Plaintext {
  if (text === '') return '';
  const { data, iv, tag, type } = parse(text, additionalData);
  if (tag.length !== TAG_BYTES || iv.length === 0) {
    throw new ValueError(
      'ERR_SOPS_VALUE',
      `${describePath(additionalData)}: malformed ENC[…] value: bad iv or tag length`,
    );
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(additionalData, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new ValueError(
      'ERR_SOPS_DECRYPT',
      `${describePath(additionalData)}: could not decrypt the value (wrong data key, or the value or its key path was changed)`,
    );
  }
  // A binary file's bytes need not be UTF-8 text; they come back as they went in.
  const value =
    (type === 'str' || type === 'bytes') && !isUtf8(plain)
      ? new Uint8Array(plain)
      : typed(plain.toString('utf8'), type, additionalData);
  stash?.remember(value, additionalData, iv);
  return value;
}

function typed(text: string, type: string, path: string): Plaintext {
  const bad = (): never => {
    throw new ValueError(
      'ERR_SOPS_VALUE',
      `${describePath(path)}: the decrypted value is not a valid ${type}`,
    );
  };
  switch (type) {
    case 'str':
    case 'bytes':
      return text;
    case 'int':
    case 'int64':
      return parseGoInt(text) ?? bad();
    case 'float':
      return parseGoFloat(text) ?? bad();
    case 'bool':
      return parseGoBool(text) ?? bad();
    case 'time':
      return new SopsTime(text);
    case 'comment':
      return { kind: 'comment', text };
    default:
      throw new ValueError('ERR_SOPS_VALUE', `${describePath(path)}: unknown value type "${type}"`);
  }
}
