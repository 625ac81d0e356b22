/**
 * Local mode: the whole system on one machine. The embedded API server (state in dataDir, so the
 * next start resumes), simulators for every example DataCenter, the operator, and the examples
 * applied; progress is reported until every object with a controller is Ready.
 */
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import pino, { type LevelWithSilent } from 'pino';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { findKind } from '../api/v1alpha1/index.js';
import { resourceTypeOf } from '../controllers/framework/index.js';
import { createLogger, KubeClient, kubeConfigForServer, type Condition, type KubeObject } from '../runtime/index.js';
import { defaultRegistrations } from './controllers.js';
import { startSimulatedPlatform, type SimulatedPlatform } from './local-platform.js';
import { applyObject, loadManifests } from './manifests.js';
import { DEFAULT_OPERATOR_NAMESPACE, startOperator, type RunningOperator } from './operator.js';
import type { ControllerRegistration } from './registration.js';

export interface LocalModeOptions {
  /** Persistent state of the API server, the kubeconfig and the operator log. */
  dataDir: string;
  host?: string;
  /** API server port; 0 picks a free one. */
  port?: number;
  crdsDir?: string;
  examplesDir?: string;
  /** Called whenever the table of objects and their readiness changes. */
  onProgress?: (progress: LocalProgress) => void;
  /** Controllers besides the DataCenter's; defaults to the operator's own list. */
  registrations?: ControllerRegistration[];
  /** Level of the operator log, written to <dataDir>/operator.log. */
  logLevel?: LevelWithSilent;
  dataCenterCheckIntervalMs?: number;
  /** How often the table is refreshed. */
  pollIntervalMs?: number;
  /** Time between metering sweeps (default 15 s); collection runs every minute. */
  meteringSampleIntervalMs?: number;
}

export interface LocalProgressRow {
  kind: string;
  namespace?: string;
  name: string;
  ready: 'True' | 'False' | 'Unknown';
  reason: string;
}

export interface LocalProgress {
  rows: LocalProgressRow[];
  allReady: boolean;
}

export interface LocalMode {
  apiUrl: string;
  kubeconfigPath: string;
  /** http://127.0.0.1:<port>/metrics of the operator. */
  metricsUrl: string;
  /** The JSON-lines file sink of usage and lifecycle events: <dataDir>/usage-events.jsonl. */
  usageEventsPath: string;
  operator: RunningOperator;
  platform: SimulatedPlatform;
  /** Objects applied from the examples, with what happened to each. */
  applied: Array<{ kind: string; name: string; result: 'created' | 'updated' | 'unchanged' }>;
  /** Resolves once every object of a kind with a controller is Ready. */
  ready: Promise<LocalProgress>;
  stop(): Promise<void>;
}

/** Kubernetes kinds first, then DataCenters and PriceLists, then tenants, then what lives in their namespaces. */
export const APPLY_ORDER = ['Namespace', 'PriceList', 'DataCenter', 'AgencyTenant', 'ComputeQuota', 'StorageVolume', 'SLA'];

function readyCondition(object: KubeObject): Condition | undefined {
  return ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((condition) => condition.type === 'Ready');
}

export function progressRows(objects: readonly KubeObject[]): LocalProgress {
  const rows = objects
    .map((object): LocalProgressRow => {
      const ready = readyCondition(object);
      const current = ready !== undefined && (object.status as { observedGeneration?: number }).observedGeneration === object.metadata?.generation;
      return {
        kind: object.kind ?? '',
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        name: object.metadata?.name ?? '',
        ready: current ? ready.status : 'Unknown',
        reason: ready?.reason ?? 'Pending',
      };
    })
    .sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return { rows, allReady: rows.length > 0 && rows.every((row) => row.ready === 'True') };
}

/** A fixed-width table: KIND, NAME, READY, REASON. */
export function formatProgressTable(progress: LocalProgress): string {
  const lines = [['KIND', 'NAME', 'READY', 'REASON'], ...progress.rows.map((row) => [row.kind, row.namespace ? `${row.namespace}/${row.name}` : row.name, row.ready, row.reason])];
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  return lines.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const examplesDir = resolve(options.examplesDir ?? 'examples');
  const manifests = await loadManifests([examplesDir], (file) => relative(examplesDir, resolve(file)).split(sep)[0] !== 'invalid');
  const dataCenterManifests = manifests.map((entry) => entry.object).filter((object) => object.kind === 'DataCenter');

  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const api: ApiServer = await startApiServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 6443, dataDir });
    cleanups.push(() => api.close());
    await api.registerCrdsFromDir(resolve(options.crdsDir ?? 'crds'));
    const kubeconfigPath = await api.writeKubeconfig(join(dataDir, 'kubeconfig'));
    const client = new KubeClient({ kubeConfig: kubeConfigForServer(api.url, api.token, api.caData) });

    const platform = await startSimulatedPlatform(dataCenterManifests, DEFAULT_OPERATOR_NAMESPACE);
    cleanups.push(() => platform.stop());

    const applied: LocalMode['applied'] = [];
    const apply = async (object: KubeObject): Promise<void> => {
      applied.push({ kind: object.kind ?? '', name: object.metadata?.name ?? '', result: await applyObject(client, object) });
    };
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEFAULT_OPERATOR_NAMESPACE } });
    for (const secret of platform.secrets) await apply(secret);
    const ordered = [...manifests.map((entry) => entry.object).filter((object) => object.kind !== 'DataCenter'), ...platform.dataCenters].sort(
      (a, b) => APPLY_ORDER.indexOf(a.kind ?? '') - APPLY_ORDER.indexOf(b.kind ?? ''),
    );
    for (const object of ordered) await apply(object);

    const logFile = pino.destination({ dest: join(dataDir, 'operator.log'), sync: false, mkdir: true });
    cleanups.push(async () => {
      logFile.flushSync();
      logFile.end();
    });
    const level = options.logLevel ?? 'info';
    const usageEventsPath = join(dataDir, 'usage-events.jsonl');
    const operator = await startOperator({
      client,
      operatorNamespace: DEFAULT_OPERATOR_NAMESPACE,
      metricsAddress: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: level === 'silent' ? 'fatal' : level, destination: logFile }),
      registrations: options.registrations ?? defaultRegistrations(),
      ...(options.dataCenterCheckIntervalMs !== undefined ? { dataCenterCheckIntervalMs: options.dataCenterCheckIntervalMs } : {}),
      gracefulShutdownTimeoutMs: 10_000,
      metering: {
        directory: join(dataDir, 'metering'),
        source: '/statsmoln/local',
        sinks: [{ kind: 'file', path: usageEventsPath }],
        sampleIntervalMs: options.meteringSampleIntervalMs ?? 15_000,
        collectIntervalMs: 60_000,
      },
    });
    cleanups.push(async () => void (await operator.stop()));

    const watched = operator.kinds.map((kind) => {
      const definition = findKind(kind);
      if (!definition) throw new Error(`no definition for kind ${kind}`);
      return resourceTypeOf(definition);
    });
    let polling = true;
    cleanups.push(async () => void (polling = false));
    const ready = (async (): Promise<LocalProgress> => {
      let last = '';
      while (polling) {
        const objects = (await Promise.all(watched.map(async (type) => (await client.list(type)).items.map((item) => ({ ...item, kind: type.kind }))))).flat();
        const progress = progressRows(objects);
        const text = JSON.stringify(progress);
        if (text !== last) {
          last = text;
          options.onProgress?.(progress);
        }
        if (progress.allReady) return progress;
        await new Promise((done) => setTimeout(done, options.pollIntervalMs ?? 500));
      }
      throw new Error('local mode stopped before every object was Ready');
    })();
    ready.catch(() => undefined);

    return {
      apiUrl: api.url,
      kubeconfigPath,
      metricsUrl: `${operator.serverUrl}/metrics`,
      usageEventsPath,
      operator,
      platform,
      applied,
      ready,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
