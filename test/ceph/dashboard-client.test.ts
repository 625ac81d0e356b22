import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { CephDashboardClient, jwtExpiry, parseCephVersion } from '../../src/backends/ceph/dashboard.js';
import type { HttpSender, TransportLogger } from '../../src/backends/ceph/transport.js';
import { Transport } from '../../src/backends/http/transport.js';
import { CephErrnoError } from '../../src/simulators/ceph/cluster.js';
import { startCephSimulator, type CephSimulator } from '../../src/simulators/ceph/server.js';

const MiB = 1024 * 1024;

describe('CephDashboardClient against the simulator', () => {
  let sim: CephSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const logins = (): number => sim?.dashboard.counts.get('POST /api/auth') ?? 0;

  it('logs in once and reuses the token', async () => {
    sim = await startCephSimulator();
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword });
    await client.listPools();
    await client.listPools();
    await client.getPool('rbd');
    expect(logins()).toBe(1);
  });

  it('logs in again when the token is revoked (401), then repeats the call once', async () => {
    sim = await startCephSimulator();
    const tokens: string[] = [];
    const transport = new Transport();
    const recordingSend: HttpSender = async (request) => {
      const response = await transport.send(request);
      if (request.url.pathname.endsWith('/api/auth')) tokens.push((JSON.parse(response.body) as { token: string }).token);
      return response;
    };
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, send: recordingSend });
    await client.listPools();
    sim.dashboard.revoke(tokens[0] ?? '');
    expect((await client.getPool('rbd')).name).toBe('rbd');
    expect(logins()).toBe(2);
    expect(tokens).toHaveLength(2);
    transport.close();
  });

  it('refreshes the token before it expires, by the injected clock', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    sim = await startCephSimulator({ now: () => now, tokenTtlMs: 10 * 60_000 });
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, now: () => now, tokenRefreshMarginMs: 60_000 });
    await client.listPools();
    now += 8 * 60_000;
    await client.listPools();
    expect(logins()).toBe(1);
    now += 90_000; // inside the refresh margin: log in before the call instead of taking a 401
    await client.listPools();
    expect(logins()).toBe(2);
    expect(sim.dashboard.counts.get('GET /api/pool')).toBe(3);
  });

  it('waits for a write the dashboard runs as a background task (202) and returns when it finishes', async () => {
    sim = await startCephSimulator({ taskDurationMs: 150, taskWaitMs: 10 });
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, taskPollIntervalMs: 20 });
    await client.createImage({ pool: 'rbd', name: 'slow', sizeBytes: 8 * MiB });
    expect((await client.getImage({ pool: 'rbd', name: 'slow' })).sizeBytes).toBe(8 * MiB);
    expect(sim.dashboard.counts.get('GET /api/task')).toBeGreaterThanOrEqual(2);
  });

  it('raises the typed error of a background task that failed', async () => {
    sim = await startCephSimulator({ taskDurationMs: 100, taskWaitMs: 10 });
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, taskPollIntervalMs: 20 });
    await client.createImage({ pool: 'rbd', name: 'dup', sizeBytes: MiB });
    await expect(client.createImage({ pool: 'rbd', name: 'dup', sizeBytes: MiB })).rejects.toMatchObject({ name: 'ConflictError', backendCode: '17', status: 400 });
    await expect(client.resizeImage({ pool: 'rbd', name: 'dup' }, 2 * MiB, { allowShrink: true })).resolves.toBeUndefined();
    await expect(client.deleteImage({ pool: 'rbd', name: 'missing' })).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('times out waiting for a task that never finishes', async () => {
    sim = await startCephSimulator({ taskDurationMs: 60_000, taskWaitMs: 10 });
    let now = 0;
    const client = new CephDashboardClient({
      url: sim.dashboardUrl,
      username: sim.dashboardUser,
      password: sim.dashboardPassword,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      taskPollIntervalMs: 1_000,
      taskTimeoutMs: 5_000,
    });
    await expect(client.createPool({ name: 'stuck' })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('retries a read through an injected 503 and fails over nothing else', async () => {
    sim = await startCephSimulator();
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, sleep: async () => undefined });
    sim.dashboardFaults.add({ method: 'GET', path: '/api/pool/rbd', status: 503, times: 2 });
    expect((await client.getPool('rbd')).name).toBe('rbd');
    sim.dashboardFaults.add({ method: 'POST', path: '/api/block/pool/rbd/namespace', status: 503, times: 1 });
    await expect(client.createNamespace('rbd', 'agency')).rejects.toMatchObject({ name: 'UnavailableError', status: 503 });
  });

  it('keeps the password and tokens out of logs and error messages', async () => {
    sim = await startCephSimulator({ dashboardPassword: 'Sup3r-Secret-Pa55' });
    const lines: string[] = [];
    const logger: TransportLogger = {
      debug: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
      warn: (fields, message) => lines.push(JSON.stringify({ ...fields, message })),
    };
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: 'Sup3r-Secret-Pa55', logger });
    await client.listPools();
    const failing = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: 'Wrong-Secret-Pa55', logger });
    const error = await failing.listPools().catch((caught: unknown) => caught as Error);
    expect(error).toMatchObject({ name: 'UnauthorizedError', backendCode: 'invalid_credentials' });
    expect(sim.dashboard.counts.get('POST /api/auth')).toBe(2); // one good login, one failed: no repeat
    const everything = `${lines.join('\n')}\n${String(error)}\n${JSON.stringify(error)}`;
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain('Secret-Pa55');
    expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  });

  it('pages through a listing whose cached names still hold deleted images', async () => {
    let now = 0;
    sim = await startCephSimulator({ now: () => now, imageListCacheTtlMs: 30_000 });
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword, now: () => now });
    await client.createNamespace('rbd', 'agency');
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await client.createImage({ pool: 'rbd', namespace: 'agency', name, sizeBytes: MiB });
    expect((await client.listAllImages('rbd', 'agency', 3)).map((image) => image.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    await client.deleteImage({ pool: 'rbd', namespace: 'agency', name: 'b' });
    now += 1_000; // still inside the cache: the first page comes back with two images
    expect((await client.listAllImages('rbd', 'agency', 3)).map((image) => image.name)).toEqual(['a', 'c', 'd', 'e', 'f', 'g']);
  });

  it('refuses negative or fractional quotas before sending them', async () => {
    sim = await startCephSimulator();
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword });
    await expect(client.setPoolQuota('rbd', { maxBytes: 2 << 30 })).rejects.toThrow(RangeError);
    await expect(client.createPool({ name: 'p', quotaMaxObjects: 1.5 })).rejects.toThrow(/non-negative integer/);
    expect(sim.dashboard.counts.get('PUT /api/pool/rbd')).toBeUndefined();
  });

  it('sums the used bytes of an agency namespace and leaves other namespaces out', async () => {
    sim = await startCephSimulator({ imageListCacheTtlMs: 0 });
    const client = new CephDashboardClient({ url: sim.dashboardUrl, username: sim.dashboardUser, password: sim.dashboardPassword });
    await client.createNamespace('rbd', 'agency-a');
    await client.createNamespace('rbd', 'agency-a2');
    for (let i = 0; i < 12; i++) await client.createImage({ pool: 'rbd', namespace: 'agency-a', name: `v${String(i).padStart(2, '0')}`, sizeBytes: 16 * MiB });
    await client.createImage({ pool: 'rbd', namespace: 'agency-a2', name: 'other', sizeBytes: 16 * MiB });
    await client.createImage({ pool: 'rbd', namespace: 'agency-a', name: 'no-fast-diff', sizeBytes: 16 * MiB, features: ['layering'] });
    sim.writeImage({ pool: 'rbd', namespace: 'agency-a', name: 'v03' }, 5 * MiB, 1); // one byte allocates one object
    sim.writeImage({ pool: 'rbd', namespace: 'agency-a2', name: 'other' }, 0, 16 * MiB);
    const usage = await client.namespaceUsage('rbd', 'agency-a');
    expect(usage).toEqual({
      pool: 'rbd',
      namespace: 'agency-a',
      images: 13,
      provisionedBytes: 13 * 16 * MiB,
      usedBytes: 4 * MiB,
      imagesWithUnknownUsage: ['no-fast-diff'],
    });
  });

  describe('a copy that outlives the process that started it', () => {
    const source = { pool: 'rbd', name: 'vol' };
    const partial = { pool: 'rbd', name: 'vol.final-1.partial' };

    /** Starts a 300 ms copy with a client that gives up after 50 ms, as an operator that dies mid-copy. */
    async function abandonedCopy(active: CephSimulator): Promise<CephDashboardClient> {
      const client = new CephDashboardClient({ url: active.dashboardUrl, username: active.dashboardUser, password: active.dashboardPassword, taskPollIntervalMs: 10 });
      await client.createImage({ ...source, sizeBytes: 16 * MiB });
      active.writeImage(source, 0, 6 * MiB);
      await client.createSnapshot(source, 'final-1');
      active.dashboard.taskDurationMs = 300;
      const dying = new CephDashboardClient({ url: active.dashboardUrl, username: active.dashboardUser, password: active.dashboardPassword, taskPollIntervalMs: 10, taskTimeoutMs: 50 });
      await expect(dying.copyImage(source, partial, { snapshot: 'final-1' })).rejects.toMatchObject({ name: 'TimeoutError' });
      // librbd has created the destination and not yet filled it: a torn image, should the copy stop now.
      expect((await client.getImage(partial)).usedBytes).toBe(0);
      return client;
    }

    it('is waited for by the next process, which then finds the destination complete', async () => {
      sim = await startCephSimulator({ taskWaitMs: 10 });
      const client = await abandonedCopy(sim);
      expect(await client.awaitRunningCopy(source, { ...partial, name: 'some-other-copy' })).toEqual({ state: 'none' });
      expect(await client.awaitRunningCopy(source, partial)).toEqual({ state: 'succeeded' });
      expect((await client.getImage(partial)).usedBytes).toBe(8 * MiB);
      expect(await client.awaitRunningCopy(source, partial)).toEqual({ state: 'none' });
    });

    it('reports a copy that failed after it was abandoned, with its typed error', async () => {
      sim = await startCephSimulator({ taskWaitMs: 10 });
      jest.spyOn(sim.cluster, 'finishCopy').mockImplementationOnce(() => {
        throw new CephErrnoError(122, 'Disk quota exceeded (error copying image)', 'rbd');
      });
      const client = await abandonedCopy(sim);
      expect(await client.awaitRunningCopy(source, partial)).toEqual({ state: 'failed', error: expect.objectContaining({ name: 'OverQuotaError', backendCode: '122' }) });
      expect((await client.getImage(partial)).usedBytes).toBe(0);
    });
  });

  it('creates snapshots on pacific releases before and after mirrorImageSnapshot became a required argument', async () => {
    const snapshotPosts = (active: CephSimulator): string[] =>
      Object.entries(active.requestCounts())
        .filter(([key]) => key.startsWith('dashboard POST /api/block/image/{image_spec}/snap '))
        .map(([key, count]) => `${key.split(' ').pop() ?? ''} x${count}`);
    for (const [snapshotMirrorArgument, expected] of [
      [true, ['201 x1']],
      [false, ['500 x1', '201 x1']],
    ] as const) {
      const active = await startCephSimulator({ snapshotMirrorArgument });
      sim = active;
      const client = new CephDashboardClient({ url: active.dashboardUrl, username: active.dashboardUser, password: active.dashboardPassword });
      await client.createImage({ pool: 'rbd', name: 'vol', sizeBytes: MiB });
      await client.createSnapshot({ pool: 'rbd', name: 'vol' }, 'final-1');
      expect((await client.getImage({ pool: 'rbd', name: 'vol' })).snapshots.map((snapshot) => snapshot.name)).toEqual(['final-1']);
      expect(snapshotPosts(active)).toEqual(expected);
      await active.close();
      sim = undefined;
    }
  });
});

describe('dashboard client helpers', () => {
  it('parses Ceph version strings', () => {
    expect(parseCephVersion('ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)')).toEqual({
      text: 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)',
      major: 16,
      minor: 2,
      patch: 15,
      release: 'pacific',
    });
    expect(parseCephVersion('unknown').major).toBe(0);
  });

  it('reads a JWT exp claim and tolerates garbage', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_000 })).toString('base64url');
    expect(jwtExpiry(`x.${payload}.y`)).toBe(1_800_000_000_000);
    expect(jwtExpiry('not-a-token')).toBeUndefined();
    expect(jwtExpiry('a.!!!.b')).toBeUndefined();
  });
});
