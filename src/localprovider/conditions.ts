/**
 * v1beta2 conditions (metav1.Condition) of our objects: setting one keeps its lastTransitionTime
 * when the status did not change, so a status patch is written only when something changed.
 */
import type { Condition } from './_objects.js';

/** What a controller says about one condition; the time and generation are filled in. */
export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message?: string;
}

/** The conditions with each of `updates` set, ordered by type; pure. */
export function setConditions(current: readonly Condition[] | undefined, updates: readonly ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map((current ?? []).map((condition) => [condition.type, condition]));
  for (const update of updates) {
    const before = byType.get(update.type);
    byType.set(update.type, {
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message ?? '',
      lastTransitionTime: before && before.status === update.status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
  }
  return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** The condition of `type`, if present. */
export function conditionOf(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
