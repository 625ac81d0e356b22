import { GROUP, VERSION, kindDefinitions, type KindDefinition } from './v1alpha1/index.js';
import { normalizeSchema, type JsonSchema } from './openapi.js';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: JsonSchema;
}

/** The openAPIV3Schema of one kind, for a CRD (forCrd) or for offline validation. */
export function objectSchema(definition: KindDefinition, forCrd: boolean): JsonSchema {
  const spec = normalizeSchema(definition.spec, { forCrd });
  const status = normalizeSchema(definition.status, { forCrd });
  const schema: JsonSchema = {
    type: 'object',
    description: definition.description,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this representation of the object.' },
      kind: { type: 'string', description: 'Kind of the object.' },
      metadata: { type: 'object' },
      spec,
      status,
    },
  };
  if (definition.rules) schema['x-kubernetes-validations'] = definition.rules;
  return schema;
}

export function buildCrd(definition: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${definition.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'statsmoln', 'app.kubernetes.io/part-of': 'statsmoln' },
    },
    spec: {
      group: GROUP,
      scope: definition.scope,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.singular,
        ...(definition.shortNames.length > 0 ? { shortNames: definition.shortNames } : {}),
        categories: ['statsmoln'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.printerColumns,
          schema: { openAPIV3Schema: objectSchema(definition, true) },
        },
      ],
    },
  };
}

export function crdFileName(definition: KindDefinition): string {
  return `${GROUP}_${definition.plural}.yaml`;
}

export function allCrds(): Array<{ fileName: string; crd: CustomResourceDefinition }> {
  return kindDefinitions.map((definition) => ({ fileName: crdFileName(definition), crd: buildCrd(definition) }));
}
