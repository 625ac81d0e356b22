/**
 * The OpenStack contract suite: every client call, success and error paths, run against any target
 * (the simulator in `npm test`, real Zed services in `npm run test:real`). A difference between the
 * two found here is a simulator bug.
 */
import { randomBytes } from 'node:crypto';
import {
  BackendError,
  OpenStackClients,
  parseCloudsYaml,
  type Project,
  type WaitOptions,
} from '../../src/backends/openstack/index.js';
import { registerKeystoneContract } from './openstack-keystone.js';
import { registerNovaContract } from './openstack-nova.js';
import { registerCinderContract } from './openstack-cinder.js';
import { registerNeutronContract } from './openstack-neutron.js';

export interface OpenStackTargetFacts {
  /** Name of an external network with a subnet, for router gateways. */
  externalNetworkName?: string;
  /** An image that servers can boot from. */
  imageId?: string;
  /** A flavor name that servers can use. */
  flavorName?: string;
  /** A volume type that volumes can be created with. */
  volumeType?: string;
}

export interface OpenStackTarget {
  name: string;
  cloudsYaml: string;
  cloudName: string;
  facts: OpenStackTargetFacts;
  /** How to poll for state transitions on this target. */
  wait: WaitOptions;
  /** Moves the services' clock forward (simulator only); usage tests need time to pass. */
  advanceClock?: (ms: number) => void;
  /** The services' current time in epoch ms (defaults to Date.now). */
  now?: () => number;
  close(): Promise<void>;
}

export interface ContractContext {
  target(): OpenStackTarget;
  /** Admin clients of the target cloud (fresh per suite). */
  admin(): OpenStackClients;
  /** A unique, recognisable name for this run. */
  name(suffix: string): string;
  /** Registers cleanup to run after the current test, in reverse order. */
  cleanup(fn: () => Promise<unknown>): void;
  /**
   * A fresh project in the Default domain where the admin user holds `admin`, with clients scoped
   * to it (as the operator acts inside an agency project). Deleted after the test.
   */
  project(): Promise<{ project: Project; clients: OpenStackClients }>;
}

export async function expectBackendError(promise: Promise<unknown>, kind: BackendError['kind']): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    if (error.kind !== kind) throw new Error(`expected ${kind}, got ${error.kind}: ${error.message}`, { cause: error });
    return error;
  }
  throw new Error(`expected a ${kind} error, but the call succeeded`);
}

export function openstackContract(factory: () => Promise<OpenStackTarget>): void {
  let target: OpenStackTarget | undefined;
  let admin: OpenStackClients | undefined;
  const run = `ct${randomBytes(3).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    target = await factory();
    admin = OpenStackClients.fromCloudsYaml(target.cloudsYaml, target.cloudName);
  });
  afterEach(async () => {
    const failures: unknown[] = [];
    while (cleanups.length > 0) {
      const fn = cleanups.pop() as () => Promise<unknown>;
      try {
        await fn();
      } catch (error) {
        if (!(error instanceof BackendError && error.kind === 'NotFound')) failures.push(error);
      }
    }
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.map(String).join('; ')}`);
  });
  afterAll(async () => {
    admin?.close();
    await target?.close();
  });

  let counter = 0;
  const ctx: ContractContext = {
    target: () => {
      if (!target) throw new Error('target not started');
      return target;
    },
    admin: () => {
      if (!admin) throw new Error('target not started');
      return admin;
    },
    name: (suffix) => `${run}-${suffix}-${++counter}`,
    cleanup: (fn) => cleanups.push(fn),
    project: async () => {
      const a = ctx.admin();
      const token = await a.session.token();
      const project = await a.identity.createProject({ name: ctx.name('proj'), domain_id: 'default', tags: ['statsmoln-contract'] });
      ctx.cleanup(() => a.identity.deleteProject(project.id));
      const [adminRole] = await a.identity.listRoles({ name: 'admin' });
      await a.identity.grantRole({ projectId: project.id }, { userId: token.userId }, adminRole?.id as string);
      const clients = a.forProject(project.id);
      ctx.cleanup(async () => clients.close());
      return { project, clients };
    },
  };

  test('the clouds.yaml of the target parses', () => {
    const config = parseCloudsYaml(ctx.target().cloudsYaml, ctx.target().cloudName);
    expect(config.auth.type).toBe('password');
  });

  registerKeystoneContract(ctx);
  registerNovaContract(ctx);
  registerCinderContract(ctx);
  registerNeutronContract(ctx);
}
