import type { OutboxEntry } from '../outbox/frame.js';

/**
 * A destination for events. `deliver` resolves only when the destination has accepted every entry of
 * the batch (then the outbox cursor moves); it rejects otherwise and the whole batch is retried, so
 * delivery is at least once and consumers de-duplicate on (source, id).
 */
export interface Sink {
  readonly name: string;
  deliver(entries: readonly OutboxEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** A delivery failure with a short bounded reason for metrics and, where known, the backend request id. */
export class SinkDeliveryError extends Error {
  override name = 'SinkDeliveryError';

  constructor(
    message: string,
    readonly reason: string,
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
