import { novaTime, waitFor } from '../../src/backends/openstack/index.js';
import { expectBackendError, type ContractContext } from './openstack.js';

const HOUR = 3_600_000;

export function registerNovaContract(ctx: ContractContext): void {
  describe('nova', () => {
    test('quota sets: defaults, update, detail, limits, refusal of unknown keys, reset', async () => {
      const { project } = await ctx.project();
      const compute = ctx.admin().compute;
      const defaults = await compute.getDefaultQuotaSet(project.id);
      const current = await compute.getQuotaSet(project.id);
      expect(current).toEqual({ ...defaults, id: project.id });
      expect(Object.keys(current).sort()).toEqual(
        ['cores', 'id', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups'].sort(),
      );

      const updated = await compute.updateQuotaSet(project.id, { cores: 8, instances: 3, ram: 4096, server_groups: 2 });
      expect(updated).toMatchObject({ cores: 8, instances: 3, ram: 4096, server_groups: 2 });
      expect(await compute.getQuotaSet(project.id)).toMatchObject({ cores: 8, instances: 3, ram: 4096 });
      const detail = await compute.getQuotaDetail(project.id);
      expect(detail.cores).toEqual({ limit: 8, in_use: 0, reserved: 0 });
      expect(detail.instances).toEqual({ limit: 3, in_use: 0, reserved: 0 });
      const limits = await compute.getLimits(project.id);
      expect(limits).toMatchObject({ maxTotalCores: 8, maxTotalInstances: 3, maxTotalRAMSize: 4096, totalCoresUsed: 0, totalInstancesUsed: 0 });

      const bad = await expectBackendError(
        compute.updateQuotaSet(project.id, { floating_ips: 3 } as unknown as { cores: number }),
        'BadRequest',
      );
      expect(bad.status).toBe(400);
      expect(bad.requestId).toMatch(/^req-/);

      await compute.deleteQuotaSet(project.id);
      expect(await compute.getQuotaSet(project.id)).toEqual({ ...defaults, id: project.id });
    });

    test('flavors: create, list across pages, find, conflict on a duplicate name, delete', async () => {
      const compute = ctx.admin().compute;
      const name = ctx.name('flavor');
      const flavor = await compute.createFlavor({ name, vcpus: 1, ram: 128, disk: 1 });
      ctx.cleanup(() => compute.deleteFlavor(flavor.id));
      expect(flavor).toMatchObject({ name, vcpus: 1, ram: 128, disk: 1 });
      const all = await compute.listFlavors();
      const paged = await compute.listFlavors(1);
      expect(paged.map((f) => f.id).sort()).toEqual(all.map((f) => f.id).sort());
      expect(all.length).toBeGreaterThanOrEqual(2);
      expect((await compute.findFlavor(name))?.id).toBe(flavor.id);
      expect((await compute.getFlavor(flavor.id)).name).toBe(name);
      await expectBackendError(compute.createFlavor({ name, vcpus: 1, ram: 128, disk: 1 }), 'Conflict');
      await compute.deleteFlavor(flavor.id);
      await expectBackendError(compute.getFlavor(flavor.id), 'NotFound');
    });

    test('server groups are limited by the server_groups quota (403 OverQuota)', async () => {
      const { project, clients } = await ctx.project();
      await ctx.admin().compute.updateQuotaSet(project.id, { server_groups: 1 });
      const group = await clients.compute.createServerGroup(ctx.name('sg'), 'anti-affinity');
      ctx.cleanup(() => clients.compute.deleteServerGroup(group.id));
      expect(group).toMatchObject({ policy: 'anti-affinity', project_id: project.id, members: [] });
      const over = await expectBackendError(clients.compute.createServerGroup(ctx.name('sg'), 'affinity'), 'OverQuota');
      expect(over.status).toBe(403);
      expect(over.serviceMessage).toMatch(/quota exceeded/i);
      expect((await ctx.admin().compute.listServerGroups(project.id)).map((g) => g.id)).toEqual([group.id]);
      expect((await clients.compute.getServerGroup(group.id)).name).toBe(group.name);
      await clients.compute.deleteServerGroup(group.id);
      await expectBackendError(clients.compute.getServerGroup(group.id), 'NotFound');
    });

    test('a server goes BUILD -> ACTIVE, counts against quota, accrues usage, and is deleted', async () => {
      const { facts, wait, advanceClock } = ctx.target();
      const now = ctx.target().now ?? Date.now;
      if (!facts.flavorName || !facts.imageId) throw new Error('target facts need flavorName and imageId');
      const { project, clients } = await ctx.project();
      const admin = ctx.admin().compute;
      const flavor = await admin.findFlavor(facts.flavorName);
      if (!flavor) throw new Error(`flavor ${facts.flavorName} not found`);
      await admin.updateQuotaSet(project.id, { instances: 1, cores: flavor.vcpus, ram: flavor.ram });

      const before = now();
      const name = ctx.name('vm');
      const id = await clients.compute.createServer({
        name,
        flavorRef: flavor.id,
        imageRef: facts.imageId,
        networks: 'none',
        // Nova metadata keys match ^[a-zA-Z0-9-_:. ]{1,255}$: no '/' (see the refusal below).
        metadata: { 'statsmoln.io:uid': name },
      });
      ctx.cleanup(() => clients.compute.deleteServer(id));
      const active = await clients.compute.waitForServerActive(id, wait);
      expect(active).toMatchObject({ id, name, status: 'ACTIVE', tenant_id: project.id, metadata: { 'statsmoln.io:uid': name } });
      expect(active['OS-SRV-USG:launched_at']).not.toBeNull();

      const listed = await admin.listServers({ projectId: project.id });
      expect(listed.map((s) => s.id)).toEqual([id]);
      expect((await admin.listServers({ projectId: project.id, name })).map((s) => s.id)).toEqual([id]);
      const detail = await admin.getQuotaDetail(project.id);
      expect(detail.instances).toMatchObject({ limit: 1, in_use: 1 });
      expect(detail.cores.in_use).toBe(flavor.vcpus);
      expect((await admin.getLimits(project.id)).totalInstancesUsed).toBe(1);

      const slash = await expectBackendError(
        clients.compute.createServer({ name: ctx.name('vm'), flavorRef: flavor.id, imageRef: facts.imageId, networks: 'none', metadata: { 'a/b': 'x' } }),
        'BadRequest',
      );
      expect(slash.serviceMessage).toContain('does not match any of the regexes');
      const over = await expectBackendError(
        clients.compute.createServer({ name: ctx.name('vm'), flavorRef: flavor.id, imageRef: facts.imageId, networks: 'none' }),
        'OverQuota',
      );
      expect(over.status).toBe(403);
      expect(over.serviceMessage).toMatch(/^Quota exceeded for/);
      const below = await expectBackendError(admin.updateQuotaSet(project.id, { instances: 0 }), 'BadRequest');
      expect(below.serviceMessage).toContain('must be greater than or equal to already used');

      // Nova charges a running instance up to now, even when the window ends later.
      if (advanceClock) advanceClock(2 * HOUR);
      const windowStart = new Date(before - HOUR);
      const windowEnd = new Date(before + 3 * HOUR);
      // Real Nova may not list an instance for about a second after it turned ACTIVE.
      const usage = await waitFor(
        'usage to list the server',
        () => admin.getTenantUsage(project.id, windowStart, windowEnd),
        (u) => u.server_usages.length > 0,
        (u) => JSON.stringify(u.server_usages),
        { ...wait, timeoutMs: 30_000 },
      );
      const elapsedHours = (now() - before) / HOUR;
      expect(usage.server_usages.map((u) => u.instance_id)).toEqual([id]);
      const [su] = usage.server_usages;
      expect(su?.state).toBe('active');
      expect(su?.ended_at).toBeNull();
      expect(su?.hours).toBeGreaterThan(0);
      // Nova keeps launched_at with whole seconds: allow one second.
      expect(su?.hours).toBeLessThanOrEqual(elapsedHours + 1000 / HOUR);
      if (advanceClock) expect(su?.hours).toBeGreaterThan(1.99);
      expect(usage.total_hours).toBeCloseTo(su?.hours ?? 0, 6);
      expect(usage.total_vcpus_usage).toBeCloseTo((su?.hours ?? 0) * flavor.vcpus, 6);
      expect(usage.total_memory_mb_usage).toBeCloseTo((su?.hours ?? 0) * flavor.ram, 3);

      if (advanceClock) advanceClock(30 * 60_000);
      await clients.compute.deleteServer(id);
      await clients.compute.waitForServerGone(id, wait);
      await expectBackendError(clients.compute.getServer(id), 'NotFound');
      expect(await admin.listServers({ projectId: project.id })).toEqual([]);

      const after = await admin.getTenantUsage(project.id, windowStart, windowEnd);
      const [ended] = after.server_usages;
      expect(ended?.state).toBe('terminated');
      expect(ended?.ended_at).not.toBeNull();
      expect(ended?.hours).toBeLessThanOrEqual((now() - before) / HOUR + 1000 / HOUR);
      if (advanceClock) expect(ended?.hours).toBeCloseTo(2.5, 2);
      // Once deleted, the hours no longer grow.
      if (advanceClock) advanceClock(HOUR);
      const later = await admin.getTenantUsage(project.id, windowStart, windowEnd);
      expect(later.server_usages[0]?.hours).toBeCloseTo(ended?.hours ?? -1, 6);
      expect((await admin.getQuotaDetail(project.id)).instances.in_use).toBe(0);

      const empty = await admin.getTenantUsage(project.id, new Date(before - 10 * HOUR), new Date(before - 9 * HOUR));
      expect(empty).toMatchObject({ total_hours: 0, server_usages: [] });
      expect(novaTime(windowStart)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    });

    test('a missing server is NotFound with the service message', async () => {
      const error = await expectBackendError(ctx.admin().compute.getServer('00000000-0000-4000-8000-000000000000'), 'NotFound');
      expect(error.serviceMessage).toBe('Instance 00000000-0000-4000-8000-000000000000 could not be found.');
    });
  });
}
