import { expect, it, describe, beforeAll, afterAll } from '@jest/globals';
import type { CephDashboardClient } from '../../src/backends/ceph/dashboard.js';
import type { ImageSpec } from '../../src/backends/ceph/image-spec.js';
import type { RgwAdminClient } from '../../src/backends/ceph/rgw.js';
import { signSigV4 } from '../../src/backends/ceph/sigv4.js';

/**
 * One contract for the Ceph clients, run against the simulator (npm test) and against a real
 * single-node Ceph (test/real/ceph.real.test.ts). A difference between the two is a simulator bug.
 */

export interface CephContractTarget {
  dashboard: CephDashboardClient;
  /** A client whose password is wrong. */
  dashboardWithWrongPassword: CephDashboardClient;
  rgw: RgwAdminClient;
  /** A client whose secret key is wrong. */
  rgwWithWrongSecret: RgwAdminClient;
  rgwUrl: string;
  /** A pool with the rbd application. */
  pool: string;
  /** Prefix for every name the suite creates, unique per run against a long-lived cluster. */
  prefix: string;
  /** How long an image listing may lag behind creates (the dashboard's name cache). */
  listingLagMs: number;
  /** Writes `bytes` sequentially from offset 0 with one writer and 4 KiB I/Os (`rbd bench --io-type write`). */
  writeImage(spec: ImageSpec, bytes: number): Promise<void>;
  /** `rbd du --format json` used_size of the image. */
  rbdDuUsedBytes(spec: ImageSpec): Promise<number>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Extra time for tests that wait out the dashboard's listing cache on a real cluster. */
const LISTING_ALLOWANCE_MS = 45_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(250);
  }
}

export function cephContract(targetName: string, createTarget: () => Promise<CephContractTarget>, testTimeoutMs = 60_000): void {
  describe(`Ceph contract (${targetName})`, () => {
    let target: CephContractTarget;
    let names: { pool: string; namespace: string; listNamespace: string; user: string; bucket: string };

    beforeAll(async () => {
      target = await createTarget();
      const p = target.prefix;
      names = { pool: `${p}-pool`, namespace: `${p}-agency`, listNamespace: `${p}-list`, user: `${p}-user`, bucket: `${p}-bucket` };
    }, testTimeoutMs);

    afterAll(async () => {
      await target?.close();
    });

    describe('dashboard', () => {
      it('reports a pacific or newer version after logging in', async () => {
        const version = await target.dashboard.version();
        expect(version.major).toBeGreaterThanOrEqual(16);
        expect(version.text).toMatch(/^ceph version \d+\.\d+\.\d+/);
      });

      it('refuses wrong credentials with UnauthorizedError', async () => {
        await expect(target.dashboardWithWrongPassword.listPools()).rejects.toMatchObject({ name: 'UnauthorizedError' });
      });

      it('creates a pool with a quota, changes the quota, and treats a repeated create as success', async () => {
        await target.dashboard.createPool({ name: names.pool, quotaMaxBytes: 64 * MiB, quotaMaxObjects: 1000 });
        const created = await target.dashboard.getPool(names.pool);
        expect(created).toMatchObject({ name: names.pool, type: 'replicated', quotaMaxBytes: 64 * MiB, quotaMaxObjects: 1000 });
        expect(created.applications).toContain('rbd');

        await target.dashboard.setPoolQuota(names.pool, { maxBytes: 128 * MiB, maxObjects: 0 });
        expect(await target.dashboard.getPool(names.pool)).toMatchObject({ quotaMaxBytes: 128 * MiB, quotaMaxObjects: 0 });

        await expect(target.dashboard.createPool({ name: names.pool })).resolves.toBeUndefined();
        expect((await target.dashboard.listPools()).map((pool) => pool.name)).toContain(names.pool);
      }, testTimeoutMs);

      it('answers NotFoundError for a missing pool', async () => {
        await expect(target.dashboard.getPool(`${target.prefix}-missing`)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
        await expect(target.dashboard.setPoolQuota(`${target.prefix}-missing`, { maxBytes: MiB })).rejects.toMatchObject({ name: 'NotFoundError' });
      });

      it('creates, lists and refuses to duplicate RBD namespaces', async () => {
        expect(await target.dashboard.ensureNamespace(target.pool, names.namespace)).toBe('created');
        expect(await target.dashboard.ensureNamespace(target.pool, names.namespace)).toBe('exists');
        await expect(target.dashboard.createNamespace(target.pool, names.namespace)).rejects.toMatchObject({ name: 'ConflictError', backendCode: 'namespace_already_exists' });
        const namespaces = await target.dashboard.listNamespaces(target.pool);
        expect(namespaces).toContainEqual({ namespace: names.namespace, numImages: 0 });
        await expect(target.dashboard.createNamespace(`${target.prefix}-missing`, 'x')).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });
      });

      it('creates, reads, grows and deletes RBD images, refusing to shrink', async () => {
        const spec = { pool: target.pool, namespace: names.namespace, name: 'vol-a' };
        await target.dashboard.createImage({ ...spec, sizeBytes: 64 * MiB });
        const image = await target.dashboard.getImage(spec);
        expect(image).toMatchObject({ pool: target.pool, namespace: names.namespace, name: 'vol-a', sizeBytes: 64 * MiB, objectSizeBytes: 4 * MiB, usedBytes: 0 });
        expect(image.features).toEqual(expect.arrayContaining(['fast-diff', 'object-map', 'exclusive-lock', 'layering']));
        expect(image.id).toMatch(/^[0-9a-f]+$/);

        await expect(target.dashboard.createImage({ ...spec, sizeBytes: MiB })).rejects.toMatchObject({ name: 'ConflictError', backendCode: '17' });
        await expect(target.dashboard.createImage({ pool: target.pool, namespace: `${target.prefix}-nons`, name: 'x', sizeBytes: MiB })).rejects.toMatchObject({ name: 'NotFoundError' });

        await target.dashboard.resizeImage(spec, 128 * MiB);
        expect((await target.dashboard.getImage(spec)).sizeBytes).toBe(128 * MiB);
        await expect(target.dashboard.resizeImage(spec, 32 * MiB)).rejects.toMatchObject({ name: 'BadRequestError' });
        expect((await target.dashboard.getImage(spec, { omitUsage: true })).sizeBytes).toBe(128 * MiB);
        await expect(target.dashboard.resizeImage({ ...spec, name: 'missing' }, 128 * MiB)).rejects.toMatchObject({ name: 'NotFoundError' });

        await expect(target.dashboard.deleteNamespace(target.pool, names.namespace)).rejects.toMatchObject({ name: 'ConflictError', backendCode: 'namespace_contains_images' });
        await target.dashboard.deleteImage(spec);
        await expect(target.dashboard.getImage(spec)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
        await expect(target.dashboard.deleteImage(spec)).rejects.toMatchObject({ name: 'NotFoundError' });
        await expect(target.dashboard.getImage({ pool: `${target.prefix}-missing`, name: 'x' })).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });
        // An image in a namespace that does not exist is simply not found (volume observe relies on it).
        await expect(target.dashboard.getImage({ pool: target.pool, namespace: `${target.prefix}-nons`, name: 'x' })).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
      }, testTimeoutMs);

      it('lists images in pages of a namespace, eventually including new ones', async () => {
        await target.dashboard.createNamespace(target.pool, names.listNamespace);
        const created = ['img-01', 'img-02', 'img-03', 'img-04', 'img-05', 'img-06', 'img-07'];
        for (const name of created) await target.dashboard.createImage({ pool: target.pool, namespace: names.listNamespace, name, sizeBytes: 4 * MiB });

        const all = await eventually(
          () => target.dashboard.listAllImages(target.pool, names.listNamespace, 3),
          (images) => images.length === created.length,
          target.listingLagMs + 10_000,
        );
        expect(all.map((image) => image.name)).toEqual(created);
        expect(all.every((image) => image.namespace === names.listNamespace && image.usedBytes === 0)).toBe(true);

        const pages = [];
        for (const offset of [0, 3, 6]) pages.push(await target.dashboard.listImages({ pool: target.pool, offset, limit: 3, search: names.listNamespace }));
        expect(pages.map((page) => page.images.map((image) => image.name))).toEqual([created.slice(0, 3), created.slice(3, 6), created.slice(6)]);
        expect(pages.map((page) => page.total)).toEqual([7, 7, 7]);

        for (const name of created) await target.dashboard.deleteImage({ pool: target.pool, namespace: names.listNamespace, name });
        await target.dashboard.deleteNamespace(target.pool, names.listNamespace);
      }, testTimeoutMs + LISTING_ALLOWANCE_MS);

      it('reports the bytes actually written to an image exactly as rbd du does, per image and per namespace', async () => {
        const spec = { pool: target.pool, namespace: names.namespace, name: 'vol-data' };
        const other = { pool: target.pool, namespace: names.namespace, name: 'vol-data-2' };
        await target.dashboard.createImage({ ...spec, sizeBytes: 10 * MiB });
        await target.dashboard.createImage({ ...other, sizeBytes: 20 * MiB });
        await target.writeImage(spec, 6 * MiB);
        await target.writeImage(other, 9 * MiB);

        const image = await target.dashboard.getImage(spec);
        const du = await target.rbdDuUsedBytes(spec);
        expect(image.usedBytes).toBe(du);
        // With object-map/fast-diff usage is counted per allocated 4 MiB object: 6 MiB touches two.
        expect(image.usedBytes).toBe(8 * MiB);
        const otherImage = await target.dashboard.getImage(other);
        expect(otherImage.usedBytes).toBe(await target.rbdDuUsedBytes(other));
        expect(otherImage.usedBytes).toBe(12 * MiB);

        const usage = await eventually(
          () => target.dashboard.namespaceUsage(target.pool, names.namespace),
          (value) => value.images === 2,
          target.listingLagMs + 10_000,
        );
        expect(usage).toEqual({
          pool: target.pool,
          namespace: names.namespace,
          images: 2,
          provisionedBytes: 30 * MiB,
          usedBytes: 20 * MiB,
          imagesWithUnknownUsage: [],
        });
      }, testTimeoutMs + LISTING_ALLOWANCE_MS);

      it('reads current cluster and pool usage from the health report', async () => {
        const pool = await eventually(
          () => target.dashboard.poolUsage(target.pool),
          (value) => value.storedBytes >= 15 * MiB,
          20_000,
        );
        expect(pool.storedBytes).toBeGreaterThanOrEqual(15 * MiB);
        expect(pool.objects).toBeGreaterThan(0);
        const cluster = await target.dashboard.clusterUsage();
        expect(cluster.totalBytes).toBeGreaterThan(0);
        expect(cluster.availBytes).toBeLessThanOrEqual(cluster.totalBytes);
        expect(cluster.pools.map((entry) => entry.name)).toEqual(expect.arrayContaining([target.pool, names.pool]));
        expect(cluster.pools.find((entry) => entry.name === names.pool)).toMatchObject({ quotaBytes: 128 * MiB });
      }, testTimeoutMs);

      it('sets mirroring where the API offers it and says clearly where it does not', async () => {
        const site = await target.dashboard.getMirrorSiteName();
        expect(site.length).toBeGreaterThan(0);
        await target.dashboard.setMirrorSiteName(`${target.prefix}-site`);
        expect(await target.dashboard.getMirrorSiteName()).toBe(`${target.prefix}-site`);

        expect(await target.dashboard.getPoolMirrorMode(names.pool)).toBe('disabled');
        await target.dashboard.setPoolMirrorMode(names.pool, 'image');
        expect(await target.dashboard.getPoolMirrorMode(names.pool)).toBe('image');

        const plain = { pool: names.pool, name: 'mirrored' };
        await target.dashboard.createImage({ ...plain, sizeBytes: 4 * MiB });
        expect((await target.dashboard.getImage(plain)).mirrorMode).toBe('journal');
        await target.dashboard.enableImageMirroring(plain, 'snapshot', '1h');
        expect((await target.dashboard.getImage(plain)).mirrorMode).toBe('snapshot');

        await target.dashboard.ensureNamespace(names.pool, 'tenant');
        const namespaced = { pool: names.pool, namespace: 'tenant', name: 'mirrored' };
        await target.dashboard.createImage({ ...namespaced, sizeBytes: 4 * MiB });
        await expect(target.dashboard.enableImageMirroring(namespaced, 'snapshot')).rejects.toMatchObject({ name: 'UnsupportedError' });
        await expect(target.dashboard.setNamespaceMirrorMode(names.pool, 'tenant', 'image')).rejects.toThrow(/unsupported by this Ceph version/);

        await target.dashboard.disableImageMirroring(plain);
        await target.dashboard.deleteImage(plain);
        await target.dashboard.deleteImage(namespaced);
        await target.dashboard.deleteNamespace(names.pool, 'tenant');
        await target.dashboard.setPoolMirrorMode(names.pool, 'disabled');
      }, testTimeoutMs);

      it('snapshots an image, copies it as of the snapshot under a temporary name, renames the copy, and deletes the image with its snapshot', async () => {
        const spec = { pool: target.pool, namespace: names.namespace, name: 'vol-snap' };
        const partial = { ...spec, name: 'vol-snap.final-1.partial' };
        const final = { ...spec, name: 'vol-snap.final-1' };
        await target.dashboard.createImage({ ...spec, sizeBytes: 12 * MiB });
        await target.writeImage(spec, 6 * MiB);
        await target.dashboard.createSnapshot(spec, 'final-1');

        const snapped = await target.dashboard.getImage(spec);
        expect(snapped.snapshots).toEqual([
          { name: 'final-1', id: expect.any(Number), sizeBytes: 12 * MiB, createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), isProtected: false, usedBytes: 8 * MiB, children: [] },
        ]);
        // fast-diff reports the head's usage since the last snapshot; the total includes the snapshot.
        expect(snapped).toMatchObject({ usedBytes: 0, totalUsedBytes: 8 * MiB });
        await expect(target.dashboard.createSnapshot(spec, 'final-1')).rejects.toMatchObject({ name: 'ConflictError', backendCode: '17' });
        await expect(target.dashboard.createSnapshot({ ...spec, name: 'missing' }, 'final-1')).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });

        // Written after the snapshot: in the image (3 objects since the snapshot), not in a copy made from the snapshot.
        await target.writeImage(spec, 12 * MiB);
        expect(await target.rbdDuUsedBytes(spec)).toBe(12 * MiB);
        expect(await target.dashboard.awaitRunningCopy(spec, partial)).toEqual({ state: 'none' });
        await target.dashboard.copyImage(spec, partial, { snapshot: 'final-1' });
        const copy = await target.dashboard.getImage(partial);
        expect(copy).toMatchObject({ sizeBytes: 12 * MiB, objectSizeBytes: snapped.objectSizeBytes, features: snapped.features, usedBytes: 8 * MiB, totalUsedBytes: 8 * MiB, snapshots: [] });
        expect(copy.id).not.toBe(snapped.id);
        expect(await target.rbdDuUsedBytes(partial)).toBe(8 * MiB);
        await expect(target.dashboard.copyImage(spec, partial, { snapshot: 'final-1' })).rejects.toMatchObject({ name: 'ConflictError', backendCode: '17' });
        await expect(target.dashboard.copyImage(spec, { ...spec, name: 'vol-snap.other' }, { snapshot: 'missing' })).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });
        await expect(target.dashboard.copyImage(spec, { ...spec, namespace: `${target.prefix}-nons`, name: 'x' })).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });
        await expect(target.dashboard.getImage({ ...spec, name: 'vol-snap.other' })).rejects.toMatchObject({ name: 'NotFoundError' });

        await target.dashboard.renameImage(partial, final.name);
        await expect(target.dashboard.getImage(partial)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
        expect(await target.dashboard.getImage(final, { omitUsage: true })).toMatchObject({ name: final.name, namespace: names.namespace, id: copy.id, sizeBytes: 12 * MiB });
        await expect(target.dashboard.renameImage(final, spec.name)).rejects.toMatchObject({ name: 'ConflictError', backendCode: '17' });
        await expect(target.dashboard.renameImage(partial, 'anything')).rejects.toMatchObject({ name: 'NotFoundError', backendCode: '2' });

        await target.dashboard.deleteImage(spec);
        await expect(target.dashboard.getImage(spec)).rejects.toMatchObject({ name: 'NotFoundError', status: 404 });
        expect((await target.dashboard.getImage(final)).usedBytes).toBe(8 * MiB);
        await target.dashboard.deleteImage(final);
      }, testTimeoutMs);

      it('deletes images, namespaces and pools, and a repeated pool delete succeeds', async () => {
        for (const name of ['vol-data', 'vol-data-2']) await target.dashboard.deleteImage({ pool: target.pool, namespace: names.namespace, name });
        await target.dashboard.deleteNamespace(target.pool, names.namespace);
        expect((await target.dashboard.listNamespaces(target.pool)).map((entry) => entry.namespace)).not.toContain(names.namespace);
        await target.dashboard.deletePool(names.pool);
        await expect(target.dashboard.getPool(names.pool)).rejects.toMatchObject({ name: 'NotFoundError' });
        await expect(target.dashboard.deletePool(names.pool)).resolves.toBeUndefined();
      }, testTimeoutMs);
    });

    describe('rgw admin ops', () => {
      const s3 = async (method: 'PUT' | 'DELETE', path: string, credentials: { accessKey: string; secretKey: string }, body?: string): Promise<{ status: number; text: string }> => {
        const url = new URL(path, target.rgwUrl);
        const headers: Record<string, string> = {};
        const signed = signSigV4({ method, url, headers, body }, credentials);
        const response = await fetch(url, { method, headers: { ...headers, ...signed }, ...(body === undefined ? {} : { body }) });
        return { status: response.status, text: await response.text() };
      };

      it('creates a user with a quota and refuses a duplicate', async () => {
        const user = await target.rgw.createUser({ uid: names.user, displayName: 'Contract agency', maxBuckets: 3 });
        expect(user).toMatchObject({ uid: names.user, displayName: 'Contract agency', maxBuckets: 3, suspended: false });
        expect(user.keys).toHaveLength(1);
        await expect(target.rgw.createUser({ uid: names.user, displayName: 'again' })).rejects.toMatchObject({ name: 'ConflictError', backendCode: 'UserAlreadyExists' });

        await target.rgw.setUserQuota(names.user, { enabled: true, maxSizeBytes: MiB, maxObjects: 10 });
        expect(await target.rgw.getUserQuota(names.user)).toEqual({ enabled: true, maxSizeBytes: MiB, maxObjects: 10 });
        expect((await target.rgw.getUser(names.user)).userQuota).toEqual({ enabled: true, maxSizeBytes: MiB, maxObjects: 10 });
        expect(await target.rgw.modifyUser(names.user, { maxBuckets: 5 })).toMatchObject({ maxBuckets: 5 });
      });

      it('enforces the quota, reports bucket and user stats, and logs usage that can be trimmed', async () => {
        const key = (await target.rgw.getUser(names.user)).keys[0];
        if (!key) throw new Error('user has no key');
        expect((await s3('PUT', `/${names.bucket}`, key)).status).toBe(200);
        expect((await s3('PUT', `/${names.bucket}/small`, key, 'x'.repeat(1000))).status).toBe(200);
        const tooBig = await s3('PUT', `/${names.bucket}/big`, key, 'y'.repeat(2 * MiB));
        expect(tooBig.status).toBe(403);
        expect(tooBig.text).toContain('QuotaExceeded');

        expect(await target.rgw.listBuckets(names.user)).toEqual([names.bucket]);
        expect(await target.rgw.listBuckets()).toContain(names.bucket);
        expect(await target.rgw.getBucket(names.bucket)).toMatchObject({ bucket: names.bucket, owner: names.user, sizeBytes: 1000, sizeActualBytes: 4096, numObjects: 1 });
        expect(await target.rgw.listUserBucketStats(names.user)).toEqual([expect.objectContaining({ bucket: names.bucket, numObjects: 1 })]);
        expect((await target.rgw.getUser(names.user, { stats: true })).stats).toEqual({ sizeBytes: 1000, sizeActualBytes: 4096, numObjects: 1 });

        const usage = await eventually(
          () => target.rgw.getUsage({ uid: names.user }),
          (value) => value.summary.some((entry) => entry.categories.some((category) => category.category === 'put_obj' && category.ops >= 2)),
          15_000,
        );
        const entry = usage.entries.find((candidate) => candidate.bucket === names.bucket);
        expect(entry?.user).toBe(names.user);
        expect(entry?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000000Z$/);
        const putObj = entry?.categories.find((category) => category.category === 'put_obj');
        expect(putObj).toMatchObject({ ops: 2, successfulOps: 1, bytesReceived: 1000 });
        expect(entry?.categories.find((category) => category.category === 'create_bucket')).toMatchObject({ ops: 1, successfulOps: 1 });
        expect(usage.summary).toEqual([expect.objectContaining({ user: names.user, total: expect.objectContaining({ ops: 3, successfulOps: 2 }) })]);

        await expect(target.rgw.trimUsage({})).rejects.toThrow(/removeAll/);
        await target.rgw.trimUsage({ uid: names.user });
        expect(await target.rgw.getUsage({ uid: names.user })).toEqual({ entries: [], summary: [] });
      }, testTimeoutMs);

      it('answers typed errors with the gateway request id', async () => {
        const missing = target.rgw.getUser(`${target.prefix}-nobody`);
        await expect(missing).rejects.toMatchObject({ name: 'NotFoundError', status: 404, backendCode: 'NoSuchUser' });
        await expect(missing).rejects.toHaveProperty('requestId', expect.stringMatching(/^tx/));
        await expect(target.rgw.getBucket(`${target.prefix}-nobucket`)).rejects.toMatchObject({ name: 'NotFoundError', backendCode: 'NoSuchBucket' });
        await expect(target.rgwWithWrongSecret.listBuckets()).rejects.toMatchObject({ name: 'UnauthorizedError', backendCode: 'SignatureDoesNotMatch' });
      });

      it('deletes buckets and users with their data', async () => {
        await target.rgw.deleteBucket(names.bucket, { purgeObjects: true });
        await expect(target.rgw.getBucket(names.bucket)).rejects.toMatchObject({ name: 'NotFoundError' });
        await target.rgw.deleteUser(names.user, { purgeData: true });
        await expect(target.rgw.getUser(names.user)).rejects.toMatchObject({ name: 'NotFoundError' });
        await expect(target.rgw.deleteUser(names.user)).rejects.toMatchObject({ name: 'NotFoundError' });
      });
    });
  });
}
