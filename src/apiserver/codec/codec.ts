/**
 * Choosing the storage encoding: kube-apiserver's protobuf envelope for the kinds that have it here (Secrets and
 * ConfigMaps), JSON for everything else. Reading detects the envelope by its magic, so values written by either
 * codec (or by a real kube-apiserver) decode.
 */
import { decodeStorageObject, encodeStorageObject, isProtobufEnvelope } from './protobuf.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeForStorage(codec: 'protobuf' | 'json', object: Record<string, unknown>): Uint8Array {
  return codec === 'protobuf' ? encodeStorageObject(object) : encoder.encode(JSON.stringify(object));
}

export function decodeStored(bytes: Uint8Array): Record<string, unknown> {
  if (isProtobufEnvelope(bytes)) return decodeStorageObject(bytes);
  return JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
}
