import { coreToEvent, eventToCore } from './events.js';
import type { JsonObject, KubeObject } from './types.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
  /** Built-in columns only: show the number of entries at jsonPath (kubectl's DATA column). */
  count?: boolean;
}

/** One served resource in one group-version: what discovery, routing and storage need to know. */
export interface ResourceInfo {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served: `status` (and `finalize` for namespaces). */
  subresources: string[];
  /** True for custom resources (validation from a schema, generation, etc.). */
  custom: boolean;
  /** Whether metadata.generation is maintained (custom resources and CRDs). */
  generation: boolean;
  /** Storage version: objects are stored once per group/plural and served in every version. */
  storageVersion: string;
  printerColumns: PrinterColumn[];
  /** Extra field-selector labels the real server supports for this kind. */
  selectableFields: string[];
  schema?: JsonObject;
  /** Set when the objects live in another resource's store in another shape (events.k8s.io Events). */
  storage?: StorageConversion;
}

export interface StorageConversion {
  /** Storage key of the resource whose store holds the objects. */
  key: string;
  toStorage(object: KubeObject): KubeObject;
  fromStorage(object: KubeObject): KubeObject;
}

export function storageKey(resource: Pick<ResourceInfo, 'group' | 'plural' | 'storage'>): string {
  return resource.storage?.key ?? `${resource.group}/${resource.plural}`;
}

export function apiVersionOf(resource: Pick<ResourceInfo, 'group' | 'version'>): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

interface BuiltinSpec {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources?: string[];
  selectableFields?: string[];
  printerColumns?: PrinterColumn[];
  categories?: string[];
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const BUILTINS: BuiltinSpec[] = [
  {
    group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'],
    subresources: ['status', 'finalize'], selectableFields: ['status.phase'],
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
  },
  {
    group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, selectableFields: ['type'],
    printerColumns: [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Data', type: 'integer', jsonPath: '.data', count: true }, AGE],
  },
  {
    group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'],
    printerColumns: [{ name: 'Data', type: 'integer', jsonPath: '.data', count: true }, AGE],
  },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] },
  {
    group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
    selectableFields: [
      'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
      'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
      'reason', 'reportingComponent', 'source', 'type',
    ],
    printerColumns: [
      { name: 'Last Seen', type: 'string', jsonPath: '.lastTimestamp' },
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
      { name: 'Message', type: 'string', jsonPath: '.message' },
    ],
  },
  {
    group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
    selectableFields: ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reason', 'type', 'reportingController'],
  },
  {
    group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true,
    printerColumns: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }, AGE],
  },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  {
    group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition',
    namespaced: false, shortNames: ['crd', 'crds'], subresources: ['status'], categories: ['api-extensions'],
    printerColumns: [{ name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
  },
];

export function builtinResources(): ResourceInfo[] {
  return BUILTINS.map((spec) => ({
    group: spec.group,
    version: spec.version,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    subresources: spec.subresources ?? [],
    custom: false,
    generation: spec.kind === 'CustomResourceDefinition',
    storageVersion: spec.version,
    printerColumns: spec.printerColumns ?? [AGE],
    selectableFields: spec.selectableFields ?? [],
    ...(spec.group === 'events.k8s.io' ? { storage: { key: '/events', toStorage: eventToCore, fromStorage: coreToEvent } } : {}),
  }));
}

/** The served resources, by group-version-plural; built-ins are fixed, CRDs come and go. */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceInfo>();

  constructor() {
    for (const resource of builtinResources()) this.add(resource);
  }

  add(resource: ResourceInfo): void {
    this.byPath.set(`${resource.group}/${resource.version}/${resource.plural}`, resource);
  }

  removeGroupResource(group: string, plural: string): void {
    for (const [path, resource] of this.byPath) {
      if (resource.group === group && resource.plural === plural) this.byPath.delete(path);
    }
  }

  find(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** Any served version of a group/plural, preferring the storage version. */
  findAnyVersion(group: string, plural: string): ResourceInfo | undefined {
    let found: ResourceInfo | undefined;
    for (const resource of this.byPath.values()) {
      if (resource.group !== group || resource.plural !== plural) continue;
      if (resource.version === resource.storageVersion) return resource;
      found ??= resource;
    }
    return found;
  }

  /** A served resource by apiVersion and kind (for owner references and apply bodies). */
  findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    for (const resource of this.byPath.values()) {
      if (resource.group === group && resource.version === version && resource.kind === kind) return resource;
    }
    return undefined;
  }

  all(): ResourceInfo[] {
    return [...this.byPath.values()];
  }
}
