import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from './errors.js';
import { isJsonObject, type JsonValue } from './types.js';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch as JsonValue)) return structuredClone(patch);
  const result: Record<string, unknown> = isJsonObject(target as JsonValue) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * Strategic merge patch, approximated as a JSON merge patch: the `$patch`, `$retainKeys`,
 * `$deleteFromPrimitiveList` and `$setElementOrder` directives are dropped and lists replace
 * lists (kube merges some built-in lists by key; see docs/apiserver.md).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  return mergePatch(target, stripDirectives(patch));
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => !(isJsonObject(item as JsonValue) && '$patch' in (item as object))).map(stripDirectives);
  if (!isJsonObject(value as JsonValue)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$') || key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/')) continue;
    result[key] = stripDirectives(item);
  }
  return result;
}

/** RFC 6902 JSON patch; a failing operation is a 422 as in kube-apiserver. */
export function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return fastJsonPatch.applyPatch(structuredClone(target), patch as Operation[], true, true).newDocument;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? 'invalid patch' : String(error);
    if (error instanceof fastJsonPatch.JsonPatchError && error.name === 'TEST_OPERATION_FAILED') {
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value at ${(patch[error.index ?? 0] as Operation).path} failed`);
    }
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
  }
}
