/** How a failed reconcile step is treated: retried with backoff, or parked until the spec changes. */
export type ErrorClass = 'transient' | 'terminal';

/** Raised by controllers for configuration that retrying cannot fix (InvalidConfiguration). */
export class InvalidConfigurationError extends Error {
  readonly reason = 'InvalidConfiguration';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigurationError';
  }
}

/** A dependency (a partition, a tenant, a project) is not ready yet: wait, do not count as failure. */
export class DependencyNotReadyError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly retryAfterMs = 15_000,
  ) {
    super(message);
    this.name = 'DependencyNotReadyError';
  }
}

interface MaybeBackendError {
  name?: unknown;
  transient?: unknown;
  status?: unknown;
}

/**
 * Backend errors carry `transient` (Unavailable, OverQuota, Conflict, timeouts); client-side and
 * 4xx errors do not. Anything unknown is treated as transient: retrying with backoff is safe, and
 * parking an object on a bug would hide it.
 */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof InvalidConfigurationError) return 'terminal';
  const candidate = error as MaybeBackendError | null;
  if (candidate && typeof candidate.transient === 'boolean') return candidate.transient ? 'transient' : 'terminal';
  return 'transient';
}

/** The CamelCase condition reason for an error. */
export function errorReason(error: unknown): string {
  if (error instanceof InvalidConfigurationError) return 'InvalidConfiguration';
  if (error instanceof DependencyNotReadyError) return error.reason;
  return classifyError(error) === 'terminal' ? 'BackendRejected' : 'TransientError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
