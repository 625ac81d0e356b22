import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../src/apiserver/index.js';
import { CorruptDataError } from '../../src/apiserver/persist.js';
import { FIXTURES, WatchReader, raw } from './helpers.js';

const GROUP = 'test.statsmoln.io';

describe('embedded API server: persistence in a data directory', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'statsmoln-apiserver-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('a restart loses nothing: objects, CRDs, resourceVersions, token and certificate survive', async () => {
    const first = await startApiServer({ dataDir });
    await first.registerCrdsFromDir(FIXTURES);
    await raw(first, 'POST', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets`, { metadata: { name: 'kept', finalizers: ['x/y'] }, spec: { sizeGiB: 3 } });
    await raw(first, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 's' }, stringData: { password: 'hunter2' } });
    await raw(first, 'DELETE', '/api/v1/namespaces/default/secrets/s');
    const lastRv = Number((await raw(first, 'GET', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets/kept`)).body.metadata.resourceVersion);
    await first.close();

    const second = await startApiServer({ dataDir });
    expect(second.token).toBe(first.token);
    expect(second.caData).toBe(first.caData);
    const kept = await raw(second, 'GET', `/apis/${GROUP}/v1alpha1/namespaces/default/widgets/kept`);
    expect(kept.status).toBe(200);
    expect(kept.body.spec).toEqual({ sizeGiB: 3, tier: 'hdd', deletionPolicy: 'Retain', encryption: { enabled: true } });
    expect(kept.body.metadata.finalizers).toEqual(['x/y']);
    expect((await raw(second, 'GET', '/api/v1/namespaces/default/secrets/s')).status).toBe(404);
    const created = await raw(second, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } });
    expect(Number(created.body.metadata.resourceVersion)).toBeGreaterThan(lastRv);
    // History does not survive a restart: an old resourceVersion is 410 Gone, so informers re-list.
    const watch = new WatchReader(second, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${lastRv - 1}`);
    await watch.done;
    expect(watch.events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    await second.close();
  });

  test('a torn last record (crash during a write) loses only that write', async () => {
    const first = await startApiServer({ dataDir });
    await raw(first, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'durable' }, data: { a: '1' } });
    await first.close();
    // Simulate a crash between two appends: the first write is complete, the second is cut short.
    const third = await startApiServer({ dataDir });
    await raw(third, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'complete' } });
    const wal = readFileSync(join(dataDir, 'wal.jsonl'), 'utf8');
    await third.close();
    writeFileSync(join(dataDir, 'wal.jsonl'), wal);
    appendFileSync(join(dataDir, 'wal.jsonl'), '{"rv":999,"type":"ADDED","resource":"/configmaps","key":"default/torn","object":{"apiVers');
    const restarted = await startApiServer({ dataDir });
    expect((await raw(restarted, 'GET', '/api/v1/namespaces/default/configmaps/durable')).body.data).toEqual({ a: '1' });
    expect((await raw(restarted, 'GET', '/api/v1/namespaces/default/configmaps/complete')).status).toBe(200);
    expect((await raw(restarted, 'GET', '/api/v1/namespaces/default/configmaps/torn')).status).toBe(404);
    await restarted.close();
  });

  test('a corrupt record in the middle of the log is refused, not silently skipped', async () => {
    const first = await startApiServer({ dataDir });
    await first.close();
    writeFileSync(join(dataDir, 'wal.jsonl'), 'garbage\n{"rv":100,"type":"ADDED","resource":"/configmaps","key":"default/x","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default"}}}\n');
    await expect(startApiServer({ dataDir })).rejects.toBeInstanceOf(CorruptDataError);
  });
});
