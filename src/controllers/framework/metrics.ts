import { Counter, type Registry } from 'prom-client';

/** Metrics of the statsmoln controllers, on top of the runtime's controller-runtime metrics. */
export class ControllerMetrics {
  readonly driftDetected: Counter<'kind'>;
  readonly backendActions: Counter<'kind' | 'verb' | 'result'>;

  constructor(registry: Registry) {
    this.driftDetected = new Counter({
      name: 'statsmoln_drift_detected_total',
      help: 'Reconciles that found a Ready object whose backends no longer matched its spec.',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.backendActions = new Counter({
      name: 'statsmoln_backend_actions_total',
      help: 'Planned backend actions carried out, by kind, verb and result.',
      labelNames: ['kind', 'verb', 'result'],
      registers: [registry],
    });
  }
}
