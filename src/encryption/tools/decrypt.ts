/**
 * `cloak encryption decrypt`: stored values → the objects kubectl would print, through a configuration's
 * transformers, without an API server (disaster recovery). The transformers do the cryptography (and call KMS
 * plugins); this module picks the entries, decodes what they open to, puts the resourceVersion back (the etcd
 * mod_revision, as kube-apiserver does) and shapes the output. Failures name the key and the reason, never
 * the value.
 */
import { CloakError, errorMessage } from '../../common/errors.ts';
import { decodeStored } from '../../apiserver/codec/codec.ts';
import { OBJECT_META_ORDER } from '../../kube/objects.ts';
import type { ResourceRef } from '../transformer.ts';
import type { ValueTransformer } from '../../apiserver/storage/transformer.ts';
import { DEFAULT_ETCD_PREFIX, parseEtcdKey } from './resources.ts';

export interface StoredEntry {
  key: string;
  value: Uint8Array;
  modRevision?: number | undefined;
}

export interface DecryptFailure {
  key: string;
  message: string;
}

export interface DecryptResult {
  objects: Record<string, unknown>[];
  failures: DecryptFailure[];
}

/** `/registry/secrets/ns/a` stays; `secrets/ns/a` is taken as relative to the etcd prefix. */
export function absoluteKey(key: string, etcdPrefix = DEFAULT_ETCD_PREFIX): string {
  return key.startsWith('/') ? key : `${etcdPrefix.replace(/\/+$/, '')}/${key}`;
}

/** The entries the command selects: the named keys (in the order given, missing ones reported), else a prefix. */
export function selectEntries(
  entries: readonly StoredEntry[],
  selection: { keys: readonly string[]; prefix: string },
): { entries: StoredEntry[]; missing: string[] } {
  if (selection.keys.length > 0) {
    const byKey = new Map(entries.map((entry) => [entry.key, entry]));
    const found: StoredEntry[] = [];
    const missing: string[] = [];
    for (const key of selection.keys) {
      const entry = byKey.get(key);
      if (entry) found.push(entry);
      else missing.push(key);
    }
    return { entries: found, missing };
  }
  const found = entries
    .filter((entry) => entry.key.startsWith(selection.prefix))
    .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  return { entries: found, missing: [] };
}

/** The group/resource whose transformer reads `key` (its etcd path, as kube-apiserver lays keys out). */
export function resourceOfKey(key: string, etcdPrefix = DEFAULT_ETCD_PREFIX): ResourceRef | undefined {
  const parts = parseEtcdKey(key, etcdPrefix);
  return parts && { group: parts.group, plural: parts.plural };
}

/** Decodes a plaintext stored value (protobuf envelope or JSON) and sets its resourceVersion. */
export function objectFromStored(
  plain: Uint8Array,
  modRevision: number | undefined,
): Record<string, unknown> {
  let object: Record<string, unknown>;
  try {
    object = decodeStored(plain);
  } catch (error) {
    // The codec's own errors describe the structure (field numbers, wire types), never the content; JSON.parse
    // quotes the input around the error, so its message is not used.
    const why =
      error instanceof CloakError
        ? oneLine(errorMessage(error))
        : 'neither a Kubernetes protobuf value nor JSON';
    throw new CloakError('ERR_DECODE', `the decrypted value does not decode: ${why}`);
  }
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new CloakError('ERR_DECODE', 'the decrypted value is not an object');
  }
  if (modRevision === undefined) return object;
  const metadata = object['metadata'];
  const meta = metadata !== null && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : {};
  return { ...object, metadata: withResourceVersion(meta, String(modRevision)) };
}

/** The first line of a message written to hold no data (CloakErrors), shortened. */
function oneLine(text: string): string {
  const line = (text.split('\n', 1)[0] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** `metadata` with resourceVersion set where Go's ObjectMeta puts it (after uid). */
function withResourceVersion(
  meta: Record<string, unknown>,
  resourceVersion: string,
): Record<string, unknown> {
  const order: readonly string[] = OBJECT_META_ORDER;
  const position = order.indexOf('resourceVersion');
  const result: Record<string, unknown> = {};
  let placed = false;
  for (const [field, value] of Object.entries(meta)) {
    if (field === 'resourceVersion') continue;
    const index = order.indexOf(field);
    if (!placed && index > position) {
      result['resourceVersion'] = resourceVersion;
      placed = true;
    }
    result[field] = value;
  }
  if (!placed) result['resourceVersion'] = resourceVersion;
  return result;
}

export type TransformerFor = (resource: ResourceRef) => ValueTransformer;

/**
 * Opens every entry with the transformer of its resource. A failed entry is reported with its key and the
 * transformer's reason (which names provider and key, never data); `skip(entry)` may answer a reason not to
 * try at all (a KMS plugin known to be unreachable).
 */
export async function decryptEntries(
  entries: readonly StoredEntry[],
  transformers: TransformerFor,
  options: { etcdPrefix?: string | undefined; skip?: (entry: StoredEntry) => string | undefined } = {},
): Promise<DecryptResult> {
  const objects: Record<string, unknown>[] = [];
  const failures: DecryptFailure[] = [];
  for (const entry of entries) {
    const skipped = options.skip?.(entry);
    if (skipped !== undefined) {
      failures.push({ key: entry.key, message: skipped });
      continue;
    }
    const resource = resourceOfKey(entry.key, options.etcdPrefix);
    if (resource === undefined) {
      failures.push({ key: entry.key, message: 'not a Kubernetes object key (outside the etcd prefix)' });
      continue;
    }
    try {
      const { value } = await transformers(resource).fromStorage(entry.value, entry.key);
      objects.push(objectFromStored(value, entry.modRevision));
    } catch (error) {
      failures.push({
        key: entry.key,
        message: error instanceof CloakError ? oneLine(errorMessage(error)) : 'unexpected error',
      });
    }
  }
  return { objects, failures };
}

/**
 * What kubectl prints: one object when one was asked for by name, else a v1 List (as `kubectl get … -o yaml`
 * prints a collection); without metadata.managedFields unless `showManagedFields` (kubectl's default since 1.21).
 */
export function kubectlView(
  objects: readonly Record<string, unknown>[],
  single: boolean,
  showManagedFields = false,
): unknown {
  const shown = showManagedFields ? [...objects] : objects.map(withoutManagedFields);
  if (single && shown.length === 1) return shown[0];
  return { apiVersion: 'v1', items: shown, kind: 'List', metadata: { resourceVersion: '' } };
}

function withoutManagedFields(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = object['metadata'];
  if (metadata === null || typeof metadata !== 'object' || !('managedFields' in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata as Record<string, unknown>;
  return { ...object, metadata: rest };
}
