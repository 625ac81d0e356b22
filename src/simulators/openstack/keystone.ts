import { randomBytes } from 'node:crypto';
import { fail, hexId, isDict, isoZ, member, Router, unauthorized, type SimClock, type SimRequest } from './core.js';

interface DomainRec {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}
interface ProjectRec {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  parent_id: string;
  tags: string[];
}
interface UserRec {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  password: string | undefined;
  default_project_id?: string;
  description?: string;
}
interface GroupRec {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  members: Set<string>;
}
interface RoleRec {
  id: string;
  name: string;
  domain_id: string | null;
}
interface AssignmentRec {
  roleId: string;
  scope: { project: string } | { domain: string };
  actor: { user: string } | { group: string };
}
interface AppCredRec {
  id: string;
  name: string;
  userId: string;
  projectId: string;
  secret: string;
  roleIds: string[];
  description: string | null;
}
export interface TokenRec {
  value: string;
  userId: string;
  projectId: string | undefined;
  domainId: string | undefined;
  roleNames: string[];
  issuedAt: number;
  expiresAt: number;
  methods: string[];
}

export interface CatalogEntry {
  type: string;
  name: string;
  /** URL for a region; `{project_id}` is replaced by the token's project. */
  url: (region: string) => string;
}

export interface KeystoneSimOptions {
  adminPassword: string;
  tokenLifetimeMs: number;
  regions: string[];
  catalog: CatalogEntry[];
  clock: SimClock;
}

const E = 'keystone' as const;
const DEFAULT_DOMAIN = 'default';

/** In-memory Keystone v3: the identity API, token issue/validate/revoke, OS-FEDERATION, app credentials. */
export class KeystoneSim {
  readonly domains = new Map<string, DomainRec>();
  readonly projects = new Map<string, ProjectRec>();
  readonly users = new Map<string, UserRec>();
  readonly groups = new Map<string, GroupRec>();
  readonly roles = new Map<string, RoleRec>();
  assignments: AssignmentRec[] = [];
  readonly appCreds = new Map<string, AppCredRec>();
  readonly tokens = new Map<string, TokenRec>();
  readonly idps = new Map<string, { id: string; domain_id: string; enabled: boolean; description: string | null; remote_ids: string[] }>();
  readonly mappings = new Map<string, { id: string; rules: unknown[] }>();
  readonly protocols = new Map<string, { id: string; idp: string; mapping_id: string }>();
  tokenLifetimeMs: number;
  readonly adminProjectId: string;
  readonly adminUserId: string;
  readonly serviceProjectId: string;
  readonly router = new Router();
  private readonly clock: SimClock;
  private readonly regions: string[];
  private readonly catalog: CatalogEntry[];

  constructor(options: KeystoneSimOptions) {
    this.clock = options.clock;
    this.tokenLifetimeMs = options.tokenLifetimeMs;
    this.regions = options.regions;
    this.catalog = options.catalog;
    this.domains.set(DEFAULT_DOMAIN, { id: DEFAULT_DOMAIN, name: 'Default', description: 'The default domain', enabled: true });
    const admin = this.addRole('admin');
    this.addRole('member');
    this.addRole('reader');
    this.adminProjectId = this.addProject('admin', DEFAULT_DOMAIN).id;
    this.serviceProjectId = this.addProject('service', DEFAULT_DOMAIN).id;
    this.adminUserId = hexId();
    this.users.set(this.adminUserId, {
      id: this.adminUserId,
      name: 'admin',
      domain_id: DEFAULT_DOMAIN,
      enabled: true,
      password: options.adminPassword,
    });
    this.assignments.push({ roleId: admin.id, scope: { project: this.adminProjectId }, actor: { user: this.adminUserId } });
    this.assignments.push({ roleId: admin.id, scope: { domain: DEFAULT_DOMAIN }, actor: { user: this.adminUserId } });
    this.routes();
  }

  /** Validates an X-Auth-Token; throws keystonemiddleware's 401 when missing, unknown or expired. */
  validate(value: string | string[] | undefined): TokenRec {
    const v = Array.isArray(value) ? value[0] : value;
    const token = v === undefined ? undefined : this.tokens.get(v);
    if (!token || token.expiresAt <= this.clock.now()) throw unauthorized();
    return token;
  }

  isAdmin(token: TokenRec): boolean {
    return token.roleNames.includes('admin');
  }

  projectExists(id: string): boolean {
    return this.projects.has(id);
  }

  /** Revokes every token, as a keystone restart with rotated keys would (for re-auth tests). */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  private addRole(name: string): RoleRec {
    const role = { id: hexId(), name, domain_id: null };
    this.roles.set(role.id, role);
    return role;
  }

  private addProject(name: string, domainId: string): ProjectRec {
    const p = { id: hexId(), name, domain_id: domainId, description: '', enabled: true, parent_id: domainId, tags: [] };
    this.projects.set(p.id, p);
    return p;
  }

  private requireAdmin(req: SimRequest, action: string): TokenRec {
    const token = this.validate(req.headers['x-auth-token']);
    if (!this.isAdmin(token)) {
      throw fail(E, 403, `You are not authorized to perform the requested action: identity:${action}.`);
    }
    return token;
  }

  private link(req: SimRequest, path: string): { self: string } {
    return { self: `${req.baseUrl}/identity/v3${path}` };
  }

  private collectionLinks(req: SimRequest, path: string) {
    return { self: `${req.baseUrl}/identity/v3${path}`, previous: null, next: null };
  }

  private domainJson(req: SimRequest, d: DomainRec) {
    return { ...d, tags: [], options: {}, links: this.link(req, `/domains/${d.id}`) };
  }
  private projectJson(req: SimRequest, p: ProjectRec) {
    return { ...p, is_domain: false, options: {}, links: this.link(req, `/projects/${p.id}`) };
  }
  private userJson(req: SimRequest, u: UserRec) {
    const { password: _password, ...rest } = u;
    return { ...rest, password_expires_at: null, options: {}, links: this.link(req, `/users/${u.id}`) };
  }
  private groupJson(req: SimRequest, g: GroupRec) {
    const { members: _members, ...rest } = g;
    return { ...rest, links: this.link(req, `/groups/${g.id}`) };
  }
  private roleJson(req: SimRequest, r: RoleRec) {
    return { ...r, description: null, options: {}, links: this.link(req, `/roles/${r.id}`) };
  }

  private getOr404<T>(map: Map<string, T>, id: string, kind: string): T {
    const v = map.get(id);
    if (v === undefined) throw fail(E, 404, `Could not find ${kind}: ${id}.`);
    return v;
  }

  private requireName(obj: Record<string, unknown>): string {
    const name = obj.name;
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      throw fail(E, 400, `Invalid input for field 'name': ${JSON.stringify(name ?? null)} is not valid`);
    }
    return name;
  }

  private filterByNameDomain<T extends { name: string; domain_id: string | null }>(items: T[], q: URLSearchParams): T[] {
    const name = q.get('name');
    const domain = q.get('domain_id');
    return items.filter((i) => (name === null || i.name === name) && (domain === null || i.domain_id === domain));
  }

  private effectiveRoles(userId: string, scope: { project: string } | { domain: string }): string[] {
    const groups = [...this.groups.values()].filter((g) => g.members.has(userId)).map((g) => g.id);
    const ids = new Set<string>();
    for (const a of this.assignments) {
      const sameScope =
        'project' in scope ? 'project' in a.scope && a.scope.project === scope.project : 'domain' in a.scope && a.scope.domain === scope.domain;
      const actorMatches = 'user' in a.actor ? a.actor.user === userId : groups.includes(a.actor.group);
      if (sameScope && actorMatches) ids.add(a.roleId);
    }
    return [...ids].map((id) => this.roles.get(id)?.name).filter((n): n is string => n !== undefined);
  }

  private findDomain(ref: unknown): DomainRec | undefined {
    if (!isDict(ref)) return undefined;
    if (typeof ref.id === 'string') return this.domains.get(ref.id);
    if (typeof ref.name === 'string') return [...this.domains.values()].find((d) => d.name === ref.name);
    return undefined;
  }

  private findUser(ref: unknown): UserRec | undefined {
    if (!isDict(ref)) return undefined;
    if (typeof ref.id === 'string') return this.users.get(ref.id);
    const domain = this.findDomain(ref.domain);
    if (typeof ref.name !== 'string' || !domain) return undefined;
    return [...this.users.values()].find((u) => u.name === ref.name && u.domain_id === domain.id);
  }

  private issue(req: SimRequest) {
    const auth = member(E, req.body, 'auth');
    const identity = isDict(auth.identity) ? auth.identity : undefined;
    const methods = Array.isArray(identity?.methods) ? (identity.methods as unknown[]) : [];
    let user: UserRec | undefined;
    let appCred: AppCredRec | undefined;
    if (methods.includes('password')) {
      const pw = isDict(identity?.password) ? identity.password : {};
      user = this.findUser(pw.user);
      const password = isDict(pw.user) ? pw.user.password : undefined;
      if (!user || !user.enabled || user.password === undefined || user.password !== password) throw unauthorized();
    } else if (methods.includes('application_credential')) {
      const ac = isDict(identity?.application_credential) ? identity.application_credential : {};
      if (typeof ac.id === 'string') appCred = this.appCreds.get(ac.id);
      else if (typeof ac.name === 'string') {
        const owner = this.findUser(ac.user);
        appCred = [...this.appCreds.values()].find((c) => c.name === ac.name && c.userId === owner?.id);
      }
      // Keystone answers an unknown application credential with 404, a wrong secret with 401.
      if (!appCred) throw fail(E, 404, `Could not find Application Credential: ${String(ac.id ?? ac.name)}.`);
      if (appCred.secret !== ac.secret) throw unauthorized();
      user = this.users.get(appCred.userId);
      if (!user) throw unauthorized();
    } else {
      throw fail(E, 400, 'Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect.');
    }

    let projectId: string | undefined;
    let domainId: string | undefined;
    const scope = auth.scope;
    if (appCred) {
      projectId = appCred.projectId;
    } else if (isDict(scope) && isDict(scope.project)) {
      const p = scope.project;
      let project: ProjectRec | undefined;
      if (typeof p.id === 'string') project = this.projects.get(p.id);
      else {
        const d = this.findDomain(p.domain);
        project = [...this.projects.values()].find((x) => x.name === p.name && x.domain_id === d?.id);
      }
      if (!project) throw unauthorized();
      projectId = project.id;
    } else if (isDict(scope) && isDict(scope.domain)) {
      const d = this.findDomain(scope.domain);
      if (!d) throw unauthorized();
      domainId = d.id;
    }
    let roleNames: string[] = [];
    if (projectId !== undefined) {
      roleNames = appCred
        ? appCred.roleIds.map((id) => this.roles.get(id)?.name ?? '').filter(Boolean)
        : this.effectiveRoles(user.id, { project: projectId });
      if (roleNames.length === 0) throw unauthorized();
    } else if (domainId !== undefined) {
      roleNames = this.effectiveRoles(user.id, { domain: domainId });
      if (roleNames.length === 0) throw unauthorized();
    }
    const now = this.clock.now();
    const token: TokenRec = {
      value: `gAAAAA${randomBytes(48).toString('base64url')}`,
      userId: user.id,
      projectId,
      domainId,
      roleNames,
      issuedAt: now,
      expiresAt: now + this.tokenLifetimeMs,
      methods: appCred ? ['application_credential'] : ['password'],
    };
    this.tokens.set(token.value, token);
    return { status: 201, headers: { 'x-subject-token': token.value }, body: { token: this.tokenBody(req, token) } };
  }

  private tokenBody(req: SimRequest, token: TokenRec) {
    const user = this.users.get(token.userId);
    const project = token.projectId === undefined ? undefined : this.projects.get(token.projectId);
    const roles = token.roleNames.map((name) => {
      const role = [...this.roles.values()].find((r) => r.name === name);
      return { id: role?.id ?? name, name };
    });
    const body: Record<string, unknown> = {
      methods: token.methods,
      user: { domain: { id: user?.domain_id, name: this.domains.get(user?.domain_id ?? '')?.name }, id: token.userId, name: user?.name, password_expires_at: null },
      audit_ids: [hexId().slice(0, 22)],
      expires_at: isoZ(token.expiresAt),
      issued_at: isoZ(token.issuedAt),
    };
    if (project) {
      const d = this.domains.get(project.domain_id);
      body.project = { domain: { id: d?.id, name: d?.name }, id: project.id, name: project.name };
      body.is_domain = false;
    }
    if (token.domainId !== undefined) body.domain = { id: token.domainId, name: this.domains.get(token.domainId)?.name };
    if (project || token.domainId !== undefined) {
      body.roles = roles;
      body.catalog = this.catalogFor(req, token.projectId);
    }
    return body;
  }

  private catalogFor(req: SimRequest, projectId: string | undefined) {
    const identity = {
      type: 'identity',
      name: 'keystone',
      id: 'identity',
      endpoints: this.regions.flatMap((region) =>
        ['public', 'internal', 'admin'].map((iface) => ({
          id: `${region}-identity-${iface}`,
          interface: iface,
          region,
          region_id: region,
          url: `${req.baseUrl}/identity/v3/`,
        })),
      ),
    };
    const services = this.catalog.map((entry) => ({
      type: entry.type,
      name: entry.name,
      id: entry.type,
      endpoints: this.regions.flatMap((region) =>
        ['public', 'internal', 'admin'].map((iface) => ({
          id: `${region}-${entry.type}-${iface}`,
          interface: iface,
          region,
          region_id: region,
          url: `${req.baseUrl}${entry.url(region).replace('{project_id}', projectId ?? '')}`,
        })),
      ),
    }));
    return [identity, ...services];
  }

  private assignmentFromParams(params: Record<string, string>): AssignmentRec {
    const roleId = params.role ?? '';
    this.getOr404(this.roles, roleId, 'role');
    let scope: AssignmentRec['scope'];
    if (params.project !== undefined) {
      this.getOr404(this.projects, params.project, 'project');
      scope = { project: params.project };
    } else {
      this.getOr404(this.domains, params.domain ?? '', 'domain');
      scope = { domain: params.domain ?? '' };
    }
    let actor: AssignmentRec['actor'];
    if (params.user !== undefined) {
      this.getOr404(this.users, params.user, 'user');
      actor = { user: params.user };
    } else {
      this.getOr404(this.groups, params.group ?? '', 'group');
      actor = { group: params.group ?? '' };
    }
    return { roleId, scope, actor };
  }

  private sameAssignment(a: AssignmentRec, b: AssignmentRec): boolean {
    const sameScope = 'project' in a.scope ? 'project' in b.scope && a.scope.project === b.scope.project : 'domain' in b.scope && a.scope.domain === b.scope.domain;
    const sameActor = 'user' in a.actor ? 'user' in b.actor && a.actor.user === b.actor.user : 'group' in b.actor && a.actor.group === b.actor.group;
    return a.roleId === b.roleId && sameScope && sameActor;
  }

  private routes(): void {
    const r = this.router;
    r.add('GET', '/v3', (req) => ({
      status: 200,
      body: { version: { id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z', links: [{ rel: 'self', href: `${req.baseUrl}/identity/v3/` }], media_types: [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }] } },
    }));
    r.add('POST', '/v3/auth/tokens', (req) => this.issue(req));
    r.add('GET', '/v3/auth/tokens', (req) => {
      this.validate(req.headers['x-auth-token']);
      const subject = this.validateSubject(req);
      return { status: 200, headers: { 'x-subject-token': subject.value }, body: { token: this.tokenBody(req, subject) } };
    });
    r.add('DELETE', '/v3/auth/tokens', (req) => {
      this.validate(req.headers['x-auth-token']);
      const subject = this.validateSubject(req);
      this.tokens.delete(subject.value);
      return { status: 204 };
    });

    // Domains
    r.add('GET', '/v3/domains', (req) => {
      this.requireAdmin(req, 'list_domains');
      const enabled = req.query.get('enabled');
      const name = req.query.get('name');
      const list = [...this.domains.values()].filter(
        (d) => (name === null || d.name === name) && (enabled === null || String(d.enabled) === enabled.toLowerCase()),
      );
      return { status: 200, body: { domains: list.map((d) => this.domainJson(req, d)), links: this.collectionLinks(req, '/domains') } };
    });
    r.add('POST', '/v3/domains', (req) => {
      this.requireAdmin(req, 'create_domain');
      const body = member(E, req.body, 'domain');
      const name = this.requireName(body);
      if ([...this.domains.values()].some((d) => d.name.toLowerCase() === name.toLowerCase())) {
        throw fail(E, 409, `Conflict occurred attempting to store domain - Duplicate entry found with name ${name}.`);
      }
      const d: DomainRec = { id: hexId(), name, description: String(body.description ?? ''), enabled: body.enabled !== false };
      this.domains.set(d.id, d);
      return { status: 201, body: { domain: this.domainJson(req, d) } };
    });
    r.add('GET', '/v3/domains/:id', (req, p) => {
      this.requireAdmin(req, 'get_domain');
      return { status: 200, body: { domain: this.domainJson(req, this.getOr404(this.domains, p.id ?? '', 'domain')) } };
    });
    r.add('PATCH', '/v3/domains/:id', (req, p) => {
      this.requireAdmin(req, 'update_domain');
      const d = this.getOr404(this.domains, p.id ?? '', 'domain');
      const body = member(E, req.body, 'domain');
      if (typeof body.name === 'string') d.name = body.name;
      if (typeof body.description === 'string') d.description = body.description;
      if (typeof body.enabled === 'boolean') d.enabled = body.enabled;
      return { status: 200, body: { domain: this.domainJson(req, d) } };
    });
    r.add('DELETE', '/v3/domains/:id', (req, p) => {
      this.requireAdmin(req, 'delete_domain');
      const d = this.getOr404(this.domains, p.id ?? '', 'domain');
      if (d.enabled) {
        throw fail(E, 403, 'You are not authorized to perform the requested action: Cannot delete a domain that is enabled, please disable it first.');
      }
      for (const [id, proj] of this.projects) if (proj.domain_id === d.id) this.projects.delete(id);
      for (const [id, u] of this.users) if (u.domain_id === d.id) this.users.delete(id);
      for (const [id, g] of this.groups) if (g.domain_id === d.id) this.groups.delete(id);
      this.assignments = this.assignments.filter((a) => !('domain' in a.scope && a.scope.domain === d.id));
      this.domains.delete(d.id);
      return { status: 204 };
    });

    // Projects
    r.add('GET', '/v3/projects', (req) => {
      this.requireAdmin(req, 'list_projects');
      const q = req.query;
      const all = q.get('tags')?.split(',').filter(Boolean) ?? [];
      const any = q.get('tags-any')?.split(',').filter(Boolean) ?? [];
      const list = this.filterByNameDomain([...this.projects.values()], q).filter(
        (p) =>
          all.every((t) => p.tags.includes(t)) &&
          (any.length === 0 || any.some((t) => p.tags.includes(t))) &&
          (q.get('parent_id') === null || p.parent_id === q.get('parent_id')),
      );
      return { status: 200, body: { projects: list.map((p) => this.projectJson(req, p)), links: this.collectionLinks(req, '/projects') } };
    });
    r.add('POST', '/v3/projects', (req) => {
      this.requireAdmin(req, 'create_project');
      const body = member(E, req.body, 'project');
      const name = this.requireName(body);
      const domainId = typeof body.domain_id === 'string' ? body.domain_id : DEFAULT_DOMAIN;
      if (!this.domains.has(domainId)) throw fail(E, 400, `Could not find domain: ${domainId}.`);
      if ([...this.projects.values()].some((p) => p.domain_id === domainId && p.name === name)) {
        const existing = [...this.projects.values()].find((p) => p.domain_id === domainId && p.name === name);
        throw fail(E, 409, `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${existing?.id}.`);
      }
      const tags = this.validTags(body.tags);
      const p: ProjectRec = {
        id: hexId(),
        name,
        domain_id: domainId,
        description: String(body.description ?? ''),
        enabled: body.enabled !== false,
        parent_id: typeof body.parent_id === 'string' ? body.parent_id : domainId,
        tags,
      };
      this.projects.set(p.id, p);
      return { status: 201, body: { project: this.projectJson(req, p) } };
    });
    r.add('GET', '/v3/projects/:id', (req, p) => {
      this.requireAdmin(req, 'get_project');
      return { status: 200, body: { project: this.projectJson(req, this.getOr404(this.projects, p.id ?? '', 'project')) } };
    });
    r.add('PATCH', '/v3/projects/:id', (req, params) => {
      this.requireAdmin(req, 'update_project');
      const p = this.getOr404(this.projects, params.id ?? '', 'project');
      const body = member(E, req.body, 'project');
      if (typeof body.name === 'string') p.name = body.name;
      if (typeof body.description === 'string') p.description = body.description;
      if (typeof body.enabled === 'boolean') p.enabled = body.enabled;
      if (body.tags !== undefined) p.tags = this.validTags(body.tags);
      return { status: 200, body: { project: this.projectJson(req, p) } };
    });
    r.add('DELETE', '/v3/projects/:id', (req, params) => {
      this.requireAdmin(req, 'delete_project');
      const p = this.getOr404(this.projects, params.id ?? '', 'project');
      this.projects.delete(p.id);
      this.assignments = this.assignments.filter((a) => !('project' in a.scope && a.scope.project === p.id));
      return { status: 204 };
    });
    r.add('GET', '/v3/projects/:id/tags', (req, params) => {
      this.requireAdmin(req, 'list_project_tags');
      return { status: 200, body: { tags: this.getOr404(this.projects, params.id ?? '', 'project').tags } };
    });
    r.add('PUT', '/v3/projects/:id/tags', (req, params) => {
      this.requireAdmin(req, 'update_project_tags');
      const p = this.getOr404(this.projects, params.id ?? '', 'project');
      p.tags = this.validTags(isDict(req.body) ? req.body.tags : undefined);
      return { status: 200, body: { tags: p.tags } };
    });
    r.add('PUT', '/v3/projects/:id/tags/:tag', (req, params) => {
      this.requireAdmin(req, 'create_project_tag');
      const p = this.getOr404(this.projects, params.id ?? '', 'project');
      const tag = params.tag ?? '';
      if (!p.tags.includes(tag)) p.tags = this.validTags([...p.tags, tag]);
      return { status: 201, headers: { location: `${req.baseUrl}/identity/v3/projects/${p.id}/tags/${tag}` }, body: { links: this.link(req, `/projects/${p.id}/tags/${tag}`), tags: p.tags } };
    });
    r.add('DELETE', '/v3/projects/:id/tags/:tag', (req, params) => {
      this.requireAdmin(req, 'delete_project_tag');
      const p = this.getOr404(this.projects, params.id ?? '', 'project');
      if (!p.tags.includes(params.tag ?? '')) throw fail(E, 404, `Could not find project tag: ${params.tag}.`);
      p.tags = p.tags.filter((t) => t !== params.tag);
      return { status: 204 };
    });

    // Users
    r.add('GET', '/v3/users', (req) => {
      this.requireAdmin(req, 'list_users');
      const list = this.filterByNameDomain([...this.users.values()], req.query);
      return { status: 200, body: { users: list.map((u) => this.userJson(req, u)), links: this.collectionLinks(req, '/users') } };
    });
    r.add('POST', '/v3/users', (req) => {
      this.requireAdmin(req, 'create_user');
      const body = member(E, req.body, 'user');
      const name = this.requireName(body);
      const domainId = typeof body.domain_id === 'string' ? body.domain_id : DEFAULT_DOMAIN;
      if (!this.domains.has(domainId)) throw fail(E, 400, `Could not find domain: ${domainId}.`);
      if ([...this.users.values()].some((u) => u.domain_id === domainId && u.name === name)) {
        throw fail(E, 409, `Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${domainId}.`);
      }
      const u: UserRec = {
        id: hexId(),
        name,
        domain_id: domainId,
        enabled: body.enabled !== false,
        password: typeof body.password === 'string' ? body.password : undefined,
        ...(typeof body.default_project_id === 'string' ? { default_project_id: body.default_project_id } : {}),
        ...(typeof body.description === 'string' ? { description: body.description } : {}),
      };
      this.users.set(u.id, u);
      return { status: 201, body: { user: this.userJson(req, u) } };
    });
    r.add('GET', '/v3/users/:id', (req, p) => {
      this.requireAdmin(req, 'get_user');
      return { status: 200, body: { user: this.userJson(req, this.getOr404(this.users, p.id ?? '', 'user')) } };
    });
    r.add('DELETE', '/v3/users/:id', (req, p) => {
      this.requireAdmin(req, 'delete_user');
      const u = this.getOr404(this.users, p.id ?? '', 'user');
      this.users.delete(u.id);
      this.assignments = this.assignments.filter((a) => !('user' in a.actor && a.actor.user === u.id));
      for (const g of this.groups.values()) g.members.delete(u.id);
      for (const [id, c] of this.appCreds) if (c.userId === u.id) this.appCreds.delete(id);
      return { status: 204 };
    });
    r.add('POST', '/v3/users/:id/application_credentials', (req, p) => {
      const token = this.validate(req.headers['x-auth-token']);
      if (token.userId !== p.id) {
        throw fail(E, 403, 'You are not authorized to perform the requested action: identity:create_application_credential.');
      }
      if (token.projectId === undefined) throw fail(E, 400, 'Application credentials need a project-scoped token.');
      const body = member(E, req.body, 'application_credential');
      const name = this.requireName(body);
      if ([...this.appCreds.values()].some((c) => c.userId === p.id && c.name === name)) {
        throw fail(E, 409, 'Conflict occurred attempting to store application_credential - Duplicate entry.');
      }
      const roleIds = token.roleNames.map((n) => [...this.roles.values()].find((r) => r.name === n)?.id ?? '').filter(Boolean);
      const cred: AppCredRec = {
        id: hexId(),
        name,
        userId: token.userId,
        projectId: token.projectId,
        secret: typeof body.secret === 'string' ? body.secret : randomBytes(32).toString('base64url'),
        roleIds,
        description: typeof body.description === 'string' ? body.description : null,
      };
      this.appCreds.set(cred.id, cred);
      return {
        status: 201,
        body: {
          application_credential: {
            id: cred.id,
            name: cred.name,
            user_id: cred.userId,
            project_id: cred.projectId,
            description: cred.description,
            secret: cred.secret,
            expires_at: null,
            unrestricted: false,
            roles: roleIds.map((id) => ({ id, name: this.roles.get(id)?.name, domain_id: null })),
            links: this.link(req, `/users/${cred.userId}/application_credentials/${cred.id}`),
          },
        },
      };
    });
    r.add('DELETE', '/v3/users/:id/application_credentials/:cred', (req, p) => {
      const token = this.validate(req.headers['x-auth-token']);
      const cred = this.appCreds.get(p.cred ?? '');
      if (!cred || cred.userId !== p.id) throw fail(E, 404, `Could not find Application Credential: ${p.cred}.`);
      if (token.userId !== cred.userId && !this.isAdmin(token)) {
        throw fail(E, 403, 'You are not authorized to perform the requested action: identity:delete_application_credential.');
      }
      this.appCreds.delete(cred.id);
      return { status: 204 };
    });

    // Groups
    r.add('GET', '/v3/groups', (req) => {
      this.requireAdmin(req, 'list_groups');
      const list = this.filterByNameDomain([...this.groups.values()], req.query);
      return { status: 200, body: { groups: list.map((g) => this.groupJson(req, g)), links: this.collectionLinks(req, '/groups') } };
    });
    r.add('POST', '/v3/groups', (req) => {
      this.requireAdmin(req, 'create_group');
      const body = member(E, req.body, 'group');
      const name = this.requireName(body);
      const domainId = typeof body.domain_id === 'string' ? body.domain_id : DEFAULT_DOMAIN;
      if (!this.domains.has(domainId)) throw fail(E, 400, `Could not find domain: ${domainId}.`);
      if ([...this.groups.values()].some((g) => g.domain_id === domainId && g.name === name)) {
        throw fail(E, 409, `Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${domainId}.`);
      }
      const g: GroupRec = { id: hexId(), name, domain_id: domainId, description: String(body.description ?? ''), members: new Set() };
      this.groups.set(g.id, g);
      return { status: 201, body: { group: this.groupJson(req, g) } };
    });
    r.add('GET', '/v3/groups/:id', (req, p) => {
      this.requireAdmin(req, 'get_group');
      return { status: 200, body: { group: this.groupJson(req, this.getOr404(this.groups, p.id ?? '', 'group')) } };
    });
    r.add('DELETE', '/v3/groups/:id', (req, p) => {
      this.requireAdmin(req, 'delete_group');
      const g = this.getOr404(this.groups, p.id ?? '', 'group');
      this.groups.delete(g.id);
      this.assignments = this.assignments.filter((a) => !('group' in a.actor && a.actor.group === g.id));
      return { status: 204 };
    });
    r.add('GET', '/v3/groups/:id/users', (req, p) => {
      this.requireAdmin(req, 'list_users_in_group');
      const g = this.getOr404(this.groups, p.id ?? '', 'group');
      const users = [...g.members].map((id) => this.users.get(id)).filter((u): u is UserRec => u !== undefined);
      return { status: 200, body: { users: users.map((u) => this.userJson(req, u)), links: this.collectionLinks(req, `/groups/${g.id}/users`) } };
    });
    r.add('PUT', '/v3/groups/:id/users/:user', (req, p) => {
      this.requireAdmin(req, 'add_user_to_group');
      const g = this.getOr404(this.groups, p.id ?? '', 'group');
      this.getOr404(this.users, p.user ?? '', 'user');
      g.members.add(p.user ?? '');
      return { status: 204 };
    });

    // Roles
    r.add('GET', '/v3/roles', (req) => {
      this.requireAdmin(req, 'list_roles');
      const name = req.query.get('name');
      const list = [...this.roles.values()].filter((x) => name === null || x.name === name);
      return { status: 200, body: { roles: list.map((x) => this.roleJson(req, x)), links: this.collectionLinks(req, '/roles') } };
    });
    r.add('POST', '/v3/roles', (req) => {
      this.requireAdmin(req, 'create_role');
      const body = member(E, req.body, 'role');
      const name = this.requireName(body);
      if ([...this.roles.values()].some((x) => x.name === name)) {
        throw fail(E, 409, `Conflict occurred attempting to store role - Duplicate entry found with name ${name}.`);
      }
      const role: RoleRec = { id: hexId(), name, domain_id: typeof body.domain_id === 'string' ? body.domain_id : null };
      this.roles.set(role.id, role);
      return { status: 201, body: { role: this.roleJson(req, role) } };
    });
    r.add('DELETE', '/v3/roles/:id', (req, p) => {
      this.requireAdmin(req, 'delete_role');
      const role = this.getOr404(this.roles, p.id ?? '', 'role');
      this.roles.delete(role.id);
      this.assignments = this.assignments.filter((a) => a.roleId !== role.id);
      return { status: 204 };
    });
    for (const scope of ['projects/:project', 'domains/:domain']) {
      for (const actor of ['users/:user', 'groups/:group']) {
        const path = `/v3/${scope}/${actor}/roles/:role`;
        r.add('PUT', path, (req, p) => {
          this.requireAdmin(req, 'create_grant');
          const a = this.assignmentFromParams(p);
          if (!this.assignments.some((x) => this.sameAssignment(x, a))) this.assignments.push(a);
          return { status: 204 };
        });
        r.add('GET', path, (req, p) => {
          this.requireAdmin(req, 'check_grant');
          const a = this.assignmentFromParams(p);
          if (!this.assignments.some((x) => this.sameAssignment(x, a))) {
            throw fail(E, 404, `Could not find role assignment with role: ${a.roleId}.`);
          }
          return { status: 204 };
        });
        r.add('DELETE', path, (req, p) => {
          this.requireAdmin(req, 'revoke_grant');
          const a = this.assignmentFromParams(p);
          const before = this.assignments.length;
          this.assignments = this.assignments.filter((x) => !this.sameAssignment(x, a));
          if (this.assignments.length === before) throw fail(E, 404, `Could not find role assignment with role: ${a.roleId}.`);
          return { status: 204 };
        });
      }
    }
    r.add('GET', '/v3/role_assignments', (req) => {
      this.requireAdmin(req, 'list_role_assignments');
      const q = req.query;
      const [role, project, domain, user, group] = ['role.id', 'scope.project.id', 'scope.domain.id', 'user.id', 'group.id'].map((key) => q.get(key));
      const list = this.assignments.filter(
        (a) =>
          (role === null || a.roleId === role) &&
          (project === null || ('project' in a.scope && a.scope.project === project)) &&
          (domain === null || ('domain' in a.scope && a.scope.domain === domain)) &&
          (user === null || ('user' in a.actor && a.actor.user === user)) &&
          (group === null || ('group' in a.actor && a.actor.group === group)),
      );
      const body = list.map((a) => ({
        role: { id: a.roleId },
        scope: 'project' in a.scope ? { project: { id: a.scope.project } } : { domain: { id: a.scope.domain } },
        ...('user' in a.actor ? { user: { id: a.actor.user } } : { group: { id: a.actor.group } }),
        links: { assignment: `${req.baseUrl}/identity/v3/assignment` },
      }));
      return { status: 200, body: { role_assignments: body, links: this.collectionLinks(req, '/role_assignments') } };
    });

    this.federationRoutes();
  }

  private federationRoutes(): void {
    const r = this.router;
    const base = '/v3/OS-FEDERATION';
    const idpJson = (req: SimRequest, idp: { id: string }) => ({
      ...idp,
      authorization_ttl: null,
      links: { self: `${req.baseUrl}/identity${base}/identity_providers/${idp.id}`, protocols: `${req.baseUrl}/identity${base}/identity_providers/${idp.id}/protocols` },
    });
    r.add('GET', `${base}/identity_providers`, (req) => {
      this.requireAdmin(req, 'list_identity_providers');
      return { status: 200, body: { identity_providers: [...this.idps.values()].map((i) => idpJson(req, i)), links: this.collectionLinks(req, '/OS-FEDERATION/identity_providers') } };
    });
    r.add('PUT', `${base}/identity_providers/:id`, (req, p) => {
      this.requireAdmin(req, 'create_identity_provider');
      const body = member(E, req.body, 'identity_provider');
      const id = p.id ?? '';
      if (this.idps.has(id)) throw fail(E, 409, `Conflict occurred attempting to store identity_provider - Duplicate entry.`);
      const remoteIds = Array.isArray(body.remote_ids) ? body.remote_ids.map(String) : [];
      for (const other of this.idps.values()) {
        if (other.remote_ids.some((x) => remoteIds.includes(x))) {
          throw fail(E, 409, `Conflict occurred attempting to store identity_provider - Duplicate remote ID: ${remoteIds.join(',')}.`);
        }
      }
      let domainId = typeof body.domain_id === 'string' ? body.domain_id : undefined;
      if (domainId !== undefined && !this.domains.has(domainId)) throw fail(E, 400, `Could not find domain: ${domainId}.`);
      if (domainId === undefined) {
        domainId = hexId();
        this.domains.set(domainId, { id: domainId, name: domainId, description: `Auto generated federated domain for Identity Provider: ${id}`, enabled: true });
      }
      const idp = { id, domain_id: domainId, enabled: body.enabled === true, description: typeof body.description === 'string' ? body.description : null, remote_ids: remoteIds };
      this.idps.set(id, idp);
      return { status: 201, body: { identity_provider: idpJson(req, idp) } };
    });
    r.add('GET', `${base}/identity_providers/:id`, (req, p) => {
      this.requireAdmin(req, 'get_identity_provider');
      const idp = this.idps.get(p.id ?? '');
      if (!idp) throw fail(E, 404, `Could not find Identity Provider: ${p.id}.`);
      return { status: 200, body: { identity_provider: idpJson(req, idp) } };
    });
    r.add('PATCH', `${base}/identity_providers/:id`, (req, p) => {
      this.requireAdmin(req, 'update_identity_provider');
      const idp = this.idps.get(p.id ?? '');
      if (!idp) throw fail(E, 404, `Could not find Identity Provider: ${p.id}.`);
      const body = member(E, req.body, 'identity_provider');
      if (Array.isArray(body.remote_ids)) idp.remote_ids = body.remote_ids.map(String);
      if (typeof body.enabled === 'boolean') idp.enabled = body.enabled;
      if (typeof body.description === 'string') idp.description = body.description;
      return { status: 200, body: { identity_provider: idpJson(req, idp) } };
    });
    r.add('DELETE', `${base}/identity_providers/:id`, (req, p) => {
      this.requireAdmin(req, 'delete_identity_provider');
      if (!this.idps.delete(p.id ?? '')) throw fail(E, 404, `Could not find Identity Provider: ${p.id}.`);
      for (const [k, proto] of this.protocols) if (proto.idp === p.id) this.protocols.delete(k);
      return { status: 204 };
    });

    const mappingJson = (req: SimRequest, m: { id: string; rules: unknown[] }) => ({
      ...m,
      schema_version: '1.0',
      links: { self: `${req.baseUrl}/identity${base}/mappings/${m.id}` },
    });
    const validRules = (body: Record<string, unknown>): unknown[] => {
      const rules = body.rules;
      if (!Array.isArray(rules) || rules.some((x) => !isDict(x) || !Array.isArray(x.local) || !Array.isArray(x.remote))) {
        throw fail(E, 400, "Invalid input for field 'rules': each rule needs 'local' and 'remote' arrays");
      }
      return rules;
    };
    r.add('GET', `${base}/mappings`, (req) => {
      this.requireAdmin(req, 'list_mappings');
      return { status: 200, body: { mappings: [...this.mappings.values()].map((m) => mappingJson(req, m)), links: this.collectionLinks(req, '/OS-FEDERATION/mappings') } };
    });
    r.add('PUT', `${base}/mappings/:id`, (req, p) => {
      this.requireAdmin(req, 'create_mapping');
      const id = p.id ?? '';
      const rules = validRules(member(E, req.body, 'mapping'));
      if (this.mappings.has(id)) throw fail(E, 409, 'Conflict occurred attempting to store mapping - Duplicate entry.');
      const m = { id, rules };
      this.mappings.set(id, m);
      return { status: 201, body: { mapping: mappingJson(req, m) } };
    });
    r.add('GET', `${base}/mappings/:id`, (req, p) => {
      this.requireAdmin(req, 'get_mapping');
      const m = this.mappings.get(p.id ?? '');
      if (!m) throw fail(E, 404, `Could not find mapping: ${p.id}.`);
      return { status: 200, body: { mapping: mappingJson(req, m) } };
    });
    r.add('PATCH', `${base}/mappings/:id`, (req, p) => {
      this.requireAdmin(req, 'update_mapping');
      const m = this.mappings.get(p.id ?? '');
      if (!m) throw fail(E, 404, `Could not find mapping: ${p.id}.`);
      m.rules = validRules(member(E, req.body, 'mapping'));
      return { status: 200, body: { mapping: mappingJson(req, m) } };
    });
    r.add('DELETE', `${base}/mappings/:id`, (req, p) => {
      this.requireAdmin(req, 'delete_mapping');
      if (!this.mappings.delete(p.id ?? '')) throw fail(E, 404, `Could not find mapping: ${p.id}.`);
      return { status: 204 };
    });

    const protoJson = (req: SimRequest, x: { id: string; idp: string; mapping_id: string }) => ({
      id: x.id,
      mapping_id: x.mapping_id,
      remote_id_attribute: null,
      links: { self: `${req.baseUrl}/identity${base}/identity_providers/${x.idp}/protocols/${x.id}`, identity_provider: `${req.baseUrl}/identity${base}/identity_providers/${x.idp}` },
    });
    const protoKey = (p: Record<string, string>) => `${p.idp}/${p.id}`;
    const needIdp = (p: Record<string, string>) => {
      if (!this.idps.has(p.idp ?? '')) throw fail(E, 404, `Could not find Identity Provider: ${p.idp}.`);
    };
    r.add('GET', `${base}/identity_providers/:idp/protocols`, (req, p) => {
      this.requireAdmin(req, 'list_protocols');
      needIdp(p);
      const list = [...this.protocols.values()].filter((x) => x.idp === p.idp);
      return { status: 200, body: { protocols: list.map((x) => protoJson(req, x)), links: this.collectionLinks(req, `/OS-FEDERATION/identity_providers/${p.idp}/protocols`) } };
    });
    r.add('PUT', `${base}/identity_providers/:idp/protocols/:id`, (req, p) => {
      this.requireAdmin(req, 'create_protocol');
      needIdp(p);
      const body = member(E, req.body, 'protocol');
      const mappingId = String(body.mapping_id ?? '');
      if (!this.mappings.has(mappingId)) throw fail(E, 400, `Could not find mapping: ${mappingId}.`);
      if (this.protocols.has(protoKey(p))) throw fail(E, 409, 'Conflict occurred attempting to store federation_protocol - Duplicate entry.');
      const x = { id: p.id ?? '', idp: p.idp ?? '', mapping_id: mappingId };
      this.protocols.set(protoKey(p), x);
      return { status: 201, body: { protocol: protoJson(req, x) } };
    });
    r.add('GET', `${base}/identity_providers/:idp/protocols/:id`, (req, p) => {
      this.requireAdmin(req, 'get_protocol');
      const x = this.protocols.get(protoKey(p));
      if (!x) throw fail(E, 404, `Could not find federated protocol ${p.id} for Identity Provider: ${p.idp}.`);
      return { status: 200, body: { protocol: protoJson(req, x) } };
    });
    r.add('PATCH', `${base}/identity_providers/:idp/protocols/:id`, (req, p) => {
      this.requireAdmin(req, 'update_protocol');
      const x = this.protocols.get(protoKey(p));
      if (!x) throw fail(E, 404, `Could not find federated protocol ${p.id} for Identity Provider: ${p.idp}.`);
      const mappingId = String(member(E, req.body, 'protocol').mapping_id ?? '');
      if (!this.mappings.has(mappingId)) throw fail(E, 400, `Could not find mapping: ${mappingId}.`);
      x.mapping_id = mappingId;
      return { status: 200, body: { protocol: protoJson(req, x) } };
    });
    r.add('DELETE', `${base}/identity_providers/:idp/protocols/:id`, (req, p) => {
      this.requireAdmin(req, 'delete_protocol');
      if (!this.protocols.delete(protoKey(p))) throw fail(E, 404, `Could not find federated protocol ${p.id} for Identity Provider: ${p.idp}.`);
      return { status: 204 };
    });
  }

  private validateSubject(req: SimRequest): TokenRec {
    const subject = req.headers['x-subject-token'];
    const value = Array.isArray(subject) ? subject[0] : subject;
    const token = value === undefined ? undefined : this.tokens.get(value);
    if (!token || token.expiresAt <= this.clock.now()) throw fail(E, 404, 'Could not find token: Failed to validate token.');
    return token;
  }

  private validTags(tags: unknown): string[] {
    if (tags === undefined || tags === null) return [];
    if (!Array.isArray(tags)) throw fail(E, 400, `Invalid input for field 'tags': ${JSON.stringify(tags)} is not of type 'array'`);
    const bad = tags.findIndex((t) => typeof t !== 'string' || t.length === 0 || t.length > 255 || /[,/]/.test(t));
    if (bad >= 0) {
      // jsonschema's text, as keystone returns it
      throw fail(
        E,
        400,
        `Invalid input for field 'tags/${bad}': '${String(tags[bad])}' does not match '^[^,/]*$'\n\nFailed validating 'pattern' in schema['properties']['tags']['items']:\n    {'maxLength': 255,\n     'minLength': 1,\n     'pattern': '^[^,/]*$',\n     'type': 'string'}\n\nOn instance['tags'][${bad}]:\n    '${String(tags[bad])}'`,
      );
    }
    if (tags.length > 80) throw fail(E, 400, "Invalid input for field 'tags': at most 80 tags");
    return [...new Set(tags as string[])];
  }
}
