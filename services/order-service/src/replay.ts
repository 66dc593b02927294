import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { AvroCodec, UndecodableRecordError } from '@eventline/avro';
import { loadConfigOrExit } from '@eventline/config';
import { createProducer, EventConsumer, type ConsumedEvent } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { baseSettings, isTransient, mongoSettings, kafkaFromSettings, replaySettings, writeReplayResult } from '@eventline/runtime';
import { applyProductEvent, applyUserEvent } from './copy-events';
import { LocalCopies } from './local-copies';

/**
 * Seed 003's replay: rebuilds order-service's local copies of users and products from the start of
 * their topics, under a new consumer group, into a fresh generation of collections; switches reads to
 * it once it has caught up with the end offsets seen at its start. Reads keep using the old copies
 * meanwhile, and the running service writes live events into both. With REPLAY_SWITCH=false it stops
 * once caught up and leaves the generation being built (still fed live events, not served); with
 * REPLAY_ABANDON=true it only drops such an unswitched generation. REPLAY_GROUP_ID names its group.
 *
 *   npm run replay -w @eventline/order-service     (same environment as the service)
 */
async function main(): Promise<void> {
  const settings = loadConfigOrExit(z.object({ ...baseSettings, ...mongoSettings, ...replaySettings }));
  const logger = createLogger('order-service-replay', settings.LOG_LEVEL);
  const client = await new MongoClient(settings.MONGO_URL).connect();
  const copies = new LocalCopies(client.db(settings.MONGO_DB));
  if (settings.REPLAY_ABANDON) {
    const abandoned = await copies.abandonRebuild();
    await client.close();
    console.log(JSON.stringify({ msg: 'unswitched generation dropped', generation: abandoned ?? null }));
    return;
  }
  const kafka = kafkaFromSettings(settings, 'order-service-replay', logger);
  const codec = new AvroCodec({ registryUrl: settings.SCHEMA_REGISTRY_URL });
  const prefix = settings.KAFKA_NAME_PREFIX;
  const topics = ['users', 'products'];

  const generation = await copies.beginRebuild();
  const target = [copies.generation(generation)];
  const admin = kafka.admin();
  await admin.connect();
  // What "caught up" means: every partition read up to the end it had when the rebuild began.
  const remaining = new Map<string, bigint>();
  for (const topic of topics) {
    for (const { partition, high } of await admin.fetchTopicOffsets(prefix + topic)) {
      if (BigInt(high) > 0n) remaining.set(`${topic}/${partition}`, BigInt(high));
    }
  }
  logger.info({ generation, partitions: Object.fromEntries([...remaining].map(([k, v]) => [k, v.toString()])) }, 'rebuilding local copies');

  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (caughtUp = resolve));
  if (remaining.size === 0) caughtUp();
  const producer = createProducer(kafka);
  await producer.connect();
  const groupId = settings.REPLAY_GROUP_ID || `${prefix}order-service.replay-${generation}-${Date.now()}`;
  const consumer = new EventConsumer({
    kafka, producer, logger, groupId, topics, topicPrefix: prefix, poisonErrors: [UndecodableRecordError], isTransient,
    decode: async (value) => {
      const decoded = await codec.decode(value);
      return { value: decoded.value, recordName: decoded.writerRecordName };
    },
    handler: async (event: ConsumedEvent) => {
      await (event.topic === 'users' ? applyUserEvent(event, target) : applyProductEvent(event, target));
      const key = `${event.topic}/${event.partition}`;
      const end = remaining.get(key);
      if (end !== undefined && BigInt(event.offset) + 1n >= end) {
        remaining.delete(key);
        if (remaining.size === 0) caughtUp();
      }
    },
  });
  await consumer.start();
  await done;
  await consumer.stop();
  if (settings.REPLAY_SWITCH) await copies.switchTo(generation);
  writeReplayResult(settings.REPLAY_RESULT_PATH, { servedGeneration: await copies.servedGeneration(), rebuiltGeneration: generation, switched: settings.REPLAY_SWITCH });
  await admin.deleteGroups([groupId]).catch((error: unknown) => logger.warn({ err: error }, 'could not delete the replay group'));
  await admin.disconnect();
  await producer.disconnect();
  await client.close();
  console.log(JSON.stringify({ msg: settings.REPLAY_SWITCH ? 'local copies rebuilt and switched' : 'local copies rebuilt, not switched', generation }));
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
