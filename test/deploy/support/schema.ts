/**
 * Field-level check of built-in Kubernetes objects against the API's models as client-node ships
 * them (each model's attribute map: field names and types), so that a misspelt or misplaced field in
 * deploy/ fails here instead of at `kubectl apply` (strict field validation) or, worse, being
 * dropped silently by an older kubectl.
 */
import * as models from '@kubernetes/client-node';

interface Attribute {
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

function modelOf(type: string): Model | undefined {
  const candidate = (models as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate ? (candidate as unknown as Model) : undefined;
}

/** The model of a top-level object, from its kind: `V1StatefulSet` for `StatefulSet` in `apps/v1`. */
export function modelTypeOf(object: { apiVersion?: string; kind?: string }): string {
  const version = (object.apiVersion ?? '').split('/').pop() ?? '';
  const type = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind ?? ''}`;
  if (!modelOf(type)) throw new Error(`no client-node model ${type} for ${object.apiVersion} ${object.kind}`);
  return type;
}

/** Problems of `value` against `type`, each as `path: problem`. */
export function fieldProblems(value: unknown, type: string, path = ''): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((item, index) => fieldProblems(item, array[1]!, `${path}[${index}]`));
  }
  switch (type) {
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: expected a string`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'IntOrString':
      return typeof value === 'string' || Number.isInteger(value) ? [] : [`${path}: expected an integer or a string`];
    case '{ [key: string]: string; }':
      return typeof value === 'object' && value !== null && Object.values(value).every((entry) => typeof entry === 'string') ? [] : [`${path}: expected a map of strings`];
    case 'any':
      return [];
  }
  const model = modelOf(type);
  if (!model) throw new Error(`${path}: no client-node model ${type}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  const attributes = new Map(model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute.type]));
  return Object.entries(value).flatMap(([key, field]) => {
    const fieldType = attributes.get(key);
    const fieldPath = path === '' ? key : `${path}.${key}`;
    return fieldType === undefined ? [`${fieldPath}: unknown field of ${type}`] : fieldProblems(field, fieldType, fieldPath);
  });
}
