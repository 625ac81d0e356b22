/**
 * Typed errors of the Ceph clients. Names match the shared HTTP layer's error classes so that
 * controllers can branch on `error.name` regardless of which transport raised them.
 * Messages never carry credentials or tokens.
 */

export interface BackendErrorDetails {
  service: string;
  method: string;
  /** The URL path without query string: query strings may carry access keys. */
  path: string;
  status?: number;
  /** The backend's request id when it returned one, else the id this client sent. */
  requestId?: string;
  /** The backend's own error code, e.g. RGW's `NoSuchUser` or the dashboard's `code`. */
  backendCode?: string;
}

export class BackendError extends Error {
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly backendCode: string | undefined;
  /** Whether retrying the same call later may succeed. */
  readonly transient: boolean = false;

  constructor(message: string, details: BackendErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.service = details.service;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.requestId = details.requestId;
    this.backendCode = details.backendCode;
  }
}

export class NotFoundError extends BackendError {}
export class ConflictError extends BackendError {}
export class OverQuotaError extends BackendError {
  override readonly transient = true;
}
export class BadRequestError extends BackendError {}
export class UnauthorizedError extends BackendError {}
export class ForbiddenError extends BackendError {}
export class UnavailableError extends BackendError {
  override readonly transient = true;
}
export class TimeoutError extends BackendError {
  override readonly transient = true;
}
/** The connected Ceph release does not offer this operation through its API. */
export class UnsupportedError extends BackendError {}
/** An asynchronous dashboard task finished with an error. */
export class TaskFailedError extends BackendError {}

export type BackendErrorClass = new (
  message: string,
  details: BackendErrorDetails,
  options?: { cause?: unknown },
) => BackendError;

/** Maps an HTTP status to the error class controllers act on. */
export function errorClassForStatus(status: number): BackendErrorClass {
  if (status === 400 || status === 422) return BadRequestError;
  if (status === 401) return UnauthorizedError;
  if (status === 403) return ForbiddenError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 413) return OverQuotaError;
  if (status === 408 || status === 504) return TimeoutError;
  if (status === 501) return UnsupportedError;
  return status >= 500 || status === 429 ? UnavailableError : BadRequestError;
}
