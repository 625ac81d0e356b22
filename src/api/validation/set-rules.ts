import type { AgencyTenant, DataCenter, PriceList, SLA, StorageVolume, ComputeQuota } from '../v1alpha1/index.js';
import { metersForTiers } from '../../metering/meters.js';
import { error, warning, type Issue } from './issue.js';
import { tenantOfNamespace, type StatsmolnObject } from './objects.js';

export const MAX_DATA_CENTERS = 10;

/** A cross-document issue belongs to one object of the set, by its index there. */
export interface SetIssue {
  index: number;
  issue: Issue;
}

interface Indexed<T> {
  index: number;
  object: T;
}

/**
 * Rules across the documents of a set. `valid` holds the schema-valid objects by their index in the
 * set; `presentKinds` names kinds that appear at all, so that a reference to a kind the set does not
 * carry (another repository holds it) is a warning, not an error.
 */
export function setRules(valid: ReadonlyArray<Indexed<StatsmolnObject>>, presentNames: ReadonlyMap<string, ReadonlySet<string>>): SetIssue[] {
  const context = new SetContext(valid, presentNames);
  return [
    ...context.dataCenterCount(),
    ...context.tenantReferences(),
    ...context.namespacedReferences(),
    ...context.quotaUniqueness(),
    ...context.availabilitySlas(),
    ...context.priceCoverage(),
  ];
}

class SetContext {
  private readonly dataCenters = new Map<string, Indexed<DataCenter>>();
  private readonly tenants = new Map<string, Indexed<AgencyTenant>>();
  private readonly priceLists: Array<Indexed<PriceList>> = [];
  private readonly quotas: Array<Indexed<ComputeQuota>> = [];
  private readonly volumes: Array<Indexed<StorageVolume>> = [];
  private readonly slas: Array<Indexed<SLA>> = [];
  private readonly namespacesWithObjects = new Set<string>();

  constructor(
    valid: ReadonlyArray<Indexed<StatsmolnObject>>,
    private readonly presentNames: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    for (const { index, object } of valid) {
      if (object.metadata.namespace) this.namespacesWithObjects.add(object.metadata.namespace);
      switch (object.kind) {
        case 'DataCenter':
          this.dataCenters.set(object.metadata.name, { index, object });
          break;
        case 'AgencyTenant':
          this.tenants.set(object.metadata.name, { index, object });
          break;
        case 'PriceList':
          this.priceLists.push({ index, object });
          break;
        case 'ComputeQuota':
          this.quotas.push({ index, object });
          break;
        case 'StorageVolume':
          this.volumes.push({ index, object });
          break;
        case 'SLA':
          this.slas.push({ index, object });
          break;
      }
    }
  }

  /** An error when the set carries that kind but not that name; a warning when the kind is absent. */
  private missing(index: number, kind: string, name: string, path: Array<string | number>, rule: string): SetIssue[] {
    const names = this.presentNames.get(kind);
    if (names?.has(name)) return []; // present but invalid: its own errors say why
    if (names && names.size > 0) {
      return [{ index, issue: error(rule, path, `${kind} "${name}" does not exist in the validated files`) }];
    }
    return [{ index, issue: warning(rule, path, `${kind} "${name}" is not in the validated files; not checked`) }];
  }

  dataCenterCount(): SetIssue[] {
    const all = [...this.dataCenters.values()];
    if (all.length <= MAX_DATA_CENTERS) return [];
    return all.slice(MAX_DATA_CENTERS).map(({ index }) => ({
      index,
      issue: error('datacenter.count', ['metadata', 'name'], `the state cloud has at most ${MAX_DATA_CENTERS} data centers; this is number ${all.length}`),
    }));
  }

  tenantReferences(): SetIssue[] {
    const issues: SetIssue[] = [];
    for (const { index, object: tenant } of this.tenants.values()) {
      const { spec } = tenant;
      spec.placement.dataCenters.forEach((name, position) => {
        const path = ['spec', 'placement', 'dataCenters', position];
        const dataCenter = this.dataCenters.get(name)?.object;
        if (!dataCenter) {
          issues.push(...this.missing(index, 'DataCenter', name, path, 'tenant.datacenter'));
          return;
        }
        const hosted = new Set(dataCenter.spec.partitions.map((partition) => partition.environment));
        for (const environment of spec.environments) {
          if (!hosted.has(environment)) {
            issues.push({
              index,
              issue: error('tenant.environment-hosted', path, `data center "${name}" has no ${environment} partition, which spec.environments asks for`),
            });
          }
        }
        if (spec.classification.confidentiality === 3 && !dataCenter.spec.protectedSite) {
          issues.push({
            index,
            issue: error(
              'classification.protected-site',
              path,
              `confidentiality 3 requires protected sites only, and data center "${name}" is not a protected site`,
            ),
          });
        }
        if (dataCenter.spec.country !== 'SE' && !spec.dataResidency?.allowOutsideSweden) {
          issues.push({
            index,
            issue: error(
              'tenant.data-residency',
              path,
              `data center "${name}" is in ${dataCenter.spec.country}; data stays in Sweden unless spec.dataResidency.allowOutsideSweden is set`,
            ),
          });
        }
      });
      const priceListName = spec.billing.priceListRef.name;
      if (!this.priceLists.some(({ object }) => object.metadata.name === priceListName)) {
        issues.push(...this.missing(index, 'PriceList', priceListName, ['spec', 'billing', 'priceListRef', 'name'], 'tenant.pricelist'));
      }
    }
    return issues;
  }

  private tenantOf(index: number, object: ComputeQuota | StorageVolume | SLA): { tenant?: AgencyTenant; issues: SetIssue[] } {
    const tenantName = tenantOfNamespace(object.metadata.namespace);
    if (!tenantName) return { issues: [] };
    const tenant = this.tenants.get(tenantName)?.object;
    if (tenant) return { tenant, issues: [] };
    return { issues: this.missing(index, 'AgencyTenant', tenantName, ['metadata', 'namespace'], 'namespace.tenant') };
  }

  private placementIssues(index: number, tenant: AgencyTenant, dataCenter: string, environment: string, path: Array<string | number>): SetIssue[] {
    const issues: SetIssue[] = [];
    if (!tenant.spec.placement.dataCenters.includes(dataCenter)) {
      issues.push({
        index,
        issue: error('placement.datacenter', path, `data center "${dataCenter}" is not in tenant "${tenant.metadata.name}"'s placement (${tenant.spec.placement.dataCenters.join(', ')})`),
      });
    }
    if (!tenant.spec.environments.includes(environment as never)) {
      issues.push({
        index,
        issue: error('placement.environment', path.slice(0, -1).concat('environment'), `environment "${environment}" is not one of tenant "${tenant.metadata.name}"'s environments (${tenant.spec.environments.join(', ')})`),
      });
    }
    return issues;
  }

  namespacedReferences(): SetIssue[] {
    const issues: SetIssue[] = [];
    for (const { index, object: quota } of this.quotas) {
      const { tenant, issues: found } = this.tenantOf(index, quota);
      issues.push(...found);
      if (tenant) issues.push(...this.placementIssues(index, tenant, quota.spec.dataCenter, quota.spec.environment, ['spec', 'dataCenter']));
    }
    for (const { index, object: volume } of this.volumes) {
      const { tenant, issues: found } = this.tenantOf(index, volume);
      issues.push(...found);
      if (tenant) {
        issues.push(...this.placementIssues(index, tenant, volume.spec.dataCenter, volume.spec.environment, ['spec', 'dataCenter']));
        issues.push(...this.volumeAgainstTenant(index, volume, tenant));
      }
      issues.push(...this.volumeTier(index, volume, volume.spec.dataCenter, ['spec', 'tier']));
      if (volume.spec.replication) {
        const target = volume.spec.replication.dataCenter;
        const path = ['spec', 'replication', 'dataCenter'];
        if (tenant && !tenant.spec.placement.dataCenters.includes(target)) {
          issues.push({ index, issue: error('placement.replication', path, `replication target "${target}" is not in tenant "${tenant.metadata.name}"'s placement`) });
        }
        issues.push(...this.volumeTier(index, volume, target, path));
      }
    }
    for (const { index, object: sla } of this.slas) {
      const { tenant, issues: found } = this.tenantOf(index, sla);
      issues.push(...found);
      if (tenant && (sla.spec.minDataCenters ?? 1) > tenant.spec.placement.dataCenters.length) {
        issues.push({
          index,
          issue: error(
            'sla.min-datacenters',
            ['spec', 'minDataCenters'],
            `minDataCenters ${sla.spec.minDataCenters ?? 1} cannot be met: tenant "${tenant.metadata.name}" is placed in ${tenant.spec.placement.dataCenters.length} data center(s)`,
          ),
        });
      }
    }
    return issues;
  }

  private volumeAgainstTenant(index: number, volume: StorageVolume, tenant: AgencyTenant): SetIssue[] {
    const confidentiality = tenant.spec.classification.confidentiality;
    if (confidentiality >= 2 && !volume.spec.encrypted) {
      return [
        {
          index,
          issue: error(
            'classification.encryption',
            ['spec', 'encrypted'],
            `tenant "${tenant.metadata.name}" has confidentiality ${confidentiality}; confidentiality 2 and above requires encrypted volumes so that data on a lost or replaced disk cannot be read`,
          ),
        },
      ];
    }
    return [];
  }

  private volumeTier(index: number, volume: StorageVolume, dataCenterName: string, path: Array<string | number>): SetIssue[] {
    const dataCenter = this.dataCenters.get(dataCenterName)?.object;
    if (!dataCenter) return path[1] === 'tier' ? this.missing(index, 'DataCenter', dataCenterName, ['spec', 'dataCenter'], 'volume.datacenter') : [];
    const partition = dataCenter.spec.partitions.find((candidate) => candidate.environment === volume.spec.environment);
    if (!partition) {
      return [{ index, issue: error('volume.partition', path, `data center "${dataCenterName}" has no ${volume.spec.environment} partition`) }];
    }
    const tier = partition.storageTiers.find((candidate) => candidate.name === volume.spec.tier);
    if (!tier) {
      return [
        {
          index,
          issue: error(
            'volume.tier',
            path,
            `tier "${volume.spec.tier}" is not offered in ${dataCenterName}/${volume.spec.environment} (offered: ${partition.storageTiers.map((offered) => offered.name).join(', ')})`,
          ),
        },
      ];
    }
    if (volume.spec.encrypted && (volume.spec.backend ?? 'cinder') === 'cinder' && !tier.encryptedCinderVolumeType) {
      return [
        {
          index,
          issue: error('volume.encrypted-tier', ['spec', 'encrypted'], `tier "${tier.name}" in ${dataCenterName}/${volume.spec.environment} has no encrypted volume type`),
        },
      ];
    }
    return [];
  }

  quotaUniqueness(): SetIssue[] {
    const seen = new Map<string, ComputeQuota>();
    const issues: SetIssue[] = [];
    for (const { index, object: quota } of this.quotas) {
      const key = `${quota.metadata.namespace ?? ''}/${quota.spec.dataCenter}/${quota.spec.environment}`;
      const first = seen.get(key);
      if (first) {
        issues.push({
          index,
          issue: error(
            'quota.unique',
            ['spec', 'dataCenter'],
            `ComputeQuota "${first.metadata.name}" already sets the quota for ${quota.spec.dataCenter}/${quota.spec.environment}; one quota per tenant, data center and environment`,
          ),
        });
      } else seen.set(key, quota);
    }
    return issues;
  }

  availabilitySlas(): SetIssue[] {
    const issues: SetIssue[] = [];
    const spanningNamespaces = new Set(
      this.slas.filter(({ object }) => (object.spec.minDataCenters ?? 1) >= 2).map(({ object }) => object.metadata.namespace),
    );
    for (const { index, object: tenant } of this.tenants.values()) {
      const availability = tenant.spec.classification.availability;
      if (availability < 2) continue;
      const namespace = `agency-${tenant.metadata.name}`;
      if (spanningNamespaces.has(namespace)) continue;
      const message = `availability ${availability} requires an SLA with minDataCenters of at least 2 in namespace ${namespace}, so that the guarantee covers the loss of a site`;
      const rule = 'classification.availability-sla';
      issues.push({
        index,
        issue: this.namespacesWithObjects.has(namespace)
          ? error(rule, ['spec', 'classification', 'availability'], message)
          : warning(rule, ['spec', 'classification', 'availability'], `${message} (none of that namespace's objects are in the validated files; not checked)`),
      });
    }
    return issues;
  }

  priceCoverage(): SetIssue[] {
    const tiers = [...this.dataCenters.values()].flatMap(({ object }) =>
      object.spec.partitions.flatMap((partition) => partition.storageTiers.map((tier) => tier.name)),
    );
    const required = metersForTiers(tiers);
    return this.priceLists.flatMap(({ index, object }) => {
      const priced = new Set(object.spec.prices.map((price) => price.meter));
      const unpriced = required.filter((meter) => !priced.has(meter));
      if (unpriced.length === 0) return [];
      return [
        {
          index,
          issue: error('pricelist.coverage', ['spec', 'prices'], `no price for ${unpriced.join(', ')}; prices are published for every meter the platform bills`),
        },
      ];
    });
  }
}
