/** The outbox found damage that a crash cannot explain (not a torn tail): it refuses to guess. */
export class OutboxCorruptError extends Error {
  override name = 'OutboxCorruptError';
}

/** A write or fsync failed; the on-disk state is unknown, so the outbox stops accepting appends. */
export class OutboxFailedError extends Error {
  override name = 'OutboxFailedError';
}

export class OutboxClosedError extends Error {
  override name = 'OutboxClosedError';
}
