import type { Kafka } from 'kafkajs';
import { withAdmin } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

/**
 * A Redrive's counts, committed with its .dlq offsets in the same Kafka transaction as the records
 * it moved (as the offset commit's metadata), so that they are exactly what was moved — also after
 * the operator died between a commit and a status update.
 */
export interface RedriveCounts {
  moved: number;
  skipped: number;
  matched: number;
  /** Left alone: an earlier Redrive moved them (the redrive ledger). */
  alreadyMoved: number;
}

export const noCounts = (): RedriveCounts => ({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });

export function encodeCounts(counts: RedriveCounts): string {
  return JSON.stringify({ v: 1, ...counts });
}

export function decodeCounts(metadata: string | null | undefined): RedriveCounts {
  if (!metadata) return noCounts();
  try {
    const parsed = JSON.parse(metadata) as Partial<RedriveCounts> & { v?: number };
    if (parsed.v !== 1) return noCounts();
    return { moved: Number(parsed.moved) || 0, skipped: Number(parsed.skipped) || 0, matched: Number(parsed.matched) || 0, alreadyMoved: Number(parsed.alreadyMoved) || 0 };
  } catch {
    return noCounts();
  }
}

export const addCounts = (a: RedriveCounts, b: RedriveCounts): RedriveCounts => ({
  moved: a.moved + b.moved,
  skipped: a.skipped + b.skipped,
  matched: a.matched + b.matched,
  alreadyMoved: a.alreadyMoved + b.alreadyMoved,
});

/** Where the Redrive's group stands on each .dlq partition: the next offset to move, and the counts committed with it. */
export interface CommittedPosition {
  next: bigint;
  counts: RedriveCounts;
}

/** The offsets and counts the Redrive's group committed on its .dlq (none yet: an empty map). */
export async function committedPositions(kafka: Kafka, groupId: string, dlq: string, retry: { logger: Logger; deadlineMs: number }): Promise<Map<number, CommittedPosition>> {
  const committed = await withAdmin(kafka, `reading the offsets of ${groupId}`, (admin) => admin.fetchOffsets({ groupId, topics: [dlq] }), retry);
  const positions = new Map<number, CommittedPosition>();
  for (const { partitions } of committed) {
    for (const { partition, offset, metadata } of partitions) {
      if (BigInt(offset) >= 0n) positions.set(partition, { next: BigInt(offset), counts: decodeCounts(metadata) });
    }
  }
  return positions;
}

export const totalCounts = (positions: Map<number, CommittedPosition>): RedriveCounts => [...positions.values()].map((p) => p.counts).reduce(addCounts, noCounts());
