/**
 * The four PATCH content types, applied to the stored object: JSON Patch (RFC 6902), JSON merge patch (RFC
 * 7386), strategic merge patch with the kind's list merge keys (built-in kinds only), and server-side apply
 * (managed.ts). Patch engine failures become the Status kube-apiserver answers with.
 */
import { applyJsonPatch, PatchError } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../patch/strategic-merge.ts';
import type { ResourceInfo } from '../resources.ts';
import { ApiError, badRequest } from '../status.ts';
import { mergeSchemaOf } from './managed.ts';
import type { KubeObject } from './object.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const decoder = new TextDecoder();

/** The object after a json, merge or strategic patch (apply goes through managed.ts). */
export function applyPatch(
  info: ResourceInfo,
  current: KubeObject,
  patchType: Exclude<PatchType, 'apply'> | PatchType,
  bytes: Uint8Array,
): unknown {
  const patch = parsePatch(bytes);
  try {
    switch (patchType) {
      case 'json':
        return applyJsonPatch(current, patch);
      case 'merge':
        return applyMergePatch(current, patch);
      case 'strategic':
        return applyStrategicMergePatch(current, patch, mergeSchemaOf(info));
      case 'apply':
        throw new Error('server-side apply is handled by the field manager');
    }
  } catch (error) {
    throw asApiError(error);
  }
}

/**
 * A json, merge or strategic patch of a value with no lists to merge by key (a Scale): strategic merge is then
 * exactly a merge patch.
 */
export function applyPlainPatch(value: unknown, patchType: PatchType, bytes: Uint8Array): unknown {
  const patch = parsePatch(bytes);
  try {
    return patchType === 'json' ? applyJsonPatch(value, patch) : applyMergePatch(value, patch);
  } catch (error) {
    throw asApiError(error);
  }
}

function parsePatch(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    throw badRequest('error decoding patch: the patch is not valid JSON');
  }
}

export function asApiError(error: unknown): unknown {
  if (!(error instanceof PatchError)) return error;
  const causes =
    'causes' in error && Array.isArray(error.causes)
      ? (error.causes as { type: string; message: string; field: string }[])
      : undefined;
  return new ApiError(
    error.status,
    error.reason,
    error.message,
    causes
      ? {
          causes: causes.map((cause) => ({ reason: cause.type, message: cause.message, field: cause.field })),
        }
      : undefined,
  );
}
