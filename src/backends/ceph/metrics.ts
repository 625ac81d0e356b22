import { Counter, Histogram, register } from 'prom-client';

/**
 * Backend request metrics. The shared HTTP layer registers the same names; whichever module loads
 * first creates them in prom-client's default registry and the other reuses them.
 */
export const BACKEND_REQUESTS_TOTAL = 'statsmoln_backend_requests_total';
export const BACKEND_REQUEST_DURATION_SECONDS = 'statsmoln_backend_request_duration_seconds';

type RequestLabels = 'service' | 'method' | 'code';
type DurationLabels = 'service' | 'method';

export function backendRequestsTotal(): Counter<RequestLabels> {
  const existing = register.getSingleMetric(BACKEND_REQUESTS_TOTAL) as Counter<RequestLabels> | undefined;
  return (
    existing ??
    new Counter({
      name: BACKEND_REQUESTS_TOTAL,
      help: 'Requests to backend APIs by service, HTTP method and status code (or timeout/network).',
      labelNames: ['service', 'method', 'code'],
    })
  );
}

export function backendRequestDurationSeconds(): Histogram<DurationLabels> {
  const existing = register.getSingleMetric(BACKEND_REQUEST_DURATION_SECONDS) as
    | Histogram<DurationLabels>
    | undefined;
  return (
    existing ??
    new Histogram({
      name: BACKEND_REQUEST_DURATION_SECONDS,
      help: 'Duration of backend API requests by service and HTTP method.',
      labelNames: ['service', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    })
  );
}
