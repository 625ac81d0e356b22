import { Type, type Static } from '@sinclair/typebox';
import {
  DataCenterName,
  Environment,
  ManagementPolicy,
  StatusCommon,
  Struct,
  immutable,
  type Resource,
} from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

const limit = (description: string) => Type.Integer({ description, minimum: 0, maximum: 1_000_000 });

export const QuotaAmounts = {
  cores: limit('Virtual CPU cores.'),
  ramGiB: limit('RAM in GiB.'),
  instances: limit('Servers.'),
  serverGroups: limit('Server groups.'),
  floatingIps: limit('Floating IP addresses.'),
};

export const ComputeQuotaSpec = Struct(
  'Compute quota of the agency’s project in one data center and environment.',
  {
    dataCenter: DataCenterName,
    environment: Environment,
    ...QuotaAmounts,
    managementPolicy: Type.Optional(ManagementPolicy),
  },
  { rules: [immutable('dataCenter'), immutable('environment')] },
);
export type ComputeQuotaSpec = Static<typeof ComputeQuotaSpec>;

const Amounts = (description: string) =>
  Struct(description, {
    cores: Type.Optional(Type.Integer({ description: 'Virtual CPU cores.' })),
    ramGiB: Type.Optional(Type.Integer({ description: 'RAM in GiB.' })),
    instances: Type.Optional(Type.Integer({ description: 'Servers.' })),
    serverGroups: Type.Optional(Type.Integer({ description: 'Server groups.' })),
    floatingIps: Type.Optional(Type.Integer({ description: 'Floating IP addresses.' })),
  });

export const ComputeQuotaStatus = Struct('Observed quota and use.', {
  ...StatusCommon,
  projectId: Type.Optional(Type.String({ description: 'Keystone project the quota applies to.' })),
  limits: Type.Optional(Amounts('Limits as the backends report them.')),
  inUse: Type.Optional(Amounts('Current use as the backends report it.')),
});
export type ComputeQuotaStatus = Static<typeof ComputeQuotaStatus>;

export type ComputeQuota = Resource<'ComputeQuota', ComputeQuotaSpec, ComputeQuotaStatus>;

export const computeQuotaDefinition: KindDefinition = {
  kind: 'ComputeQuota',
  plural: 'computequotas',
  singular: 'computequota',
  shortNames: ['cq'],
  scope: 'Namespaced',
  description: 'Nova and Neutron quota of an agency in one data center and environment.',
  spec: ComputeQuotaSpec,
  status: ComputeQuotaStatus,
  printerColumns: [
    { name: 'DataCenter', type: 'string', jsonPath: '.spec.dataCenter', description: 'Data center.' },
    { name: 'Env', type: 'string', jsonPath: '.spec.environment', description: 'Environment.' },
    { name: 'Cores', type: 'integer', jsonPath: '.spec.cores', description: 'Core limit.' },
    { name: 'RAM-GiB', type: 'integer', jsonPath: '.spec.ramGiB', description: 'RAM limit in GiB.' },
    { name: 'Cores-Used', type: 'integer', jsonPath: '.status.inUse.cores', description: 'Cores in use.' },
    { name: 'RAM-Used', type: 'integer', jsonPath: '.status.inUse.ramGiB', description: 'RAM in use, GiB.' },
    readyColumn,
    ageColumn,
  ],
};
