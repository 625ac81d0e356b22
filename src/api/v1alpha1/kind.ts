import type { TSchema } from '@sinclair/typebox';
import type { CelRule } from './common.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** Everything one custom resource kind declares; types, validators and CRDs all derive from it. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: PrinterColumn[];
  /** Rules on the whole object (for example, the spec must exist). */
  rules?: CelRule[];
}

export const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the backends match the spec.',
};

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};
