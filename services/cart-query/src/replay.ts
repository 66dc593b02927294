import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { AvroCodec, UndecodableRecordError } from '@eventline/avro';
import { loadConfigOrExit } from '@eventline/config';
import { createProducer, EventConsumer } from '@eventline/kafka';
import { createLogger, delaypoint } from '@eventline/observability';
import { baseSettings, isTransient, mongoSettings, kafkaFromSettings, replaySettings, writeReplayResult } from '@eventline/runtime';
import { CartView, servedGeneration, swapInRebuild } from './cart-view';

/**
 * Rebuilds cart_view from `cart-details` under a new consumer group into a fresh collection, then
 * renames it over cart_view. It reads to the end offsets it saw at its start, renames, then reads on
 * to the end offsets of that moment, so whatever the live consumer wrote into the old collection in
 * between is in the new one too (updates are version-guarded, so applying one twice is harmless).
 * With REPLAY_SWITCH=false it stops once caught up and leaves the rebuilt collection beside cart_view;
 * REPLAY_ABANDON=true only drops such leftover rebuild collections. REPLAY_GROUP_ID names its group.
 *
 *   npm run replay:cart-query                (same environment as cart-query)
 */
async function main(): Promise<void> {
  const settings = loadConfigOrExit(z.object({ ...baseSettings, ...mongoSettings, ...replaySettings }));
  const logger = createLogger('cart-query-replay', settings.LOG_LEVEL);
  const prefix = settings.KAFKA_NAME_PREFIX;
  const client = await new MongoClient(settings.MONGO_URL).connect();
  const db = client.db(settings.MONGO_DB);
  if (settings.REPLAY_ABANDON) {
    const leftovers = (await db.listCollections({ name: { $regex: '^cart_view_rebuild_' } }).toArray()).map((c) => c.name);
    for (const name of leftovers) await db.collection(name).drop();
    await client.close();
    console.log(JSON.stringify({ msg: 'rebuild collections dropped', collections: leftovers }));
    return;
  }
  const kafka = kafkaFromSettings(settings, 'cart-query-replay', logger);
  const codec = new AvroCodec({ registryUrl: settings.SCHEMA_REGISTRY_URL });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${prefix}cart-details`;
  const endOffsets = async () => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));

  const rebuildName = `cart_view_rebuild_${Date.now()}`;
  let view = new CartView(db, rebuildName);
  const position = new Map<number, bigint>();
  const producer = createProducer(kafka);
  await producer.connect();
  const groupId = settings.REPLAY_GROUP_ID || `${prefix}cart-query.replay-${randomUUID()}`;
  const consumer = new EventConsumer({
    kafka, producer, logger, groupId, topics: ['cart-details'], topicPrefix: prefix, poisonErrors: [UndecodableRecordError], isTransient,
    decode: async (value) => {
      const decoded = await codec.decode(value);
      return { value: decoded.value, recordName: decoded.writerRecordName };
    },
    handler: async (event) => {
      await view.apply(event);
      position.set(event.partition, BigInt(event.offset) + 1n);
      lastProgress = Date.now();
    },
    batchHandler: async (events) => {
      await view.applyBatch(events);
      const last = events[events.length - 1]!;
      position.set(last.partition, BigInt(last.offset) + 1n);
      lastProgress = Date.now();
    },
  });
  let lastProgress = Date.now();
  const readTo = async (ends: Map<number, bigint>) => {
    // Transaction markers take offsets but are never delivered, so the last record before a partition's
    // end counts as reaching it; a tail of aborted records delivers nothing, hence the idle limit.
    const behind = () => [...ends].some(([p, end]) => end > 0n && (position.get(p) ?? 0n) < end - 1n);
    while (behind() && Date.now() - lastProgress < 5_000) await new Promise((r) => setTimeout(r, 100));
  };
  await consumer.start();
  // The idle limit counts from the moment the group is joined, not from the start of the join.
  while (!consumer.isReady()) await new Promise((r) => setTimeout(r, 100));
  lastProgress = Date.now();
  await readTo(await endOffsets());
  await delaypoint('replay.before-switch');
  let rebuiltGeneration: number | undefined;
  if (settings.REPLAY_SWITCH) {
    rebuiltGeneration = await swapInRebuild(db, rebuildName);
    view = new CartView(db);
    await readTo(await endOffsets());
  }
  await consumer.stop();
  await producer.disconnect();
  await delaypoint('replay.before-group-delete');
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  const carts = await db.collection(settings.REPLAY_SWITCH ? 'cart_view' : rebuildName).countDocuments();
  writeReplayResult(settings.REPLAY_RESULT_PATH, { servedGeneration: await servedGeneration(db), rebuiltGeneration, switched: settings.REPLAY_SWITCH });
  await client.close();
  console.log(JSON.stringify({ msg: settings.REPLAY_SWITCH ? 'cart_view rebuilt' : 'cart_view rebuilt beside the live one, not switched', collection: settings.REPLAY_SWITCH ? 'cart_view' : rebuildName, carts }));
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});

