import type { V1Pod } from '@kubernetes/client-node';
import type { ReplayResult } from '@eventline/runtime';

/** The file the replay command writes its result to: the container's termination message. */
export const RESULT_PATH = '/dev/termination-log';

/**
 * The result the Job's succeeded pod left as its termination message (the replay command writes it
 * to RESULT_PATH as it ends); undefined when no succeeded pod has one that parses.
 */
export function replayResultOf(pods: readonly V1Pod[], container = 'replay'): ReplayResult | undefined {
  for (const pod of pods) {
    if (pod.status?.phase !== 'Succeeded') continue;
    const message = pod.status.containerStatuses?.find((c) => c.name === container)?.state?.terminated?.message;
    if (!message) continue;
    try {
      const parsed = JSON.parse(message) as Partial<ReplayResult>;
      if (typeof parsed.switched !== 'boolean') continue;
      const generation = (n: unknown) => (Number.isSafeInteger(n) && (n as number) > 0 ? (n as number) : undefined);
      return { switched: parsed.switched, servedGeneration: generation(parsed.servedGeneration), rebuiltGeneration: generation(parsed.rebuiltGeneration) };
    } catch {
      // Not the replay's result line (a container that died before writing it): the next pod may have it.
    }
  }
  return undefined;
}
