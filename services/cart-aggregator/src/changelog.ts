import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { AvroCodec, CartDetails } from '@eventline/avro';
import { readTopicToEnd } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';

export const CHANGELOG_TOPIC = 'cart-aggregator.changelog';
const CART_DETAILS = 'dev.eventline.carts.CartDetails';

export interface ChangelogReadOptions {
  heartbeat: () => Promise<void>;
  retryDeadlineMs?: number;
  /** Only these partitions, each from its offset; unset: the whole changelog. */
  from?: ReadonlyMap<number, bigint>;
}

/**
 * Reads the aggregator's changelog (compacted, written in the same transactions as its outputs and
 * offsets; a cart's records in the partition of its cart-events) to the end offsets it has now,
 * read_committed, handing each cart (null: removed) to `apply`: the state as of the last committed
 * transaction, whoever committed it. Returns each partition's position after the read.
 */
export function readChangelog(
  kafka: Kafka,
  codec: AvroCodec,
  logger: Logger,
  prefix: string,
  apply: (partition: number, customerId: string, cart: CartDetails | null) => void,
  { heartbeat, retryDeadlineMs, from }: ChangelogReadOptions,
): Promise<Map<number, bigint>> {
  return readTopicToEnd(
    kafka,
    prefix + CHANGELOG_TOPIC,
    async (message, partition) => {
      const key = message.key!.toString();
      apply(partition, key, message.value === null ? null : (await codec.decode(message.value, CART_DETAILS)).value);
    },
    { groupId: `${prefix}cart-aggregator.restore-${randomUUID()}`, logger, heartbeat, retry: { logger, deadlineMs: retryDeadlineMs }, from },
  );
}

/** Every cart on the changelog: the live state as a whole (what the replay compares with). */
export async function readAllCarts(kafka: Kafka, codec: AvroCodec, logger: Logger, prefix: string): Promise<Map<string, CartDetails>> {
  const carts = new Map<string, CartDetails>();
  await readChangelog(kafka, codec, logger, prefix, (_partition, key, cart) => (cart === null ? carts.delete(key) : carts.set(key, cart)), {
    heartbeat: async () => undefined,
  });
  return carts;
}
