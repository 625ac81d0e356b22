/**
 * What the quota and volume tests need from a tenant while the AgencyTenant controller is written
 * elsewhere: an AgencyTenant object, its namespace, and for each placement a Keystone project in the
 * simulator (with the operator's user given a role there), written into the tenant's status as the
 * tenant controller will.
 */
import { agencyTenantDefinition, type Environment } from '../../../src/api/v1alpha1/index.js';
import { resourceTypeOf } from '../../../src/controllers/framework/index.js';
import type { KubeObject } from '../../../src/runtime/index.js';
import { NAMESPACES, type Harness } from './harness.js';

export const TENANTS = resourceTypeOf(agencyTenantDefinition);

export interface Placement {
  dataCenter: string;
  environment: Environment;
}

export interface TenantFixture {
  name: string;
  namespace: string;
  /** Project id per `dc/env`. */
  projects: Map<string, string>;
}

export interface TenantOptions {
  confidentiality?: number;
  /** Leave status.placements empty (the tenant controller has not got there yet). */
  withoutProjects?: boolean;
  /** Do not give the operator's user a role in the projects. */
  withoutOperatorRole?: boolean;
}

/** The API client and admin clients per data center: the harness, or real services. */
export type TenantEnvironment = Pick<Harness, 'client' | 'adminClients'>;

export async function createTenant(h: TenantEnvironment, name: string, placements: Placement[], options: TenantOptions = {}): Promise<TenantFixture> {
  const namespace = `agency-${name}`;
  await h.client.create(NAMESPACES, { metadata: { name: namespace, labels: { 'statsmoln.io/tenant': name } } });
  const dataCenters = [...new Set(placements.map((placement) => placement.dataCenter))];
  const environments = [...new Set(placements.map((placement) => placement.environment))];
  const created = await h.client.create<KubeObject>(TENANTS, {
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'AgencyTenant',
    metadata: { name },
    spec: {
      displayName: `Agency ${name}`,
      organisationNumber: '202100-5448',
      classification: { confidentiality: options.confidentiality ?? 1, integrity: 1, availability: 1 },
      environments,
      placement: { dataCenters },
      identity: { oidc: { issuer: `https://login.${name}.example.se/`, clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
      network: { addressPlan: placements.map((placement, index) => ({ ...placement, cidrs: [`10.${index}.0.0/20`] })) },
      billing: { reference: `${name}-ref`, priceListRef: { name: 'standard' } },
    },
  });
  const projects = new Map<string, string>();
  if (options.withoutProjects) return { name, namespace, projects };
  const statusPlacements = [];
  for (const placement of placements) {
    const projectId = await createProject(h, name, placement, !options.withoutOperatorRole);
    projects.set(`${placement.dataCenter}/${placement.environment}`, projectId);
    statusPlacements.push({ ...placement, projectId, ready: true });
  }
  await h.client.updateStatus(TENANTS, { ...created, status: { observedGeneration: created.metadata?.generation, placements: statusPlacements } });
  return { name, namespace, projects };
}

/** A project in the data center's region, as the tenant controller makes it, with the operator's user as admin there. */
export async function createProject(h: TenantEnvironment, tenant: string, placement: Placement, operatorRole = true): Promise<string> {
  const identity = h.adminClients(placement.dataCenter).identity;
  const domainName = `agency-${tenant}`;
  const domain = (await identity.listDomains({ name: domainName }))[0] ?? (await identity.createDomain({ name: domainName }));
  // The simulator has one Keystone for all its regions: data centers share the project there.
  const projectName = `${tenant}-${placement.environment}`;
  const project =
    (await identity.listProjects({ name: projectName, domain_id: domain.id }))[0] ??
    (await identity.createProject({ name: projectName, domain_id: domain.id, tags: [`statsmoln.io:tenant=${tenant}`] }));
  const [admin] = await identity.listUsers({ name: 'admin' });
  const [role] = await identity.listRoles({ name: 'admin' });
  if (!admin || !role) throw new Error('the simulator has no admin user or role');
  if (operatorRole) await identity.grantRole({ projectId: project.id }, { userId: admin.id }, role.id);
  return project.id;
}
