import type { Registry } from 'prom-client';
import type { DataCenter, Environment, Partition } from '../../api/v1alpha1/index.js';
import { OpenStackClients } from '../../backends/openstack/index.js';
import { CephBlockStorage, CephDashboardClient } from '../../backends/ceph/index.js';
import type { ConcurrencyLimiter } from '../../backends/http/limiter.js';
import { isNotFound, type KubeClient, type KubeObject, type ResourceType, type SharedInformer } from '../../runtime/index.js';
import { DependencyNotReadyError, InvalidConfigurationError } from './errors.js';

const SECRETS: ResourceType = { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true };

/** The clients of one partition (data center and environment) and its spec. */
export interface PartitionBackends {
  dataCenter: DataCenter;
  partition: Partition;
  openstack: OpenStackClients;
  cephDashboard: CephDashboardClient;
  ceph: CephBlockStorage;
}

export interface BackendRegistryOptions {
  client: KubeClient;
  /** Credentials are read from Secrets in this namespace only. */
  operatorNamespace: string;
  dataCenters: SharedInformer<KubeObject>;
  /**
   * An informer over the Secrets of the operator namespace, read first. Without one, every lookup
   * is a GET: fine for one-shot commands, not for an operator that looks up credentials on every
   * reconcile (two GETs per partition per reconcile).
   */
  secrets?: SharedInformer<KubeObject>;
  timeoutMs?: number;
  metricsRegistry?: Registry;
  /** One cap on backend requests in flight, shared by every partition's clients. */
  limiter?: ConcurrencyLimiter;
}

interface CachedBackends {
  fingerprint: string;
  backends: PartitionBackends;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/**
 * Builds and caches backend clients per partition from the DataCenter spec and the Secrets it
 * references. Clients are rebuilt when the DataCenter's generation or a Secret's resourceVersion
 * changes, so a rotated password takes effect without a restart, and token caches survive otherwise.
 */
export class BackendRegistry {
  private readonly cache = new Map<string, CachedBackends>();

  constructor(private readonly options: BackendRegistryOptions) {}

  /** The informer over the operator namespace's Secrets, when the registry reads them from one. */
  get secretsInformer(): SharedInformer<KubeObject> | undefined {
    return this.options.secrets;
  }

  /**
   * The cached resourceVersion of every Secret the DataCenter references ("-" for one that does
   * not exist): a change means its credentials appeared, changed or went away. Undefined without an
   * informer.
   */
  secretVersions(dataCenter: DataCenter): string | undefined {
    const secrets = this.options.secrets;
    if (!secrets) return undefined;
    return referencedSecrets(dataCenter)
      .map((name) => `${name}=${secrets.store.get(`${this.options.operatorNamespace}/${name}`)?.metadata?.resourceVersion ?? '-'}`)
      .join(',');
  }

  /** The DataCenter from the cache, or DependencyNotReady. */
  dataCenter(name: string): DataCenter {
    const dataCenter = this.options.dataCenters.store.get(name) as unknown as DataCenter | undefined;
    if (!dataCenter) throw new DependencyNotReadyError(`DataCenter "${name}" does not exist`, 'DataCenterNotFound');
    return dataCenter;
  }

  /**
   * Clients of a partition whose DataCenter reports it Ready. Other controllers never act on a
   * partition that is not Ready; they wait and say why.
   */
  async forPartition(dataCenterName: string, environment: Environment): Promise<PartitionBackends> {
    const dataCenter = this.dataCenter(dataCenterName);
    const observed = dataCenter.status?.partitions?.find((entry) => entry.environment === environment);
    if (!observed?.ready) {
      const detail = observed?.services.filter((service) => !service.reachable).map((service) => `${service.service}: ${service.message ?? 'unreachable'}`).join('; ');
      throw new DependencyNotReadyError(
        `partition ${dataCenterName}/${environment} is not Ready${detail ? ` (${detail})` : ''}`,
        'PartitionNotReady',
      );
    }
    return this.connect(dataCenter, environment);
  }

  /** Clients of a partition whatever its readiness (the DataCenter controller's own checks). */
  async connect(dataCenter: DataCenter, environment: Environment): Promise<PartitionBackends> {
    const partition = dataCenter.spec.partitions.find((entry) => entry.environment === environment);
    if (!partition) {
      throw new InvalidConfigurationError(`data center "${dataCenter.metadata.name}" has no ${environment} partition`);
    }
    const cloudsSecret = await this.secret(partition.openstack.cloudsSecretRef.name);
    const cephSecret = await this.secret(partition.ceph.credentialsSecretRef.name);
    const key = `${dataCenter.metadata.name}/${environment}`;
    const fingerprint = [dataCenter.metadata.generation, cloudsSecret.metadata?.resourceVersion, cephSecret.metadata?.resourceVersion].join('|');
    const cached = this.cache.get(key);
    if (cached?.fingerprint === fingerprint) return cached.backends;
    if (cached) closeBackends(cached.backends);

    const cloudsKey = partition.openstack.cloudsSecretRef.key ?? 'clouds.yaml';
    const files = decodeData(cloudsSecret);
    const cloudsYaml = files[cloudsKey];
    if (cloudsYaml === undefined) {
      throw new InvalidConfigurationError(`Secret "${partition.openstack.cloudsSecretRef.name}" has no key "${cloudsKey}"`);
    }
    const openstack = OpenStackClients.fromCloudsYaml(cloudsYaml, partition.openstack.cloud, {
      files,
      regionName: partition.openstack.region,
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.metricsRegistry ? { registry: this.options.metricsRegistry } : {}),
      ...(this.options.limiter ? { limiter: this.options.limiter } : {}),
    });
    const cephData = decodeData(cephSecret);
    const passwordKey = partition.ceph.credentialsSecretRef.key ?? 'password';
    const username = cephData.username;
    const password = cephData[passwordKey];
    if (username === undefined || password === undefined) {
      throw new InvalidConfigurationError(`Secret "${partition.ceph.credentialsSecretRef.name}" needs the keys "username" and "${passwordKey}"`);
    }
    const cephDashboard = new CephDashboardClient({
      url: partition.ceph.dashboardUrl,
      username,
      password,
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.limiter ? { limiter: this.options.limiter } : {}),
    });
    const backends: PartitionBackends = { dataCenter, partition, openstack, cephDashboard, ceph: new CephBlockStorage(cephDashboard) };
    this.cache.set(key, { fingerprint, backends });
    return backends;
  }

  close(): void {
    for (const { backends } of this.cache.values()) closeBackends(backends);
    this.cache.clear();
  }

  private async secret(name: string): Promise<SecretObject> {
    const { secrets, operatorNamespace } = this.options;
    // A miss in the cache is read from the server: the informer can lag behind a Secret just created.
    const cached = secrets?.store.get(`${operatorNamespace}/${name}`) as SecretObject | undefined;
    if (cached) return cached;
    try {
      return await this.options.client.get<SecretObject>(SECRETS, operatorNamespace, name);
    } catch (error) {
      if (isNotFound(error)) {
        throw new DependencyNotReadyError(`Secret "${name}" does not exist in namespace ${this.options.operatorNamespace}`, 'SecretNotFound');
      }
      throw error;
    }
  }
}

/**
 * The names of the Secrets a DataCenter's partitions reference, sorted, each once. Cached objects
 * are not validated yet, so a malformed one gives what it names.
 */
export function referencedSecrets(dataCenter: DataCenter): string[] {
  const partitions: Array<Partial<DataCenter['spec']['partitions'][number]>> = dataCenter.spec?.partitions ?? [];
  const names = partitions.flatMap((partition) => [partition.openstack?.cloudsSecretRef?.name, partition.ceph?.credentialsSecretRef?.name]);
  return [...new Set(names.filter((name): name is string => typeof name === 'string'))].sort();
}

function closeBackends(backends: PartitionBackends): void {
  backends.openstack.close();
  backends.cephDashboard.close();
}

function decodeData(secret: SecretObject): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}
