/**
 * The benches' side of bench/operator-platform.ts (the API server and simulators in a child process,
 * so that the operator under test has a core of its own), the operator under test, and its request counters.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { DestinationStream } from 'pino';
import { defaultRegistrations } from '../src/operator/controllers.js';
import { startOperator, type RunningOperator } from '../src/operator/operator.js';
import { createLogger, kubeConfigForServer } from '../src/runtime/index.js';
import type { PlatformMessage } from './operator-platform.js';

/** The platform child process and a request/answer over its IPC channel. */
export class Platform {
  private constructor(private readonly child: ChildProcess) {}

  /**
   * Starts bench/operator-platform.ts with `agencies` applied and `latencyMs` on every backend call;
   * `withoutTenants` leaves the AgencyTenants out, `cpuProfileDir` profiles the process until it exits.
   */
  static async start(
    agencies: number,
    latencyMs: number,
    options: { withoutTenants?: boolean; cpuProfileDir?: string | undefined } = {},
  ): Promise<{ platform: Platform; ready: Extract<PlatformMessage, { type: 'ready' }> }> {
    const execArgv = ['--import', 'tsx', ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
    const args = [String(agencies), String(latencyMs), ...(options.withoutTenants ? ['without-tenants'] : [])];
    const child = fork('bench/operator-platform.ts', args, { execArgv, stdio: 'inherit' });
    const ready = await new Promise<Extract<PlatformMessage, { type: 'ready' }>>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the platform process exited (${code}) before it was ready`)));
      child.once('message', (message: PlatformMessage) => {
        if (message.type === 'ready') resolve(message);
      });
    });
    return { platform: new Platform(child), ready };
  }

  private ask<T extends PlatformMessage['type']>(type: T): Promise<Extract<PlatformMessage, { type: T }>> {
    return new Promise((resolve) => {
      const onMessage = (message: PlatformMessage): void => {
        if (message.type !== type) return;
        this.child.off('message', onMessage);
        resolve(message as Extract<PlatformMessage, { type: T }>);
      };
      this.child.on('message', onMessage);
      this.child.send({ type });
    });
  }

  /**
   * Backend request counters, the CPU the platform process (API server, simulators) has used so far,
   * and its event-loop delay and answer times since the last reset.
   */
  async snapshot(): Promise<Omit<Extract<PlatformMessage, { type: 'counts' }>, 'type'>> {
    const { type: _type, ...snapshot } = await this.ask('counts');
    return snapshot;
  }

  async reset(): Promise<void> {
    await this.ask('reset');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    const code = await exited;
    if (code !== 0) throw new Error(`the platform process exited with ${code} while stopping`);
  }
}

/** The operator under test, with every default controller, against the platform: no metrics port, warnings to `logDestination`. */
export function startBenchOperator(
  ready: Extract<PlatformMessage, { type: 'ready' }>,
  options: { concurrency: number; backendConcurrency: number; resyncPeriodMs: number; logDestination: DestinationStream },
): Promise<RunningOperator> {
  return startOperator({
    kubeConfig: kubeConfigForServer(ready.url, ready.token, ready.caData),
    operatorNamespace: ready.operatorNamespace,
    metricsAddress: false,
    concurrency: options.concurrency,
    backendConcurrency: options.backendConcurrency,
    resyncPeriodMs: options.resyncPeriodMs,
    logger: createLogger({ level: 'warn', destination: options.logDestination }),
    registrations: defaultRegistrations(),
  });
}

/** Kubernetes API requests the operator made so far, by method. */
export async function kubeRequestsByMethod(operator: RunningOperator): Promise<Map<string, number>> {
  const byMethod = new Map<string, number>();
  const requests = operator.metrics.registry.getSingleMetric('rest_client_requests_total');
  for (const sample of requests ? (await requests.get()).values : []) {
    const method = String(sample.labels.method);
    byMethod.set(method, (byMethod.get(method) ?? 0) + sample.value);
  }
  return byMethod;
}

/** Of requests by method, the writes: everything but reads (GET, LIST, WATCH). */
export function kubeWritesOf(byMethod: ReadonlyMap<string, number>): number {
  let writes = 0;
  for (const [method, value] of byMethod) if (!['GET', 'LIST', 'WATCH'].includes(method)) writes += value;
  return writes;
}
