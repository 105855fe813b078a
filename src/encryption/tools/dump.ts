/**
 * `etcdctl get --prefix /registry/ -w json` output, read offline: one JSON object (or several, one after the
 * other) with `kvs[]` whose `key` and `value` are standard base64 and whose revisions are numbers. Errors say
 * where (document, item, field), never what the value was. Pure.
 */
import { CloakError } from '../../common/errors.ts';
import { decodeStdBase64 } from '../../manifests/base64.ts';
import { parseManifests } from '../../manifests/decode.ts';
import { EncryptionToolError } from './errors.ts';

export interface DumpEntry {
  key: string;
  value: Uint8Array;
  /** etcd mod_revision: the object's resourceVersion. */
  modRevision?: number | undefined;
  createRevision?: number | undefined;
}

export function parseEtcdctlDump(text: string, source: string): DumpEntry[] {
  const fail = (message: string): never => {
    throw new EncryptionToolError('ERR_ENCRYPTION_DUMP', `${source}: ${message}`);
  };
  if (!/^\s*\{/.test(text)) {
    fail('not the JSON output of etcdctl get --prefix -w json (expected a JSON object with kvs)');
  }
  let documents: Record<string, unknown>[];
  try {
    documents = parseManifests(text, source);
  } catch (error) {
    // parseManifests' messages give the position only, never the input around it.
    return fail(error instanceof CloakError ? error.message.replace(`${source}: `, '') : 'invalid JSON');
  }
  const entries: DumpEntry[] = [];
  const seen = new Map<string, number>();
  documents.forEach((document, documentIndex) => {
    const where = documents.length > 1 ? `document ${documentIndex + 1}: ` : '';
    if (!('header' in document) && !('kvs' in document) && !('count' in document)) {
      fail(`${where}not etcdctl JSON output (no header, kvs or count field)`);
    }
    const kvs = document['kvs'];
    if (kvs === undefined || kvs === null) return; // etcdctl leaves kvs out when nothing matched
    if (!Array.isArray(kvs)) fail(`${where}kvs is not a list`);
    (kvs as unknown[]).forEach((kv, index) => {
      const at = `${where}kvs[${index}]`;
      if (kv === null || typeof kv !== 'object' || Array.isArray(kv)) fail(`${at} is not an object`);
      const record = kv as Record<string, unknown>;
      const key = base64Field(record['key'], `${at}.key`, fail);
      if (key.length === 0) fail(`${at}.key is empty`);
      const keyText = new TextDecoder('utf-8', { fatal: false }).decode(key);
      // etcdctl omits `value` when it is empty.
      const value =
        record['value'] === undefined ? new Uint8Array(0) : base64Field(record['value'], `${at}.value`, fail);
      const entry: DumpEntry = {
        key: keyText,
        value,
        modRevision: revisionField(record['mod_revision'], `${at}.mod_revision`, fail),
        createRevision: revisionField(record['create_revision'], `${at}.create_revision`, fail),
      };
      const previous = seen.get(keyText);
      if (previous === undefined) {
        seen.set(keyText, entries.length);
        entries.push(entry);
      } else if ((entry.modRevision ?? 0) >= (entries[previous]?.modRevision ?? 0)) {
        // The same key in two dumps: the later write wins.
        entries[previous] = entry;
      }
    });
  });
  return entries;
}

function base64Field(value: unknown, path: string, fail: (message: string) => never): Uint8Array {
  if (typeof value !== 'string') return fail(`${path} is not a base64 string`);
  try {
    return decodeStdBase64(value);
  } catch {
    return fail(`${path} is not valid base64`);
  }
}

function revisionField(value: unknown, path: string, fail: (message: string) => never): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    return fail(`${path} is not a revision number`);
  }
  return number;
}
