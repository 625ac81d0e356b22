import { Type, type Static } from '@sinclair/typebox';
import { StatusCommon, Struct, type Resource } from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

export const DECIMAL_PATTERN = '^[0-9]+(\\.[0-9]+)?$';

export const Price = Struct('The published price of one meter.', {
  meter: Type.String({
    description: 'Meter name, for example compute.vcpu.hours or storage.flash.provisioned.gib-hours.',
    pattern: '^[a-z0-9-]+(\\.[a-z0-9-]+)+$',
  }),
  unitPrice: Type.String({
    description: 'Price per unit of the meter, as an exact decimal string in the list’s currency.',
    pattern: DECIMAL_PATTERN,
  }),
});

export const PriceListSpec = Struct(
  'Published, fixed prices for every meter.',
  {
    currency: Type.Optional(Type.String({ description: 'ISO 4217 currency code.', pattern: '^[A-Z]{3}$', default: 'SEK' })),
    effectiveFrom: Type.String({ description: 'First day the prices apply (inclusive).', format: 'date' }),
    effectiveTo: Type.Optional(Type.String({ description: 'Day the prices stop applying (exclusive).', format: 'date' })),
    prices: Type.Array(Price, {
      description: 'One price per meter.',
      minItems: 1,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['meter'],
    }),
  },
  {
    rules: [
      {
        rule: '!has(self.effectiveTo) || self.effectiveTo > self.effectiveFrom',
        message: 'effectiveTo must be after effectiveFrom',
        fieldPath: '.effectiveTo',
      },
    ],
  },
);
export type PriceListSpec = Static<typeof PriceListSpec>;

export const PriceListStatus = Struct('Observed state of the price list.', {
  ...StatusCommon,
});
export type PriceListStatus = Static<typeof PriceListStatus>;

export type PriceList = Resource<'PriceList', PriceListSpec, PriceListStatus>;

export const priceListDefinition: KindDefinition = {
  kind: 'PriceList',
  plural: 'pricelists',
  singular: 'pricelist',
  shortNames: ['pl'],
  scope: 'Cluster',
  description: 'Published prices per meter for a period.',
  spec: PriceListSpec,
  status: PriceListStatus,
  printerColumns: [
    { name: 'Currency', type: 'string', jsonPath: '.spec.currency', description: 'Currency.' },
    { name: 'From', type: 'string', jsonPath: '.spec.effectiveFrom', description: 'Effective from.' },
    { name: 'To', type: 'string', jsonPath: '.spec.effectiveTo', description: 'Effective until.' },
    readyColumn,
    ageColumn,
  ],
};
