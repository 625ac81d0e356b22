import { renderValue, type FieldError } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from './types.js';

/** A CRD's openAPIV3Schema node (structural schema). */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: JsonValue[];
  default?: JsonValue;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** Field paths as apimachinery's field.Path renders them: `spec.items[2]`, `spec.labels[key]`. */
/**
 * Whether `test` holds for the schema or for any schema below it (properties, items,
 * additionalProperties), remembered per schema object in `memo`. Walks over values use it to skip
 * subtrees with nothing to check; stored schemas are not changed in place, so an answer never goes stale.
 */
export function holdsBelow(schema: Schema, test: (node: Schema) => boolean, memo: WeakMap<Schema, boolean>): boolean {
  let holds = memo.get(schema);
  if (holds === undefined) {
    const additional = isJsonObject(schema.additionalProperties as JsonValue) ? [schema.additionalProperties as Schema] : [];
    const children = [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : []), ...additional];
    holds = test(schema) || children.some((child) => holdsBelow(child, test, memo));
    memo.set(schema, holds);
  }
  return holds;
}

export function childPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function indexPath(path: string, index: number | string): string {
  return `${path}[${index}]`;
}

const METADATA_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/**
 * Removes fields the schema does not specify (kube-apiserver's pruning) and returns their paths,
 * so that `fieldValidation=Strict|Warn` can report them. Null values of non-nullable fields are
 * dropped, as the real server does before defaulting.
 */
export function prune(value: JsonValue, schema: Schema, path: string, unknown: string[], root = false): JsonValue {
  if (value === null || schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties && !schema.items && !schema.additionalProperties) return value;
  if (Array.isArray(value)) {
    if (!schema.items) return value;
    const items = schema.items;
    return value.map((item, index) => prune(item, items, indexPath(path, index), unknown));
  }
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const fieldPath = childPath(path, key);
    if (root && (key === 'apiVersion' || key === 'kind')) {
      result[key] = item;
      continue;
    }
    if (root && key === 'metadata' && isJsonObject(item)) {
      const metadata: JsonObject = {};
      for (const [metaKey, metaValue] of Object.entries(item)) {
        if (METADATA_FIELDS.has(metaKey)) metadata[metaKey] = metaValue;
        else unknown.push(childPath('metadata', metaKey));
      }
      result[key] = metadata;
      continue;
    }
    const propertySchema = schema.properties?.[key] ?? (isJsonObject(schema.additionalProperties as JsonValue) ? (schema.additionalProperties as Schema) : undefined);
    if (!propertySchema) {
      if (schema['x-kubernetes-preserve-unknown-fields'] || schema.additionalProperties === true) result[key] = item;
      else unknown.push(fieldPath);
      continue;
    }
    if (item === null && !propertySchema.nullable) continue;
    result[key] = prune(item, propertySchema, schema.properties?.[key] ? fieldPath : indexPath(path, key), unknown);
  }
  return result;
}

/** Applies schema defaults to missing fields, recursing into defaulted values, as kube-apiserver does. */
export function applyDefaults(value: JsonValue, schema: Schema): JsonValue {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((item) => applyDefaults(item, items)) : value;
  }
  if (!isJsonObject(value)) return value;
  const result: JsonObject = { ...value };
  for (const [key, propertySchema] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && propertySchema.default !== undefined) result[key] = structuredClone(propertySchema.default);
    const current = result[key];
    if (current !== undefined) result[key] = applyDefaults(current, propertySchema);
  }
  if (isJsonObject(schema.additionalProperties as JsonValue)) {
    const additional = schema.additionalProperties as Schema;
    for (const [key, item] of Object.entries(result)) {
      if (!schema.properties?.[key]) result[key] = applyDefaults(item, additional);
    }
  }
  return result;
}

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function formatValid(format: string, value: string): boolean {
  switch (format) {
    case 'date-time':
      return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T')));
    case 'date':
      return DATE.test(value) && !Number.isNaN(Date.parse(value));
    case 'byte':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
    case 'uuid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
    case 'ipv4':
      return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value);
    case 'cidr':
      return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/.test(value) || /^[0-9a-fA-F:]+\/\d{1,3}$/.test(value);
    default:
      return true;
  }
}

function goNumber(value: number): string {
  return String(value);
}

function mapKeyText(item: JsonObject, keys: string[]): string {
  const entries = keys.map((key) => `${JSON.stringify(key)}:${typeof item[key] === 'string' ? JSON.stringify(item[key]) : String(item[key])}`);
  return `map[string]interface {}{${entries.join(', ')}}`;
}

/**
 * Validates a value against a structural schema and returns the errors kube-apiserver gives,
 * in its wording (kube-openapi messages wrapped in apimachinery field errors).
 */
export function validateSchema(value: JsonValue, schema: Schema, path: string, errors: FieldError[]): void {
  const name = path || '<nil>';
  if (value === null) {
    if (!schema.nullable && schema.type && !schema['x-kubernetes-preserve-unknown-fields']) {
      errors.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: "null": ${name} in body must be of type ${schema.type}: "null"` });
    }
    return;
  }
  const actual = jsonType(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') {
      errors.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(actual)}: ${name} in body must be of type integer,string: ${JSON.stringify(actual)}` });
      return;
    }
  } else if (schema.type && !(schema.type === actual || (schema.type === 'number' && actual === 'integer'))) {
    errors.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(actual)}: ${name} in body must be of type ${schema.type}: ${JSON.stringify(actual)}` });
    return;
  }
  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    const values = schema.enum.map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)));
    errors.push({ field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${renderValue(value)}: supported values: ${values.join(', ')}` });
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push({ field: path, reason: 'FieldValueTooLong', message: `Too long: may not be longer than ${schema.maxLength}` });
    }
    if (schema.minLength !== undefined && length < schema.minLength) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body should be at least ${schema.minLength} chars long` });
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body should match '${schema.pattern}'` });
    }
    if (schema.format && !formatValid(schema.format, value)) {
      errors.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body must be of type ${schema.format}: ${JSON.stringify(value)}` });
    }
  }
  if (typeof value === 'number') {
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${goNumber(value)}: ${name} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${goNumber(schema.maximum)}` });
    }
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${goNumber(value)}: ${name} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${goNumber(schema.minimum)}` });
    }
    if (schema.multipleOf !== undefined && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${goNumber(value)}: ${name} in body should be a multiple of ${goNumber(schema.multipleOf)}` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({ field: path, reason: 'FieldValueTooMany', message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value.length}: ${name} in body should have at least ${schema.minItems} items` });
    }
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: "array": ${name} in body shouldn't contain duplicates` });
    }
    if (schema.items) value.forEach((item, index) => validateSchema(item, schema.items as Schema, indexPath(path, index), errors));
    validateListType(value, schema, path, errors);
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
      errors.push({ field: path, reason: 'FieldValueTooMany', message: `Too many: ${keys.length}: must have at most ${schema.maxProperties} items` });
    }
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
      errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${keys.length}: ${name} in body should have at least ${schema.minProperties} properties` });
    }
    for (const required of schema.required ?? []) {
      if (value[required] === undefined) errors.push({ field: childPath(path, required), reason: 'FieldValueRequired', message: 'Required value' });
    }
    for (const key of keys.sort()) {
      const item = value[key] as JsonValue;
      const propertySchema = schema.properties?.[key];
      if (propertySchema) validateSchema(item, propertySchema, childPath(path, key), errors);
      else if (isJsonObject(schema.additionalProperties as JsonValue)) validateSchema(item, schema.additionalProperties as Schema, indexPath(path, key), errors);
    }
  }
  for (const sub of schema.allOf ?? []) validateSchema(value, sub, path, errors);
  if (schema.anyOf && !schema.anyOf.some((sub) => countErrors(value, sub, path) === 0)) {
    errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body must match at least one schema (anyOf)` });
  }
  if (schema.oneOf && schema.oneOf.filter((sub) => countErrors(value, sub, path) === 0).length !== 1) {
    errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body must validate one and only one schema (oneOf)` });
  }
  if (schema.not && countErrors(value, schema.not, path) === 0) {
    errors.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${name} in body must not validate the schema (not)` });
  }
}

function countErrors(value: JsonValue, schema: Schema, path: string): number {
  const errors: FieldError[] = [];
  validateSchema(value, schema, path, errors);
  return errors.length;
}

/** `x-kubernetes-list-type: set|map` invariants (structurallisttype.ValidateListSetsAndMaps). */
function validateListType(value: JsonValue[], schema: Schema, path: string, errors: FieldError[]): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, index) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errors.push({ field: indexPath(path, index), reason: 'FieldValueDuplicate', message: `Duplicate value: ${renderValue(item)}` });
      seen.add(key);
    });
  }
  if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, index) => {
      if (!isJsonObject(item)) return;
      const key = JSON.stringify(keys.map((k) => item[k] ?? null));
      if (seen.has(key)) errors.push({ field: indexPath(path, index), reason: 'FieldValueDuplicate', message: `Duplicate value: ${mapKeyText(item, keys)}` });
      seen.add(key);
    });
  }
}
