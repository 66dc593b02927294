import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { AvroCodec, CartDetails } from '@eventline/avro';
import { nonEmptyEndOffsets, retryKafka, withAdmin, type KafkaRetryOptions } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

export const CHANGELOG_TOPIC = 'cart-aggregator.changelog';

/**
 * Reads the aggregator's changelog (compacted, written in the same transactions as its outputs and
 * offsets) from the start to the end offsets it has now, read_committed: the state as of the last
 * committed transaction, whoever committed it.
 */
export async function restoreCarts(kafka: Kafka, codec: AvroCodec, logger: Logger, prefix: string, heartbeat: () => Promise<void>, retryDeadlineMs?: number): Promise<Map<string, CartDetails>> {
  const topic = prefix + CHANGELOG_TOPIC;
  const retry: KafkaRetryOptions = { logger, deadlineMs: retryDeadlineMs };
  const ends = await nonEmptyEndOffsets(kafka, topic, retry);
  const carts = new Map<string, CartDetails>();
  const groupId = `${prefix}cart-aggregator.restore-${randomUUID()}`;
  if (ends.size > 0) {
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
    await retryKafka('subscribing to the changelog', async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
    }, retry);
    let lastProgress = Date.now();
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const key = message.key!.toString();
            if (message.value === null) carts.delete(key);
            else carts.set(key, (await codec.decode(message.value, 'dev.eventline.carts.CartDetails')).value as CartDetails);
          }
          lastProgress = Date.now();
          // lastOffset() counts transaction markers too, which are never delivered as messages.
          const end = ends.get(batch.partition);
          if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
          if (ends.size === 0) resolve();
        },
      });
    });
    while (ends.size > 0) {
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
      await heartbeat();
      // A partition whose tail is only markers of aborted transactions has nothing more to deliver.
      if (ends.size > 0 && Date.now() - lastProgress > 10_000) {
        logger.warn({ partitions: [...ends.keys()] }, 'changelog partitions delivered nothing more for 10 s; restored what they had');
        break;
      }
    }
    await consumer.disconnect();
    await withAdmin(kafka, `deleting group ${groupId}`, (admin) => admin.deleteGroups([groupId]), { ...retry, deadlineMs: 10_000 }).catch(() => undefined);
  }
  logger.info({ carts: carts.size }, 'restored cart state from the changelog');
  return carts;
}
