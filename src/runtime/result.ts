/** What a reconcile returns: controller-runtime's Result/error combinations made explicit. */
export type ReconcileResult =
  | { type: 'done' }
  | { type: 'requeue' }
  | { type: 'requeueAfter'; afterMs: number }
  | { type: 'transientError'; error: Error }
  | { type: 'terminalError'; error: Error };

/** Thrown (or returned) for errors that retrying cannot fix, e.g. invalid configuration. */
export class TerminalError extends Error {
  constructor(message: string, readonly reason = 'InvalidConfiguration') {
    super(message);
    this.name = 'TerminalError';
  }
}

export const Result = {
  done: (): ReconcileResult => ({ type: 'done' }),
  requeue: (): ReconcileResult => ({ type: 'requeue' }),
  requeueAfter: (afterMs: number): ReconcileResult => {
    if (!(afterMs > 0)) throw new Error('requeueAfter needs a positive delay');
    return { type: 'requeueAfter', afterMs };
  },
  transientError: (error: Error): ReconcileResult => ({ type: 'transientError', error }),
  terminalError: (error: Error): ReconcileResult => ({ type: 'terminalError', error }),
};
