/** The `sops` metadata block as a document subtree (YAML and JSON nest it under the key `sops`). Pure. */
import { CloakError } from '../../common/errors.ts';
import {
  isComment,
  isList,
  isMap,
  SopsTime,
  type PlainMetadata,
  type SopsMap,
  type SopsValue,
} from '../tree.ts';

export const SOPS_KEY = 'sops';

export function metadataToTree(plain: PlainMetadata): SopsMap {
  return toValue(plain) as SopsMap;
}

function toValue(value: unknown): SopsValue {
  if (Array.isArray(value)) return { kind: 'list', items: value.map(toValue) };
  if (value !== null && typeof value === 'object' && !(value instanceof SopsTime)) {
    return {
      kind: 'map',
      items: Object.entries(value as Record<string, unknown>).map(([key, item]) => ({
        kind: 'entry' as const,
        key,
        value: toValue(item),
      })),
    };
  }
  if (value === undefined) return null;
  return value as SopsValue;
}

export function metadataFromTree(value: SopsValue, source: string): PlainMetadata {
  if (!isMap(value))
    throw new CloakError('ERR_SOPS_METADATA', `${source}: the "sops" entry is not a mapping`);
  return toPlain(value) as PlainMetadata;
}

function toPlain(value: SopsValue): unknown {
  if (isMap(value)) {
    const plain: Record<string, unknown> = {};
    for (const item of value.items) if (item.kind === 'entry') plain[item.key] = toPlain(item.value);
    return plain;
  }
  if (isList(value)) return value.items.filter((item): item is SopsValue => !isComment(item)).map(toPlain);
  if (value instanceof SopsTime) return value.text;
  return value;
}
