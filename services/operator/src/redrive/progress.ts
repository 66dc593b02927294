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
