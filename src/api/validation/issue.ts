export type Severity = 'error' | 'warning';
export type FieldPath = ReadonlyArray<string | number>;

/** One problem found in one object, located by field path. */
export interface Issue {
  severity: Severity;
  /** Path from the object's root, for example ['spec', 'placement', 'dataCenters', 1]. */
  path: FieldPath;
  message: string;
  /** Stable identifier of the rule, for tests, docs and suppression. */
  rule: string;
}

export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

export const error = (rule: string, path: FieldPath, message: string): Issue => ({ severity: 'error', rule, path, message });
export const warning = (rule: string, path: FieldPath, message: string): Issue => ({
  severity: 'warning',
  rule,
  path,
  message,
});
