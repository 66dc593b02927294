import type { Redrive } from './types';

const isFinished = (redrive: Redrive) => redrive.status?.phase === 'Completed' || redrive.status?.phase === 'Failed';

/**
 * Which Redrive of a topic may run: the one already running (its end offsets fixed), else the oldest
 * waiting one (creation time, then name). One at a time, so that each reads the redrive ledger with
 * every earlier move in it.
 */
export function redriveRunnerFor(redrives: readonly Redrive[], topic: string): Redrive | undefined {
  const active = redrives.filter((r) => r.spec.topic === topic && !r.metadata.deletionTimestamp && !isFinished(r));
  const running = active.find((r) => r.status?.phase === 'Running');
  if (running) return running;
  const created = (r: Redrive) => new Date(r.metadata.creationTimestamp ?? 0).getTime();
  return [...active].sort((a, b) => created(a) - created(b) || a.metadata.name.localeCompare(b.metadata.name))[0];
}
