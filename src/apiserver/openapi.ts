import { createHash } from 'node:crypto';
import type { ResourceInfo, ResourceRegistry } from './registry.js';
import { isJsonObject, type JsonObject, type JsonValue } from './types.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

const META_SCHEMAS: JsonObject = {
  [OBJECT_META]: {
    description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    type: 'object',
    properties: {
      name: { type: 'string', description: 'Name must be unique within a namespace.' },
      generateName: { type: 'string', description: 'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.' },
      namespace: { type: 'string', description: 'Namespace defines the space within which each name must be unique.' },
      uid: { type: 'string', description: 'UID is the unique in time and space value for this object.' },
      resourceVersion: { type: 'string', description: 'An opaque value that represents the internal version of this object.' },
      generation: { type: 'integer', format: 'int64', description: 'A sequence number representing a specific generation of the desired state.' },
      creationTimestamp: { type: 'string', format: 'date-time', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
      deletionTimestamp: { type: 'string', format: 'date-time', description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.' },
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      labels: { type: 'object', additionalProperties: { type: 'string', default: '' }, description: 'Map of string keys and values that can be used to organize and categorize objects.' },
      annotations: { type: 'object', additionalProperties: { type: 'string', default: '' }, description: 'Annotations is an unstructured key value map stored with a resource.' },
      finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set', description: 'Must be empty before the object is deleted from the registry.' },
      ownerReferences: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
        items: {
          type: 'object',
          required: ['apiVersion', 'kind', 'name', 'uid'],
          properties: {
            apiVersion: { type: 'string', default: '' },
            kind: { type: 'string', default: '' },
            name: { type: 'string', default: '' },
            uid: { type: 'string', default: '' },
            controller: { type: 'boolean' },
            blockOwnerDeletion: { type: 'boolean' },
          },
        },
      },
      managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  },
  [LIST_META]: {
    description: 'ListMeta describes metadata that synthetic resources must have, including lists.',
    type: 'object',
    properties: {
      resourceVersion: { type: 'string' },
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer', format: 'int64' },
    },
  },
};

/** Reverse-DNS schema name, as kube-apiserver names CRD schemas: `io.statsmoln.test.v1alpha1.Widget`. */
export function schemaName(resource: ResourceInfo): string {
  if (!resource.group) return `io.k8s.api.core.${resource.version}.${resource.kind}`;
  if (resource.group.endsWith('.k8s.io') && !resource.custom) {
    const short = resource.group.replace(/\.k8s\.io$/, '').replace('.authorization', '');
    return `io.k8s.api.${short}.${resource.version}.${resource.kind}`;
  }
  return `${resource.group.split('.').reverse().join('.')}.${resource.version}.${resource.kind}`;
}

function gvk(resource: ResourceInfo): JsonObject {
  return { group: resource.group, version: resource.version, kind: resource.kind };
}

function objectSchema(resource: ResourceInfo): JsonObject {
  const base: JsonObject = resource.schema ? (structuredClone(resource.schema) as JsonObject) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const properties: JsonObject = isJsonObject(base.properties ?? null) ? (base.properties as JsonObject) : {};
  properties.apiVersion = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  properties.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  properties.metadata = { allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }], default: {}, description: "Standard object's metadata." };
  base.properties = properties;
  base.type = 'object';
  base['x-kubernetes-group-version-kind'] = [gvk(resource)];
  return base;
}

function listSchema(resource: ResourceInfo): JsonObject {
  return {
    description: `${resource.listKind} is a list of ${resource.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [{ $ref: `#/components/schemas/${LIST_META}` }], default: {} },
      items: { type: 'array', items: { allOf: [{ $ref: `#/components/schemas/${schemaName(resource)}` }], default: {} } },
    },
    'x-kubernetes-group-version-kind': [{ ...gvk(resource), kind: resource.listKind }],
  };
}

function queryParameter(name: string, type: string, description: string): JsonObject {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const WRITE_PARAMETERS: JsonValue[] = [
  queryParameter('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  queryParameter('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParameter('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.'),
];

function operations(resource: ResourceInfo, collection: boolean, subresource?: string): JsonObject {
  const ref = { $ref: `#/components/schemas/${schemaName(resource)}` };
  const content = (schema: JsonValue): JsonObject => ({ 'application/json': { schema } });
  const meta = (action: string): JsonObject => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(resource),
    tags: [resource.group ? `${resource.group}_${resource.version}` : `core_${resource.version}`],
  });
  const op = (action: string, id: string, extra: JsonObject = {}): JsonObject => ({
    operationId: `${action}${resource.kind}${subresource ? subresource[0]?.toUpperCase() + subresource.slice(1) : ''}${id}`,
    ...meta(action),
    responses: { '200': { description: 'OK', content: content(ref) } },
    ...extra,
  });
  if (collection) {
    return {
      get: op('list', '', { responses: { '200': { description: 'OK', content: content({ $ref: `#/components/schemas/${schemaName(resource)}List` }) } } }),
      post: op('create', '', { parameters: WRITE_PARAMETERS, requestBody: { content: content(ref), required: true } }),
    };
  }
  return {
    get: op(subresource ? 'get' : 'get', ''),
    put: op('replace', '', { parameters: WRITE_PARAMETERS, requestBody: { content: content(ref), required: true } }),
    patch: op('patch', '', {
      parameters: [...WRITE_PARAMETERS, queryParameter('force', 'boolean', 'Force is going to "force" Apply requests.')],
      requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json-patch+json': { schema: { type: 'object' } }, 'application/apply-patch+yaml': { schema: { type: 'object' } } }, required: true },
    }),
    ...(subresource ? {} : { delete: op('delete', '') }),
  };
}

/** OpenAPI v3 document of one group-version: what `kubectl explain` and field validation read. */
export function groupVersionDocument(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const resources = registry.all().filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  const schemas: JsonObject = { ...structuredClone(META_SCHEMAS) };
  const paths: JsonObject = {};
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  for (const resource of resources) {
    schemas[schemaName(resource)] = objectSchema(resource);
    schemas[`${schemaName(resource)}List`] = listSchema(resource);
    const base = resource.namespaced ? `${prefix}/namespaces/{namespace}/${resource.plural}` : `${prefix}/${resource.plural}`;
    paths[base] = operations(resource, true);
    paths[`${base}/{name}`] = operations(resource, false);
    for (const sub of resource.subresources) paths[`${base}/{name}/${sub}`] = operations(resource, false, sub);
    if (resource.namespaced) paths[`${prefix}/${resource.plural}`] = { get: (operations(resource, true).get as JsonObject) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (statsmoln embedded API server)', version: 'v1.31.0' },
    paths,
    components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', in: 'header', name: 'authorization', description: 'Bearer Token authentication' } } },
  };
}

function hashOf(document: JsonValue): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').slice(0, 128).toUpperCase();
}

/** Serves `/openapi/v3` (the index of group-versions) and `/openapi/v3/<api|apis/group>/<version>`. */
export function openapiHandler(registry: ResourceRegistry): (path: string) => JsonValue | undefined {
  return (path: string) => {
    if (path === '/openapi/v3') {
      const seen = new Set<string>();
      const index: JsonObject = {};
      for (const resource of registry.all()) {
        const key = resource.group ? `apis/${resource.group}/${resource.version}` : `api/${resource.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const document = groupVersionDocument(registry, resource.group, resource.version) as JsonObject;
        index[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(document)}` };
      }
      return { paths: index };
    }
    const match = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!match) return undefined;
    return match[1] ? groupVersionDocument(registry, '', match[1]) : groupVersionDocument(registry, match[2] ?? '', match[3] ?? '');
  };
}

