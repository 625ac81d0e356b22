import { FIXTURES, raw, startTestServer, type Obj, type TestServer } from './helpers.js';

const GROUP = 'test.statsmoln.io';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('embedded API server: Table responses and OpenAPI v3', () => {
  let t: TestServer;
  const fixedNow = new Date('2026-03-01T12:00:00Z');

  beforeAll(async () => {
    t = await startTestServer({ now: () => fixedNow });
    await t.server.registerCrdsFromDir(FIXTURES);
    await raw(t.server, 'POST', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets`, { metadata: { name: 'tab' }, spec: { sizeGiB: 7, tier: 'nvme' } });
    const current = (await raw(t.server, 'GET', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets/tab`)).body;
    await raw(t.server, 'PUT', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets/tab/status`, {
      ...current, status: { conditions: [{ type: 'Reconciling', status: 'False' }, { type: 'Ready', status: 'True' }] },
    });
  });
  afterAll(() => t.server.close());

  test('list as Table carries the printer columns, with the first JSONPath match and ages', async () => {
    const response = await raw(t.server, 'GET', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets`, undefined, 'application/json', { Accept: TABLE });
    expect(response.status).toBe(200);
    expect(response.body.kind).toBe('Table');
    expect(response.body.apiVersion).toBe('meta.k8s.io/v1');
    expect((response.body.columnDefinitions as Obj[]).map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'], ['Size', 'integer'], ['Tier', 'string'], ['Ready', 'string'], ['Age', 'date'],
    ]);
    const row = (response.body.rows as Obj[])[0] as Obj;
    expect(row.cells).toEqual(['tab', 7, 'nvme', 'True', '0s']);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'tab', namespace: 'default' } });
    const single = await raw(t.server, 'GET', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets/tab?includeObject=None`, undefined, 'application/json', { Accept: TABLE });
    expect((single.body.rows as Obj[])[0]).toEqual({ cells: ['tab', 7, 'nvme', 'True', '0s'] });
  });

  test('built-in kinds have their kubectl columns', async () => {
    await raw(t.server, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'two' }, data: { a: '1', b: '2' } });
    const table = await raw(t.server, 'GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dtwo', undefined, 'application/json', { Accept: TABLE });
    expect((table.body.columnDefinitions as Obj[]).map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect((table.body.rows as Obj[])[0]?.cells).toEqual(['two', 2, '0s']);
    const namespaces = await raw(t.server, 'GET', '/api/v1/namespaces/default', undefined, 'application/json', { Accept: TABLE });
    expect((namespaces.body.rows as Obj[])[0]?.cells).toEqual(['default', 'Active', '0s']);
  });

  test('OpenAPI v3 index and group-version document describe the CRD schema', async () => {
    const index = await raw(t.server, 'GET', '/openapi/v3');
    const paths = index.body.paths as Record<string, { serverRelativeURL: string }>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['api/v1', `apis/${GROUP}/v1alpha1`, `apis/${GROUP}/v1`, 'apis/coordination.k8s.io/v1']));
    const url = paths[`apis/${GROUP}/v1alpha1`]?.serverRelativeURL as string;
    expect(url).toMatch(new RegExp(`^/openapi/v3/apis/${GROUP}/v1alpha1\\?hash=[0-9A-F]+$`));
    const document = (await raw(t.server, 'GET', url)).body;
    const widget = document.components.schemas['io.statsmoln.test.v1alpha1.Widget'] as Obj;
    expect(widget['x-kubernetes-group-version-kind']).toEqual([{ group: GROUP, version: 'v1alpha1', kind: 'Widget' }]);
    expect(widget.properties.spec.properties.tier.enum).toEqual(['hdd', 'ssd', 'nvme']);
    expect(widget.properties.metadata.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(document.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    const patch = document.paths[`/apis/${GROUP}/v1alpha1/namespaces/{namespace}/widgets/{name}`].patch as Obj;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: GROUP, version: 'v1alpha1', kind: 'Widget' });
    expect((patch.parameters as Obj[]).map((p) => p.name)).toContain('fieldValidation');
    expect((await raw(t.server, 'GET', '/openapi/v3/apis/nope.io/v1')).status).toBe(404);
  });
});
