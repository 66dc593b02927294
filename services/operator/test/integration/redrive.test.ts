import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { buildHeaders, createProducer, ensureTopics, EventConsumer, newEnvelope, PoisonRecordError } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { eventually, isolatedKafkaEnvironment, localKafka, uniqueName, type RunningProcess } from '@eventline/testkit';
import {
  finishJob,
  getObject,
  listJobs,
  readRecords,
  readyStatus,
  recordJobPod,
  runJobCommand,
  startOperator,
  startOperatorCluster,
  type JobObject,
  type OperatorCluster,
} from './operator-fixture';

const logger = createLogger('redrive-test', 'silent');

interface Order {
  id: string;
  amount: number;
}

/**
 * A real consumer that dead-letters orders above a configured amount; after the "fix" (the limit
 * raised, as a config change would) a Redrive takes the dead letters back, and each is handled once.
 */
class OrdersConsumer {
  readonly handled = new Map<string, number>();
  rejectAbove = 100;
  private consumer: EventConsumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    private readonly topic: string,
  ) {}

  async start(): Promise<void> {
    const producer = createProducer(this.kafka);
    await producer.connect();
    this.consumer = new EventConsumer({
      kafka: this.kafka,
      producer,
      logger,
      topicPrefix: this.prefix,
      topics: [this.topic],
      groupId: `${this.prefix}${this.topic}-consumer`,
      sessionTimeoutMs: 6000,
      decode: async (value) => ({ value: JSON.parse(value.toString()) as Order, recordName: 'Order' }),
      handler: async (event) => {
        const order = event.value as Order;
        if (order.amount > this.rejectAbove) throw new PoisonRecordError(`amount ${order.amount} above the limit ${this.rejectAbove}`);
        this.handled.set(event.envelope.eventId, (this.handled.get(event.envelope.eventId) ?? 0) + 1);
      },
    });
    await this.consumer.start();
    const stop = this.consumer.stop.bind(this.consumer);
    this.stop = async () => {
      await stop();
      await producer.disconnect();
    };
  }

  stop: () => Promise<void> = async () => undefined;
}

async function publish(kafka: Kafka, topic: string, orders: { type: string; amount: number }[]): Promise<string[]> {
  const producer = createProducer(kafka);
  await producer.connect();
  const ids: string[] = [];
  await producer.send({
    topic,
    messages: orders.map((order, i) => {
      const envelope = newEnvelope(order.type, 'redrive-test');
      ids.push(envelope.eventId);
      return { key: `order-${i}`, value: JSON.stringify({ id: `order-${i}`, amount: order.amount }), headers: buildHeaders(envelope) };
    }),
  });
  await producer.disconnect();
  return ids;
}

const redrive = (name: string, spec: string) => `apiVersion: eventline.dev/v1alpha1\nkind: Redrive\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

/**
 * Redrives on a real API server (no kubelet there): the test stands in for the kubelet, running each
 * redrive Job's own command with the Job's own environment from the compiled repository (as the
 * operator's image would), recording each attempt as an ended pod with its termination message, and
 * for the job controller, marking the Job complete, or failed once its attempts are spent.
 * Everything else is real: Kafka, the operator process, its RBAC.
 */
describe('Redrive, reconciled by the operator on a real API server, moved by its Job against real Kafka', () => {
  let cluster: OperatorCluster;
  let prefix: string;
  let common: NodeJS.ProcessEnv;
  const kafka = localKafka('redrive-test');
  const processes: { process: RunningProcess }[] = [];
  const consumers: OrdersConsumer[] = [];
  const results = mkdtempSync(join(tmpdir(), 'eventline-redrive-results-'));

  // As replay.test.ts's: an API server and etcd of its own start here, which on a busy machine (the
  // local tier runs two suites at once) took over the default 120 s in a CI run.
  beforeAll(async () => {
    ({ prefix, common } = await isolatedKafkaEnvironment());
    cluster = await startOperatorCluster(uniqueName('operator-dev-redrive'));
  }, 300_000);

  afterAll(async () => {
    for (const p of processes) await p.process.kill();
    for (const c of consumers) await c.stop();
    await cluster?.dispose();
    rmSync(results, { recursive: true, force: true });
  });

  const jobOf = (redriveName: string) =>
    eventually(
      async () => listJobs(cluster).find((j) => j.metadata.name === `redrive-${redriveName}`),
      (job) => job !== undefined,
      { what: `job/redrive-${redriveName}`, timeoutMs: 60_000 },
    ) as Promise<JobObject>;

  /**
   * The kubelet and the job controller for a Redrive's Job: a pod per attempt, each with the extra
   * environment given for it, until one exits 0 (Complete) or the Job's attempts are spent (Failed).
   */
  async function runRedriveJob(redriveName: string, attempts: NodeJS.ProcessEnv[] = [{}]): Promise<(number | string)[]> {
    const job = await jobOf(redriveName);
    const allowed = (job.spec.backoffLimit ?? 0) + 1;
    const exits: (number | string)[] = [];
    for (const [attempt, env] of attempts.slice(0, allowed).entries()) {
      const resultPath = join(results, `${job.metadata.name}-${attempt}`);
      const run = runJobCommand(job, { REDRIVE_RESULT_PATH: resultPath, ...env });
      processes.push({ process: run });
      const exit = await run.exited;
      exits.push(exit);
      recordJobPod(cluster, job, attempt, exit === 0 ? 'Succeeded' : 'Failed', existsSync(resultPath) ? readFileSync(resultPath, 'utf8') : '');
      if (exit === 0) {
        finishJob(cluster, job.metadata.name, 'Complete');
        return exits;
      }
    }
    if (exits.length === allowed) finishJob(cluster, job.metadata.name, 'Failed');
    return exits;
  }

  async function deadLettered(topic: string, orders: { type: string; amount: number }[], expected: number): Promise<{ consumer: OrdersConsumer; ids: string[] }> {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: prefix + topic, partitions: 3, compacted: false }]);
    await admin.disconnect();
    const consumer = new OrdersConsumer(kafka, prefix, topic);
    consumers.push(consumer);
    await consumer.start();
    const ids = await publish(kafka, prefix + topic, orders);
    await eventually(
      async () => (await readRecords(kafka, `${prefix}${topic}.dlq`)).length,
      (n) => n === expected,
      { what: `${expected} dead letters`, timeoutMs: 60_000 },
    );
    return { consumer, ids };
  }

  it('moves the matching dead letters back once: the fixed consumer handles each exactly once; applying again moves nothing more', async () => {
    const orders = [
      { type: 'OrderPlaced', amount: 10 },
      { type: 'OrderPlaced', amount: 500 },
      { type: 'OrderPlaced', amount: 20 },
      { type: 'OrderPlaced', amount: 700 },
      { type: 'OrderCancelled', amount: 900 },
    ];
    const { consumer, ids } = await deadLettered('orders', orders, 3);
    expect([...consumer.handled.keys()].sort()).toEqual([ids[0], ids[2]].sort());

    const operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-a' });
    processes.push(operator);
    // A dry run first: counts, moves nothing.
    expect(
      cluster.kubectl(['apply', '-f', '-'], redrive('orders-dry', '{ topic: orders, dryRun: true, filter: { eventTypes: [OrderPlaced], errorContains: above the limit } }')).status,
    ).toBe(0);
    expect(await runRedriveJob('orders-dry')).toEqual([0]);
    const dry = await eventually(
      async () => getObject(cluster, 'redrive/orders-dry'),
      (o) => readyStatus(o) === 'True',
      { what: 'the dry run done', timeoutMs: 60_000 },
    );
    // A dry run commits nothing to Kafka: its counts are what its pod said as it ended.
    expect(dry!.status).toMatchObject({ phase: 'Completed', recordsMatched: 2, recordsSkipped: 1, recordsMoved: 0, job: 'redrive-orders-dry' });

    consumer.rejectAbove = 1000; // the fix
    const manifest = redrive('orders-back', '{ topic: orders, filter: { eventTypes: [OrderPlaced] } }');
    expect(cluster.kubectl(['apply', '-f', '-'], manifest).status).toBe(0);
    const job = await jobOf('orders-back');
    // Owned by its Redrive; the operator's image, the redrive command; no Kubernetes API needed.
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Redrive', name: 'orders-back', controller: true })]);
    expect(job.spec.template.spec.containers[0]!.command).toEqual(['node', 'services/operator/dist/redrive/command.js']);
    expect(await runRedriveJob('orders-back')).toEqual([0]);
    const done = await eventually(
      async () => getObject(cluster, 'redrive/orders-back'),
      (o) => readyStatus(o) === 'True',
      { what: 'the redrive done', timeoutMs: 60_000 },
    );
    expect(done!.status).toMatchObject({ phase: 'Completed', recordsMoved: 2, recordsSkipped: 1, observedGeneration: 1, job: 'redrive-orders-back' });
    expect(done!.metadata.finalizers).toEqual(['eventline.dev/cleanup']);
    await eventually(
      async () => consumer.handled.size,
      (n) => n === 4,
      { what: 'both redriven orders handled' },
    );
    expect([...consumer.handled.keys()].sort()).toEqual([ids[0], ids[1], ids[2], ids[3]].sort());

    // Applied again: unchanged, nothing moves twice (the resync reconciles it again meanwhile).
    expect(cluster.kubectl(['apply', '-f', '-'], manifest).stdout).toContain('unchanged');
    expect(cluster.kubectl(['annotate', 'redrive/orders-back', 'touched=yes']).status).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    const redriven = (await readRecords(kafka, `${prefix}orders`)).filter((m) => header(m, 'redrive-count') !== undefined);
    expect(redriven.map((m) => header(m, 'event-id')).sort()).toEqual([ids[1], ids[3]].sort());
    for (const message of redriven) {
      expect(header(message, 'redrive-count')).toBe('1');
      expect(header(message, 'redrive-by')).toBe(`${cluster.namespace}/orders-back`);
      expect(header(message, 'redrive-from')).toMatch(new RegExp(`^${prefix.replace(/\./g, '\\.')}orders\\.dlq/0/\\d+$`));
      expect(Object.keys(message.headers ?? {}).filter((h) => h.startsWith('dlq-'))).toEqual([]);
    }
    expect([...consumer.handled.values()]).toEqual([1, 1, 1, 1]);
    const events = cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=orders-back', '-o', 'json']);
    expect((JSON.parse(events.stdout).items as { reason: string }[]).map((e) => e.reason)).toEqual(expect.arrayContaining(['Started', 'JobCreated', 'Completed']));

    // Two more Redrives of the same topic at once, with no filter: they run one after the other, and
    // neither moves again what orders-back moved (the redrive ledger); only the cancelled order goes.
    expect(cluster.kubectl(['apply', '-f', '-'], `${redrive('orders-all', '{ topic: orders }')}---\n${redrive('orders-all-again', '{ topic: orders }')}`).status).toBe(0);
    await jobOf('orders-all');
    expect(listJobs(cluster).map((j) => j.metadata.name)).not.toContain('redrive-orders-all-again');
    expect(await runRedriveJob('orders-all')).toEqual([0]);
    const all = await eventually(
      async () => getObject(cluster, 'redrive/orders-all'),
      (o) => readyStatus(o) === 'True',
      { what: 'orders-all done', timeoutMs: 60_000 },
    );
    expect(all!.status).toMatchObject({ phase: 'Completed', recordsMoved: 1, recordsAlreadyMoved: 2, recordsSkipped: 0 });
    expect(await runRedriveJob('orders-all-again')).toEqual([0]);
    const again = await eventually(
      async () => getObject(cluster, 'redrive/orders-all-again'),
      (o) => readyStatus(o) === 'True',
      { what: 'orders-all-again done', timeoutMs: 60_000 },
    );
    expect(again!.status).toMatchObject({ phase: 'Completed', recordsMoved: 0, recordsAlreadyMoved: 3, recordsSkipped: 0 });
    // It had waited, saying why (the same creation second: the name decides which goes first).
    const againEvents = JSON.parse(cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=orders-all-again', '-o', 'json']).stdout).items as {
      reason: string;
      message: string;
    }[];
    expect(againEvents).toContainEqual(expect.objectContaining({ reason: 'Waiting', message: 'waits for redrive/orders-all: one Redrive of orders runs at a time' }));
    expect(new Date(again!.status.startTime).getTime()).toBeGreaterThanOrEqual(new Date(all!.status.completionTime).getTime() - 1000);
    await eventually(
      async () => consumer.handled.size,
      (n) => n === 5,
      { what: 'the cancelled order handled' },
    );
    const movedOnce = (await readRecords(kafka, `${prefix}orders`)).filter((m) => header(m, 'redrive-count') !== undefined);
    expect(movedOnce.map((m) => header(m, 'event-id')).sort()).toEqual([ids[1], ids[3], ids[4]].sort());
    expect([...consumer.handled.values()]).toEqual([1, 1, 1, 1, 1]);

    // Deleted: the finalizer deletes the Redrive's Job and consumer group, then lets it go.
    const groupId = done!.status.consumerGroup as string;
    expect(cluster.kubectl(['delete', 'redrive/orders-back', '--wait=true', '--timeout=60s']).status).toBe(0);
    expect(getObject(cluster, 'job/redrive-orders-back')).toBeUndefined();
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
    await admin.disconnect();
    await operator.process.kill();
  });

  it.each([
    ['with its transaction open', 'redrive.before-commit', 'payments'],
    ['right after a commit, before the operator read its counts', 'redrive.after-commit', 'refunds'],
  ])('moves each record once when its Job is killed midway (%s) and the operator replaced meanwhile', async (_when, failpoint, topic) => {
    const count = 8;
    const { consumer, ids } = await deadLettered(
      topic,
      Array.from({ length: count }, () => ({ type: 'PaymentTaken', amount: 5000 })),
      count,
    );
    consumer.rejectAbove = 10_000;
    const first = await startOperator(cluster, { ...common, POD_NAME: `${topic}-operator-first`, REDRIVE_RECORDS_PER_TRANSACTION: '1' });
    processes.push(first);
    await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => l?.spec?.holderIdentity === `${topic}-operator-first`,
      { what: 'the first operator leading' },
    );
    expect(cluster.kubectl(['apply', '-f', '-'], redrive(`${topic}-back`, `{ topic: ${topic} }`)).status).toBe(0);
    const job = await jobOf(`${topic}-back`);
    // The operator dies too: the Job does not depend on it.
    expect(await first.process.kill('SIGKILL')).toBe('SIGKILL');
    // The Job's first pod kills itself (SIGKILL) at the failpoint of its first transaction (one record each).
    const first_attempt = runJobCommand(job, { EVENTLINE_FAILPOINTS: failpoint, REDRIVE_RESULT_PATH: join(results, `${topic}-0`) });
    processes.push({ process: first_attempt });
    expect(await first_attempt.exited).toBe('SIGKILL');
    recordJobPod(cluster, job, 0, 'Failed', '');
    expect(consumer.handled.size).toBeLessThan(count);

    // It reads progress once a minute: the Redrive completes within seconds of its Job only through the watch on the Jobs.
    const successor = await startOperator(cluster, { ...common, POD_NAME: `${topic}-operator-successor`, REDRIVE_RECORDS_PER_TRANSACTION: '1', PROGRESS_INTERVAL_MS: '60000' });
    processes.push(successor);
    // The Job's second pod resumes from what Kafka committed.
    expect(await runRedriveJob(`${topic}-back`, [{}])).toEqual([0]);
    const done = await eventually(
      async () => getObject(cluster, `redrive/${topic}-back`),
      (o) => readyStatus(o) === 'True',
      { what: 'the redrive done, seen by the successor', timeoutMs: 10_000 },
    );
    expect(done!.status).toMatchObject({ phase: 'Completed', recordsMoved: count, recordsSkipped: 0 });
    expect(getObject(cluster, 'lease/eventline-operator')!.spec.holderIdentity).toBe(`${topic}-operator-successor`);
    // One Job across both operators.
    expect(listJobs(cluster).filter((j) => j.metadata.name === `redrive-${topic}-back`)).toHaveLength(1);
    await eventually(
      async () => consumer.handled.size,
      (n) => n === count,
      { what: 'every payment handled' },
    );
    const redriven = (await readRecords(kafka, `${prefix}${topic}`)).filter((m) => header(m, 'redrive-count') !== undefined);
    expect(redriven.map((m) => header(m, 'event-id')).sort()).toEqual([...ids].sort());
    expect(new Set(redriven.map((m) => header(m, 'redrive-from'))).size).toBe(count);
    expect([...consumer.handled.values()]).toEqual(Array(count).fill(1));
    // Stopped gracefully, the successor releases the Lease at once.
    expect(await successor.process.kill()).toBe(0);
    expect(getObject(cluster, 'lease/eventline-operator')!.spec.holderIdentity).toBe('');
  });

  it('ends Failed, saying why, once its Job has failed every attempt it is allowed', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: `${prefix}chargebacks.dlq`, partitions: 1, compacted: false }]);
    await admin.disconnect();
    await publish(kafka, `${prefix}chargebacks.dlq`, [{ type: 'ChargebackOpened', amount: 1 }]);
    const operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-strict', REDRIVE_ATTEMPTS: '2' });
    processes.push(operator);
    expect(cluster.kubectl(['apply', '-f', '-'], redrive('chargebacks-back', '{ topic: chargebacks }')).status).toBe(0);
    expect((await jobOf('chargebacks-back')).spec.backoffLimit).toBe(1);
    // Every pod finds no broker where its environment says (as with a wrong address or a broker away for good).
    const unreachable = { KAFKA_BROKERS: '127.0.0.1:9', KAFKA_RETRY_DEADLINE_MS: '1000' };
    const exits = await runRedriveJob('chargebacks-back', [unreachable, unreachable, unreachable]);
    expect(exits).toEqual([1, 1]);
    const failed = await eventually(
      async () => getObject(cluster, 'redrive/chargebacks-back'),
      (o) => o?.status?.phase === 'Failed',
      { what: 'the redrive failed', timeoutMs: 60_000 },
    );
    const ready = failed!.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'JobFailed' });
    expect(ready.message).toMatch(/^job\/redrive-chargebacks-back failed 2 time\(s\): .+ \(BackoffLimitExceeded: Job has reached the specified backoff limit\)$/);
    expect(failed!.status).toMatchObject({ recordsMoved: 0, job: 'redrive-chargebacks-back' });
    await operator.process.kill();
  });
});
