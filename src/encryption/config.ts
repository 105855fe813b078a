/**
 * The EncryptionConfiguration file (`--encryption-provider-config`, apiserver.config.k8s.io/v1) read as
 * kube-apiserver 1.32 reads it: strict decoding (unknown and duplicate fields are errors), the v1 defaults
 * (KMS apiVersion v1, timeout 3s, cachesize 1000 for v1 only), `ValidateEncryptionConfiguration`'s rules and
 * messages, then the "masked by earlier rule" check made while building the transformers. Pure: text in, a
 * typed configuration (keys decoded, wrapped so that they never print) out.
 */
import { parseGoDuration } from '../common/duration.ts';
import { decodeStdBase64 } from '../manifests/base64.ts';
import { yaml } from '../manifests/yaml.ts';
import { EncryptionConfigError } from './errors.ts';
import { KeyMaterial } from './key-material.ts';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_CONFIG_KIND = 'EncryptionConfiguration';

export const AES_KEY_SIZES: readonly number[] = [16, 24, 32];
export const SECRETBOX_KEY_SIZES: readonly number[] = [32];
export const KMS_DEFAULT_TIMEOUT_MS = 3000;
export const KMS_V1_DEFAULT_CACHE_SIZE = 1000;

export interface EncryptionConfiguration {
  resources: ResourceConfiguration[];
}

export interface ResourceConfiguration {
  /** As written: `secrets`, `deployments.apps`, `*.apps`, `*.` (the core group), `*.*`. */
  resources: string[];
  /** Non-empty; the first one writes, every one may read. */
  providers: ProviderConfiguration[];
}

export type ProviderConfiguration = IdentityProviderConfig | KeyedProviderConfig | KmsProviderConfig;

export interface IdentityProviderConfig {
  type: 'identity';
}

export interface KeyedProviderConfig {
  type: 'aescbc' | 'aesgcm' | 'secretbox';
  /** Non-empty, names unique; the first key writes. */
  keys: EncryptionKey[];
}

export interface EncryptionKey {
  name: string;
  secret: KeyMaterial;
}

export interface KmsProviderConfig {
  type: 'kms';
  apiVersion: 'v1' | 'v2';
  name: string;
  /** `unix:///path/to.sock`, as written. */
  endpoint: string;
  /** The socket the endpoint names (kms/pkg/util ParseEndpoint): a path, or `@name` for an abstract socket. */
  socketPath: string;
  timeoutMs: number;
  /** KMS v1 only: decrypted DEKs kept (default 1000; negative turns the cache off). */
  cacheSize: number | undefined;
}

export interface GroupResource {
  /** `""` for the core group, `*` for every group. */
  group: string;
  /** `*` for every resource of the group. */
  resource: string;
}

export interface ConfigOptions {
  /** Names the input in errors (a file path). */
  source?: string | undefined;
  /** `--encryption-provider-config-automatic-reload`: KMS v1 names must then be unique too. */
  reload?: boolean | undefined;
}

/** `schema.ParseGroupResource`: `deployments.apps` → {apps, deployments}; no dot → the core group. */
export function parseGroupResource(text: string): GroupResource {
  const dot = text.indexOf('.');
  return dot === -1
    ? { group: '', resource: text }
    : { group: text.slice(dot + 1), resource: text.slice(0, dot) };
}

/** How kube prints a resource in the "masked" error: `*.` for the core group's wildcard. */
export function groupResourceString({ group, resource }: GroupResource): string {
  if (group === '' && resource === '*') return '*.';
  return group === '' ? resource : `${resource}.${group}`;
}

/** Parses YAML or JSON text (one document) and validates it. */
export function parseEncryptionConfiguration(
  text: string,
  options: ConfigOptions = {},
): EncryptionConfiguration {
  const source = options.source ?? 'EncryptionConfiguration';
  return validateEncryptionConfiguration(parseDocument(text, source), options);
}

/** Validates an already-parsed document (the JSON/YAML object). */
export function validateEncryptionConfiguration(
  document: unknown,
  options: ConfigOptions = {},
): EncryptionConfiguration {
  const source = options.source ?? 'EncryptionConfiguration';
  const decoder = new Decoder();
  const raw = decodeConfig(document, decoder);
  if (decoder.errors.length > 0 || raw === undefined) throw new EncryptionConfigError(source, decoder.errors);
  const errors: string[] = [];
  const config = validate(raw, errors, options.reload === true);
  if (errors.length > 0) throw new EncryptionConfigError(source, errors);
  const masked = maskingError(config);
  if (masked !== undefined) throw new EncryptionConfigError(source, [masked]);
  return config;
}

// Text → one document.

function parseDocument(text: string, source: string): unknown {
  if (text.trim() === '') throw new EncryptionConfigError(source, ['the file is empty']);
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  // YAML 1.1 and unique keys, as sigs.k8s.io/yaml and the strict decoder read the file.
  const documents = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.1',
  });
  if (!Array.isArray(documents)) return undefined;
  const values: unknown[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      // The parser's message may quote the source, which may hold a key: only its first words are kept.
      const what = (error.message.split('\n', 1)[0] ?? '').replace(/[:"].*$/, '').trim();
      throw new EncryptionConfigError(source, [
        `invalid YAML at line ${line}, column ${col}: ${what ? `${what} (${error.code})` : error.code}`,
      ]);
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) values.push(value);
  }
  if (values.length === 0) throw new EncryptionConfigError(source, ['the file is empty']);
  if (values.length > 1) {
    throw new EncryptionConfigError(source, [`expected one document, found ${values.length}`]);
  }
  return values[0];
}

// Strict decoding into the v1 types: structure and field types only.

interface RawKey {
  name: string;
  secret: string;
}
interface RawKms {
  apiVersion: string;
  name: string;
  endpoint: string;
  cachesize: number | undefined;
  timeout: string | undefined;
}
interface RawProvider {
  aesgcm?: RawKey[] | undefined;
  aescbc?: RawKey[] | undefined;
  secretbox?: RawKey[] | undefined;
  identity?: true | undefined;
  kms?: RawKms | undefined;
  /** Provider fields written with no value (`identity:`), which decode as absent. */
  nulls: string[];
}
interface RawResource {
  resources: string[];
  providers: RawProvider[];
}
interface RawConfig {
  resources: RawResource[];
}

class Decoder {
  readonly errors: string[] = [];

  error(path: string, message: string): void {
    this.errors.push(path === '' ? message : `${path}: ${message}`);
  }

  /** A mapping with only `allowed` fields; undefined (and an error) otherwise. */
  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.error(path, `must be an object, found ${describe(value)}`);
      return undefined;
    }
    const record = value as Record<string, unknown>;
    for (const field of Object.keys(record)) {
      if (!allowed.includes(field)) this.error(path, `unknown field ${JSON.stringify(field)}`);
    }
    return record;
  }

  list(value: unknown, path: string): unknown[] {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error(path, `must be a list, found ${describe(value)}`);
      return [];
    }
    return value as unknown[];
  }

  string(value: unknown, path: string): string {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'string') {
      this.error(path, `must be a string, found ${describe(value)}`);
      return '';
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return 'a number';
  return `a ${typeof value}`;
}

function decodeConfig(document: unknown, decoder: Decoder): RawConfig | undefined {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    decoder.error('', `expected an ${ENCRYPTION_CONFIG_KIND} object, found ${describe(document)}`);
    return undefined;
  }
  const top = document as Record<string, unknown>;
  const apiVersion = top['apiVersion'];
  const kind = top['kind'];
  if (kind === 'EncryptionConfig') {
    // The pre-1.13 format (apiVersion v1, kind EncryptionConfig): kube-apiserver 1.13 and later refuse it.
    decoder.error(
      '',
      `kind EncryptionConfig is the pre-1.13 format, which kube-apiserver no longer reads: use apiVersion ${ENCRYPTION_CONFIG_API_VERSION} and kind ${ENCRYPTION_CONFIG_KIND}`,
    );
    return undefined;
  }
  if (apiVersion !== ENCRYPTION_CONFIG_API_VERSION || kind !== ENCRYPTION_CONFIG_KIND) {
    const found =
      typeof apiVersion === 'string' || typeof kind === 'string'
        ? ` (found apiVersion ${JSON.stringify(apiVersion ?? '')}, kind ${JSON.stringify(kind ?? '')})`
        : '';
    decoder.error(
      '',
      `expected apiVersion ${ENCRYPTION_CONFIG_API_VERSION} and kind ${ENCRYPTION_CONFIG_KIND}${found}`,
    );
    return undefined;
  }
  decoder.object(top, '', ['apiVersion', 'kind', 'resources']);
  const resources = decoder.list(top['resources'], 'resources').map((entry, i) => {
    const path = `resources[${i}]`;
    const record = decoder.object(entry, path, ['resources', 'providers']) ?? {};
    return {
      resources: decoder
        .list(record['resources'], `${path}.resources`)
        .map((name, j) => decoder.string(name, `${path}.resources[${j}]`)),
      providers: decoder
        .list(record['providers'], `${path}.providers`)
        .map((provider, j) => decodeProvider(provider, `${path}.providers[${j}]`, decoder)),
    };
  });
  return { resources };
}

function decodeProvider(value: unknown, path: string, decoder: Decoder): RawProvider {
  const record = decoder.object(value, path, ['aesgcm', 'aescbc', 'secretbox', 'identity', 'kms']) ?? {};
  const provider: RawProvider = { nulls: [] };
  for (const type of ['aesgcm', 'aescbc', 'secretbox'] as const) {
    const config = record[type];
    if (config === undefined) continue;
    if (config === null) {
      provider.nulls.push(type);
      continue;
    }
    const fields = decoder.object(config, `${path}.${type}`, ['keys']) ?? {};
    provider[type] = decoder.list(fields['keys'], `${path}.${type}.keys`).map((key, k) => {
      const keyPath = `${path}.${type}.keys[${k}]`;
      const keyFields = decoder.object(key, keyPath, ['name', 'secret']) ?? {};
      return {
        name: decoder.string(keyFields['name'], `${keyPath}.name`),
        secret: decoder.string(keyFields['secret'], `${keyPath}.secret`),
      };
    });
  }
  if (record['identity'] === null) provider.nulls.push('identity');
  else if (record['identity'] !== undefined) {
    decoder.object(record['identity'], `${path}.identity`, []);
    provider.identity = true;
  }
  if (record['kms'] === null) provider.nulls.push('kms');
  else if (record['kms'] !== undefined) provider.kms = decodeKms(record['kms'], `${path}.kms`, decoder);
  return provider;
}

function decodeKms(value: unknown, path: string, decoder: Decoder): RawKms {
  const fields =
    decoder.object(value, path, ['apiVersion', 'name', 'endpoint', 'cachesize', 'timeout']) ?? {};
  let cachesize: number | undefined;
  const size = fields['cachesize'];
  if (size !== undefined && size !== null) {
    const number = typeof size === 'bigint' ? Number(size) : size;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < -(2 ** 31) || number >= 2 ** 31) {
      decoder.error(`${path}.cachesize`, 'must be a 32-bit integer');
    } else cachesize = number;
  }
  const timeout = fields['timeout'];
  if (timeout !== undefined && timeout !== null && typeof timeout !== 'string') {
    decoder.error(`${path}.timeout`, `must be a duration string such as "3s", found ${describe(timeout)}`);
  }
  return {
    apiVersion: decoder.string(fields['apiVersion'], `${path}.apiVersion`),
    name: decoder.string(fields['name'], `${path}.name`),
    endpoint: decoder.string(fields['endpoint'], `${path}.endpoint`),
    cachesize,
    timeout: typeof timeout === 'string' ? timeout : undefined,
  };
}

// Defaults and ValidateEncryptionConfiguration (pkg/apis/apiserver/validation/validation_encryption.go).

const NON_REST_RESOURCES = new Set(['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations']);
const ANY = '*';

function validate(raw: RawConfig, errors: string[], reload: boolean): EncryptionConfiguration {
  if (raw.resources.length === 0) {
    errors.push('resources: Required value: at least one resources is required');
  }
  const kmsNames = new Set<string>();
  const resources = raw.resources.map((entry, i): ResourceConfiguration => {
    const path = `resources[${i}]`;
    if (entry.resources.length === 0) {
      errors.push(`${path}.resources: Required value: at least one ${path}.resources is required`);
    }
    validateResourceOverlap(entry.resources, `${path}.resources`, errors);
    validateResourceNames(entry.resources, `${path}.resources`, errors);
    if (entry.providers.length === 0) {
      errors.push(`${path}.providers: Required value: at least one ${path}.providers is required`);
    }
    const providers = entry.providers.flatMap((provider, j) => {
      const validated = validateProvider(provider, `${path}.providers[${j}]`, kmsNames, reload, errors);
      return validated ? [validated] : [];
    });
    return { resources: entry.resources, providers };
  });
  return { resources };
}

function validateResourceOverlap(resources: readonly string[], path: string, errors: string[]): void {
  if (resources.length < 2) return;
  const parsed = resources.map(parseGroupResource);
  let duplicate = false;
  let overlap = false;
  parsed.forEach((r1, i) => {
    parsed.forEach((r2, j) => {
      if (i === j) return;
      if (r1.group === r2.group && r1.resource === r2.resource) {
        duplicate = true;
        return;
      }
      if (overlap) return;
      if (r1.group === ANY && r1.resource === ANY) overlap = true;
      else if (r1.group === r2.group && (r1.resource === ANY || r2.resource === ANY)) overlap = true;
    });
  });
  const value = JSON.stringify(resources);
  if (duplicate) {
    errors.push(`${path}: Invalid value: ${value}: the same resource cannot be specified multiple times`);
  }
  if (overlap) {
    errors.push(
      `${path}: Invalid value: ${value}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`,
    );
  }
}

function validateResourceNames(resources: readonly string[], path: string, errors: string[]): void {
  resources.forEach((resource, j) => {
    const invalid = (message: string): void => {
      errors.push(`${path}[${j}]: Invalid value: ${JSON.stringify(resource)}: ${message}`);
    };
    if (resource.toLowerCase() !== resource)
      return invalid('resource name should not contain capital letters');
    if (resource === ANY) {
      return invalid(
        "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources",
      );
    }
    if (NON_REST_RESOURCES.has(resource)) {
      return invalid('resources which do not have REST API/s cannot be encrypted');
    }
    const { group, resource: name } = parseGroupResource(resource);
    if (group === 'events.k8s.io') {
      return invalid(
        "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file",
      );
    }
    if (group === 'extensions') {
      return invalid("'extensions' group has been removed and cannot be used for encryption");
    }
    if (group === ANY && name !== ANY) {
      return invalid('encrypting the same resource across groups is not supported');
    }
  });
}

function validateProvider(
  provider: RawProvider,
  path: string,
  kmsNames: Set<string>,
  reload: boolean,
  errors: string[],
): ProviderConfiguration | undefined {
  const present = (['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'] as const).filter(
    (type) => provider[type] !== undefined,
  );
  if (present.length === 0) {
    const hint =
      provider.nulls.length > 0
        ? ` (${provider.nulls.map((type) => `${type}: has no value`).join(', ')}; write for example identity: {})`
        : '';
    errors.push(
      `${path}: Invalid value: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity${hint}`,
    );
    return undefined;
  }
  if (present.length > 1) {
    errors.push(
      `${path}: Invalid value: more than one provider specified in a single element (${present.join(', ')}), should split into different list elements`,
    );
    return undefined;
  }
  if (provider.kms) return validateKms(provider.kms, `${path}.kms`, kmsNames, reload, errors);
  if (provider.identity) return { type: 'identity' };
  for (const type of ['aesgcm', 'aescbc', 'secretbox'] as const) {
    const keys = provider[type];
    if (keys === undefined) continue;
    const sizes = type === 'secretbox' ? SECRETBOX_KEY_SIZES : AES_KEY_SIZES;
    return { type, keys: validateKeys(keys, `${path}.${type}.keys`, sizes, errors) };
  }
  return undefined;
}

function validateKeys(
  keys: readonly RawKey[],
  path: string,
  sizes: readonly number[],
  errors: string[],
): EncryptionKey[] {
  if (keys.length === 0) {
    errors.push(`${path}: Required value: at least one keys is required`);
    return [];
  }
  const names = new Set<string>();
  return keys.flatMap((key, i) => {
    const keyPath = `${path}[${i}]`;
    if (key.name === '') errors.push(`${keyPath}.name: Required value: name is a mandatory field for a key`);
    else if (names.has(key.name)) {
      // Stricter than kube-apiserver, which accepts two keys of one name and tries both on read: the second
      // can never be chosen by its name, so the configuration is almost certainly a mistake.
      errors.push(
        `${keyPath}.name: Duplicate value: ${JSON.stringify(key.name)}: key names must be unique within a provider`,
      );
    }
    names.add(key.name);
    if (key.secret === '') {
      errors.push(`${keyPath}.secret: Required value: secret is a mandatory field for a key`);
      return [];
    }
    let secret: Buffer;
    try {
      secret = decodeStdBase64(key.secret);
    } catch {
      errors.push(`${keyPath}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
      return [];
    }
    if (!sizes.includes(secret.length)) {
      errors.push(
        `${keyPath}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${secret.length}, expected one of [${sizes.join(' ')}]`,
      );
      secret.fill(0);
      return [];
    }
    const material = new KeyMaterial(secret);
    secret.fill(0);
    return [{ name: key.name, secret: material }];
  });
}

function validateKms(
  raw: RawKms,
  path: string,
  kmsNames: Set<string>,
  reload: boolean,
  errors: string[],
): KmsProviderConfig | undefined {
  const before = errors.length;
  // Defaults (apiserver/v1 defaults.go): apiVersion v1, timeout 3s, cachesize 1000 for v1 only.
  const apiVersion = raw.apiVersion === '' ? 'v1' : raw.apiVersion;
  const cacheSize = raw.cachesize ?? (apiVersion === 'v1' ? KMS_V1_DEFAULT_CACHE_SIZE : undefined);

  if (raw.name === '') errors.push(`${path}.name: Required value: name is a mandatory field for a provider`);
  if (apiVersion !== 'v1' && raw.name.includes(':')) {
    errors.push(
      `${path}.name: Invalid value: ${JSON.stringify(raw.name)}: invalid KMS provider name ${raw.name}, must not contain ':'`,
    );
  }
  if ((reload || apiVersion !== 'v1') && kmsNames.has(raw.name)) {
    errors.push(
      `${path}.name: Invalid value: ${JSON.stringify(raw.name)}: duplicate KMS provider name ${raw.name}, names must be unique`,
    );
  }
  kmsNames.add(raw.name);

  let timeoutMs = KMS_DEFAULT_TIMEOUT_MS;
  if (raw.timeout !== undefined) {
    try {
      timeoutMs = parseGoDuration(raw.timeout, 'timeout');
    } catch {
      errors.push(
        `${path}.timeout: Invalid value: ${JSON.stringify(raw.timeout)}: not a duration (use for example 3s or 500ms)`,
      );
    }
  }
  if (!(timeoutMs > 0)) {
    errors.push(
      `${path}.timeout: Invalid value: ${JSON.stringify(raw.timeout)}: timeout should be a positive value`,
    );
  }

  const socketPath = validateEndpoint(raw.endpoint, `${path}.endpoint`, errors);

  if (apiVersion !== 'v1' && raw.cachesize !== undefined) {
    errors.push(`${path}.cachesize: Invalid value: ${raw.cachesize}: cachesize is not supported in v2`);
  }
  if (apiVersion === 'v1' && cacheSize === 0) {
    errors.push(
      `${path}.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable`,
    );
  }
  if (apiVersion !== 'v1' && apiVersion !== 'v2') {
    errors.push(
      `${path}.apiVersion: Invalid value: ${JSON.stringify(apiVersion)}: unsupported apiVersion for KMS provider, only v1 and v2 are supported`,
    );
  }
  if (errors.length > before || (apiVersion !== 'v1' && apiVersion !== 'v2')) return undefined;
  return {
    type: 'kms',
    apiVersion,
    name: raw.name,
    endpoint: raw.endpoint,
    socketPath: socketPath ?? '',
    timeoutMs,
    cacheSize: apiVersion === 'v1' ? cacheSize : undefined,
  };
}

/** `validateKMSEndpoint`: a URL whose scheme (case-insensitive, as Go's url.Parse lowercases it) is unix. */
function validateEndpoint(endpoint: string, path: string, errors: string[]): string | undefined {
  if (endpoint === '') {
    errors.push(`${path}: Invalid value: "": endpoint is a mandatory field for a kms`);
    return undefined;
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(endpoint)?.[1]?.toLowerCase() ?? '';
  if (scheme !== 'unix') {
    errors.push(
      `${path}: Invalid value: ${JSON.stringify(endpoint)}: unsupported scheme ${JSON.stringify(scheme)} for KMS provider, only unix is supported`,
    );
    return undefined;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(`unix:${endpoint.slice(scheme.length + 1)}`).pathname);
  } catch {
    errors.push(`${path}: Invalid value: ${JSON.stringify(endpoint)}: invalid endpoint for kms provider`);
    return undefined;
  }
  // kms/pkg/util ParseEndpoint: `unix:///@name` is a Linux abstract socket.
  return pathname.startsWith('/@') ? pathname.slice(1) : pathname;
}

/**
 * `getTransformerOverridesAndKMSPluginProbes`: a resource listed after a `*.group` or `*.*` entry that already
 * covers it could never be reached. (The same specific resource in two entries is not masked: kube appends the
 * second entry's providers to the first's.)
 */
function maskingError(config: EncryptionConfiguration): string | undefined {
  const seen = new Set<string>();
  const keyOf = (group: string, resource: string): string => `${group}/${resource}`;
  for (const entry of config.resources) {
    for (const text of entry.resources) {
      const gr = parseGroupResource(text);
      if (seen.has(keyOf(gr.group, ANY))) {
        return `resource ${JSON.stringify(groupResourceString(gr))} is masked by earlier rule ${JSON.stringify(groupResourceString({ group: gr.group, resource: ANY }))}`;
      }
      if (seen.has(keyOf(ANY, ANY))) {
        return `resource ${JSON.stringify(groupResourceString(gr))} is masked by earlier rule "*.*"`;
      }
      seen.add(keyOf(gr.group, gr.resource));
    }
  }
  return undefined;
}
