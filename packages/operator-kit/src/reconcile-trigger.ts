import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * What of an object asks for a reconcile: its spec (generation), its deletion, its labels and
 * annotations. A status-only update — most of them the controller's own status patches — changes none
 * of these, so it does not reconcile again (controller-runtime's GenerationChangedPredicate, with
 * deletion and metadata that tools use as triggers added).
 */
export function reconcileTrigger(object: KubernetesObject): string {
  const { generation, deletionTimestamp, labels, annotations } = object.metadata ?? {};
  return JSON.stringify([generation ?? null, deletionTimestamp ?? null, sorted(labels), sorted(annotations)]);
}

function sorted(entries: Record<string, string> | undefined): [string, string][] {
  return Object.entries(entries ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
