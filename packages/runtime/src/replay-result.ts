import { writeFileSync } from 'node:fs';

/** What a replay reports when it ends: the read-model generation served now, and whether it switched. */
export interface ReplayResult {
  /** The generation reads are served from after the replay (the rebuilt one when it switched). */
  servedGeneration?: number;
  /** The generation the replay built. */
  rebuiltGeneration?: number;
  switched: boolean;
}

/**
 * Writes the result where REPLAY_RESULT_PATH says (a pod's termination-message file: Kubernetes keeps
 * at most 4 KiB of it in the pod's status, far more than this needs). No path: nothing is written.
 */
export function writeReplayResult(path: string, result: ReplayResult): void {
  if (path) writeFileSync(path, JSON.stringify(result));
}
