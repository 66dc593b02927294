import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { nonEmptyEndOffsets, retryKafka, withAdmin, type KafkaRetryOptions } from './retry';

export interface ReadToEndOptions {
  /** A group of the reader's own, deleted when it is done (it commits nothing). */
  groupId: string;
  logger: Logger;
  retry?: KafkaRetryOptions;
  /** Called about once a second while reading (a consumer group member's heartbeat, say). */
  heartbeat?: () => Promise<void>;
  /** Nothing delivered for this long: the rest of a partition is transaction markers; stop there. */
  idleMs?: number;
}

/**
 * Reads a topic from its start to the end offsets it has when the read begins, read_committed, in
 * offset order per partition: what every transaction committed by then wrote (a changelog, a ledger).
 * Records written after the start of the read may be delivered too.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void, options: ReadToEndOptions): Promise<void> {
  const { groupId, logger, heartbeat, idleMs = 10_000 } = options;
  const retry: KafkaRetryOptions = { logger, ...options.retry };
  const ends = await nonEmptyEndOffsets(kafka, topic, retry);
  if (ends.size === 0) return;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  try {
    await retryKafka(`subscribing to ${topic}`, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
    }, retry);
    let lastProgress = Date.now();
    const done = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (!ends.has(batch.partition)) return;
          for (const message of batch.messages) await onMessage(message, batch.partition);
          lastProgress = Date.now();
          // lastOffset() counts transaction markers too, which are never delivered as messages.
          if (BigInt(batch.lastOffset()) + 1n >= ends.get(batch.partition)!) ends.delete(batch.partition);
          if (ends.size === 0) resolve();
        },
      }).catch(reject);
    });
    // Awaited below through Promise.race; a crash after the read ended must not go unhandled.
    done.catch(() => undefined);
    while (ends.size > 0) {
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
      await heartbeat?.();
      // A partition whose tail is only markers of aborted transactions has nothing more to deliver.
      if (ends.size > 0 && Date.now() - lastProgress > idleMs) {
        logger.warn({ topic, partitions: [...ends.keys()] }, `partitions delivered nothing more for ${idleMs} ms; read what they had`);
        break;
      }
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(kafka, `deleting group ${groupId}`, (admin) => admin.deleteGroups([groupId]), { ...retry, deadlineMs: 10_000 }).catch(() => undefined);
  }
}
