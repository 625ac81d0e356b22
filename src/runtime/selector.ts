/** Kubernetes label selectors (equality- and set-based) parsed once and matched in memory. */
export type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: Set<string> };

export type LabelSelector = readonly Requirement[];

export function parseLabelSelector(text: string): LabelSelector {
  const requirements: Requirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === '') continue;
    let match: RegExpMatchArray | null;
    if ((match = part.match(/^!\s*([\w./-]+)$/))) {
      requirements.push({ key: match[1] as string, op: 'notexists' });
    } else if ((match = part.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = new Set((match[3] as string).split(',').map((v) => v.trim()).filter((v) => v !== ''));
      requirements.push({ key: match[1] as string, op: match[2] as 'in' | 'notin', values });
    } else if ((match = part.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/))) {
      const values = new Set([match[3] as string]);
      requirements.push({ key: match[1] as string, op: match[2] === '!=' ? 'notin' : 'in', values });
    } else if ((match = part.match(/^([\w./-]+)$/))) {
      requirements.push({ key: match[1] as string, op: 'exists' });
    } else {
      throw new Error(`invalid label selector term ${JSON.stringify(part)}`);
    }
  }
  return requirements;
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case 'exists':
        if (value === undefined) return false;
        break;
      case 'notexists':
        if (value !== undefined) return false;
        break;
      case 'in':
        if (value === undefined || !req.values.has(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && req.values.has(value)) return false;
        break;
    }
  }
  return true;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}
