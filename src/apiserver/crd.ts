import { checkRules } from './cel.js';
import type { FieldError } from './errors.js';
import type { Schema } from './schema.js';
import type { PrinterColumn, ResourceInfo } from './registry.js';
import { isJsonObject, type JsonObject, type KubeObject } from './types.js';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JsonObject };
  subresources?: { status?: JsonObject; scale?: JsonObject };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  preserveUnknownFields?: boolean;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Validates the parts of a CRD this server relies on, with kube-apiserver's field paths. */
export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = crd.spec;
  if (!isJsonObject(spec)) return [{ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' }];
  const group = asString(spec.group);
  const names = isJsonObject(spec.names) ? spec.names : undefined;
  const plural = asString(names?.plural);
  if (!group) errors.push({ field: 'spec.group', reason: 'FieldValueRequired', message: 'Required value' });
  else if (!group.includes('.')) errors.push({ field: 'spec.group', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(group)}: should be a domain with at least one dot` });
  if (!plural) errors.push({ field: 'spec.names.plural', reason: 'FieldValueRequired', message: 'Required value' });
  if (!asString(names?.kind)) errors.push({ field: 'spec.names.kind', reason: 'FieldValueRequired', message: 'Required value' });
  if (group && plural && crd.metadata.name !== `${plural}.${group}`) {
    errors.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(crd.metadata.name)}: must be spec.names.plural+"."+spec.group` });
  }
  const scope = spec.scope;
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    errors.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(scope ?? '')}: supported values: "Cluster", "Namespaced"` });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errors.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: null: must have exactly one version marked as storage version' });
  const storage = versions.filter((v) => isJsonObject(v) && v.storage === true).length;
  if (versions.length > 0 && storage !== 1) {
    errors.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(versions.map(() => 'object'))}: must have exactly one version marked as storage version` });
  }
  versions.forEach((version, index) => {
    if (!isJsonObject(version) || !asString(version.name)) {
      errors.push({ field: `spec.versions[${index}].name`, reason: 'FieldValueRequired', message: 'Required value' });
      return;
    }
    const schema = isJsonObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (isJsonObject(schema ?? null)) checkRules(schema as Schema, `spec.versions[${index}].schema.openAPIV3Schema`, errors);
  });
  return errors;
}

/** The resources a CRD serves: one ResourceInfo per served version. */
export function crdResources(crd: KubeObject): ResourceInfo[] {
  const spec = crd.spec as unknown as CrdSpec;
  const storageVersion = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? 'v1';
  return spec.versions
    .filter((version) => version.served)
    .map((version) => ({
      group: spec.group,
      version: version.name,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      subresources: version.subresources?.status ? ['status'] : [],
      custom: true,
      generation: true,
      storageVersion,
      printerColumns: version.additionalPrinterColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      selectableFields: (version.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, '')),
      ...(version.schema?.openAPIV3Schema ? { schema: version.schema.openAPIV3Schema } : {}),
    }));
}

/** Status a real server reports once it serves a CRD: names accepted and established. */
export function establishedStatus(crd: KubeObject, now: string): JsonObject {
  const spec = crd.spec as unknown as CrdSpec;
  const acceptedNames: JsonObject = {
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
  };
  if (spec.names.shortNames) acceptedNames.shortNames = spec.names.shortNames;
  if (spec.names.categories) acceptedNames.categories = spec.names.categories;
  return {
    acceptedNames,
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
  };
}

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
