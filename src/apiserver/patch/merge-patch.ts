/**
 * RFC 7386 JSON Merge Patch (`application/merge-patch+json`) over plain JSON values: an object patch merges
 * into the target member by member, `null` deletes a member, and anything else (arrays included) replaces the
 * target. Pure: neither input is modified, and the result shares no objects with them.
 */
import { cloneJson, hasOwn, isJsonObject, jsonEqual, setOwn, type JsonObject } from './json-patch.ts';

/** The result of applying `patch` to `target` (RFC 7386 section 2). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      setOwn(result, key, applyMergePatch(hasOwn(result, key) ? result[key] : undefined, value));
    }
  }
  return result;
}

/**
 * A merge patch that turns `original` into `modified` (the inverse of applyMergePatch): changed and added
 * members, `null` for removed ones, whole arrays when they differ. A member that `modified` holds as `null`
 * cannot be expressed (null means delete) and comes out as a deletion.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isJsonObject(original) || !isJsonObject(modified)) return cloneJson(modified);
  const patch: JsonObject = {};
  for (const key of Object.keys(original)) {
    if (!hasOwn(modified, key)) setOwn(patch, key, null);
  }
  for (const [key, value] of Object.entries(modified)) {
    if (!hasOwn(original, key)) {
      if (value !== null) setOwn(patch, key, cloneJson(value));
      continue;
    }
    const before = original[key];
    if (isJsonObject(before) && isJsonObject(value)) {
      const nested = createMergePatch(before, value);
      if (isJsonObject(nested) && Object.keys(nested).length > 0) setOwn(patch, key, nested);
    } else if (!jsonEqual(before, value)) {
      setOwn(patch, key, cloneJson(value));
    }
  }
  return patch;
}
