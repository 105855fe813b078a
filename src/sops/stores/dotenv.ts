/**
 * The dotenv store, as sops' `stores/dotenv/store.go` reads and writes it:
 *
 * - the text is split on `\n` and empty lines are dropped (so they do not survive a round trip);
 * - a line starting with `#` is a comment (the rest of the line, spaces kept);
 * - any other line is split at its first `=`: no trimming, no quotes, no `export`, so `foo = bar` is the key
 *   `foo ` with the value ` bar`; a line without `=` is an error;
 * - in values a literal `\n` (backslash, n) is a newline, and newlines are written back as `\n`;
 * - the metadata is flattened into the same file as `sops_<flat key>=<value>` lines after the data (see
 *   flatten.ts), so data keys starting with `sops_` are refused;
 * - maps and lists cannot be written.
 *
 * Every value read is a string. Pure.
 */
import { CloakError } from '../../common/errors.ts';
import {
  comment,
  entry,
  isList,
  isMap,
  map,
  type SopsDocument,
  type SopsMap,
  type SopsValue,
} from '../tree.ts';
import { flattenMetadata, scalarToString, unflattenMetadata, type FlatEntry } from './flatten.ts';
import { requireMetadata, type Store } from './store.ts';

/** The prefix of every metadata line (`sops_mac=…`). */
export const DOTENV_METADATA_PREFIX = 'sops_';

function parseLines(text: string, source: string): SopsMap {
  const items: SopsMap['items'] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    if (line.startsWith('#')) {
      items.push(comment(line.slice(1)));
      return;
    }
    const equals = line.indexOf('=');
    if (equals === -1) {
      throw new CloakError(
        'ERR_SOPS_DOTENV_SYNTAX',
        `${source}: line ${index + 1} is not KEY=VALUE (it has no "=")`,
      );
    }
    items.push(entry(line.slice(0, equals), line.slice(equals + 1).replaceAll('\\n', '\n')));
  });
  return map(items);
}

function onlyBranch(branches: readonly SopsMap[]): SopsMap {
  if (branches.length > 1) {
    throw new CloakError(
      'ERR_SOPS_DOTENV_DOCUMENTS',
      `a dotenv file holds one document, not ${branches.length}`,
    );
  }
  return branches[0] ?? map();
}

function reservedKey(branch: SopsMap): string | undefined {
  for (const item of branch.items) {
    if (item.kind === 'entry' && item.key.startsWith(DOTENV_METADATA_PREFIX)) return item.key;
  }
  return undefined;
}

function reservedKeyError(key: string, where: string): CloakError {
  return new CloakError(
    'ERR_SOPS_RESERVED_KEY',
    `${where}key "${key}" starts with "${DOTENV_METADATA_PREFIX}", the prefix reserved for SOPS metadata`,
  );
}

export class DotenvStore implements Store {
  readonly format = 'dotenv';

  parsePlain(text: string, source: string): SopsMap[] {
    const branch = parseLines(text, source);
    const reserved = reservedKey(branch);
    if (reserved !== undefined) throw reservedKeyError(reserved, `${source}: `);
    return [branch];
  }

  parseEncrypted(text: string, source: string): SopsDocument {
    const parsed = parseLines(text, source);
    const data: SopsMap['items'] = [];
    const flat: FlatEntry[] = [];
    for (const item of parsed.items) {
      if (item.kind === 'entry' && item.key.startsWith(DOTENV_METADATA_PREFIX)) {
        flat.push({ key: item.key.slice(DOTENV_METADATA_PREFIX.length), value: item.value as string });
      } else {
        data.push(item);
      }
    }
    if (flat.length === 0) {
      throw new CloakError(
        'ERR_SOPS_NOT_ENCRYPTED',
        `${source}: no SOPS metadata (${DOTENV_METADATA_PREFIX}* lines) found; the file is not encrypted`,
      );
    }
    let metadata;
    try {
      metadata = unflattenMetadata(flat);
    } catch (error) {
      if (error instanceof CloakError) throw new CloakError(error.code, `${source}: ${error.message}`);
      throw error;
    }
    return { branches: [map(data)], metadata };
  }

  emitEncrypted(document: SopsDocument): string {
    const plainMetadata = requireMetadata(document, 'dotenv');
    const branch = onlyBranch(document.branches);
    const reserved = reservedKey(branch);
    if (reserved !== undefined) throw reservedKeyError(reserved, 'the data ');
    const metadata = flattenMetadata(plainMetadata).map(({ key, value }) =>
      entry(`${DOTENV_METADATA_PREFIX}${key}`, value),
    );
    return this.emitPlain([map([...branch.items, ...metadata])]);
  }

  emitPlain(branches: SopsMap[]): string {
    let text = '';
    for (const item of onlyBranch(branches).items) {
      if (item.kind === 'comment') {
        text += `#${item.text}\n`;
        continue;
      }
      if (isMap(item.value) || isList(item.value)) {
        throw new CloakError(
          'ERR_SOPS_DOTENV_NESTED',
          `cannot write key "${item.key}" to a dotenv file: its value is a ${item.value.kind}, and dotenv holds only plain values`,
        );
      }
      text += `${item.key}=${scalarToString(item.value).replaceAll('\n', '\\n')}\n`;
    }
    return text;
  }

  /**
   * `sops decrypt --extract`: a string is printed as it is (no newline added), a map as a dotenv file; anything
   * else is an error, as in sops.
   */
  emitValue(value: SopsValue): string {
    if (typeof value === 'string') return value;
    if (isMap(value)) return this.emitPlain([value]);
    throw new CloakError('ERR_SOPS_EXTRACT', 'the dotenv format can only print strings with --extract');
  }
}

export const dotenvStore = new DotenvStore();
