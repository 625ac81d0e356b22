/**
 * Plans are data: an ordered list of actions a controller would take against its backends. The same
 * list drives apply, dry runs, `statsmoln plan`, and drift detection (a non-empty plan for an object
 * that was Ready is drift).
 */
export type Verb = 'create' | 'update' | 'delete' | 'snapshot' | 'retain';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Action<Payload = unknown> {
  verb: Verb;
  /** The kind of backend object, for example 'keystone project' or 'cinder volume'. */
  resource: string;
  /** Where: 'sto-1/production', or 'kubernetes'. */
  scope: string;
  /** The backend object's deterministic name (or id, when it has no name). */
  name: string;
  /** For updates: what changes. */
  changes?: FieldChange[];
  /** Why the action is needed, in a few words ('missing', 'drift', 'deletionPolicy Delete'). */
  reason?: string;
  /** What apply needs; typed by each controller. */
  payload: Payload;
}

/** Actions that change nothing in a backend. */
export const NON_WRITING: ReadonlySet<Verb> = new Set(['retain']);

export function isWrite(action: Action): boolean {
  return !NON_WRITING.has(action.verb);
}

const SYMBOL: Record<Verb, string> = { create: '+', update: '~', delete: '-', snapshot: '*', retain: '=' };

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One readable line per action (and one per changed field), as `statsmoln plan` prints them. */
export function formatAction(action: Action): string[] {
  const head = `${SYMBOL[action.verb]} ${action.verb} ${action.resource} ${action.name} (${action.scope})${action.reason ? `: ${action.reason}` : ''}`;
  const changes = (action.changes ?? []).map((change) => `    ${change.field}: ${show(change.from)} -> ${show(change.to)}`);
  return [head, ...changes];
}

/** A short summary for conditions and events: "2 to create, 1 to update". */
export function summarizeActions(actions: readonly Action[]): string {
  const counts = new Map<Verb, number>();
  for (const action of actions) counts.set(action.verb, (counts.get(action.verb) ?? 0) + 1);
  return [...counts].map(([verb, count]) => `${count} to ${verb}`).join(', ');
}

/** Actions grouped by verb, verbs in the order they first occur. */
export function groupByVerb<A extends Action>(actions: readonly A[]): Map<Verb, A[]> {
  const groups = new Map<Verb, A[]>();
  for (const action of actions) {
    const group = groups.get(action.verb);
    if (group) group.push(action);
    else groups.set(action.verb, [action]);
  }
  return groups;
}

/**
 * The head line of each action, joined with "; " within maxBytes (UTF-8): whole lines only, the rest
 * counted ("... and 4 more"). Prefixed with the count when there is more than one.
 */
export function describeActions(actions: readonly Action[], maxBytes: number): string {
  const lines = actions.map((action) => formatAction(action)[0] ?? action.name);
  const prefix = lines.length > 1 ? `${lines.length} actions: ` : '';
  let note = prefix;
  for (const [index, line] of lines.entries()) {
    const separator = index === 0 ? '' : '; ';
    const rest = lines.length - index - 1;
    const tail = rest > 0 ? `; ... and ${rest} more` : '';
    // The first line always goes in (the event recorder cuts an over-long note at its limit).
    if (index > 0 && Buffer.byteLength(note + separator + line + tail, 'utf8') > maxBytes) {
      return `${note}; ... and ${lines.length - index} more`;
    }
    note += separator + line;
  }
  return note;
}

/** The JSON form of a plan, for bots. */
export function actionJson(action: Action): Omit<Action, 'payload'> {
  const { payload: _payload, ...rest } = action;
  return rest;
}
