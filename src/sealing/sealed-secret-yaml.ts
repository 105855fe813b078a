/**
 * `--merge-into` for YAML files: the new items are written into the existing document, so that comments,
 * key order and everything else a person put in the file survive. Pure: text in, text out.
 */
import type { CST, Document } from 'yaml';
import { yaml } from '../manifests/yaml.ts';
import { parseManifests } from '../manifests/decode.ts';
import { toGoJson } from '../manifests/encode.ts';
import { CloakError } from '../common/errors.ts';
import { compareGoStrings } from '../common/go-strings.ts';
import {
  readSealedSecret,
  SEALED_SECRET_API_VERSION,
  SEALED_SECRET_KIND,
  SEALING_KEY_ANNOTATION,
  type SealedSecret,
} from './sealed-secret.ts';

export function mergeIntoYaml(text: string, update: SealedSecret, source: string): string {
  const documents = yaml().parseAllDocuments(text);
  if (!Array.isArray(documents)) throw new CloakError('ERR_INPUT_PARSE', `${source}: no SealedSecret found`);
  const nonEmpty = documents.filter((document) => document.contents !== null);
  if (nonEmpty.length !== 1) {
    throw new CloakError(
      'ERR_INPUT_PARSE',
      `${source}: expected exactly one SealedSecret, found ${nonEmpty.length} documents`,
    );
  }
  const document = nonEmpty[0] as Document.Parsed;
  const template = update.spec.template ?? {};
  setAll(document, ['spec', 'encryptedData'], update.spec.encryptedData);
  sortMapAt(document, ['spec', 'encryptedData']);
  setAll(document, ['spec', 'template', 'metadata', 'annotations'], template.metadata?.annotations ?? {});
  setAll(document, ['spec', 'template', 'metadata', 'labels'], template.metadata?.labels ?? {});
  setAll(document, ['spec', 'template', 'data'], template.data ?? {});
  const hint = update.metadata.annotations?.[SEALING_KEY_ANNOTATION];
  if (hint) setAll(document, ['metadata', 'annotations'], { [SEALING_KEY_ANNOTATION]: hint });
  return document.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: false });
}

function setAll(document: Document.Parsed, path: string[], entries: Record<string, unknown>): void {
  const keys = Object.keys(entries);
  if (keys.length === 0) return;
  for (const key of keys) document.setIn([...path, key], entries[key]);
}

/** kubeseal writes encryptedData sorted; keep it so after adding items. Comments move with their items. */
function sortMapAt(document: Document.Parsed, path: string[]): void {
  const map = document.getIn(path, true);
  if (yaml().isMap(map)) map.items.sort((a, b) => compareGoStrings(scalarText(a.key), scalarText(b.key)));
}

function scalarText(node: unknown): string {
  return yaml().isScalar(node) ? String(node.value) : String(node);
}

// ---------------------------------------------------------------------------------------------------------
// Re-sealing files in place (`cloak reseal`): find the SealedSecrets of a manifest file, then replace their
// sealed values, and nothing else, in the file's own text.

/** One SealedSecret of a file: its position among the file's documents, and the object read from it. */
export interface FoundSealedSecret {
  document: number;
  sealed: SealedSecret;
  where: string;
}

/** New sealed values for the SealedSecret in document `document`; items not named keep theirs. */
export interface SealedValuesUpdate {
  document: number;
  encryptedData: Record<string, string>;
  /** A new `spec.data` (the deprecated v1 format). */
  data?: string;
  /** The key hint (cloak.dev/sealing-key) to record. */
  hint?: string;
}

interface ParsedFile {
  format: 'yaml' | 'json';
  /** Each document's value; null for empty YAML documents. */
  values: unknown[];
  /** YAML only: the composed documents (with their source tokens) and the token stream they came from. */
  yaml?: { documents: Document.Parsed[]; tokens: CST.Token[] };
}

function parseFile(text: string, source: string): ParsedFile {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return { format: 'json', values: parseManifests(text, source) };
  }
  const { Composer, LineCounter, Parser } = yaml();
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const documents = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      throw new CloakError('ERR_INPUT_PARSE', `${source}: invalid YAML at line ${line}, column ${col}`);
    }
  }
  return {
    format: 'yaml',
    values: documents.map((document) => document.toJS({ maxAliasCount: 100 }) as unknown),
    yaml: { documents, tokens },
  };
}

function isSealedSecretObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as Record<string, unknown>)['kind'] === SEALED_SECRET_KIND &&
    (value as Record<string, unknown>)['apiVersion'] === SEALED_SECRET_API_VERSION
  );
}

/**
 * The SealedSecrets of a manifest file (YAML documents or a JSON stream); other documents are not looked at
 * beyond their kind. Throws a CloakError when the file does not parse or a SealedSecret in it is malformed.
 */
export function findSealedSecrets(text: string, source: string): FoundSealedSecret[] {
  const { values } = parseFile(text, source);
  const count = values.filter((value) => value !== null && value !== undefined).length;
  const found: FoundSealedSecret[] = [];
  values.forEach((value, document) => {
    if (!isSealedSecretObject(value)) return;
    const where = count > 1 ? `${source} (document ${document + 1})` : source;
    found.push({ document, sealed: readSealedSecret(value, where), where });
  });
  return found;
}

/**
 * `text` with the updates applied in place. In YAML only the changed scalars are rewritten (each keeps its
 * quoting; a block scalar becomes a plain one): comments, key order, indentation and every other document stay
 * byte for byte. A key hint is replaced where there is one, and otherwise added as the first annotation when
 * metadata (and its annotations, if present) are block maps; elsewhere it is left out (it only speeds up
 * unsealing). JSON streams are written again in Go's indented form with their own key order.
 */
export function replaceSealedValues(
  text: string,
  source: string,
  updates: readonly SealedValuesUpdate[],
): string {
  if (updates.length === 0) return text;
  const parsed = parseFile(text, source);
  if (parsed.format === 'json') return replaceInJson(text, parsed.values, updates);
  // First the hints that need a new line (plain text insertions, from the end so offsets hold), then the values.
  const withHints = insertMissingHints(text, parsed, updates);
  const reparsed = withHints === text ? parsed : parseFile(withHints, source);
  const { documents, tokens } = reparsed.yaml!;
  const { CST } = yaml();
  for (const update of updates) {
    const document = documents[update.document];
    if (!document) throw new CloakError('ERR_RESEAL', `${source}: no document ${update.document + 1}`);
    const edits: [string[], string][] = Object.entries(update.encryptedData).map(([item, value]) => [
      ['spec', 'encryptedData', item],
      value,
    ]);
    if (update.data !== undefined) edits.push([['spec', 'data'], update.data]);
    if (update.hint !== undefined) {
      const existing = document.getIn(['metadata', 'annotations', SEALING_KEY_ANNOTATION], true);
      if (yaml().isScalar(existing))
        edits.push([['metadata', 'annotations', SEALING_KEY_ANNOTATION], update.hint]);
    }
    for (const [path, value] of edits) {
      const node = document.getIn(path, true);
      if (!yaml().isScalar(node) || !node.srcToken)
        throw new CloakError(
          'ERR_RESEAL',
          `${source}: ${path.join('.')} is not a value that can be replaced`,
        );
      const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      CST.setScalarValue(node.srcToken, value, block ? { afterKey: true, type: 'PLAIN' } : undefined);
    }
  }
  return tokens.map((token) => CST.stringify(token)).join('');
}

/** Adds `cloak.dev/sealing-key: <hint>` lines where an update has a hint and the document has none yet. */
function insertMissingHints(
  text: string,
  parsed: ParsedFile,
  updates: readonly SealedValuesUpdate[],
): string {
  const { isMap, isScalar } = yaml();
  const insertions: { at: number; line: string }[] = [];
  for (const update of updates) {
    const document = parsed.yaml?.documents[update.document];
    if (!document || update.hint === undefined) continue;
    if (isScalar(document.getIn(['metadata', 'annotations', SEALING_KEY_ANNOTATION], true))) continue;
    const metadata = document.getIn(['metadata'], true);
    if (!isMap(metadata) || metadata.flow || metadata.items.length === 0) continue;
    const annotations = document.getIn(['metadata', 'annotations'], true);
    const entry = `${SEALING_KEY_ANNOTATION}: ${update.hint}`;
    if (isMap(annotations)) {
      if (annotations.flow || annotations.items.length === 0) continue;
      const start = lineStartOfKey(text, annotations.items[0]?.key);
      if (start) insertions.push({ at: start.offset, line: `${' '.repeat(start.indent)}${entry}\n` });
    } else if (annotations === undefined) {
      const start = lineStartOfKey(text, metadata.items[0]?.key);
      if (!start) continue;
      const step = start.indent > 0 ? start.indent : 2;
      const pad = ' '.repeat(start.indent);
      insertions.push({ at: start.offset, line: `${pad}annotations:\n${pad}${' '.repeat(step)}${entry}\n` });
    }
  }
  let result = text;
  for (const { at, line } of insertions.sort((a, b) => b.at - a.at))
    result = result.slice(0, at) + line + result.slice(at);
  return result;
}

/** Where the line of a block map's key starts, and the key's indentation; undefined unless the key begins its line. */
function lineStartOfKey(text: string, key: unknown): { offset: number; indent: number } | undefined {
  const range = (key as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return undefined;
  const offset = text.lastIndexOf('\n', range[0] - 1) + 1;
  const before = text.slice(offset, range[0]);
  return /^ *$/.test(before) ? { offset, indent: before.length } : undefined;
}

function replaceInJson(text: string, values: unknown[], updates: readonly SealedValuesUpdate[]): string {
  const indent = /\n( +)"/.exec(text)?.[1]?.length ?? 2;
  for (const update of updates) {
    const object = values[update.document] as {
      metadata?: { annotations?: Record<string, string> };
      spec: { encryptedData?: Record<string, string>; data?: string };
    };
    for (const [item, value] of Object.entries(update.encryptedData)) {
      object.spec.encryptedData ??= {};
      object.spec.encryptedData[item] = value;
    }
    if (update.data !== undefined) object.spec.data = update.data;
    if (update.hint !== undefined) {
      object.metadata ??= {};
      object.metadata.annotations = { ...object.metadata.annotations, [SEALING_KEY_ANNOTATION]: update.hint };
    }
  }
  return values.map((value) => `${toGoJson(value, indent)}\n`).join('');
}
