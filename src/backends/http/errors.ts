/**
 * Typed backend errors. Every error keeps the backend's own message and request id so that an SRE can
 * correlate it with the service's logs; none ever carries a credential (the HTTP client redacts them).
 */
export type BackendErrorKind =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'OverQuota'
  | 'Unavailable'
  | 'Unexpected';

export interface BackendErrorDetails {
  service: string;
  method: string;
  /** Path of the request without query string (ids only, never credentials). */
  path: string;
  /** HTTP status, or undefined when no response was received (timeout, connection error). */
  status?: number;
  requestId?: string;
  /** The service's own message, verbatim (after credential redaction). */
  serviceMessage: string;
  /** A service-specific error type when the body names one (for example Neutron's `OverQuota`). */
  serviceType?: string;
}

export class BackendError extends Error {
  readonly kind: BackendErrorKind;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly serviceMessage: string;
  readonly serviceType: string | undefined;

  constructor(kind: BackendErrorKind, details: BackendErrorDetails) {
    const where = `${details.service} ${details.method} ${details.path}`;
    const status = details.status === undefined ? '' : ` ${details.status}`;
    const rid = details.requestId ? ` [${details.requestId}]` : '';
    super(`${kind}${status} from ${where}${rid}: ${details.serviceMessage}`);
    this.name = `${kind}Error`;
    this.kind = kind;
    this.service = details.service;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.requestId = details.requestId;
    this.serviceMessage = details.serviceMessage;
    this.serviceType = details.serviceType;
  }

  /** Transient errors are worth retrying later (at the reconcile level); the rest need a spec change. */
  get transient(): boolean {
    return this.kind === 'Unavailable' || this.kind === 'OverQuota' || this.kind === 'Conflict';
  }
}

export class BadRequestError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('BadRequest', d);
  }
}
export class UnauthorizedError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('Unauthorized', d);
  }
}
export class ForbiddenError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('Forbidden', d);
  }
}
export class NotFoundError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('NotFound', d);
  }
}
export class ConflictError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('Conflict', d);
  }
}
export class OverQuotaError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('OverQuota', d);
  }
}
export class UnavailableError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('Unavailable', d);
  }
}
export class UnexpectedResponseError extends BackendError {
  constructor(d: BackendErrorDetails) {
    super('Unexpected', d);
  }
}

const constructors: Record<BackendErrorKind, new (d: BackendErrorDetails) => BackendError> = {
  BadRequest: BadRequestError,
  Unauthorized: UnauthorizedError,
  Forbidden: ForbiddenError,
  NotFound: NotFoundError,
  Conflict: ConflictError,
  OverQuota: OverQuotaError,
  Unavailable: UnavailableError,
  Unexpected: UnexpectedResponseError,
};

export function backendError(kind: BackendErrorKind, details: BackendErrorDetails): BackendError {
  return new constructors[kind](details);
}

/** The default mapping from an HTTP status to an error kind; services refine it (quota, for example). */
export function kindForStatus(status: number): BackendErrorKind {
  if (status === 400 || status === 422) return 'BadRequest';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 413) return 'OverQuota';
  if (status >= 500) return 'Unavailable';
  return 'Unexpected';
}
