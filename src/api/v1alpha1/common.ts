import { Type, type Static, type TString, type TObject, type TProperties, type ObjectOptions } from '@sinclair/typebox';

export const GROUP = 'statsmoln.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A CEL rule as the CRD's `x-kubernetes-validations` carries it. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Object schema that rejects unknown fields offline; CRD generation turns this into pruning. */
export function Struct<T extends TProperties>(
  description: string,
  properties: T,
  options: ObjectOptions & { rules?: CelRule[] } = {},
): TObject<T> {
  const { rules, ...rest } = options;
  return Type.Object(properties, {
    description,
    additionalProperties: false,
    ...(rules ? { 'x-kubernetes-validations': rules } : {}),
    ...rest,
  });
}

export const ENVIRONMENTS = ['production', 'classified', 'test', 'development'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const Environment = Type.Union(
  ENVIRONMENTS.map((environment) => Type.Literal(environment)),
  {
    description:
      'Environment partition of a data center: production, classified (production for systems holding classified documents), test or development.',
  },
);

export const DnsLabel = (description: string): TString =>
  Type.String({ description, minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });

export const ObjectName = (description: string): TString =>
  Type.String({
    description,
    minLength: 1,
    maxLength: 253,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  });

export const LocalObjectReference = (description: string) =>
  Struct(description, { name: ObjectName('Name of the referenced object.') });

export const SecretKeyReference = (description: string, defaultKey: string) =>
  Struct(description, {
    name: ObjectName("Name of a Secret in the operator's namespace."),
    key: Type.Optional(
      Type.String({ description: `Key inside the Secret's data. Defaults to ${defaultKey}.`, default: defaultKey, minLength: 1 }),
    ),
  });

export const ManagementPolicy = Type.Union([Type.Literal('Managed'), Type.Literal('Observe')], {
  description:
    'Managed (default): the operator creates, updates and deletes backend resources. Observe: it imports and reports, and never writes to a backend.',
  default: 'Managed',
});
export type ManagementPolicy = Static<typeof ManagementPolicy>;

export const Classification = Struct(
  'How sensitive the information is that the resources may hold, as the information owner classified it (0 = none, 3 = very high).',
  {
    confidentiality: Type.Integer({ description: 'Confidentiality level, 0 to 3.', minimum: 0, maximum: 3 }),
    integrity: Type.Integer({ description: 'Integrity level, 0 to 3.', minimum: 0, maximum: 3 }),
    availability: Type.Integer({ description: 'Availability level, 0 to 3.', minimum: 0, maximum: 3 }),
  },
);
export type Classification = Static<typeof Classification>;

/** metav1.Condition, as every statsmoln status carries it. */
export const Condition = Struct('A standard Kubernetes condition (metav1.Condition).', {
  type: Type.String({ description: 'Condition type: Ready, Reconciling, Stalled, or a kind-specific one.', maxLength: 316 }),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
    description: 'Status of the condition.',
  }),
  observedGeneration: Type.Optional(
    Type.Integer({ description: 'The metadata.generation the condition was set for.', minimum: 0 }),
  ),
  lastTransitionTime: Type.String({ description: 'When the status last changed.', format: 'date-time' }),
  reason: Type.String({
    description: 'Machine-readable CamelCase reason for the last transition.',
    maxLength: 1024,
    minLength: 1,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ description: 'Human-readable detail.', maxLength: 32768 }),
});
export type Condition = Static<typeof Condition>;

export const Conditions = Type.Array(Condition, {
  description: 'Ready, Reconciling and Stalled, as Flux kstatus and Argo CD read them, plus kind-specific conditions.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

export const ObservedGeneration = Type.Integer({
  description: 'The metadata.generation the status describes.',
  minimum: 0,
});

/** Spec fields that, once set, must not change. */
export function immutable(field: string): CelRule {
  return { rule: `self.${field} == oldSelf.${field}`, message: `${field} is immutable`, fieldPath: `.${field}` };
}

export const DataCenterName = ObjectName('Name of a DataCenter.');
export const TenantName = ObjectName('Name of an AgencyTenant.');

export interface ResourceMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

/** A statsmoln object as stored: spec typed by its kind, status optional. */
export interface Resource<Kind extends string, Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: Kind;
  metadata: ResourceMetadata;
  spec: Spec;
  status?: Status;
}

/** The status fields every kind carries, for kstatus and Argo CD health. */
export const StatusCommon = {
  observedGeneration: Type.Optional(ObservedGeneration),
  conditions: Type.Optional(Conditions),
};
