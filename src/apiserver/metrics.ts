import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store.js';

/** What a request was, for metric labels (bounded: verbs, groups and resource plurals only). */
export interface RequestInfo {
  verb: string;
  group: string;
  resource: string;
}

/** kube-apiserver-compatible request metrics, in a registry of this server's own. */
export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'verb' | 'group' | 'resource' | 'code'>;
  private readonly duration: Histogram<'verb' | 'group' | 'resource'>;
  private readonly watchers: Gauge<'group' | 'resource'>;

  constructor(store: Store) {
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, API group, resource and HTTP response code.',
      labelNames: ['verb', 'group', 'resource', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, API group and resource (watch: until the stream starts).',
      labelNames: ['verb', 'group', 'resource'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.watchers = new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Number of currently registered watchers for a given resource.',
      labelNames: ['group', 'resource'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const resource of store.resources()) this.set({ resource: resource.replace(/^\//, '') }, store.size(resource));
      },
    });
    new Gauge({
      name: 'statsmoln_apiserver_resource_version',
      help: 'Current cluster-wide resourceVersion of the embedded API server.',
      registers: [this.registry],
      collect() {
        this.set(store.resourceVersion);
      },
    });
  }

  observe(info: RequestInfo, code: number, seconds: number): void {
    const labels = { verb: info.verb, group: info.group, resource: info.resource };
    this.requests.inc({ ...labels, code: String(code) });
    this.duration.observe(labels, seconds);
  }

  watchStarted(info: RequestInfo): () => void {
    const labels = { group: info.group, resource: info.resource };
    this.watchers.inc(labels);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.watchers.dec(labels);
    };
  }
}
