import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';
import { LabelSelectorError, parseLabelSelector as parseLabels, splitTerms, type LabelSelector } from '../kube/labels.js';

export type { LabelSelector } from '../kube/labels.js';
export { matchesLabels } from '../kube/labels.js';

/** Parses a label selector; a malformed one is a 400 Bad Request, as kube-apiserver answers. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  try {
    return parseLabels(text);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw badRequest(error.message);
    throw error;
  }
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
