import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';

type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export type LabelSelector = LabelRequirement[];

const KEY_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

function checkKey(key: string, selector: string): string {
  if (!KEY_PATTERN.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

/** Parses a label selector in the syntax of `labels.Parse` (equality and set-based). */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  const requirements: LabelSelector = [];
  for (const term of splitTerms(text)) {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (setMatch) {
      const values = (setMatch[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      requirements.push({ op: setMatch[2] as 'in' | 'notin', key: checkKey(setMatch[1] ?? '', text), values });
      continue;
    }
    const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eqMatch) {
      const key = checkKey(eqMatch[1] ?? '', text);
      requirements.push({ op: eqMatch[2] === '!=' ? 'notin' : 'in', key, values: [eqMatch[3] ?? ''] });
      continue;
    }
    if (term.startsWith('!')) {
      requirements.push({ op: 'notexists', key: checkKey(term.slice(1).trim(), text) });
      continue;
    }
    requirements.push({ op: 'exists', key: checkKey(term, text) });
  }
  return requirements;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const requirement of selector) {
    const value = labels?.[requirement.key];
    switch (requirement.op) {
      case 'exists':
        if (value === undefined) return false;
        break;
      case 'notexists':
        if (value !== undefined) return false;
        break;
      case 'in':
        if (value === undefined || !requirement.values.includes(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && requirement.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Parses a field selector (`a=b,c!=d`); only fields in `supported` are accepted, as the real server does. */
export function parseFieldSelector(text: string | undefined, supported: ReadonlySet<string>): FieldSelector {
  if (!text) return [];
  const requirements: FieldSelector = [];
  for (const term of splitTerms(text)) {
    const match = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = match[1] ?? '';
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    requirements.push({ field, negate: match[2] === '!=', value: match[3] ?? '' });
  }
  return requirements;
}

export function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : String(current);
}

export function matchesFields(selector: FieldSelector, object: KubeObject): boolean {
  for (const requirement of selector) {
    const equal = fieldValue(object, requirement.field) === requirement.value;
    if (equal === requirement.negate) return false;
  }
  return true;
}
