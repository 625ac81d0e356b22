import { evaluateJsonPath } from './jsonpath.js';
import type { ResourceInfo } from './registry.js';
import type { KubeObject } from './types.js';

/** Go's duration.HumanDuration, which kubectl shows in AGE columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 730) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

function cell(type: string, values: unknown[], now: Date): unknown {
  // As kube-apiserver's CRD table convertor: only the first match is shown.
  if (values.length === 0) return null;
  const value = values[0];
  switch (type) {
    case 'date': {
      const time = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(time) ? null : humanDuration(now.getTime() - time);
    }
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function rowObject(object: KubeObject, include: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

/** A meta.k8s.io/v1 Table, as kube-apiserver returns for `Accept: application/json;as=Table`. */
export function toTable(
  resource: ResourceInfo,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  includeObject: string,
  now: Date,
): Record<string, unknown> {
  const columnDefinitions = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', priority: 0 },
    ...resource.printerColumns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
  ];
  const rows = objects.map((object) => {
    const cells = [object.metadata.name ?? '', ...resource.printerColumns.map((c) => {
      try {
        if (c.count) {
          const found = evaluateJsonPath(c.jsonPath, object)[0];
          return typeof found === 'object' && found !== null ? Object.keys(found).length : 0;
        }
        return cell(c.type, evaluateJsonPath(c.jsonPath, object), now);
      } catch {
        return null;
      }
    })];
    const row: Record<string, unknown> = { cells };
    const included = rowObject(object, includeObject);
    if (included !== undefined) row.object = included;
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions, rows };
}
