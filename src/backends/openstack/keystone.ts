import { BackendError } from '../http/index.js';
import { ServiceClient } from './service.js';
import type { KeystoneSession } from './session.js';

export interface Domain {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
}
export interface Project {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
  enabled: boolean;
  parent_id?: string | null;
  is_domain?: boolean;
  tags: string[];
}
export interface User {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  default_project_id?: string;
}
export interface Group {
  id: string;
  name: string;
  domain_id: string;
  description?: string;
}
export interface Role {
  id: string;
  name: string;
  domain_id?: string | null;
}
export interface RoleAssignment {
  role: { id: string };
  scope: { project?: { id: string }; domain?: { id: string } };
  user?: { id: string };
  group?: { id: string };
}
export interface IdentityProvider {
  id: string;
  domain_id: string;
  enabled: boolean;
  description?: string | null;
  remote_ids: string[];
}
/** Federation mapping rules, kept as Keystone's JSON. */
export interface MappingRule {
  local: Record<string, unknown>[];
  remote: Record<string, unknown>[];
}
export interface Mapping {
  id: string;
  rules: MappingRule[];
  schema_version?: string;
}
export interface FederationProtocol {
  id: string;
  mapping_id: string;
  remote_id_attribute?: string | null;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  project_id: string;
  /** Only present in the create response. */
  secret?: string;
}

export type AssignmentTarget = { projectId: string; domainId?: never } | { domainId: string; projectId?: never };
export type AssignmentActor = { userId: string; groupId?: never } | { groupId: string; userId?: never };

function assignmentPath(target: AssignmentTarget, actor: AssignmentActor, roleId: string): string {
  const scope = target.projectId !== undefined ? `projects/${target.projectId}` : `domains/${target.domainId}`;
  const who = actor.userId !== undefined ? `users/${actor.userId}` : `groups/${actor.groupId}`;
  return `/${scope}/${who}/roles/${roleId}`;
}

const enc = encodeURIComponent;

/** Keystone v3 identity API: domains, projects with tags, users, groups, roles, assignments, federation. */
export class IdentityClient extends ServiceClient {
  constructor(session: KeystoneSession) {
    super(session, 'identity', 'keystone');
  }

  // Domains
  listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<Domain[]> {
    return this.list('/domains', 'domains', filter);
  }
  getDomain(id: string): Promise<Domain> {
    return this.json({ method: 'GET', path: `/domains/${enc(id)}` }, 'domain');
  }
  createDomain(domain: { name: string; description?: string; enabled?: boolean }): Promise<Domain> {
    return this.json({ method: 'POST', path: '/domains', json: { domain } }, 'domain');
  }
  updateDomain(id: string, patch: { name?: string; description?: string; enabled?: boolean }): Promise<Domain> {
    return this.json({ method: 'PATCH', path: `/domains/${enc(id)}`, json: { domain: patch } }, 'domain');
  }
  /** Keystone refuses to delete an enabled domain; this disables it first. */
  async deleteDomain(id: string): Promise<void> {
    await this.updateDomain(id, { enabled: false });
    await this.call({ method: 'DELETE', path: `/domains/${enc(id)}` });
  }

  // Projects
  listProjects(
    filter: { name?: string; domain_id?: string; tags?: string[]; tagsAny?: string[]; parent_id?: string } = {},
  ): Promise<Project[]> {
    const { tags, tagsAny, ...rest } = filter;
    return this.list('/projects', 'projects', {
      ...rest,
      ...(tags?.length ? { tags: tags.join(',') } : {}),
      ...(tagsAny?.length ? { 'tags-any': tagsAny.join(',') } : {}),
    });
  }
  getProject(id: string): Promise<Project> {
    return this.json({ method: 'GET', path: `/projects/${enc(id)}` }, 'project');
  }
  createProject(project: {
    name: string;
    domain_id: string;
    description?: string;
    enabled?: boolean;
    tags?: string[];
    parent_id?: string;
  }): Promise<Project> {
    return this.json({ method: 'POST', path: '/projects', json: { project } }, 'project');
  }
  updateProject(
    id: string,
    patch: { name?: string; description?: string; enabled?: boolean; tags?: string[] },
  ): Promise<Project> {
    return this.json({ method: 'PATCH', path: `/projects/${enc(id)}`, json: { project: patch } }, 'project');
  }
  async deleteProject(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/projects/${enc(id)}` });
  }
  listProjectTags(id: string): Promise<string[]> {
    return this.json({ method: 'GET', path: `/projects/${enc(id)}/tags` }, 'tags');
  }
  async addProjectTag(id: string, tag: string): Promise<void> {
    await this.call({ method: 'PUT', path: `/projects/${enc(id)}/tags/${enc(tag)}` });
  }
  replaceProjectTags(id: string, tags: string[]): Promise<string[]> {
    return this.json({ method: 'PUT', path: `/projects/${enc(id)}/tags`, json: { tags } }, 'tags');
  }
  async removeProjectTag(id: string, tag: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/projects/${enc(id)}/tags/${enc(tag)}` });
  }

  // Users
  listUsers(filter: { name?: string; domain_id?: string } = {}): Promise<User[]> {
    return this.list('/users', 'users', filter);
  }
  getUser(id: string): Promise<User> {
    return this.json({ method: 'GET', path: `/users/${enc(id)}` }, 'user');
  }
  createUser(user: {
    name: string;
    domain_id: string;
    password?: string;
    enabled?: boolean;
    default_project_id?: string;
    description?: string;
  }): Promise<User> {
    return this.json({ method: 'POST', path: '/users', json: { user } }, 'user');
  }
  async deleteUser(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/users/${enc(id)}` });
  }

  // Groups
  listGroups(filter: { name?: string; domain_id?: string } = {}): Promise<Group[]> {
    return this.list('/groups', 'groups', filter);
  }
  getGroup(id: string): Promise<Group> {
    return this.json({ method: 'GET', path: `/groups/${enc(id)}` }, 'group');
  }
  createGroup(group: { name: string; domain_id: string; description?: string }): Promise<Group> {
    return this.json({ method: 'POST', path: '/groups', json: { group } }, 'group');
  }
  async deleteGroup(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/groups/${enc(id)}` });
  }
  async addUserToGroup(groupId: string, userId: string): Promise<void> {
    await this.call({ method: 'PUT', path: `/groups/${enc(groupId)}/users/${enc(userId)}` });
  }
  listGroupUsers(groupId: string): Promise<User[]> {
    return this.list(`/groups/${enc(groupId)}/users`, 'users');
  }

  // Roles and assignments
  listRoles(filter: { name?: string; domain_id?: string } = {}): Promise<Role[]> {
    return this.list('/roles', 'roles', filter);
  }
  createRole(role: { name: string; domain_id?: string; description?: string }): Promise<Role> {
    return this.json({ method: 'POST', path: '/roles', json: { role } }, 'role');
  }
  async deleteRole(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/roles/${enc(id)}` });
  }
  async grantRole(target: AssignmentTarget, actor: AssignmentActor, roleId: string): Promise<void> {
    await this.call({ method: 'PUT', path: assignmentPath(target, actor, roleId) });
  }
  async revokeRole(target: AssignmentTarget, actor: AssignmentActor, roleId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: assignmentPath(target, actor, roleId) });
  }
  /** Whether a direct assignment exists (HEAD: 204 yes, 404 no). */
  async hasRole(target: AssignmentTarget, actor: AssignmentActor, roleId: string): Promise<boolean> {
    try {
      await this.call({ method: 'HEAD', path: assignmentPath(target, actor, roleId) });
      return true;
    } catch (error) {
      if (error instanceof BackendError && error.kind === 'NotFound') return false;
      throw error;
    }
  }
  listRoleAssignments(filter: {
    projectId?: string;
    domainId?: string;
    userId?: string;
    groupId?: string;
    roleId?: string;
  }): Promise<RoleAssignment[]> {
    return this.list('/role_assignments', 'role_assignments', {
      'scope.project.id': filter.projectId,
      'scope.domain.id': filter.domainId,
      'user.id': filter.userId,
      'group.id': filter.groupId,
      'role.id': filter.roleId,
    });
  }

  // Tokens and application credentials
  /** Revokes a token (for example one that leaked, or in tests of re-authentication). */
  async revokeToken(tokenValue: string): Promise<void> {
    await this.call({ method: 'DELETE', path: '/auth/tokens', headers: { 'x-subject-token': tokenValue } });
  }
  /** Creates an application credential for the session's own user (Keystone allows only that). */
  createApplicationCredential(
    userId: string,
    cred: { name: string; secret?: string; description?: string },
  ): Promise<ApplicationCredential> {
    return this.json(
      { method: 'POST', path: `/users/${enc(userId)}/application_credentials`, json: { application_credential: cred } },
      'application_credential',
    );
  }
  async deleteApplicationCredential(userId: string, id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/users/${enc(userId)}/application_credentials/${enc(id)}` });
  }

  // Federation (OS-FEDERATION)
  listIdentityProviders(): Promise<IdentityProvider[]> {
    return this.list('/OS-FEDERATION/identity_providers', 'identity_providers');
  }
  getIdentityProvider(id: string): Promise<IdentityProvider> {
    return this.json({ method: 'GET', path: `/OS-FEDERATION/identity_providers/${enc(id)}` }, 'identity_provider');
  }
  createIdentityProvider(
    id: string,
    idp: { domain_id: string; remote_ids: string[]; enabled?: boolean; description?: string },
  ): Promise<IdentityProvider> {
    return this.json(
      { method: 'PUT', path: `/OS-FEDERATION/identity_providers/${enc(id)}`, json: { identity_provider: idp }, idempotent: false },
      'identity_provider',
    );
  }
  updateIdentityProvider(
    id: string,
    patch: { remote_ids?: string[]; enabled?: boolean; description?: string },
  ): Promise<IdentityProvider> {
    return this.json(
      { method: 'PATCH', path: `/OS-FEDERATION/identity_providers/${enc(id)}`, json: { identity_provider: patch } },
      'identity_provider',
    );
  }
  async deleteIdentityProvider(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/OS-FEDERATION/identity_providers/${enc(id)}` });
  }
  listMappings(): Promise<Mapping[]> {
    return this.list('/OS-FEDERATION/mappings', 'mappings');
  }
  getMapping(id: string): Promise<Mapping> {
    return this.json({ method: 'GET', path: `/OS-FEDERATION/mappings/${enc(id)}` }, 'mapping');
  }
  createMapping(id: string, rules: MappingRule[]): Promise<Mapping> {
    return this.json(
      { method: 'PUT', path: `/OS-FEDERATION/mappings/${enc(id)}`, json: { mapping: { rules } }, idempotent: false },
      'mapping',
    );
  }
  updateMapping(id: string, rules: MappingRule[]): Promise<Mapping> {
    return this.json({ method: 'PATCH', path: `/OS-FEDERATION/mappings/${enc(id)}`, json: { mapping: { rules } } }, 'mapping');
  }
  async deleteMapping(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/OS-FEDERATION/mappings/${enc(id)}` });
  }
  listProtocols(idpId: string): Promise<FederationProtocol[]> {
    return this.list(`/OS-FEDERATION/identity_providers/${enc(idpId)}/protocols`, 'protocols');
  }
  getProtocol(idpId: string, protocolId: string): Promise<FederationProtocol> {
    return this.json(
      { method: 'GET', path: `/OS-FEDERATION/identity_providers/${enc(idpId)}/protocols/${enc(protocolId)}` },
      'protocol',
    );
  }
  createProtocol(idpId: string, protocolId: string, mappingId: string): Promise<FederationProtocol> {
    return this.json(
      {
        method: 'PUT',
        path: `/OS-FEDERATION/identity_providers/${enc(idpId)}/protocols/${enc(protocolId)}`,
        json: { protocol: { mapping_id: mappingId } },
        idempotent: false,
      },
      'protocol',
    );
  }
  updateProtocol(idpId: string, protocolId: string, mappingId: string): Promise<FederationProtocol> {
    return this.json(
      {
        method: 'PATCH',
        path: `/OS-FEDERATION/identity_providers/${enc(idpId)}/protocols/${enc(protocolId)}`,
        json: { protocol: { mapping_id: mappingId } },
      },
      'protocol',
    );
  }
  async deleteProtocol(idpId: string, protocolId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/OS-FEDERATION/identity_providers/${enc(idpId)}/protocols/${enc(protocolId)}` });
  }
}
