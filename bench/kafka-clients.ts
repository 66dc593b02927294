import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { kafkaClasspath, urls, versions } from '@eventline/infra';
import { uniqueName } from '@eventline/testkit';
import { formatNumber, median, printMatrix, printTable, row, type Row } from './lib/table';
import { confluentPackage, loadConfluent } from './lib/kafka-clients/confluent';
import { kafkajsClient } from './lib/kafka-clients/kafkajs';
import { ensurePromiseWithResolvers, platformaticClient, platformaticEngines } from './lib/kafka-clients/platformatic';
import { startSecuredBroker } from './lib/kafka-clients/secured-broker';
import { now, withTimeout, type BenchRecord, type ClientUnderTest, type ConnectionSettings, type PartitionerChoice, type Timing } from './lib/kafka-clients/types';

/**
 * Kafka client bake-off: kafkajs (the kit's client), @platformatic/kafka and
 * @confluentinc/kafka-javascript (its KafkaJS API on librdkafka), in one run against the same broker,
 * with the same records (keyed, 200-byte values, acks=all, idempotent producers):
 *
 * 1. produce, consume and transactional consume→produce records/s, each the median of BENCH_RUNS
 *    runs, the clients taking turns within each run, each beside Kafka's own perf tools (the Java
 *    client) from the same jars; the two fenced exactly-once models side by side: kafkajs with a
 *    transactional producer per input partition (the kit's) and Confluent's one producer whose
 *    sendOffsets carries the group generation (KIP-447);
 * 2. what each client supports of what the kit uses, checked for real where the bench can (Java
 *    murmur2 partitioning against the Java producer's own placement, admin calls, transactions with
 *    sendOffsets, SCRAM-SHA-512 and SCRAM over TLS on a broker of the bench's own) and otherwise
 *    taken from the clients' documentation and sources, each cell saying which.
 *
 * Needs `npm run infra -- up kafka` (KAFKA_PORT etc. as for infra).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const TX_BATCH = Number(process.env.BENCH_TX_BATCH ?? 500);
/** The Java tools run longer than the clients so that JIT warm-up does not lower the ceiling. */
const PERF_RECORDS = Number(process.env.BENCH_PERF_RECORDS ?? Math.max(EVENTS, 200_000));
const PARTITIONS = 3;
const STEP_TIMEOUT_MS = 300_000;

/**
 * `npm view <package> time --json`, read when this bench was written (2026-11-30), for the version
 * each dist-tag `latest` named. The registry reachable here lists no `created`/`modified` entries
 * and its times are not in version order (@confluentinc/kafka-javascript 1.3.1 shows 2026-09-28,
 * after 1.10.1; @platformatic/kafka 1.27.0 shows 2026-08-23, after 1.31.0's 2026-03-23): they look
 * like the times it took each version in, not the publication dates. Printed as they are.
 */
const REGISTRY_TIMES: Record<string, { latest: string; time: string; note: string }> = {
  kafkajs: { latest: '2.2.4', time: '2024-12-07', note: 'no release after 2.2.4 but 2.3.0-beta.0…3 (registry times 2026-08-22…09-14)' },
  '@platformatic/kafka': { latest: '2.12.1', time: '2026-09-27', note: '17 versions listed, 1.11.0 … 2.12.1' },
  [confluentPackage]: { latest: '1.10.1', time: '2026-09-12', note: '33 versions listed' },
};

/** What the bench did not run, from each client's documentation and package sources (1.10.1 for Confluent's). */
const FROM_DOCS: Record<string, Record<string, string>> = {
  [confluentPackage]: {
    transactions: 'yes — docs (transaction(), sendOffsets({ consumer, topics }): a Consumer, not a consumerGroupId)',
    createTopics: 'yes — docs (admin.createTopics)',
    endOffsets: 'yes — docs (admin.fetchTopicOffsets)',
    groupOffsets: 'yes — docs (admin.fetchOffsets)',
    deleteGroups: 'yes — docs (admin.deleteGroups)',
    setGroupOffsets: 'no — source (KafkaJS admin of 1.10.1 has no setOffsets)',
    murmur2: 'yes — docs (KafkaJS layer fixes partitioner=murmur2_random; createPartitioner throws)',
    scram: 'yes — docs (kafkaJS.sasl scram-sha-512)',
    tls: 'yes — docs (kafkaJS.ssl: true + ssl.ca.pem outside kafkaJS)',
  },
};

const admin: { kafka: Kafka; client?: Admin } = { kafka: new Kafka({ brokers: [urls.kafka], clientId: 'bench-clients-admin', logLevel: logLevel.NOTHING }) };

async function kafkaAdmin(): Promise<Admin> {
  if (!admin.client) {
    admin.client = admin.kafka.admin();
    await admin.client.connect();
  }
  return admin.client;
}

async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await (await kafkaAdmin()).createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  return topic;
}

async function endOffsets(topic: string): Promise<number[]> {
  return (await (await kafkaAdmin()).fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
}

async function committedOffsets(groupId: string, topic: string): Promise<number[]> {
  const [entry] = await (await kafkaAdmin()).fetchOffsets({ groupId, topics: [topic] });
  const result = Array.from({ length: PARTITIONS }, () => -1);
  for (const p of entry?.partitions ?? []) result[p.partition] = Number(p.offset);
  return result;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The workload: keys of 10,000 users, values of 200 random bytes (1,000 distinct ones, reused). */
function makeRecords(count: number): BenchRecord[] {
  const values = Array.from({ length: 1000 }, () => randomBytes(200));
  return Array.from({ length: count }, (_, i) => ({ key: `user-${i % 10_000}`, value: values[i % values.length]! }));
}

// ---------------------------------------------------------------------------------------------
// Kafka's own perf tools

function javaTool(mainClass: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('java', ['-Xmx512m', '-Dfile.encoding=UTF-8', '-cp', kafkaClasspath, mainClass, ...args], {
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function javaToolOk(mainClass: string, args: string[], input?: string): string {
  const result = javaTool(mainClass, args, input);
  if (result.status !== 0) throw new Error(`${mainClass} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

async function javaPerf(): Promise<{ produce: number[]; consume: number[] }> {
  const produce: number[] = [];
  const consume: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const topic = await newTopic('bench-clients-perf');
    const out = javaToolOk('org.apache.kafka.tools.ProducerPerformance', [
      '--topic',
      topic,
      '--num-records',
      String(PERF_RECORDS),
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
    produce.push(Number(/([\d.]+) records\/sec/.exec(out.trim().split('\n').pop() ?? '')?.[1]));
    const consumerOut = javaToolOk('org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server',
      urls.kafka,
      '--topic',
      topic,
      '--num-records',
      String(PERF_RECORDS),
      '--group',
      uniqueName('bench-clients-perf'),
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
    consume.push(Number(fields[9]));
  }
  return { produce, consume };
}

// ---------------------------------------------------------------------------------------------
// Throughput

interface ClientResults {
  produce: number[];
  consume: number[];
  consumeStartMs: number[];
  transact: number[];
  /** Consume → produce with a transactional producer per input partition (clients that offer it). */
  transactPerPartition: number[];
  /** The last run's transactional input, output and group, for the checks after the runs. */
  last?: { input: string; output: string; groupId: string };
  failures: string[];
}

const plain = (clientId: string): ConnectionSettings => ({ brokers: [urls.kafka], clientId });

async function throughputRun(client: ClientUnderTest, shared: BenchRecord[], results: ClientResults): Promise<void> {
  // Each client gets records of its own: Confluent's send writes into the message objects it is given
  // (a partition of -1), which made the next client's send of the same objects land nowhere.
  const records = shared.map(({ key, value }) => ({ key, value }));
  const session = client.open(plain('bench-clients'));
  const input = await newTopic('bench-clients-in');
  const produced = await withTimeout(`${client.name} produce`, STEP_TIMEOUT_MS, session.produce(input, records, BATCH, 'java'));
  const landed = sum(await endOffsets(input));
  if (landed !== records.length) throw new Error(`${client.name}: produced ${records.length} records, the topic holds ${landed}`);
  results.produce.push(records.length / ((produced.lastMs - produced.startMs) / 1000));

  const consumed: Timing = await withTimeout(`${client.name} consume`, STEP_TIMEOUT_MS, session.consume(input, records.length));
  // From the first records in hand to the last, as kafka-consumer-perf-test's fetch rate leaves the group join out.
  results.consume.push((records.length - consumed.firstCount) / ((consumed.lastMs - consumed.firstMs) / 1000));
  results.consumeStartMs.push(consumed.firstMs - consumed.startMs);

  const output = await newTopic('bench-clients-out');
  const groupId = uniqueName('bench-clients-tx');
  const copied = await withTimeout(`${client.name} transactional copy`, STEP_TIMEOUT_MS, session.transact(input, output, groupId, records.length, TX_BATCH));
  results.transact.push(records.length / ((copied.lastMs - copied.firstMs) / 1000));
  const committed = await committedOffsets(groupId, input);
  const ends = await endOffsets(input);
  if (!same(committed, ends)) throw new Error(`${client.name}: transactional group committed ${committed.join(',')}, input ends at ${ends.join(',')}`);
  results.last = { input, output, groupId };
  if (session.transactPerPartition) {
    const perPartitionOutput = await newTopic('bench-clients-out');
    const perPartitionGroup = uniqueName('bench-clients-tx');
    const copiedPerPartition = await withTimeout(
      `${client.name} transactional copy, producer per partition`,
      STEP_TIMEOUT_MS,
      session.transactPerPartition(input, perPartitionOutput, perPartitionGroup, records.length, TX_BATCH),
    );
    results.transactPerPartition.push(records.length / ((copiedPerPartition.lastMs - copiedPerPartition.firstMs) / 1000));
    const committedPerPartition = await committedOffsets(perPartitionGroup, input);
    if (!same(committedPerPartition, ends))
      throw new Error(`${client.name}: per-partition transactional group committed ${committedPerPartition.join(',')}, input ends at ${ends.join(',')}`);
    const landedPerPartition = sum(await endOffsets(perPartitionOutput));
    if (landedPerPartition < records.length) throw new Error(`${client.name}: per-partition copy wrote ${landedPerPartition} records of ${records.length}`);
  }
  await session.close();
}

// ---------------------------------------------------------------------------------------------
// Capabilities

type Cells = Record<string, string>;

/** 600 keys of the kinds the services use and some that stress murmur2's tail bytes and UTF-8. */
function partitionKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < 200; i++) keys.push(`user-${i}`);
  for (let i = 0; i < 200; i++)
    keys.push(
      createHash('sha256')
        .update(`k${i}`)
        .digest('hex')
        .slice(0, 1 + (i % 40)),
    );
  for (let i = 0; i < 100; i++) {
    const h = createHash('md5').update(`order${i}`).digest('hex');
    keys.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
  }
  for (let i = 0; i < 100; i++) keys.push(`заказ-${i}-ü€`);
  return keys;
}

/** Where kafkajs' DefaultPartitioner (Java's murmur2, positive, modulo the partitions) puts each key. */
function kafkajsExpectation(keys: string[]): Map<string, number> {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
  return new Map(keys.map((key) => [key, partitioner({ topic: 't', partitionMetadata, message: { key, value: null } })]));
}

/** Each key's partition on a topic, read back with kafkajs (reading does not depend on who wrote). */
async function readKeyPartitions(topic: string, count: number): Promise<Map<string, number>> {
  const consumer = admin.kafka.consumer({ groupId: uniqueName('bench-clients-reader'), maxWaitTimeInMs: 200 });
  const placed = new Map<string, number>();
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) placed.set(m.key?.toString('utf8') ?? '', batch.partition);
      seen += batch.messages.length;
      if (seen >= count) done();
    },
  });
  await withTimeout(`reading ${count} records of ${topic}`, 60_000, all);
  await consumer.disconnect();
  return placed;
}

/** The Java producer's own placement: kafka-console-producer with keys, from the same jars. */
async function javaPlacement(keys: string[]): Promise<{ placed?: Map<string, number>; reason?: string }> {
  const topic = await newTopic('bench-clients-java-keys');
  const input = keys.map((k) => `${k}\tv\n`).join('');
  const attempts: string[] = [];
  for (const mainClass of ['org.apache.kafka.tools.ConsoleProducer', 'kafka.tools.ConsoleProducer']) {
    for (const flag of ['--reader-property', '--property']) {
      const result = javaTool(mainClass, ['--bootstrap-server', urls.kafka, '--topic', topic, flag, 'parse.key=true', flag, 'key.separator=\t'], input);
      if (result.status === 0 && sum(await endOffsets(topic)) >= keys.length) return { placed: await readKeyPartitions(topic, keys.length) };
      attempts.push(`${mainClass} ${flag}: exit ${result.status} ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      if (sum(await endOffsets(topic)) > 0) return { reason: `console producer wrote part of the keys: ${attempts.join('; ')}` };
    }
  }
  return { reason: attempts.join('; ') };
}

function mismatches(placed: Map<string, number>, reference: Map<string, number>): number {
  let differ = 0;
  for (const [key, partition] of reference) if (placed.get(key) !== partition) differ++;
  return differ;
}

async function partitionChecks(clients: ClientUnderTest[], cells: Map<string, Cells>): Promise<string> {
  const keys = partitionKeys();
  const expected = kafkajsExpectation(keys);
  const java = await javaPlacement(keys);
  const reference = java.placed ?? expected;
  const referenceName = java.placed ? 'the Java producer' : "kafkajs' DefaultPartitioner";
  let note = java.placed
    ? `Java producer vs kafkajs DefaultPartitioner expectation: ${mismatches(java.placed, expected)} of ${keys.length} keys differ`
    : `Java placement unavailable (${java.reason}); compared with kafkajs' DefaultPartitioner`;
  for (const client of clients) {
    const parts: string[] = [];
    let ok = false;
    for (const choice of client.partitioners) {
      const topic = await newTopic('bench-clients-keys');
      const session = client.open(plain('bench-clients-keys'));
      await withTimeout(
        `${client.name} keyed produce`,
        60_000,
        session.produce(
          topic,
          keys.map((key) => ({ key, value: Buffer.from('v') })),
          100,
          choice,
        ),
      );
      await session.close();
      const differ = mismatches(await readKeyPartitions(topic, keys.length), reference);
      if (differ === 0) ok = true;
      parts.push(`${label(client, choice)}: ${differ === 0 ? 'all' : `${keys.length - differ}`} of ${keys.length} keys as ${referenceName}`);
    }
    cells.get(client.name)!.murmur2 = `${ok ? 'yes' : 'NO'} — bench (${parts.join('; ')})`;
  }
  note += `; ${keys.length} keys (user ids, hex of 1–40 chars, UUIDs, non-ASCII), ${PARTITIONS} partitions`;
  return note;
}

function label(client: ClientUnderTest, choice: PartitionerChoice): string {
  if (client.partitioners.length === 1) return 'default partitioner';
  return choice === 'default' ? 'default partitioner' : 'compatibilityPartitioner';
}

async function adminChecks(client: ClientUnderTest, results: ClientResults, cells: Cells): Promise<void> {
  const session = client.open(plain('bench-clients-admin'));
  const clientAdmin = await session.admin();
  try {
    const topic = uniqueName('bench-clients-admin');
    await clientAdmin.createTopic(topic, PARTITIONS);
    const [meta] = (await (await kafkaAdmin()).fetchTopicMetadata({ topics: [topic] })).topics;
    const listed = (await clientAdmin.listTopics()).includes(topic);
    cells.createTopics = meta?.partitions.length === PARTITIONS && listed ? 'yes — bench' : `NO — bench (${meta?.partitions.length ?? 0} partitions, listed: ${listed})`;

    const { input, groupId } = results.last!;
    const ends = await endOffsets(input);
    const theirs = await clientAdmin.endOffsets(input, PARTITIONS);
    cells.endOffsets = same(theirs, ends) ? 'yes — bench' : `NO — bench (${theirs.join(',')} vs ${ends.join(',')})`;

    const committed = await committedOffsets(groupId, input);
    const theirCommitted = await clientAdmin.groupOffsets(groupId, input, PARTITIONS);
    cells.groupOffsets = same(theirCommitted, committed) ? 'yes — bench' : `NO — bench (${theirCommitted.join(',')} vs ${committed.join(',')})`;

    if (clientAdmin.setGroupOffsets) {
      const target = Array.from({ length: PARTITIONS }, (_, p) => p);
      await clientAdmin.setGroupOffsets(groupId, input, target);
      const after = await committedOffsets(groupId, input);
      cells.setGroupOffsets = same(after, target) ? 'yes — bench' : `NO — bench (${after.join(',')} after setting ${target.join(',')})`;
    } else {
      cells.setGroupOffsets = FROM_DOCS[client.name.split(' ')[0]!]?.setGroupOffsets ?? 'no — the client has no such call';
    }

    await clientAdmin.deleteGroup(groupId);
    const left = (await (await kafkaAdmin()).listGroups()).groups.some((g) => g.groupId === groupId);
    cells.deleteGroups = left ? 'NO — bench (the group is still listed)' : 'yes — bench';
  } finally {
    await clientAdmin.close();
    await session.close();
  }
}

/** The transactional output, read read_committed: every input record exactly once. */
async function transactionCheck(results: ClientResults, cells: Cells): Promise<void> {
  const { output } = results.last!;
  const consumer = admin.kafka.consumer({ groupId: uniqueName('bench-clients-verify'), readUncommitted: false, maxWaitTimeInMs: 200 });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: output, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => void (seen += batch.messages.length) });
  const deadline = Date.now() + 60_000;
  while (seen < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500)); // anything beyond EVENTS would be a duplicate
  await consumer.disconnect();
  cells.transactions =
    seen === EVENTS
      ? `yes — bench (${results.transact.length} runs: input offsets committed in the transactions = input end offsets; last output, read_committed: ${EVENTS.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')})`
      : `NO — bench (read_committed output holds ${seen} of ${EVENTS} records)`;
}

/** Refused or never answered: either way the wrong password did not get a record in. */
async function refused(work: Promise<unknown>): Promise<boolean> {
  try {
    await withTimeout('wrong password', 20_000, work);
    return false;
  } catch {
    return true;
  }
}

async function securityChecks(clients: ClientUnderTest[], cells: Map<string, Cells>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-clients-secured-'));
  const users = { bench: 'bench-secret' };
  const startedAt = now();
  const broker = await startSecuredBroker(dir, users);
  const started = `secured broker (SASL_PLAINTEXT + SASL_SSL, SCRAM-SHA-512) up in ${((now() - startedAt) / 1000).toFixed(1)} s`;
  try {
    const securedAdmin = new Kafka({
      brokers: [broker.scram],
      clientId: 'bench-clients-secured',
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: broker.users.admin! },
    }).admin();
    await securedAdmin.connect();
    for (const client of clients) {
      for (const [cell, address, tlsCa] of [
        ['scram', broker.scram, undefined],
        ['tls', broker.scramTls, broker.caPem],
      ] as const) {
        const topic = uniqueName('bench-clients-secured');
        await securedAdmin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
        const good = client.open({ brokers: [address], clientId: 'bench-clients-secured', sasl: { username: 'bench', password: users.bench }, tlsCa });
        let verdict: string;
        try {
          await withTimeout(`${client.name} ${cell} produce`, 60_000, good.produce(topic, makeRecords(10), 10, 'java'));
          const clientAdmin = await good.admin();
          const landed = sum(await clientAdmin.endOffsets(topic, PARTITIONS));
          await clientAdmin.close();
          const bad = client.open({ brokers: [address], clientId: 'bench-clients-secured', sasl: { username: 'bench', password: 'wrong' }, tlsCa });
          const rejected = await refused(bad.produce(topic, makeRecords(1), 1, 'java'));
          await bad.close().catch(() => undefined);
          const what = cell === 'scram' ? 'SCRAM-SHA-512' : 'SCRAM-SHA-512 over TLS, broker certificate trusted from PEM';
          verdict =
            landed === 10 && rejected
              ? `yes — bench (${what}: 10 records produced, admin read them; wrong password refused)`
              : `NO — bench (${what}: ${landed} of 10 records; wrong password ${rejected ? 'refused' : 'accepted'})`;
        } catch (error) {
          verdict = `NO — bench (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
        }
        await good.close().catch(() => undefined);
        cells.get(client.name)![cell] = verdict;
      }
    }
    await securedAdmin.disconnect();
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return started;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const shimmed = ensurePromiseWithResolvers();
  const confluent = await loadConfluent();
  const clients: ClientUnderTest[] = [kafkajsClient, platformaticClient, ...(confluent.client ? [confluent.client] : [])];
  const records = makeRecords(EVENTS);
  const benchStart = now();

  const perf = await javaPerf();
  const results = new Map<string, ClientResults>(
    clients.map((c) => [c.name, { produce: [], consume: [], consumeStartMs: [], transact: [], transactPerPartition: [], failures: [] }]),
  );
  for (let run = 0; run < RUNS; run++) {
    // The clients take turns within each run, starting with a different one each time.
    for (let i = 0; i < clients.length; i++) {
      const client = clients[(run + i) % clients.length]!;
      const result = results.get(client.name)!;
      try {
        await throughputRun(client, records, result);
      } catch (error) {
        result.failures.push(`run ${run + 1}: ${error instanceof Error ? error.message : String(error)}`);
        console.error(`${client.name}, run ${run + 1}:`, error);
      }
    }
  }

  const notes: string[] = [];
  const cells = new Map<string, Cells>(clients.map((c) => [c.name, {}]));
  notes.push(`partitioning: ${await partitionChecks(clients, cells)}`);
  for (const client of clients) {
    const result = results.get(client.name)!;
    if (!result.last) {
      notes.push(`${client.name}: no successful throughput run, so no admin or transaction checks`);
      continue;
    }
    await adminChecks(client, result, cells.get(client.name)!).catch((error: unknown) => {
      notes.push(`${client.name}: admin checks stopped: ${error instanceof Error ? error.message : String(error)}`);
    });
    await transactionCheck(result, cells.get(client.name)!);
  }
  notes.push(await securityChecks(clients, cells));
  const seconds = (now() - benchStart) / 1000;

  // Table 1: every measured figure with its runs.
  const rows: Row[] = [
    row(`Java client: kafka-producer-perf-test, ${PERF_RECORDS.toLocaleString('en-US')} records, unkeyed, acks=all, idempotent, linger.ms=5`, 'records/s', perf.produce),
    row('Java client: kafka-consumer-perf-test, the same records (fetch rate)', 'records/s', perf.consume),
  ];
  for (const client of clients) {
    const r = results.get(client.name)!;
    if (r.produce.length > 0) rows.push(row(`${client.name}: produce, sends of ${BATCH}, one in flight`, 'records/s', r.produce));
    if (r.consume.length > 0) rows.push(row(`${client.name}: consume, new group, first to last record`, 'records/s', r.consume));
    if (r.consumeStartMs.length > 0) rows.push(row(`${client.name}: consume, subscribe to first record (group join, first fetch)`, 'ms', r.consumeStartMs));
    if (r.transact.length > 0) rows.push(row(`${client.name}: consume → produce, ${TX_BATCH} records per transaction + sendOffsets`, 'records/s', r.transact));
    if (r.transactPerPartition.length > 0) {
      rows.push(row(`${client.name}: consume → produce, ${TX_BATCH} records per transaction + sendOffsets, a producer per input partition`, 'records/s', r.transactPerPartition));
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Kafka ${versions.kafka}`;
  printTable(`Kafka clients, ${EVENTS.toLocaleString('en-US')} records of 200 B per run (keyed, acks=all, idempotent), ${PARTITIONS} partitions, ${RUNS} runs (${machine})`, rows);

  // Table 2: side by side, as ratios to the Java perf tools.
  const cell = (values: number[], ceiling: number[]) => (values.length === 0 ? 'failed' : `${formatNumber(median(values))} (${(median(values) / median(ceiling)).toFixed(2)}×)`);
  const header = ['records/s, median (× Java perf tool)', `Java client (perf tools)`, ...clients.map((c) => c.name)];
  printMatrix('Side by side (ratio to the Java client measured by the perf tools in the same run)', header, [
    ['produce', formatNumber(median(perf.produce)), ...clients.map((c) => cell(results.get(c.name)!.produce, perf.produce))],
    ['consume', formatNumber(median(perf.consume)), ...clients.map((c) => cell(results.get(c.name)!.consume, perf.consume))],
    ['consume → produce in transactions, one producer (ratio to the producer perf tool)', '—', ...clients.map((c) => cell(results.get(c.name)!.transact, perf.produce))],
    [
      'consume → produce in transactions, a producer per input partition',
      '—',
      ...clients.map((c) => (results.get(c.name)!.transactPerPartition.length > 0 ? cell(results.get(c.name)!.transactPerPartition, perf.produce) : 'not offered')),
    ],
  ]);

  // Table 3: what the kit uses.
  const get = (client: ClientUnderTest, key: string) => cells.get(client.name)?.[key] ?? FROM_DOCS[client.name.split(' ')[0]!]?.[key] ?? 'not checked';
  const capabilities: [string, string][] = [
    ['transactions + sendOffsets (consume → produce)', 'transactions'],
    ['admin: create topics', 'createTopics'],
    ['admin: fetch topic (end) offsets', 'endOffsets'],
    ['admin: fetch group offsets', 'groupOffsets'],
    ['admin: delete groups', 'deleteGroups'],
    ['admin: set group offsets (operator Replay)', 'setGroupOffsets'],
    ['Java-compatible murmur2 partitioning', 'murmur2'],
    ['SCRAM-SHA-512', 'scram'],
    ['TLS (SCRAM over TLS, CA from PEM)', 'tls'],
  ];
  const runtime: Record<string, string> = {
    [kafkajsClient.name]: 'pure JS; runs on this Node — bench',
    [platformaticClient.name]: `pure JS, ESM only (loaded with require(esm)); declares Node ${platformaticEngines}${shimmed ? `; on ${process.version} it calls the missing Promise.withResolvers, which the bench added — bench` : ' — bench'}`,
  };
  if (confluent.client) runtime[confluent.client.name] = 'native addon (librdkafka, compiled at install here) — bench';
  const released = (name: string) => {
    const entry = REGISTRY_TIMES[name.split(' ')[0]!];
    return entry ? `latest ${entry.latest}, registry time ${entry.time} (${entry.note}) — npm view` : 'unknown';
  };
  // Confluent's client, when it could not be loaded, keeps a column of what its docs and sources say.
  const columns = clients.map((c) => ({ name: c.name, cell: (key: string) => get(c, key) }));
  if (!confluent.client) {
    const docs = FROM_DOCS[confluentPackage]!;
    runtime[confluentPackage] = 'native addon (librdkafka compiled at install); not installed here, see below';
    columns.push({ name: `${confluentPackage} (not installed: docs only)`, cell: (key) => docs[key] ?? 'not checked' });
  }
  printMatrix(
    'What the kit uses (bench = checked by this run; docs/source = read, not run)',
    ['capability', ...columns.map((c) => c.name)],
    [
      ...capabilities.map(([what, key]) => [what, ...columns.map((c) => c.cell(key))]),
      ['runtime', ...clients.map((c) => runtime[c.name] ?? ''), ...(confluent.client ? [] : [runtime[confluentPackage]!])],
      ['last release', ...clients.map((c) => released(c.name)), ...(confluent.client ? [] : [released(confluentPackage)])],
    ],
  );
  console.log('');
  for (const note of notes) console.log(`- ${note}`);
  for (const client of clients) {
    for (const failure of results.get(client.name)!.failures) console.log(`- ${client.name} failed ${failure}`);
  }
  if (!confluent.client) {
    const entry = REGISTRY_TIMES[confluentPackage]!;
    console.log(
      `- ${confluentPackage} (latest ${entry.latest}) left out: it does not load here (${confluent.reason}). Its install compiles librdkafka,` +
        ' whose default (static) configure downloads zlib, OpenSSL, zstd and curl sources from their sites, out of reach here;' +
        ' see README "Kafka clients" for the build that links the system libraries instead. Its capability cells above come from its docs and sources.',
    );
  }
  console.log(`- whole bench ${seconds.toFixed(0)} s`);
}

main().then(
  async () => {
    await admin.client?.disconnect();
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
