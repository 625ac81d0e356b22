import type { ApiCore } from './core.js';
import { ApiError, badRequest, gone } from './errors.js';
import { apiVersionOf, storageKey, type ResourceInfo } from './registry.js';
import {
  matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, type FieldSelector, type LabelSelector,
} from './selectors.js';
import type { KubeObject } from './types.js';

export interface Filter {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
}

export function parseFilter(resource: ResourceInfo, namespace: string | undefined, query: URLSearchParams): Filter {
  const supported = new Set(['metadata.name', 'metadata.namespace', ...resource.selectableFields]);
  return {
    namespace: resource.namespaced ? namespace : undefined,
    labels: parseLabelSelector(query.get('labelSelector') ?? undefined),
    fields: parseFieldSelector(query.get('fieldSelector') ?? undefined, supported),
  };
}

export function matchesFilter(filter: Filter, object: KubeObject): boolean {
  if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace) return false;
  return matchesLabels(filter.labels, object.metadata.labels) && matchesFields(filter.fields, object);
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, lastKey: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (token.v !== 'meta.k8s.io/v1' || typeof token.rv !== 'number' || typeof token.start !== 'string') throw new Error('bad token');
    return token;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function parseRv(text: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`Invalid value: ${JSON.stringify(text)}: resourceVersion must be a non-negative integer`);
  return Number(text);
}

function keyOfObject(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/** List with kube-apiserver's resourceVersion, resourceVersionMatch, limit and continue semantics. */
export function listObjects(core: ApiCore, resource: ResourceInfo, namespace: string | undefined, query: URLSearchParams): ListResult {
  const filter = parseFilter(resource, namespace, query);
  const rvText = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const continueText = query.get('continue') ?? '';
  const limitText = query.get('limit') ?? '';
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`Invalid value: ${JSON.stringify(limitText)}: limit must be a non-negative integer`);
  if (match && !rvText) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match && match !== 'Exact' && match !== 'NotOlderThan') throw badRequest(`Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
  if (continueText && rvText) throw badRequest('specifying resource version is not allowed when using continue');
  if (match === 'Exact' && rvText === '0') throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');

  const store = core.store;
  const current = store.resourceVersion;
  let atRv = current;
  let startAfter = '';
  if (continueText) {
    const token = decodeContinue(continueText);
    if (token.rv < store.compactedRevision) {
      throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    }
    atRv = token.rv;
    startAfter = token.start;
  } else if (rvText && rvText !== '0') {
    const requested = parseRv(rvText);
    if (requested > current) {
      throw new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (match === 'Exact') atRv = requested;
  }

  const key = storageKey(resource);
  const all = atRv === current ? store.list(key, filter.namespace) : store.listAt(key, atRv, filter.namespace);
  const items: KubeObject[] = [];
  const unfiltered = filter.labels.length === 0 && filter.fields.length === 0;
  let index = 0;
  if (startAfter) {
    let low = 0;
    let high = all.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (keyOfObject(all[mid] as KubeObject) < startAfter) low = mid + 1;
      else high = mid;
    }
    index = low;
  }
  let lastKey = '';
  for (; index < all.length; index++) {
    const object = all[index] as KubeObject;
    if (limit > 0 && items.length >= limit) break;
    const presented = core.present(resource, object);
    if (!unfiltered && !matchesFilter(filter, presented)) continue;
    items.push(presented);
    lastKey = keyOfObject(object);
  }
  const result: ListResult = { items, resourceVersion: String(atRv) };
  if (limit > 0 && index < all.length) {
    let more = unfiltered;
    if (!more) for (let i = index; i < all.length && !more; i++) more = matchesFilter(filter, core.present(resource, all[i] as KubeObject));
    if (more) {
      result.continueToken = encodeContinue(atRv, lastKey);
      if (unfiltered) result.remainingItemCount = all.length - index;
    }
  }
  return result;
}

const serialized = new WeakMap<KubeObject, string>();

/** JSON of a stored object; stored objects never change, so the text is cached per object. */
export function objectJson(object: KubeObject): string {
  let text = serialized.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    serialized.set(object, text);
  }
  return text;
}

/** The list response as JSON text, reusing each object's cached serialisation. */
export function listJson(resource: ResourceInfo, result: ListResult): string {
  const { items: _items, ...head } = listBody(resource, { ...result, items: [] });
  const prefix = JSON.stringify(head);
  return `${prefix.slice(0, -1)},"items":[${result.items.map(objectJson).join(',')}]}`;
}

export function listBody(resource: ResourceInfo, result: ListResult): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  return { kind: resource.listKind, apiVersion: apiVersionOf(resource), metadata, items: result.items };
}

export { parseRv };
