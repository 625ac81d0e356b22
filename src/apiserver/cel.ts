import { celEnv, isCelError, parse, plan, type CelEnv, type CelInput, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { kubernetesLibrary } from './cel-k8s.js';
import type { FieldError } from './errors.js';
import { deepEqual } from './objects.js';
import { childPath, holdsBelow, indexPath, type Schema, type ValidationRule } from './schema.js';
import { isJsonObject, type JsonValue } from './types.js';

type Program = (bindings: Record<string, CelInput>) => CelResult;

interface CompiledRule {
  rule: ValidationRule;
  program: Program;
  message: Program | undefined;
  transition: boolean;
}

const env: CelEnv = celEnv({ funcs: [...strings, ...kubernetesLibrary] });
const cache = new Map<string, Program>();

function compile(expression: string): Program {
  let program = cache.get(expression);
  if (!program) {
    const planned = plan(env, parse(expression));
    program = (bindings) => planned(bindings);
    cache.set(expression, program);
  }
  return program;
}

/** Parses every rule of a schema; returns errors for rules that do not compile (CRD validation). */
export function checkRules(schema: Schema, path: string, errors: FieldError[]): void {
  (schema['x-kubernetes-validations'] ?? []).forEach((rule, index) => {
    try {
      compile(rule.rule);
      if (rule.messageExpression) compile(rule.messageExpression);
    } catch (error) {
      errors.push({
        field: `${path}.x-kubernetes-validations[${index}].rule`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(rule.rule)}: compilation failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });
  for (const [key, sub] of Object.entries(schema.properties ?? {})) checkRules(sub, `${path}.properties[${key}]`, errors);
  if (schema.items) checkRules(schema.items, `${path}.items`, errors);
  if (isJsonObject(schema.additionalProperties as JsonValue)) checkRules(schema.additionalProperties as Schema, `${path}.additionalProperties`, errors);
}

// Schemas are not changed once a CRD is stored (admission copies before it edits), so what is
// derived from one can be kept for as long as the schema object lives.
const rulesBySchema = new WeakMap<Schema, CompiledRule[]>();
const rulesBelowBySchema = new WeakMap<Schema, boolean>();

function compiledRules(schema: Schema): CompiledRule[] {
  let rules = rulesBySchema.get(schema);
  if (!rules) {
    rules = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({
      rule,
      program: compile(rule.rule),
      message: rule.messageExpression ? compile(rule.messageExpression) : undefined,
      transition: /\boldSelf\b/.test(rule.rule),
    }));
    rulesBySchema.set(schema, rules);
  }
  return rules;
}

const hasRules = (schema: Schema): boolean => (schema['x-kubernetes-validations'] ?? []).length > 0;

/** Converts JSON to CEL input following the schema: integers as int (bigint), objects as maps. */
export function toCel(value: JsonValue, schema: Schema | undefined): CelInput {
  if (value === null) return null;
  if (typeof value === 'number') {
    const integer = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] || (!schema?.type && Number.isInteger(value));
    return integer && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  const map = new Map<string, CelInput>();
  for (const [key, item] of Object.entries(value)) {
    const sub = schema?.properties?.[key] ?? (isJsonObject(schema?.additionalProperties as JsonValue) ? (schema?.additionalProperties as Schema) : undefined);
    map.set(key, toCel(item, sub));
  }
  return map;
}

function typeName(schema: Schema): string {
  if (schema['x-kubernetes-int-or-string']) return 'integer';
  return schema.type ?? 'object';
}

function reasonPrefix(reason: ValidationRule['reason']): { reason: FieldError['reason']; prefix: (type: string) => string } {
  switch (reason) {
    case 'FieldValueForbidden':
      return { reason: 'FieldValueForbidden', prefix: () => 'Forbidden' };
    case 'FieldValueRequired':
      return { reason: 'FieldValueRequired', prefix: () => 'Required value' };
    case 'FieldValueDuplicate':
      return { reason: 'FieldValueDuplicate', prefix: (type) => `Duplicate value: ${JSON.stringify(type)}` };
    default:
      return { reason: 'FieldValueInvalid', prefix: (type) => `Invalid value: ${JSON.stringify(type)}` };
  }
}

function appendFieldPath(path: string, fieldPath: string): string {
  let result = path;
  for (const match of fieldPath.matchAll(/\.([^.[\]]+)|\[['"]?([^\]'"]+)['"]?\]/g)) {
    if (match[1] !== undefined) result = childPath(result, match[1]);
    else if (match[2] !== undefined) result = indexPath(result, match[2]);
  }
  return result;
}

/**
 * Evaluates the x-kubernetes-validations rules of a schema tree against a value (and its old
 * value for transition rules), as the apiextensions CEL validator does.
 */
export function validateRules(value: JsonValue | undefined, old: JsonValue | undefined, schema: Schema, path: string, errors: FieldError[]): void {
  if (value === undefined || value === null || !holdsBelow(schema, hasRules, rulesBelowBySchema)) return;
  // Ratcheting (CRDValidationRatcheting): an unchanged subtree is not re-validated on update.
  if (old !== undefined && deepEqual(old, value)) return;
  const rules = compiledRules(schema);
  if (rules.length > 0) {
    const self = toCel(value, schema);
    const oldSelf = old === undefined || old === null ? undefined : toCel(old, schema);
    for (const compiled of rules) {
      if (compiled.transition && oldSelf === undefined) continue;
      const bindings: Record<string, CelInput> = { self };
      if (oldSelf !== undefined) bindings.oldSelf = oldSelf;
      const result = compiled.program(bindings);
      const { reason, prefix } = reasonPrefix(compiled.rule.reason);
      const field = compiled.rule.fieldPath ? appendFieldPath(path, compiled.rule.fieldPath) : path;
      if (isCelError(result)) {
        errors.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(typeName(schema))}: rule evaluation error: ${result.message}` });
        continue;
      }
      if (result === true) continue;
      let message = compiled.rule.message ?? `failed rule: ${compiled.rule.rule}`;
      if (compiled.message) {
        const rendered = compiled.message(bindings);
        if (typeof rendered === 'string' && rendered.trim() !== '') message = rendered;
      }
      errors.push({ field, reason, message: `${prefix(typeName(schema))}: ${message}` });
    }
  }
  if (Array.isArray(value) && schema.items) {
    const listType = schema['x-kubernetes-list-type'];
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const oldItems = Array.isArray(old) ? old : [];
    value.forEach((item, index) => {
      let oldItem: JsonValue | undefined;
      if (listType === 'map' && isJsonObject(item)) {
        oldItem = oldItems.find((candidate) => isJsonObject(candidate) && keys.every((k) => JSON.stringify(candidate[k]) === JSON.stringify(item[k])));
      } else if (listType === 'set') {
        oldItem = oldItems.find((candidate) => JSON.stringify(candidate) === JSON.stringify(item));
      }
      validateRules(item, oldItem, schema.items as Schema, indexPath(path, index), errors);
    });
  } else if (isJsonObject(value)) {
    const oldObject = isJsonObject(old ?? null) ? (old as Record<string, JsonValue>) : undefined;
    for (const [key, item] of Object.entries(value)) {
      const sub = schema.properties?.[key];
      if (sub) validateRules(item, oldObject?.[key], sub, childPath(path, key), errors);
      else if (isJsonObject(schema.additionalProperties as JsonValue)) {
        validateRules(item, oldObject?.[key], schema.additionalProperties as Schema, indexPath(path, key), errors);
      }
    }
  }
}
