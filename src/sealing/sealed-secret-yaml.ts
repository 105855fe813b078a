/**
 * `--merge-into` for YAML files: the new items are written into the existing document, so that comments,
 * key order and everything else a person put in the file survive. Pure: text in, text out.
 */
import type { Document } from 'yaml';
import { yaml } from '../manifests/yaml.ts';
import { CloakError } from '../common/errors.ts';
import { compareGoStrings } from '../common/go-strings.ts';
import { SEALING_KEY_ANNOTATION, type SealedSecret } from './sealed-secret.ts';

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
