import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CephBlockStorage, CephDashboardClient, agencyNamespaceName, volumeImageName } from '../../src/backends/ceph/index.js';
import { startCephSimulator, type CephSimulator } from '../../src/simulators/ceph/server.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('CephBlockStorage', () => {
  let sim: CephSimulator;
  let dashboard: CephDashboardClient;
  let storage: CephBlockStorage;

  beforeEach(async () => {
    sim = await startCephSimulator({ imageListCacheTtlMs: 0 });
    dashboard = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword });
    storage = new CephBlockStorage(dashboard);
  });
  afterEach(async () => {
    await sim.close();
  });

  it('names backend objects deterministically and refuses ambiguous names', () => {
    expect(agencyNamespaceName('skatteverket')).toBe('agency-skatteverket');
    expect(volumeImageName('agency-skatteverket', 'db.data')).toBe('agency-skatteverket.db.data');
    expect(() => volumeImageName('a.b', 'c')).toThrow(/cannot name/);
  });

  it('isolates an agency in an RBD namespace, idempotently', async () => {
    expect(await storage.ensureAgency({ tenant: 'msb', pool: 'rbd' })).toEqual({ pool: 'rbd', namespace: 'agency-msb', created: true });
    expect(await storage.ensureAgency({ tenant: 'msb', pool: 'rbd' })).toEqual({ pool: 'rbd', namespace: 'agency-msb', created: false });
    expect(await dashboard.listNamespaces('rbd')).toEqual([{ namespace: 'agency-msb', numImages: 0 }]);
  });

  it('gives an agency a dedicated pool with a quota and corrects a drifted quota', async () => {
    const placement = { tenant: 'fk', pool: 'rbd', dedicatedPool: { quotaMaxBytes: 10 * GiB } };
    expect(await storage.ensureAgency(placement)).toEqual({ pool: 'agency-fk', namespace: '', created: true });
    expect(await dashboard.getPool('agency-fk')).toMatchObject({ quotaMaxBytes: 10 * GiB, applications: ['rbd'] });
    await dashboard.setPoolQuota('agency-fk', { maxBytes: GiB });
    expect(await storage.ensureAgency(placement)).toEqual({ pool: 'agency-fk', namespace: '', created: false });
    expect((await dashboard.getPool('agency-fk')).quotaMaxBytes).toBe(10 * GiB);
  });

  it('creates a volume image, grows it, never shrinks it, and reports used bytes per volume and agency', async () => {
    const location = await storage.ensureAgency({ tenant: 'msb', pool: 'rbd' });
    const spec = { pool: location.pool, namespace: location.namespace, name: volumeImageName('agency-msb', 'data') };
    expect(await storage.ensureVolume(spec, GiB)).toMatchObject({ action: 'created', largerThanRequested: false, image: { sizeBytes: GiB } });
    expect(await storage.ensureVolume(spec, GiB)).toMatchObject({ action: 'unchanged' });
    expect(await storage.ensureVolume(spec, 2 * GiB)).toMatchObject({ action: 'grown', image: { sizeBytes: 2 * GiB } });
    expect(await storage.ensureVolume(spec, GiB)).toMatchObject({ action: 'unchanged', largerThanRequested: true, image: { sizeBytes: 2 * GiB } });

    sim.writeImage(spec, 0, 10 * MiB);
    expect(await storage.volumeUsedBytes(spec)).toBe(12 * MiB);
    const second = { ...spec, name: volumeImageName('agency-msb', 'logs') };
    await storage.ensureVolume(second, GiB);
    sim.writeImage(second, GiB - 1, 1);
    expect(await storage.agencyUsage(location)).toMatchObject({ images: 2, usedBytes: 16 * MiB, provisionedBytes: 3 * GiB });
  });

  it('sums usage over a dedicated pool (its default namespace)', async () => {
    const location = await storage.ensureAgency({ tenant: 'fk', pool: 'rbd', dedicatedPool: { quotaMaxBytes: 10 * GiB } });
    const spec = { pool: location.pool, name: volumeImageName('agency-fk', 'data') };
    await storage.ensureVolume(spec, GiB);
    sim.writeImage(spec, 0, 4 * MiB);
    expect(await storage.agencyUsage(location)).toMatchObject({ pool: 'agency-fk', namespace: '', images: 1, usedBytes: 4 * MiB });
  });
});
