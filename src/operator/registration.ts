/**
 * How a controller plugs into the operator and into `statsmoln plan`: one registration per kind,
 * type-erased so that a list of them can hold actuators of different kinds.
 */
import type { StatsmolnObject } from '../api/validation/index.js';
import {
  resourceReconciler,
  resourceTypeOf,
  type Action,
  type Actuator,
  type BackendRegistry,
  type ControllerContext,
  type ControllerMetrics,
} from '../controllers/framework/index.js';
import { isBeingDeleted, type KubeObject, type Manager } from '../runtime/index.js';
import { dependentsOfDataCenter, dependentsOfTenant } from './dependents.js';
import { informerForKind, type OperatorInformers } from './informers.js';

/** What every actuator factory receives: `create<Kind>Actuator(deps)`. */
export interface ActuatorDeps {
  registry: BackendRegistry;
  informers: OperatorInformers;
}

/** What a registration needs to add its controller to a running operator. */
export interface OperatorEnvironment {
  manager: Manager;
  deps: ActuatorDeps;
  controllerMetrics: ControllerMetrics;
  /** Workers per controller. */
  concurrency: number;
}

/** Observe then plan, never apply: what `statsmoln plan` runs for one object. */
export interface Planner {
  readonly kind: string;
  /** Related objects the cross-document validation rules need. */
  related(object: KubeObject): KubeObject[];
  plan(object: KubeObject, ctx: ControllerContext): Promise<Action[]>;
}

export interface ControllerRegistration {
  /** Adds the kind's controller to the manager (before it starts); returns the kind. */
  register(env: OperatorEnvironment): string;
  planner(deps: ActuatorDeps): Planner;
}

/** Erases an actuator's type parameters behind a Planner (observe + plan, or planDeletion). */
export function plannerOf<T extends StatsmolnObject, Observed, Payload>(actuator: Actuator<T, Observed, Payload>): Planner {
  return {
    kind: actuator.definition.kind,
    related: (object) => actuator.related(object as unknown as T) as unknown as KubeObject[],
    async plan(object, ctx) {
      const typed = object as unknown as T;
      const observed = await actuator.observe(typed, ctx);
      const actions = isBeingDeleted(object) ? actuator.planDeletion(typed, observed) : actuator.plan(typed, observed);
      return actions as Action[];
    },
  };
}

/**
 * The registration of any actuator: its controller runs the shared `resourceReconciler` over the
 * kind's shared informer. At merge each kind plugs in with one line, e.g.
 * `actuatorRegistration(createComputeQuotaActuator)`.
 */
export function actuatorRegistration<T extends StatsmolnObject, Observed, Payload>(
  create: (deps: ActuatorDeps) => Actuator<T, Observed, Payload>,
): ControllerRegistration {
  return {
    register(env) {
      const actuator = create(env.deps);
      const kind = actuator.definition.kind;
      const type = resourceTypeOf(actuator.definition);
      const informer = informerForKind(env.deps.informers, kind);
      const controller = env.manager.addController({
        name: kind.toLowerCase(),
        type,
        maxConcurrentReconciles: env.concurrency,
        reconcile: resourceReconciler({
          actuator,
          informer,
          type,
          context: { client: env.manager.client, events: env.manager.events, clock: env.manager.clock },
          metrics: env.controllerMetrics,
        }),
      });
      if (kind !== 'DataCenter') controller.watches(env.deps.informers.dataCenters, dependentsOfDataCenter(informer));
      if (actuator.definition.scope === 'Namespaced') controller.watches(env.deps.informers.tenants, dependentsOfTenant(informer, env.deps.informers.tenants));
      return kind;
    },
    planner: (deps) => plannerOf(create(deps)),
  };
}
