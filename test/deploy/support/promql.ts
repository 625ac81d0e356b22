/**
 * What a PromQL expression refers to: metric names, the label names it matches or groups on, and the
 * values of its equality matchers. Enough of PromQL's lexical structure for alert rules: strings,
 * `{...}` matchers, `[...]` ranges, grouping and vector-matching clauses, function calls.
 */
export interface PromqlReferences {
  metrics: string[];
  labels: string[];
  /** `metric{label="value"}` equality matchers. */
  equalities: Array<{ metric: string; label: string; value: string }>;
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

export function promqlReferences(expr: string): PromqlReferences {
  const labels = new Set<string>();
  const equalities: PromqlReferences['equalities'] = [];
  let text = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _keyword: string, names: string) => {
    for (const name of names.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) labels.add(name);
    return ' ';
  });
  text = text.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g, (_, metric: string | undefined, matchers: string) => {
    for (const matcher of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      labels.add(matcher[1]!);
      if (matcher[2] === '=' && metric) equalities.push({ metric, label: matcher[1]!, value: matcher[3]! });
    }
    return ` ${metric ?? ''} `;
  });
  text = text.replace(/"(?:[^"\\]|\\.)*"/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const metrics = new Set<string>();
  for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const before = text[match.index! - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // the unit of a duration or the exponent of a number
    const after = text.slice(match.index! + name.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    metrics.add(name);
  }
  return { metrics: [...metrics], labels: [...labels], equalities };
}
