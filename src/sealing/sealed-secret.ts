/**
 * SealedSecret objects (`bitnami.com/v1alpha1`): turning a Secret into a SealedSecret and a SealedSecret back
 * into a Secret, with the same metadata rules as kubeseal and the controller. Pure: no I/O; decryption is
 * handed to a caller-supplied opener so that batch unsealing can run it on worker threads.
 */
import type { KeyObject } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import { compareGoStrings } from '../common/go-strings.ts';
import type { ManifestObject } from '../manifests/decode.ts';
import { decodeStdBase64, encodeStdBase64 } from '../manifests/base64.ts';
import {
  canonicalObjectMeta,
  namespacedName,
  SERVER_SIDE_META_FIELDS,
  sortedMap,
  type ObjectMeta,
  type OwnerReference,
  type Secret,
  type StringMap,
} from '../kube/objects.ts';
import { hybridEncrypt, NO_KEY_MESSAGE } from './format.ts';
import { encryptionLabel, scopeOf, withScopeAnnotations, type Scope } from './scope.ts';

export const SEALED_SECRET_GROUP = 'bitnami.com';
export const SEALED_SECRET_API_VERSION = 'bitnami.com/v1alpha1';
export const SEALED_SECRET_KIND = 'SealedSecret';
/** Cloak's key hint: the fingerprint of the key that sealed the values. Top-level metadata only. */
export const SEALING_KEY_ANNOTATION = 'cloak.dev/sealing-key';
export const SKIP_SET_OWNER_REFERENCES_ANNOTATION = 'sealedsecrets.bitnami.com/skip-set-owner-references';
const LAST_APPLIED_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'kubecfg.ksonnet.io/last-applied-configuration',
];

export interface SecretTemplateSpec {
  metadata?: ObjectMeta;
  type?: string;
  immutable?: boolean;
  /** Go templates rendered over the unsealed values; `null` removes the key. */
  data?: Record<string, string | null>;
}

export interface SealedSecretSpec {
  template?: SecretTemplateSpec;
  /** Deprecated v1 format: the whole Secret as JSON, sealed as one value (base64). */
  data?: string;
  encryptedData: StringMap;
}

export interface SealedSecret {
  kind: 'SealedSecret';
  apiVersion: string;
  metadata: ObjectMeta;
  spec: SealedSecretSpec;
  status?: unknown;
}

export class InvalidObjectError extends CloakError {
  constructor(where: string, message: string) {
    super('ERR_INVALID_OBJECT', `${where}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading and checking input objects

export function readSecret(object: ManifestObject, where: string): Secret {
  expectKind(object, where, 'Secret', ['v1']);
  const metadata = readMetadata(object, where);
  const secret: Secret = { kind: 'Secret', apiVersion: 'v1', metadata };
  const data = readStringMap(object['data'], where, 'data');
  if (data) secret.data = data;
  const stringData = readStringMap(object['stringData'], where, 'stringData');
  if (stringData) secret.stringData = stringData;
  if (object['type'] !== undefined && object['type'] !== null) {
    if (typeof object['type'] !== 'string') throw new InvalidObjectError(where, 'type must be a string');
    secret.type = object['type'];
  }
  const immutable = readOptionalBoolean(object['immutable'], where, 'immutable');
  if (immutable !== undefined) secret.immutable = immutable;
  return secret;
}

export function readSealedSecret(object: ManifestObject, where: string): SealedSecret {
  expectKind(object, where, SEALED_SECRET_KIND, [SEALED_SECRET_API_VERSION]);
  const metadata = readMetadata(object, where);
  const spec = object['spec'];
  if (!isRecord(spec)) throw new InvalidObjectError(where, 'spec is missing');
  const encryptedData = readStringMap(spec['encryptedData'], where, 'spec.encryptedData') ?? {};
  const sealed: SealedSecret = {
    kind: 'SealedSecret',
    apiVersion: String(object['apiVersion']),
    metadata,
    spec: { encryptedData },
  };
  if (spec['template'] !== undefined && spec['template'] !== null) {
    sealed.spec.template = readTemplate(spec['template'], where);
  }
  if (spec['data'] !== undefined && spec['data'] !== null) {
    if (typeof spec['data'] !== 'string')
      throw new InvalidObjectError(where, 'spec.data must be a base64 string');
    sealed.spec.data = spec['data'];
  }
  if (object['status'] !== undefined) sealed.status = object['status'];
  return sealed;
}

function readTemplate(value: unknown, where: string): SecretTemplateSpec {
  if (!isRecord(value)) throw new InvalidObjectError(where, 'spec.template must be an object');
  const template: SecretTemplateSpec = {};
  if (value['metadata'] !== undefined && value['metadata'] !== null) {
    if (!isRecord(value['metadata']))
      throw new InvalidObjectError(where, 'spec.template.metadata must be an object');
    template.metadata = checkMetadataMaps(value['metadata'], where, 'spec.template.metadata');
  }
  if (typeof value['type'] === 'string') template.type = value['type'];
  const immutable = readOptionalBoolean(value['immutable'], where, 'spec.template.immutable');
  if (immutable !== undefined) template.immutable = immutable;
  const data = value['data'];
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) throw new InvalidObjectError(where, 'spec.template.data must be a map');
    const templates: Record<string, string | null> = {};
    for (const [key, text] of Object.entries(data)) {
      if (text !== null && typeof text !== 'string') {
        throw new InvalidObjectError(where, `spec.template.data.${key} must be a string`);
      }
      templates[key] = text;
    }
    template.data = templates;
  }
  return template;
}

function expectKind(object: ManifestObject, where: string, kind: string, apiVersions: string[]): void {
  const found = object['kind'];
  if (found === undefined || found === null || found === '') {
    throw new InvalidObjectError(where, `expected a ${kind}, but the object has no kind`);
  }
  if (found !== kind)
    throw new InvalidObjectError(where, `expected a ${kind}, found kind ${JSON.stringify(found)}`);
  const apiVersion = object['apiVersion'];
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && apiVersions.includes(apiVersion))) {
    throw new InvalidObjectError(where, `unsupported apiVersion ${JSON.stringify(apiVersion)} for ${kind}`);
  }
}

function readMetadata(object: ManifestObject, where: string): ObjectMeta {
  const metadata = object['metadata'];
  if (metadata === undefined || metadata === null) return {};
  if (!isRecord(metadata)) throw new InvalidObjectError(where, 'metadata must be an object');
  return checkMetadataMaps(structuredClone(metadata), where, 'metadata');
}

function checkMetadataMaps(metadata: ObjectMeta, where: string, path: string): ObjectMeta {
  for (const field of ['name', 'namespace', 'generateName'] as const) {
    const value = metadata[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new InvalidObjectError(where, `${path}.${field} must be a string`);
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = readStringMap(metadata[field], where, `${path}.${field}`);
    if (map) metadata[field] = map;
    else delete metadata[field];
  }
  return metadata;
}

function readStringMap(value: unknown, where: string, path: string): StringMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new InvalidObjectError(where, `${path} must be a map of strings`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new InvalidObjectError(
        where,
        `${path}.${key} must be a string, found ${item === null ? 'null' : typeof item}`,
      );
    }
  }
  return value as StringMap;
}

function readOptionalBoolean(value: unknown, where: string, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidObjectError(where, `${path} must be true or false`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Sealing

export interface SealingTarget {
  /** `--name`: replaces the input's name. */
  name?: string | undefined;
  /** Replaces the input's namespace unconditionally (`--merge-into` seals for the file's namespace). */
  forceNamespace?: string | undefined;
  /** `-n`: fills in a missing namespace; a different namespace in the input is an error. */
  namespace?: string | undefined;
  /** `--scope`: strict, the default, leaves the input's own scope annotations alone (as kubeseal). */
  scope?: Scope | undefined;
  allowEmptyData?: boolean | undefined;
}

/**
 * Applies the command line to an input Secret and checks it, as kubeseal does before sealing. The result may
 * still lack a namespace (see `needsNamespace`) when neither the input nor `-n` gave one.
 */
export function prepareSecret(input: Secret, target: SealingTarget, where: string): Secret {
  const secret = structuredClone(input);
  const empty =
    Object.keys(secret.data ?? {}).length === 0 && Object.keys(secret.stringData ?? {}).length === 0;
  if (empty && !target.allowEmptyData) {
    throw new InvalidObjectError(
      where,
      'secret.data is empty in input Secret, assuming this is an error and aborting. To work with empty data, --allow-empty-data can be used',
    );
  }
  if (target.name) secret.metadata.name = target.name;
  if (!secret.metadata.name) throw new InvalidObjectError(where, 'missing metadata.name in input Secret');
  if (target.forceNamespace) {
    secret.metadata.namespace = target.forceNamespace;
  } else if (target.namespace) {
    const own = secret.metadata.namespace;
    if (own && own !== target.namespace) {
      throw new InvalidObjectError(
        where,
        `the namespace from the input Secret ("${own}") does not match the namespace given with --namespace ("${target.namespace}")`,
      );
    }
    secret.metadata.namespace = target.namespace;
  }
  if (target.scope && target.scope !== 'strict') {
    secret.metadata.annotations = withScopeAnnotations(secret.metadata.annotations, target.scope);
  }
  return secret;
}

/** A strict or namespace-wide Secret cannot be sealed without a namespace. */
export function needsNamespace(secret: Secret): boolean {
  return !secret.metadata.namespace && scopeOf(secret.metadata.annotations) !== 'cluster-wide';
}

export interface SealingCertificateKey {
  publicKey: KeyObject;
  fingerprint: string;
}

export function sealSecret(secret: Secret, key: SealingCertificateKey, where: string): SealedSecret {
  if (needsNamespace(secret)) throw new InvalidObjectError(where, 'secret must declare a namespace');
  const name = secret.metadata.name ?? '';
  const namespace = secret.metadata.namespace ?? '';
  const scope = scopeOf(secret.metadata.annotations);
  const label = encryptionLabel(scope, namespace, name);
  const plaintexts = new Map<string, Buffer>();
  for (const [item, encoded] of Object.entries(secret.data ?? {})) {
    plaintexts.set(item, decodeItem(encoded, where, `data.${item}`));
  }
  for (const [item, text] of Object.entries(secret.stringData ?? {}))
    plaintexts.set(item, Buffer.from(text, 'utf8'));

  const encryptedData: StringMap = {};
  for (const item of [...plaintexts.keys()].sort(compareGoStrings)) {
    encryptedData[item] = encodeStdBase64(
      hybridEncrypt(key.publicKey, plaintexts.get(item) as Buffer, label),
    );
  }
  const template: SecretTemplateSpec = { metadata: templateMetadata(secret.metadata) };
  if (secret.type) template.type = secret.type;
  if (secret.immutable !== undefined) template.immutable = secret.immutable;

  const annotations = withScopeAnnotations(undefined, scope);
  annotations[SEALING_KEY_ANNOTATION] = key.fingerprint;
  return canonicalSealedSecret({
    kind: 'SealedSecret',
    apiVersion: SEALED_SECRET_API_VERSION,
    metadata: { name, namespace, annotations },
    spec: { template, encryptedData },
  });
}

function decodeItem(encoded: string, where: string, path: string): Buffer {
  try {
    return decodeStdBase64(encoded);
  } catch (error) {
    throw new InvalidObjectError(where, `${path}: ${(error as Error).message}`);
  }
}

/** The input's metadata minus what must not travel: server-side fields, owners, last-applied copies. */
function templateMetadata(metadata: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = structuredClone(metadata);
  for (const field of SERVER_SIDE_META_FIELDS) delete out[field];
  delete out.ownerReferences;
  if (out.annotations) {
    const annotations = { ...out.annotations };
    // A last-applied annotation holds the whole input object, plaintext values included.
    for (const annotation of LAST_APPLIED_ANNOTATIONS) delete annotations[annotation];
    out.annotations = annotations;
  }
  return out;
}

export interface RawSealingTarget {
  scope: Scope;
  namespace: string;
  name: string;
}

/** `--raw`: one value sealed for a name and namespace, as the bare base64 string. */
export function sealRawValue(
  value: Uint8Array,
  target: RawSealingTarget,
  key: SealingCertificateKey,
): string {
  return encodeStdBase64(
    hybridEncrypt(key.publicKey, value, encryptionLabel(target.scope, target.namespace, target.name)),
  );
}

/**
 * `--merge-into`: the items, template labels, annotations and template data of `update` added to (or
 * replacing those in) `original`; everything else in `original` stays.
 */
export function mergeSealedSecret(original: SealedSecret, update: SealedSecret): SealedSecret {
  const merged = structuredClone(original);
  merged.spec.encryptedData = { ...merged.spec.encryptedData, ...update.spec.encryptedData };
  const template = (merged.spec.template ??= {});
  const metadata = (template.metadata ??= {});
  const updateTemplate = update.spec.template ?? {};
  metadata.annotations = { ...metadata.annotations, ...updateTemplate.metadata?.annotations };
  metadata.labels = { ...metadata.labels, ...updateTemplate.metadata?.labels };
  if (updateTemplate.data) template.data = { ...template.data, ...updateTemplate.data };
  const hint = update.metadata.annotations?.[SEALING_KEY_ANNOTATION];
  if (hint) merged.metadata.annotations = { ...merged.metadata.annotations, [SEALING_KEY_ANNOTATION]: hint };
  return canonicalSealedSecret(merged);
}

/** Field order and map order as kubeseal writes a SealedSecret. */
export function canonicalSealedSecret(sealed: SealedSecret): SealedSecret {
  const spec: SealedSecretSpec = {} as SealedSecretSpec;
  const template = sealed.spec.template;
  if (template) {
    const canonicalTemplate: SecretTemplateSpec = {};
    canonicalTemplate.metadata = canonicalObjectMeta(template.metadata ?? {});
    if (template.type) canonicalTemplate.type = template.type;
    if (template.immutable !== undefined) canonicalTemplate.immutable = template.immutable;
    if (template.data && Object.keys(template.data).length > 0)
      canonicalTemplate.data = sortedMap(template.data);
    spec.template = canonicalTemplate;
  }
  if (sealed.spec.data !== undefined) spec.data = sealed.spec.data;
  spec.encryptedData = sortedMap(sealed.spec.encryptedData);
  const out: SealedSecret = {
    kind: 'SealedSecret',
    apiVersion: sealed.apiVersion,
    metadata: canonicalObjectMeta(sealed.metadata),
    spec,
  };
  if (sealed.status !== undefined) out.status = sealed.status;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Unsealing

export interface SealedValue {
  /** The `encryptedData` item, or `spec.data` for the deprecated v1 format. */
  item: string;
  data: Buffer;
}

export interface ItemFailure {
  item: string;
  reason: string;
  /** No key opened the value (as opposed to a malformed value). */
  noKey: boolean;
}

/**
 * Renders `spec.template.data` (Go text/template with Sprig's functions, as the controller does) over the
 * unsealed values, item name → plaintext; returns item name → rendered bytes. Throws a CloakError naming the
 * template that failed, never a value. This is the seam for the template engine (src/template/).
 */
export type SecretTemplateRenderer = (
  templates: Readonly<Record<string, string>>,
  values: ReadonlyMap<string, Buffer>,
) => Map<string, Buffer>;

/** What must be decrypted to unseal one SealedSecret, and the failures already known without decrypting. */
export interface UnsealPlan {
  sealed: SealedSecret;
  where: string;
  label: Buffer;
  hint: string | undefined;
  values: SealedValue[];
  failures: ItemFailure[];
  /** `spec.template.data` entries that are templates (not null), with the renderer that will run them. */
  templates?: { sources: Record<string, string>; render: SecretTemplateRenderer };
}

/** Whether `spec.template.data` holds templates to render (null entries only drop items). */
export function hasTemplates(sealed: SealedSecret): boolean {
  return templateEntries(sealed).length > 0;
}

/** The `spec.template.data` entries that are templates: key and Go template text. */
function templateEntries(sealed: SealedSecret): [string, string][] {
  return Object.entries(sealed.spec.template?.data ?? {}).filter(
    (entry): entry is [string, string] => entry[1] !== null,
  );
}

export interface UnsealPlanOptions {
  /** Without one, a SealedSecret with `spec.template.data` templates is refused (ERR_TEMPLATE_UNSUPPORTED). */
  renderTemplates?: SecretTemplateRenderer | undefined;
}

export const LEGACY_DATA_ITEM = 'spec.data';

export function planUnseal(sealed: SealedSecret, where: string, options: UnsealPlanOptions = {}): UnsealPlan {
  const { metadata, spec } = sealed;
  const label = encryptionLabel(scopeOf(metadata.annotations), metadata.namespace ?? '', metadata.name ?? '');
  const hint = metadata.annotations?.[SEALING_KEY_ANNOTATION];
  const plan: UnsealPlan = { sealed, where, label, hint, values: [], failures: [] };
  if (spec.data !== undefined) {
    if (Object.keys(spec.encryptedData).length > 0) {
      throw new InvalidObjectError(
        where,
        "cannot use the field 'encryptedData' and the deprecated field 'data' at the same time",
      );
    }
    addValue(plan, LEGACY_DATA_ITEM, spec.data);
    return plan;
  }
  const templates = templateEntries(sealed);
  if (templates.length > 0 && options.renderTemplates) {
    plan.templates = { sources: Object.fromEntries(templates), render: options.renderTemplates };
  } else if (templates.length > 0) {
    const keys = templates
      .map(([key]) => key)
      .sort(compareGoStrings)
      .join(', ');
    throw new CloakError(
      'ERR_TEMPLATE_UNSUPPORTED',
      `${where}: spec.template.data holds Go templates (${keys}); rendering them is not supported yet, so this SealedSecret cannot be unsealed faithfully`,
    );
  }
  for (const item of Object.keys(spec.encryptedData).sort(compareGoStrings)) {
    addValue(plan, item, spec.encryptedData[item] as string);
  }
  return plan;
}

function addValue(plan: UnsealPlan, item: string, encoded: string): void {
  try {
    plan.values.push({ item, data: decodeStdBase64(encoded) });
  } catch (error) {
    plan.failures.push({ item, reason: (error as Error).message, noKey: false });
  }
}

/**
 * The Secret the controller would create from `plan` once its values are opened. `opened` maps each item to
 * its plaintext; an item missing from it must be listed in `failures`.
 */
export function assembleSecret(
  plan: UnsealPlan,
  opened: ReadonlyMap<string, Buffer>,
  failures: ItemFailure[],
): Secret {
  const allFailures = [...plan.failures, ...failures];
  if (allFailures.length > 0) throw new UnsealError(plan.where, allFailures);
  const { sealed } = plan;
  let secret: Secret;
  const legacy = opened.get(LEGACY_DATA_ITEM);
  if (legacy && sealed.spec.data !== undefined) {
    secret = legacySecret(legacy, plan.where);
  } else {
    const template = sealed.spec.template ?? {};
    secret = { kind: 'Secret', apiVersion: 'v1', metadata: structuredClone(template.metadata ?? {}) };
    if (template.immutable !== undefined) secret.immutable = template.immutable;
    const data: StringMap = {};
    for (const [item, plaintext] of opened) data[item] = encodeStdBase64(plaintext);
    if (plan.templates) {
      // Templates see every unsealed value and may add items or override them, even with no encryptedData.
      const rendered = plan.templates.render(plan.templates.sources, opened);
      for (const [item, output] of rendered) data[item] = encodeStdBase64(output);
    }
    for (const [key, text] of Object.entries(template.data ?? {})) if (text === null) delete data[key];
    secret.data = data;
    if (template.type) secret.type = template.type;
  }
  secret.metadata.name = sealed.metadata.name ?? '';
  secret.metadata.namespace = sealed.metadata.namespace ?? '';
  if (sealed.spec.template?.metadata?.annotations?.[SKIP_SET_OWNER_REFERENCES_ANNOTATION] !== 'true') {
    secret.metadata.ownerReferences = [ownerReference(sealed)];
  }
  return secret;
}

function ownerReference(sealed: SealedSecret): OwnerReference {
  return {
    apiVersion: sealed.apiVersion,
    kind: sealed.kind,
    name: sealed.metadata.name ?? '',
    uid: sealed.metadata.uid ?? '',
    controller: true,
  };
}

function legacySecret(plaintext: Buffer, where: string): Secret {
  let object: unknown;
  try {
    object = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new InvalidObjectError(where, 'spec.data does not hold a Secret');
  }
  if (!isRecord(object)) throw new InvalidObjectError(where, 'spec.data does not hold a Secret');
  return readSecret(object, `${where} (spec.data)`);
}

export class UnsealError extends CloakError {
  readonly failures: readonly ItemFailure[];

  constructor(where: string, failures: ItemFailure[]) {
    super(
      failures.every((failure) => failure.noKey) ? 'ERR_NO_KEY' : 'ERR_UNSEAL',
      `${where}: ${describeFailures(failures)}`,
    );
    this.failures = failures;
  }
}

/** The failures as upstream words them: "no key could decrypt secret (a, b)", or "item: reason; …". */
export function describeFailures(failures: readonly ItemFailure[]): string {
  const sorted = [...failures].sort((a, b) => compareGoStrings(a.item, b.item));
  if (sorted.every((failure) => failure.noKey)) {
    return `${NO_KEY_MESSAGE} (${sorted.map((failure) => failure.item).join(', ')})`;
  }
  return sorted.map((failure) => `${failure.item}: ${failure.reason}`).join('; ');
}

/** "namespace/name" of a SealedSecret, or where it was read from when it has no name. */
export function describeSealedSecret(sealed: SealedSecret, fallback: string): string {
  return sealed.metadata.name ? namespacedName(sealed.metadata) : fallback;
}
