import { MongoClient, type Db } from 'mongodb';
import { Pool } from 'pg';
import { z } from 'zod';
import { AvroCodec, assertValid, avroDecoding, kafkaTopics, loadCatalog, recordSchema, type AvroDecoding, type Catalog } from '@eventline/avro';
import { loadConfigOrExit, RemoteConfig } from '@eventline/config';
import { createHttpService, type HttpService, type LivenessCheck, type ReadinessCheck, type Router } from '@eventline/http';
import {
  createRenewingProducer,
  EventConsumer,
  retryKafka,
  withAdmin,
  type BatchEventHandler,
  type EventHandler,
  type KafkaRetryOptions,
  type RecordSender,
} from '@eventline/kafka';
import { idempotencyKeys, MongoIdempotencyStore, PostgresIdempotencyStore, type IdempotencyStore } from '@eventline/idempotency';
import { createLogger, retryWithDeadline, stopTracing, type Logger } from '@eventline/observability';
import { MongoOutboxRelay, OutboxRelay, type PayloadValidator } from '@eventline/outbox';
import { withMigrationLock } from '@eventline/postgres';
import type { Kafka } from 'kafkajs';
import type { ServiceState } from '@eventline/http';
import { baseSettings, mongoSettings, postgresSettings } from './settings';
import { applyHotSettings, FeatureFlags } from './hot-settings';
import { kafkaFromSettings } from './kafka-client';
import { isTransient } from './transient';

/** Something long-running beside the consumers (a stream processor, a table loader). */
export interface Worker {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): boolean;
  /** False when it is broken for good: /healthz fails and Kubernetes replaces the pod. */
  isAlive?(): boolean;
}

export interface ConsumerDefinition {
  groupId: string;
  topics: string[];
  handler: EventHandler;
  /** A faster path for runs of records; `handler` still takes what a batch could not (see EventConsumer). */
  batchHandler?: BatchEventHandler;
  partitionsConsumedConcurrently?: number;
}

/** What a service's routes and handlers get to work with. */
export interface ServiceContext<Settings> {
  name: string;
  settings: Settings;
  logger: Logger;
  kafka: Kafka;
  producer: RecordSender;
  codec: AvroCodec;
  /** The codec as consumers decode with it (spread into the options of an EventConsumer or TransactionalProcessor of its own). */
  decoding: AvroDecoding;
  catalog: Catalog;
  /** Checks an outbox payload against its local schema (throws naming the field). */
  validatePayload: PayloadValidator;
  pool: Pool | undefined;
  mongo: Db | undefined;
  /** Switched at runtime through config-service's FEATURE_FLAGS. */
  flags: FeatureFlags;
}

export interface ServiceDefinition<Shape extends z.ZodRawShape> {
  name: string;
  /** The service's own settings, beside the base ones (PORT, LOG_LEVEL, KAFKA_*, SCHEMA_REGISTRY_URL). */
  settings: Shape;
  /** A PostgreSQL pool (DATABASE_URL), its migration, and the outbox relay. */
  postgres?: { migrate(pool: Pool): Promise<void> };
  /**
   * A MongoDB database (MONGO_URL, MONGO_DB) and its migration (indexes); `outbox` names the
   * collections whose documents carry pending events, published by a MongoOutboxRelay;
   * `commandDocuments` those whose documents carry the keyed responses of the commands that wrote
   * them (see MongoIdempotencyStore).
   */
  mongo?: { migrate(db: Db): Promise<void>; outbox?: string[]; commandDocuments?: string[] };
  /**
   * Topics the service keeps for itself, outside the event catalog (no schema, no .dlq twin), created
   * with the catalog's when KAFKA_ENSURE_TOPICS; on Strimzi the chart declares them as KafkaTopics.
   */
  ownTopics?: { name: string; partitions: number; compacted: boolean }[];
  /**
   * False: the service writes no record itself (eventline-operator: its Jobs do), so it makes no
   * producer, whose idempotent start would need Write somewhere, and its Kafka user needs none.
   */
  publishes?: boolean;
  consumers?: (context: ServiceContext<Settings<Shape>>) => ConsumerDefinition[];
  workers?: (context: ServiceContext<Settings<Shape>>) => Worker[];
  routes: (router: Router<ServiceState>, context: ServiceContext<Settings<Shape>>) => void;
}

type BaseSettings = z.output<z.ZodObject<typeof baseSettings>> & {
  DATABASE_URL?: string;
  MONGO_URL?: string;
  MONGO_DB?: string;
};
export type Settings<Shape extends z.ZodRawShape> = BaseSettings & z.output<z.ZodObject<Shape>>;

export interface RunningService<Shape extends z.ZodRawShape> {
  context: ServiceContext<Settings<Shape>>;
  http: HttpService;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a service in dependency order — stores, topics, producer, relay, consumers, then HTTP — and
 * registers their shutdown in reverse: HTTP drains first, consumers commit, the relay finishes its
 * round, the producer flushes, the pools close last.
 */
export async function startService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>, env: NodeJS.ProcessEnv = process.env): Promise<RunningService<Shape>> {
  const shape: z.ZodRawShape = {
    ...baseSettings,
    ...(definition.postgres ? postgresSettings : {}),
    ...(definition.mongo ? mongoSettings : {}),
    ...definition.settings,
  };
  const logger = createLogger(definition.name, 'info');
  // config-service's settings overlay the environment: at start for every setting, later for the hot ones.
  const remote = env.CONFIG_SERVICE_URL ? new RemoteConfig({ baseUrl: env.CONFIG_SERVICE_URL, service: definition.name, logger }) : undefined;
  await remote?.start();
  const effectiveEnv = (): NodeJS.ProcessEnv => ({ ...env, ...remote?.settings() });
  // One parse of everything, so that every bad setting is named at once.
  const settings = loadConfigOrExit(z.object(shape), { env: effectiveEnv() }) as unknown as Settings<Shape>;
  logger.level = settings.LOG_LEVEL;
  const flags = new FeatureFlags(settings.FEATURE_FLAGS);
  const catalog = loadCatalog();
  const codec = new AvroCodec({ catalog, registryUrl: settings.SCHEMA_REGISTRY_URL });
  const kafka = kafkaFromSettings(settings, definition.name, logger);
  const readiness: ReadinessCheck[] = [];
  const liveness: LivenessCheck[] = [];
  const shutdown: { name: string; run: () => Promise<void> }[] = [];

  const databaseRetry = { logger, deadlineMs: settings.DATABASE_RETRY_DEADLINE_MS };
  let pool: Pool | undefined;
  if (definition.postgres) {
    const connected = new Pool({ connectionString: settings.DATABASE_URL, max: 20 });
    pool = connected;
    // A pod may start before its database answers: the migrations wait for it (and are idempotent).
    await retryWithDeadline(
      'migrating PostgreSQL',
      () =>
        withMigrationLock(connected, async () => {
          await definition.postgres!.migrate(connected);
          await PostgresIdempotencyStore.migrate(connected);
        }),
      isTransient,
      databaseRetry,
    );
    shutdown.push({ name: 'postgres pool', run: () => connected.end() });
    readiness.push({ name: 'postgres', check: async () => (await connected.query('SELECT 1')).rowCount === 1 });
  }

  let mongo: Db | undefined;
  if (definition.mongo) {
    const client = new MongoClient(settings.MONGO_URL ?? '');
    const db = client.db(settings.MONGO_DB);
    mongo = db;
    await retryWithDeadline(
      'migrating MongoDB',
      async () => {
        await client.connect();
        await definition.mongo!.migrate(db);
        await MongoIdempotencyStore.migrate(db, definition.mongo?.commandDocuments);
      },
      isTransient,
      databaseRetry,
    );
    shutdown.push({ name: 'mongo client', run: () => client.close() });
    readiness.push({ name: 'mongo', check: async () => (await db.command({ ping: 1 })).ok === 1 });
  }

  const kafkaRetry: KafkaRetryOptions = { logger, deadlineMs: settings.KAFKA_RETRY_DEADLINE_MS };
  if (settings.KAFKA_ENSURE_TOPICS) {
    await withAdmin(
      kafka,
      "creating the catalog's and the service's own topics",
      async (admin) => {
        const existing = new Set(await admin.listTopics());
        const own = (definition.ownTopics ?? []).map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          configEntries: [{ name: 'cleanup.policy', value: t.compacted ? 'compact' : 'delete' }],
        }));
        const missing = [...kafkaTopics(catalog), ...own].map((t) => ({ ...t, topic: settings.KAFKA_NAME_PREFIX + t.topic })).filter((t) => !existing.has(t.topic));
        // Another instance creating the same topics at once makes this fail retriably; the retry lists again.
        if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
      },
      kafkaRetry,
    );
  }

  let producer: RecordSender;
  if (definition.publishes === false) {
    // Reached and authenticated once at start, as the producer's connect would have.
    await withAdmin(kafka, 'reaching Kafka', (admin) => admin.describeCluster(), kafkaRetry);
    producer = publishesNothing(definition.name);
  } else {
    const renewing = createRenewingProducer(kafka, logger);
    await retryKafka('connecting the producer', () => renewing.connect(), kafkaRetry);
    shutdown.push({ name: 'kafka producer', run: () => renewing.disconnect() });
    // Not a readiness check: the outbox keeps events while the producer reconnects or is replaced
    // (a broker restart), and requests need only the database; a pod out of its Service then would
    // refuse them for nothing, every replica at once.
    producer = renewing;
  }

  const validatePayload: PayloadValidator = (recordName, payload) => assertValid(recordSchema(catalog, recordName).type, payload);
  const decoding = avroDecoding(codec);
  const context: ServiceContext<Settings<Shape>> = { name: definition.name, settings, logger, kafka, producer, codec, decoding, catalog, validatePayload, pool, mongo, flags };

  if (pool) {
    const relay = new OutboxRelay({ pool, producer, encoder: codec, logger, topicPrefix: settings.KAFKA_NAME_PREFIX });
    await relay.start();
    shutdown.push({ name: 'outbox relay', run: () => relay.stop() });
    liveness.push({ name: 'outbox relay', alive: () => relay.isAlive() });
  }
  if (mongo && definition.mongo?.outbox?.length) {
    const db = mongo;
    const relay = new MongoOutboxRelay({
      collections: definition.mongo.outbox.map((name) => db.collection(name)),
      producer,
      encoder: codec,
      logger,
      topicPrefix: settings.KAFKA_NAME_PREFIX,
    });
    await relay.start();
    shutdown.push({ name: 'mongo outbox relay', run: () => relay.stop() });
    liveness.push({ name: 'mongo outbox relay', alive: () => relay.isAlive() });
  }

  const consumers: EventConsumer[] = [];
  const defaultConcurrency: number[] = [];
  for (const consumerDefinition of definition.consumers?.(context) ?? []) {
    defaultConcurrency.push(consumerDefinition.partitionsConsumedConcurrently ?? 1);
    const consumer = new EventConsumer({
      ...decoding,
      kafka,
      producer,
      logger,
      groupId: settings.KAFKA_NAME_PREFIX + consumerDefinition.groupId,
      topics: consumerDefinition.topics,
      handler: consumerDefinition.handler,
      batchHandler: consumerDefinition.batchHandler,
      partitionsConsumedConcurrently: settings.CONSUMER_CONCURRENCY ?? consumerDefinition.partitionsConsumedConcurrently,
      sessionTimeoutMs: settings.KAFKA_SESSION_TIMEOUT_MS,
      topicPrefix: settings.KAFKA_NAME_PREFIX,
      retryDeadlineMs: settings.KAFKA_RETRY_DEADLINE_MS,
      isTransient,
    });
    await consumer.start();
    consumers.push(consumer);
    shutdown.push({ name: `consumer ${consumerDefinition.groupId}`, run: () => consumer.stop() });
    readiness.push({ name: `consumer ${consumerDefinition.groupId}`, check: () => consumer.isReady() });
    liveness.push({ name: `consumer ${consumerDefinition.groupId}`, alive: () => consumer.isAlive() });
  }

  for (const worker of definition.workers?.(context) ?? []) {
    await worker.start();
    shutdown.push({ name: worker.name, run: () => worker.stop() });
    readiness.push({ name: worker.name, check: () => worker.isReady() });
    const alive = worker.isAlive?.bind(worker);
    if (alive) liveness.push({ name: worker.name, alive });
  }

  // Command routes' Idempotency-Key lives in the service's own database, seen by all its instances.
  const idempotency: IdempotencyStore | undefined = pool
    ? new PostgresIdempotencyStore(pool)
    : mongo
      ? new MongoIdempotencyStore(mongo, definition.mongo?.commandDocuments)
      : undefined;
  if (idempotency) {
    const purge = setInterval(() => {
      idempotency.purgeExpired().catch((error: unknown) => logger.warn({ err: error }, 'purging expired idempotency keys failed'));
    }, 10 * 60_000);
    purge.unref();
    shutdown.push({ name: 'idempotency key purge', run: async () => clearInterval(purge) });
  }
  const http = createHttpService({
    name: definition.name,
    port: settings.PORT,
    logger,
    readiness,
    liveness,
    middleware: idempotency ? [idempotencyKeys({ store: idempotency, timings: { ttlMs: settings.IDEMPOTENCY_KEY_TTL_MS, lockMs: settings.IDEMPOTENCY_LOCK_MS } })] : [],
    routes: (router) => definition.routes(router, context),
  });
  if (remote) {
    const hot = { logger, flags, consumers, defaultConcurrency };
    let applying = Promise.resolve();
    remote.onChange(() => {
      applying = applying
        .then(async () => {
          await applyHotSettings(effectiveEnv(), hot);
        })
        .catch((error: unknown) => logger.error({ err: error }, 'applying settings from config-service failed'));
    });
    shutdown.unshift({ name: 'config-service watch', run: () => remote.stop() });
  }
  // Last: the spans of everything above, stopping included, go out before the process ends.
  shutdown.push({ name: 'trace export', run: stopTracing });
  for (const step of shutdown) http.onShutdown(step.name, step.run);
  const { port } = await http.start();
  logger.info({ port }, `${definition.name} listening`);
  return { context, http, port, stop: () => http.stop() };
}

/** The entry point of a service process: start, stop on SIGTERM/SIGINT, exit 1 if start-up fails. */
export function runService<Shape extends z.ZodRawShape>(definition: ServiceDefinition<Shape>): void {
  startService(definition).then(
    (running) => running.http.installSignalHandlers(),
    (error: unknown) => {
      createLogger(definition.name).fatal({ err: error }, 'start-up failed');
      process.exit(1);
    },
  );
}

/** The producer of a service declared to publish nothing: a send is a bug, said as such. */
function publishesNothing(service: string): RecordSender {
  const refuse = (): never => {
    throw new Error(`${service} is declared to publish nothing (publishes: false), yet something sent a record`);
  };
  return { send: async () => refuse(), sendBatch: async () => refuse() };
}
