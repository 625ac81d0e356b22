import { Counter, Histogram, register as defaultRegistry, type Registry } from 'prom-client';

/** Request counters and latency histograms shared by every backend client (OpenStack, Ceph, ...). */
export interface BackendMetrics {
  requests: Counter<'service' | 'method' | 'code'>;
  duration: Histogram<'service' | 'method'>;
}

const byRegistry = new WeakMap<Registry, BackendMetrics>();

/** One set of metrics per registry: clients created many times share the same series. */
export function backendMetrics(registry: Registry = defaultRegistry): BackendMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const metrics: BackendMetrics = {
    requests: new Counter({
      name: 'statsmoln_backend_requests_total',
      help: 'Requests to backend services by service, HTTP method and status code (or "timeout"/"connection").',
      labelNames: ['service', 'method', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'statsmoln_backend_request_duration_seconds',
      help: 'Latency of backend requests, including failed ones, by service and HTTP method.',
      labelNames: ['service', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
