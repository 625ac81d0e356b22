/**
 * Deterministic backend names and ownership tags (DESIGN.md "Resources"). Adoption after a crash
 * finds exactly what an earlier attempt created by these names and tags, and the operator never
 * touches a backend object that does not carry its owner's uid.
 *
 * Real-service limits shape the tag format: Keystone project tags may not contain `/` or `,`,
 * Neutron's single-tag URL breaks on `/`, and Nova metadata keys may not contain `/`; hence
 * `statsmoln.io:uid=<uid>` rather than `statsmoln.io/uid`. Ceph 16's dashboard cannot store metadata on
 * RBD images, so RBD ownership rests on names alone.
 */
import type { Environment } from '../../api/v1alpha1/index.js';

export const TAG_PREFIX = 'statsmoln.io:';

export const tags = {
  uid: (uid: string): string => `${TAG_PREFIX}uid=${uid}`,
  tenant: (tenant: string): string => `${TAG_PREFIX}tenant=${tenant}`,
  organisationNumber: (number: string): string => `${TAG_PREFIX}orgnr=${number}`,
  environment: (environment: Environment): string => `${TAG_PREFIX}environment=${environment}`,
};

/** Metadata keys on Cinder volumes and Nova objects. */
export const METADATA_UID_KEY = `${TAG_PREFIX}uid`;
export const METADATA_OWNER_KEY = `${TAG_PREFIX}owner`;

export const names = {
  keystoneDomain: (tenant: string): string => `agency-${tenant}`,
  keystoneProject: (tenant: string, environment: Environment): string => `${tenant}-${environment}`,
  keystoneGroup: (tenant: string, role: string): string => `${tenant}-${role}`,
  identityProvider: (tenant: string): string => `agency-${tenant}`,
  federationMapping: (tenant: string): string => `agency-${tenant}`,
  federationProtocol: 'openid',
  network: (tenant: string, environment: Environment): string => `${tenant}-${environment}`,
  subnet: (tenant: string, environment: Environment, index: number): string => `${tenant}-${environment}-${index}`,
  router: (tenant: string, environment: Environment): string => `${tenant}-${environment}`,
  securityGroup: (tenant: string, environment: Environment): string => `${tenant}-${environment}-baseline`,
  rbdNamespace: (tenant: string): string => `agency-${tenant}`,
  /** Cinder volume name: the Kubernetes object it belongs to. */
  cinderVolume: (namespace: string, name: string): string => `${namespace}/${name}`,
  /** RBD image name inside the agency's RBD namespace (RBD names may not contain `/`). */
  rbdImage: (namespace: string, name: string): string => `${namespace}.${name}`,
  snapshotBeforeDelete: (volumeName: string, time: string): string => `${volumeName}@final-${time}`,
};
