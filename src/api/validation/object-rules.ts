import type { AgencyTenant, ComputeQuota, PriceList, SLA, StorageVolume } from '../v1alpha1/index.js';
import { isKnownMeterShape } from '../../metering/meters.js';
import { isNetwork, isPrivate, overlaps, parseNetwork, type CidrProblem, type Network } from './cidr.js';
import { error, warning, type Issue } from './issue.js';
import { tenantOfNamespace, type StatsmolnObject } from './objects.js';
import { checkOrganisationNumber, describeOrgNumberProblem } from './orgnr.js';

/** Rules that need only the object itself. */
export function objectRules(object: StatsmolnObject): Issue[] {
  switch (object.kind) {
    case 'AgencyTenant':
      return tenantRules(object);
    case 'ComputeQuota':
    case 'StorageVolume':
    case 'SLA':
      return [...namespaceRules(object), ...(object.kind === 'StorageVolume' ? volumeRules(object) : [])];
    case 'PriceList':
      return priceListRules(object);
    case 'DataCenter':
      return [];
  }
}

function tenantRules(tenant: AgencyTenant): Issue[] {
  const { spec } = tenant;
  const issues: Issue[] = [];
  const orgProblem = checkOrganisationNumber(spec.organisationNumber);
  if (orgProblem) {
    issues.push(
      error('tenant.organisation-number', ['spec', 'organisationNumber'], describeOrgNumberProblem(spec.organisationNumber, orgProblem)),
    );
  }
  issues.push(...addressPlanRules(tenant));
  const { confidentiality, availability } = spec.classification;
  if (confidentiality === 3 && !spec.environments.includes('classified')) {
    issues.push(
      error(
        'classification.classified-environment',
        ['spec', 'environments'],
        'confidentiality 3 requires the classified environment: information at this level may only be processed in environments separated for classified systems',
      ),
    );
  }
  if (availability >= 2 && spec.placement.dataCenters.length < 2) {
    issues.push(
      error(
        'classification.availability-placement',
        ['spec', 'placement', 'dataCenters'],
        `availability ${availability} requires placement in at least two data centers, so that the loss of one site does not stop the agency's services`,
      ),
    );
  }
  return issues;
}

function addressPlanRules(tenant: AgencyTenant): Issue[] {
  const { spec } = tenant;
  const issues: Issue[] = [];
  const networks: Array<{ network: Network; path: Array<string | number> }> = [];
  const covered = new Set<string>();
  spec.network.addressPlan.forEach((entry, entryIndex) => {
    const entryPath = ['spec', 'network', 'addressPlan', entryIndex];
    const placementKey = `${entry.dataCenter}/${entry.environment}`;
    if (covered.has(placementKey)) {
      issues.push(
        error('network.duplicate-entry', [...entryPath, 'dataCenter'], `a second address plan entry for ${placementKey}; list all its CIDRs in one entry`),
      );
    }
    covered.add(placementKey);
    if (!spec.placement.dataCenters.includes(entry.dataCenter)) {
      issues.push(
        error('network.outside-placement', [...entryPath, 'dataCenter'], `data center "${entry.dataCenter}" is not in spec.placement.dataCenters`),
      );
    }
    if (!spec.environments.includes(entry.environment)) {
      issues.push(
        error('network.outside-placement', [...entryPath, 'environment'], `environment "${entry.environment}" is not in spec.environments`),
      );
    }
    entry.cidrs.forEach((cidr, cidrIndex) => {
      const path = [...entryPath, 'cidrs', cidrIndex];
      const parsed = parseNetwork(cidr);
      if (!isNetwork(parsed)) {
        issues.push(error('network.cidr', path, cidrProblemMessage(cidr, parsed)));
        return;
      }
      if (!spec.network.allowPublicRanges && !isPrivate(parsed)) {
        issues.push(
          error(
            'network.public-range',
            path,
            `"${cidr}" is outside the private address space (RFC 1918 for IPv4, fc00::/7 for IPv6); set spec.network.allowPublicRanges if the agency really uses public addresses`,
          ),
        );
      }
      const clash = networks.find((other) => overlaps(other.network, parsed));
      if (clash) {
        issues.push(
          error(
            'network.overlap',
            path,
            `"${cidr}" overlaps "${clash.network.text}" at ${formatLocation(clash.path)}; an agency's ranges must not overlap, or its sites could not route to each other`,
          ),
        );
      }
      networks.push({ network: parsed, path });
    });
  });
  for (const dataCenter of spec.placement.dataCenters) {
    for (const environment of spec.environments) {
      if (!covered.has(`${dataCenter}/${environment}`)) {
        issues.push(
          error(
            'network.missing-entry',
            ['spec', 'network', 'addressPlan'],
            `no address plan entry for data center "${dataCenter}", environment "${environment}"; every placement needs its subnets`,
          ),
        );
      }
    }
  }
  return issues;
}

function cidrProblemMessage(cidr: string, problem: CidrProblem): string {
  switch (problem.kind) {
    case 'syntax':
      return `"${cidr}" is not an IPv4 or IPv6 network in CIDR notation`;
    case 'non-canonical':
      return `"${cidr}" is not written canonically: an IPv4 network needs four decimal octets and a prefix length, without leading zeros (for example 10.20.0.0/16)`;
    case 'host-bits':
      return `"${cidr}" has host bits set; the network is ${problem.network}`;
  }
}

function formatLocation(path: Array<string | number>): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('').slice(1);
}

function namespaceRules(object: ComputeQuota | StorageVolume | SLA): Issue[] {
  const namespace = object.metadata.namespace;
  if (namespace === undefined) {
    return [
      warning(
        'namespace.missing',
        ['metadata', 'namespace'],
        `${object.kind} has no namespace here; it must be applied to its agency's namespace agency-<tenant>, and checks against the tenant are skipped`,
      ),
    ];
  }
  if (!tenantOfNamespace(namespace)) {
    return [
      error('namespace.not-agency', ['metadata', 'namespace'], `namespace "${namespace}" is not an agency namespace; ${object.kind} lives in agency-<tenant>`),
    ];
  }
  return [];
}

function volumeRules(volume: StorageVolume): Issue[] {
  if (volume.spec.backend === 'rbd' && volume.spec.encrypted) {
    return [
      error(
        'volume.rbd-encryption',
        ['spec', 'encrypted'],
        'raw RBD images are not encrypted at rest by statsmoln; use backend cinder with an encrypted tier',
      ),
    ];
  }
  return [];
}

function priceListRules(priceList: PriceList): Issue[] {
  return priceList.spec.prices.flatMap((price, index) =>
    isKnownMeterShape(price.meter)
      ? []
      : [warning('pricelist.unknown-meter', ['spec', 'prices', index, 'meter'], `"${price.meter}" is not a meter statsmoln produces`)],
  );
}
