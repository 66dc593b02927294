import type { PartitionLag, Replay, ReplayPhase } from './types';

/** One partition of a replay's topics: where the replay started, its end now, the group's committed offset. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  start: bigint;
  end: bigint;
  /** The group's next offset; undefined before its first commit. */
  committed?: bigint;
}

export interface ReplayProgress {
  total: number;
  partitions: PartitionLag[];
  applied: number;
  /** Every partition with records read to its end. */
  caughtUp: boolean;
}

/**
 * The replay group's lag per partition (end − committed, or end − start before its first commit),
 * the total, and the events applied (committed − start), from Kafka's offsets alone.
 */
export function replayProgress(positions: readonly PartitionPosition[]): ReplayProgress {
  const partitions = positions.map(({ topic, partition, start, end, committed }) => {
    const from = committed ?? start;
    return { topic, partition, lag: Number(end > from ? end - from : 0n) };
  });
  const applied = positions.reduce((sum, { start, committed }) => sum + (committed !== undefined && committed > start ? Number(committed - start) : 0), 0);
  return { total: partitions.reduce((sum, p) => sum + p.lag, 0), partitions, applied, caughtUp: partitions.every((p) => p.lag === 0) };
}

export function eventsPerSecond(applied: number, startTime: string | undefined, now: Date): number {
  if (!startTime) return 0;
  const seconds = (now.getTime() - new Date(startTime).getTime()) / 1000;
  return seconds > 0 ? Math.round((applied / seconds) * 10) / 10 : 0;
}

const finished: readonly ReplayPhase[] = ['Switched', 'CaughtUp', 'Failed'];

/** A Replay still to run or running: not finished (its Job done) and not being deleted. */
export function isActive(replay: Replay): boolean {
  if (replay.metadata.deletionTimestamp) return false;
  const phase = replay.status?.phase;
  return !(phase && finished.includes(phase) && replay.status?.completionTime);
}

/**
 * Which Replay of a read model may run: the one that already has a Job, else the oldest active one
 * (creation time, then name). The others wait for it.
 */
export function runnerFor(replays: readonly Replay[], service: string): Replay | undefined {
  const active = replays.filter((r) => r.spec.service === service && isActive(r));
  const started = active.find((r) => r.status?.job);
  if (started) return started;
  const created = (r: Replay) => new Date(r.metadata.creationTimestamp ?? 0).getTime();
  return [...active].sort((a, b) => created(a) - created(b) || a.metadata.name.localeCompare(b.metadata.name))[0];
}
