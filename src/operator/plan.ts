/**
 * `statsmoln plan`: for the given manifests (or the cluster's current objects), every registered
 * actuator's observe + plan, never apply. Manifests overlay the cluster's objects, keeping the
 * cluster's status, so that the plan sees the same partition readiness the operator would.
 */
import { findKind } from '../api/v1alpha1/index.js';
import { formatPath, validateObjects } from '../api/validation/index.js';
import {
  actionJson,
  BackendRegistry,
  errorMessage,
  formatAction,
  resourceTypeOf,
  summarizeActions,
  type Action,
  type ControllerContext,
} from '../controllers/framework/index.js';
import { dataCenterRegistration } from '../controllers/datacenter/index.js';
import { EventRecorder, objectKey, RealClock, SharedInformer, silentLogger, type Clock, type KubeClient, type KubeObject, type Logger } from '../runtime/index.js';
import { definitionOfInformer, informerForKind, type OperatorInformers } from './informers.js';
import type { ActuatorDeps, ControllerRegistration, Planner } from './registration.js';

export interface PlanOptions {
  client: KubeClient;
  operatorNamespace: string;
  /** Controllers besides the DataCenter's. */
  registrations: ControllerRegistration[];
  /** Plan these objects (overlaying the cluster's); omit to plan every object in the cluster. */
  manifests?: KubeObject[];
  backendTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface ObjectPlan {
  kind: string;
  namespace?: string;
  name: string;
  actions: Action[];
  /** Why no plan could be made (invalid configuration, a partition not Ready, a backend error). */
  error?: string;
}

const FIELDS: ReadonlyArray<keyof OperatorInformers> = ['dataCenters', 'tenants', 'priceLists', 'quotas', 'volumes', 'slas'];

/** Informers that are never run: their stores hold the cluster's objects overlaid with the manifests. */
async function seededInformers(client: KubeClient, clock: Clock, logger: Logger, manifests: readonly KubeObject[] | undefined): Promise<OperatorInformers> {
  const entries = await Promise.all(
    FIELDS.map(async (field) => {
      const type = resourceTypeOf(definitionOfInformer(field));
      const informer = new SharedInformer<KubeObject>({ client, type, clock, logger });
      for (const item of (await client.list<KubeObject>(type)).items) informer.store.upsert({ ...item, apiVersion: `${type.group}/${type.version}`, kind: type.kind });
      return [field, informer] as const;
    }),
  );
  const informers = Object.fromEntries(entries) as unknown as OperatorInformers;
  for (const object of manifests ?? []) {
    const informer = informerForKind(informers, object.kind ?? '');
    const existing = informer.store.get(objectKey(object));
    informer.store.upsert({ ...structuredClone(object), ...(existing?.status !== undefined ? { status: existing.status } : {}) } as KubeObject);
  }
  return informers;
}

/** An event recorder whose writes always fail (and are only logged): plan never writes. */
function noEvents(clock: Clock, logger: Logger): EventRecorder {
  const refuse = (): Promise<never> => Promise.reject(new Error('statsmoln plan records no events'));
  return new EventRecorder({ client: { create: refuse, patch: refuse }, clock, logger, controller: 'statsmoln.io/plan', instance: 'plan' });
}

function validationError(object: KubeObject, planner: Planner): string | undefined {
  const [issues = []] = validateObjects([object, ...planner.related(object)] as unknown as Array<Record<string, unknown>>);
  const errors = issues.filter((issue) => issue.severity === 'error');
  return errors.length > 0 ? `invalid: ${errors.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ')}` : undefined;
}

export async function computePlan(options: PlanOptions): Promise<ObjectPlan[]> {
  const clock = options.clock ?? new RealClock();
  const logger = options.logger ?? silentLogger();
  const manifests = options.manifests?.filter((object) => object.apiVersion?.startsWith('statsmoln.io/') && findKind(object.kind ?? ''));
  const informers = await seededInformers(options.client, clock, logger, manifests);
  const registry = new BackendRegistry({
    client: options.client,
    operatorNamespace: options.operatorNamespace,
    dataCenters: informers.dataCenters,
    timeoutMs: options.backendTimeoutMs ?? 30_000,
  });
  const deps: ActuatorDeps = { registry, informers };
  const planners = new Map<string, Planner>();
  for (const registration of [dataCenterRegistration(), ...options.registrations]) {
    const planner = registration.planner(deps);
    planners.set(planner.kind, planner);
  }
  const ctx: ControllerContext = {
    client: options.client,
    events: noEvents(clock, logger),
    clock,
    logger,
    signal: options.signal ?? new AbortController().signal,
  };
  const targets = manifests
    ? manifests.map((object) => informerForKind(informers, object.kind ?? '').store.get(objectKey(object))!)
    : [...planners.keys()].flatMap((kind) => informerForKind(informers, kind).store.list());
  const plans: ObjectPlan[] = [];
  try {
    for (const object of targets) {
      const kind = object.kind ?? '';
      const planner = planners.get(kind);
      if (!planner) continue;
      const identity = { kind, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}), name: object.metadata?.name ?? '' };
      const invalid = validationError(object, planner);
      if (invalid) {
        plans.push({ ...identity, actions: [], error: invalid });
        continue;
      }
      try {
        plans.push({ ...identity, actions: await planner.plan(structuredClone(object), ctx) });
      } catch (error) {
        plans.push({ ...identity, actions: [], error: errorMessage(error) });
      }
    }
  } finally {
    registry.close();
  }
  return plans;
}

const label = (plan: ObjectPlan): string => `${plan.kind} ${plan.namespace ? `${plan.namespace}/` : ''}${plan.name}`;

/** The readable diff: one block per object, then a summary line. */
export function formatPlan(plans: readonly ObjectPlan[]): string {
  const lines: string[] = [];
  for (const plan of plans) {
    if (plan.error) lines.push(`! ${label(plan)}: cannot plan: ${plan.error}`);
    else if (plan.actions.length === 0) lines.push(`  ${label(plan)}: no changes`);
    else {
      lines.push(`~ ${label(plan)}: ${summarizeActions(plan.actions)}`);
      for (const action of plan.actions) lines.push(...formatAction(action).map((line) => `    ${line}`));
    }
  }
  const actions = plans.flatMap((plan) => plan.actions);
  const failed = plans.filter((plan) => plan.error).length;
  lines.push('');
  lines.push(
    `Plan: ${actions.length === 0 ? 'no changes' : summarizeActions(actions)} over ${plans.length} object${plans.length === 1 ? '' : 's'}` +
      (failed > 0 ? `; ${failed} could not be planned` : ''),
  );
  return lines.join('\n');
}

export function planJson(plans: readonly ObjectPlan[]): unknown {
  return {
    objects: plans.map((plan) => ({ ...plan, actions: plan.actions.map(actionJson) })),
    summary: {
      objects: plans.length,
      actions: plans.reduce((total, plan) => total + plan.actions.length, 0),
      failed: plans.filter((plan) => plan.error).length,
    },
  };
}
