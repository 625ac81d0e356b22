import { validateRules } from './cel.js';
import type { SchemaAdmission } from './core.js';
import type { FieldError } from './errors.js';
import type { ResourceInfo } from './registry.js';
import { applyDefaults, prune, validateSchema, type Schema } from './schema.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types.js';

/** Value at a field path such as `spec.items[2].name` (used for validation ratcheting). */
function valueAt(root: JsonValue | undefined, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const match of path.matchAll(/([^.[\]]+)|\[([^\]]+)\]/g)) {
    const key = match[1] ?? match[2] ?? '';
    if (Array.isArray(current)) current = /^\d+$/.test(key) ? current[Number(key)] : undefined;
    else if (isJsonObject(current ?? null)) current = (current as JsonObject)[key];
    else return undefined;
  }
  return current;
}

const BLOCKING: FieldError = {
  field: '<nil>',
  reason: 'FieldValueInvalid',
  message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

/**
 * Custom resource admission as kube-apiserver does it: pruning of unknown fields, defaulting,
 * OpenAPI schema validation (with ratcheting of unchanged invalid values on update), list-type
 * invariants and x-kubernetes-validations CEL rules including transition rules.
 */
export class CrdAdmission implements SchemaAdmission {
  admit(resource: ResourceInfo, object: KubeObject, old: KubeObject | undefined): { errors: FieldError[]; unknownFields: string[] } {
    const schema = resource.schema as Schema | undefined;
    if (!schema) return { errors: [], unknownFields: [] };
    const unknown: string[] = [];
    const pruned = prune(object as unknown as JsonValue, schema, '', unknown, true) as JsonObject;
    const defaulted = applyDefaults(pruned, schema) as JsonObject;
    // Keep the metadata object itself (callers hold it); only drop what pruning removed from it.
    const metadata = object.metadata;
    const prunedMetadata = isJsonObject(defaulted.metadata ?? null) ? (defaulted.metadata as JsonObject) : {};
    for (const key of Object.keys(metadata)) if (!(key in prunedMetadata)) delete metadata[key];
    for (const key of Object.keys(object)) if (!(key in defaulted)) delete object[key];
    Object.assign(object, defaulted, { metadata });

    const body: JsonObject = { ...(object as unknown as JsonObject) };
    delete body.metadata;
    delete body.apiVersion;
    delete body.kind;
    const bodySchema: Schema = { ...schema, properties: { ...(schema.properties ?? {}) } };
    delete bodySchema.properties?.metadata;
    delete bodySchema.properties?.apiVersion;
    delete bodySchema.properties?.kind;
    let errors: FieldError[] = [];
    validateSchema(body, { ...bodySchema, 'x-kubernetes-validations': undefined }, '', errors);
    if (old) {
      const oldBody = old as unknown as JsonObject;
      errors = errors.filter((error) => {
        if (error.reason === 'FieldValueRequired') return true;
        const now = valueAt(body, error.field);
        const before = valueAt(oldBody, error.field);
        return now === undefined || JSON.stringify(now) !== JSON.stringify(before);
      });
    }
    // As hasBlockingErr in apiextensions-apiserver: type and enum errors stop CEL evaluation.
    if (errors.some((error) => error.reason === 'FieldValueTypeInvalid' || error.reason === 'FieldValueNotSupported')) return { errors: [...errors, BLOCKING], unknownFields: unknown };
    const oldBody = old ? ({ ...(old as unknown as JsonObject) } as JsonObject) : undefined;
    validateRules(object as unknown as JsonValue, oldBody, schema, '', errors);
    return { errors, unknownFields: unknown };
  }
}
