import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OverQuotaError,
  UnauthorizedError,
  errorClassForStatus,
  type BackendErrorClass,
} from './errors.js';

/**
 * The dashboard reports librados/librbd failures as HTTP 400 with the errno in `code`
 * (e.g. `{"detail": "[errno 17] RBD image already exists ...", "code": "17", "component": "rbd"}`),
 * and its own checks with symbolic codes. Map both to the error classes controllers act on.
 */
const CODE_CLASSES: Record<string, BackendErrorClass> = {
  '2': NotFoundError, // ENOENT
  '17': ConflictError, // EEXIST
  '16': ConflictError, // EBUSY
  '39': ConflictError, // ENOTEMPTY
  '1': ForbiddenError, // EPERM
  '13': ForbiddenError, // EACCES
  '22': BadRequestError, // EINVAL
  '28': OverQuotaError, // ENOSPC
  '122': OverQuotaError, // EDQUOT
  namespace_already_exists: ConflictError,
  namespace_contains_images: ConflictError,
  invalid_credentials: UnauthorizedError,
};

export interface DashboardErrorBody {
  detail?: unknown;
  code?: unknown;
  status?: unknown;
  request_id?: unknown;
}

export function describeDashboardError(
  status: number,
  body: unknown,
): { message: string; backendCode?: string; errorClass?: BackendErrorClass; requestId?: string } {
  if (!body || typeof body !== 'object') {
    return { message: typeof body === 'string' ? body.slice(0, 300) : `HTTP ${status}` };
  }
  const record = body as DashboardErrorBody;
  const detail = typeof record.detail === 'string' ? record.detail.slice(0, 300) : `HTTP ${status}`;
  const code = record.code === undefined || record.code === null ? undefined : String(record.code);
  const requestId = typeof record.request_id === 'string' ? record.request_id : undefined;
  const errorClass = code !== undefined && status === 400 ? CODE_CLASSES[code] : undefined;
  return {
    message: detail,
    ...(code === undefined ? {} : { backendCode: code }),
    ...(errorClass ? { errorClass } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/** Error class for a failed asynchronous task's `exception` (same shape as an error body). */
export function errorClassForTaskException(exception: DashboardErrorBody): BackendErrorClass {
  const status = typeof exception.status === 'number' ? exception.status : 500;
  const code = exception.code === undefined || exception.code === null ? undefined : String(exception.code);
  return (code !== undefined ? CODE_CLASSES[code] : undefined) ?? errorClassForStatus(status);
}
