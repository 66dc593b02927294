import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AvroCodec, UndecodableRecordError, type CartDetails } from '@eventline/avro';
import { loadConfigOrExit } from '@eventline/config';
import { createProducer, EventConsumer, nonEmptyEndOffsets, withAdmin, type ValueDecoder } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { baseSettings, kafkaFromSettings, replaySettings } from '@eventline/runtime';
import { foldCartEvent, type CartEvent } from './cart-fold';
import { restoreCarts } from './changelog';
import { ProductTable } from './product-table';

/**
 * Rebuilds the aggregator's state by folding `cart-events` from the start under a new consumer
 * group, and compares it with the live state on the changelog. Prints the comparison; exits 0 when
 * they are equal, 1 when they differ. Lines are priced with the products table as it is now, so a
 * price changed since an event was aggregated shows as a difference, by design.
 *
 *   npm run replay:cart-aggregator          (same environment as the aggregator)
 */
async function main(): Promise<void> {
  const settings = loadConfigOrExit(z.object({ ...baseSettings, ...replaySettings }));
  const logger = createLogger('cart-aggregator-replay', settings.LOG_LEVEL);
  const prefix = settings.KAFKA_NAME_PREFIX;
  const kafka = kafkaFromSettings(settings, 'cart-aggregator-replay', logger);
  const codec = new AvroCodec({ registryUrl: settings.SCHEMA_REGISTRY_URL });
  const decode: ValueDecoder = async (value) => {
    const decoded = await codec.decode(value);
    return { value: decoded.value, recordName: decoded.writerRecordName };
  };
  const producer = createProducer(kafka);
  await producer.connect();
  const products = new ProductTable(kafka, producer, decode, logger, prefix, [UndecodableRecordError], settings.KAFKA_RETRY_DEADLINE_MS);
  await products.start();

  const remaining = await nonEmptyEndOffsets(kafka, `${prefix}cart-events`, { logger, deadlineMs: settings.KAFKA_RETRY_DEADLINE_MS });
  const rebuilt = new Map<string, CartDetails>();
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (caughtUp = resolve));
  if (remaining.size === 0) caughtUp();
  const groupId = settings.REPLAY_GROUP_ID || `${prefix}cart-aggregator.replay-${randomUUID()}`;
  const consumer = new EventConsumer({
    kafka, producer, logger, decode, groupId, topics: ['cart-events'], topicPrefix: prefix, poisonErrors: [UndecodableRecordError],
    handler: async (event) => {
      if (event.value !== null && event.recordName !== undefined) {
        rebuilt.set(event.key, foldCartEvent(rebuilt.get(event.key), { type: event.recordName, data: event.value } as CartEvent, (id) => products.get(id)));
      }
      const end = remaining.get(event.partition);
      if (end !== undefined && BigInt(event.offset) + 1n >= end) {
        remaining.delete(event.partition);
        if (remaining.size === 0) caughtUp();
      }
    },
  });
  await consumer.start();
  await done;
  await consumer.stop();
  await products.stop();
  await withAdmin(kafka, `deleting group ${groupId}`, (admin) => admin.deleteGroups([groupId]), { logger, deadlineMs: 10_000 }).catch(() => undefined);

  const live = await restoreCarts(kafka, codec, logger, prefix, async () => undefined);
  const differing = [...new Set([...rebuilt.keys(), ...live.keys()])].filter((id) => JSON.stringify(rebuilt.get(id)) !== JSON.stringify(live.get(id)));
  await producer.disconnect();
  console.log(JSON.stringify({ msg: 'replay compared', customers: rebuilt.size, live: live.size, equal: differing.length === 0, differing: differing.slice(0, 20) }));
  process.exit(differing.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
