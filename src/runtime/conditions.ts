/**
 * metav1.Condition helpers with Kubernetes semantics: lastTransitionTime changes only when the
 * status changes; observedGeneration records the generation the condition describes.
 * Readiness follows kstatus: `Ready`, plus abnormal-true `Reconciling` and `Stalled`.
 */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
  observedGeneration?: number;
}

export const CONDITION_READY = 'Ready';
export const CONDITION_RECONCILING = 'Reconciling';
export const CONDITION_STALLED = 'Stalled';

const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE_LENGTH = 32768;

/** Time in metav1.Time form (RFC 3339, second precision). */
export function conditionTime(nowMs: number): string {
  return new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * Returns the conditions with `input` set (a new array; the input is not modified) and whether
 * anything changed. The transition time moves only when the status changes.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  nowMs: number,
): { conditions: Condition[]; changed: boolean } {
  if (!REASON_PATTERN.test(input.reason) || input.reason.length > 1024) {
    throw new Error(`invalid condition reason ${JSON.stringify(input.reason)}: must be CamelCase`);
  }
  const message = (input.message ?? '').slice(0, MAX_MESSAGE_LENGTH);
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const existing = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message,
    lastTransitionTime:
      existing && existing.status === input.status ? existing.lastTransitionTime : conditionTime(nowMs),
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
  };
  const changed =
    !existing ||
    existing.status !== next.status ||
    existing.reason !== next.reason ||
    existing.message !== next.message ||
    existing.observedGeneration !== next.observedGeneration;
  if (index >= 0) list[index] = next;
  else list.push(next);
  return { conditions: list, changed };
}

export function removeCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): { conditions: Condition[]; changed: boolean } {
  const list = (conditions ?? []).filter((c) => c.type !== type);
  return { conditions: list, changed: list.length !== (conditions?.length ?? 0) };
}

export type Readiness =
  | { state: 'ready'; reason: string; message?: string }
  | { state: 'reconciling'; reason: string; message?: string }
  | { state: 'stalled'; reason: string; message?: string };

/**
 * Sets Ready/Reconciling/Stalled consistently for kstatus: ready removes both abnormal
 * conditions; reconciling and stalled are mutually exclusive and make Ready False.
 */
export function setReadiness(
  conditions: readonly Condition[] | undefined,
  readiness: Readiness,
  observedGeneration: number | undefined,
  nowMs: number,
): { conditions: Condition[]; changed: boolean } {
  let changed = false;
  let list = [...(conditions ?? [])];
  const apply = (result: { conditions: Condition[]; changed: boolean }): void => {
    list = result.conditions;
    changed = changed || result.changed;
  };
  const base = { reason: readiness.reason, message: readiness.message ?? '', observedGeneration };
  switch (readiness.state) {
    case 'ready':
      apply(setCondition(list, { type: CONDITION_READY, status: 'True', ...base }, nowMs));
      apply(removeCondition(list, CONDITION_RECONCILING));
      apply(removeCondition(list, CONDITION_STALLED));
      break;
    case 'reconciling':
      apply(setCondition(list, { type: CONDITION_READY, status: 'False', ...base }, nowMs));
      apply(setCondition(list, { type: CONDITION_RECONCILING, status: 'True', ...base }, nowMs));
      apply(removeCondition(list, CONDITION_STALLED));
      break;
    case 'stalled':
      apply(setCondition(list, { type: CONDITION_READY, status: 'False', ...base }, nowMs));
      apply(setCondition(list, { type: CONDITION_STALLED, status: 'True', ...base }, nowMs));
      apply(removeCondition(list, CONDITION_RECONCILING));
      break;
  }
  return { conditions: list, changed };
}
