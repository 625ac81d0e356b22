import { ApiError, badRequest, conflict, STALE_OBJECT } from './errors.js';
import { deepEqual, timestamp } from './objects.js';
import { apiVersionOf, type ResourceInfo } from './registry.js';
import type { Schema } from './schema.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject, type ManagedFieldsEntry } from './types.js';

/**
 * Server-side apply and managedFields tracking, after structured-merge-diff: every manager owns
 * a set of field paths; apply merges the applied configuration, removes fields the manager
 * applied before and no longer does (when nobody else owns them), and reports conflicts with
 * other managers that own a field the configuration sets to a different value.
 */

/** One step of a field path, in FieldsV1 notation: `f:name`, `k:{"type":"Ready"}`, `v:"x"`. */
type Segment = string;
type FieldPath = Segment[];

const TRACKED_METADATA = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

function sortedJson(value: JsonValue): string {
  if (isJsonObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  return schema.properties?.[key] ?? (isJsonObject(schema.additionalProperties as JsonValue) ? (schema.additionalProperties as Schema) : undefined);
}

function itemKey(item: JsonValue, keys: string[]): Segment | undefined {
  if (!isJsonObject(item)) return undefined;
  const key: JsonObject = {};
  for (const k of keys) if (item[k] !== undefined) key[k] = item[k] as JsonValue;
  return `k:${sortedJson(key)}`;
}

function collect(value: JsonValue, schema: Schema | undefined, prefix: FieldPath, out: Map<string, FieldPath>): void {
  const add = (path: FieldPath): void => {
    out.set(JSON.stringify(path), path);
  };
  if (Array.isArray(value)) {
    const listType = schema?.['x-kubernetes-list-type'];
    if (listType === 'map') {
      const keys = schema?.['x-kubernetes-list-map-keys'] ?? [];
      for (const item of value) {
        const segment = itemKey(item, keys);
        if (!segment) continue;
        add([...prefix, segment, '.']);
        collect(item, schema?.items, [...prefix, segment], out);
      }
      return;
    }
    if (listType === 'set') {
      for (const item of value) add([...prefix, `v:${sortedJson(item)}`]);
      return;
    }
    add(prefix);
    return;
  }
  if (isJsonObject(value) && schema?.['x-kubernetes-map-type'] !== 'atomic' && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) collect(item, childSchema(schema, key), [...prefix, `f:${key}`], out);
    return;
  }
  if (prefix.length > 0) add(prefix);
}

/** The field paths an object (or apply configuration) sets, for one subresource. */
export function fieldSet(object: JsonObject, schema: Schema | undefined, resource: ResourceInfo, subresource: string | undefined): Map<string, FieldPath> {
  const out = new Map<string, FieldPath>();
  for (const part of trackedParts(object, schema, resource, subresource).values()) collect(part.value, part.schema, part.prefix, out);
  return out;
}

/** A part of an object whose fields a manager can own: where its field paths start and the schema that types them. */
interface TrackedPart {
  value: JsonValue;
  schema: Schema | undefined;
  prefix: FieldPath;
}

const METADATA_SCHEMAS: Record<string, Schema> = {
  ownerReferences: { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'] },
  finalizers: { 'x-kubernetes-list-type': 'set' },
};

/** The tracked parts of an object for one subresource, by name (`spec`, `metadata.labels`). */
function trackedParts(object: JsonObject, schema: Schema | undefined, resource: ResourceInfo, subresource: string | undefined): Map<string, TrackedPart> {
  const parts = new Map<string, TrackedPart>();
  const statusSeparate = resource.subresources.includes('status');
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      if (subresource === 'status' || !isJsonObject(value)) continue;
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (TRACKED_METADATA.has(metaKey)) parts.set(`metadata.${metaKey}`, { value: metaValue, schema: METADATA_SCHEMAS[metaKey], prefix: ['f:metadata', `f:${metaKey}`] });
      }
      continue;
    }
    if (statusSeparate && (key === 'status') !== (subresource === 'status')) continue;
    parts.set(key, { value, schema: childSchema(schema, key), prefix: [`f:${key}`] });
  }
  return parts;
}

/** The fields an update set to a new value (`changed`) and the fields it removed, as keys of field paths. */
export interface UpdatedFields {
  changed: Map<string, FieldPath>;
  removed: Set<string>;
}

/**
 * What an update changed, for managedFields: every field path of `next` whose value differs from
 * `old`, and every path of `old` that `next` no longer has. The walk skips parts that are the same in
 * both (a status write leaves spec and most of status as they were), so it costs what changed, not
 * the size of the object.
 */
export function updatedFields(next: JsonObject, old: JsonObject | undefined, schema: Schema | undefined, resource: ResourceInfo, subresource: string | undefined): UpdatedFields {
  const result: UpdatedFields = { changed: new Map(), removed: new Set() };
  const nextParts = trackedParts(next, schema, resource, subresource);
  const oldParts = old ? trackedParts(old, schema, resource, subresource) : new Map<string, TrackedPart>();
  for (const [name, part] of nextParts) {
    const before = oldParts.get(name);
    diffInto(part.value, before?.value, before !== undefined, part.schema, part.prefix, result);
  }
  for (const [name, part] of oldParts) if (!nextParts.has(name)) removeAll(part.value, part.schema, part.prefix, result);
  return result;
}

function removeAll(value: JsonValue, schema: Schema | undefined, prefix: FieldPath, result: UpdatedFields): void {
  const paths = new Map<string, FieldPath>();
  collect(value, schema, prefix, paths);
  for (const key of paths.keys()) result.removed.add(key);
}

/** Same JSON, keys with an undefined value included (collect lists those keys too, deepEqual does not). */
function identical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && identical((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function walksInto(value: JsonValue | undefined, schema: Schema | undefined): value is JsonObject {
  return isJsonObject(value ?? null) && schema?.['x-kubernetes-map-type'] !== 'atomic' && Object.keys(value as JsonObject).length > 0;
}

/** A map list's items by key segment, or undefined when an item lacks a key field or a key repeats. */
function itemsByKey(list: JsonValue[], keys: string[]): Map<Segment, JsonValue> | undefined {
  const byKey = new Map<Segment, JsonValue>();
  for (const item of list) {
    if (!isJsonObject(item) || keys.some((key) => item[key] === undefined)) return undefined;
    const segment = itemKey(item, keys) as Segment;
    if (byKey.has(segment)) return undefined;
    byKey.set(segment, item);
  }
  return byKey;
}

function diffInto(next: JsonValue, old: JsonValue | undefined, oldPresent: boolean, schema: Schema | undefined, prefix: FieldPath, result: UpdatedFields): void {
  if (oldPresent && identical(next, old)) return;
  if (oldPresent && walksInto(next, schema) && walksInto(old, schema)) {
    for (const [key, item] of Object.entries(next)) diffInto(item, old[key], Object.hasOwn(old, key), childSchema(schema, key), [...prefix, `f:${key}`], result);
    for (const [key, item] of Object.entries(old)) if (!Object.hasOwn(next, key)) removeAll(item, childSchema(schema, key), [...prefix, `f:${key}`], result);
    return;
  }
  if (oldPresent && Array.isArray(next) && Array.isArray(old) && schema?.['x-kubernetes-list-type'] === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const nextItems = itemsByKey(next, keys);
    const oldItems = itemsByKey(old, keys);
    if (nextItems && oldItems) {
      for (const [segment, item] of nextItems) {
        const before = oldItems.get(segment);
        if (before !== undefined && identical(item, before)) continue;
        const itemPath = [...prefix, segment, '.'];
        if (!deepEqual(item, before)) result.changed.set(JSON.stringify(itemPath), itemPath);
        diffInto(item, before, before !== undefined, schema.items, [...prefix, segment], result);
      }
      for (const [segment, item] of oldItems) {
        if (nextItems.has(segment)) continue;
        result.removed.add(JSON.stringify([...prefix, segment, '.']));
        removeAll(item, schema.items, [...prefix, segment], result);
      }
      return;
    }
  }
  // Leaves, sets, atomic values and parts whose shape changed: compare their field sets path by path.
  const nextPaths = new Map<string, FieldPath>();
  collect(next, schema, prefix, nextPaths);
  for (const [key, path] of nextPaths) {
    const relative = path.slice(prefix.length);
    if (!deepEqual(valueAt(next, relative), valueAt(old, relative))) result.changed.set(key, path);
  }
  if (!oldPresent) return;
  const oldPaths = new Map<string, FieldPath>();
  collect(old as JsonValue, schema, prefix, oldPaths);
  for (const key of oldPaths.keys()) if (!nextPaths.has(key)) result.removed.add(key);
}

function parseSegment(segment: Segment): { kind: 'f' | 'k' | 'v'; text: string } {
  return { kind: segment[0] as 'f' | 'k' | 'v', text: segment.slice(2) };
}

/** The value at a field path, or undefined when absent. */
export function valueAt(root: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let current = root;
  for (const segment of path) {
    if (segment === '.') continue;
    if (current === undefined) return undefined;
    const { kind, text } = parseSegment(segment);
    if (kind === 'f') current = isJsonObject(current) ? current[text] : undefined;
    else if (kind === 'k') {
      const key = JSON.parse(text) as JsonObject;
      current = Array.isArray(current) ? current.find((item) => isJsonObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v))) : undefined;
    } else {
      const wanted = JSON.parse(text) as JsonValue;
      current = Array.isArray(current) && current.some((item) => deepEqual(item, wanted)) ? wanted : undefined;
    }
  }
  return current;
}

function removeAt(root: JsonObject, path: FieldPath): void {
  const steps = path.filter((s) => s !== '.');
  if (steps.length === 0) return;
  const parentPath = steps.slice(0, -1);
  const parent = valueAt(root, parentPath);
  const { kind, text } = parseSegment(steps[steps.length - 1] as Segment);
  if (kind === 'f' && isJsonObject(parent ?? null)) delete (parent as JsonObject)[text];
  else if (kind === 'k' && Array.isArray(parent)) {
    const key = JSON.parse(text) as JsonObject;
    const index = parent.findIndex((item) => isJsonObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v)));
    if (index >= 0) parent.splice(index, 1);
  } else if (kind === 'v' && Array.isArray(parent)) {
    const wanted = JSON.parse(text) as JsonValue;
    const index = parent.findIndex((item) => deepEqual(item, wanted));
    if (index >= 0) parent.splice(index, 1);
  }
}

/** Merges an apply configuration into the live object following list and map types. */
function merge(live: JsonValue | undefined, config: JsonValue, schema: Schema | undefined): JsonValue {
  if (Array.isArray(config)) {
    const listType = schema?.['x-kubernetes-list-type'];
    if (listType === 'map' && Array.isArray(live)) {
      const keys = schema?.['x-kubernetes-list-map-keys'] ?? [];
      const result = [...live];
      for (const item of config) {
        const segment = itemKey(item, keys);
        const index = result.findIndex((candidate) => itemKey(candidate, keys) === segment);
        if (index >= 0) result[index] = merge(result[index], item, schema?.items);
        else result.push(structuredClone(item));
      }
      return result;
    }
    if (listType === 'set' && Array.isArray(live)) {
      const result = [...live];
      for (const item of config) if (!result.some((candidate) => deepEqual(candidate, item))) result.push(item);
      return result;
    }
    return structuredClone(config);
  }
  if (isJsonObject(config) && schema?.['x-kubernetes-map-type'] !== 'atomic') {
    const result: JsonObject = isJsonObject(live ?? null) ? { ...(live as JsonObject) } : {};
    for (const [key, item] of Object.entries(config)) result[key] = merge(result[key], item, childSchema(schema, key));
    return result;
  }
  return structuredClone(config);
}

function toFieldsV1(paths: Iterable<FieldPath>): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      if (!isJsonObject(node[segment] ?? null)) node[segment] = {};
      node = node[segment] as JsonObject;
    }
  }
  return root;
}

function fromFieldsV1(tree: JsonObject, prefix: FieldPath = [], out = new Map<string, FieldPath>()): Map<string, FieldPath> {
  for (const [segment, child] of Object.entries(tree)) {
    const path = [...prefix, segment];
    if (segment === '.' || !isJsonObject(child) || Object.keys(child).length === 0) out.set(JSON.stringify(path), path);
    if (isJsonObject(child)) fromFieldsV1(child, path, out);
  }
  return out;
}

/** fieldpath.Path.String(): `.spec.replicas`, `.status.conditions[type="Ready"]`, `.metadata.finalizers[="x"]`. */
function renderPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (segment === '.') continue;
    const { kind, value } = { kind: segment[0], value: segment.slice(2) };
    if (kind === 'f') text += `.${value}`;
    else if (kind === 'k') {
      const key = JSON.parse(value) as JsonObject;
      text += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else text += `[=${value}]`;
  }
  return text;
}

function managerLabel(entry: ManagedFieldsEntry): string {
  let label = JSON.stringify(entry.manager);
  if (entry.subresource) label += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') label += ` using ${entry.apiVersion} at ${entry.time}`;
  return label;
}

export class FieldManager {
  constructor(private readonly now: () => Date) {}

  private schemaOf(resource: ResourceInfo): Schema | undefined {
    return resource.schema as Schema | undefined;
  }

  /** Server-side apply: returns the object to store (with managedFields), or throws 409 on conflicts. */
  apply(resource: ResourceInfo, live: KubeObject | undefined, body: unknown, manager: string, force: boolean, subresource: string | undefined): KubeObject {
    if (!isJsonObject(body as JsonValue)) throw badRequest('the body of an apply patch must be a YAML or JSON object');
    const config = structuredClone(body) as JsonObject;
    const apiVersion = apiVersionOf(resource);
    if (config.apiVersion === undefined || config.kind === undefined) {
      throw badRequest(`apiVersion and kind must be set in an apply patch (expected ${apiVersion}, ${resource.kind})`);
    }
    const configMeta = isJsonObject(config.metadata ?? null) ? (config.metadata as JsonObject) : {};
    if (live && typeof configMeta.resourceVersion === 'string' && configMeta.resourceVersion !== live.metadata.resourceVersion) {
      throw conflict(resource, live.metadata.name ?? '', STALE_OBJECT);
    }
    const schema = this.schemaOf(resource);
    const applied = fieldSet(config, schema, resource, subresource);
    const entries = structuredClone(live?.metadata.managedFields ?? []);
    const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === (subresource ?? ''));
    const previous = mine ? fromFieldsV1(mine.fieldsV1) : new Map<string, FieldPath>();
    const liveJson = (live ?? {}) as unknown as JsonObject;

    const conflicts: { entry: ManagedFieldsEntry; path: FieldPath }[] = [];
    for (const entry of entries) {
      if (entry === mine) continue;
      const owned = fromFieldsV1(entry.fieldsV1);
      for (const [key, path] of applied) {
        if (!owned.has(key)) continue;
        if (deepEqual(valueAt(config, path), valueAt(liveJson, path))) continue;
        if (force) {
          owned.delete(key);
          entry.fieldsV1 = toFieldsV1(owned.values());
        } else conflicts.push({ entry, path });
      }
    }
    if (conflicts.length > 0) throw this.conflictError(resource, live?.metadata.name ?? '', conflicts);

    const result = structuredClone(liveJson);
    const othersOwn = new Set<string>();
    for (const entry of entries) if (entry !== mine) for (const key of fromFieldsV1(entry.fieldsV1).keys()) othersOwn.add(key);
    for (const [key, path] of previous) {
      if (!applied.has(key) && !othersOwn.has(key) && path[path.length - 1] !== '.') removeAt(result, path);
    }
    const { metadata: _m, ...configRest } = config;
    let merged = merge(result, configRest as JsonObject, schema) as JsonObject;
    const liveMeta = isJsonObject(result.metadata ?? null) ? (result.metadata as JsonObject) : {};
    const mergedMeta: JsonObject = { ...liveMeta };
    for (const key of TRACKED_METADATA) {
      if (configMeta[key] !== undefined) {
        const metaSchema: Schema | undefined = key === 'ownerReferences' ? { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'] } : key === 'finalizers' ? { 'x-kubernetes-list-type': 'set' } : undefined;
        mergedMeta[key] = merge(liveMeta[key], configMeta[key] as JsonValue, metaSchema);
      }
      const value = mergedMeta[key];
      if ((isJsonObject(value ?? null) && Object.keys(value as JsonObject).length === 0) || (Array.isArray(value) && value.length === 0)) delete mergedMeta[key];
    }
    if (!live) {
      for (const key of ['name', 'generateName', 'namespace'] as const) if (configMeta[key] !== undefined) mergedMeta[key] = configMeta[key] as JsonValue;
    }
    merged = { ...merged, apiVersion, kind: resource.kind, metadata: mergedMeta };

    const remaining = entries.filter((e) => e !== mine && Object.keys(e.fieldsV1).length > 0);
    const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion, time: timestamp(this.now()), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(applied.values()) };
    if (subresource) entry.subresource = subresource;
    (merged.metadata as JsonObject).managedFields = [...remaining, entry] as unknown as JsonValue;
    return merged as unknown as KubeObject;
  }

  /** Records an Update operation: the manager takes every field the write changed. */
  trackUpdate(resource: ResourceInfo, next: KubeObject, old: KubeObject | undefined, subresource: string | undefined, manager: string): void {
    if (Array.isArray(next.metadata.managedFields) && next.metadata.managedFields.length === 0 && old) {
      delete next.metadata.managedFields;
      return;
    }
    const schema = this.schemaOf(resource);
    const { changed, removed } = updatedFields(next as unknown as JsonObject, old as unknown as JsonObject | undefined, schema, resource, subresource);
    const entries = structuredClone(old?.metadata.managedFields ?? next.metadata.managedFields ?? []);
    if (changed.size === 0 && removed.size === 0) {
      if (old?.metadata.managedFields) next.metadata.managedFields = old.metadata.managedFields;
      return;
    }
    const apiVersion = apiVersionOf(resource);
    let mine = entries.find((e) => e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? ''));
    for (const entry of entries) {
      const owned = fromFieldsV1(entry.fieldsV1);
      let touched = false;
      for (const key of [...changed.keys(), ...removed]) if (owned.delete(key)) touched = true;
      if (touched) entry.fieldsV1 = toFieldsV1(owned.values());
    }
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion, time: '', fieldsType: 'FieldsV1', fieldsV1: {} };
      if (subresource) mine.subresource = subresource;
      entries.push(mine);
    }
    const owned = fromFieldsV1(mine.fieldsV1);
    for (const [key, path] of changed) owned.set(key, path);
    mine.fieldsV1 = toFieldsV1(owned.values());
    mine.time = timestamp(this.now());
    mine.apiVersion = apiVersion;
    const kept = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
    if (kept.length > 0) next.metadata.managedFields = kept;
    else delete next.metadata.managedFields;
  }

  private conflictError(resource: ResourceInfo, name: string, conflicts: { entry: ManagedFieldsEntry; path: FieldPath }[]): ApiError {
    const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerLabel(c.entry)}`, field: renderPath(c.path) }));
    let message: string;
    const first = conflicts[0] as { entry: ManagedFieldsEntry; path: FieldPath };
    if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${managerLabel(first.entry)}: ${renderPath(first.path)}`;
    else {
      const byManager = new Map<string, string[]>();
      for (const c of conflicts) {
        const label = managerLabel(c.entry);
        byManager.set(label, [...(byManager.get(label) ?? []), renderPath(c.path)]);
      }
      const lines: string[] = [];
      for (const label of [...byManager.keys()].sort()) {
        lines.push(`conflicts with ${label}:`);
        for (const path of byManager.get(label) ?? []) lines.push(`- ${path}`);
      }
      message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
    }
    const details: { name: string; group?: string; kind: string; causes: typeof causes } = { name, kind: resource.plural, causes };
    if (resource.group) details.group = resource.group;
    return new ApiError(409, 'Conflict', message, details);
  }
}
