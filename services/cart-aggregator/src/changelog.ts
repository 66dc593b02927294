import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { AvroCodec, CartDetails } from '@eventline/avro';
import { readTopicToEnd } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

export const CHANGELOG_TOPIC = 'cart-aggregator.changelog';

/**
 * Reads the aggregator's changelog (compacted, written in the same transactions as its outputs and
 * offsets) from the start to the end offsets it has now, read_committed: the state as of the last
 * committed transaction, whoever committed it.
 */
export async function restoreCarts(
  kafka: Kafka,
  codec: AvroCodec,
  logger: Logger,
  prefix: string,
  heartbeat: () => Promise<void>,
  retryDeadlineMs?: number,
): Promise<Map<string, CartDetails>> {
  const carts = new Map<string, CartDetails>();
  await readTopicToEnd(
    kafka,
    prefix + CHANGELOG_TOPIC,
    async (message) => {
      const key = message.key!.toString();
      if (message.value === null) carts.delete(key);
      else carts.set(key, (await codec.decode(message.value, 'dev.eventline.carts.CartDetails')).value);
    },
    { groupId: `${prefix}cart-aggregator.restore-${randomUUID()}`, logger, heartbeat, retry: { logger, deadlineMs: retryDeadlineMs } },
  );
  logger.info({ carts: carts.size }, 'restored cart state from the changelog');
  return carts;
}
