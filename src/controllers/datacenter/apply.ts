import type { Action } from '../framework/index.js';

/** The DataCenter controller makes no backend writes; an action reaching apply is a bug. */
export function applyDataCenter(action: Action<never>): Promise<void> {
  return Promise.reject(new Error(`the DataCenter controller never writes to a backend (asked to ${action.verb} ${action.resource} ${action.name})`));
}
