/** A status condition in the Kubernetes (and Strimzi) style. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * The conditions with `update` set for `generation`: lastTransitionTime moves only when the status
 * flips; the other conditions are kept as they are.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, generation: number, now: Date): Condition[] {
  const existing = conditions?.find((c) => c.type === update.type);
  const lastTransitionTime = existing && existing.status === update.status ? existing.lastTransitionTime : now.toISOString();
  const next: Condition = { ...update, observedGeneration: generation, lastTransitionTime };
  return [...(conditions ?? []).filter((c) => c.type !== update.type), next];
}

export function conditionOf(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
