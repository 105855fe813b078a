/**
 * The OpenAPI v2 (Swagger 2.0) document for /openapi/v2, made of the same schemas as the v3 documents. kubectl
 * reads it for one thing that matters: a `kind: List` manifest (`kubectl get … -o json | kubectl replace -f -`)
 * never qualifies for server-side field validation, so kubectl validates its items itself against the v2
 * definitions, found by their x-kubernetes-group-version-kind. Paths stay empty: kubectl would otherwise build
 * `apply` patches from these schemas, and the v3 documents already decide where that is safe.
 *
 * The schemas become what kube-apiserver publishes in v2: definitions keyed by their upstream names,
 * `#/definitions/` references, and the OpenAPI 3-only constructs rewritten the way apiextensions-apiserver
 * rewrites CRD schemas for v2 (kubectl's v2 parser rejects or misreads them otherwise). Pure.
 */
import { parseAccept } from './discovery.ts';
import { openApiSchemas, type Schema } from './openapi.ts';
import type { ResourceRegistry } from './resources.ts';

export interface OpenApiV2Document {
  swagger: '2.0';
  info: { title: 'Kubernetes'; version: string };
  paths: Record<string, never>;
  definitions: Record<string, Schema>;
}

export interface OpenApiV2Options {
  /** info.version. */
  serverVersion?: string;
}

export type OpenApiV2Format = 'json' | 'protobuf';

// kube-openapi's choices, in its order of preference (so `*/*` gets JSON).
const OPENAPI_V2_MEDIA_TYPES: [type: string, format: OpenApiV2Format][] = [
  ['application/json', 'json'],
  ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
  ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
];

/**
 * The representation an Accept header asks for, taking its ranges by falling q-value; no header means any.
 * Undefined when none can be produced (406, as kube-openapi answers).
 */
export function negotiateOpenApiV2(accept: string | undefined): OpenApiV2Format | undefined {
  const ranges = parseAccept(accept === undefined || accept.trim() === '' ? '*/*' : accept)
    .filter((range) => range.quality > 0)
    .sort((a, b) => b.quality - a.quality);
  for (const range of ranges) {
    const [rangeType = '', rangeSubtype = ''] = range.type.split('/');
    for (const [mediaType, format] of OPENAPI_V2_MEDIA_TYPES) {
      const [type, subtype] = mediaType.split('/');
      if ((rangeType === type || rangeType === '*') && (rangeSubtype === subtype || rangeSubtype === '*'))
        return format;
    }
  }
  return undefined;
}

const V3_REF_PREFIX = '#/components/schemas/';
const V2_REF_PREFIX = '#/definitions/';

/** Every served group-version's schemas in one document, definitions sorted by name. */
export function openApiV2Document(
  registry: ResourceRegistry,
  options: OpenApiV2Options = {},
): OpenApiV2Document {
  const definitions: Record<string, Schema> = {};
  for (const { group, version } of registry.groupVersions()) {
    // Shared schemas (ObjectMeta, Status…) are the same in every group-version; the first one stands.
    for (const [name, schema] of Object.entries(openApiSchemas(registry, group, version))) {
      definitions[name] ??= v2Definition(schema);
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: options.serverVersion ?? 'unversioned' },
    paths: {},
    definitions: Object.fromEntries(
      Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
  };
}

/**
 * One top-level definition. A kind that keeps unknown fields at its root is published as a bare object, as
 * apiextensions-apiserver does: any property listed would make kubectl reject every field not listed.
 */
function v2Definition(schema: Schema): Schema {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) {
    const gvk = schema['x-kubernetes-group-version-kind'];
    return { type: 'object', ...(gvk === undefined ? {} : { 'x-kubernetes-group-version-kind': gvk }) };
  }
  return v2Schema(schema);
}

/** One schema node and what is below it, rewritten for OpenAPI v2. */
export function v2Schema(schema: Schema): Schema {
  const out: Schema = {};
  const singleRef = singleAllOfRef(schema);
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case '$ref':
        out[key] = typeof value === 'string' ? v2Ref(value) : value;
        break;
      case 'allOf':
        // kube-openapi writes `allOf: [{$ref}]` in v3 only to keep the siblings of a reference; v2 keeps them
        // next to `$ref`. Other compositions have no meaning to kubectl and go, as for CRDs.
        if (singleRef !== undefined) out['$ref'] = v2Ref(singleRef);
        break;
      case 'oneOf':
      case 'anyOf':
      case 'not':
      case 'nullable':
        break;
      case 'properties':
        out[key] = isRecord(value)
          ? Object.fromEntries(
              Object.entries(value).map(([name, property]) => [
                name,
                isRecord(property) ? v2Schema(property) : property,
              ]),
            )
          : value;
        break;
      case 'items':
        out[key] = Array.isArray(value)
          ? value.map((item: unknown) => (isRecord(item) ? v2Schema(item) : item))
          : isRecord(value)
            ? v2Schema(value)
            : value;
        break;
      case 'additionalProperties':
        out[key] = isRecord(value) ? v2Schema(value) : value;
        break;
      default:
        out[key] = value;
    }
  }
  // apiextensions-apiserver's ToStructuralOpenAPIV2: kubectl cannot express these in v2, and a type, items or
  // properties left in place would make it reject valid values (null, unknown fields, an int for a string).
  const openEnded =
    schema['nullable'] === true ||
    schema['x-kubernetes-preserve-unknown-fields'] === true ||
    schema['x-kubernetes-embedded-resource'] === true;
  if (openEnded) {
    delete out['type'];
    delete out['items'];
    delete out['properties'];
  }
  if (schema['x-kubernetes-int-or-string'] === true) delete out['type'];
  return out;
}

function singleAllOfRef(schema: Schema): string | undefined {
  const allOf = schema['allOf'];
  if (!Array.isArray(allOf) || allOf.length !== 1 || schema['$ref'] !== undefined) return undefined;
  const [only] = allOf as unknown[];
  if (!isRecord(only) || Object.keys(only).length !== 1) return undefined;
  const ref = only['$ref'];
  return typeof ref === 'string' ? ref : undefined;
}

function v2Ref(ref: string): string {
  return ref.startsWith(V3_REF_PREFIX) ? V2_REF_PREFIX + ref.slice(V3_REF_PREFIX.length) : ref;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
