import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { Pool } from 'pg';
import { AvroCodec } from '@eventline/avro';
import { kafkaClasspath, urls } from '@eventline/infra';
import { applyIfNewer, createInboxSchema, handleBatchOnce, handleOnce } from '@eventline/inbox';
import { buildHeaders, createKafka, createProducer, ensureTopics, EventConsumer, newEnvelope } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { createOutboxSchema, enqueue } from '@eventline/outbox';
import { isTransient } from '@eventline/runtime';
import { createDatabase, eventually, startTsProcess, uniqueName } from '@eventline/testkit';
import { benchCatalog, sampleUser, userState } from './lib/bench-catalog';
import { printProfile } from './lib/cpu-profile';
import { formatCpuShares, startCpuShares } from './lib/cpu-share';
import { printTable, repeat, row, type Row } from './lib/table';

/**
 * The platform kit's throughput on this machine, each figure the median of several runs, beside the
 * broker's own ceiling measured with Kafka's perf tools from the same jars. Needs `npm run infra -- up`.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** BENCH_CPU_PROF=1: each relay process runs under `node --cpu-prof`; its self time is printed by owner. */
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const logger = createLogger('bench', 'warn');
const kafka = createKafka({ brokers: [urls.kafka], clientId: 'bench', logger });
let consumerRun = 0;

async function newTopic(): Promise<string> {
  const topic = uniqueName('bench-users');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ name: topic, partitions: 3, compacted: false }]);
  await admin.disconnect();
  return topic;
}

async function avroMicroseconds(): Promise<Row[]> {
  const topic = await newTopic();
  const codec = new AvroCodec({ catalog: benchCatalog(topic), registryUrl: urls.registry, autoRegister: true });
  const users = Array.from({ length: EVENTS }, (_, i) => sampleUser(i));
  const encoded = await Promise.all(users.map((u) => codec.encode(topic, userState, u)));
  const encode = await repeat(RUNS + 2, async () => {
    const start = process.hrtime.bigint();
    for (const user of users) await codec.encode(topic, userState, user);
    return Number(process.hrtime.bigint() - start) / 1000 / users.length;
  });
  const decode = await repeat(RUNS + 2, async () => {
    const start = process.hrtime.bigint();
    for (const bytes of encoded) await codec.decode(bytes, userState);
    return Number(process.hrtime.bigint() - start) / 1000 / encoded.length;
  });
  return [row('Avro encode (validate + Confluent framing), UserState', 'µs/event', encode), row('Avro decode (registry-cached writer schema), UserState', 'µs/event', decode)];
}

async function fillOutbox(pool: Pool, topic: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    const tx = await pool.connect();
    await tx.query('BEGIN');
    await enqueue(
      tx,
      Array.from({ length: Math.min(500, count - from) }, (_, i) => ({
        topic,
        key: String((from + i) % 1000),
        recordName: userState,
        payload: sampleUser(from + i),
        envelope: newEnvelope('UserState', 'bench'),
      })),
    );
    await tx.query('COMMIT');
    tx.release();
  }
}

/**
 * `producer`: 'service', the producer every service's relay sends through (one send at a time), or
 * 'kafkajs', a bare kafkajs idempotent producer that the rounds in flight send through at once (what
 * the relay used before; it can drop records while a partition's leader moves, see RenewingProducer).
 */
export async function relayThroughput(relays: number, concurrency = 1, events = EVENTS, producer: 'service' | 'kafkajs' = 'service'): Promise<Row> {
  const runs = await repeat(RUNS, async () => {
    const topic = await newTopic();
    await new AvroCodec({ catalog: benchCatalog(topic), registryUrl: urls.registry, autoRegister: true }).schemaId(topic, userState);
    const databaseUrl = await createDatabase('bench_outbox');
    const pool = new Pool({ connectionString: databaseUrl });
    await createOutboxSchema(pool);
    await fillOutbox(pool, topic, events);
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: urls.kafka,
      SCHEMA_REGISTRY_URL: urls.registry,
      TOPIC: topic,
      CLAIM: String(16 / relays / concurrency),
      CONCURRENCY: String(concurrency),
      RELAY_PRODUCER: producer,
    };
    const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'relay-profile-')) : undefined;
    const workers = Array.from({ length: relays }, () =>
      startTsProcess(join(__dirname, 'workers', 'relay-worker.ts'), env, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    );
    await Promise.all(workers.map((w) => w.waitForLine(/relaying/)));
    const shares = startCpuShares(new Map([...workers.map((w): [number, string] => [w.child.pid!, 'relay']), [process.pid, 'bench (polls the outbox count)']]));
    const start = Date.now();
    await eventually(
      async () => Number((await pool.query('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL')).rows[0].n),
      (n) => n === 0,
      { intervalMs: 20, timeoutMs: 300_000, what: 'outbox drained' },
    );
    const seconds = (Date.now() - start) / 1000;
    process.stderr.write(`[bench] relay, ${events.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s; ${formatCpuShares(shares())}\n`);
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await pool.end();
    if (profileDir) printProfile(`relay (${relays} process${relays > 1 ? 'es' : ''}, ${concurrency} round(s) in flight)`, profileDir);
    return events / seconds;
  });
  const rounds = concurrency > 1 ? `, ${concurrency} rounds in flight each` : '';
  const through = producer === 'kafkajs' ? ', sends at once through a bare kafkajs producer' : '';
  return row(`Outbox relay, ${relays} relay process${relays > 1 ? 'es' : ''}${rounds}${through} (PostgreSQL → Kafka, Avro, acks=all)`, 'events/s', runs);
}

/**
 * Produces `events` UserState records (Avro, envelope headers, keyed) in sends of 1,000, `inFlight`
 * sends at a time; returns the seconds from the first send to the last acknowledgement.
 */
async function produceBacklog(topic: string, events = EVENTS, inFlight = 1): Promise<number> {
  const codec = new AvroCodec({ catalog: benchCatalog(topic), registryUrl: urls.registry, autoRegister: true });
  const producer = createProducer(kafka);
  await producer.connect();
  const start = Date.now();
  const sends = Array.from({ length: Math.ceil(events / 1000) }, (_, i) => i * 1000);
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let from = sends.shift(); from !== undefined; from = sends.shift()) {
        const messages = await Promise.all(
          Array.from({ length: Math.min(1000, events - from) }, async (_, i) => ({
            key: String((from + i) % 5000),
            value: await codec.encode(topic, userState, sampleUser((from + i) % 5000, Math.floor((from + i) / 5000) + 1)),
            headers: buildHeaders(newEnvelope('UserState', 'bench')),
          })),
        );
        await producer.send({ topic, acks: -1, messages });
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  await producer.disconnect();
  return seconds;
}

/**
 * The relay's Kafka work without its database: kafkajs producing the same kind of records from
 * memory (Avro encoding and envelope headers included), `inFlight` sends of 1,000 at a time, as the
 * relay's rounds do. The relay's figure over this one is the share its PostgreSQL round trips cost.
 */
export async function relayClientCeiling(inFlight = 2, events = EVENTS): Promise<Row> {
  const runs = await repeat(RUNS, async () => events / (await produceBacklog(await newTopic(), events, inFlight)));
  return row(`kafkajs alone: the relay's records from memory (Avro + headers), sends of 1,000, ${inFlight} in flight`, 'events/s', runs);
}

export async function consumerThroughput(target: 'postgres' | 'postgres-batch' | 'mongo'): Promise<Row> {
  const topic = await newTopic();
  await produceBacklog(topic);
  const codec = new AvroCodec({ catalog: benchCatalog(topic), registryUrl: urls.registry });
  const pool = new Pool({ connectionString: await createDatabase('bench_inbox'), max: 6 });
  await createInboxSchema(pool);
  await pool.query('CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, version bigint NOT NULL)');
  const mongo = await new MongoClient(urls.mongo).connect();
  const producer = createProducer(kafka);
  await producer.connect();
  const runs = await repeat(RUNS, async () => {
    const collection = mongo.db(uniqueName('bench')).collection<{ _id: number; email: string; version: number }>('users');
    let handled = 0;
    const consumer = new EventConsumer({
      kafka,
      groupId: uniqueName('bench'),
      topics: [topic],
      producer,
      logger,
      partitionsConsumedConcurrently: 3,
      isTransient,
      decode: async (value) => ({ value: (await codec.decode(value, userState)).value, recordName: userState }),
      handler: async (event) => {
        const user = event.value as ReturnType<typeof sampleUser>;
        if (target === 'postgres') {
          await handleOnce(pool, `bench-run-${consumerRun}`, event.envelope.eventId, async (tx) => {
            await tx.query(
              'INSERT INTO users VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, version = EXCLUDED.version WHERE users.version < EXCLUDED.version',
              [user.id, user.email, user.version],
            );
          });
        } else {
          await applyIfNewer(collection, user.id, user.version, { $set: { email: user.email } });
        }
        handled++;
      },
      // One transaction per run of records: the ids claimed at once, one upsert of each user's newest state.
      batchHandler:
        target !== 'postgres-batch'
          ? undefined
          : async (events) => {
              await handleBatchOnce(pool, `bench-run-${consumerRun}`, events, async (tx, fresh) => {
                const newest = new Map<number, ReturnType<typeof sampleUser>>();
                for (const event of fresh) {
                  const user = event.value as ReturnType<typeof sampleUser>;
                  if ((newest.get(user.id)?.version ?? -1) < user.version) newest.set(user.id, user);
                }
                const users = [...newest.values()].sort((a, b) => a.id - b.id);
                await tx.query(
                  `INSERT INTO users SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])
             ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, version = EXCLUDED.version WHERE users.version < EXCLUDED.version`,
                  [users.map((u) => u.id), users.map((u) => u.email), users.map((u) => u.version)],
                );
              });
              handled += events.length;
            },
    });
    const start = Date.now();
    void consumer.start();
    await eventually(
      async () => handled,
      (n) => n >= EVENTS,
      { intervalMs: 20, timeoutMs: 600_000, what: `${EVENTS} events handled` },
    );
    const seconds = (Date.now() - start) / 1000;
    await consumer.stop();
    consumerRun++;
    return EVENTS / seconds;
  });
  await producer.disconnect();
  await mongo.close();
  await pool.end();
  const into = {
    postgres: 'PostgreSQL (inbox + upsert in one transaction per record)',
    'postgres-batch': 'PostgreSQL, batched (handleBatchOnce: inbox + upsert in one transaction per run of records)',
    mongo: 'FerretDB on DocumentDB (version-guarded update)',
  }[target];
  return row(`Idempotent consumer into ${into}, 3 partitions`, 'events/s', runs);
}
function javaTool(mainClass: string, args: string[]): string {
  const result = spawnSync('java', ['-Xmx512m', '-cp', kafkaClasspath, mainClass, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${mainClass} failed: ${result.stderr}`);
  return result.stdout;
}

export async function brokerCeiling(records = 500_000): Promise<Row[]> {
  const produced: number[] = [];
  const consumed: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const topic = await newTopic();
    const out = javaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      '200',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${urls.kafka}`,
      'acks=all',
      'enable.idempotence=true',
      'linger.ms=5',
    ]);
    const summary = out.trim().split('\n').pop() ?? '';
    produced.push(Number(/([\d.]+) records\/sec/.exec(summary)?.[1]));
    const consumerOut = javaTool('org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server',
      urls.kafka,
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--group',
      uniqueName('perf'),
      '--timeout',
      '120000',
    ]);
    // Last line: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s.
    const fields =
      consumerOut
        .trim()
        .split('\n')
        .pop()
        ?.split(',')
        .map((f) => f.trim()) ?? [];
    consumed.push(Number(fields[9]));
  }
  return [
    row('Broker ceiling: kafka-producer-perf-test, 200 B records, acks=all, idempotent', 'records/s', produced),
    row('Broker ceiling: kafka-consumer-perf-test, same records (fetch rate)', 'records/s', consumed),
  ];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push(...(await avroMicroseconds()));
  rows.push(await relayThroughput(1));
  rows.push(await relayThroughput(1, 2));
  rows.push(await relayThroughput(1, 2, EVENTS, 'kafkajs'));
  rows.push(await relayThroughput(2));
  rows.push(await relayClientCeiling(2));
  rows.push(await consumerThroughput('postgres'));
  rows.push(await consumerThroughput('postgres-batch'));
  rows.push(await consumerThroughput('mongo'));
  rows.push(...(await brokerCeiling()));
  printTable(
    `Platform kit, ${EVENTS.toLocaleString('en-US')} events per run, ${RUNS} runs (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version})`,
    rows,
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
