import { isConditionTrue, isBeingDeleted, MAX_EVENT_NOTE_BYTES, Result, setReadiness, setCondition, removeCondition, updateStatusWithRetry, updateWithRetry } from '../../runtime/index.js';
import type { Condition, KubeObject, ReconcileContext, ReconcileResult, Readiness, ResourceType, SharedInformer } from '../../runtime/index.js';
import { formatPath, validateObjects, type StatsmolnObject } from '../../api/validation/index.js';
import { describeActions, groupByVerb, isWrite, summarizeActions, type Action, type Verb } from './action.js';
import { FINALIZER, isObserveOnly, isPaused, type Actuator, type ControllerContext } from './actuator.js';
import { validateCached } from './validation-memo.js';
import { classifyError, DependencyNotReadyError, errorMessage, errorReason, InvalidConfigurationError } from './errors.js';
import type { ControllerMetrics } from './metrics.js';

export const CONDITION_PAUSED = 'Paused';

export interface ResourceReconcilerOptions<T extends StatsmolnObject, Observed, Payload> {
  actuator: Actuator<T, Observed, Payload>;
  informer: SharedInformer<KubeObject>;
  type: ResourceType;
  context: Omit<ControllerContext, 'signal' | 'logger'>;
  metrics: ControllerMetrics;
}

const EVENT_REASON: Record<Verb, string> = {
  create: 'Created',
  update: 'Updated',
  delete: 'Deleted',
  snapshot: 'Snapshotted',
  retain: 'Retained',
};

type StatusFields = Record<string, unknown>;

/**
 * The reconcile loop every statsmoln kind shares: read from the cache, honour deletion, validate,
 * honour pause and Observe, observe -> plan -> apply, then write conditions and status.
 */
export function resourceReconciler<T extends StatsmolnObject, Observed, Payload>(
  options: ResourceReconcilerOptions<T, Observed, Payload>,
): (rc: ReconcileContext) => Promise<ReconcileResult> {
  const { actuator, informer, type, metrics } = options;
  const kind = actuator.definition.kind;
  // The resourceVersion of this controller's last write per key: a cached object that carries it
  // (or that was never written here) is current enough to write status from without a GET.
  const lastWritten = new Map<string, string>();

  return async (rc) => {
    const cached = informer.store.get(rc.key) as unknown as T | undefined;
    if (!cached) {
      lastWritten.delete(rc.key);
      return Result.done();
    }
    const object = structuredClone(cached);
    const ctx: ControllerContext = { ...options.context, logger: rc.logger, signal: rc.signal };
    const cachedVersion = cached.metadata.resourceVersion;
    const known: KnownObject = {
      current: (lastWritten.get(rc.key) ?? cachedVersion) === cachedVersion ? (cached as unknown as KubeObject) : undefined,
      wrote: (written) => {
        known.current = written;
        if (written.metadata?.resourceVersion) lastWritten.set(rc.key, written.metadata.resourceVersion);
      },
      ownWrite: (written) => {
        if (written.metadata?.resourceVersion) rc.wrote(written.metadata.resourceVersion);
      },
    };
    const writeStatus = (readiness: Readiness, fields: StatusFields = {}, paused = false) =>
      updateStatus(ctx, type, object, readiness, fields, paused, known);

    if (isBeingDeleted(object as unknown as KubeObject)) return finalize(object, ctx, known);

    // The cached object, not the clone: same content, and its checks are memoized per version.
    const invalid = validationFailures(cached, actuator.related(object));
    if (invalid) {
      await writeStatus({ state: 'stalled', reason: 'InvalidConfiguration', message: invalid });
      return Result.terminalError(new InvalidConfigurationError(invalid));
    }
    if (isPaused(object)) {
      await writeStatus(currentReadiness(object), {}, true);
      return Result.done();
    }
    const observeOnly = isObserveOnly(object);
    try {
      let observed = await observeWithFinalizer(object, ctx, known, observeOnly);
      const actions = actuator.plan(object, observed);
      const writes = actions.filter(isWrite);
      if (observeOnly) {
        const readiness: Readiness =
          writes.length === 0
            ? { state: 'ready', reason: 'Observed', message: 'managementPolicy Observe: backends match the spec' }
            : { state: 'stalled', reason: 'ObservedDifference', message: `managementPolicy Observe: ${summarizeActions(writes)} needed; not acting` };
        await writeStatus(readiness, actuator.status(object, observed));
        return Result.done();
      }
      if (writes.length > 0 && wasReady(object)) {
        metrics.driftDetected.inc({ kind });
        await ctx.events.record(object as unknown as KubeObject, 'Warning', 'DriftDetected', 'Reconcile', `backends differ from the spec: ${summarizeActions(writes)}`);
      }
      await applyAll(actions, object, observed, ctx);
      if (writes.length > 0) {
        observed = await actuator.observe(object, ctx);
        const remaining = actuator.plan(object, observed).filter(isWrite);
        if (remaining.length > 0) {
          await writeStatus(
            { state: 'reconciling', reason: 'Progressing', message: `${summarizeActions(remaining)} still to do` },
            actuator.status(object, observed),
          );
          return Result.requeue();
        }
      }
      await writeStatus({ state: 'ready', reason: 'Reconciled', message: 'backends match the spec' }, actuator.status(object, observed));
      return Result.done();
    } catch (error) {
      return failed(error, writeStatus);
    }
  };

  /**
   * Observes, and adds the finalizer before anything can act on the backends. An object whose
   * dependency is not ready yet (its tenant has no project in the partition) has neither created
   * nor adopted anything, so it waits without one: at a GitOps sync that creates a tenant with its
   * quotas and volumes, those then make one write each (the waiting condition) instead of two while
   * the tenants, which they wait for, need the API server and the operator's CPU.
   */
  async function observeWithFinalizer(object: T, ctx: ControllerContext, known: KnownObject, observeOnly: boolean): Promise<Observed> {
    let observed: Observed;
    try {
      observed = await actuator.observe(object, ctx);
    } catch (error) {
      if (!observeOnly && !(error instanceof DependencyNotReadyError)) await ensureFinalizer(ctx, type, object, known);
      throw error;
    }
    if (!observeOnly) await ensureFinalizer(ctx, type, object, known);
    return observed;
  }

  /**
   * Applies the actions in order and records what was done as one event per verb (a tenant's first
   * reconcile creates some thirty backend objects: one "Created" event lists them, where an event
   * per action would flood `kubectl describe` and the API server). Actions done before a failure
   * are still recorded.
   */
  async function applyAll(actions: ReadonlyArray<Action<Payload>>, object: T, observed: Observed, ctx: ControllerContext): Promise<Array<Action<Payload>>> {
    const applied: Array<Action<Payload>> = [];
    try {
      for (const action of actions) {
        try {
          await actuator.apply(action, object, observed, ctx);
          metrics.backendActions.inc({ kind, verb: action.verb, result: 'success' });
        } catch (error) {
          metrics.backendActions.inc({ kind, verb: action.verb, result: 'error' });
          throw error;
        }
        applied.push(action);
      }
    } finally {
      for (const [verb, done] of groupByVerb(applied)) {
        await ctx.events.record(object as unknown as KubeObject, 'Normal', EVENT_REASON[verb], verb, describeActions(done, MAX_EVENT_NOTE_BYTES));
      }
    }
    return applied;
  }

  async function finalize(object: T, ctx: ControllerContext, known: KnownObject): Promise<ReconcileResult> {
    const meta = object as unknown as KubeObject;
    if (!object.metadata.finalizers?.includes(FINALIZER)) return Result.done();
    try {
      let applied: Array<Action<Payload>> = [];
      let deletionFields: StatusFields = {};
      if (!isObserveOnly(object)) {
        const observed = await actuator.observe(object, ctx);
        applied = await applyAll(actuator.planDeletion(object, observed), object, observed, ctx);
        deletionFields = actuator.deletionStatus?.(object, observed, applied) ?? {};
      }
      if (Object.keys(deletionFields).length > 0) {
        await updateStatus(ctx, type, object, { state: 'reconciling', reason: 'Deleting', message: summarizeActions(applied) || 'nothing to delete' }, deletionFields, false, known);
      }
      await updateWithRetry(
        ctx.client,
        type,
        object.metadata.namespace,
        object.metadata.name,
        (fresh) => {
          fresh.metadata!.finalizers = (fresh.metadata?.finalizers ?? []).filter((finalizer) => finalizer !== FINALIZER);
        },
        { onWrite: known.ownWrite },
      );
      await ctx.events.record(meta, 'Normal', 'Finalized', 'Delete', summarizeActions(applied) || 'no backend action');
      return Result.done();
    } catch (error) {
      return failed(error, (readiness) => updateStatus(ctx, type, object, readiness, {}, false, known));
    }
  }
}

async function failed(error: unknown, writeStatus: (readiness: Readiness) => Promise<unknown>): Promise<ReconcileResult> {
  const message = errorMessage(error);
  if (error instanceof DependencyNotReadyError) {
    await writeStatus({ state: 'reconciling', reason: error.reason, message });
    return Result.requeueAfter(error.retryAfterMs);
  }
  const reason = errorReason(error);
  if (classifyError(error) === 'terminal') {
    await writeStatus({ state: 'stalled', reason, message });
    return Result.terminalError(error instanceof Error ? error : new Error(message));
  }
  await writeStatus({ state: 'reconciling', reason, message });
  return Result.transientError(error instanceof Error ? error : new Error(message));
}

/**
 * Errors of the object's own rules and of the cross-document rules against related objects. The set
 * is ordered by creation, as a cluster's history is, so that rules that flag the later of two
 * conflicting objects (a second quota for one partition) flag the newer one, whichever is reconciled.
 */
function validationFailures(object: StatsmolnObject, related: StatsmolnObject[]): string | undefined {
  const others = related.filter((item) => !(item.kind === object.kind && item.metadata.name === object.metadata.name && item.metadata.namespace === object.metadata.namespace));
  const set = [...others, object].sort(creationOrder);
  const issues = validateObjects(set.map((item) => item as unknown as Record<string, unknown>), validateCached)[set.indexOf(object)] ?? [];
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (errors.length === 0) return undefined;
  return errors.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

/**
 * creationTimestamp has whole seconds, so two objects made in the same second tie; then the one
 * already Ready holds its place (a newcomer must not displace it), and only then the name decides.
 */
export function creationOrder(a: StatsmolnObject, b: StatsmolnObject): number {
  const time = (item: StatsmolnObject) => item.metadata.creationTimestamp ?? '9999';
  const notReady = (item: StatsmolnObject) => (isConditionTrue(statusOf(item).conditions, 'Ready') ? 0 : 1);
  return time(a).localeCompare(time(b)) || notReady(a) - notReady(b) || a.metadata.name.localeCompare(b.metadata.name);
}

function statusOf(object: StatsmolnObject): { conditions?: Condition[]; observedGeneration?: number } {
  return (object.status ?? {}) as { conditions?: Condition[]; observedGeneration?: number };
}

function wasReady(object: StatsmolnObject): boolean {
  const status = statusOf(object);
  return status.observedGeneration === object.metadata.generation && isConditionTrue(status.conditions, 'Ready');
}

/** The readiness the object already has, so that pausing does not rewrite it. */
function currentReadiness(object: StatsmolnObject): Readiness {
  const ready = statusOf(object).conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status === 'True') return { state: 'ready', reason: ready.reason, message: ready.message };
  return { state: 'reconciling', reason: ready?.reason ?? 'Paused', message: ready?.message ?? 'paused before the first reconcile' };
}

/** The object as the server last had it, if known within this reconcile, and how to record a write. */
interface KnownObject {
  current: KubeObject | undefined;
  wrote(written: KubeObject): void;
  /** Reports a write this reconcile made, so that its watch event does not start another one. */
  ownWrite(written: KubeObject): void;
}

async function ensureFinalizer(ctx: ControllerContext, type: ResourceType, object: StatsmolnObject, known: KnownObject): Promise<void> {
  if (object.metadata.finalizers?.includes(FINALIZER)) return;
  const updated = await updateWithRetry(
    ctx.client,
    type,
    object.metadata.namespace,
    object.metadata.name,
    (fresh) => {
      const finalizers = fresh.metadata?.finalizers ?? [];
      if (finalizers.includes(FINALIZER)) return false;
      fresh.metadata!.finalizers = [...finalizers, FINALIZER];
    },
    { ...(known.current ? { start: known.current } : {}), onWrite: known.ownWrite },
  );
  known.wrote(updated);
  object.metadata.finalizers = updated.metadata?.finalizers ?? [FINALIZER];
  object.metadata.resourceVersion = updated.metadata?.resourceVersion;
}

async function updateStatus(
  ctx: ControllerContext,
  type: ResourceType,
  object: StatsmolnObject,
  readiness: Readiness,
  fields: StatusFields,
  paused: boolean,
  known: KnownObject,
): Promise<void> {
  const now = ctx.clock.now();
  const start = known.current;
  const written = await updateStatusWithRetry(ctx.client, type, object.metadata.namespace, object.metadata.name, (fresh) => {
    const status = { ...((fresh.status ?? {}) as StatusFields), ...fields } as { conditions?: Condition[]; observedGeneration?: number };
    // The generation this reconcile acted on, not the fresh one: a spec change made meanwhile is not yet done.
    const generation = object.metadata.generation;
    let conditions = setReadiness(status.conditions, readiness, generation, now).conditions;
    conditions = paused
      ? setCondition(conditions, { type: CONDITION_PAUSED, status: 'True', reason: 'Paused', message: 'statsmoln.io/paused is "true": no backend writes', observedGeneration: generation }, now).conditions
      : removeCondition(conditions, CONDITION_PAUSED).conditions;
    status.conditions = conditions;
    status.observedGeneration = generation;
    fresh.status = status;
  }, { ...(start ? { start } : {}), onWrite: known.ownWrite });
  if (written !== start) known.wrote(written);
}
