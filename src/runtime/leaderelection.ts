/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm: a lease is held
 * while its record keeps changing; a candidate judges expiry by when *it* observed the last
 * change (its own clock, so skew between machines does not matter). The leader renews every
 * retry period and gives up leadership if it cannot renew within the renew deadline.
 */
import type { Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import type { KubeObject } from './types.js';
import { LEASES } from './types.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: Pick<KubeClient, 'get' | 'create' | 'update'>;
  namespace: string;
  name: string;
  identity: string;
  clock: Clock;
  logger: Logger;
  metrics?: RuntimeMetrics;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  random?: () => number;
}

export interface LeaderCallbacks {
  onStartedLeading(leaderSignal: AbortSignal): void;
  onStoppedLeading(): void;
}

/** client-go's JitterFactor for the retry period. */
const JITTER_FACTOR = 1.2;

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private readonly options: LeaderElectionOptions;
  private readonly random: () => number;
  private observedRecord?: string;
  private observedTime = 0;
  private observedLease?: Lease;
  private leading = false;
  private reportedLeader?: string;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.random = options.random ?? Math.random;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) {
      throw new Error('renewDeadline must be greater than retryPeriod*1.2');
    }
    options.metrics?.leaderElectionMasterStatus.set({ name: options.name }, 0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until elected, leads until the lease is lost or `signal` aborts, then returns.
   * On abort while leading, the lease is released so a standby can take over at once.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    const clock = this.options.clock;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) break;
      await clock.sleep(this.jitteredRetry(), signal);
    }
    if (signal.aborted) return;
    const leaderScope = new AbortController();
    this.setLeading(true);
    callbacks.onStartedLeading(leaderScope.signal);
    let lastRenew = clock.now();
    try {
      while (!signal.aborted) {
        await clock.sleep(this.retryPeriodMs, signal);
        if (signal.aborted) break;
        if (await this.tryAcquireOrRenew(signal)) {
          lastRenew = clock.now();
          continue;
        }
        if (clock.now() - lastRenew >= this.renewDeadlineMs || !this.holdsObservedLease()) {
          this.options.logger.error({ lease: this.options.name, identity: this.options.identity }, 'leader election lost');
          break;
        }
      }
    } finally {
      leaderScope.abort();
      this.setLeading(false);
      callbacks.onStoppedLeading();
    }
    if (signal.aborted) await this.release();
  }

  /** Gives the lease up (holder cleared) if we hold it. */
  async release(): Promise<void> {
    const lease = this.observedLease;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    const now = this.options.clock.now();
    const released: Lease = {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) },
    };
    try {
      const updated = await this.options.client.update(LEASES, released);
      this.observe(updated as Lease);
      this.options.logger.info({ lease: this.options.name, identity: this.options.identity }, 'released leader lease');
    } catch (error) {
      this.options.logger.warn({ lease: this.options.name, err: (error as Error).message }, 'failed to release lease');
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity, clock } = this.options;
    const now = clock.now();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Lease;
    try {
      current = (await client.get(LEASES, namespace, name)) as Lease;
    } catch (error) {
      if (signal.aborted) return false;
      if (!isNotFound(error)) {
        this.options.logger.warn({ lease: name, err: (error as Error).message }, 'error retrieving lease');
        return false;
      }
      try {
        const created = await client.create(LEASES, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: desired,
        } as Lease);
        this.observe(created as Lease);
        return true;
      } catch (createError) {
        if (!isAlreadyExists(createError) && !isConflict(createError)) {
          this.options.logger.warn({ lease: name, err: (createError as Error).message }, 'error creating lease');
        }
        return false;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    if (heldByOther && this.observedTime + (spec.leaseDurationSeconds ?? 0) * 1000 > now) return false;
    if (holder === identity) {
      desired.acquireTime = spec.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await client.update(LEASES, { ...current, spec: desired } as Lease);
      this.observe(updated as Lease);
      return true;
    } catch (error) {
      if (!isConflict(error)) this.options.logger.warn({ lease: name, err: (error as Error).message }, 'error updating lease');
      return false;
    }
  }

  /** Records the lease and, if its spec changed, when we saw the change. */
  private observe(lease: Lease): void {
    this.observedLease = lease;
    const record = JSON.stringify(lease.spec ?? {});
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = this.options.clock.now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.options.logger.info({ lease: this.options.name, leader: holder }, 'new leader observed');
    }
  }

  private holdsObservedLease(): boolean {
    return this.observedLease?.spec?.holderIdentity === this.options.identity;
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.options.metrics?.leaderElectionMasterStatus.set({ name: this.options.name }, leading ? 1 : 0);
  }

  private jitteredRetry(): number {
    return this.retryPeriodMs * (1 + (JITTER_FACTOR - 1) * this.random());
  }
}
