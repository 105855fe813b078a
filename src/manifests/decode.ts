import { CloakError } from '../common/errors.ts';
import { jsonErrorOffset } from './json-error.ts';
import { yaml } from './yaml.ts';

export type ManifestObject = Record<string, unknown>;

/**
 * Splits a manifest stream into objects, as kubectl and kubeseal read them: multi-document YAML, or one or
 * more JSON objects one after another. Empty YAML documents are skipped. `source` names the input in errors.
 */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const trimmed = text.trimStart();
  const documents =
    trimmed.startsWith('{') || trimmed.startsWith('[')
      ? parseJsonStream(trimmed, source)
      : parseYamlStream(text, source);
  return documents.map((document, index) =>
    asObject(document, source, documents.length > 1 ? index : undefined),
  );
}

/** A `kind: List` (as `kubectl get -o yaml` prints several objects) is replaced by its items. */
export function expandLists(objects: ManifestObject[], source: string): ManifestObject[] {
  return objects.flatMap((object) => {
    if (object['kind'] !== 'List') return [object];
    const items = object['items'];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items))
      throw new CloakError('ERR_INPUT_PARSE', `${source}: List.items must be a list`);
    return items.map((item: unknown, index) => asObject(item, `${source} (List item ${index})`, undefined));
  });
}

function asObject(document: unknown, source: string, index: number | undefined): ManifestObject {
  if (document !== null && typeof document === 'object' && !Array.isArray(document)) {
    return document as ManifestObject;
  }
  const where = index === undefined ? source : `${source} (document ${index + 1})`;
  throw new CloakError(
    'ERR_INPUT_PARSE',
    `${where}: expected a Kubernetes object, found ${describe(document)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function parseYamlStream(text: string, source: string): unknown[] {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) return [];
  const values: unknown[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new CloakError(
        'ERR_INPUT_PARSE',
        `${source}: invalid YAML at line ${line}, column ${col}: ${withoutSource(error.message)}`,
      );
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    // Empty documents (nothing, only comments, or `---` twice) are skipped, as kubectl skips them.
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** The parser's message without the source text it sometimes quotes ("…token in YAML stream: "hunter2""). */
function withoutSource(message: string): string {
  return (message.split('\n', 1)[0] ?? message).replace(/:\s*".*"$/, '');
}

/** Parses concatenated JSON values (`{...}{...}` or one per line), the way Go's JSON stream decoder does. */
function parseJsonStream(text: string, source: string): unknown[] {
  const values: unknown[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = endOfJsonValue(text, offset);
    const chunk = text.slice(offset, end);
    try {
      values.push(JSON.parse(chunk));
    } catch {
      // JSON.parse's own message quotes the input around the error, which may be a secret value.
      throw new CloakError(
        'ERR_INPUT_PARSE',
        `${source}: invalid JSON ${describeOffset(text, offset + jsonErrorOffset(chunk))}`,
      );
    }
    offset = skipWhitespace(text, end);
  }
  return values;
}

function describeOffset(text: string, offset: number): string {
  if (offset >= text.length) return 'at the end of the input';
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `at line ${line}, column ${column}`;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  return i;
}

/** Index just past the object or array starting at `start`; the whole rest when it never closes. */
function endOfJsonValue(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && !/\s/.test(char ?? '')) {
      // Not an object or array: hand the rest to JSON.parse, which reports what is wrong.
      return text.length;
    }
  }
  return text.length;
}
