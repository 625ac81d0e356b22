/**
 * updatedFields (what an Update changed, for managedFields) against its definition: every field path
 * of the new object whose value differs from the old one, and every path of the old object the new
 * one no longer has, computed the slow way from the two full field sets. Seeded random objects and
 * edits cover map lists, sets, atomic lists and maps, nested objects, keys with undefined values and
 * changes of shape.
 */
import { fieldSet, updatedFields, valueAt } from '../../src/apiserver/apply.js';
import { deepEqual } from '../../src/apiserver/objects.js';
import { seededRandom } from '../../src/runtime/random.js';
import type { ResourceInfo } from '../../src/apiserver/registry.js';
import type { Schema } from '../../src/apiserver/schema.js';
import type { JsonObject, JsonValue } from '../../src/apiserver/types.js';

const conditionsSchema: Schema = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' } } },
};
const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        size: { type: 'integer' },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        zones: { type: 'array', items: { type: 'string' } },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
        nested: { type: 'object', properties: { a: { type: 'object' }, b: { type: 'string' } } },
      },
    },
    status: {
      type: 'object',
      properties: {
        conditions: conditionsSchema,
        placements: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['dataCenter', 'environment'],
          items: { type: 'object', properties: { ids: { type: 'object' }, conditions: conditionsSchema } },
        },
        observedGeneration: { type: 'integer' },
      },
    },
  },
};
const resource = { subresources: ['status'] } as unknown as ResourceInfo;

function generate(next: () => number): JsonObject {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T;
  const maybe = (probability: number): boolean => next() < probability;
  const condition = (type: string): JsonObject => ({ type, status: pick(['True', 'False']), ...(maybe(0.5) ? { reason: pick(['A', 'B', undefined]) } : {}) });
  const conditions = (): JsonValue => ['Ready', 'Reconciling', 'Stalled'].filter(() => maybe(0.6)).map(condition);
  // Undefined values on purpose: managedFields must treat them as the JSON they become.
  const object = {
    apiVersion: 'example.io/v1',
    kind: 'Thing',
    metadata: {
      name: 'thing',
      ...(maybe(0.5) ? { labels: { team: pick(['a', 'b']), ...(maybe(0.5) ? { tier: 'gold' } : {}) } } : {}),
      ...(maybe(0.5) ? { finalizers: ['example.io/cleanup', ...(maybe(0.5) ? ['other'] : [])] } : {}),
      ...(maybe(0.3) ? { ownerReferences: [{ uid: pick(['u1', 'u2']), name: 'owner', kind: 'Owner' }] } : {}),
      resourceVersion: String(Math.floor(next() * 10)),
    },
    spec: {
      size: pick([1, 2, 3]),
      ...(maybe(0.6) ? { tags: ['x', 'y', 'z'].filter(() => maybe(0.6)) } : {}),
      ...(maybe(0.6) ? { zones: pick([['a'], ['a', 'b'], []]) } : {}),
      ...(maybe(0.5) ? { selector: pick([{ app: 'x' }, { app: 'y', env: 'prod' }, {}]) } : {}),
      ...(maybe(0.6) ? { nested: { ...(maybe(0.7) ? { a: pick([{}, { deep: 1 }, { deep: 2, more: [1] }]) } : {}), ...(maybe(0.5) ? { b: pick(['p', 'q', undefined]) } : {}) } } : {}),
    },
  } as unknown as JsonObject;
  if (maybe(0.8)) {
    object.status = {
      ...(maybe(0.7) ? { conditions: conditions() } : {}),
      ...(maybe(0.6)
        ? {
            placements: ['sto-1', 'gbg-1']
              .filter(() => maybe(0.7))
              .map((dataCenter) => ({ dataCenter, environment: 'production', ids: { project: pick(['p1', 'p2']) }, ...(maybe(0.5) ? { conditions: conditions() } : {}) })),
          }
        : {}),
      ...(maybe(0.5) ? { observedGeneration: pick([1, 2]) } : {}),
    } as unknown as JsonObject;
  }
  return object;
}

/** A copy with a few random edits, so that most of it stays the same, as in a real update. */
function edit(object: JsonObject, next: () => number): JsonObject {
  const fresh = generate(next);
  const copy = structuredClone(object);
  for (const key of ['spec', 'status'] as const) {
    if (next() < 0.4) copy[key] = fresh[key] as JsonValue;
    else if (next() < 0.2) delete copy[key];
  }
  if (next() < 0.4) copy.metadata = fresh.metadata as JsonValue;
  const status = copy.status as JsonObject | undefined;
  if (status && Array.isArray(status.conditions) && next() < 0.5) {
    status.conditions = status.conditions.map((item) => (next() < 0.5 ? { ...(item as JsonObject), status: 'Unknown' } : item));
  }
  return copy;
}

function byDefinition(next: JsonObject, old: JsonObject | undefined, subresource: string | undefined): { changed: string[]; removed: string[] } {
  const nextFields = fieldSet(next, schema, resource, subresource);
  const changed = [...nextFields].filter(([, path]) => !deepEqual(valueAt(next, path), valueAt(old ?? {}, path))).map(([key]) => key);
  const removed = old ? [...fieldSet(old, schema, resource, subresource).keys()].filter((key) => !nextFields.has(key)) : [];
  return { changed: changed.sort(), removed: removed.sort() };
}

describe('updatedFields', () => {
  test('agrees with the full field sets on 3,000 random updates of spec and status', () => {
    const next = seededRandom(20261123);
    let nonEmpty = 0;
    for (let round = 0; round < 3000; round++) {
      const old = generate(next);
      const updated = edit(old, next);
      const subresource = next() < 0.5 ? 'status' : undefined;
      const previous = next() < 0.1 ? undefined : old;
      const fast = updatedFields(updated, previous, schema, resource, subresource);
      const expected = byDefinition(updated, previous, subresource);
      expect({ round, changed: [...fast.changed.keys()].sort(), removed: [...fast.removed].sort() }).toEqual({ round, ...expected });
      if (expected.changed.length + expected.removed.length > 0) nonEmpty += 1;
    }
    // The edits must exercise the walk: most updates change something, some change nothing.
    expect(nonEmpty).toBeGreaterThan(1500);
    expect(nonEmpty).toBeLessThan(3000);
  });

  test('a status write that flips one condition changes that condition only', () => {
    const old: JsonObject = {
      apiVersion: 'example.io/v1',
      kind: 'Thing',
      metadata: { name: 'thing' },
      spec: { size: 1 },
      status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Reconciling', status: 'True' }], observedGeneration: 1 },
    };
    const next = structuredClone(old);
    (next.status as { conditions: JsonObject[] }).conditions[0] = { type: 'Ready', status: 'True' };
    const { changed, removed } = updatedFields(next, old, schema, resource, 'status');
    expect([...changed.keys()].sort()).toEqual([
      JSON.stringify(['f:status', 'f:conditions', 'k:{"type":"Ready"}', '.']),
      JSON.stringify(['f:status', 'f:conditions', 'k:{"type":"Ready"}', 'f:status']),
    ]);
    expect([...removed]).toEqual([]);
  });
});
