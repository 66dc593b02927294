import { buildHeaders, ensureTopics, newEnvelope } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { eventually, localKafka, uniqueName } from '@eventline/testkit';
import { REDRIVE_LEDGER_TOPIC } from '../../src/redrive/ledger';
import { RedriveRun } from '../../src/redrive/run';
import type { Redrive } from '../../src/redrive/types';
import { readRecords } from './operator-fixture';

const logger = createLogger('redrive-run-test', 'silent');

/**
 * A Redrive's run against real Kafka, without the API server: how it knows it has read its .dlq to the
 * end offsets it began with. Dead letters written in a transaction end in a commit marker, an offset
 * below the end offset that is never delivered as a record.
 */
describe('RedriveRun against real Kafka', () => {
  const kafka = localKafka('redrive-run-test');

  it('ends once its batches reach the end offsets, markers included, without waiting for its idle limit', async () => {
    const prefix = `${uniqueName('t')}.`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { name: `${prefix}orders`, partitions: 1, compacted: false },
      { name: `${prefix}${REDRIVE_LEDGER_TOPIC}`, partitions: 1, compacted: true },
    ]);
    const producer = kafka.producer({ transactionalId: uniqueName('dead-letterer'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({
      topic: `${prefix}orders.dlq`,
      messages: [0, 1, 2].map((i) => ({
        key: `o${i}`,
        value: `order ${i}`,
        headers: { ...buildHeaders(newEnvelope('OrderPlaced', 'test')), 'dlq-error': 'boom', 'dlq-source-topic': 'orders' },
      })),
    });
    await transaction.commit();
    await producer.disconnect();
    // Three records and the commit marker after them (written once the transaction's commit has
    // reached the partition: the end offset read committed is 0 until then).
    const ends = await eventually(
      () => admin.fetchTopicOffsets(`${prefix}orders.dlq`),
      (offsets) => offsets.every((p) => p.high === '4'),
      { what: 'the commit marker in orders.dlq', timeoutMs: 10_000 },
    );
    await admin.disconnect();

    const redrive: Redrive = {
      apiVersion: 'eventline.dev/v1alpha1',
      kind: 'Redrive',
      metadata: { name: 'orders-back', namespace: 'test', uid: uniqueName('uid') },
      spec: { topic: 'orders' },
    };
    const run = new RedriveRun({
      kafka,
      logger,
      redrive,
      prefix,
      groupId: uniqueName('redrive'),
      endOffsets: new Map(ends.map((p) => [p.partition, BigInt(p.high)])),
      sessionTimeoutMs: 6000,
      // Far beyond this test's timeout: the run must end by its position, not by idling.
      idleMs: 10 * 60_000,
    });
    await run.start();
    await expect(run.done).resolves.toMatchObject({ moved: 3, skipped: 0, alreadyMoved: 0 });
    const moved = await readRecords(kafka, `${prefix}orders`);
    expect(moved.map((m) => m.key?.toString()).sort()).toEqual(['o0', 'o1', 'o2']);
  }, 90_000);
});
