import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { AvroCodec, type CartDetails } from '@eventline/avro';
import { buildHeaders, createProducer, ensureTopics, newEnvelope } from '@eventline/kafka';
import {
  eventually,
  isolatedKafkaEnvironment,
  localKafka,
  requestJson,
  startNodeProcess,
  startServiceProcess,
  uniqueName,
  urls,
  type RunningProcess,
  type ServiceProcess,
} from '@eventline/testkit';
import { getObject, startOperator, startOperatorCluster, type OperatorCluster } from './operator-fixture';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const carts = 400;

interface Job {
  metadata: { name: string; ownerReferences?: { kind: string; name: string; controller: boolean }[] };
  spec: { template: { spec: { containers: { command: string[]; env: { name: string; value?: string }[] }[] } } };
}

/**
 * Replays on a real API server (no kubelet there): the test stands in for the kubelet, running each
 * Job's own command with the Job's own environment from the repository's compiled services (as the
 * image would), and for the job controller, marking the Job complete when that command exits 0.
 * Everything else is real: Kafka, the registry, MongoDB (FerretDB), the cart-query service serving reads.
 */
describe('Replay of cart-query, reconciled by the operator', () => {
  let cluster: OperatorCluster;
  let common: NodeJS.ProcessEnv;
  let prefix: string;
  let mongo: MongoClient;
  let db: Db;
  let dbName: string;
  let cartQuery: ServiceProcess;
  const processes: { process: RunningProcess }[] = [];
  const kafka = localKafka('replay-test');
  const results = mkdtempSync(join(tmpdir(), 'eventline-replay-results-'));

  beforeAll(async () => {
    ({ prefix, common } = await isolatedKafkaEnvironment());
    dbName = uniqueName('carts').replace(/-/g, '_');
    cluster = await startOperatorCluster(uniqueName('operator-dev-replay'));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: `${prefix}cart-details`, partitions: 3, compacted: true }]);
    await admin.disconnect();
    // cart-details as cart-aggregator writes it: every cart at versions 1..3, the newest wins.
    const codec = new AvroCodec({ registryUrl: urls.registry });
    const producer = createProducer(kafka);
    await producer.connect();
    const messages = [];
    for (let version = 1; version <= 3; version++) {
      for (let c = 0; c < carts; c++) {
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
          headers: buildHeaders(newEnvelope('CartDetails', 'cart-aggregator')),
        });
      }
    }
    await producer.send({ topic: `${prefix}cart-details`, messages });
    await producer.disconnect();
    const serviceEnv = { ...common, MONGO_URL: urls.mongo, MONGO_DB: dbName, KAFKA_ENSURE_TOPICS: 'false' };
    cartQuery = await startServiceProcess('cart-query', serviceEnv);
    mongo = await new MongoClient(urls.mongo).connect();
    db = mongo.db(dbName);
    await eventually(
      async () => db.collection('cart_view').countDocuments({ version: 3 }),
      (n) => n === carts,
      { what: 'the live cart_view', timeoutMs: 60_000 },
    );
    // cart-query's Deployment as the chart renders its environment (no pod runs on this API server).
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cart-query' },
      spec: {
        selector: { matchLabels: { app: 'cart-query' } },
        template: {
          metadata: { labels: { app: 'cart-query' } },
          spec: {
            containers: [
              {
                name: 'cart-query',
                image: '127.0.0.1:5000/eventline-cart-query:local',
                env: Object.entries({ ...serviceEnv, PORT: '7000' }).map(([name, value]) => ({ name, value: String(value) })),
              },
            ],
          },
        },
      },
    };
    const created = cluster.kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
    if (created.status !== 0) throw new Error(created.stderr);
    // An API server, a service and its read model to start: beside the fuzz test on two cores, more
    // than the default 120 s (seen once in the fast tier).
  }, 300_000);

  afterAll(async () => {
    for (const p of processes) await p.process.kill('SIGKILL');
    await cartQuery?.process.kill();
    await mongo
      ?.db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo?.close();
    await cluster?.dispose();
    rmSync(results, { recursive: true, force: true });
  });

  const replay = (name: string, spec: string) => `apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
  const jobs = () => JSON.parse(cluster.kubectl(['get', 'jobs', '-o', 'json']).stdout).items as Job[];

  /**
   * The kubelet's part: the Job's command with the Job's environment, from the compiled repository;
   * the termination-message file the Job names (/dev/termination-log in a pod) is a file of the test's.
   */
  function runJob(job: Job, extraEnv: NodeJS.ProcessEnv = {}): RunningProcess {
    const container = job.spec.template.spec.containers[0]!;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? '']));
    expect(env.REPLAY_RESULT_PATH).toBe('/dev/termination-log');
    const [node, ...args] = container.command;
    expect(node).toBe('node');
    const running = startNodeProcess(args, { ...env, LOG_LEVEL: 'warn', REPLAY_RESULT_PATH: resultPath(job), ...extraEnv }, repoRoot);
    processes.push({ process: running });
    return running;
  }

  const resultPath = (job: Job) => join(results, `${job.metadata.name}.json`);

  /** The job controller's part: the Job marked complete. */
  function completeJob(name: string): void {
    const now = new Date().toISOString();
    const status = {
      status: {
        startTime: now,
        completionTime: now,
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now, lastProbeTime: now },
          { type: 'Complete', status: 'True', lastTransitionTime: now, lastProbeTime: now },
        ],
      },
    };
    const result = cluster.kubectl(['patch', `job/${name}`, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    if (result.status !== 0) throw new Error(result.stderr);
  }

  it('rebuilds cart_view equal to the live one while reads are served; one Job even across an operator restart; a second Replay waits', async () => {
    const live = await db.collection('cart_view').find().sort({ _id: 1 }).toArray();
    let operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-1' });
    processes.push(operator);
    expect(cluster.kubectl(['apply', '-f', '-'], replay('rebuild-carts', '{ service: cart-query }')).status).toBe(0);
    const [job] = await eventually(
      async () => jobs(),
      (list) => list.length === 1,
      { what: 'the replay Job' },
    );
    expect(job!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Replay', name: 'rebuild-carts', controller: true })]);
    const rebuilding = await eventually(
      async () => getObject(cluster, 'replay/rebuild-carts'),
      (r) => r?.status?.phase === 'Rebuilding' && r.status.lag?.total === 3 * carts,
      { what: 'Rebuilding with the whole topic as lag' },
    );
    const env = Object.fromEntries(job!.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ REPLAY_GROUP_ID: rebuilding!.status.consumerGroup, REPLAY_SWITCH: 'true', REPLAY_ABANDON: 'false', MONGO_DB: dbName });

    // A second Replay of the same read model waits for the first, saying why.
    expect(cluster.kubectl(['apply', '-f', '-'], replay('rebuild-carts-again', '{ service: cart-query, switchWhenCaughtUp: false }')).status).toBe(0);
    const waiting = await eventually(
      async () => getObject(cluster, 'replay/rebuild-carts-again'),
      (r) => r?.status?.phase === 'Pending',
      { what: 'the second Replay waiting' },
    );
    expect(waiting!.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'Waiting', message: 'waits for replay/rebuild-carts: one Replay of cart-query runs at a time' }),
    ]);

    // The operator killed mid-replay: its successor resumes the same Job, creates no second one.
    await operator.process.kill('SIGKILL');
    operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-2' });
    processes.push(operator);
    await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => l?.spec?.holderIdentity === 'operator-2',
      { what: 'operator-2 leading', timeoutMs: 20_000 },
    );

    // Reads keep being served while the replay runs (and switches).
    let reads = 0;
    const failures: unknown[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const response = await requestJson(`${cartQuery.url}/api/v1/c${reads % carts}`);
        if (response.status !== 200 || response.body.version !== 3) failures.push(response);
        reads++;
      }
    })();
    const run = runJob(job!, { EVENTLINE_DELAYS: 'replay.before-group-delete=4000' });
    const caughtUp = await eventually(
      async () => getObject(cluster, 'replay/rebuild-carts'),
      (r) => r?.status?.phase === 'CaughtUp',
      { what: "CaughtUp from the group's lag", timeoutMs: 60_000 },
    );
    expect(caughtUp!.status).toMatchObject({ lag: { total: 0 }, eventsApplied: 3 * carts });
    expect(caughtUp!.status.eventsPerSecond).toBeGreaterThan(0);
    expect(await run.exited).toBe(0);
    // What the pod's termination message would carry: the rebuilt generation now served.
    expect(JSON.parse(readFileSync(resultPath(job!), 'utf8'))).toEqual({ servedGeneration: 2, rebuiltGeneration: 2, switched: true });
    reading = false;
    await reader;
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(jobs().map((j) => j.metadata.name)).toEqual(['replay-rebuild-carts']);

    // The Job's completion reaches its Replay through the watch on the Replay's Jobs, not a poll:
    // operator-3 polls progress once a minute, and the Replay switches within seconds of the Job's end.
    await operator.process.kill('SIGTERM');
    operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-3', PROGRESS_INTERVAL_MS: '60000' });
    processes.push(operator);
    await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => l?.spec?.holderIdentity === 'operator-3',
      { what: 'operator-3 leading', timeoutMs: 20_000 },
    );
    // Its first pass over the Replays, right after it synced, is done well within this.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(getObject(cluster, 'replay/rebuild-carts')!.status.phase).toBe('CaughtUp');
    completeJob('replay-rebuild-carts');
    expect(cluster.kubectl(['wait', '--for=condition=Ready', 'replay/rebuild-carts', '--timeout=5s']).status).toBe(0);
    const switched = getObject(cluster, 'replay/rebuild-carts');
    expect(switched!.status).toMatchObject({ phase: 'Switched', lag: { total: 0 }, eventsApplied: 3 * carts });
    expect(switched!.status.completionTime).toBeDefined();
    expect(await db.collection('cart_view').find().sort({ _id: 1 }).toArray()).toEqual(live);
    const table = cluster.kubectl(['get', 'replays']).stdout;
    expect(table).toMatch(/rebuild-carts\s+cart-query\s+Switched\s+0\s+1200\s+True/);

    // The second one gets its turn as soon as the first is done, not at its next poll.
    await eventually(
      async () =>
        jobs()
          .map((j) => j.metadata.name)
          .sort(),
      (names) => names.includes('replay-rebuild-carts-again'),
      { what: "the second Replay's Job", timeoutMs: 10_000 },
    );
    // The next test reads progress from Kafka, which only polling sees: an operator polling every 300 ms.
    await operator.process.kill('SIGTERM');
    processes.push(await startOperator(cluster, { ...common, POD_NAME: 'operator-4' }));
    await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => l?.spec?.holderIdentity === 'operator-4',
      { what: 'operator-4 leading', timeoutMs: 20_000 },
    );
  });

  it('leaves no Job, consumer group or rebuilt collection behind when a Replay is deleted mid-run', async () => {
    const job = jobs().find((j) => j.metadata.name === 'replay-rebuild-carts-again')!;
    const groupId = getObject(cluster, 'replay/rebuild-carts-again')!.status.consumerGroup as string;
    // It builds its collection beside cart_view, then is held before it would finish.
    const run = runJob(job, { EVENTLINE_DELAYS: 'replay.before-switch=120000' });
    await eventually(
      async () => (await db.listCollections({ name: { $regex: '^cart_view_rebuild_' } }).toArray()).length,
      (n) => n === 1,
      { what: 'the rebuild collection' },
    );
    await eventually(
      async () => getObject(cluster, 'replay/rebuild-carts-again'),
      (r) => (r?.status?.eventsApplied ?? 0) > 0,
      { what: 'progress read from its group' },
    );

    expect(cluster.kubectl(['delete', 'replay/rebuild-carts-again', '--wait=false']).status).toBe(0);
    // The Job goes; its pod would be killed with it.
    await eventually(
      async () => jobs().map((j) => j.metadata.name),
      (names) => !names.includes('replay-rebuild-carts-again'),
      { what: 'the replay Job deleted' },
    );
    await run.kill('SIGKILL');
    const cleanup = await eventually(
      async () => jobs().find((j) => j.metadata.name === 'replay-rebuild-carts-again-cleanup'),
      (j) => j !== undefined,
      { what: 'the cleanup Job', timeoutMs: 60_000 },
    );
    expect(Object.fromEntries(cleanup!.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]))).toMatchObject({ REPLAY_ABANDON: 'true' });
    expect(await runJob(cleanup!).exited).toBe(0);
    completeJob('replay-rebuild-carts-again-cleanup');
    await eventually(
      async () => getObject(cluster, 'replay/rebuild-carts-again'),
      (r) => r === undefined,
      { what: 'the Replay gone' },
    );
    expect(jobs().map((j) => j.metadata.name)).toEqual(['replay-rebuild-carts']);
    expect(await db.listCollections({ name: { $regex: '^cart_view_rebuild_' } }).toArray()).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
    await admin.disconnect();
    expect(await db.collection('cart_view').countDocuments()).toBe(carts);
  });
});
