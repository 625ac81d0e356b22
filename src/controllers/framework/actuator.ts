import type { KindDefinition } from '../../api/v1alpha1/index.js';
import type { StatsmolnObject } from '../../api/validation/index.js';
import type { Clock, EventRecorder, KubeClient, Logger } from '../../runtime/index.js';
import type { Action } from './action.js';

export const FINALIZER = 'statsmoln.io/cleanup';
export const PAUSED_ANNOTATION = 'statsmoln.io/paused';
export const UID_TAG_KEY = 'statsmoln.io/uid';

/** What every step of a reconcile may use. */
export interface ControllerContext {
  client: KubeClient;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** Aborts on shutdown or lost leadership: stop backend work promptly. */
  signal: AbortSignal;
}

/**
 * Everything a controller knows about its kind; the generic reconciler does the rest (validation,
 * finalizers, pause, Observe mode, conditions, events, drift). `plan` and `planDeletion` are pure.
 */
export interface Actuator<T extends StatsmolnObject, Observed, Payload> {
  readonly definition: KindDefinition;
  /**
   * Other objects the cross-document rules need to judge this one (its tenant, the data centers,
   * sibling quotas), from the informer caches.
   */
  related(object: T): StatsmolnObject[];
  /**
   * Reads the backends. Throws DependencyNotReadyError when something it depends on is not there
   * yet (a partition that is not Ready, a tenant project not yet created).
   */
  observe(object: T, ctx: ControllerContext): Promise<Observed>;
  /** The actions that make the backends match the spec. Pure. */
  plan(object: T, observed: Observed): Array<Action<Payload>>;
  /** The actions the deletion policy asks for when the object is deleted. Pure. */
  planDeletion(object: T, observed: Observed): Array<Action<Payload>>;
  /** Performs one action. */
  apply(action: Action<Payload>, object: T, observed: Observed, ctx: ControllerContext): Promise<void>;
  /** Kind-specific status fields from what was observed (backend ids, sizes, use). */
  status(object: T, observed: Observed): Record<string, unknown>;
  /** Status fields to record once deletion has been carried out (a deletion receipt). */
  deletionStatus?(object: T, observed: Observed, applied: ReadonlyArray<Action<Payload>>): Record<string, unknown>;
}

export function isPaused(object: StatsmolnObject): boolean {
  return object.metadata.annotations?.[PAUSED_ANNOTATION] === 'true';
}

export function isObserveOnly(object: StatsmolnObject): boolean {
  const spec = object.spec as { managementPolicy?: string };
  return spec.managementPolicy === 'Observe';
}
