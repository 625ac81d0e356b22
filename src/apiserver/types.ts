import type { ObjectMeta as BaseObjectMeta } from '../kube/meta.js';

export type { OwnerReference } from '../kube/meta.js';

/** JSON values as they travel over the wire and sit in the store. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Metadata as stored, with the server's own bookkeeping (managedFields) and unknown fields kept. */
export interface ObjectMeta extends BaseObjectMeta {
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** A stored object: any Kubernetes object with apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}
