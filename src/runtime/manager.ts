/**
 * The Manager owns everything a controller process runs: the API client, shared informers,
 * controllers, leader election, the probe/metrics server, events and graceful shutdown.
 *
 * Informers run on every replica (a standby keeps a warm cache); controllers run only while this
 * replica leads. Losing the lease aborts every controller at once and ends the manager with
 * reason 'leadership-lost' (the process should exit and restart, as controller-runtime does).
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from './clock.js';
import { RealClock } from './clock.js';
import { KubeClient } from './client.js';
import type { ControllerOptions } from './controller.js';
import { Controller } from './controller.js';
import { EventRecorder } from './events.js';
import type { InformerOptions } from './informer.js';
import { SharedInformer } from './informer.js';
import { LeaderElector } from './leaderelection.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import type { ProbeServer } from './server.js';
import { startProbeServer } from './server.js';
import type { KubeObject, ResourceType } from './types.js';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeConfig?: KubeConfig;
  /** Alternatively a ready client (tests); one of kubeConfig/client is required. */
  client?: KubeClient;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  /** Omit to run controllers without election (single replica, local mode). */
  leaderElection?: LeaderElectionConfig;
  /** Probe/metrics server; false disables it. Default 127.0.0.1:8080. */
  server?: { host?: string; port?: number } | false;
  /** How long in-flight reconciles may take to finish on shutdown. */
  gracefulShutdownTimeoutMs?: number;
  /** reportingController of events. */
  eventController?: string;
  eventApi?: 'events.k8s.io/v1' | 'v1';
  /** Install SIGTERM/SIGINT handlers that call stop(). */
  handleSignals?: boolean;
  random?: () => number;
}

interface LeaderRunnable {
  name: string;
  run: (signal: AbortSignal) => Promise<void>;
}

export type StopReason = 'stopped' | 'leadership-lost';

export type InformerConfig = Pick<
  InformerOptions,
  'namespace' | 'labelSelector' | 'resyncPeriodMs' | 'resyncJitter' | 'pageSize' | 'watchTimeoutSeconds' | 'transform'
>;

export type ManagedControllerOptions<T extends KubeObject> = Omit<
  ControllerOptions<T>,
  'primary' | 'clock' | 'logger' | 'metrics'
> & { type: ResourceType; informer?: InformerConfig };

export class Manager {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly events: EventRecorder;
  readonly identity: string;
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly controllers: Controller<KubeObject>[] = [];
  private readonly leaderRunnables: LeaderRunnable[] = [];
  private readonly informerScope = new AbortController();
  private readonly electionScope = new AbortController();
  private controllerScope?: AbortController;
  private controllerRuns: Promise<void>[] = [];
  private informerRuns: Promise<void>[] = [];
  private electionRun?: Promise<void>;
  private elector?: LeaderElector;
  private server?: ProbeServer;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopReason: StopReason = 'stopped';
  private readonly finished: Promise<StopReason>;
  private finish!: (reason: StopReason) => void;
  private signalHandler?: () => void;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.clock = options.clock ?? new RealClock();
    this.logger = options.logger ?? silentLogger();
    this.metrics = options.metrics ?? new RuntimeMetrics({ collectDefaults: true });
    if (options.client) this.client = options.client;
    else if (options.kubeConfig) this.client = new KubeClient({ kubeConfig: options.kubeConfig, metrics: this.metrics });
    else throw new Error('Manager needs a kubeConfig or a client');
    this.identity = options.leaderElection?.identity ?? `${hostname()}_${process.pid}`;
    this.events = new EventRecorder({
      client: this.client,
      clock: this.clock,
      logger: this.logger,
      controller: options.eventController ?? 'statsmoln.io/operator',
      instance: this.identity,
      api: options.eventApi,
    });
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** The shared informer for a type (and namespace/selector): one list/watch however many users. */
  informer<T extends KubeObject = KubeObject>(type: ResourceType, config: InformerConfig = {}): SharedInformer<T> {
    const id = [type.group, type.version, type.resource, config.namespace ?? '', config.labelSelector ?? ''].join('|');
    let informer = this.informers.get(id);
    if (!informer) {
      if (this.state !== 'new') throw new Error('create informers before starting the manager');
      informer = new SharedInformer<KubeObject>({
        client: this.client,
        type,
        clock: this.clock,
        logger: this.logger,
        random: this.options.random,
        ...config,
      });
      this.informers.set(id, informer);
    }
    return informer as unknown as SharedInformer<T>;
  }

  addController<T extends KubeObject>(options: ManagedControllerOptions<T>): Controller<T> {
    if (this.state !== 'new') throw new Error('add controllers before starting the manager');
    if (this.controllers.some((c) => c.name === options.name)) throw new Error(`duplicate controller name ${options.name}`);
    const { type, informer: informerConfig, ...rest } = options;
    const controller = new Controller<T>({
      ...rest,
      primary: this.informer<T>(type, informerConfig),
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
    });
    this.controllers.push(controller as unknown as Controller<KubeObject>);
    return controller;
  }

  /**
   * Work that runs beside the controllers on the leader only (the metering collector): started
   * when leadership is won, given a signal that aborts on shutdown or lost leadership, and awaited
   * by `stop`. It must return soon after the signal aborts.
   */
  addLeaderRunnable(name: string, run: (signal: AbortSignal) => Promise<void>): void {
    if (this.state !== 'new') throw new Error('add runnables before starting the manager');
    this.leaderRunnables.push({ name, run });
  }

  isLeader(): boolean {
    return this.options.leaderElection ? (this.elector?.isLeader() ?? false) : this.state === 'running';
  }

  cachesSynced(): boolean {
    return [...this.informers.values()].every((informer) => informer.hasSynced());
  }

  get serverUrl(): string | undefined {
    return this.server?.url;
  }

  /** Starts server, informers and (after election, if configured) controllers. Returns once started. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('manager already started');
    this.state = 'running';
    if (this.options.server !== false) {
      this.server = await startProbeServer({
        registry: this.metrics.registry,
        host: this.options.server?.host,
        port: this.options.server?.port,
        healthChecks: { ping: () => this.state === 'running' },
        readyChecks: { informers: () => this.cachesSynced(), running: () => this.state === 'running' },
      });
      this.logger.info({ url: this.server.url }, 'probe and metrics server listening');
    }
    for (const informer of this.informers.values()) this.informerRuns.push(informer.run(this.informerScope.signal));
    if (this.options.handleSignals) {
      this.signalHandler = () => void this.stop();
      process.once('SIGTERM', this.signalHandler);
      process.once('SIGINT', this.signalHandler);
    }
    const election = this.options.leaderElection;
    if (!election) {
      this.startControllers();
      return;
    }
    this.elector = new LeaderElector({
      client: this.client,
      namespace: election.namespace,
      name: election.name,
      identity: this.identity,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      leaseDurationMs: election.leaseDurationMs,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      random: this.options.random,
    });
    this.electionRun = this.elector.run(this.electionScope.signal, {
      onStartedLeading: (leaderSignal) => {
        this.logger.info({ identity: this.identity }, 'became leader, starting controllers');
        this.startControllers(leaderSignal);
      },
      onStoppedLeading: () => {
        this.controllerScope?.abort();
        if (this.state === 'running') {
          this.stopReason = 'leadership-lost';
          void this.stop();
        }
      },
    });
  }

  /** Resolves when the manager has fully stopped, with why. */
  wait(): Promise<StopReason> {
    return this.finished;
  }

  /**
   * Graceful shutdown: stop taking work, let in-flight reconciles finish within the deadline,
   * release the lease, stop informers and the server.
   */
  async stop(): Promise<StopReason> {
    if (this.state === 'stopping' || this.state === 'stopped') return this.finished;
    if (this.state === 'new') {
      this.state = 'stopped';
      this.finish(this.stopReason);
      return this.finished;
    }
    this.state = 'stopping';
    this.logger.info({ reason: this.stopReason }, 'shutting down');
    for (const controller of this.controllers) controller.queue.shutdown();
    const deadline = this.options.gracefulShutdownTimeoutMs ?? 30_000;
    const drained = await Promise.race([
      Promise.all(this.controllers.map((c) => c.queue.drained())).then(() => true),
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), deadline);
        timer.unref();
      }),
    ]);
    if (!drained) this.logger.warn({ deadlineMs: deadline }, 'in-flight reconciles did not finish before the deadline; aborting them');
    this.controllerScope?.abort();
    await Promise.all(this.controllerRuns);
    this.electionScope.abort();
    await this.electionRun;
    this.informerScope.abort();
    await Promise.all(this.informerRuns);
    await this.server?.close();
    if (this.signalHandler) {
      process.removeListener('SIGTERM', this.signalHandler);
      process.removeListener('SIGINT', this.signalHandler);
    }
    this.state = 'stopped';
    this.logger.info({ reason: this.stopReason }, 'stopped');
    this.finish(this.stopReason);
    return this.finished;
  }

  private startControllers(leaderSignal?: AbortSignal): void {
    const scope = new AbortController();
    // Every controller, its informers' sync waits, its workers and the leader runnables listen on
    // this one signal: more than Node's default of 10 is expected, not a leak.
    setMaxListeners(0, scope.signal);
    this.controllerScope = scope;
    leaderSignal?.addEventListener('abort', () => scope.abort(), { once: true });
    for (const controller of this.controllers) {
      this.controllerRuns.push(
        controller.start(scope.signal).catch((error: unknown) => {
          this.logger.error({ controller: controller.name, err: (error as Error).message }, 'controller failed');
        }),
      );
    }
    for (const runnable of this.leaderRunnables) {
      this.controllerRuns.push(
        runnable.run(scope.signal).catch((error: unknown) => {
          this.logger.error({ runnable: runnable.name, err: (error as Error).message }, 'leader runnable failed');
        }),
      );
    }
  }
}
