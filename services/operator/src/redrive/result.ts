import { decodeCounts, type RedriveCounts } from './progress';

/**
 * What a redrive Job's pod says as it ends (its termination message): the counts of a run that
 * finished, or why it failed. A dry run commits nothing to Kafka, so its counts come only from here.
 */
export type RedriveResult = { counts: RedriveCounts } | { error: string };

/** Kubernetes keeps at most 4096 bytes of a termination message. */
const MESSAGE_LIMIT = 4096;

export function encodeRedriveResult(result: RedriveResult): string {
  if ('counts' in result) return JSON.stringify(result);
  const encoded = JSON.stringify(result);
  return encoded.length <= MESSAGE_LIMIT ? encoded : JSON.stringify({ error: `${result.error.slice(0, MESSAGE_LIMIT - 64)}…` });
}

export function decodeRedriveResult(message: string): RedriveResult | undefined {
  try {
    const parsed = JSON.parse(message) as { counts?: unknown; error?: unknown };
    if (typeof parsed.error === 'string') return { error: parsed.error };
    if (parsed.counts && typeof parsed.counts === 'object') return { counts: decodeCounts(JSON.stringify({ v: 1, ...parsed.counts })) };
  } catch {
    // A container killed before it wrote its result leaves no message, or another's: not a result.
  }
  return undefined;
}
