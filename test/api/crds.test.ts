import { readFile, readdir } from 'node:fs/promises';
import { renderCrdFiles } from '../../src/api/render.js';
import { allCrds } from '../../src/api/crd.js';
import type { JsonSchema } from '../../src/api/openapi.js';

describe('crds/', () => {
  it('is exactly what src/api generates', async () => {
    const expected = renderCrdFiles();
    const present = (await readdir('crds')).filter((name) => name.endsWith('.yaml')).sort();
    expect(present).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(await readFile(`crds/${name}`, 'utf8')).toBe(text);
  });
});

/** Every node of a schema with its path, for structural checks. */
function* walk(schema: JsonSchema, path: string): Generator<[string, JsonSchema]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    yield* walk(child, `${path}.${name}`);
  }
  if (schema.items) yield* walk(schema.items as JsonSchema, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* walk(schema.additionalProperties as JsonSchema, `${path}{}`);
}

describe.each(allCrds().map(({ crd }) => [crd.metadata.name, crd] as const))('CRD %s', (_name, crd) => {
  const version = (crd.spec.versions as Array<{ schema: { openAPIV3Schema: JsonSchema } } & JsonSchema>)[0]!;
  const schema = version.schema.openAPIV3Schema;

  it('is structural: every node has a type, and no node mixes properties with additionalProperties', () => {
    for (const [path, node] of walk(schema, '')) {
      expect([path, typeof node.type]).toEqual([path, 'string']);
      expect([path, 'properties' in node && 'additionalProperties' in node]).toEqual([path, false]);
      for (const keyword of ['anyOf', 'oneOf', 'allOf', 'const', '$id', '$schema']) expect([path, keyword in node]).toEqual([path, false]);
    }
  });

  it('describes every field of spec and status', () => {
    for (const [path, node] of walk(schema, '')) {
      if (path.startsWith('.spec') || path.startsWith('.status')) expect([path, typeof node.description]).toEqual([path, 'string']);
    }
  });

  it('keys every list-type map on required or defaulted fields', () => {
    for (const [path, node] of walk(schema, '')) {
      if (node['x-kubernetes-list-type'] !== 'map') continue;
      const item = node.items as JsonSchema;
      for (const key of node['x-kubernetes-list-map-keys'] as string[]) {
        const required = (item.required as string[] | undefined) ?? [];
        const property = (item.properties as Record<string, JsonSchema>)[key];
        expect([path, key, required.includes(key) || property?.default !== undefined]).toEqual([path, key, true]);
      }
    }
  });

  it('serves a status subresource, printer columns and the statsmoln category', () => {
    expect(version.subresources).toEqual({ status: {} });
    expect((version.additionalPrinterColumns as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect((crd.spec.names as { categories: string[] }).categories).toEqual(['statsmoln']);
  });
});

describe('defaults and CEL rules in the CRDs', () => {
  const byKind = new Map(allCrds().map(({ crd }) => [(crd.spec.names as { kind: string }).kind, crd]));
  const specOf = (kind: string) =>
    ((byKind.get(kind)!.spec.versions as Array<{ schema: { openAPIV3Schema: JsonSchema } }>)[0]!.schema.openAPIV3Schema
      .properties as Record<string, JsonSchema>).spec!;
  const props = (schema: JsonSchema) => schema.properties as Record<string, JsonSchema>;

  it('defaults deletionPolicy to Retain and managementPolicy to Managed', () => {
    expect(props(specOf('StorageVolume')).deletionPolicy!.default).toBe('Retain');
    expect(props(specOf('AgencyTenant')).deletionPolicy!.default).toBe('Retain');
    expect(props(specOf('ComputeQuota')).managementPolicy!.default).toBe('Managed');
  });

  it('lets a volume only grow and keeps its placement immutable', () => {
    const rules = (specOf('StorageVolume')['x-kubernetes-validations'] as Array<{ rule: string }>).map((rule) => rule.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['self.sizeGiB >= oldSelf.sizeGiB', 'self.dataCenter == oldSelf.dataCenter', 'self.environment == oldSelf.environment']),
    );
    const quotaRules = (specOf('ComputeQuota')['x-kubernetes-validations'] as Array<{ rule: string }>).map((rule) => rule.rule);
    expect(quotaRules).toEqual(['self.dataCenter == oldSelf.dataCenter', 'self.environment == oldSelf.environment']);
  });
});
