/**
 * The YAML store: documents are read with the `yaml` library (comments, key order, anchors) and typed as
 * yaml.v3 types them; they are written by our own emitter that follows yaml.v3's layout (indent 4, lists
 * indented under their key, double quotes for strings that would read back as another type, literal blocks
 * for multi-line strings), so files round-trip through Cloak and sops alike. Pure.
 */
import type { Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { CloakError } from '../../common/errors.ts';
import { yaml } from '../../manifests/yaml.ts';
import {
  comment,
  type PlainMetadata,
  type SopsComment,
  type SopsDocument,
  type SopsMap,
  type SopsScalar,
  type SopsValue,
} from '../tree.ts';
import { metadataFromTree, metadataToTree, SOPS_KEY } from './metadata-tree.ts';
import { requireMetadata, type EmitOptions, type Store } from './store.ts';
import { emitYaml, emitYamlValue } from './yaml-emit.ts';
import { resolvePlainScalar } from './yaml-resolve.ts';

export class YamlStoreError extends CloakError {}

export const yamlStore: Store = {
  format: 'yaml',

  parsePlain(text, source) {
    const branches = parseYaml(text, source);
    for (const branch of branches) {
      if (branch.items.some((item) => item.kind === 'entry' && item.key === SOPS_KEY)) {
        throw new YamlStoreError(
          'ERR_SOPS_ALREADY_ENCRYPTED',
          `${source}: the document has a top-level "sops" key; it looks encrypted already`,
        );
      }
    }
    return branches;
  },

  parseEncrypted(text, source) {
    const branches = parseYaml(text, source);
    let metadata: PlainMetadata | undefined;
    const data = branches.map((branch, index) => {
      const items = branch.items.filter((item) => {
        if (item.kind !== 'entry' || item.key !== SOPS_KEY) return true;
        if (index === 0) metadata = metadataFromTree(item.value, source);
        return false;
      });
      return { kind: 'map' as const, items };
    });
    if (!metadata) throw notEncrypted(source);
    return { branches: data, metadata };
  },

  emitEncrypted(document: SopsDocument, options?: EmitOptions) {
    const metadata = metadataToTree(requireMetadata(document, 'yaml'));
    const branches = document.branches.map((branch) => ({
      kind: 'map' as const,
      items: [...branch.items, { kind: 'entry' as const, key: SOPS_KEY, value: metadata }],
    }));
    return emitYaml(branches, options?.indent ?? 4);
  },

  emitPlain(branches: SopsMap[], options?: EmitOptions) {
    return emitYaml(branches, options?.indent ?? 4);
  },

  emitValue(value: SopsValue, options?: EmitOptions) {
    return emitYamlValue(value, options?.indent ?? 4);
  },
};

export function notEncrypted(source: string): CloakError {
  return new CloakError(
    'ERR_SOPS_NOT_ENCRYPTED',
    `${source}: sops metadata not found (the file is not encrypted)`,
  );
}

function parseYaml(text: string, source: string): SopsMap[] {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  // uniqueKeys is checked here instead: the library's own check is quadratic in the size of a mapping.
  const documents = parseAllDocuments(text, {
    schema: 'failsafe',
    uniqueKeys: false,
    prettyErrors: false,
    lineCounter,
  });
  if (!Array.isArray(documents)) return [];
  return documents.map((document) => {
    const [error] = document.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const message = (error.message.split('\n', 1)[0] ?? '').replace(/:\s*".*"$/, '');
      throw new YamlStoreError(
        'ERR_INPUT_PARSE',
        `${source}: invalid YAML at line ${line}, column ${col}: ${message}`,
      );
    }
    return new Reader(document, source).document();
  });
}

class Reader {
  readonly #document: Document.Parsed;
  readonly #source: string;

  constructor(document: Document.Parsed, source: string) {
    this.#document = document;
    this.#source = source;
  }

  document(): SopsMap {
    const lib = yaml();
    const items: SopsMap['items'] = [];
    pushComments(items, this.#document.commentBefore);
    const contents = this.#document.contents;
    if (lib.isMap(contents)) items.push(...this.map(contents, []).items);
    else if (lib.isSeq(contents)) throw this.error([], 'YAML documents that are sequences are not supported');
    else if (lib.isScalar(contents) && this.scalar(contents, []) !== null) {
      throw this.error([], 'YAML documents that are values are not supported');
    } else if (lib.isAlias(contents)) {
      const target = contents.resolve(this.#document);
      if (!lib.isMap(target)) throw this.error([], 'YAML documents must be mappings');
      items.push(...this.map(target, []).items);
    }
    pushComments(items, this.#document.comment);
    return { kind: 'map', items };
  }

  map(node: YAMLMap, path: string[]): SopsMap {
    const items: SopsMap['items'] = [];
    pushComments(items, node.commentBefore);
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = this.key(pair, path);
      if (seen.has(key)) throw this.error(path, `duplicate key "${key}"`);
      seen.add(key);
      const keyNode = pair.key as Node | null;
      pushComments(items, keyNode?.commentBefore);
      pushComments(items, keyNode?.comment);
      const valueNode = pair.value as Node | null;
      if (!this.isCollection(valueNode)) {
        pushComments(items, valueNode?.commentBefore);
        pushComments(items, valueNode?.comment);
      }
      items.push({ kind: 'entry', key, value: this.value(valueNode, [...path, key]) });
    }
    pushComments(items, node.comment);
    return { kind: 'map', items };
  }

  list(node: YAMLSeq, path: string[]): SopsValue {
    const items: (SopsValue | SopsComment)[] = [];
    pushComments(items, node.commentBefore);
    for (const item of node.items) {
      const itemNode = item as Node | null;
      if (!this.isCollection(itemNode)) {
        pushComments(items, itemNode?.commentBefore);
        pushComments(items, itemNode?.comment);
      }
      items.push(this.value(itemNode, path));
    }
    pushComments(items, node.comment);
    return { kind: 'list', items };
  }

  value(node: Node | null, path: string[]): SopsValue {
    const lib = yaml();
    if (node === null || node === undefined) return null;
    if (lib.isAlias(node)) return this.value(node.resolve(this.#document) ?? null, path);
    if (lib.isMap(node)) return this.map(node, path);
    if (lib.isSeq(node)) return this.list(node, path);
    if (lib.isScalar(node)) return this.scalar(node, path);
    throw this.error(path, 'unsupported YAML node');
  }

  scalar(node: Scalar, path: string[]): SopsScalar {
    const text =
      typeof node.value === 'string'
        ? node.value
        : String((node.value as string | number | boolean | null | undefined) ?? '');
    const tag = shortTag(node.tag);
    if (tag === '!!str' || tag === '!!binary') return text;
    if (tag === '!!null') return null;
    if (tag && ['!!int', '!!float', '!!bool', '!!timestamp'].includes(tag)) {
      const value = resolvePlainScalar(text);
      if (typeof value === 'string') throw this.error(path, `"${tag}" value is not valid`);
      return value;
    }
    return node.type === 'PLAIN' ? resolvePlainScalar(text) : text;
  }

  key(pair: Pair, path: string[]): string {
    const lib = yaml();
    const node = pair.key as Node | null;
    if (!lib.isScalar(node)) throw this.error(path, 'only string keys are supported (found a complex key)');
    const value = this.scalar(node, path);
    if (typeof value !== 'string') {
      throw this.error(
        path,
        `only string keys are supported (key ${String(node.value)} reads as a ${describeType(value)})`,
      );
    }
    return value;
  }

  isCollection(node: Node | null): boolean {
    const lib = yaml();
    return lib.isMap(node) || lib.isSeq(node);
  }

  error(path: readonly string[], message: string): YamlStoreError {
    const where = path.length > 0 ? ` at ${path.join('.')}` : '';
    return new YamlStoreError('ERR_INPUT_PARSE', `${this.#source}${where}: ${message}`);
  }
}

function describeType(value: SopsScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'boolean';
  return 'timestamp';
}

function shortTag(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** Each comment line is one sops comment; blank lines between comments are not. */
function pushComments(
  items: (SopsValue | SopsComment | SopsMap['items'][number])[],
  text: string | null | undefined,
): void {
  if (!text) return;
  for (const line of text.split('\n')) if (line !== '') items.push(comment(line));
}
