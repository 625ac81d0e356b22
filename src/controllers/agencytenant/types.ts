import type { Environment } from '../../api/v1alpha1/index.js';
import type { CephDashboardClient } from '../../backends/ceph/index.js';
import type {
  Domain,
  FederationProtocol,
  Group,
  IdentityProvider,
  Mapping,
  Network,
  OpenStackClients,
  Port,
  Project,
  Router,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
} from '../../backends/openstack/index.js';
import type { PlacementKey, TenantRole } from './desired.js';

export interface NamespaceObserved {
  labels: Record<string, string>;
  /** Whether the namespace carries an owner reference to this tenant. */
  ownedByTenant: boolean;
  terminating: boolean;
}

export interface RoleBindingObserved {
  name: string;
  clusterRole: string;
  groups: string[];
}

export interface RoleAssignmentObserved {
  projectId: string;
  groupId: string;
  roleId: string;
}

/**
 * The agency's objects in one Keystone. Keystone is often shared by the regions (data centers) of
 * one cloud, so identity objects are keyed by the Keystone endpoint, not by data center.
 */
export interface KeystoneObserved {
  /** The Keystone endpoint (identity base URL). */
  key: string;
  /** Data centers whose partitions use this Keystone (desired or being removed). */
  dataCenters: string[];
  domain?: Domain;
  groups: Partial<Record<TenantRole, Group>>;
  projects: Partial<Record<Environment, Project>>;
  /** Direct assignments of the agency's groups on the agency's projects. */
  assignments: RoleAssignmentObserved[];
  /**
   * Projects on which the operator's own user holds the member role: without it Keystone issues the
   * operator no token scoped to the project, and Cinder creates volumes only in the token's project.
   */
  operatorAccess: string[];
  /** Keystone role ids by tenant role (undefined: the role does not exist in this Keystone). */
  roleIds: Partial<Record<TenantRole, string>>;
  identityProvider?: IdentityProvider;
  mapping?: Mapping;
  protocol?: FederationProtocol;
}

export interface RouterInterfaceObserved {
  subnetId: string;
  portId: string;
}

/** The agency's network objects in one data center and environment. */
export interface PlacementObserved extends PlacementKey {
  /** In the spec (converge) or only recorded in status (remove under deletionPolicy Delete). */
  desired: boolean;
  keystone: string;
  ceph: string;
  externalNetworkId?: string;
  network?: Network;
  subnets: Subnet[];
  router?: Router;
  interfaces: RouterInterfaceObserved[];
  securityGroup?: SecurityGroup;
  /** Ports in the agency network tagged with the tenant's uid (only read when removing). */
  ownedPorts: Port[];
}

/** The agency's RBD namespace in one Ceph pool (shared by the partitions that use that pool). */
export interface CephObserved {
  key: string;
  pool: string;
  namespace: string;
  exists: boolean;
  images: number;
}

/** Clients the observed state was read with; apply uses the same ones. Plan never reads them. */
export interface TenantClients {
  keystone: Map<string, OpenStackClients>;
  placement: Map<string, OpenStackClients>;
  ceph: Map<string, CephDashboardClient>;
}

export interface TenantObserved {
  namespace?: NamespaceObserved;
  roleBindings: RoleBindingObserved[];
  keystones: KeystoneObserved[];
  placements: PlacementObserved[];
  cephs: CephObserved[];
  /** Placements recorded in status but no longer placed, left alone under deletionPolicy Retain. */
  retained: PlacementKey[];
  clients: TenantClients;
}

export type { SecurityGroupRule };

/** What apply needs for each action; keys point into the observed state, which apply keeps current. */
export type TenantPayload =
  | { op: 'namespace.create' | 'namespace.update' | 'namespace.orphan' | 'namespace.delete' }
  | { op: 'rolebinding.create'; name: string; group: string; clusterRole: string; role: TenantRole }
  | { op: 'rolebinding.delete'; name: string }
  | { op: 'domain.create' | 'domain.enable' | 'domain.delete'; keystone: string }
  | { op: 'group.create' | 'group.delete'; keystone: string; role: TenantRole }
  | { op: 'project.create' | 'project.tags' | 'project.delete'; keystone: string; environment: Environment }
  | { op: 'assignment.grant'; keystone: string; environment: Environment; role: TenantRole }
  | { op: 'operator.grant'; keystone: string; environment: Environment }
  | { op: 'assignment.revoke'; keystone: string; projectId: string; groupId: string; roleId: string }
  | { op: 'idp.create' | 'idp.update' | 'idp.delete'; keystone: string }
  | { op: 'mapping.create' | 'mapping.update' | 'mapping.delete'; keystone: string }
  | { op: 'protocol.create' | 'protocol.update' | 'protocol.delete'; keystone: string }
  | { op: 'network.create' | 'network.tags' | 'network.delete'; placement: string }
  | { op: 'subnet.create'; placement: string; cidr: string; index: number }
  | { op: 'subnet.tags'; placement: string; subnetId: string }
  | { op: 'subnet.delete'; placement: string; subnetId: string }
  | { op: 'router.create' | 'router.gateway' | 'router.tags' | 'router.delete'; placement: string }
  | { op: 'interface.add'; placement: string; cidr: string }
  | { op: 'interface.remove'; placement: string; subnetId: string }
  | { op: 'port.delete'; placement: string; portId: string }
  | { op: 'securitygroup.create' | 'securitygroup.tags' | 'securitygroup.delete'; placement: string }
  | { op: 'rule.create'; placement: string; cidr: string }
  | { op: 'rule.delete'; placement: string; ruleId: string }
  | { op: 'rbdnamespace.create' | 'rbdnamespace.delete'; ceph: string }
  | { op: 'retain'; placement?: string; ceph?: string };

export type TenantOp = TenantPayload['op'];
