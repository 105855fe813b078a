/**
 * Renders the Helm chart in deploy/helm/cloak into plain manifests, without Helm (no Helm binary can be installed
 * on our machines: docs/adr/0013-deployment.md). The templates are executed by Cloak's Go text/template engine
 * (src/template, checked against Go's) with the data Helm gives them (.Values, .Release, .Chart) and the few Helm
 * and sprig functions the chart uses, written here with their Helm semantics: default, quote, toYaml, indent,
 * nindent, join. A template that calls anything else fails to parse, so the chart cannot drift into functions
 * this renderer does not have. Values are read as Helm reads them (YAML 1.1, numbers as float64), overrides are
 * merged as `--set`/`-f` merge them (maps deeply, everything else replaced, null deletes), and Helm's
 * "missingkey=zero" with "<no value>" removed is applied.
 *
 *   node tools/render-chart.ts            writes deploy/manifests/cloak.yaml (the CRD, then every template)
 *   node tools/render-chart.ts --check    exits 1 if that file is not what the chart renders
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toKubeYaml } from '../src/manifests/encode.ts';
import { yaml } from '../src/manifests/yaml.ts';
import {
  byteStringFromText,
  defineFunction,
  FunctionSet,
  GoBytes,
  GoInt,
  GoList,
  GoMap,
  goValueFromJson,
  renderTemplate,
  textFromByteString,
  type GoValue,
} from '../src/template/index.ts';

export const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHART_DIR = join(REPOSITORY, 'deploy/helm/cloak');
export const MANIFESTS_FILE = join(REPOSITORY, 'deploy/manifests/cloak.yaml');

export interface RenderOptions {
  chartDir?: string;
  releaseName?: string;
  /** The release namespace (`helm install -n`). */
  namespace?: string;
  /** Values merged over values.yaml, as `helm install -f` merges a values file. */
  values?: Record<string, unknown>;
  /** Put the chart's crds/ first, as `helm template --include-crds` does. */
  includeCrds?: boolean;
}

export interface RenderedFile {
  /** e.g. cloak/templates/deployment.yaml */
  source: string;
  text: string;
}

/** Each template rendered, in file-name order; files whose output is blank (disabled parts) are left out. */
export function renderChartFiles(options: RenderOptions = {}): RenderedFile[] {
  const chartDir = options.chartDir ?? CHART_DIR;
  const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const chartName = String(chart['name']);
  const values = mergeValues(
    parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) ?? {},
    options.values ?? {},
  );
  const data = goValueFromJson({
    Values: values,
    Release: {
      Name: options.releaseName ?? chartName,
      Namespace: options.namespace ?? 'default',
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1,
    },
    Chart: { Name: chartName, Version: chart['version'], AppVersion: chart['appVersion'] },
  });
  const files: RenderedFile[] = [];
  if (options.includeCrds) {
    for (const name of yamlFiles(join(chartDir, 'crds'))) {
      files.push({
        source: `${chartName}/crds/${name}`,
        text: readFileSync(join(chartDir, 'crds', name), 'utf8'),
      });
    }
  }
  for (const name of yamlFiles(join(chartDir, 'templates'))) {
    if (name.startsWith('_')) continue; // partials, as Helm skips them
    const source = `${chartName}/templates/${name}`;
    const bytes = renderTemplate(
      { name: source, text: readFileSync(join(chartDir, 'templates', name)), functions: HELM_FUNCTIONS },
      data,
      { missingKey: 'zero', revealValuesInErrors: true },
    );
    const text = Buffer.from(bytes).toString('utf8').replaceAll('<no value>', '');
    if (text.trim() !== '') files.push({ source, text });
  }
  return files;
}

/**
 * The chart as one manifest stream, as `helm template` prints it: CRDs first, then every document sorted by
 * Helm's install order of kinds (stable within a kind), each with a `# Source:` line.
 */
export function renderChart(options: RenderOptions = {}): string {
  const documents = renderChartFiles(options).flatMap(({ source, text }) =>
    text
      .split(/^---[ \t]*$/m)
      .map((document) => document.replace(/^\s*\n/, '').trimEnd())
      .filter((document) => document.replace(/^#.*$/gm, '').trim() !== '')
      .map((document) => ({ source, document, order: installOrder(source, document) })),
  );
  return documents
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => a.order - b.order || a.index - b.index)
    .map(({ source, document }) => `---\n# Source: ${source}\n${document}\n`)
    .join('');
}

/** Helm's InstallOrder: the order in which it creates kinds (unknown kinds last). */
const INSTALL_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

function installOrder(source: string, document: string): number {
  if (source.includes('/crds/')) return -1;
  const kind = /^kind:[ \t]*(\S+)/m.exec(document)?.[1] ?? '';
  const index = INSTALL_ORDER.indexOf(kind);
  return index === -1 ? INSTALL_ORDER.length : index;
}

/** What deploy/manifests/cloak.yaml holds: the chart rendered with its defaults into kube-system. */
export function renderPlainManifests(): string {
  const header =
    '# Cloak operator: plain manifests, rendered from deploy/helm/cloak with its default values by\n' +
    '# `node tools/render-chart.ts` (do not edit by hand). Apply with: kubectl apply -f cloak.yaml\n';
  return header + renderChart({ releaseName: 'cloak', namespace: 'kube-system', includeCrds: true });
}

function yamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => /\.ya?ml$/.test(name)).sort();
}

function parseYaml(text: string): unknown {
  return yaml().parse(text, { version: '1.1' }) as unknown;
}

/** Helm's coalescing of values: maps merge key by key, anything else replaces, null removes the key. */
export function mergeValues(base: unknown, override: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  if (!isPlainObject(override)) return result;
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete result[key];
    else if (isPlainObject(value) && isPlainObject(result[key]))
      result[key] = mergeValues(result[key], value);
    else result[key] = value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// The Helm and sprig functions the chart may use, with their Helm semantics.

/** A template value as plain data (what Helm's toYaml marshals). */
function plain(value: GoValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return textFromByteString(value);
  if (value instanceof GoInt) return Number(value.value);
  if (value instanceof GoBytes) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof GoList) return value.items.map(plain);
  if (value instanceof GoMap)
    return Object.fromEntries(
      value.sortedKeys().map((key) => [textFromByteString(key), plain(value.entries.get(key) ?? null)]),
    );
  throw new Error(`toYaml: cannot marshal a ${value.type}`);
}

/** sprig's empty: nil, false, 0, "" and empty collections. */
function isEmpty(value: GoValue): boolean {
  if (value === null || value === false || value === 0 || value === '') return true;
  if (value instanceof GoInt) return value.value === 0n;
  if (value instanceof GoList) return value.items.length === 0;
  if (value instanceof GoMap) return value.entries.size === 0;
  if (value instanceof GoBytes) return value.bytes.length === 0;
  return false;
}

/** fmt's %v of the simple values the chart passes to quote and join. */
function text(value: GoValue): string {
  if (typeof value === 'string') return textFromByteString(value);
  if (value instanceof GoInt) return value.value.toString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`expected a string, a number or a bool, got a ${value === null ? 'nil' : value.type}`);
}

function indentLines(spaces: number, input: string): string {
  const pad = ' '.repeat(spaces);
  return pad + input.replaceAll('\n', `\n${pad}`);
}

const HELM_FUNCTIONS = new FunctionSet('helm-chart', [
  defineFunction({
    name: 'default',
    params: ['interface {}', 'interface {}'],
    variadic: true,
    result: 'interface {}',
    call: ([fallback = null, given = null]) => (isEmpty(given) ? fallback : given),
  }),
  defineFunction({
    name: 'quote',
    params: ['interface {}'],
    variadic: true,
    result: 'string',
    call: (args) =>
      byteStringFromText(
        args
          .filter((arg) => arg !== null)
          .map((arg) => JSON.stringify(text(arg)))
          .join(' '),
      ),
  }),
  defineFunction({
    name: 'toYaml',
    params: ['interface {}'],
    result: 'string',
    // sigs.k8s.io/yaml's Marshal (sorted keys), without the final newline, as Helm's toYaml.
    call: ([value = null]) => byteStringFromText(toKubeYaml(plain(value)).replace(/\n$/, '')),
  }),
  defineFunction({
    name: 'indent',
    params: ['int', 'string'],
    result: 'string',
    call: ([spaces, input]) =>
      byteStringFromText(indentLines(Number((spaces as GoInt).value), textFromByteString(input as string))),
  }),
  defineFunction({
    name: 'nindent',
    params: ['int', 'string'],
    result: 'string',
    call: ([spaces, input]) =>
      byteStringFromText(
        `\n${indentLines(Number((spaces as GoInt).value), textFromByteString(input as string))}`,
      ),
  }),
  defineFunction({
    name: 'join',
    params: ['string', 'interface {}'],
    result: 'string',
    call: ([separator, list = null]) => {
      const items = list instanceof GoList ? list.items : list === null ? [] : [list];
      return byteStringFromText(items.map(text).join(textFromByteString(separator as string)));
    },
  }),
]);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rendered = renderPlainManifests();
  if (process.argv.includes('--check')) {
    const current = readFileSync(MANIFESTS_FILE, 'utf8');
    if (current !== rendered) {
      process.stderr.write(
        'deploy/manifests/cloak.yaml is not what the chart renders: run node tools/render-chart.ts\n',
      );
      process.exitCode = 1;
    }
  } else {
    writeFileSync(MANIFESTS_FILE, rendered);
  }
}
