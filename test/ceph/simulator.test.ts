import { afterEach, describe, expect, it } from '@jest/globals';
import { RgwAdminClient } from '../../src/backends/ceph/rgw.js';
import { signSigV4 } from '../../src/backends/ceph/sigv4.js';
import { SimCluster } from '../../src/simulators/ceph/cluster.js';
import { seededRandom } from '../../src/runtime/random.js';
import { FaultInjector } from '../../src/simulators/ceph/faults.js';
import { startCephSimulator, type CephSimulator } from '../../src/simulators/ceph/server.js';

const MiB = 1024 * 1024;
const V1 = 'application/vnd.ceph.api.v1.0+json';
const V2 = 'application/vnd.ceph.api.v2.0+json';

describe('simulated RBD usage', () => {
  it('counts whole objects, clips the last one to the image end, and forgets objects cut by a shrink', () => {
    const cluster = new SimCluster(() => new Date(0));
    cluster.createPool('rbd', 8, ['rbd']);
    const image = cluster.createImage('rbd', '', 'img', 10 * MiB, undefined, undefined);
    cluster.writeImage(image, 0, 6 * MiB);
    expect(cluster.usedBytes(image)).toBe(8 * MiB);
    expect(cluster.storedBytes(image)).toBe(6 * MiB);
    cluster.writeImage(image, 9 * MiB, MiB);
    expect(cluster.usedBytes(image)).toBe(10 * MiB); // objects 0, 1 and the 2 MiB tail object
    cluster.resizeImage(image, 5 * MiB);
    expect(cluster.usedBytes(image)).toBe(5 * MiB);
    expect(() => cluster.writeImage(image, 4 * MiB, 2 * MiB)).toThrow(RangeError);
  });

  it('honours a custom object size', () => {
    const cluster = new SimCluster();
    cluster.createPool('rbd', 8, ['rbd']);
    const image = cluster.createImage('rbd', '', 'img', 4 * MiB, MiB, undefined);
    cluster.writeImage(image, 1, 1);
    expect(cluster.usedBytes(image)).toBe(MiB);
  });
});

describe('fault injection', () => {
  it('draws probabilities from a seeded generator, reproducibly', () => {
    const draws = (seed: number): boolean[] => {
      const faults = new FaultInjector(seed);
      faults.add({ path: '/api', status: 503, probability: 0.5 });
      return Array.from({ length: 20 }, () => faults.match('GET', '/api/pool') !== undefined);
    };
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42).filter(Boolean).length).toBeGreaterThan(3);
    expect(draws(42).filter(Boolean).length).toBeLessThan(17);
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });

  it('adds the configured latency to every request of one API only', async () => {
    const sim = await startCephSimulator();
    try {
      sim.rgwFaults.latency = { fixedMs: 120 };
      const admin = new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey });
      const started = performance.now();
      await admin.listBuckets();
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
      const timedOut = new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey, timeoutMs: 40, retries: 0 });
      await expect(timedOut.listBuckets()).rejects.toMatchObject({ name: 'TimeoutError' });
      const unaffected = await fetch(`${sim.dashboardUrl}/api/summary`, { headers: { accept: V1 } });
      expect(unaffected.status).toBe(401);
    } finally {
      await sim.close();
    }
  });

  it('matches method and path, and stops after `times`', () => {
    const faults = new FaultInjector();
    faults.add({ method: 'PUT', path: /^\/api\/pool\/\w+$/, status: 500, times: 1 });
    expect(faults.match('GET', '/api/pool/rbd')).toBeUndefined();
    expect(faults.match('PUT', '/api/pool/rbd')?.status).toBe(500);
    expect(faults.match('PUT', '/api/pool/rbd')).toBeUndefined();
  });
});

describe('request counters', () => {
  it('count every answer by API, method, route pattern and status, injected faults included', async () => {
    const sim = await startCephSimulator({ rbdPools: ['rbd'] });
    try {
      sim.rgwFaults.add({ path: '/admin/bucket', status: 503, times: 1 });
      await fetch(`${sim.dashboardUrl}/api/block/image/rbd%2Fns%2Fone`, { headers: { accept: V1 } });
      await fetch(`${sim.dashboardUrl}/api/block/image/rbd%2Fns%2Ftwo`, { headers: { accept: V1 } });
      await fetch(`${sim.dashboardUrl}/api/block/pool/rbd/namespace/ns`, { method: 'DELETE', headers: { accept: V1 } });
      await fetch(`${sim.rgwUrl}/admin/bucket?format=json`);
      expect(sim.requestCounts()).toEqual({
        'dashboard GET /api/block/image/{image_spec} 401': 2,
        'dashboard DELETE /api/block/pool/{pool_name}/namespace/{namespace} 401': 1,
        'rgw GET /admin/bucket 503': 1,
      });
      sim.resetCounters();
      expect(sim.requestCounts()).toEqual({});
    } finally {
      await sim.close();
    }
  });
});

describe('simulated dashboard wire format', () => {
  let sim: CephSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function token(): Promise<string> {
    const response = await fetch(`${sim?.dashboardUrl}/api/auth`, {
      method: 'POST',
      headers: { accept: V1, 'content-type': 'application/json' },
      body: JSON.stringify({ username: sim?.dashboardUser, password: sim?.dashboardPassword }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  it('requires a versioned media type, as Ceph 16 does', async () => {
    sim = await startCephSimulator();
    const bearer = `Bearer ${await token()}`;
    const unversioned = await fetch(`${sim.dashboardUrl}/api/pool`, { headers: { authorization: bearer, accept: 'application/json' } });
    expect(unversioned.status).toBe(415);
    expect(await unversioned.json()).toMatchObject({ status: '415 Unsupported Media Type', detail: 'Unable to find version in request header' });
    const wrong = await fetch(`${sim.dashboardUrl}/api/block/image?pool_name=rbd`, { headers: { authorization: bearer, accept: V1 } });
    expect(wrong.status).toBe(415);
    expect(await wrong.json()).toMatchObject({ detail: "Incorrect version: endpoint is '2.0', client requested '1.0'" });
    const unknownParameter = await fetch(`${sim.dashboardUrl}/api/block/image?pool_name=rbd&namespace=x`, { headers: { authorization: bearer, accept: V2 } });
    expect(unknownParameter.status).toBe(500);
    const noToken = await fetch(`${sim.dashboardUrl}/api/pool`, { headers: { accept: V1 } });
    expect(noToken.status).toBe(401);
  });

  it('refuses pool size 1 like a real monitor, and keeps listings stale for the cache TTL', async () => {
    let now = 1_000_000;
    sim = await startCephSimulator({ now: () => now, imageListCacheTtlMs: 30_000 });
    const headers = { authorization: `Bearer ${await token()}`, accept: V1, 'content-type': 'application/json' };
    const sized = await fetch(`${sim.dashboardUrl}/api/pool`, { method: 'POST', headers, body: JSON.stringify({ pool: 'p', pg_num: 8, pool_type: 'replicated', size: 1 }) });
    expect(sized.status).toBe(400);
    expect(await sized.json()).toMatchObject({ code: '1', component: 'pool' });

    const negative = await fetch(`${sim.dashboardUrl}/api/pool/rbd`, { method: 'PUT', headers, body: JSON.stringify({ quota_max_bytes: -5 }) });
    expect(negative.status).toBe(400);
    expect(await negative.json()).toEqual({
      detail: "[errno -22] error parsing value '-5': strict_iecstrtoll: value should not be negative",
      code: 'SendCommandError',
      component: null,
    });

    const list = async (): Promise<number> => {
      const response = await fetch(`${sim?.dashboardUrl}/api/block/image?pool_name=rbd&limit=-1`, { headers: { ...headers, accept: V2 } });
      return Number(response.headers.get('x-total-count'));
    };
    expect(await list()).toBe(0);
    const created = await fetch(`${sim.dashboardUrl}/api/block/image`, { method: 'POST', headers, body: JSON.stringify({ name: 'a', pool_name: 'rbd', size: MiB }) });
    expect(created.status).toBe(201);
    expect(await list()).toBe(0);
    now += 30_000;
    expect(await list()).toBe(1);
  });

  it('answers snapshot, copy and rename with the wire format measured on Ceph 16.2.15', async () => {
    sim = await startCephSimulator({ taskWaitMs: 50 });
    const headers = { authorization: `Bearer ${await token()}`, accept: V1, 'content-type': 'application/json' };
    const send = async (method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> => {
      const response = await fetch(`${sim?.dashboardUrl}${path}`, { method, headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    await send('POST', '/api/block/image', { name: 'img', pool_name: 'rbd', size: 12 * MiB });
    sim.writeImage({ pool: 'rbd', name: 'img' }, 0, 6 * MiB);

    // 16.2.15 requires mirrorImageSnapshot (a bare 500 without it) and refuses unknown arguments inside the task.
    expect(await send('POST', '/api/block/image/rbd%2Fimg/snap', { snapshot_name: 's1' })).toMatchObject({ status: 500, body: { status: '500 Internal Server Error' } });
    expect(await send('POST', '/api/block/image/rbd%2Fimg/snap', { snapshot_name: 's1', mirrorImageSnapshot: false, bogus: 1 })).toEqual({
      status: 500,
      body: { detail: "RbdSnapshot.create() got an unexpected keyword argument 'bogus'", component: null, status: 500, task: { name: 'rbd/snap/create', metadata: { image_spec: 'rbd/img', snapshot_name: 's1', mirrorImageSnapshot: false } } },
    });
    expect(await send('POST', '/api/block/image/rbd%2Fimg/snap', { snapshot_name: 's1', mirrorImageSnapshot: false })).toEqual({ status: 201, body: null });
    const image = (await (await fetch(`${sim.dashboardUrl}/api/block/image/rbd%2Fimg`, { headers })).json()) as Record<string, unknown>;
    expect(image).toMatchObject({ disk_usage: 0, total_disk_usage: 8 * MiB });
    expect(image['snapshots']).toEqual([
      { id: 1, size: 12 * MiB, name: 's1', namespace: 0, mirror_mode: 'journal', timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), is_protected: false, used_bytes: null, children: [], disk_usage: 8 * MiB },
    ]);

    const copyMetadata = { src_image_spec: 'rbd/img', dest_pool_name: 'rbd', dest_namespace: null, dest_image_name: 'copy' };
    expect(await send('POST', '/api/block/image/rbd%2Fimg/copy', { dest_pool_name: 'rbd', dest_namespace: null, dest_image_name: 'copy', snapshot_name: 'missing' })).toEqual({
      status: 400,
      body: { detail: "[errno 2] RBD image not found (error setting image b'img' to snapshot b'missing')", code: '2', component: 'rbd', status: 400, task: { name: 'rbd/copy', metadata: copyMetadata } },
    });
    expect(await send('POST', '/api/block/image/rbd%2Fimg/copy', { dest_pool_name: 'rbd', dest_namespace: null, dest_image_name: 'copy', snapshot_name: 's1' })).toEqual({ status: 200, body: null });
    sim.dashboard.taskDurationMs = 200;
    expect(await send('POST', '/api/block/image/rbd%2Fimg/copy', { dest_pool_name: 'rbd', dest_namespace: null, dest_image_name: 'slow' })).toEqual({ status: 202, body: { name: 'rbd/copy', metadata: { ...copyMetadata, dest_image_name: 'slow' } } });
    const tasks = (await (await fetch(`${sim.dashboardUrl}/api/task?name=rbd/copy`, { headers })).json()) as { executing_tasks: unknown[] };
    expect(tasks.executing_tasks).toEqual([{ name: 'rbd/copy', metadata: { ...copyMetadata, dest_image_name: 'slow' }, begin_time: expect.any(String), progress: 0 }]);
    expect(sim.cluster.findImage('rbd', '', 'slow')?.written.size).toBe(0);
    sim.dashboard.taskDurationMs = 0;

    expect(await send('PUT', '/api/block/image/rbd%2Fcopy', { name: 'img' })).toMatchObject({ status: 400, body: { detail: '[errno 17] RBD image already exists (error renaming image)', code: '17' } });
    expect(await send('PUT', '/api/block/image/rbd%2Fcopy', { name: 'renamed' })).toEqual({ status: 200, body: null });
    expect(sim.cluster.findImage('rbd', '', 'renamed')?.written.size).toBe(2);
  });
});

describe('simulated RGW authentication and authorisation', () => {
  let sim: CephSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('rejects a tampered request, an unknown key and a user without admin caps', async () => {
    sim = await startCephSimulator();
    const url = new URL('/admin/bucket?format=json', sim.rgwUrl);
    const headers: Record<string, string> = {};
    const signed = signSigV4({ method: 'GET', url, headers, body: undefined }, { accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey });
    const tampered = await fetch(new URL('/admin/bucket?format=json&uid=other', sim.rgwUrl), { headers: { ...headers, ...signed } });
    expect(tampered.status).toBe(403);
    expect(await tampered.json()).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    const genuine = await fetch(url, { headers: { ...headers, ...signed } });
    expect(genuine.status).toBe(200);

    const unknown = new RgwAdminClient({ url: sim.rgwUrl, accessKey: 'NOSUCHKEY', secretKey: 'x', retries: 0 });
    await expect(unknown.listBuckets()).rejects.toMatchObject({ name: 'UnauthorizedError', backendCode: 'InvalidAccessKeyId' });

    const admin = new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey });
    const plain = await admin.createUser({ uid: 'plain', displayName: 'No caps' });
    const key = plain.keys[0];
    if (!key) throw new Error('no key');
    const unprivileged = new RgwAdminClient({ url: sim.rgwUrl, accessKey: key.accessKey, secretKey: key.secretKey, retries: 0 });
    await expect(unprivileged.getUser('plain')).rejects.toMatchObject({ name: 'ForbiddenError', backendCode: 'AccessDenied' });
  });

  it('rejects a signature from a skewed clock', async () => {
    sim = await startCephSimulator({ now: () => Date.now() + 3_600_000 });
    const admin = new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey, retries: 0 });
    await expect(admin.listBuckets()).rejects.toMatchObject({ name: 'UnauthorizedError', backendCode: 'RequestTimeTooSkewed' });
  });

  it('reads and trims the usage log by time window', async () => {
    let now = Date.parse('2026-03-01T10:30:00Z');
    sim = await startCephSimulator({ now: () => now });
    const admin = new RgwAdminClient({ url: sim.rgwUrl, accessKey: sim.rgwAccessKey, secretKey: sim.rgwSecretKey, now: () => now });
    const user = await admin.createUser({ uid: 'agency', displayName: 'Agency' });
    const key = user.keys[0];
    if (!key) throw new Error('no key');
    const put = async (path: string, body?: string): Promise<number> => {
      const url = new URL(path, sim?.rgwUrl);
      const headers: Record<string, string> = {};
      const signed = signSigV4({ method: 'PUT', url, headers, body }, key, 'us-east-1', new Date(now));
      return (await fetch(url, { method: 'PUT', headers: { ...headers, ...signed }, ...(body === undefined ? {} : { body }) })).status;
    };
    expect(await put('/b1')).toBe(200);
    now = Date.parse('2026-03-01T11:05:00Z');
    expect(await put('/b1/o', 'abc')).toBe(200);

    const all = await admin.getUsage({ uid: 'agency' });
    expect(all.entries.map((entry) => entry.time)).toEqual(['2026-03-01T10:00:00.000000Z', '2026-03-01T11:00:00.000000Z']);
    const eleven = await admin.getUsage({ uid: 'agency', start: new Date('2026-03-01T11:00:00Z'), end: new Date('2026-03-01T12:00:00Z') });
    expect(eleven.entries).toHaveLength(1);
    expect(eleven.summary[0]?.total).toEqual({ bytesSent: 0, bytesReceived: 3, ops: 1, successfulOps: 1 });

    await admin.trimUsage({ uid: 'agency', end: new Date('2026-03-01T11:00:00Z') });
    expect((await admin.getUsage({ uid: 'agency' })).entries.map((entry) => entry.time)).toEqual(['2026-03-01T11:00:00.000000Z']);
    await admin.trimUsage({ removeAll: true });
    expect(await admin.getUsage()).toEqual({ entries: [], summary: [] });
  });
});
