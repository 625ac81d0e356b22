import { SimCluster } from './cluster.js';
import { DashboardApi, cherrypyErrorBody } from './dashboard-api.js';
import { FaultInjector } from './faults.js';
import { closeServer, listen, RequestCounter } from './http-util.js';
import { RgwApi } from './rgw-api.js';

/**
 * A Ceph simulator: the dashboard REST API and the RGW Admin Ops API on two loopback ports, over
 * one in-memory cluster, with latency and fault injection per API.
 */

export interface CephSimulatorOptions {
  dashboardPort?: number;
  rgwPort?: number;
  /** Wall clock in ms (token expiry, task times, usage hours). */
  now?: () => number;
  dashboardUser?: string;
  dashboardPassword?: string;
  rgwAccessKey?: string;
  rgwSecretKey?: string;
  /** 30 s like Ceph 16; lower it in tests that list images right after creating them. */
  imageListCacheTtlMs?: number;
  taskDurationMs?: number;
  /** Overrides the endpoints' task waits (2-5 s in Ceph). */
  taskWaitMs?: number;
  /** False: snapshot creation answers like pacific before 16.2.15's `mirrorImageSnapshot` argument. */
  snapshotMirrorArgument?: boolean;
  tokenTtlMs?: number;
  /** Seed of the fault injectors' random draws. */
  seed?: number;
  /** Pools to create at start (with the rbd application), `['rbd']` by default. */
  rbdPools?: string[];
}

export interface RbdImageAddress {
  pool: string;
  namespace?: string;
  name: string;
}

export interface CephSimulator {
  dashboardUrl: string;
  rgwUrl: string;
  dashboardUser: string;
  dashboardPassword: string;
  rgwAccessKey: string;
  rgwSecretKey: string;
  cluster: SimCluster;
  dashboard: DashboardApi;
  rgw: RgwApi;
  dashboardFaults: FaultInjector;
  rgwFaults: FaultInjector;
  /** Writes bytes into an image as a client would (the simulator's `rbd bench --io-type write`). */
  writeImage(image: RbdImageAddress, offset: number, length: number): void;
  /** What `rbd du` reports as used_size for the image. */
  rbdDuUsedBytes(image: RbdImageAddress): number;
  /** Request counts by `<dashboard|rgw> <METHOD> <route pattern> <status>`, for benchmarks. */
  requestCounts(): Record<string, number>;
  resetCounters(): void;
  close(): Promise<void>;
}

/** The dashboard route of a path: object names in it replaced by the parameter names of Ceph's OpenAPI document. */
export function dashboardRoute(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '');
  const [api, resource, second, third, fourth, fifth] = segments;
  if (api !== 'api') return path;
  if (resource === 'pool' && second !== undefined) return ['/api/pool/{pool_name}', ...segments.slice(3)].join('/');
  if (resource === 'block' && second === 'image' && third !== undefined) return ['/api/block/image/{image_spec}', ...segments.slice(4)].join('/');
  if (resource === 'block' && second === 'pool' && third !== undefined) {
    return ['/api/block/pool/{pool_name}', ...(fourth === undefined ? [] : [fourth]), ...(fifth === undefined ? [] : ['{namespace}'])].join('/');
  }
  return path;
}

export const SIMULATED_CEPH_VERSION = 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)';

export async function startCephSimulator(options: CephSimulatorOptions = {}): Promise<CephSimulator> {
  const now = options.now ?? Date.now;
  const cluster = new SimCluster(() => new Date(now()));
  for (const pool of options.rbdPools ?? ['rbd']) cluster.createPool(pool, 8, ['rbd']);
  const dashboardUser = options.dashboardUser ?? 'statsmoln-admin';
  const dashboardPassword = options.dashboardPassword ?? 'simulator-password';
  const dashboard = new DashboardApi(cluster, {
    users: { [dashboardUser]: dashboardPassword },
    now,
    version: SIMULATED_CEPH_VERSION,
    ...(options.imageListCacheTtlMs === undefined ? {} : { imageListCacheTtlMs: options.imageListCacheTtlMs }),
    ...(options.taskDurationMs === undefined ? {} : { taskDurationMs: options.taskDurationMs }),
    ...(options.tokenTtlMs === undefined ? {} : { tokenTtlMs: options.tokenTtlMs }),
    ...(options.taskWaitMs === undefined ? {} : { taskWaitMs: options.taskWaitMs }),
    ...(options.snapshotMirrorArgument === undefined ? {} : { snapshotMirrorArgument: options.snapshotMirrorArgument }),
  });
  const rgw = new RgwApi(now);
  const admin = rgw.addUser(
    'statsmoln-admin',
    'statsmoln admin',
    { users: '*', buckets: '*', usage: '*', metadata: '*', zone: '*' },
    options.rgwAccessKey && options.rgwSecretKey ? { accessKey: options.rgwAccessKey, secretKey: options.rgwSecretKey } : undefined,
  );
  const adminKey = admin.keys[0];
  if (!adminKey) throw new Error('simulator admin user has no key');

  const dashboardFaults = new FaultInjector(options.seed ?? 1);
  const rgwFaults = new FaultInjector((options.seed ?? 1) + 1);
  const dashboardCounter = new RequestCounter('dashboard', dashboardRoute);
  const rgwCounter = new RequestCounter('rgw');
  const dashboardServer = await listen((request) => dashboard.handle(request), dashboardFaults, {
    counter: dashboardCounter,
    ...(options.dashboardPort === undefined ? {} : { port: options.dashboardPort }),
    errorBody: (status) => cherrypyErrorBody(status, 'injected fault'),
  });
  const rgwServer = await listen((request) => rgw.handle(request), rgwFaults, {
    counter: rgwCounter,
    ...(options.rgwPort === undefined ? {} : { port: options.rgwPort }),
    errorBody: (status) => ({ Code: status === 503 ? 'ServiceUnavailable' : 'InternalError', RequestId: 'tx-injected', HostId: 'sim' }),
  });

  return {
    dashboardUrl: dashboardServer.url,
    rgwUrl: rgwServer.url,
    dashboardUser,
    dashboardPassword,
    rgwAccessKey: adminKey.accessKey,
    rgwSecretKey: adminKey.secretKey,
    cluster,
    dashboard,
    rgw,
    dashboardFaults,
    rgwFaults,
    writeImage(image, offset, length) {
      cluster.writeImage(cluster.openImage(image.pool, image.namespace ?? '', image.name), offset, length);
    },
    rbdDuUsedBytes(image) {
      return cluster.usedBytes(cluster.openImage(image.pool, image.namespace ?? '', image.name));
    },
    requestCounts() {
      return { ...dashboardCounter.snapshot(), ...rgwCounter.snapshot() };
    },
    resetCounters() {
      dashboardCounter.reset();
      rgwCounter.reset();
    },
    async close() {
      await Promise.all([closeServer(dashboardServer.server), closeServer(rgwServer.server)]);
    },
  };
}
