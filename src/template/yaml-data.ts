/**
 * YAML template data, decoded as sigs.k8s.io/yaml decodes into interface{} (what Kubernetes tools do): the
 * document is read with YAML 1.1 rules (yes/no/on/off are booleans, 010 is octal, 0x10 hex), converted to
 * JSON, and the JSON decoded as encoding/json does, so every number is a float64, map keys become strings
 * ("1", "true", "1.5") and timestamps stay strings. This is the one file of src/template that uses a library
 * (the project's `yaml`, loaded on first use); the engine itself needs none.
 */
import { yaml } from '../manifests/yaml.ts';
import { formatFloat } from './go-strconv.ts';
import { byteStringFromText } from '../common/go-utf8.ts';
import { goList, goMap, type GoValue } from './values.ts';

export class YamlDataError extends Error {}

const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

function keyString(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return key;
    case 'number':
      return Number.isInteger(key) ? String(key) : formatFloat(key, 'g', -1);
    case 'boolean':
      return key ? 'true' : 'false';
    case 'bigint':
      return key.toString();
  }
  if (key === null) return 'null';
  throw new YamlDataError(`unsupported map key of type ${typeof key}`);
}

function convert(value: unknown): GoValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return byteStringFromText(value);
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new YamlDataError('infinity and NaN have no JSON form');
      return value;
    case 'bigint':
      return Number(value);
  }
  if (Array.isArray(value)) return goList(value.map(convert));
  if (value instanceof Map) {
    return goMap(
      [...value.entries()].map(([key, item]) => [byteStringFromText(keyString(key)), convert(item)]),
    );
  }
  throw new YamlDataError(`unsupported YAML value of type ${typeof value}`);
}

/** The data a YAML text gives a template (first document only, as sigs.k8s.io/yaml reads one). */
export function goValueFromYaml(text: string): GoValue {
  const document = yaml().parseDocument(text, {
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== TIMESTAMP),
  });
  const [error] = document.errors;
  // The library's messages quote the source around the error; data may be secret, so only say where.
  if (error) throw new YamlDataError(`invalid YAML at line ${error.linePos?.[0].line ?? '?'}: ${error.code}`);
  return convert(document.toJS({ mapAsMap: true, maxAliasCount: 100 }));
}
