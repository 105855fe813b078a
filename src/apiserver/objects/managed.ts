/**
 * metadata.managedFields: which manager owns which fields. Every write records its manager (Update), and
 * server-side apply (Apply) merges the applied configuration by ownership, refusing to change fields other
 * managers own unless forced (409 Conflict). The engine is in ../patch/managed-fields.ts.
 */
import { applyServerSide, recordUpdate } from '../patch/managed-fields.ts';
import {
  customResourceMergeSchema,
  customResourceMergeSchemaFromOpenAPI,
  mergeSchemaFor,
  type MergeSchema,
} from '../patch/strategic-merge.ts';
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { badRequest } from '../status.ts';
import { parseBody } from './body.ts';
import { asApiError } from './patching.ts';
import { isPlainObject, jsonEqual, type KubeObject } from './object.ts';

const schemas = new WeakMap<ResourceInfo, MergeSchema>();

/** The merge schema of a kind: the built-in table, a CRD's structural schema, or a generic one. */
export function mergeSchemaOf(info: ResourceInfo): MergeSchema {
  let schema = schemas.get(info);
  if (schema) return schema;
  const statusSubresource = info.subresources.includes('status');
  schema =
    (!info.crd && mergeSchemaFor(info.group, info.version, info.kind)) ||
    (info.crd?.schema
      ? customResourceMergeSchemaFromOpenAPI(info.group, info.version, info.kind, info.crd.schema, {
          statusSubresource,
        })
      : {
          ...customResourceMergeSchema(info.group, info.version, info.kind, { statusSubresource }),
          strategicMerge: !info.crd,
        });
  schemas.set(info, schema);
  return schema;
}

/** Records `manager`'s Update in `next.metadata.managedFields` (left as it was when nothing else changed). */
export function trackWrite(
  previous: KubeObject | undefined,
  next: KubeObject,
  _operation: 'Update',
  manager: string,
  now: Date,
  info: ResourceInfo,
  subresource?: string,
): void {
  if (previous && sameExceptManagedFields(previous, next)) {
    setManagedFields(next, previous.metadata.managedFields);
    return;
  }
  try {
    const entries = recordUpdate({
      previous: previous ?? null,
      updated: next,
      manager,
      apiVersion: apiVersionOf(info),
      now,
      subresource,
      schema: mergeSchemaOf(info),
    });
    setManagedFields(next, entries);
  } catch (error) {
    throw asApiError(error);
  }
}

/** The object after server-side apply of `patch` (YAML or JSON) by `manager`. */
export function trackApply(
  live: KubeObject | undefined,
  patch: Uint8Array,
  info: ResourceInfo,
  manager: string,
  force: boolean,
  now: Date,
  subresource: string | undefined,
): KubeObject {
  const applied = parseBody(patch, 'application/apply-patch+yaml', info.kind);
  if (!isPlainObject(applied)) throw badRequest('the applied configuration must be an object');
  try {
    const result = applyServerSide({
      live: live ?? null,
      applied,
      manager,
      force,
      apiVersion: apiVersionOf(info),
      now,
      subresource,
      schema: mergeSchemaOf(info),
    });
    return result.object as KubeObject;
  } catch (error) {
    throw asApiError(error);
  }
}

function setManagedFields(object: KubeObject, entries: unknown[] | undefined): void {
  if (entries && entries.length > 0) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
}

function sameExceptManagedFields(left: KubeObject, right: KubeObject): boolean {
  const strip = (object: KubeObject) => {
    const { managedFields: _managed, resourceVersion: _version, ...metadata } = object.metadata;
    return { ...object, metadata };
  };
  return jsonEqual(strip(left), strip(right));
}
