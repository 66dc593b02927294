import type { Kafka, Message } from 'kafkajs';
import { readTopicToEnd } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

/**
 * The redrive ledger: a compacted topic with one record per dead letter any Redrive has moved, keyed
 * by where it lay (`<dlq>/<partition>/<offset>`), written in the same Kafka transaction as the move.
 * A Redrive reads it before it starts and leaves alone what an earlier Redrive moved, so that two
 * Redrives over the same records move each once. Redrives of one topic run one at a time (the
 * reconciler), so each sees every move committed before it.
 */
export const REDRIVE_LEDGER_TOPIC = 'operator.redrive-ledger';

/** The ledger as a topic (the chart's KafkaTopic says the same). */
export const redriveLedgerTopic = { name: REDRIVE_LEDGER_TOPIC, partitions: 1, compacted: true };

export const ledgerKey = (dlq: string, partition: number, offset: string): string => `${dlq}/${partition}/${offset}`;

export interface LedgerEntry {
  /** `namespace/name` of the Redrive that moved the record. */
  redrive: string;
  uid: string;
  at: string;
}

export function ledgerRecord(key: string, entry: LedgerEntry): Message {
  return { key, value: JSON.stringify(entry) };
}

/** The keys of the records of `dlq` that a Redrive has moved (committed moves only). */
export async function movedRecords(kafka: Kafka, prefix: string, dlq: string, groupId: string, retry: { logger: Logger; deadlineMs: number }): Promise<Set<string>> {
  const { logger } = retry;
  const moved = new Set<string>();
  const mine = `${dlq}/`;
  await readTopicToEnd(
    kafka,
    prefix + REDRIVE_LEDGER_TOPIC,
    (message) => {
      const key = message.key?.toString();
      if (!key?.startsWith(mine)) return;
      if (message.value === null) moved.delete(key);
      else moved.add(key);
    },
    { groupId: `${groupId}.ledger`, logger, idleMs: 5_000, retry },
  );
  return moved;
}
