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

/** The JSON form of a plan, for bots. */
export function actionJson(action: Action): Omit<Action, 'payload'> {
  const { payload: _payload, ...rest } = action;
  return rest;
}
