import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { AvroCodec, type CartDetails } from '@eventline/avro';
import { buildHeaders, createProducer, ensureTopics, newEnvelope } from '@eventline/kafka';
import { isolatedKafkaEnvironment, localKafka, startNodeProcess, uniqueName, urls } from '@eventline/testkit';
import {
  finishJob,
  getObject,
  listJobs,
  recordJobPod,
  runJobCommand,
  startOperator,
  startOperatorCluster,
  type OperatorCluster,
} from '../services/operator/test/integration/operator-fixture';
import { printTable, repeat, row } from './lib/table';

/**
 * eventline-operator on a real kube-apiserver + etcd with the local Kafka and FerretDB. There is no
 * kubelet on that API server: the bench runs each replay and redrive Job's own command with the Job's
 * own environment (the compiled services, as in the image) and marks the Job complete when it exits 0.
 *   - Replay created → its Job created (the operator's reconcile latency);
 *   - the replay group caught up (lag 0 in Kafka, polled every 25 ms) → status CaughtUp;
 *   - the rebuild's events/s as the status reports it (cart-query, BENCH_CARTS carts × 3 versions);
 *   - a Redrive of BENCH_DEAD_LETTERS records: created → its Job created, the Job's run (records moved
 *     per second), and the Job complete → status Completed (through the watch on the Redrives' Jobs);
 *   - the Replay's status writes (the API server's apiserver_request_total, PATCH of replays/status)
 *     per progress interval from creation to Switched — at most one is the goal, a pass started by
 *     the operator's own status patch shows as more — and, once nothing changes, the writes and the
 *     operator's CPU over 10 s.
 * The operator reads progress every PROGRESS_INTERVAL_MS (500 ms here; the chart's default 2 s).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CARTS = Number(process.env.BENCH_CARTS ?? 2000);
const DEAD_LETTERS = Number(process.env.BENCH_DEAD_LETTERS ?? 2000);
const PROGRESS_INTERVAL_MS = 500;
const repoRoot = join(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a replay may take: at least 100 events a second (the default 2 minutes for small ones). */
const REPLAY_TIMEOUT_MS = Math.max(120_000, ((3 * CARTS) / 100) * 1000);

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000, pollMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(pollMs);
  }
}

/** Status writes of `resource` the API server has served so far (PATCH and PUT of its status subresource). */
function statusWrites(cluster: OperatorCluster, resource: string): number {
  let writes = 0;
  for (const line of cluster.kubectl(['get', '--raw', '/metrics']).stdout.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes(`resource="${resource}"`) && line.includes('subresource="status"') && /verb="(PATCH|PUT)"/.test(line)) {
      writes += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return writes;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const { prefix, common } = await isolatedKafkaEnvironment();
  const cluster = await startOperatorCluster(uniqueName('operator-dev-bench'));
  try {
    await measure(cluster, prefix, common);
  } finally {
    await cluster.dispose();
  }
}

async function measure(cluster: OperatorCluster, prefix: string, common: NodeJS.ProcessEnv): Promise<void> {
  const kafka = localKafka('bench-operator');
  const dbName = uniqueName('bench_carts').replace(/-/g, '_');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ name: `${prefix}cart-details`, partitions: 3, compacted: true }]);
  const codec = new AvroCodec({ registryUrl: urls.registry });
  const producer = createProducer(kafka);
  await producer.connect();
  for (let version = 1; version <= 3; version++) {
    const messages = [];
    for (let c = 0; c < CARTS; c++) {
      const value: CartDetails = {
        customerId: `c${c}`,
        cartId: `cart-${c}`,
        status: 'OPEN',
        lines: [{ itemId: '1', productName: 'Pen', unitPrice: 2, qty: version, lineTotal: 2 * version }],
        total: 2 * version,
        version,
      };
      messages.push({
        key: value.customerId,
        value: await codec.encode('cart-details', 'dev.eventline.carts.CartDetails', value),
        headers: buildHeaders(newEnvelope('CartDetails', 'bench')),
      });
    }
    // In chunks: a long replay (BENCH_CARTS in the hundreds of thousands) does not fit one request.
    for (let from = 0; from < messages.length; from += 10_000) await producer.send({ topic: `${prefix}cart-details`, messages: messages.slice(from, from + 10_000) });
  }
  const env = { ...common, MONGO_URL: urls.mongo, MONGO_DB: dbName, KAFKA_ENSURE_TOPICS: 'false' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cart-query' },
    spec: {
      selector: { matchLabels: { app: 'cart-query' } },
      template: {
        metadata: { labels: { app: 'cart-query' } },
        spec: { containers: [{ name: 'cart-query', image: 'eventline-cart-query', env: Object.entries(env).map(([name, value]) => ({ name, value: String(value) })) }] },
      },
    },
  };
  cluster.kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
  const operator = await startOperator(cluster, {
    ...common,
    POD_NAME: 'bench',
    PROGRESS_INTERVAL_MS: String(PROGRESS_INTERVAL_MS),
    // The chart's lease timings (the tests' fixture renews every 300 ms), so that the idle CPU is production's.
    LEASE_DURATION_SECONDS: '15',
    LEASE_RETRY_MS: '2000',
  });
  try {
    await runs(cluster, admin, producer, prefix, operator.process.child.pid!);
  } finally {
    await operator.process.kill();
    await producer.disconnect();
    await admin.disconnect();
  }
}

async function runs(cluster: OperatorCluster, admin: Admin, producer: Producer, prefix: string, operatorPid: number): Promise<void> {
  const writesPerInterval: number[] = [];
  const idleWrites: number[] = [];
  const idleCpuMs: number[] = [];
  const jobCreated: number[] = [];
  const statusAfterCaughtUp: number[] = [];
  const eventsPerSecond: number[] = [];
  let run = 0;
  await repeat(RUNS, async () => {
    const name = `bench-${run++}`;
    const writesAtStart = statusWrites(cluster, 'replays');
    const created = Date.now();
    cluster.kubectl(['apply', '-f', '-'], `apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: ${name} }\nspec: { service: cart-query }\n`);
    const job = await until(() => {
      const found = getObject(cluster, `job/replay-${name}`);
      return found?.metadata ? found : undefined;
    });
    jobCreated.push(Date.now() - created);
    const container = job.spec.template.spec.containers[0];
    const jobEnv = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const groupId = jobEnv.REPLAY_GROUP_ID!;
    const ends = new Map((await admin.fetchTopicOffsets(`${prefix}cart-details`)).map((p) => [p.partition, BigInt(p.high)]));
    // Held 5 s before it deletes its group, so that the operator reads the final offsets.
    const replay = startNodeProcess(container.command.slice(1), { ...jobEnv, LOG_LEVEL: 'warn', EVENTLINE_DELAYS: 'replay.before-group-delete=5000' }, repoRoot);
    const statusSeen = until(() => (getObject(cluster, `replay/${name}`)?.status?.phase === 'CaughtUp' ? Date.now() : undefined), REPLAY_TIMEOUT_MS);
    const caughtUp = await until(
      async () => {
        const offsets = await admin.fetchOffsets({ groupId, topics: [`${prefix}cart-details`] });
        const done = offsets[0]!.partitions.every((p) => BigInt(p.offset) >= (ends.get(p.partition) ?? 0n));
        return done ? Date.now() : undefined;
      },
      REPLAY_TIMEOUT_MS,
      CARTS > 10_000 ? 200 : 25,
    );
    statusAfterCaughtUp.push(Math.max(0, (await statusSeen) - caughtUp));
    if ((await replay.exited) !== 0) throw new Error(`replay ${name} failed`);
    finishJob(cluster, `replay-${name}`, 'Complete');
    const switched = await until(() => {
      const r = getObject(cluster, `replay/${name}`);
      return r?.status?.phase === 'Switched' ? r : undefined;
    });
    eventsPerSecond.push(switched.status.eventsPerSecond);
    writesPerInterval.push((statusWrites(cluster, 'replays') - writesAtStart) / ((Date.now() - created) / PROGRESS_INTERVAL_MS));
    // Nothing changes now: no status write and next to no CPU (the replay's own requeues have ended).
    const [idleFrom, cpuFrom] = [statusWrites(cluster, 'replays'), cpuSeconds(operatorPid)];
    await sleep(10_000);
    idleWrites.push(statusWrites(cluster, 'replays') - idleFrom);
    idleCpuMs.push((cpuSeconds(operatorPid) - cpuFrom) * 1000);
    cluster.kubectl(['delete', `replay/${name}`, '--wait=true']);
    return 0;
  });

  const redriveJobCreated: number[] = [];
  const redriveRunMs: number[] = [];
  const movedPerSecond: number[] = [];
  const redriveStatusAfterJob: number[] = [];
  await repeat(RUNS, async () => {
    const topic = uniqueName('bench-redrive');
    await ensureTopics(admin, [{ name: prefix + topic, partitions: 3, compacted: false }]);
    const failedAt = new Date(Date.now() - 60_000).toISOString();
    const messages = Array.from({ length: DEAD_LETTERS }, (_, i) => ({
      key: `k${i}`,
      value: `v${i}`,
      headers: { ...buildHeaders(newEnvelope('OrderPlaced', 'bench')), 'dlq-error': 'bench failure', 'dlq-source-topic': prefix + topic, 'dlq-failed-at': failedAt },
    }));
    await producer.send({ topic: `${prefix}${topic}.dlq`, messages });
    const created = Date.now();
    cluster.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: eventline.dev/v1alpha1\nkind: Redrive\nmetadata: { name: ${topic} }\nspec: { topic: ${topic}, filter: { olderThan: 30s } }\n`,
    );
    const job = await until(() => listJobs(cluster).find((j) => j.metadata.name === `redrive-${topic}`));
    redriveJobCreated.push(Date.now() - created);
    const started = Date.now();
    const run = runJobCommand(job, { REDRIVE_RESULT_PATH: '' });
    if ((await run.exited) !== 0) throw new Error(`the redrive of ${topic} failed: ${run.stderr()}`);
    const ran = Date.now() - started;
    recordJobPod(cluster, job, 0, 'Succeeded', '');
    const ended = Date.now();
    finishJob(cluster, job.metadata.name, 'Complete');
    const done = await until(() => (getObject(cluster, `redrive/${topic}`)?.status?.phase === 'Completed' ? Date.now() : undefined));
    const moved = getObject(cluster, `redrive/${topic}`)!.status.recordsMoved as number;
    if (moved !== DEAD_LETTERS) throw new Error(`moved ${moved} of ${DEAD_LETTERS}`);
    redriveRunMs.push(ran);
    movedPerSecond.push(moved / (ran / 1000));
    redriveStatusAfterJob.push(done - ended);
    return 0;
  });

  printTable(
    `eventline-operator (real kube-apiserver, local Kafka + FerretDB; cart-query replay of ${3 * CARTS} records; Redrive of ${DEAD_LETTERS} records, 100 per transaction; progress read every ${PROGRESS_INTERVAL_MS} ms)`,
    [
      row('Replay created → Job created', 'ms', jobCreated),
      row('replay group caught up → status CaughtUp', 'ms', statusAfterCaughtUp),
      row('rebuild rate, as status.eventsPerSecond reports it', 'events/s', eventsPerSecond),
      row('Replay status writes per progress interval, created → Switched (goal ≤ 1)', 'writes', writesPerInterval),
      row('Replay status writes in 10 s once nothing changes', 'writes', idleWrites),
      row('operator CPU in 10 s once nothing changes', 'ms', idleCpuMs),
      row('Redrive created → Job created', 'ms', redriveJobCreated),
      row(`Redrive Job run (${DEAD_LETTERS} records, process start to exit)`, 'ms', redriveRunMs),
      row('Redrive move rate (Job run)', 'records/s', movedPerSecond),
      row('Redrive Job complete → status Completed', 'ms', redriveStatusAfterJob),
    ],
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
