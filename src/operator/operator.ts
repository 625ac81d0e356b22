/**
 * Assembles the operator: the Manager (informers, controllers, optional leader election, probe and
 * metrics server), the BackendRegistry, the DataCenter controller, and any further controllers
 * given as registrations (AgencyTenant, ComputeQuota, StorageVolume plug in with one line each).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { LevelWithSilent } from 'pino';
import { ConcurrencyLimiter, registerLimiterMetrics } from '../backends/http/limiter.js';
import { BackendRegistry, ControllerMetrics } from '../controllers/framework/index.js';
import { dataCenterRegistration } from '../controllers/datacenter/index.js';
import { createLogger, Manager, silentLogger, RuntimeMetrics, type Clock, type KubeClient, type Logger, type StopReason } from '../runtime/index.js';
import { registerResourceMetrics } from './resource-metrics.js';
import { createOperatorInformers, type OperatorInformers } from './informers.js';
import type { ActuatorDeps, ControllerRegistration } from './registration.js';
import { startOperatorMetering, type OperatorMetering, type OperatorMeteringOptions } from './metering.js';
import { SECRETS } from './manifests.js';

export const DEFAULT_OPERATOR_NAMESPACE = 'statsmoln-system';
export const DEFAULT_LEASE_NAME = 'statsmoln-operator';
export const DEFAULT_BACKEND_CONCURRENCY = 32;

export interface OperatorOptions {
  /** How to reach the API server; or `client`, a ready client (local mode, tests). */
  kubeConfig?: KubeConfig;
  client?: KubeClient;
  /** Namespace of the credential Secrets (and, by default, of the leader-election Lease). */
  operatorNamespace?: string;
  /** Omit for a single replica without election. */
  leaderElection?: { namespace?: string; leaseName?: string; identity?: string };
  /** Probe and metrics server (/healthz, /readyz, /metrics); false disables it. */
  metricsAddress?: { host: string; port: number } | false;
  /** Workers per controller. */
  concurrency?: number;
  /** Full resync of every informer; 0 disables. */
  resyncPeriodMs?: number;
  /** How often each DataCenter's backends are checked. */
  dataCenterCheckIntervalMs?: number;
  /** Timeout of every backend call. */
  backendTimeoutMs?: number;
  /**
   * Backend requests in flight at once, across every controller and data center (default
   * DEFAULT_BACKEND_CONCURRENCY): a burst of reconciles queues here instead of flooding OpenStack
   * and Ceph.
   */
  backendConcurrency?: number;
  logLevel?: LevelWithSilent;
  logger?: Logger;
  clock?: Clock;
  /** Controllers besides the DataCenter's. */
  registrations?: ControllerRegistration[];
  /** Stop on SIGTERM/SIGINT. */
  handleSignals?: boolean;
  gracefulShutdownTimeoutMs?: number;
  /** Usage metering (collector on the leader, outbox and sinks); omit to run without. */
  metering?: OperatorMeteringOptions;
}

export interface RunningOperator {
  manager: Manager;
  registry: BackendRegistry;
  /** The operator-wide cap on backend requests in flight. */
  backendLimiter: ConcurrencyLimiter;
  informers: OperatorInformers;
  metrics: RuntimeMetrics;
  /** Kinds with a running controller. */
  kinds: string[];
  /** The metering pipeline and collector, when configured. */
  metering: OperatorMetering | undefined;
  /** http://host:port of the probe and metrics server, when enabled. */
  serverUrl: string | undefined;
  stop(): Promise<StopReason>;
  wait(): Promise<StopReason>;
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const operatorNamespace = options.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, not ${concurrency}`);
  const level = options.logLevel ?? 'info';
  const logger = options.logger ?? (level === 'silent' ? silentLogger() : createLogger({ level }));
  const metrics = new RuntimeMetrics({ collectDefaults: true });
  const election = options.leaderElection;
  const manager = new Manager({
    ...(options.kubeConfig ? { kubeConfig: options.kubeConfig } : {}),
    ...(options.client ? { client: options.client } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    logger,
    metrics,
    server: options.metricsAddress === false ? false : (options.metricsAddress ?? { host: '0.0.0.0', port: 8080 }),
    ...(election
      ? {
          leaderElection: {
            namespace: election.namespace ?? operatorNamespace,
            name: election.leaseName ?? DEFAULT_LEASE_NAME,
            ...(election.identity ? { identity: election.identity } : {}),
          },
        }
      : {}),
    ...(options.handleSignals ? { handleSignals: true } : {}),
    ...(options.gracefulShutdownTimeoutMs !== undefined ? { gracefulShutdownTimeoutMs: options.gracefulShutdownTimeoutMs } : {}),
  });
  const informers = createOperatorInformers(manager, { resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000 });
  const limiter = new ConcurrencyLimiter(options.backendConcurrency ?? DEFAULT_BACKEND_CONCURRENCY);
  registerLimiterMetrics(limiter, metrics.registry);
  const registry = new BackendRegistry({
    client: manager.client,
    operatorNamespace,
    dataCenters: informers.dataCenters,
    secrets: manager.informer(SECRETS, { namespace: operatorNamespace, resyncPeriodMs: 0 }),
    timeoutMs: options.backendTimeoutMs ?? 30_000,
    metricsRegistry: metrics.registry,
    limiter,
  });
  const deps: ActuatorDeps = { registry, informers };
  const env = { manager, deps, controllerMetrics: new ControllerMetrics(metrics.registry), concurrency };
  const registrations = [
    dataCenterRegistration(options.dataCenterCheckIntervalMs !== undefined ? { checkIntervalMs: options.dataCenterCheckIntervalMs } : {}),
    ...(options.registrations ?? []),
  ];
  const kinds = registrations.map((registration) => registration.register(env));
  registerResourceMetrics(informers, kinds, metrics.registry);
  const metering = options.metering
    ? await startOperatorMetering(options.metering, { manager, client: manager.client, backends: registry, registry: metrics.registry, logger })
    : undefined;
  try {
    await manager.start();
  } catch (error) {
    await metering?.close();
    throw error;
  }
  logger.info({ kinds, operatorNamespace, concurrency, leaderElection: Boolean(election), metering: Boolean(metering) }, 'operator started');
  const finished = manager.wait().finally(async () => {
    registry.close();
    await metering?.close();
  });
  return {
    manager,
    registry,
    backendLimiter: limiter,
    informers,
    metrics,
    kinds,
    metering,
    serverUrl: manager.serverUrl,
    async stop() {
      await manager.stop();
      return finished;
    },
    wait: () => finished,
  };
}
