import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { agencyTenantDefinition, type AgencyTenant, type Environment, type MeteringWatermark, type PlacementStatus } from '../../api/v1alpha1/index.js';
import type { PartitionBackends } from '../../controllers/framework/backends.js';
import { resourceTypeOf } from '../../controllers/framework/types.js';
import { silentLogger, updateStatusWithRetry, type KubeClient, type KubeObject } from '../../runtime/index.js';
import { systemClock, type Clock } from '../clock.js';
import { COMPUTE_METERS, metersForTiers } from '../meters.js';
import type { UsageRecord } from '../record.js';
import type { LifecycleRecord } from '../events.js';
import { lifecycleTransitions } from './lifecycle.js';
import { HOUR_MS, hourFloor, windowIso } from '../windows.js';
import { computeQuantities } from './compute.js';
import { collectorMetrics, type CollectorMetrics } from './metrics.js';
import { integrateSweeps } from './sampled-usage.js';
import { placementKey, SampleStore, type Sweep } from './sample-store.js';
import { sweepPlacement } from './sweep.js';
import { forEachBounded } from './bounded.js';

const TENANTS = resourceTypeOf(agencyTenantDefinition);

type TenantObject = AgencyTenant & KubeObject;

export interface PartitionBackendSource {
  forPartition(dataCenter: string, environment: Environment): Promise<PartitionBackends>;
}

export interface UsageSink {
  /** Resolves once the records are durable (the outbox has fsynced them). */
  emit(records: readonly UsageRecord[]): Promise<unknown>;
  /** Lifecycle events (resources starting and stopping); omitted, none are emitted. */
  emitLifecycle?(records: readonly LifecycleRecord[]): Promise<unknown>;
}

export interface MeteringCollectorOptions {
  client: Pick<KubeClient, 'list' | 'get' | 'update' | 'updateStatus'>;
  backends: PartitionBackendSource;
  emitter: UsageSink;
  /** Directory of the sample store (sweeps of stored bytes, sizes and floating IPs). */
  sampleDirectory: string;
  clock?: Clock;
  /** Time between sweeps (default 60 s). */
  sampleIntervalMs?: number;
  /** Time between collection runs (default 5 min). */
  collectIntervalMs?: number;
  /** An hour is collected this long after it ends (default 5 min): nova charges running servers up to now. */
  graceMs?: number;
  /** A sweep's levels hold at most this long when no later sweep exists (default 2.5 sample intervals). */
  maxSampleAgeMs?: number;
  /** Never collect windows that start before this time (metering's cut-over; default: none). */
  notBefore?: number;
  /** First run of a placement: go back at most this many hours (default 31 days). */
  maxCatchUpHours?: number;
  /** Read Neutron floating IPs (default true). */
  floatingIps?: boolean;
  /** Sample files older than this are deleted (default 7 days). */
  sampleRetentionMs?: number;
  /** Placements swept, and tenants collected, in parallel (default 16). */
  concurrency?: number;
  logger?: Logger;
  registry?: Registry;
}

interface PlacementTarget {
  tenant: AgencyTenant;
  placement: PlacementStatus & { projectId: string };
}

/** One placement during a collection run: its meters and how far each is collected. */
interface PlacementRun {
  target: PlacementTarget;
  /** `placementKey` of the placement. */
  key: string;
  backends: PartitionBackends;
  meters: string[];
  collectedThrough: Map<string, number>;
  failed: boolean;
  /** For a removed placement: the start of its last hour (the one its closing sweep falls in). */
  lastWindow?: number;
}

export interface CollectionSummary {
  /** Placement-hours emitted. */
  windows: number;
  events: number;
  failures: number;
}

/**
 * Hourly usage per tenant, data center and environment. `sampleOnce` sweeps every placement's
 * sizes, stored bytes and floating IPs into the durable sample store; `collectOnce` emits every
 * closed hour after each meter's watermark (Nova simple tenant usage for compute, the integrated
 * sweeps for the rest), and advances the watermarks in the tenant's status only after `emit`
 * resolved. Run it on the leader only (`start`/`stop`).
 */
export class MeteringCollector {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: CollectorMetrics;
  private readonly sampleIntervalMs: number;
  private readonly collectIntervalMs: number;
  private readonly graceMs: number;
  private readonly maxSampleAgeMs: number;
  private readonly maxCatchUpHours: number;
  private readonly concurrency: number;
  private store: SampleStore | undefined;
  /** The last sweep of each placement (`placementKey`), for lifecycle transitions; loaded from the store once. */
  private lastSweeps: Map<string, Sweep> | undefined;
  private abort: AbortController | undefined;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: MeteringCollectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.metrics = collectorMetrics(options.registry);
    this.sampleIntervalMs = options.sampleIntervalMs ?? 60_000;
    this.collectIntervalMs = options.collectIntervalMs ?? 300_000;
    this.graceMs = options.graceMs ?? 300_000;
    this.maxSampleAgeMs = options.maxSampleAgeMs ?? Math.round(this.sampleIntervalMs * 2.5);
    this.maxCatchUpHours = options.maxCatchUpHours ?? 31 * 24;
    this.concurrency = options.concurrency ?? 16;
    if (this.graceMs < 0 || this.sampleIntervalMs <= 0 || this.collectIntervalMs <= 0) throw new RangeError('intervals must be positive');
  }

  /**
   * Starts the sampling and collection loops. Run it on the leader only: pass the leadership
   * signal, and the loops end when leadership is lost (a new leader continues from the watermarks).
   */
  start(leaderSignal?: AbortSignal): void {
    if (this.abort && !this.abort.signal.aborted) return;
    const abort = new AbortController();
    this.abort = abort;
    if (leaderSignal?.aborted) abort.abort(leaderSignal.reason);
    leaderSignal?.addEventListener('abort', () => abort.abort(leaderSignal.reason), { once: true });
    this.loops.push(
      this.loop(abort.signal, this.sampleIntervalMs, () => this.sampleOnce()),
      this.loop(abort.signal, this.collectIntervalMs, () => this.collectOnce()),
    );
  }

  /** Stops both loops after their current run; nothing half-done is lost (watermarks are durable). */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('metering collector stopped'));
    await Promise.allSettled(this.loops);
    this.abort = undefined;
    this.loops = [];
  }

  /** Sweeps every placement once, `concurrency` at a time; returns the number of placements swept. */
  async sampleOnce(): Promise<number> {
    const stopTimer = this.metrics.runDuration.startTimer({ kind: 'sample' });
    const store = await this.sampleStore();
    const retention = this.options.sampleRetentionMs ?? 7 * 24 * HOUR_MS;
    // The previous sweep of each placement, for lifecycle transitions; from the store after a restart.
    this.lastSweeps ??= await store.latest(this.clock.now() - retention, this.clock.now() + 1);
    let swept = 0;
    const targets = this.targets(await this.tenants());
    await forEachBounded(targets, this.concurrency, async (target) => {
      const tenant = target.tenant.metadata.name;
      const { dataCenter, environment, projectId } = target.placement;
      try {
        const backends = await this.options.backends.forPartition(dataCenter, environment);
        const at = this.clock.now();
        const result = await sweepPlacement({ tenant, projectId, backends, floatingIps: this.options.floatingIps ?? true });
        const sweep: Sweep = { tenant, dataCenter, environment, at, levels: result.levels, projectId, servers: result.servers };
        await this.emitTransitions(sweep);
        await store.append([sweep]);
        for (const reason of result.skipped) this.logger.warn({ tenant, dataCenter, environment }, `not metered: ${reason}`);
        this.metrics.sweeps.inc({ outcome: 'ok' });
        swept += 1;
      } catch (error) {
        this.metrics.sweeps.inc({ outcome: 'error' });
        this.metrics.failures.inc({ tenant, stage: 'sweep' });
        this.logger.warn({ tenant, dataCenter, environment, err: errorText(error) }, 'sweep failed; the gap is not filled in');
      }
    });
    await this.closeRemovedPlacements(store, targets);
    await store.prune(this.clock.now() - retention);
    stopTimer();
    return swept;
  }

  /**
   * A placement gone from every tenant's status (a data center or environment removed, a tenant
   * deleted) is swept no more: record an empty sweep for it, so that its resources stop, as
   * lifecycle events and in the hour's integration, instead of appearing to run on.
   */
  private async closeRemovedPlacements(store: SampleStore, targets: readonly PlacementTarget[]): Promise<void> {
    if (!this.lastSweeps) return;
    const current = new Set(targets.map(({ tenant, placement }) => placementKey({ tenant: tenant.metadata.name, ...placement })));
    for (const [key, last] of [...this.lastSweeps]) {
      if (current.has(key) || (last.levels.length === 0 && (last.servers ?? []).length === 0)) continue;
      const closing: Sweep = { ...last, at: this.clock.now(), levels: [], servers: [] };
      try {
        await this.emitTransitions(closing);
        await store.append([closing]);
        this.logger.info({ tenant: last.tenant, dataCenter: last.dataCenter, environment: last.environment }, 'placement removed; its resources stop being metered');
      } catch (error) {
        this.logger.warn({ tenant: last.tenant, err: errorText(error) }, 'could not record the end of a removed placement; retried next sweep');
      }
    }
  }

  /**
   * Lifecycle events against the placement's previous sweep. They are made durable before the
   * sweep is stored: a crash in between repeats them at the next sweep's time rather than losing them.
   */
  private async emitTransitions(sweep: Sweep): Promise<void> {
    const emitLifecycle = this.options.emitter.emitLifecycle?.bind(this.options.emitter);
    if (!emitLifecycle || !this.lastSweeps) return;
    const key = placementKey(sweep);
    const transitions = lifecycleTransitions(this.lastSweeps.get(key), sweep);
    if (transitions.length > 0) await emitLifecycle(transitions);
    this.lastSweeps.set(key, sweep);
  }

  /**
   * Emits every closed hour owed by every placement and meter, hour by hour: each hour's sweeps are
   * read from the store once for all placements, and tenants are collected `concurrency` at a time
   * (a tenant's placements one after another, since they share its status). A failing placement
   * stops for this run; the others go on.
   */
  async collectOnce(): Promise<CollectionSummary> {
    const stopTimer = this.metrics.runDuration.startTimer({ kind: 'collect' });
    const summary: CollectionSummary = { windows: 0, events: 0, failures: 0 };
    const runs: PlacementRun[] = [];
    const store = await this.sampleStore();
    const tenants = await this.tenants();
    for (const [target, lastWindow] of [...this.targets(tenants).map((entry) => [entry, undefined] as const), ...(await this.removedPlacements(store, tenants))]) {
      try {
        runs.push({ ...(await this.placementRun(target)), ...(lastWindow !== undefined ? { lastWindow } : {}) });
      } catch (error) {
        this.collectFailed(target, error, summary);
      }
    }
    const hours = new Map<number, Map<string, Sweep[]>>();
    const lastClosedStart = hourFloor(this.clock.now() - this.graceMs) - HOUR_MS;
    const first = Math.min(...runs.map((run) => Math.min(...run.collectedThrough.values())));
    for (let window = first; window <= lastClosedStart; window += HOUR_MS) {
      const due = runs.filter(
        (run) => !run.failed && (run.lastWindow === undefined || window <= run.lastWindow) && [...run.collectedThrough.values()].some((through) => through <= window),
      );
      if (due.length === 0) continue;
      const from = window - this.maxSampleAgeMs;
      for (const hour of hours.keys()) if (hour < hourFloor(from)) hours.delete(hour);
      for (let hour = hourFloor(from); hour < window + HOUR_MS; hour += HOUR_MS) {
        if (!hours.has(hour)) hours.set(hour, await store.hourByPlacement(hour));
      }
      const byTenant = new Map<string, PlacementRun[]>();
      for (const run of due) byTenant.set(run.target.tenant.metadata.name, [...(byTenant.get(run.target.tenant.metadata.name) ?? []), run]);
      await forEachBounded([...byTenant.values()], this.concurrency, async (tenantRuns) => {
        for (const run of tenantRuns) {
          const sweeps: Sweep[] = [];
          for (let hour = hourFloor(from); hour < window + HOUR_MS; hour += HOUR_MS) {
            for (const sweep of hours.get(hour)?.get(run.key) ?? []) if (sweep.at >= from && sweep.at < window + HOUR_MS) sweeps.push(sweep);
          }
          try {
            await this.collectWindow(run, window, sweeps, summary);
          } catch (error) {
            run.failed = true;
            this.collectFailed(run.target, error, summary);
          }
        }
      });
    }
    const oldestByTenant = new Map<string, number>();
    for (const run of runs) {
      if (run.lastWindow !== undefined) continue;
      const tenant = run.target.tenant.metadata.name;
      oldestByTenant.set(tenant, Math.min(oldestByTenant.get(tenant) ?? Number.POSITIVE_INFINITY, ...run.collectedThrough.values()));
    }
    for (const [tenant, oldest] of oldestByTenant) this.metrics.watermarkLag.set({ tenant }, Math.max(0, (this.clock.now() - oldest) / 1000));
    if (summary.windows > 0 || summary.failures > 0) this.logger.info({ ...summary, placements: runs.length }, 'usage collected');
    stopTimer();
    return summary;
  }

  private collectFailed(target: PlacementTarget, error: unknown, summary: CollectionSummary): void {
    const tenant = target.tenant.metadata.name;
    summary.failures += 1;
    this.metrics.failures.inc({ tenant, stage: 'collect' });
    this.logger.error({ tenant, dataCenter: target.placement.dataCenter, environment: target.placement.environment, err: errorText(error) }, 'collection failed; retried next run');
  }

  /**
   * Placements no longer among their tenant's placements whose closing sweep (empty, written when
   * the placement disappeared) is the latest in the store: their hours up to and including the one
   * the closing sweep falls in are still owed. Their watermarks stay in the status, so that once
   * collected they are not collected again.
   */
  private async removedPlacements(store: SampleStore, tenants: readonly TenantObject[]): Promise<Array<[PlacementTarget, number]>> {
    const retention = this.options.sampleRetentionMs ?? 7 * 24 * HOUR_MS;
    const latest = this.lastSweeps ?? (await store.latest(this.clock.now() - retention, this.clock.now() + 1));
    const byName = new Map(tenants.map((tenant) => [tenant.metadata.name, tenant]));
    const found: Array<[PlacementTarget, number]> = [];
    for (const last of latest.values()) {
      const tenant = byName.get(last.tenant);
      if (!tenant || last.levels.length > 0 || (last.servers ?? []).length > 0 || !last.projectId) continue;
      if ((tenant.status?.placements ?? []).some((placement) => placement.dataCenter === last.dataCenter && placement.environment === last.environment)) continue;
      const placement = { dataCenter: last.dataCenter, environment: last.environment as Environment, projectId: last.projectId, ready: false };
      found.push([{ tenant, placement }, hourFloor(last.at)]);
    }
    return found;
  }

  /** A placement's meters and, per meter, the start of the first hour not yet collected. */
  private async placementRun(target: PlacementTarget): Promise<PlacementRun> {
    const { dataCenter, environment } = target.placement;
    const backends = await this.options.backends.forPartition(dataCenter, environment);
    const meters = metersForTiers(backends.partition.storageTiers.map((tier) => tier.name));
    const collectedThrough = new Map<string, number>();
    const firstWindow = this.firstWindow(target.tenant);
    for (const meter of meters) {
      const mark = target.tenant.status?.metering?.watermarks.find(
        (entry) => entry.dataCenter === dataCenter && entry.environment === environment && entry.meter === meter,
      );
      collectedThrough.set(meter, mark ? Date.parse(mark.collectedThrough) : firstWindow);
    }
    const key = placementKey({ tenant: target.tenant.metadata.name, dataCenter, environment });
    return { target, key, backends, meters, collectedThrough, failed: false };
  }

  /** Emits one hour of a placement's due meters, then advances their watermarks. */
  private async collectWindow(run: PlacementRun, window: number, sweeps: readonly Sweep[], summary: CollectionSummary): Promise<void> {
    const due = run.meters.filter((meter) => (run.collectedThrough.get(meter) ?? 0) <= window);
    if (due.length === 0) return;
    const tenant = run.target.tenant.metadata.name;
    const { dataCenter, environment } = run.target.placement;
    const records = await this.recordsOf(run, window, due, sweeps);
    await this.options.emitter.emit(records);
    await this.advanceWatermarks(tenant, dataCenter, environment, due, window + HOUR_MS);
    for (const meter of due) run.collectedThrough.set(meter, window + HOUR_MS);
    summary.windows += 1;
    summary.events += records.length;
    this.metrics.windowsCollected.inc({ tenant });
    this.logger.debug({ tenant, dataCenter, environment, window: windowIso(window), meters: due.length, events: records.length }, 'usage window collected');
  }

  private async recordsOf(run: PlacementRun, window: number, due: readonly string[], sweeps: readonly Sweep[]): Promise<UsageRecord[]> {
    const tenant = run.target.tenant.metadata.name;
    const { dataCenter, environment, projectId } = run.target.placement;
    const windowStart = windowIso(window);
    const records: UsageRecord[] = [];
    const record = (meter: string, resource: string, quantity: string): UsageRecord => ({ tenant, dataCenter, environment, meter, resource, windowStart, quantity });
    if (due.some((meter) => (COMPUTE_METERS as readonly string[]).includes(meter))) {
      const usage = await run.backends.openstack.compute.getTenantUsage(projectId, new Date(window), new Date(window + HOUR_MS));
      const quantities = computeQuantities(usage, window);
      for (const meter of COMPUTE_METERS) if (due.includes(meter)) records.push(record(meter, projectId, quantities[meter]));
    }
    const sampledMeters = due.filter((meter) => !(COMPUTE_METERS as readonly string[]).includes(meter));
    if (sampledMeters.length > 0) {
      const { quantities, coveredMs } = integrateSweeps(sweeps, window, this.maxSampleAgeMs);
      if (coveredMs < HOUR_MS) {
        this.metrics.partialWindows.inc({ tenant });
        this.logger.warn(
          { tenant, dataCenter, environment, window: windowStart, coveredSeconds: coveredMs / 1000 },
          'samples cover only part of the hour; integrated what exists, the uncovered time counts as zero',
        );
      }
      for (const meter of sampledMeters) {
        const byResource = quantities.get(meter);
        if (!byResource) continue;
        for (const [resource, quantity] of [...byResource].sort(([left], [right]) => left.localeCompare(right))) records.push(record(meter, resource, quantity));
      }
    }
    return records;
  }

  private async advanceWatermarks(tenant: string, dataCenter: string, environment: Environment, meters: readonly string[], through: number): Promise<void> {
    const collectedThrough = new Date(through).toISOString().replace('.000Z', 'Z');
    try {
      await updateStatusWithRetry<TenantObject>(this.options.client, TENANTS, undefined, tenant, (fresh) => {
        const status = (fresh.status ??= {});
        const watermarks: MeteringWatermark[] = [...(status.metering?.watermarks ?? [])];
        for (const meter of meters) {
          const index = watermarks.findIndex((entry) => entry.dataCenter === dataCenter && entry.environment === environment && entry.meter === meter);
          const entry: MeteringWatermark = { dataCenter, environment, meter, collectedThrough };
          if (index < 0) watermarks.push(entry);
          else if (Date.parse(watermarks[index]!.collectedThrough) < through) watermarks[index] = entry;
        }
        status.metering = { ...status.metering, watermarks };
      });
    } catch (error) {
      this.metrics.failures.inc({ tenant, stage: 'watermark' });
      throw error;
    }
  }

  /** The first window of a placement without watermarks: the hour the tenant was created in, bounded. */
  private firstWindow(tenant: AgencyTenant): number {
    const created = Date.parse(tenant.metadata.creationTimestamp ?? '');
    const bound = hourFloor(this.clock.now()) - this.maxCatchUpHours * HOUR_MS;
    const notBefore = this.options.notBefore === undefined ? bound : Math.ceil(this.options.notBefore / HOUR_MS) * HOUR_MS;
    return Math.max(Number.isNaN(created) ? bound : hourFloor(created), bound, notBefore);
  }

  private async tenants(): Promise<TenantObject[]> {
    const tenants = (await this.options.client.list<TenantObject>(TENANTS)).items;
    return tenants.sort((left, right) => left.metadata.name.localeCompare(right.metadata.name));
  }

  private targets(tenants: readonly TenantObject[]): PlacementTarget[] {
    const targets: PlacementTarget[] = [];
    for (const tenant of tenants) {
      for (const placement of tenant.status?.placements ?? []) {
        if (placement.projectId) targets.push({ tenant, placement: { ...placement, projectId: placement.projectId } });
      }
    }
    return targets;
  }

  private async sampleStore(): Promise<SampleStore> {
    this.store ??= await SampleStore.open(this.options.sampleDirectory);
    return this.store;
  }

  private async loop(signal: AbortSignal, intervalMs: number, run: () => Promise<unknown>): Promise<void> {
    while (!signal.aborted) {
      try {
        await run();
      } catch (error) {
        this.logger.error({ err: errorText(error) }, 'metering run failed');
      }
      try {
        await this.clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
