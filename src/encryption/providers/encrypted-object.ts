/**
 * KMS v2's stored value after `k8s:enc:kms:v2:<name>:`: the protobuf `EncryptedObject`
 * (apiserver/pkg/storage/value/encrypt/envelope/kmsv2/v2/api.proto, proto3):
 *
 *   1 encryptedData           bytes               not empty
 *   2 keyID                   string              not empty, ≤ 1024 bytes
 *   3 encryptedDEKSource      bytes               not empty, ≤ 1024 bytes
 *   4 annotations             map<string, bytes>  keys are FQDNs; keys + values ≤ 32 KiB
 *   5 encryptedDEKSourceType  enum                AES_GCM_KEY = 0, HKDF_SHA256_XNONCE_AES_GCM_SEED = 1
 *
 * with `ValidateEncryptedObject`'s checks, and the DEK cache key of `generateCacheKey`. Written in field order,
 * map entries by sorted key (Go's order is unspecified), the type omitted when 0 (proto3).
 */
import { Reader, WIRE_BYTES, WIRE_VARINT, Writer } from '../../common/protobuf-wire.ts';

export const DEK_SOURCE_AES_GCM_KEY = 0;
export const DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED = 1;
export type DekSourceType = typeof DEK_SOURCE_AES_GCM_KEY | typeof DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED;

export const DEK_SOURCE_TYPE_NAMES: Record<DekSourceType, string> = {
  [DEK_SOURCE_AES_GCM_KEY]: 'AES_GCM_KEY',
  [DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED]: 'HKDF_SHA256_XNONCE_AES_GCM_SEED',
};

export const KEY_ID_MAX_SIZE = 1024;
export const ENCRYPTED_DEK_SOURCE_MAX_SIZE = 1024;
export const ANNOTATIONS_MAX_SIZE = 32 * 1024;

export interface EncryptedObject {
  encryptedData: Uint8Array;
  keyId: string;
  encryptedDekSource: Uint8Array;
  annotations: ReadonlyMap<string, Uint8Array>;
  dekSourceType: number;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();

/** Decodes (without validating): unknown fields and fields of an unexpected wire type are skipped. */
export function decodeEncryptedObject(bytes: Uint8Array): EncryptedObject {
  const reader = new Reader(bytes, 0, bytes.length, 'EncryptedObject');
  const object: {
    encryptedData: Uint8Array;
    keyId: string;
    encryptedDekSource: Uint8Array;
    annotations: Map<string, Uint8Array>;
    dekSourceType: number;
  } = {
    encryptedData: new Uint8Array(0),
    keyId: '',
    encryptedDekSource: new Uint8Array(0),
    annotations: new Map(),
    dekSourceType: 0,
  };
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    const bytesField = field.wireType === WIRE_BYTES;
    if (field.number === 1 && bytesField) object.encryptedData = reader.bytes(field, 'encryptedData');
    else if (field.number === 2 && bytesField) object.keyId = utf8(reader.bytes(field, 'keyID'), 'keyID');
    else if (field.number === 3 && bytesField) {
      object.encryptedDekSource = reader.bytes(field, 'encryptedDEKSource');
    } else if (field.number === 4 && bytesField) {
      const entry = reader.message(field, 'annotations');
      let key = '';
      let value: Uint8Array = new Uint8Array(0);
      for (let item = entry.next(); item !== undefined; item = entry.next()) {
        if (item.number === 1 && item.wireType === WIRE_BYTES)
          key = utf8(entry.bytes(item, 'key'), 'annotation key');
        else if (item.number === 2 && item.wireType === WIRE_BYTES) value = entry.bytes(item, 'value');
        else entry.skip(item);
      }
      object.annotations.set(key, value);
    } else if (field.number === 5 && field.wireType === WIRE_VARINT) {
      // An int32 enum: the low 32 bits, signed; proto3 enums are open, validation rejects unknown values.
      object.dekSourceType = Number(BigInt.asIntN(32, reader.varint(field, 'encryptedDEKSourceType')));
    } else reader.skip(field);
  }
  return object;
}

function utf8(bytes: Uint8Array, name: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new Error(`${name} is not valid UTF-8`);
  }
}

/** The encoded fields 2–5, the same for every value written with one DEK seed. */
export function encodeEncryptedObjectTail(
  keyId: string,
  encryptedDekSource: Uint8Array,
  annotations: ReadonlyMap<string, Uint8Array>,
  dekSourceType: number,
): Uint8Array {
  const writer = new Writer();
  if (keyId !== '') writer.string(2, keyId);
  if (encryptedDekSource.length > 0) writer.bytes(3, encryptedDekSource);
  for (const key of [...annotations.keys()].sort(compareStrings)) {
    const entry = new Writer();
    entry.string(1, key);
    entry.bytes(2, annotations.get(key) as Uint8Array);
    writer.message(4, entry);
  }
  if (dekSourceType !== 0) writer.int64(5, dekSourceType);
  return writer.finish();
}

export function encodeEncryptedObject(object: EncryptedObject): Uint8Array {
  const head = new Writer();
  if (object.encryptedData.length > 0) head.bytes(1, object.encryptedData);
  const tail = encodeEncryptedObjectTail(
    object.keyId,
    object.encryptedDekSource,
    object.annotations,
    object.dekSourceType,
  );
  const out = new Uint8Array(head.length + tail.length);
  out.set(head.finish(), 0);
  out.set(tail, head.length);
  return out;
}

/** Go's sort.Strings: byte order of the UTF-8 encodings. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(UTF8.encode(a), UTF8.encode(b));
}

/** `ValidateEncryptedObject`: the first problem, or undefined. */
export function validateEncryptedObject(object: EncryptedObject): string | undefined {
  if (
    object.dekSourceType !== DEK_SOURCE_AES_GCM_KEY &&
    object.dekSourceType !== DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED
  ) {
    return `unknown encryptedDEKSourceType: ${object.dekSourceType}`;
  }
  if (object.encryptedData.length === 0) return 'encrypted data is empty';
  if (object.encryptedDekSource.length === 0) {
    return 'failed to validate encrypted DEK source: encrypted DEK source is empty';
  }
  if (object.encryptedDekSource.length > ENCRYPTED_DEK_SOURCE_MAX_SIZE) {
    return `failed to validate encrypted DEK source: encrypted DEK source is ${object.encryptedDekSource.length} bytes, which exceeds the max size of ${ENCRYPTED_DEK_SOURCE_MAX_SIZE}`;
  }
  const keyIdProblem = validateKeyId(object.keyId);
  if (keyIdProblem !== undefined) return `failed to validate key id: ${keyIdProblem}`;
  const annotationsProblem = validateAnnotations(object.annotations);
  if (annotationsProblem !== undefined) return `failed to validate annotations: ${annotationsProblem}`;
  return undefined;
}

/** `ValidateKeyID`: not empty, at most 1 KiB. */
export function validateKeyId(keyId: string): string | undefined {
  const size = Buffer.byteLength(keyId);
  if (size === 0) return 'keyID is empty';
  if (size > KEY_ID_MAX_SIZE)
    return `keyID is ${size} bytes, which exceeds the max size of ${KEY_ID_MAX_SIZE}`;
  return undefined;
}

export function validateAnnotations(annotations: ReadonlyMap<string, Uint8Array>): string | undefined {
  let total = 0;
  for (const [key, value] of annotations) {
    const problem = fullyQualifiedDomainNameProblem(key);
    if (problem !== undefined) return `annotations: Invalid value: ${JSON.stringify(key)}: ${problem}`;
    total += Buffer.byteLength(key) + value.length;
  }
  if (total > ANNOTATIONS_MAX_SIZE) {
    return `total size of annotations is ${total}, which exceeds the max size of ${ANNOTATIONS_MAX_SIZE}`;
  }
  return undefined;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery `IsFullyQualifiedDomainName`: a lowercase RFC 1123 subdomain with at least two labels. */
export function fullyQualifiedDomainNameProblem(name: string): string | undefined {
  if (name === '') return 'Required value';
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(trimmed)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  const labels = trimmed.split('.');
  if (labels.length < 2) return 'should be a domain with at least two segments separated by dots';
  for (const label of labels) {
    if (label.length > 63 || !DNS1123_LABEL.test(label)) return `invalid label ${JSON.stringify(label)}`;
  }
  return undefined;
}

/**
 * `generateCacheKey`: uint32(type) ‖ u16-prefixed encryptedDEKSource ‖ u16-prefixed keyID, then, when there
 * are annotations, uint32(count) and each (sorted by key) as u16-prefixed key ‖ u16-prefixed value. Everything
 * that decides what the plugin's Decrypt returns, so decrypted seeds are shared by every value that names them.
 */
export function dekCacheKey(
  dekSourceType: number,
  encryptedDekSource: Uint8Array,
  keyId: string,
  annotations: ReadonlyMap<string, Uint8Array>,
): Buffer {
  const keyIdBytes = UTF8.encode(keyId);
  const parts: Uint8Array[] = [uint32(dekSourceType), uint16(encryptedDekSource.length), encryptedDekSource];
  parts.push(uint16(keyIdBytes.length), keyIdBytes);
  if (annotations.size > 0) {
    parts.push(uint32(annotations.size));
    for (const key of [...annotations.keys()].sort(compareStrings)) {
      const keyBytes = UTF8.encode(key);
      const value = annotations.get(key) as Uint8Array;
      parts.push(uint16(keyBytes.length), keyBytes, uint16(value.length), value);
    }
  }
  return Buffer.concat(parts);
}

function uint32(value: number): Uint8Array {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

function uint16(value: number): Uint8Array {
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(value & 0xffff, 0);
  return out;
}
