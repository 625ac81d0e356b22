import { OpenStackClients, parseCloudsYaml } from '../../src/backends/openstack/index.js';
import { expectBackendError, type ContractContext } from './openstack.js';

function userCloudsYaml(authUrl: string, user: string, password: string, project: string, domain: string, region?: string): string {
  return [
    'clouds:',
    '  agency:',
    '    auth:',
    `      auth_url: ${authUrl}`,
    `      username: ${user}`,
    `      password: ${password}`,
    `      project_name: ${project}`,
    `      user_domain_id: ${domain}`,
    `      project_domain_id: ${domain}`,
    ...(region ? [`    region_name: ${region}`] : []),
    '',
  ].join('\n');
}

export function registerKeystoneContract(ctx: ContractContext): void {
  describe('keystone', () => {
    test('password authentication gives a token with a catalog for compute, block storage and network', async () => {
      const session = ctx.admin().session;
      const token = await session.token();
      expect(token.value.length).toBeGreaterThan(10);
      expect(token.expiresAt).toBeGreaterThan(Date.now() - 60_000);
      expect(token.projectId).toMatch(/^[0-9a-f]{32}$/);
      expect(token.roles).toContain('admin');
      for (const type of ['identity', 'compute', 'block-storage', 'network']) {
        expect(await session.endpoint(type)).toMatch(/^https?:\/\//);
      }
      // Cinder's v3 endpoint carries the project id of the token.
      expect(await session.endpoint('block-storage')).toContain(token.projectId as string);
    });

    test('a wrong password is Unauthorized and the error text does not contain it', async () => {
      const config = parseCloudsYaml(ctx.target().cloudsYaml, ctx.target().cloudName);
      const wrong = 'wrong-Secret-Pw-4711';
      const yaml = userCloudsYaml(config.auth.authUrl, 'admin', wrong, 'admin', 'default');
      const clients = OpenStackClients.fromCloudsYaml(yaml, 'agency', { retry: { maxRetries: 0 } });
      try {
        const error = await expectBackendError(clients.identity.listDomains(), 'Unauthorized');
        expect(error.status).toBe(401);
        expect(error.requestId).toMatch(/^req-/);
        expect(error.message).not.toContain(wrong);
        expect(JSON.stringify(error)).not.toContain(wrong);
      } finally {
        clients.close();
      }
    });

    test('domains and projects with tags: create, filter by name and tags, update, conflict, not found, delete', async () => {
      const id = ctx.admin().identity;
      const domain = await id.createDomain({ name: ctx.name('dom'), description: 'contract' });
      ctx.cleanup(() => id.deleteDomain(domain.id));
      expect(domain.enabled).toBe(true);
      expect((await id.listDomains({ name: domain.name })).map((d) => d.id)).toEqual([domain.id]);

      const uidTag = `statsmoln.io-uid=${ctx.name('uid')}`;
      const project = await id.createProject({ name: ctx.name('proj'), domain_id: domain.id, tags: [uidTag, 'env-test'] });
      ctx.cleanup(() => id.deleteProject(project.id));
      expect(project.tags.sort()).toEqual([uidTag, 'env-test'].sort());
      expect(project.domain_id).toBe(domain.id);

      const byName = await id.listProjects({ name: project.name, domain_id: domain.id });
      expect(byName.map((p) => p.id)).toEqual([project.id]);
      expect((await id.listProjects({ tags: [uidTag, 'env-test'] })).map((p) => p.id)).toEqual([project.id]);
      expect(await id.listProjects({ tags: [uidTag, 'other'] })).toEqual([]);
      expect((await id.listProjects({ tagsAny: [uidTag, 'other'] })).map((p) => p.id)).toEqual([project.id]);

      await id.addProjectTag(project.id, 'extra');
      expect((await id.listProjectTags(project.id)).sort()).toEqual([uidTag, 'env-test', 'extra'].sort());
      expect((await id.replaceProjectTags(project.id, [uidTag])).sort()).toEqual([uidTag]);
      await id.removeProjectTag(project.id, uidTag);
      expect(await id.listProjectTags(project.id)).toEqual([]);

      const updated = await id.updateProject(project.id, { description: 'changed', tags: ['t1'] });
      expect(updated.description).toBe('changed');
      expect((await id.getProject(project.id)).tags).toEqual(['t1']);

      const conflict = await expectBackendError(id.createProject({ name: project.name, domain_id: domain.id }), 'Conflict');
      expect(conflict.status).toBe(409);
      await id.deleteProject(project.id);
      const missing = await expectBackendError(id.getProject(project.id), 'NotFound');
      expect(missing.serviceMessage).toContain(project.id);
      await id.deleteDomain(domain.id);
      await expectBackendError(id.getDomain(domain.id), 'NotFound');
    });

    test('an enabled domain cannot be deleted directly (Forbidden)', async () => {
      const id = ctx.admin().identity;
      const domain = await id.createDomain({ name: ctx.name('dom') });
      ctx.cleanup(() => id.deleteDomain(domain.id));
      const error = await expectBackendError(
        (async () => {
          // Bypass deleteDomain's disable step to see Keystone's own refusal.
          await ctx.admin().session.request('identity', 'keystone', { method: 'DELETE', path: `/domains/${domain.id}` });
        })(),
        'Forbidden',
      );
      expect(error.status).toBe(403);
    });

    test('users, groups, roles and role assignments on projects and domains', async () => {
      const id = ctx.admin().identity;
      const domain = await id.createDomain({ name: ctx.name('dom') });
      ctx.cleanup(() => id.deleteDomain(domain.id));
      const project = await id.createProject({ name: ctx.name('proj'), domain_id: domain.id });
      const user = await id.createUser({ name: ctx.name('user'), domain_id: domain.id, password: 'Us3r-pass-contract' });
      expect((await id.listUsers({ name: user.name, domain_id: domain.id })).map((u) => u.id)).toEqual([user.id]);
      expect((await id.getUser(user.id)).name).toBe(user.name);
      const group = await id.createGroup({ name: ctx.name('group'), domain_id: domain.id, description: 'agency admins' });
      expect((await id.listGroups({ name: group.name, domain_id: domain.id })).map((g) => g.id)).toEqual([group.id]);
      expect((await id.getGroup(group.id)).description).toBe('agency admins');
      await id.addUserToGroup(group.id, user.id);
      expect((await id.listGroupUsers(group.id)).map((u) => u.id)).toEqual([user.id]);

      const role = await id.createRole({ name: ctx.name('role') });
      ctx.cleanup(() => id.deleteRole(role.id));
      expect((await id.listRoles({ name: role.name })).map((r) => r.id)).toEqual([role.id]);
      await expectBackendError(id.createRole({ name: role.name }), 'Conflict');

      expect(await id.hasRole({ projectId: project.id }, { groupId: group.id }, role.id)).toBe(false);
      await id.grantRole({ projectId: project.id }, { groupId: group.id }, role.id);
      await id.grantRole({ projectId: project.id }, { groupId: group.id }, role.id); // idempotent
      expect(await id.hasRole({ projectId: project.id }, { groupId: group.id }, role.id)).toBe(true);
      await id.grantRole({ domainId: domain.id }, { userId: user.id }, role.id);
      expect(await id.hasRole({ domainId: domain.id }, { userId: user.id }, role.id)).toBe(true);

      const onProject = await id.listRoleAssignments({ projectId: project.id });
      expect(onProject).toEqual([expect.objectContaining({ role: { id: role.id }, group: { id: group.id }, scope: { project: { id: project.id } } })]);
      const forUser = await id.listRoleAssignments({ userId: user.id, domainId: domain.id });
      expect(forUser.map((a) => a.role.id)).toEqual([role.id]);

      await id.revokeRole({ projectId: project.id }, { groupId: group.id }, role.id);
      expect(await id.hasRole({ projectId: project.id }, { groupId: group.id }, role.id)).toBe(false);
      await expectBackendError(id.revokeRole({ projectId: project.id }, { groupId: group.id }, role.id), 'NotFound');
      await expectBackendError(id.grantRole({ projectId: project.id }, { groupId: group.id }, 'no-such-role'), 'NotFound');

      await id.deleteGroup(group.id);
      await id.deleteUser(user.id);
      await expectBackendError(id.getUser(user.id), 'NotFound');
      await id.deleteProject(project.id);
    });

    test('a member of a project authenticates with its own clouds.yaml and is Forbidden from admin calls', async () => {
      const id = ctx.admin().identity;
      const domain = await id.createDomain({ name: ctx.name('dom') });
      ctx.cleanup(() => id.deleteDomain(domain.id));
      const project = await id.createProject({ name: ctx.name('proj'), domain_id: domain.id });
      const password = 'Memb3r-pass-contract';
      const user = await id.createUser({ name: ctx.name('member'), domain_id: domain.id, password });
      const [memberRole] = await id.listRoles({ name: 'member' });
      expect(memberRole).toBeDefined();
      await id.grantRole({ projectId: project.id }, { userId: user.id }, memberRole?.id as string);

      const authUrl = parseCloudsYaml(ctx.target().cloudsYaml, ctx.target().cloudName).auth.authUrl;
      const clients = OpenStackClients.fromCloudsYaml(userCloudsYaml(authUrl, user.name, password, project.name, domain.id), 'agency');
      try {
        const token = await clients.session.token();
        expect(token.projectId).toBe(project.id);
        expect(token.roles).toContain('member');
        const error = await expectBackendError(clients.identity.createDomain({ name: ctx.name('nope') }), 'Forbidden');
        expect(error.status).toBe(403);
      } finally {
        clients.close();
      }
    });

    test('a revoked token gives 401 once; the session re-authenticates and the call succeeds', async () => {
      const admin = ctx.admin();
      const clients = OpenStackClients.fromCloudsYaml(ctx.target().cloudsYaml, ctx.target().cloudName);
      try {
        const first = await clients.session.token();
        await clients.identity.listDomains({ name: 'Default' });
        await admin.identity.revokeToken(first.value);
        const domains = await clients.identity.listDomains({ name: 'Default' });
        expect(domains).toHaveLength(1);
        const second = await clients.session.token();
        expect(second.value).not.toBe(first.value);
      } finally {
        clients.close();
      }
    });

    test('application credential authentication', async () => {
      const admin = ctx.admin();
      const token = await admin.session.token();
      const secret = `Ap-${ctx.name('secret')}`;
      const cred = await admin.identity.createApplicationCredential(token.userId, { name: ctx.name('appcred'), secret });
      ctx.cleanup(() => admin.identity.deleteApplicationCredential(token.userId, cred.id));
      expect(cred.secret).toBe(secret);
      const authUrl = parseCloudsYaml(ctx.target().cloudsYaml, ctx.target().cloudName).auth.authUrl;
      const yaml = [
        'clouds:',
        '  appcred:',
        '    auth_type: v3applicationcredential',
        '    auth:',
        `      auth_url: ${authUrl}`,
        `      application_credential_id: ${cred.id}`,
        `      application_credential_secret: ${secret}`,
        `    region_name: ${admin.session.regionName ?? 'RegionOne'}`,
        '',
      ].join('\n');
      const clients = OpenStackClients.fromCloudsYaml(yaml, 'appcred');
      try {
        const appToken = await clients.session.token();
        expect(appToken.projectId).toBe(token.projectId);
        expect((await clients.identity.listDomains({ name: 'Default' })).length).toBe(1);
      } finally {
        clients.close();
      }
      const wrongSecret = OpenStackClients.fromCloudsYaml(yaml.replace(secret, 'Wrong-secret-123'), 'appcred', { retry: { maxRetries: 0 } });
      try {
        const error = await expectBackendError(wrongSecret.session.token(), 'Unauthorized');
        expect(error.message).not.toContain('Wrong-secret-123');
      } finally {
        wrongSecret.close();
      }
      await admin.identity.deleteApplicationCredential(token.userId, cred.id);
      // Keystone answers a deleted (unknown) application credential with 404, not 401.
      const deleted = OpenStackClients.fromCloudsYaml(yaml, 'appcred', { retry: { maxRetries: 0 } });
      try {
        const error = await expectBackendError(deleted.session.token(), 'NotFound');
        expect(error.serviceMessage).toContain(cred.id);
        expect(error.message).not.toContain(secret);
      } finally {
        deleted.close();
      }
    });

    test('federation: identity providers, mappings and OIDC protocols', async () => {
      const id = ctx.admin().identity;
      const domain = await id.createDomain({ name: ctx.name('fed') });
      ctx.cleanup(() => id.deleteDomain(domain.id));
      const idpId = ctx.name('idp');
      const mappingId = ctx.name('map');
      const issuer = `https://login.${idpId}.example.se`;
      const rules = [
        {
          local: [{ user: { name: '{0}' } }, { group: { name: 'admins', domain: { id: domain.id } } }],
          remote: [{ type: 'OIDC-preferred_username' }, { type: 'OIDC-groups', any_one_of: ['cloud-admins'] }],
        },
      ];
      const idp = await id.createIdentityProvider(idpId, { domain_id: domain.id, remote_ids: [issuer], enabled: true });
      ctx.cleanup(() => id.deleteIdentityProvider(idpId));
      expect(idp).toMatchObject({ id: idpId, domain_id: domain.id, enabled: true, remote_ids: [issuer] });
      await expectBackendError(id.createIdentityProvider(idpId, { domain_id: domain.id, remote_ids: [] }), 'Conflict');

      const mapping = await id.createMapping(mappingId, rules);
      ctx.cleanup(() => id.deleteMapping(mappingId));
      expect(mapping.rules).toEqual(rules);
      const protocol = await id.createProtocol(idpId, 'openid', mappingId);
      ctx.cleanup(() => id.deleteProtocol(idpId, 'openid'));
      expect(protocol).toMatchObject({ id: 'openid', mapping_id: mappingId });
      expect((await id.listProtocols(idpId)).map((p) => p.id)).toEqual(['openid']);
      expect((await id.getProtocol(idpId, 'openid')).mapping_id).toBe(mappingId);

      const newRules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'OIDC-sub' }] }];
      expect((await id.updateMapping(mappingId, newRules)).rules).toEqual(newRules);
      expect((await id.getMapping(mappingId)).rules).toEqual(newRules);
      expect((await id.updateIdentityProvider(idpId, { remote_ids: [issuer, `${issuer}/v2`] })).remote_ids).toEqual([issuer, `${issuer}/v2`]);
      expect((await id.listIdentityProviders()).map((i) => i.id)).toContain(idpId);
      expect((await id.listMappings()).map((m) => m.id)).toContain(mappingId);

      await id.deleteProtocol(idpId, 'openid');
      await expectBackendError(id.getProtocol(idpId, 'openid'), 'NotFound');
      await id.deleteIdentityProvider(idpId);
      await expectBackendError(id.getIdentityProvider(idpId), 'NotFound');
      await id.deleteMapping(mappingId);
      await expectBackendError(id.getMapping(mappingId), 'NotFound');
    });
  });
}
