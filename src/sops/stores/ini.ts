/**
 * The INI store, as sops' `stores/ini/store.go` reads and writes it through gopkg.in/ini.v1 (default options,
 * non-unique sections allowed since sops 3.10). The parser and writer below reproduce that library's rules.
 *
 * Tree shape: one top-level entry per section, in file order, whose value is a map of string values. The keys
 * before the first section header form the `DEFAULT` section, which is always the first entry (an empty map when
 * there are none); it is written without a header, and not at all when it is empty. Sections with the same name
 * stay separate entries. A key given twice in one section keeps its first place and its last value.
 *
 * Comments: the comment lines before a section header (and a comment after the header on the same line) become
 * the first item of that section's map; the comment lines before a key (and a comment after its value) become a
 * comment item right *after* that key, which is where sops puts them (and where it reads them back from when
 * writing). The leading `;`/`#` and the spaces after it are removed, as sops does. Comments after the last key of
 * the file are lost, as in sops.
 *
 * Values: surrounding whitespace is trimmed; `key = a ; b` is the value `a` with the comment `; b`; one pair of
 * surrounding `'…'` or `"…"` quotes is removed; `` `…` `` and `"""…"""` quote verbatim (the latter over several
 * lines); a value ending in `\` continues on the next line. `=` and `:` both separate key and value.
 *
 * Writing: `key = value` with the `=` signs of a section aligned on its longest key (gopkg.in/ini's pretty
 * format), a blank line between sections, and keys or values quoted where the library quotes them.
 *
 * Metadata: a `[sops]` section of flattened keys (see flatten.ts, no prefix) whose newlines are written as `\n`
 * (sops ≥ 3.13.2); the `"""…"""` multi-line values written by sops 3.13.0/3.13.1 are read as well. Pure.
 */
import { CloakError } from '../../common/errors.ts';
import {
  comment,
  entry,
  isComment,
  isList,
  isMap,
  map,
  SopsTime,
  type SopsDocument,
  type SopsMap,
  type SopsValue,
} from '../tree.ts';
import { flattenMetadata, scalarToString, unflattenMetadata, type FlatEntry } from './flatten.ts';
import { requireMetadata, type Store } from './store.ts';

/** The name gopkg.in/ini gives the keys before the first section header. */
export const INI_DEFAULT_SECTION = 'DEFAULT';
/** The section that holds the flattened metadata. */
export const INI_METADATA_SECTION = 'sops';

// Go's unicode.IsSpace, which strings.TrimSpace and the ini parser use (JavaScript's \s differs slightly).
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`, 'u');

function trimLeft(text: string): string {
  return text.replace(LEADING_SPACE, '');
}

function trimSpace(text: string): string {
  return trimLeft(text).replace(TRAILING_SPACE, '');
}

function indexOfAny(text: string, characters: string): number {
  for (let index = 0; index < text.length; index++) {
    if (characters.includes(text[index]!)) return index;
  }
  return -1;
}

const utf8 = new TextEncoder();

function byteLength(text: string): number {
  return utf8.encode(text).length;
}

interface IniKey {
  name: string;
  value: string;
  comment: string;
}

interface IniSection {
  name: string;
  comment: string;
  keys: IniKey[];
  byName: Map<string, IniKey>;
}

function newSection(name: string): IniSection {
  return { name, comment: '', keys: [], byName: new Map() };
}

/** gopkg.in/ini's Section.NewKey without shadows: a repeated key keeps its place and takes the new value. */
function addKey(section: IniSection, name: string, value: string): IniKey {
  const existing = section.byName.get(name);
  if (existing) {
    existing.value = value;
    return existing;
  }
  const key = { name, value, comment: '' };
  section.keys.push(key);
  section.byName.set(name, key);
  return key;
}

/** gopkg.in/ini's parser with default load options (plus non-unique sections). */
function readIni(text: string, source: string): IniSection[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let position = 0;
  let atEnd = false;
  let lineStart = 0;
  let pendingComment = '';

  const fail = (message: string): CloakError => {
    let line = 1;
    for (let index = 0; index < lineStart; index++) if (input[index] === '\n') line++;
    return new CloakError('ERR_SOPS_INI_SYNTAX', `${source}: line ${line}: ${message}`);
  };
  /** The next line with its `\n`; the last line of the input ends the loop (bufio.Reader.ReadBytes). */
  const readLine = (): string => {
    const end = input.indexOf('\n', position);
    const start = position;
    if (end === -1) {
      position = input.length;
      atEnd = true;
      return input.slice(start);
    }
    position = end + 1;
    return input.slice(start, position);
  };

  const readMultiline = (first: string, quote: string): string => {
    let value = first;
    for (;;) {
      const next = readLine();
      const close = next.lastIndexOf(quote);
      if (close !== -1) {
        value += next.slice(0, close);
        const tail = next.slice(close);
        const at = indexOfAny(tail, '#;');
        if (at !== -1) pendingComment += trimSpace(tail.slice(at));
        return value;
      }
      value += next;
      if (atEnd) throw fail(`the value opened with ${quote} is never closed`);
    }
  };

  const readContinuation = (first: string): string => {
    let value = first;
    for (;;) {
      const next = trimSpace(readLine());
      if (next === '') return value;
      value += next;
      if (!value.endsWith('\\')) return value;
      value = value.slice(0, -1);
    }
  };

  const readValue = (raw: string): string => {
    let line = trimLeft(raw);
    if (line === '') return '';
    const quote = line.length > 3 && line.startsWith('"""') ? '"""' : line.startsWith('`') ? '`' : '';
    if (quote !== '') {
      const close = line.slice(quote.length).lastIndexOf(quote);
      if (close === -1) return readMultiline(line.slice(quote.length), quote);
      return line.slice(quote.length, quote.length + close);
    }
    line = trimSpace(line);
    if (line.endsWith('\\')) return readContinuation(line.slice(0, -1));
    const at = indexOfAny(line, '#;');
    if (at !== -1) {
      pendingComment += line.slice(at);
      line = trimSpace(line.slice(0, at));
    }
    for (const mark of ["'", '"']) {
      if (
        line.length >= 2 &&
        line.startsWith(mark) &&
        line.endsWith(mark) &&
        line.indexOf(mark, 1) === line.length - 1
      ) {
        return line.slice(1, -1);
      }
    }
    return line;
  };

  const readKeyName = (line: string): { name: string; rest: string } => {
    const quote =
      line.startsWith('"""') && line.length > 6
        ? '"""'
        : line.startsWith('"')
          ? '"'
          : line.startsWith('`')
            ? '`'
            : '';
    if (quote !== '') {
      const close = line.indexOf(quote, quote.length);
      if (close === -1) throw fail('a quoted key name is never closed');
      const delimiter = indexOfAny(line.slice(close + quote.length), '=:');
      if (delimiter === -1) throw fail('no "=" or ":" after the key name');
      return {
        name: trimSpace(line.slice(quote.length, close)),
        rest: line.slice(close + quote.length + delimiter + 1),
      };
    }
    const delimiter = indexOfAny(line, '=:');
    if (delimiter === -1) throw fail('not a section header, comment or key = value line');
    return { name: trimSpace(line.slice(0, delimiter)), rest: line.slice(delimiter + 1) };
  };

  const sections = [newSection(INI_DEFAULT_SECTION)];
  let section = sections[0]!;
  let autoIncrement = 1;
  while (!atEnd) {
    lineStart = position;
    const line = trimLeft(readLine());
    if (line === '') continue;
    if (line.startsWith('#') || line.startsWith(';')) {
      pendingComment += line;
      continue;
    }
    if (line.startsWith('[')) {
      const close = line.lastIndexOf(']');
      if (close === -1) throw fail('a section header is not closed with "]"');
      const name = line.slice(1, close);
      if (name === '') throw fail('empty section name');
      section = newSection(name);
      sections.push(section);
      const tail = line.slice(close + 1);
      const at = indexOfAny(tail, '#;');
      if (at !== -1) pendingComment += tail.slice(at);
      section.comment = trimSpace(pendingComment);
      pendingComment = '';
      autoIncrement = 1;
      continue;
    }
    const { name, rest } = readKeyName(line);
    let keyName = name;
    if (keyName === '-') keyName = `#${autoIncrement++}`;
    const value = readValue(rest);
    if (keyName === '') throw fail('empty key name');
    const key = addKey(section, keyName, value);
    key.comment = trimSpace(pendingComment);
    pendingComment = '';
  }
  return sections;
}

/** sops' stripCommentChar: drops the leading run of `;` and spaces, or of `#` and spaces. */
function stripCommentMarker(text: string): string {
  if (text.startsWith(';')) return text.replace(/^[; ]+/, '');
  if (text.startsWith('#')) return text.replace(/^[# ]+/, '');
  return text;
}

function sectionsToBranch(sections: readonly IniSection[]): SopsMap {
  return map(
    sections.map((section) => {
      const items: SopsMap['items'] = [];
      if (section.comment !== '') items.push(comment(stripCommentMarker(section.comment)));
      for (const key of section.keys) {
        items.push(entry(key.name, key.value));
        if (key.comment !== '') items.push(comment(stripCommentMarker(key.comment)));
      }
      return entry(section.name, map(items));
    }),
  );
}

function iniError(message: string): CloakError {
  return new CloakError('ERR_SOPS_INI', message);
}

/** sops' encodeTree: the tree back into gopkg.in/ini sections. */
function branchesToSections(branches: readonly SopsMap[]): IniSection[] {
  const sections: IniSection[] = [];
  for (const branch of branches) {
    for (const item of branch.items) {
      if (item.kind === 'comment') continue;
      if (item.key === '') throw iniError('an INI section cannot have an empty name');
      if (!isMap(item.value)) {
        throw iniError(`cannot write "${item.key}" to an INI file: top-level values must be sections (maps)`);
      }
      const section = newSection(item.key);
      sections.push(section);
      const items = item.value.items;
      let first = 0;
      if (items[0] !== undefined && isComment(items[0])) {
        section.comment = items[0].text;
        first = 1;
      }
      let last: IniKey | undefined;
      for (const child of items.slice(first)) {
        if (child.kind === 'comment') {
          if (last) last.comment = child.text;
          continue;
        }
        if (child.key === '') throw iniError(`section "${item.key}" has a key with an empty name`);
        if (isMap(child.value) || isList(child.value)) {
          throw iniError(
            `cannot write "${item.key}.${child.key}" to an INI file: its value is a ${child.value.kind}, and INI holds only plain values`,
          );
        }
        last = addKey(section, child.key, scalarToString(child.value));
      }
    }
  }
  return sections;
}

function commentLines(text: string, trimUnmarked: boolean): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('#') || line.startsWith(';')) return `${line[0]} ${trimSpace(line.slice(1))}\n`;
      return `; ${trimUnmarked ? trimSpace(line) : line}\n`;
    })
    .join('');
}

function quoteKeyName(name: string): string {
  if (name.includes('"') || indexOfAny(name, '=:') !== -1) return `\`${name}\``;
  if (name.includes('`')) return `"""${name}"""`;
  return name;
}

function quoteValue(value: string): string {
  if (value.includes('\n') || value.includes('`')) return `"""${value}"""`;
  if (value.includes('#') || value.includes(';')) return `\`${value}\``;
  if (trimSpace(value).length !== value.length) return `"${value}"`;
  return value;
}

/** gopkg.in/ini's File.WriteTo with its pretty defaults; no blank line after the last section (sops 3.13). */
function writeIni(sections: readonly IniSection[]): string {
  let text = '';
  let endsWithSeparator = false;
  sections.forEach((section, index) => {
    if (section.comment !== '') {
      text += commentLines(section.comment, false);
      endsWithSeparator = false;
    }
    if (index > 0 || section.name.toUpperCase() !== INI_DEFAULT_SECTION) {
      text += `[${section.name}]\n`;
      endsWithSeparator = false;
    } else if (section.keys.length === 0) {
      return;
    }
    const names = section.keys.map((key) => quoteKeyName(key.name));
    const width = Math.max(0, ...names.map(byteLength));
    section.keys.forEach((key, position) => {
      if (key.comment !== '') text += commentLines(key.comment, true);
      const name = names[position]!;
      text += `${name}${' '.repeat(width - byteLength(name))} = ${quoteValue(key.value)}\n`;
    });
    text += '\n';
    endsWithSeparator = true;
  });
  return endsWithSeparator ? text.slice(0, -1) : text;
}

/** Go's json.Marshal of a tree value (what sops prints for `--extract` of a non-string INI value). */
function goJson(value: SopsValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[<>&\u2028\u2029]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new CloakError('ERR_SOPS_EXTRACT', 'cannot print a non-finite number as JSON');
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (value instanceof SopsTime) return goJson(value.text);
  if (value instanceof Uint8Array) return goJson(Buffer.from(value).toString('utf8'));
  if (isList(value)) {
    return `[${value.items.map((item) => (isComment(item) ? `{"Value":${goJson(item.text)}}` : goJson(item))).join(',')}]`;
  }
  return `[${value.items
    .map((item) =>
      item.kind === 'comment'
        ? `{"Key":{"Value":${goJson(item.text)}},"Value":null}`
        : `{"Key":${goJson(item.key)},"Value":${goJson(item.value)}}`,
    )
    .join(',')}]`;
}

export class IniStore implements Store {
  readonly format = 'ini';

  parsePlain(text: string, source: string): SopsMap[] {
    const branch = sectionsToBranch(readIni(text, source));
    if (branch.items.some((item) => item.kind === 'entry' && item.key === INI_METADATA_SECTION)) {
      throw new CloakError(
        'ERR_SOPS_RESERVED_KEY',
        `${source}: the section [${INI_METADATA_SECTION}] is reserved for SOPS metadata`,
      );
    }
    return [branch];
  }

  parseEncrypted(text: string, source: string): SopsDocument {
    const sections = readIni(text, source);
    const metadataSections = sections.filter((section) => section.name === INI_METADATA_SECTION);
    if (metadataSections.length === 0) {
      throw new CloakError(
        'ERR_SOPS_NOT_ENCRYPTED',
        `${source}: no [${INI_METADATA_SECTION}] section found; the file is not encrypted`,
      );
    }
    if (metadataSections.length > 1) {
      throw new CloakError(
        'ERR_SOPS_METADATA',
        `${source}: the [${INI_METADATA_SECTION}] section appears twice`,
      );
    }
    const flat: FlatEntry[] = metadataSections[0]!.keys.map((key) => ({
      key: key.name,
      value: key.value.replaceAll('\\n', '\n'),
    }));
    let metadata;
    try {
      metadata = unflattenMetadata(flat);
    } catch (error) {
      if (error instanceof CloakError) throw new CloakError(error.code, `${source}: ${error.message}`);
      throw error;
    }
    const data = sections.filter((section) => section.name !== INI_METADATA_SECTION);
    return { branches: [sectionsToBranch(data)], metadata };
  }

  emitEncrypted(document: SopsDocument): string {
    const plainMetadata = requireMetadata(document, 'ini');
    for (const branch of document.branches) {
      if (branch.items.some((item) => item.kind === 'entry' && item.key === INI_METADATA_SECTION)) {
        throw new CloakError(
          'ERR_SOPS_RESERVED_KEY',
          `the data has a section [${INI_METADATA_SECTION}], which is reserved for SOPS metadata`,
        );
      }
    }
    const metadata = flattenMetadata(plainMetadata).map(({ key, value }) =>
      entry(key, value.replaceAll('\n', '\\n')),
    );
    return this.emitPlain([...document.branches, map([entry(INI_METADATA_SECTION, map(metadata))])]);
  }

  emitPlain(branches: SopsMap[]): string {
    return writeIni(branchesToSections(branches));
  }

  /**
   * `sops decrypt --extract`: a string is printed as it is, a map as an INI file (which only works for a map of
   * sections), anything else as Go's JSON encoding of it.
   */
  emitValue(value: SopsValue): string {
    if (typeof value === 'string') return value;
    if (isMap(value)) return this.emitPlain([value]);
    return goJson(value);
  }
}

export const iniStore = new IniStore();
