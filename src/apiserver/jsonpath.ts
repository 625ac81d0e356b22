/**
 * The subset of kubectl's JSONPath that printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]`
 * and filters `[?(@.type=="Ready")]`. Returns every match.
 */
type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' } | { kind: 'filter'; path: string[]; op: '==' | '!='; value: string };

function parse(path: string): Step[] {
  const steps: Step[] = [];
  let text = path.trim().replace(/^\{/, '').replace(/\}$/, '');
  if (text.startsWith('$')) text = text.slice(1);
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '.') {
      i++;
      let name = '';
      while (i < text.length && text[i] !== '.' && text[i] !== '[') name += text[i++];
      if (name) steps.push({ kind: 'field', name });
    } else if (char === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated [ in JSONPath ${path}`);
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else {
        const filter = /^\?\(@\.([\w.-]+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([\w.-]+))\)$/.exec(inner);
        if (!filter) throw new Error(`unsupported JSONPath segment [${inner}] in ${path}`);
        steps.push({ kind: 'filter', path: (filter[1] ?? '').split('.'), op: filter[2] as '==' | '!=', value: filter[3] ?? filter[4] ?? filter[5] ?? '' });
      }
    } else {
      let name = '';
      while (i < text.length && text[i] !== '.' && text[i] !== '[') name += text[i++];
      steps.push({ kind: 'field', name });
    }
  }
  return steps;
}

function child(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

export function evaluateJsonPath(path: string, root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === 'field') {
        const found = child(value, step.name);
        if (found !== undefined) next.push(found);
      } else if (step.kind === 'index') {
        if (Array.isArray(value)) {
          const found = value[step.index < 0 ? value.length + step.index : step.index];
          if (found !== undefined) next.push(found);
        }
      } else if (step.kind === 'all') {
        if (Array.isArray(value)) next.push(...value);
        else if (typeof value === 'object' && value !== null) next.push(...Object.values(value));
      } else if (Array.isArray(value)) {
        for (const item of value) {
          let field: unknown = item;
          for (const part of step.path) field = child(field, part);
          const text = field === undefined || field === null ? undefined : String(field);
          if ((text === step.value) === (step.op === '==')) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
