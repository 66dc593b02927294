import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { z } from 'zod';
import type { Kafka } from 'kafkajs';
import { AvroCodec, avroDecoding, type AvroDecoding } from '@eventline/avro';
import { loadConfigOrExit } from '@eventline/config';
import { createRenewingProducer, endOffsets, EventConsumer, ReadProgress, withAdmin, type BatchEventHandler, type EventHandler, type RecordSender } from '@eventline/kafka';
import { createLogger, delaypoint, type Logger } from '@eventline/observability';
import { baseSettings, mongoSettings, replaySettings } from './settings';
import { kafkaFromSettings } from './kafka-client';
import { writeReplayResult, type ReplayResult } from './replay-result';
import type { Settings } from './service';
import { isTransient } from './transient';

export type ReplaySettings = Settings<typeof replaySettings>;

/** What a replay's abandon step works with: no Kafka, only the store. */
export interface ReplayStores<WithMongo extends boolean> {
  settings: ReplaySettings;
  logger: Logger;
  /** The MONGO_URL/MONGO_DB database, when the definition asks for one. */
  mongo: WithMongo extends true ? Db : undefined;
}

/** What a replay's rebuild works with. */
export interface ReplayContext<WithMongo extends boolean> extends ReplayStores<WithMongo> {
  kafka: Kafka;
  /** Connected; the replay's consumer dead-letters with it, and a rebuild may use it for consumers of its own. */
  producer: RecordSender;
  codec: AvroCodec;
  /** The codec as consumers decode with it (spread into EventConsumer's options). */
  decoding: AvroDecoding;
}

/** What a replay prints as it ends, leaves for eventline-operator, and exits with. */
export interface ReplayOutcome {
  /** Printed as one JSON line on stdout. */
  line: Record<string, unknown>;
  /** Written to REPLAY_RESULT_PATH, with `switched`; none: nothing is written. */
  result?: Omit<ReplayResult, 'switched'>;
  /** 0 unless given. */
  exitCode?: number;
}

/** One run of a replay: where its records go, and what happens once it has caught up. */
export interface Rebuild {
  /** What it rebuilds, for the log line at its start ("rebuilding <what>"). */
  what: string;
  /** Logged with the start. */
  log?: Record<string, unknown>;
  /** The end of its default consumer group's name, `<prefix><name>.replay-<groupLabel>` (default: a random UUID); REPLAY_GROUP_ID overrides the name. */
  groupLabel?: string;
  /** Applies one record to the model being rebuilt (the consumer's retries and dead-lettering around it). */
  handler: EventHandler;
  batchHandler?: BatchEventHandler;
  /**
   * Counts as caught up once nothing arrived for this long while its fetches kept coming back empty
   * (a topic written in transactions whose tail never becomes readable); unset: waits as long as it takes.
   */
  idleMs?: number;
  /**
   * Switches reads to the rebuilt model once it has caught up, unless REPLAY_SWITCH=false. The replay
   * still reads meanwhile; without this, it never switches (it only compares, say).
   */
  switch?(): Promise<void>;
  /**
   * After the switch, read on to the end offsets of that moment: for a model the live consumer kept
   * writing to the one switched away from until the switch.
   */
  readOnAfterSwitch?: boolean;
  /** Once its consumer has stopped and its group is deleted; `switched` says whether reads were switched. */
  finish(switched: boolean): Promise<ReplayOutcome>;
}

export interface ReplayDefinition<WithMongo extends boolean = false> {
  /** The service: names the logger and Kafka client (`<name>-replay`) and the default consumer group. */
  name: string;
  /** The topics it reads from their start (catalog names, without KAFKA_NAME_PREFIX). */
  topics: string[];
  /** A MongoDB database (MONGO_URL, MONGO_DB) for the read model. */
  mongo?: WithMongo;
  /**
   * REPLAY_ABANDON=true: drops what an unfinished rebuild left behind instead of rebuilding, and
   * returns the line to print. Without it, REPLAY_ABANDON is ignored.
   */
  abandon?(stores: ReplayStores<WithMongo>): Promise<Record<string, unknown>>;
  /** Prepares a fresh model for the records (nothing is read before this returns). */
  rebuild(context: ReplayContext<WithMongo>): Promise<Rebuild>;
  /** The exit code when the replay fails (default 1). */
  failureExitCode?: number;
}

/**
 * A replay command: reads its topics from the start, under a consumer group of its own, into the
 * model its definition rebuilds, up to the end offsets seen at its start, then (unless REPLAY_SWITCH=false)
 * switches reads to that model, stops, deletes its group, and prints what it did. The group is
 * REPLAY_GROUP_ID when set (eventline-operator reads its lag, and may set its offsets before the run).
 * Returns the exit code.
 */
export async function replay<WithMongo extends boolean = false>(definition: ReplayDefinition<WithMongo>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const shape = { ...baseSettings, ...(definition.mongo ? mongoSettings : {}), ...replaySettings };
  const settings = loadConfigOrExit(z.object(shape), { env }) as ReplaySettings;
  const logger = createLogger(`${definition.name}-replay`, settings.LOG_LEVEL);
  const client = definition.mongo ? await new MongoClient(settings.MONGO_URL ?? '').connect() : undefined;
  const stores = { settings, logger, mongo: client?.db(settings.MONGO_DB) } as ReplayStores<WithMongo>;
  try {
    if (settings.REPLAY_ABANDON && definition.abandon) {
      print(await definition.abandon(stores));
      return 0;
    }
    const prefix = settings.KAFKA_NAME_PREFIX;
    const retry = { logger, deadlineMs: settings.KAFKA_RETRY_DEADLINE_MS };
    const kafka = kafkaFromSettings(settings, `${definition.name}-replay`, logger);
    const codec = new AvroCodec({ registryUrl: settings.SCHEMA_REGISTRY_URL });
    const decoding = avroDecoding(codec);
    const producer = createRenewingProducer(kafka, logger);
    await producer.connect();
    const rebuild = await definition.rebuild({ ...stores, kafka, producer, codec, decoding });

    // What "caught up" means: every partition read up to the end it had when the replay began.
    const readToEnd = () => endOffsets(kafka, definition.topics, { ...retry, topicPrefix: prefix });
    const progress = new ReadProgress(await readToEnd());
    const groupId = settings.REPLAY_GROUP_ID || `${prefix}${definition.name}.replay-${rebuild.groupLabel ?? randomUUID()}`;
    logger.info({ ...rebuild.log, groupId, partitions: Object.fromEntries([...progress.remaining()].map(([k, v]) => [k, v.toString()])) }, `rebuilding ${rebuild.what}`);
    const consumer = new EventConsumer({
      ...decoding,
      kafka,
      producer,
      logger,
      groupId,
      topics: definition.topics,
      topicPrefix: prefix,
      retryDeadlineMs: settings.KAFKA_RETRY_DEADLINE_MS,
      isTransient,
      handler: rebuild.handler,
      batchHandler: rebuild.batchHandler,
      onProgress: (topic, partition, offset) => progress.advance(topic, partition, offset),
      onFetch: () => progress.fetched(),
    });
    await consumer.start();
    // The idle limit counts from the moment the group is joined, not from the start of the join.
    while (!consumer.isReady()) await new Promise((r) => setTimeout(r, 100));
    await progress.wait({ logger, idleMs: rebuild.idleMs });
    await delaypoint('replay.before-switch');
    const switched = settings.REPLAY_SWITCH && rebuild.switch !== undefined;
    if (switched) {
      await rebuild.switch!();
      if (rebuild.readOnAfterSwitch) {
        progress.readTo(await readToEnd());
        await progress.wait({ logger, idleMs: rebuild.idleMs });
      }
    }
    await consumer.stop();
    await delaypoint('replay.before-group-delete');
    await withAdmin(kafka, `deleting group ${groupId}`, (admin) => admin.deleteGroups([groupId]), { ...retry, deadlineMs: 10_000 }).catch((error: unknown) =>
      logger.warn({ err: error, groupId }, 'could not delete the replay group'),
    );

    const outcome = await rebuild.finish(switched);
    await producer.disconnect();
    if (outcome.result) writeReplayResult(settings.REPLAY_RESULT_PATH, { ...outcome.result, switched });
    print(outcome.line);
    return outcome.exitCode ?? 0;
  } finally {
    await client?.close();
  }
}

function print(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

/** The entry point of a replay process: exits with the replay's code, or the definition's failure code (1) when it fails. */
export function runReplay<WithMongo extends boolean = false>(definition: ReplayDefinition<WithMongo>): void {
  replay(definition).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(definition.failureExitCode ?? 1);
    },
  );
}
