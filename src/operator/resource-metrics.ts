import { Gauge, type Registry } from 'prom-client';
import { QuotaAmounts, type ComputeQuotaStatus } from '../api/v1alpha1/index.js';
import { tenantOfNamespace } from '../api/validation/index.js';
import {
  CONDITION_READY,
  CONDITION_RECONCILING,
  CONDITION_STALLED,
  findCondition,
  type Condition,
  type ConditionStatus,
  type KubeObject,
} from '../runtime/index.js';
import { INFORMER_OF_KIND, type OperatorInformers } from './informers.js';

/** The kstatus conditions every statsmoln object carries. */
const STATUS_CONDITIONS = [CONDITION_READY, CONDITION_RECONCILING, CONDITION_STALLED];
const CONDITION_STATUSES: readonly ConditionStatus[] = ['True', 'False', 'Unknown'];
/** cores, ramGiB, instances, serverGroups, floatingIps: the ComputeQuota schema's amounts. */
const QUOTA_RESOURCES = Object.keys(QuotaAmounts) as Array<keyof typeof QuotaAmounts>;

type ObjectStatus = Pick<ComputeQuotaStatus, 'limits' | 'inUse'> & { observedGeneration?: number; conditions?: Condition[] };

const statusOf = (object: KubeObject): ObjectStatus => (object.status ?? {}) as ObjectStatus;

/**
 * A condition's status for the object's current generation: a condition written for an older
 * generation is Unknown, as kstatus reads it.
 */
export function conditionStatus(object: KubeObject, type: string): ConditionStatus {
  const status = statusOf(object);
  if (status.observedGeneration !== object.metadata?.generation) return 'Unknown';
  const condition = findCondition(status.conditions, type)?.status;
  return condition === 'True' || condition === 'False' ? condition : 'Unknown';
}

/**
 * Gauges read from the informer caches when Prometheus scrapes, so that they cost nothing between
 * scrapes and can never disagree with what the controllers see:
 * - `statsmoln_resources{kind, condition, status}`: objects of each reconciled kind by Ready,
 *   Reconciling and Stalled (every combination is exported, zeros included, so that alerts see a
 *   series);
 * - `statsmoln_quota_limit` and `statsmoln_quota_in_use` `{tenant, data_center, environment,
 *   resource}`: each ComputeQuota's limits and use as its status reports them. A tenant has one
 *   quota per data center and environment, so the series are bounded by the platform's size.
 */
export function registerResourceMetrics(informers: OperatorInformers, reconciledKinds: readonly string[], registry: Registry): void {
  const stores = reconciledKinds.map((kind) => {
    const field = INFORMER_OF_KIND[kind];
    if (!field) throw new Error(`no informer for kind ${kind}`);
    return { kind, store: informers[field].store };
  });
  new Gauge({
    name: 'statsmoln_resources',
    help: 'statsmoln objects by kind and by the status of their Ready, Reconciling and Stalled conditions (Unknown when not written for the current generation).',
    labelNames: ['kind', 'condition', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, store } of stores) {
        const objects = store.list();
        for (const condition of STATUS_CONDITIONS) {
          const counts: Record<ConditionStatus, number> = { True: 0, False: 0, Unknown: 0 };
          for (const object of objects) counts[conditionStatus(object, condition)] += 1;
          for (const status of CONDITION_STATUSES) this.set({ kind, condition, status }, counts[status]);
        }
      }
    },
  });
  const quotaGauge = (name: string, help: string, field: 'limits' | 'inUse'): void => {
    new Gauge({
      name,
      help,
      labelNames: ['tenant', 'data_center', 'environment', 'resource'],
      registers: [registry],
      collect() {
        this.reset();
        for (const quota of informers.quotas.store.list()) {
          const tenant = tenantOfNamespace(quota.metadata?.namespace);
          const spec = (quota.spec ?? {}) as { dataCenter?: string; environment?: string };
          const amounts = statusOf(quota)[field];
          if (!tenant || !amounts) continue;
          for (const resource of QUOTA_RESOURCES) {
            const value = amounts[resource];
            if (typeof value === 'number') this.set({ tenant, data_center: spec.dataCenter ?? '', environment: spec.environment ?? '', resource }, value);
          }
        }
      },
    });
  };
  quotaGauge('statsmoln_quota_limit', 'ComputeQuota limits as the backends report them (ramGiB in GiB), per tenant, data center, environment and resource.', 'limits');
  quotaGauge('statsmoln_quota_in_use', 'ComputeQuota use as the backends report it (ramGiB in GiB), per tenant, data center, environment and resource.', 'inUse');
}
