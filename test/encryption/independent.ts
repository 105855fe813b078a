/**
 * kube-apiserver's stored value formats written from their documented byte layouts (shared/reference
 * apiserver-internals.md §1.2 and §1.6), with no code from src/encryption: its own prefix parsing, its own
 * protobuf, node's PKCS#7 handling for CBC, and NaCl secretbox assembled from the XSalsa20 stream and Poly1305
 * (rather than the secretbox construction the provider uses). Tests check the providers against it both ways.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { xsalsa20 } from '@noble/ciphers/salsa.js';

export interface IndependentKeys {
  aescbc?: Record<string, Buffer>;
  aesgcm?: Record<string, Buffer>;
  secretbox?: Record<string, Buffer>;
  /** The KMS plugin's Decrypt: the seed or DEK from the encrypted DEK source. */
  kmsUnwrap?: (ciphertext: Buffer, keyId: string) => Buffer;
}

export interface Opened {
  provider: string;
  keyName: string;
  plain: Buffer;
  kms?: { keyId: string; dekSourceType: number; annotations: Map<string, Buffer> };
}

const PREFIX = /^k8s:enc:(aescbc|aesgcm|secretbox):v1:([^:]*):/;
const KMS_PREFIX = /^k8s:enc:kms:(v1|v2):([^:]*):/;

export function independentDecrypt(stored: Uint8Array, etcdKey: string, keys: IndependentKeys): Opened {
  const data = Buffer.from(stored);
  const head = data.subarray(0, 128).toString('latin1');
  const local = PREFIX.exec(head);
  if (local) {
    const [prefix, provider, keyName] = local as unknown as [string, string, string];
    const body = data.subarray(prefix.length);
    const key = keys[provider as 'aescbc' | 'aesgcm' | 'secretbox']?.[keyName];
    if (!key) throw new Error(`no ${provider} key ${keyName}`);
    if (provider === 'aescbc') return { provider, keyName, plain: cbcDecrypt(key, body) };
    if (provider === 'aesgcm') return { provider, keyName, plain: gcmDecrypt(key, body, etcdKey) };
    return { provider, keyName, plain: secretboxOpen(key, body) };
  }
  const kms = KMS_PREFIX.exec(head);
  if (kms && kms[1] === 'v2') {
    const [prefix, , name] = kms as unknown as [string, string, string];
    const object = parseEncryptedObject(data.subarray(prefix.length));
    const unwrap = keys.kmsUnwrap;
    if (!unwrap) throw new Error('no KMS plugin');
    const dekSource = unwrap(object.encryptedDekSource, object.keyId);
    let plain: Buffer;
    if (object.dekSourceType === 1) {
      const info = object.encryptedData.subarray(0, 32);
      // HKDF-Expand, one 32-byte block: HMAC-SHA256(PRK = seed, info ‖ 0x01), no Extract.
      const dek = createHmac('sha256', dekSource)
        .update(Buffer.concat([info, Buffer.of(1)]))
        .digest();
      plain = gcmDecrypt(dek, object.encryptedData.subarray(32), etcdKey);
    } else {
      plain = gcmDecrypt(dekSource, object.encryptedData, etcdKey);
    }
    return {
      provider: 'kms',
      keyName: name,
      plain,
      kms: { keyId: object.keyId, dekSourceType: object.dekSourceType, annotations: object.annotations },
    };
  }
  throw new Error('not a value this decryptor knows');
}

function cbcDecrypt(key: Buffer, body: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, key, body.subarray(0, 16));
  return Buffer.concat([decipher.update(body.subarray(16)), decipher.final()]);
}

function gcmDecrypt(key: Buffer, body: Buffer, etcdKey: string): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-gcm`, key, body.subarray(0, 12)) as ReturnType<
    typeof createDecipheriv
  > & { setAAD(aad: Buffer): void; setAuthTag(tag: Buffer): void };
  decipher.setAAD(Buffer.from(etcdKey));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
}

/** NaCl secretbox: keystream block 0 gives the Poly1305 key; stored as nonce ‖ tag ‖ ciphertext. */
function secretboxOpen(key: Buffer, body: Buffer): Buffer {
  const nonce = body.subarray(0, 24);
  const tag = body.subarray(24, 40);
  const ciphertext = body.subarray(40);
  const polyKey = xsalsa20(key, nonce, new Uint8Array(32));
  if (!Buffer.from(poly1305(ciphertext, polyKey)).equals(tag)) throw new Error('secretbox: bad tag');
  const stream = xsalsa20(key, nonce, Buffer.concat([Buffer.alloc(32), ciphertext]));
  return Buffer.from(stream.subarray(32));
}

function secretboxSeal(key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const stream = Buffer.from(xsalsa20(key, nonce, Buffer.concat([Buffer.alloc(32), plain])));
  const ciphertext = stream.subarray(32);
  const tag = poly1305(ciphertext, stream.subarray(0, 32));
  return Buffer.concat([tag, ciphertext]);
}

function gcmEncrypt(key: Buffer, nonce: Buffer, plain: Buffer, etcdKey: string): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-gcm`, key, nonce) as ReturnType<
    typeof createCipheriv
  > & {
    setAAD(aad: Buffer): void;
    getAuthTag(): Buffer;
  };
  cipher.setAAD(Buffer.from(etcdKey));
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function cbcEncrypt(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

/** Values in kube's formats, made without the providers. */
export const independentEncrypt = {
  aescbc(keyName: string, key: Buffer, plain: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`k8s:enc:aescbc:v1:${keyName}:`), cbcEncrypt(key, plain)]);
  },
  aesgcm(keyName: string, key: Buffer, plain: Buffer, etcdKey: string): Buffer {
    return Buffer.concat([
      Buffer.from(`k8s:enc:aesgcm:v1:${keyName}:`),
      gcmEncrypt(key, randomBytes(12), plain, etcdKey),
    ]);
  },
  secretbox(keyName: string, key: Buffer, plain: Buffer): Buffer {
    const nonce = randomBytes(24);
    return Buffer.concat([
      Buffer.from(`k8s:enc:secretbox:v1:${keyName}:`),
      nonce,
      secretboxSeal(key, nonce, plain),
    ]);
  },
  /** HKDF_SHA256_XNONCE_AES_GCM_SEED: encryptedData = info ‖ nonce ‖ ct ‖ tag. */
  kmsV2Seed(
    provider: string,
    seed: Buffer,
    encryptedSeed: Buffer,
    keyId: string,
    annotations: Record<string, Buffer>,
    plain: Buffer,
    etcdKey: string,
  ): Buffer {
    const info = randomBytes(32);
    const dek = createHmac('sha256', seed).update(info).update(Buffer.of(1)).digest();
    const encryptedData = Buffer.concat([info, gcmEncrypt(dek, randomBytes(12), plain, etcdKey)]);
    const object = encodeEncryptedObject(encryptedData, keyId, encryptedSeed, annotations, 1);
    return Buffer.concat([Buffer.from(`k8s:enc:kms:v2:${provider}:`), object]);
  },
  /** AES_GCM_KEY (before 1.29): the DEK itself; nonce = 4 random bytes ‖ 8-byte little-endian counter. */
  kmsV2DekKey(
    provider: string,
    dek: Buffer,
    encryptedDek: Buffer,
    keyId: string,
    plain: Buffer,
    etcdKey: string,
    counter: bigint,
  ): Buffer {
    const nonce = Buffer.alloc(12);
    randomBytes(4).copy(nonce, 0);
    nonce.writeBigUInt64LE(counter, 4);
    const object = encodeEncryptedObject(gcmEncrypt(dek, nonce, plain, etcdKey), keyId, encryptedDek, {}, 0);
    return Buffer.concat([Buffer.from(`k8s:enc:kms:v2:${provider}:`), object]);
  },
  /** KMS v1: uint16 BE len(encDEK) ‖ encDEK ‖ AES-GCM data (1.25+) or AES-CBC data (1.24). */
  kmsV1(
    provider: string,
    dek: Buffer,
    encryptedDek: Buffer,
    plain: Buffer,
    etcdKey: string,
    mode: 'gcm' | 'cbc',
  ): Buffer {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(encryptedDek.length);
    const data = mode === 'gcm' ? gcmEncrypt(dek, randomBytes(12), plain, etcdKey) : cbcEncrypt(dek, plain);
    return Buffer.concat([Buffer.from(`k8s:enc:kms:v1:${provider}:`), length, encryptedDek, data]);
  },
};

// A minimal protobuf for EncryptedObject {1 bytes, 2 string, 3 bytes, 4 map<string,bytes>, 5 enum}.

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function lengthDelimited(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), varint(payload.length), payload]);
}

export function encodeEncryptedObject(
  encryptedData: Buffer,
  keyId: string,
  encryptedDekSource: Buffer,
  annotations: Record<string, Buffer>,
  dekSourceType: number,
): Buffer {
  const parts = [
    lengthDelimited(0x0a, encryptedData),
    lengthDelimited(0x12, Buffer.from(keyId)),
    lengthDelimited(0x1a, encryptedDekSource),
  ];
  for (const [key, value] of Object.entries(annotations)) {
    parts.push(
      lengthDelimited(
        0x22,
        Buffer.concat([lengthDelimited(0x0a, Buffer.from(key)), lengthDelimited(0x12, value)]),
      ),
    );
  }
  if (dekSourceType !== 0) parts.push(Buffer.of(0x28), varint(dekSourceType));
  return Buffer.concat(parts);
}

interface ParsedObject {
  encryptedData: Buffer;
  keyId: string;
  encryptedDekSource: Buffer;
  annotations: Map<string, Buffer>;
  dekSourceType: number;
}

export function parseEncryptedObject(data: Buffer): ParsedObject {
  const object: ParsedObject = {
    encryptedData: Buffer.alloc(0),
    keyId: '',
    encryptedDekSource: Buffer.alloc(0),
    annotations: new Map(),
    dekSourceType: 0,
  };
  for (const [field, value] of fields(data)) {
    if (field === 1) object.encryptedData = value as Buffer;
    else if (field === 2) object.keyId = (value as Buffer).toString('utf8');
    else if (field === 3) object.encryptedDekSource = value as Buffer;
    else if (field === 4) {
      const entry = new Map(fields(value as Buffer));
      object.annotations.set(
        ((entry.get(1) as Buffer | undefined) ?? Buffer.alloc(0)).toString(),
        (entry.get(2) as Buffer | undefined) ?? Buffer.alloc(0),
      );
    } else if (field === 5) object.dekSourceType = value as number;
  }
  return object;
}

/** [field number, bytes or varint value] of one message (wire types 0 and 2 only). */
export function fields(data: Buffer): [number, Buffer | number][] {
  const out: [number, Buffer | number][] = [];
  let at = 0;
  const readVarint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = data[at++];
      if (byte === undefined) throw new Error('truncated varint');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < data.length) {
    const tag = readVarint();
    const wireType = tag & 7;
    const field = Math.floor(tag / 8);
    if (wireType === 0) out.push([field, readVarint()]);
    else if (wireType === 2) {
      const length = readVarint();
      out.push([field, data.subarray(at, at + length)]);
      at += length;
    } else throw new Error(`unexpected wire type ${wireType}`);
  }
  return out;
}
