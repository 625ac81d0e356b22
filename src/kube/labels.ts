/**
 * Kubernetes label selectors in the syntax of apimachinery's `labels.Parse` (equality- and
 * set-based), parsed once and matched in memory. Shared by the embedded API server (server-side
 * list and watch filtering) and the runtime (cache queries), so both agree on every selector.
 */
export type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: readonly string[] };

export type LabelSelector = readonly LabelRequirement[];

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

const KEY_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
export function splitTerms(text: string): string[] {
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
  return terms.map((term) => term.trim()).filter((term) => term.length > 0);
}

const VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !VALUE_PATTERN.test(value)) {
    throw new LabelSelectorError(
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
  return value;
}

function checkKey(key: string, selector: string): string {
  if (!KEY_PATTERN.test(key)) throw new LabelSelectorError(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  const requirements: LabelRequirement[] = [];
  for (const term of splitTerms(text)) {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (setMatch) {
      const values = (setMatch[3] ?? '').split(',').map((value) => value.trim()).filter((value) => value.length > 0).map((value) => checkValue(value, text));
      requirements.push({ op: setMatch[2] as 'in' | 'notin', key: checkKey(setMatch[1] ?? '', text), values });
      continue;
    }
    const equalityMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (equalityMatch) {
      const key = checkKey(equalityMatch[1] ?? '', text);
      requirements.push({ op: equalityMatch[2] === '!=' ? 'notin' : 'in', key, values: [checkValue(equalityMatch[3] ?? '', text)] });
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

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
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
