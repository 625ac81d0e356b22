import type { Counter, Histogram } from 'prom-client';
import { backendMetrics } from '../http/metrics.js';

/**
 * Backend request metrics: the same series the shared HTTP layer (and so the OpenStack clients)
 * record into, from prom-client's default registry, so that the two never register a name twice.
 */
export const BACKEND_REQUESTS_TOTAL = 'statsmoln_backend_requests_total';
export const BACKEND_REQUEST_DURATION_SECONDS = 'statsmoln_backend_request_duration_seconds';

export function backendRequestsTotal(): Counter<'service' | 'method' | 'code'> {
  return backendMetrics().requests;
}

export function backendRequestDurationSeconds(): Histogram<'service' | 'method'> {
  return backendMetrics().duration;
}
