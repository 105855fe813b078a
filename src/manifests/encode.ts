import { yaml } from './yaml.ts';

/**
 * JSON as Kubernetes' pretty encoder writes it (Go's `json.MarshalIndent`, two spaces; kubectl -o json uses four): key order is the
 * caller's, and `<`, `>`, `&`, U+2028 and U+2029 are escaped the way Go escapes them, so our output diffs
 * cleanly against files written by kubeseal and kubectl.
 */
export function toGoJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, goEscape);
}

function goEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * YAML as Kubernetes' YAML encoder writes it: keys sorted, lists not indented under their key, strings that a
 * YAML 1.1 reader would take for another type quoted, no line folding, and no anchors or aliases (a value used
 * twice is written twice).
 */
export function toKubeYaml(value: unknown): string {
  return yaml().stringify(value, {
    version: '1.1',
    sortMapEntries: true,
    indentSeq: false,
    lineWidth: 0,
    minContentWidth: 0,
    defaultStringType: 'PLAIN',
    defaultKeyType: 'PLAIN',
    doubleQuotedAsJSON: true,
    nullStr: 'null',
    aliasDuplicateObjects: false,
  });
}

export type OutputFormat = 'json' | 'yaml';

/**
 * One object in the output stream of kubeseal and kubectl: pretty JSON followed by a newline, or a YAML
 * document introduced by `---` so that several objects concatenate into a valid stream.
 */
export function formatObject(value: unknown, format: OutputFormat): string {
  return format === 'json' ? `${toGoJson(value)}\n` : `---\n${toKubeYaml(value)}`;
}

export function formatObjects(values: readonly unknown[], format: OutputFormat): string {
  return values.map((value) => formatObject(value, format)).join('');
}
