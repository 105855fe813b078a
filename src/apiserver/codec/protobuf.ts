/**
 * Kubernetes' protobuf envelope: the magic `k8s\0` followed by a proto2 `runtime.Unknown` {1: typeMeta
 * {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType} whose `raw` is the versioned message
 * (`k8s.io.api.core.v1.Secret`, `k8s.io.api.apps.v1.Deployment`, …). kube-apiserver writes it to etcd for
 * built-in kinds, and clients built on client-go (kubectl's typed `create` subcommands among them) send request
 * bodies in it (`Content-Type: application/vnd.kubernetes.protobuf`). Pure.
 *
 * Three uses here:
 * - storage: {@link encodeStorageObject} / {@link decodeStorageObject} for the kinds kept in this envelope
 *   ({@link PROTOBUF_KINDS}), byte for byte as kube-apiserver writes them (Unknown's fields 3 and 4 as empty
 *   strings);
 * - requests: {@link decodeProtobufRequest} turns a body of any kind with a descriptor into the JSON object the
 *   same object has in JSON, as kube-apiserver's JSON encoder would write it;
 * - responses: {@link encodeMetaObject} writes PartialObjectMetadata(List) and Status for clients that asked for
 *   metadata in protobuf (client-go's metadata client), {@link encodeWatchEventFrame} their watch frames.
 *
 * The messages themselves are walked by `message.ts` from the tables in `descriptors/`.
 */
import type { KindDescriptor } from './descriptors/index.ts';
import { allKinds, kindDescriptor } from './descriptors/index.ts';
import { resolve } from './descriptors/types.ts';
import { CodecError } from './errors.ts';
import type { JsonObject } from './message.ts';
import { decodeMessage, encodeMessage, isObject, messageJson } from './message.ts';
import { Reader, Writer } from '../../common/protobuf-wire.ts';

export { CodecError } from './errors.ts';

/** The kinds kube-apiserver stores in this envelope here, all with apiVersion {@link PROTOBUF_API_VERSION}. */
export const PROTOBUF_KINDS: ReadonlySet<string> = new Set(['Secret', 'ConfigMap']);
export const PROTOBUF_API_VERSION = 'v1';

/** The `apiVersion/kind`s (`apps/v1/Deployment`, `v1/Secret`) whose protobuf bodies this codec reads and writes. */
export const PROTOBUF_REQUEST_KINDS: ReadonlySet<string> = new Set(
  allKinds().map((kind) => `${kind.apiVersion}/${kind.kind}`),
);

/** The media type of the envelope. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

/** Whether a stored value is in the Kubernetes protobuf envelope (it starts with `k8s\0`). */
export function isProtobufEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((byte, i) => bytes[i] === byte);
}

// ---------------------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------------------

/** Encodes a v1 Secret or ConfigMap, given in its JSON form, as kube-apiserver writes it to etcd. */
export function encodeStorageObject(object: Record<string, unknown>): Uint8Array {
  if (!isObject(object)) throw new CodecError('cannot encode: the object is not a JSON object');
  const kind = own(object, 'kind');
  const apiVersion = own(object, 'apiVersion');
  if (typeof kind !== 'string' || !PROTOBUF_KINDS.has(kind) || apiVersion !== PROTOBUF_API_VERSION) {
    throw new CodecError(
      `cannot encode ${describeType(apiVersion, kind)} as protobuf: only v1 Secret and ConfigMap are supported`,
    );
  }
  return encodeEnvelope(kindDescriptor(apiVersion, kind) as KindDescriptor, object);
}

/** Decodes a value kube-apiserver stored in etcd into the object's JSON form, as the API would return it. */
export function decodeStorageObject(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) throw new CodecError('cannot decode an empty value');
  if (!isProtobufEnvelope(bytes)) {
    throw new CodecError('not a Kubernetes protobuf value: it does not start with the magic "k8s\\0"');
  }
  const { apiVersion, kind, raw } = readEnvelope(bytes);
  if (apiVersion !== PROTOBUF_API_VERSION || !PROTOBUF_KINDS.has(kind)) {
    throw new CodecError(
      `cannot decode ${describeType(apiVersion, kind)}: only v1 Secret and ConfigMap are supported`,
    );
  }
  return decodeBody(kindDescriptor(apiVersion, kind) as KindDescriptor, raw);
}

// ---------------------------------------------------------------------------------------------------------
// Requests (and any kind with a descriptor)
// ---------------------------------------------------------------------------------------------------------

/**
 * Decodes a request body sent as `application/vnd.kubernetes.protobuf` into the object's JSON form: `kind` and
 * `apiVersion` from the envelope, then the fields as kube-apiserver's JSON encoder would write the typed object
 * (`creationTimestamp: null`, `status: {}` and the like included). Throws {@link CodecError} when the bytes are
 * not such a body, are malformed, or hold a kind this server has no descriptor for.
 */
export function decodeProtobufRequest(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) throw new CodecError('cannot decode an empty protobuf body');
  if (!isProtobufEnvelope(bytes)) {
    throw new CodecError('not a Kubernetes protobuf body: it does not start with the magic "k8s\\0"');
  }
  const { apiVersion, kind, raw } = readEnvelope(bytes);
  const descriptor = kindDescriptor(apiVersion, kind);
  if (descriptor === undefined) {
    throw new CodecError(
      `protobuf body of ${describeKind(apiVersion, kind)} is not supported by this server; send JSON`,
    );
  }
  return decodeBody(descriptor, raw);
}

/** Encodes an object of any kind in {@link PROTOBUF_REQUEST_KINDS}, given in its JSON form, in the envelope. */
export function encodeProtobufObject(object: Record<string, unknown>): Uint8Array {
  if (!isObject(object)) throw new CodecError('cannot encode: the object is not a JSON object');
  const kind = own(object, 'kind');
  const apiVersion = own(object, 'apiVersion');
  const descriptor =
    typeof kind === 'string' && typeof apiVersion === 'string' ? kindDescriptor(apiVersion, kind) : undefined;
  if (descriptor === undefined) {
    throw new CodecError(`cannot encode ${describeType(apiVersion, kind)} as protobuf: no descriptor for it`);
  }
  return encodeEnvelope(descriptor, object);
}

// ---------------------------------------------------------------------------------------------------------
// Responses: meta.k8s.io kinds and watch frames
// ---------------------------------------------------------------------------------------------------------

/** The kinds a response may carry besides the resource's own: `apiVersion/kind` → descriptor. */
const META_KINDS = new Map<string, string>([
  ['meta.k8s.io/v1/PartialObjectMetadata', 'meta.PartialObjectMetadata'],
  ['meta.k8s.io/v1/PartialObjectMetadataList', 'meta.PartialObjectMetadataList'],
  ['meta.k8s.io/v1beta1/PartialObjectMetadata', 'meta.PartialObjectMetadata'],
  ['meta.k8s.io/v1beta1/PartialObjectMetadataList', 'meta.v1beta1.PartialObjectMetadataList'],
  ['v1/Status', 'meta.Status'],
]);

/**
 * Encodes a PartialObjectMetadata, a PartialObjectMetadataList (meta.k8s.io v1 or v1beta1) or a v1 Status, given
 * in its JSON form, in the envelope: what kube-apiserver writes for `application/vnd.kubernetes.protobuf`.
 */
export function encodeMetaObject(object: Record<string, unknown>): Uint8Array {
  const kind = own(object, 'kind');
  const apiVersion = own(object, 'apiVersion');
  const name =
    typeof kind === 'string' && typeof apiVersion === 'string'
      ? META_KINDS.get(`${apiVersion}/${kind}`)
      : undefined;
  if (name === undefined) {
    throw new CodecError(`cannot encode ${describeType(apiVersion, kind)} as protobuf: no descriptor for it`);
  }
  return encodeEnvelope(
    { apiVersion: apiVersion as string, kind: kind as string, message: resolve(name) },
    object,
  );
}

/**
 * One event of a protobuf watch stream: a 4-byte big-endian length, then a bare `metav1.WatchEvent` {1: type,
 * 2: RawExtension {1: raw}} whose raw is the object in its own envelope (`application/vnd.kubernetes.protobuf;
 * stream=watch`, the length-delimited framer over the raw serializer).
 */
export function encodeWatchEventFrame(type: string, object: Uint8Array): Uint8Array {
  const raw = new Writer();
  raw.bytes(1, object);
  const event = new Writer();
  event.string(1, type);
  event.message(2, raw);
  const body = event.finish();
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

// ---------------------------------------------------------------------------------------------------------
// The envelope
// ---------------------------------------------------------------------------------------------------------

function encodeEnvelope(descriptor: KindDescriptor, object: JsonObject): Uint8Array {
  const body = encodeMessage(descriptor.message, object, '');
  const typeMeta = new Writer();
  typeMeta.string(1, descriptor.apiVersion);
  typeMeta.string(2, descriptor.kind);
  const unknown = new Writer();
  unknown.raw(MAGIC);
  unknown.message(1, typeMeta);
  unknown.message(2, body);
  unknown.string(3, '');
  unknown.string(4, '');
  return unknown.finish();
}

interface Envelope {
  apiVersion: string;
  kind: string;
  /** The raw message; without one, Go unmarshals nothing into an empty object. */
  raw: Reader;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  let apiVersion = '';
  let kind = '';
  let raw: Reader | undefined;
  const reader = new Reader(bytes, MAGIC.length, bytes.length, 'Unknown');
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === 1) {
      const sub = reader.message(field, 'typeMeta');
      for (let f = sub.next(); f !== undefined; f = sub.next()) {
        if (f.number === 1) apiVersion = sub.string(f, 'apiVersion');
        else if (f.number === 2) kind = sub.string(f, 'kind');
        else sub.skip(f);
      }
    } else if (field.number === 2) {
      raw = reader.message(field, 'raw');
    } else if (field.number === 3 || field.number === 4) {
      reader.string(field, field.number === 3 ? 'contentEncoding' : 'contentType');
    } else {
      reader.skip(field);
    }
  }
  return { apiVersion, kind, raw: raw ?? new Reader(bytes, bytes.length, bytes.length, 'raw') };
}

function decodeBody(descriptor: KindDescriptor, raw: Reader): JsonObject {
  const decoded = decodeMessage(raw.renamed(descriptor.kind), descriptor.message);
  return {
    kind: descriptor.kind,
    apiVersion: descriptor.apiVersion,
    ...(messageJson(descriptor.message, decoded, '') as JsonObject),
  };
}

function own(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** Shows a kind or apiVersion in an error only when it looks like one: never arbitrary bytes. */
function shown(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9./-]{1,63}$/.test(value)
    ? JSON.stringify(value)
    : 'an unreadable value';
}

/** Names a type in an error: the kind and apiVersion are shown only when they look like ones. */
function describeType(apiVersion: unknown, kind: unknown): string {
  if (kind === undefined || kind === '') return 'an object without a kind';
  return `kind ${shown(kind)} (apiVersion ${apiVersion === undefined || apiVersion === '' ? 'none' : shown(apiVersion)})`;
}

/** `kind "Foo" (apps/v1)`, for the request decoder's refusal. */
function describeKind(apiVersion: string, kind: string): string {
  if (kind === '') return 'no kind';
  const version =
    apiVersion === ''
      ? 'no apiVersion'
      : /^[A-Za-z0-9./-]{1,63}$/.test(apiVersion)
        ? apiVersion
        : 'an unreadable apiVersion';
  return `kind ${shown(kind)} (${version})`;
}
