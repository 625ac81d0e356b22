import type { JsonObject } from './types.js';

/** One entry of `details.causes` in a Status, as kube-apiserver reports field errors. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A failure that the server answers with a `kind: Status` body and the given HTTP code. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details) status.details = JSON.parse(JSON.stringify(this.details)) as JsonObject;
    status.code = this.code;
    return status;
  }
}

/** The resource as kube-apiserver names it in messages: `plural.group`, or `plural` for core. */
export interface ResourceName {
  group: string;
  plural: string;
  kind: string;
}

export function qualifiedResource(resource: ResourceName): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

export function qualifiedKind(resource: ResourceName): string {
  return resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
}

function resourceDetails(resource: ResourceName, name: string): StatusDetails {
  const details: StatusDetails = { name };
  if (resource.group) details.group = resource.group;
  details.kind = resource.plural;
  return details;
}

export function notFound(resource: ResourceName, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, resourceDetails(resource, name));
}

export function alreadyExists(resource: ResourceName, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`, resourceDetails(resource, name));
}

export function conflict(resource: ResourceName, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`,
    resourceDetails(resource, name),
  );
}

export const STALE_OBJECT = 'the object has been modified; please apply your changes to the latest version and try again';

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, 'Forbidden', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`);
}

/** A 404 for a path that names no served resource, worded as kube-apiserver words it. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/**
 * Field errors as `k8s.io/apimachinery/pkg/util/validation/field` renders them; `message`
 * is the full text after the field path ("Invalid value: 3: must be ...").
 */
export interface FieldError {
  field: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueDuplicate' | 'FieldValueTypeInvalid' | 'FieldValueNotFound';
  message: string;
}

export function invalid(resource: ResourceName, name: string, errors: FieldError[]): ApiError {
  const rendered = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  const details: StatusDetails = { name };
  if (resource.group) details.group = resource.group;
  details.kind = resource.kind;
  details.causes = errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field }));
  return new ApiError(422, 'Invalid', `${qualifiedKind(resource)} "${name}" is invalid: ${summary}`, details);
}

/** Renders a value the way Go's field.Invalid renders it in messages. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return '"array"';
  return '"object"';
}
