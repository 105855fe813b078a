/** Choosing a store: by `--input-type`/`--output-type`, else by the file's extension, as sops chooses. */
import { extname } from 'node:path';
import { UsageError } from '../../common/errors.ts';
import { dotenvStore } from './dotenv.ts';
import { iniStore } from './ini.ts';
import { binaryStore, jsonStore } from './json.ts';
import type { SopsFormat, Store } from './store.ts';
import { yamlStore } from './yaml.ts';

const STORES: Record<SopsFormat, Store> = {
  yaml: yamlStore,
  json: jsonStore,
  dotenv: dotenvStore,
  ini: iniStore,
  binary: binaryStore,
};
export const FORMATS = Object.keys(STORES) as SopsFormat[];

export function formatFromPath(path: string): SopsFormat {
  switch (extname(path).toLowerCase()) {
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.json':
      return 'json';
    case '.env':
      return 'dotenv';
    case '.ini':
      return 'ini';
    default:
      return 'binary';
  }
}

export function parseFormat(value: string, flag: string): SopsFormat {
  if (Object.hasOwn(STORES, value)) return value as SopsFormat;
  throw new UsageError(`unknown ${flag} "${value}": use one of ${FORMATS.join(', ')}`);
}

export function storeFor(format: SopsFormat): Store {
  return STORES[format];
}
