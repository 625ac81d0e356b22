import { Type, type Static } from '@sinclair/typebox';
import { StatusCommon, Struct, type Resource } from './common.js';
import { ageColumn, readyColumn, type KindDefinition } from './kind.js';

export const PERCENT_PATTERN = '^(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)$';

export const LabelSelector = Struct('A Kubernetes label selector over the namespace’s resources.', {
  matchLabels: Type.Optional(
    Type.Record(Type.String(), Type.String({ description: 'Label value.' }), { description: 'Labels every selected resource carries.' }),
  ),
  matchExpressions: Type.Optional(
    Type.Array(
      Struct('A label selector requirement.', {
        key: Type.String({ description: 'Label key.', minLength: 1 }),
        operator: Type.Union(['In', 'NotIn', 'Exists', 'DoesNotExist'].map((operator) => Type.Literal(operator)), {
          description: 'How the key relates to the values.',
        }),
        values: Type.Optional(Type.Array(Type.String({ description: 'A label value.' }), { description: 'Values for In and NotIn.' })),
      }),
      { description: 'Requirements every selected resource meets.' },
    ),
  ),
});

export const Indicator = Struct(
  'How availability is measured.',
  {
    type: Type.Optional(
      Type.Union([Type.Literal('Probe'), Type.Literal('Prometheus')], {
        description: 'Probe (default): the operator’s own probes of the covered resources. Prometheus: the given queries.',
        default: 'Probe',
      }),
    ),
    prometheus: Type.Optional(
      Struct('Prometheus queries giving good and total events.', {
        url: Type.String({ description: 'Base URL of the Prometheus HTTP API.', format: 'uri' }),
        goodQuery: Type.String({ description: 'PromQL counting good events over $__range.', minLength: 1 }),
        totalQuery: Type.String({ description: 'PromQL counting all events over $__range.', minLength: 1 }),
      }),
    ),
  },
  {
    rules: [
      {
        rule: "(self.type == 'Prometheus') == has(self.prometheus)",
        message: 'prometheus must be set exactly when type is Prometheus',
        fieldPath: '.prometheus',
      },
    ],
  },
);

export const SLASpec = Struct('A service level the state cloud guarantees to the agency.', {
  services: Type.Array(Type.Union([Type.Literal('compute'), Type.Literal('storage')], { description: 'A covered service.' }), {
    description: 'Services the agreement covers; a miss credits their charge.',
    minItems: 1,
    'x-kubernetes-list-type': 'set',
  }),
  availabilityTarget: Type.String({
    description: 'Guaranteed availability per calendar month, in percent, as a decimal string such as 99.95.',
    pattern: PERCENT_PATTERN,
  }),
  rpoMinutes: Type.Integer({ description: 'Recovery point objective: data loss tolerated, in minutes.', minimum: 0 }),
  rtoMinutes: Type.Integer({ description: 'Recovery time objective: time to restore service, in minutes.', minimum: 0 }),
  minDataCenters: Type.Optional(
    Type.Integer({
      description: 'Least number of data centers the covered resources span. Defaults to 1.',
      minimum: 1,
      maximum: 10,
      default: 1,
    }),
  ),
  selector: Type.Optional(LabelSelector),
  creditPercent: Type.Optional(
    Type.Integer({
      description: 'Share of the covered services’ monthly charge credited on a miss. Defaults to 100.',
      minimum: 0,
      maximum: 100,
      default: 100,
    }),
  ),
  indicator: Type.Optional(Indicator),
});
export type SLASpec = Static<typeof SLASpec>;

export const MonthAttainment = Struct('Attainment in one calendar month.', {
  month: Type.String({ description: 'Calendar month, YYYY-MM.', pattern: '^[0-9]{4}-[0-9]{2}$' }),
  attainment: Type.String({ description: 'Measured availability in percent.' }),
  errorBudgetRemaining: Type.String({ description: 'Share of the month’s error budget left, in percent.' }),
  met: Type.Boolean({ description: 'Whether the target was met (so far, for the current month).' }),
});

export const SLAStatus = Struct('Observed attainment.', {
  ...StatusCommon,
  currentMonth: Type.Optional(MonthAttainment),
  history: Type.Optional(Type.Array(MonthAttainment, { description: 'Earlier months, newest first.' })),
});
export type SLAStatus = Static<typeof SLAStatus>;

export type SLA = Resource<'SLA', SLASpec, SLAStatus>;

export const slaDefinition: KindDefinition = {
  kind: 'SLA',
  plural: 'slas',
  singular: 'sla',
  shortNames: [],
  scope: 'Namespaced',
  description: 'Availability target, RPO and RTO for an agency’s services, with attainment and error budget.',
  spec: SLASpec,
  status: SLAStatus,
  printerColumns: [
    { name: 'Target', type: 'string', jsonPath: '.spec.availabilityTarget', description: 'Target, percent.' },
    { name: 'DCs', type: 'integer', jsonPath: '.spec.minDataCenters', description: 'Minimum data centers.' },
    { name: 'Attained', type: 'string', jsonPath: '.status.currentMonth.attainment', description: 'This month.' },
    {
      name: 'Budget-Left',
      type: 'string',
      jsonPath: '.status.currentMonth.errorBudgetRemaining',
      description: 'Error budget left this month, percent.',
    },
    readyColumn,
    ageColumn,
  ],
};
