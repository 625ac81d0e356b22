/**
 * The DataCenter controller: checks every partition's backends and reports them in
 * status.partitions and the Ready condition; other controllers gate on that
 * (BackendRegistry.forPartition). It never writes to a backend, so it has no finalizer.
 */
import { dataCenterDefinition, type DataCenter } from '../../api/v1alpha1/index.js';
import { formatPath, validateObjects } from '../../api/validation/index.js';
import {
  Result,
  setReadiness,
  updateStatusWithRetry,
  type Condition,
  objectKey,
  type KeyMapper,
  type KubeObject,
  type ReconcileContext,
  type SharedInformer,
  type ReconcileResult,
  type Readiness,
} from '../../runtime/index.js';
import type { ActuatorDeps, ControllerRegistration } from '../../operator/registration.js';
import { plannerOf } from '../../operator/registration.js';
import { referencedSecrets, resourceTypeOf, type Actuator, type ControllerContext } from '../framework/index.js';
import { applyDataCenter } from './apply.js';
import { observeDataCenter, type DataCenterObservation } from './observe.js';
import { dataCenterReadiness, planDataCenter } from './plan.js';
import { dataCenterStatus } from './status.js';

export { checkCeph, checkOpenStack, versionDocumentUrl, versionFromDocument, PARTITION_SERVICES } from './checks.js';
export type { ServiceCheck, PartitionService } from './checks.js';
export { observeDataCenter, type DataCenterObservation, type PartitionObservation } from './observe.js';
export { dataCenterReadiness, planDataCenter } from './plan.js';
export { dataCenterStatus } from './status.js';

export const DEFAULT_CHECK_INTERVAL_MS = 60_000;
const DATACENTERS = resourceTypeOf(dataCenterDefinition);

/** The DataCenter as an actuator (observe = backend checks, plan always empty), for `statsmoln plan`. */
export function createDataCenterActuator(deps: ActuatorDeps): Actuator<DataCenter, DataCenterObservation, never> {
  return {
    definition: dataCenterDefinition,
    related: () => [],
    observe: (dataCenter, ctx) => observeDataCenter(deps.registry, dataCenter, ctx.clock.now(), ctx.signal),
    plan: () => planDataCenter(),
    planDeletion: () => planDataCenter(),
    apply: (action) => applyDataCenter(action),
    status: (_dataCenter, observed) => dataCenterStatus(observed),
  };
}

export interface DataCenterControllerOptions {
  /** How often each DataCenter's backends are checked again. */
  checkIntervalMs?: number;
}

interface DataCenterStatusFields {
  observedGeneration?: number;
  conditions?: Condition[];
  partitions?: Array<{ lastCheckTime?: string }>;
}

/** When the last complete check of this generation happened, or undefined if it must run now. */
function lastCheckMs(dataCenter: DataCenter): number | undefined {
  const status = (dataCenter.status ?? {}) as DataCenterStatusFields;
  if (status.observedGeneration !== dataCenter.metadata.generation) return undefined;
  const partitions = status.partitions ?? [];
  if (partitions.length !== dataCenter.spec.partitions.length) return undefined;
  const times = partitions.map((partition) => Date.parse(partition.lastCheckTime ?? ''));
  if (times.some((time) => Number.isNaN(time))) return undefined;
  return Math.min(...times);
}

/**
 * Reconciles one DataCenter: validates it, checks its partitions unless a check of this generation
 * is fresher than the interval (status writes re-trigger the controller) and the Secrets it
 * references are as they were at that check, writes status and Ready, and comes back after the
 * interval.
 */
export function dataCenterReconciler(deps: ActuatorDeps, context: Omit<ControllerContext, 'signal' | 'logger'>, options: DataCenterControllerOptions = {}) {
  const intervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const actuator = createDataCenterActuator(deps);
  // The referenced Secrets' versions at each DataCenter's last check (or, after a restart, when it
  // was first seen): a Secret that appears or changes makes the check due at once.
  const checkedSecrets = new Map<string, string>();
  return async (rc: ReconcileContext): Promise<ReconcileResult> => {
    const cached = deps.informers.dataCenters.store.get(rc.key) as unknown as DataCenter | undefined;
    if (!cached || cached.metadata.deletionTimestamp) {
      checkedSecrets.delete(rc.key);
      return Result.done();
    }
    const dataCenter = structuredClone(cached);
    const ctx: ControllerContext = { ...context, logger: rc.logger, signal: rc.signal };
    const now = ctx.clock.now();
    const last = lastCheckMs(dataCenter);
    const secrets = deps.registry.secretVersions(dataCenter);
    const checkedWith = checkedSecrets.get(rc.key);
    const secretsChanged = secrets !== undefined && checkedWith !== undefined && checkedWith !== secrets;
    if (secrets !== undefined) checkedSecrets.set(rc.key, secrets);
    if (last !== undefined && now - last < intervalMs && !secretsChanged) return Result.requeueAfter(intervalMs - (now - last));

    const [issues = []] = validateObjects([dataCenter as unknown as Record<string, unknown>]);
    const errors = issues.filter((issue) => issue.severity === 'error');
    if (errors.length > 0) {
      const message = errors.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
      await writeStatus(ctx, dataCenter, { state: 'stalled', reason: 'InvalidConfiguration', message }, {});
      return Result.done();
    }
    const observed = await actuator.observe(dataCenter, ctx);
    const readiness = dataCenterReadiness(observed);
    await writeStatus(ctx, dataCenter, readiness, actuator.status(dataCenter, observed));
    const notReady = observed.partitions.filter((partition) => !partition.ready).map((partition) => partition.environment);
    if (notReady.length > 0) {
      rc.logger.info({ dataCenter: dataCenter.metadata.name, notReady }, 'data center partitions not ready');
    }
    return Result.requeueAfter(intervalMs);
  };
}

async function writeStatus(ctx: ControllerContext, dataCenter: DataCenter, readiness: Readiness, fields: Record<string, unknown>): Promise<void> {
  const previous = ((dataCenter.status ?? {}) as DataCenterStatusFields).conditions?.find((condition) => condition.type === 'Ready');
  await updateStatusWithRetry<KubeObject>(ctx.client, DATACENTERS, undefined, dataCenter.metadata.name, (fresh) => {
    const status = { ...((fresh.status ?? {}) as Record<string, unknown>), ...fields } as DataCenterStatusFields & Record<string, unknown>;
    status.conditions = setReadiness(status.conditions, readiness, fresh.metadata?.generation, ctx.clock.now()).conditions;
    status.observedGeneration = fresh.metadata?.generation;
    fresh.status = status;
  });
  const nowReady = readiness.state === 'ready';
  if (previous && (previous.status === 'True') !== nowReady) {
    await ctx.events.record(dataCenter as unknown as KubeObject, nowReady ? 'Normal' : 'Warning', nowReady ? 'PartitionsReady' : 'PartitionNotReady', 'Check', readiness.message ?? '');
  }
}

/** The DataCenters that reference a Secret, so that its creation or rotation is checked at once. */
export function dataCentersUsingSecret(dataCenters: SharedInformer<KubeObject>): KeyMapper {
  return (secret) => {
    const name = secret.metadata?.name;
    if (!name) return [];
    return dataCenters.store
      .list()
      .filter((object) => referencedSecrets(object as unknown as DataCenter).includes(name))
      .map(objectKey);
  };
}

/** The DataCenter's registration in the operator and in `statsmoln plan`. */
export function dataCenterRegistration(options: DataCenterControllerOptions = {}): ControllerRegistration {
  return {
    register(env) {
      const controller = env.manager.addController({
        name: 'datacenter',
        type: DATACENTERS,
        maxConcurrentReconciles: env.concurrency,
        reconcile: dataCenterReconciler(env.deps, { client: env.manager.client, events: env.manager.events, clock: env.manager.clock }, options),
      });
      const secrets = env.deps.registry.secretsInformer;
      if (secrets) controller.watches(secrets, dataCentersUsingSecret(env.deps.informers.dataCenters));
      return dataCenterDefinition.kind;
    },
    planner: (deps) => plannerOf(createDataCenterActuator(deps)),
  };
}
