import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { FIXTURES, raw, startTestServer, type TestServer } from './helpers.js';

const GROUP = 'test.statsmoln.io';
const V = 'v1alpha1';
const BASE = `/apis/${GROUP}/${V}/namespaces/default/widgets`;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('embedded API server: CRD schema defaulting, pruning, validation and CEL', () => {
  let t: TestServer;
  let custom: CustomObjectsApi;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestServer();
    custom = t.kubeConfig.makeApiClient(CustomObjectsApi);
    await t.server.registerCrdsFromDir(FIXTURES);
  });
  afterAll(() => t.server.close());

  async function create(spec: Obj, extra: Obj = {}): Promise<{ status: number; body: Obj; name: string }> {
    const name = `v-${++counter}`;
    const response = await raw(t.server, 'POST', BASE, { apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name }, spec, ...extra });
    return { status: response.status, body: response.body, name };
  }

  /** Asserts a 422 Invalid Status with exactly these causes, and the message kube-apiserver builds from them. */
  function expectInvalid(result: { status: number; body: Obj; name: string }, causes: { field: string; reason: string; message: string }[]): void {
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, details: { name: result.name, group: GROUP, kind: 'Widget' } });
    expect(result.body.details.causes).toEqual(causes);
    const rendered = causes.map((c) => `${c.field}: ${c.message}`);
    expect(result.body.message).toBe(`Widget.${GROUP} "${result.name}" is invalid: ${rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`}`);
  }

  test('defaults fill missing fields, also inside defaulted objects', async () => {
    const result = await create({ sizeGiB: 5 });
    expect(result.status).toBe(201);
    expect(result.body.spec).toEqual({ sizeGiB: 5, tier: 'hdd', deletionPolicy: 'Retain', encryption: { enabled: true } });
  });

  test('unknown fields are pruned, except under x-kubernetes-preserve-unknown-fields; Strict refuses them', async () => {
    const result = await create({ sizeGiB: 5, bogus: 1, extra: { anything: { goes: [1, 2] } }, encryption: { enabled: false, nope: true } }, { topLevel: 'x' });
    expect(result.status).toBe(201);
    expect(result.body.topLevel).toBeUndefined();
    expect(result.body.spec.bogus).toBeUndefined();
    expect(result.body.spec.encryption).toEqual({ enabled: false });
    expect(result.body.spec.extra).toEqual({ anything: { goes: [1, 2] } });
    const strict = await raw(t.server, 'POST', `${BASE}?fieldValidation=Strict`, { apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name: 'strict' }, spec: { sizeGiB: 1, bogus: 1 } });
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({ reason: 'BadRequest', message: 'strict decoding error: unknown field "spec.bogus"' });
    const warn = await raw(t.server, 'POST', `${BASE}?fieldValidation=Warn`, { apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name: 'warn' }, spec: { sizeGiB: 1, bogus: 1 } });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""');
  });

  test('required field', async () => {
    expectInvalid(await create({ tier: 'ssd' }), [{ field: 'spec.sizeGiB', reason: 'FieldValueRequired', message: 'Required value' }]);
  });

  test('wrong type', async () => {
    expectInvalid(await create({ sizeGiB: 'ten' }), [
      { field: 'spec.sizeGiB', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.sizeGiB in body must be of type integer: "string"' },
      { field: '<nil>', reason: 'FieldValueInvalid', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
  });

  test('enum (type and enum errors stop CEL evaluation, as in kube-apiserver)', async () => {
    expectInvalid(await create({ sizeGiB: 1, tier: 'gold' }), [
      { field: 'spec.tier', reason: 'FieldValueNotSupported', message: 'Unsupported value: "gold": supported values: "hdd", "ssd", "nvme"' },
      { field: '<nil>', reason: 'FieldValueInvalid', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
  });

  test('minimum and maximum', async () => {
    expectInvalid(await create({ sizeGiB: 0 }), [
      { field: 'spec.sizeGiB', reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.sizeGiB in body should be greater than or equal to 1' },
    ]);
    expectInvalid(await create({ sizeGiB: 2000 }), [
      { field: 'spec.sizeGiB', reason: 'FieldValueInvalid', message: 'Invalid value: 2000: spec.sizeGiB in body should be less than or equal to 1024' },
    ]);
  });

  test('pattern, maxLength, minLength, maxItems and nested required', async () => {
    expectInvalid(await create({ sizeGiB: 1, owner: 'ABC' }), [
      { field: 'spec.owner', reason: 'FieldValueInvalid', message: `Invalid value: "ABC": spec.owner in body should match '^[a-z]+$'` },
    ]);
    expectInvalid(await create({ sizeGiB: 1, owner: 'abcdefghijklmnop' }), [
      { field: 'spec.owner', reason: 'FieldValueTooLong', message: 'Too long: may not be longer than 12' },
    ]);
    expectInvalid(await create({ sizeGiB: 1, tags: ['a', 'b', 'c', 'd', 'e'] }), [
      { field: 'spec.tags', reason: 'FieldValueTooMany', message: 'Too many: 5: must have at most 4 items' },
    ]);
    expectInvalid(await create({ sizeGiB: 1, encryption: { keyRef: {} } }), [
      { field: 'spec.encryption.keyRef.name', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
    expectInvalid(await create({ sizeGiB: 1, encryption: { keyRef: { name: '' } } }), [
      { field: 'spec.encryption.keyRef.name', reason: 'FieldValueInvalid', message: 'Invalid value: "": spec.encryption.keyRef.name in body should be at least 1 chars long' },
    ]);
    expectInvalid(await create({ sizeGiB: 1, startAt: 'yesterday' }), [
      { field: 'spec.startAt', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "yesterday": spec.startAt in body must be of type date-time: "yesterday"' },
      { field: '<nil>', reason: 'FieldValueInvalid', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
    expectInvalid(await create({ sizeGiB: 1, labels: { a: 1 } }), [
      { field: 'spec.labels[a]', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": spec.labels[a] in body must be of type string: "integer"' },
      { field: '<nil>', reason: 'FieldValueInvalid', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
  });

  test('several errors are listed in one Status', async () => {
    expectInvalid(await create({ sizeGiB: 0, tier: 'gold' }), [
      { field: 'spec.sizeGiB', reason: 'FieldValueInvalid', message: 'Invalid value: 0: spec.sizeGiB in body should be greater than or equal to 1' },
      { field: 'spec.tier', reason: 'FieldValueNotSupported', message: 'Unsupported value: "gold": supported values: "hdd", "ssd", "nvme"' },
      { field: '<nil>', reason: 'FieldValueInvalid', message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' },
    ]);
  });

  test('CEL rule with message and fieldPath', async () => {
    expectInvalid(await create({ sizeGiB: 1, tier: 'ssd', replicaOf: 'ssd' }), [
      { field: 'spec.replicaOf', reason: 'FieldValueInvalid', message: 'Invalid value: "object": replicaOf must differ from tier' },
    ]);
  });

  test('CEL transition rules with oldSelf apply on update only', async () => {
    const created = await create({ sizeGiB: 10 });
    expect(created.status).toBe(201);
    const url = `${BASE}/${created.name}`;
    const shrink = await raw(t.server, 'PATCH', url, { spec: { sizeGiB: 5 } }, 'application/merge-patch+json');
    expect(shrink.status).toBe(422);
    expect(shrink.body.details.causes).toEqual([{ field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: "object": sizeGiB can only grow' }]);
    expect(shrink.body.message).toBe(`Widget.${GROUP} "${created.name}" is invalid: spec: Invalid value: "object": sizeGiB can only grow`);
    const immutable = await raw(t.server, 'PATCH', url, { spec: { deletionPolicy: 'Delete' } }, 'application/merge-patch+json');
    expect(immutable.status).toBe(422);
    expect(immutable.body.details.causes).toEqual([{ field: 'spec.deletionPolicy', reason: 'FieldValueInvalid', message: 'Invalid value: "string": deletionPolicy is immutable' }]);
    const grow = await raw(t.server, 'PATCH', url, { spec: { sizeGiB: 20 } }, 'application/merge-patch+json');
    expect(grow.status).toBe(200);
    expect(grow.body.spec.sizeGiB).toBe(20);
  });

  test('ratcheting: an object made invalid by a stricter CRD can still have its metadata changed', async () => {
    const created = await create({ sizeGiB: 1000 });
    expect(created.status).toBe(201);
    const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${GROUP}`;
    const crd = (await raw(t.server, 'GET', crdPath)).body;
    const strict = structuredClone(crd);
    const spec = strict.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    spec.properties.sizeGiB.maximum = 500;
    spec['x-kubernetes-validations'].push({ rule: 'self.sizeGiB < 600', message: 'too big now' });
    expect((await raw(t.server, 'PUT', crdPath, strict)).status).toBe(200);
    try {
      const url = `${BASE}/${created.name}`;
      const labelled = await raw(t.server, 'PATCH', url, { metadata: { labels: { a: 'b' }, finalizers: ['x/y'] } }, 'application/merge-patch+json');
      expect(labelled.status).toBe(200);
      const changed = await raw(t.server, 'PATCH', url, { spec: { sizeGiB: 1001 } }, 'application/merge-patch+json');
      expect(changed.status).toBe(422);
      expect(changed.body.details.causes.map((c: Obj) => c.message)).toEqual([
        'Invalid value: 1001: spec.sizeGiB in body should be less than or equal to 500',
        'Invalid value: "object": too big now',
      ]);
      const removed = await raw(t.server, 'PATCH', url, { metadata: { finalizers: null } }, 'application/merge-patch+json');
      expect(removed.status).toBe(200);
    } finally {
      const current = (await raw(t.server, 'GET', crdPath)).body;
      expect((await raw(t.server, 'PUT', crdPath, { ...crd, metadata: current.metadata })).status).toBe(200);
    }
  });

  test('defaults added to a CRD later show on existing objects when read, as kube-apiserver defaults on read', async () => {
    const created = await create({ sizeGiB: 4 });
    const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${GROUP}`;
    const crd = (await raw(t.server, 'GET', crdPath)).body;
    const changed = structuredClone(crd);
    changed.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.owner.default = 'platform';
    expect((await raw(t.server, 'PUT', crdPath, changed)).status).toBe(200);
    try {
      const read = await raw(t.server, 'GET', `${BASE}/${created.name}`);
      expect(read.body.spec.owner).toBe('platform');
      const listed = await raw(t.server, 'GET', `${BASE}?fieldSelector=metadata.name%3D${created.name}`);
      expect(listed.body.items[0].spec.owner).toBe('platform');
      const unchanged = await raw(t.server, 'PUT', `${BASE}/${created.name}`, read.body);
      expect(unchanged.body.metadata.generation).toBe(1);
    } finally {
      const current = (await raw(t.server, 'GET', crdPath)).body;
      expect((await raw(t.server, 'PUT', crdPath, { ...crd, metadata: current.metadata })).status).toBe(200);
    }
  });

  test('errors reach @kubernetes/client-node as ApiException with the Status body', async () => {
    try {
      await custom.createNamespacedCustomObject({ group: GROUP, version: V, namespace: 'default', plural: 'widgets', body: { apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name: 'cn' }, spec: { sizeGiB: 1, tier: 'gold' } } });
      throw new Error('expected 422');
    } catch (error) {
      expect(error).toBeInstanceOf(ApiException);
      const exception = error as ApiException<string>;
      expect(exception.code).toBe(422);
      const body = JSON.parse(exception.body) as Obj;
      expect(body.details.causes[0]).toEqual({ field: 'spec.tier', reason: 'FieldValueNotSupported', message: 'Unsupported value: "gold": supported values: "hdd", "ssd", "nvme"' });
    }
  });

  test('invalid names and bad CEL in a CRD are refused', async () => {
    const bad = await raw(t.server, 'POST', BASE, { apiVersion: `${GROUP}/${V}`, kind: 'Widget', metadata: { name: 'Bad_Name' }, spec: { sizeGiB: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes[0].field).toBe('metadata.name');
    expect(bad.body.details.causes[0].message).toMatch(/^Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    const crd = await raw(t.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'things.test.statsmoln.io' },
      spec: {
        group: GROUP, scope: 'Namespaced', names: { plural: 'things', kind: 'Thing' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a ==' }] } } }],
      },
    });
    expect(crd.status).toBe(422);
    expect(crd.body.details.causes[0].field).toBe('spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].rule');
  });

  test('list-type map keys must be unique', async () => {
    const response = await raw(t.server, 'POST', `/apis/${GROUP}/v1/sites`, {
      apiVersion: `${GROUP}/v1`, kind: 'Site', metadata: { name: 'dup' },
      spec: { country: 'SE', partitions: [{ environment: 'test' }, { environment: 'test' }] },
    });
    expect(response.status).toBe(422);
    expect(response.body.details.causes).toEqual([{ field: 'spec.partitions[1]', reason: 'FieldValueDuplicate', message: 'Duplicate value: map[string]interface {}{"environment":"test"}' }]);
    const ok = await raw(t.server, 'POST', `/apis/${GROUP}/v1/sites`, { apiVersion: `${GROUP}/v1`, kind: 'Site', metadata: { name: 'ok' }, spec: { country: 'SE', partitions: [{ environment: 'test' }] } });
    expect(ok.body.spec).toEqual({ country: 'SE', protected: false, partitions: [{ environment: 'test', cloud: 'openstack' }] });
    // The same object is served in the other version with that apiVersion.
    const other = await raw(t.server, 'GET', `/apis/${GROUP}/v1beta1/sites/ok`);
    expect(other.body.apiVersion).toBe(`${GROUP}/v1beta1`);
  });
});
