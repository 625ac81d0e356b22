/** Typed errors of the Kubernetes API client. Messages never include request bodies or headers. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly requestId: string,
  ) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'ApiError';
  }
}

/** The API could not be reached or did not answer in time. */
export class TransportError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly requestId: string,
    readonly causeMessage: string,
    readonly timedOut: boolean,
  ) {
    super(`${method} ${path}: ${timedOut ? 'timed out' : causeMessage}`);
    this.name = 'TransportError';
  }
}

export function isStatus(error: unknown, code: number): boolean {
  return error instanceof ApiError && error.statusCode === code;
}

export const isNotFound = (error: unknown): boolean => isStatus(error, 404);
export const isConflict = (error: unknown): boolean => isStatus(error, 409);
export const isGone = (error: unknown): boolean => isStatus(error, 410);
export const isAlreadyExists = (error: unknown): boolean =>
  error instanceof ApiError && error.statusCode === 409 && error.reason === 'AlreadyExists';
