import type { TSchema } from '@sinclair/typebox';

export type JsonSchema = { [keyword: string]: unknown };

export interface NormalizeOptions {
  /** Structural CRD schemas may not combine properties with additionalProperties; pruning rejects unknowns instead. */
  forCrd: boolean;
}

/**
 * Turns a TypeBox schema into the OpenAPI v3 subset Kubernetes accepts: unions of literals become
 * enums, records become additionalProperties, and symbol-keyed TypeBox metadata is dropped.
 */
export function normalizeSchema(schema: TSchema | JsonSchema, options: NormalizeOptions): JsonSchema {
  const source = JSON.parse(JSON.stringify(schema)) as JsonSchema;
  return normalize(source, options);
}

function normalize(schema: JsonSchema, options: NormalizeOptions): JsonSchema {
  const { anyOf, properties, items, patternProperties, additionalProperties, ...rest } = schema;
  const result: JsonSchema = { ...rest };

  if (Array.isArray(anyOf)) {
    const literals = (anyOf as JsonSchema[]).map((member) => member.const);
    if (literals.every((value) => value !== undefined)) {
      result.type = typeof literals[0];
      result.enum = literals;
    } else {
      result.anyOf = (anyOf as JsonSchema[]).map((member) => normalize(member, options));
    }
  }
  if ('const' in result) {
    result.enum = [result.const];
    delete result.const;
  }
  if (properties && typeof properties === 'object') {
    result.properties = Object.fromEntries(
      Object.entries(properties as Record<string, JsonSchema>).map(([name, child]) => [name, normalize(child, options)]),
    );
    if (additionalProperties === false && !options.forCrd) result.additionalProperties = false;
  }
  if (items && typeof items === 'object') result.items = normalize(items as JsonSchema, options);
  if (patternProperties && typeof patternProperties === 'object') {
    const [valueSchema] = Object.values(patternProperties as Record<string, JsonSchema>);
    if (valueSchema) result.additionalProperties = normalize(valueSchema, options);
  } else if (additionalProperties && typeof additionalProperties === 'object') {
    result.additionalProperties = normalize(additionalProperties as JsonSchema, options);
  }
  if (Array.isArray(result.required) && result.required.length === 0) delete result.required;
  return result;
}
