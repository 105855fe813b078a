/**
 * The KMS v2 plugin API (k8s.io/kms/apis/v2/api.proto, package `v2`, proto3) on the wire: the service's method
 * paths, the six messages written and read with src/common/protobuf-wire.ts, and the checks kube-apiserver
 * applies to what a plugin answers. Pure.
 *
 * Writing follows proto3 as Go's generated code does it: fields in number order, a field holding its zero value
 * (empty string or bytes) left out, and every map entry written as {1: key, 2: value} with both present. Map
 * entries are written in key order (Go's order is random; any order reads the same). Reading skips unknown
 * fields, takes the last occurrence of a repeated scalar field, and refuses strings that are not UTF-8, as Go's
 * proto3 unmarshaller does.
 */
import { Reader, Writer, WIRE_BYTES, type Field } from '../common/protobuf-wire.ts';
import type { KmsDecryptRequest, KmsEncryptResult, KmsStatus } from '../encryption/kms-service.ts';
import { KmsError } from './errors.ts';

export const KMS_SERVICE_NAME = 'v2.KeyManagementService';
export const KMS_METHODS = ['Status', 'Encrypt', 'Decrypt'] as const;
export type KmsMethod = (typeof KMS_METHODS)[number];

export function methodPath(method: KmsMethod): string {
  return `/${KMS_SERVICE_NAME}/${method}`;
}

/** The Status version a v2 plugin reports; kube-apiserver also accepts "v2beta1". */
export const KMS_API_VERSION = 'v2';
export const KMS_ACCEPTED_VERSIONS: readonly string[] = ['v2', 'v2beta1'];
export const KMS_HEALTHY = 'ok';
/** kmsv2 `KeyIDMaxSize` and the encryptedDEKSource limit (bytes). */
export const KMS_MAX_KEY_ID_BYTES = 1024;
export const KMS_MAX_CIPHERTEXT_BYTES = 1024;
/** kmsv2: annotation keys and values together. */
export const KMS_MAX_ANNOTATIONS_BYTES = 32 * 1024;

export interface KmsEncryptRequest {
  plaintext: Uint8Array;
  uid: string;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();

// --- writing -----------------------------------------------------------------------------------------------

function bytesField(writer: Writer, number: number, value: Uint8Array): void {
  if (value.length > 0) writer.bytes(number, value);
}

function stringField(writer: Writer, number: number, value: string): void {
  if (value !== '') writer.string(number, value);
}

function annotationsField(writer: Writer, number: number, annotations: Record<string, Uint8Array>): void {
  for (const key of Object.keys(annotations).sort()) {
    const entry = new Writer();
    entry.string(1, key);
    entry.bytes(2, annotations[key] as Uint8Array);
    writer.message(number, entry);
  }
}

export function encodeStatusRequest(): Uint8Array {
  return new Uint8Array(0);
}

export function encodeStatusResponse(status: KmsStatus): Uint8Array {
  const writer = new Writer();
  stringField(writer, 1, status.version);
  stringField(writer, 2, status.healthz);
  stringField(writer, 3, status.keyId);
  return writer.finish();
}

export function encodeEncryptRequest(request: KmsEncryptRequest): Uint8Array {
  const writer = new Writer();
  bytesField(writer, 1, request.plaintext);
  stringField(writer, 2, request.uid);
  return writer.finish();
}

export function encodeEncryptResponse(result: KmsEncryptResult): Uint8Array {
  const writer = new Writer();
  bytesField(writer, 1, result.ciphertext);
  stringField(writer, 2, result.keyId);
  annotationsField(writer, 3, result.annotations);
  return writer.finish();
}

export function encodeDecryptRequest(request: KmsDecryptRequest): Uint8Array {
  const writer = new Writer();
  bytesField(writer, 1, request.ciphertext);
  stringField(writer, 2, request.uid);
  stringField(writer, 3, request.keyId);
  annotationsField(writer, 4, request.annotations);
  return writer.finish();
}

export function encodeDecryptResponse(plaintext: Uint8Array): Uint8Array {
  const writer = new Writer();
  bytesField(writer, 1, plaintext);
  return writer.finish();
}

// --- reading -----------------------------------------------------------------------------------------------

function readerFor(bytes: Uint8Array, message: string): Reader {
  return new Reader(bytes, 0, bytes.length, `v2.${message}`);
}

/** A copy, so that a message never holds a view into a transport buffer. */
function readBytes(reader: Reader, field: Field, name: string): Uint8Array {
  return new Uint8Array(reader.bytes(field, name));
}

function readString(reader: Reader, field: Field, name: string): string {
  const bytes = reader.bytes(field, name);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw reader.error(`field ${name} (${field.number}) is not valid UTF-8`);
  }
}

/** One `map<string, bytes>` entry: {1: key, 2: value}, either may be absent (then empty). */
function readAnnotation(reader: Reader, field: Field, name: string, into: Map<string, Uint8Array>): void {
  const entry = reader.message(field, name);
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  for (let inner = entry.next(); inner; inner = entry.next()) {
    if (inner.number === 1 && inner.wireType === WIRE_BYTES) key = readString(entry, inner, `${name}.key`);
    else if (inner.number === 2 && inner.wireType === WIRE_BYTES)
      value = readBytes(entry, inner, `${name}.value`);
    else entry.skip(inner);
  }
  into.set(key, value);
}

/** Reads every field: `handle` returns false for a field it does not know (which is skipped). */
function readMessage(reader: Reader, handle: (field: Field) => boolean): void {
  for (let field = reader.next(); field; field = reader.next()) {
    if (!handle(field)) reader.skip(field);
  }
}

function annotationsRecord(map: Map<string, Uint8Array>): Record<string, Uint8Array> {
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(map);
}

export function decodeStatusRequest(bytes: Uint8Array): void {
  readMessage(readerFor(bytes, 'StatusRequest'), () => false);
}

export function decodeStatusResponse(bytes: Uint8Array): KmsStatus {
  const reader = readerFor(bytes, 'StatusResponse');
  const status: KmsStatus = { version: '', healthz: '', keyId: '' };
  readMessage(reader, (field) => {
    if (field.wireType !== WIRE_BYTES) return false;
    if (field.number === 1) status.version = readString(reader, field, 'version');
    else if (field.number === 2) status.healthz = readString(reader, field, 'healthz');
    else if (field.number === 3) status.keyId = readString(reader, field, 'key_id');
    else return false;
    return true;
  });
  return status;
}

export function decodeEncryptRequest(bytes: Uint8Array): KmsEncryptRequest {
  const reader = readerFor(bytes, 'EncryptRequest');
  const request: KmsEncryptRequest = { plaintext: new Uint8Array(0), uid: '' };
  readMessage(reader, (field) => {
    if (field.wireType !== WIRE_BYTES) return false;
    if (field.number === 1) request.plaintext = readBytes(reader, field, 'plaintext');
    else if (field.number === 2) request.uid = readString(reader, field, 'uid');
    else return false;
    return true;
  });
  return request;
}

export function decodeEncryptResponse(bytes: Uint8Array): KmsEncryptResult {
  const reader = readerFor(bytes, 'EncryptResponse');
  let ciphertext: Uint8Array = new Uint8Array(0);
  let keyId = '';
  const annotations = new Map<string, Uint8Array>();
  readMessage(reader, (field) => {
    if (field.wireType !== WIRE_BYTES) return false;
    if (field.number === 1) ciphertext = readBytes(reader, field, 'ciphertext');
    else if (field.number === 2) keyId = readString(reader, field, 'key_id');
    else if (field.number === 3) readAnnotation(reader, field, 'annotations', annotations);
    else return false;
    return true;
  });
  return { ciphertext, keyId, annotations: annotationsRecord(annotations) };
}

export function decodeDecryptRequest(bytes: Uint8Array): KmsDecryptRequest {
  const reader = readerFor(bytes, 'DecryptRequest');
  let ciphertext: Uint8Array = new Uint8Array(0);
  let uid = '';
  let keyId = '';
  const annotations = new Map<string, Uint8Array>();
  readMessage(reader, (field) => {
    if (field.wireType !== WIRE_BYTES) return false;
    if (field.number === 1) ciphertext = readBytes(reader, field, 'ciphertext');
    else if (field.number === 2) uid = readString(reader, field, 'uid');
    else if (field.number === 3) keyId = readString(reader, field, 'key_id');
    else if (field.number === 4) readAnnotation(reader, field, 'annotations', annotations);
    else return false;
    return true;
  });
  return { ciphertext, uid, keyId, annotations: annotationsRecord(annotations) };
}

export function decodeDecryptResponse(bytes: Uint8Array): Uint8Array {
  const reader = readerFor(bytes, 'DecryptResponse');
  let plaintext: Uint8Array = new Uint8Array(0);
  readMessage(reader, (field) => {
    if (field.number !== 1 || field.wireType !== WIRE_BYTES) return false;
    plaintext = readBytes(reader, field, 'plaintext');
    return true;
  });
  return plaintext;
}

// --- what kube-apiserver accepts -----------------------------------------------------------------------------

/** Makes a text fit one short log or error line. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The Status checks of kube-apiserver's health probe (`kmsv2PluginProbe`): healthz exactly "ok", version "v2"
 * (or "v2beta1"), a key id of 1 to 1024 bytes. Returns the status, or throws ERR_KMS_UNHEALTHY naming `where`.
 */
export function checkKmsStatus(status: KmsStatus, where: string): KmsStatus {
  const unhealthy = (why: string): KmsError =>
    new KmsError('ERR_KMS_UNHEALTHY', `KMS plugin at ${where} ${why}`);
  if (status.healthz !== KMS_HEALTHY) {
    throw unhealthy(`is unhealthy: ${status.healthz === '' ? 'empty healthz' : oneLine(status.healthz)}`);
  }
  if (!KMS_ACCEPTED_VERSIONS.includes(status.version)) {
    throw unhealthy(`reports API version "${oneLine(status.version, 40)}", expected "${KMS_API_VERSION}"`);
  }
  const problem = keyIdProblem(status.keyId);
  if (problem) throw unhealthy(`reports ${problem}`);
  return status;
}

/** Why a key id would be refused by kube-apiserver, or undefined. */
export function keyIdProblem(keyId: string): string | undefined {
  if (keyId === '') return 'an empty key id';
  const size = UTF8.encode(keyId).length;
  if (size > KMS_MAX_KEY_ID_BYTES) return `a key id of ${size} bytes (at most ${KMS_MAX_KEY_ID_BYTES})`;
  return undefined;
}

/** RFC 1123 subdomain, as kube's `validateAnnotations` requires of every annotation key. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why an EncryptResponse would be refused by kube-apiserver's envelope code, or undefined. */
export function encryptResultProblem(result: KmsEncryptResult): string | undefined {
  if (result.ciphertext.length === 0) return 'an empty ciphertext';
  if (result.ciphertext.length > KMS_MAX_CIPHERTEXT_BYTES) {
    return `a ciphertext of ${result.ciphertext.length} bytes (at most ${KMS_MAX_CIPHERTEXT_BYTES})`;
  }
  const keyId = keyIdProblem(result.keyId);
  if (keyId) return keyId;
  let size = 0;
  for (const [key, value] of Object.entries(result.annotations)) {
    if (key.length > 253 || !DNS_SUBDOMAIN.test(key)) return `an annotation key that is not a DNS subdomain`;
    size += UTF8.encode(key).length + value.length;
  }
  if (size > KMS_MAX_ANNOTATIONS_BYTES) {
    return `annotations of ${size} bytes (at most ${KMS_MAX_ANNOTATIONS_BYTES})`;
  }
  return undefined;
}
