import type { PartitionMetadata } from 'kafkajs';
import { createRetry, createSendMessages, protocolError, silentLogger } from '../fixtures/kafkajs-send';

/**
 * kafkajs 2.2.4's own send (producer/sendMessages.js) against one scripted broker that keeps an
 * idempotent producer's state per partition as Kafka does: a batch whose sequence range equals one
 * it wrote is answered as a duplicate (success, the first write's offset, nothing written); a batch
 * that does not start right after the last one written is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
 * Shown without a broker: why RenewingProducer replaces its producer after every failed send.
 */

const topic = 'cart-events';
const NOT_LEADER_FOR_PARTITION = 6;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;

interface ProduceRequest {
  producerId: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[];
}

/**
 * Partitions 0 and 1 on one broker. While `partitionOneMoving`, the broker answers a request that
 * carries partition 1 with NOT_LEADER_FOR_PARTITION for it, having written partition 0's batch of the
 * same request (a leader moving during a broker's roll); kafkajs' response parser then throws for the
 * whole request.
 */
function scriptedBroker() {
  const logs = new Map<number, string[]>();
  const log = (partition: number) => {
    if (!logs.has(partition)) logs.set(partition, []);
    return logs.get(partition)!;
  };
  /** Per producer id and partition, as Kafka keeps it. */
  const state = new Map<string, { lastSequence: number; batches: { first: number; last: number; offset: number }[] }>();
  const producerState = (producerId: number, partition: number) => {
    const key = `${producerId}/${partition}`;
    if (!state.has(key)) state.set(key, { lastSequence: -1, batches: [] });
    return state.get(key)!;
  };
  const control = { partitionOneMoving: true };
  const broker = {
    nodeId: 0,
    async produce({ producerId, topicData }: ProduceRequest) {
      let failure: number | undefined;
      const answers: { partition: number; errorCode: number; baseOffset: string }[] = [];
      for (const entry of topicData.flatMap((t) => t.partitions)) {
        if (entry.partition === 1 && control.partitionOneMoving) {
          failure ??= NOT_LEADER_FOR_PARTITION;
          continue;
        }
        const p = producerState(producerId, entry.partition);
        const first = entry.firstSequence;
        const last = first + entry.messages.length - 1;
        const duplicate = p.batches.find((b) => b.first === first && b.last === last);
        if (duplicate) {
          answers.push({ partition: entry.partition, errorCode: 0, baseOffset: String(duplicate.offset) });
          continue;
        }
        if (first !== p.lastSequence + 1) {
          failure ??= OUT_OF_ORDER_SEQUENCE_NUMBER;
          continue;
        }
        const offset = log(entry.partition).length;
        log(entry.partition).push(...entry.messages.map((m) => m.value));
        p.batches.push({ first, last, offset });
        p.lastSequence = last;
        answers.push({ partition: entry.partition, errorCode: 0, baseOffset: String(offset) });
      }
      if (failure !== undefined) throw protocolError(failure);
      return { topics: [{ topicName: topic, partitions: answers }] };
    },
  };
  const partitionMetadata = (): PartitionMetadata[] => [0, 1].map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  const cluster = {
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    async connect() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () => partitionMetadata(),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => ({ 0: partitions.map(Number) }),
    async findBroker() {
      return broker;
    },
  };
  return { cluster, control, written: log };
}

/** kafkajs' per-partition counter of one producer id, as its eosManager keeps it. */
function sequenceCounter(producerId: number) {
  const next = new Map<number, number>();
  return {
    isTransactional: () => false,
    async acquireBrokerLock() {},
    async releaseBrokerLock() {},
    getSequence: (_topic: string, partition: number) => next.get(partition) ?? 0,
    updateSequence: (_topic: string, partition: number, increment: number) => next.set(partition, (next.get(partition) ?? 0) + increment),
    getProducerId: () => producerId,
    getProducerEpoch: () => 0,
  };
}

describe("kafkajs 2.2.4's idempotent send after a request that wrote one partition and failed another", () => {
  const records = (...keys: string[]) => [{ topic, messages: keys.map((key) => ({ key, value: key })) }];
  /** The key's first character is its partition. */
  const partitioner = ({ message }: { message: { key: string } }) => Number(message.key[0]);

  it("takes back the written partition's sequence numbers too: a different batch of the same size is then answered as its duplicate and never written", async () => {
    const { cluster, control, written } = scriptedBroker();
    const send = createSendMessages({
      logger: silentLogger(),
      cluster,
      partitioner,
      eosManager: sequenceCounter(1000),
      retrier: createRetry({ retries: 2, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    // One send with a record for each partition: partition 0 written on the first attempt, partition 1
    // refused on every attempt; the send fails.
    await expect(send({ acks: -1, timeout: 1000, topicMessages: records('0-event-270', '1-other') })).rejects.toThrow();
    expect(written(0)).toEqual(['0-event-270']);
    control.partitionOneMoving = false;

    // The caller sends again what it still has to send, plus what came since: refused, out of order.
    await expect(send({ acks: -1, timeout: 1000, topicMessages: records('0-event-270', '0-event-271') })).rejects.toThrow(/out of order sequence/);

    // Another batch of one record through the same producer: answered with the first write's offset,
    // and not written.
    const answered = await send({ acks: -1, timeout: 1000, topicMessages: records('0-event-272') });
    expect(answered).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: '0' })]);
    expect(written(0)).toEqual(['0-event-270']);
  });

  it('writes it under a new producer id (a new counter), as RenewingProducer sends after a failure', async () => {
    const { cluster, control, written } = scriptedBroker();
    const sendThrough = (producerId: number) =>
      createSendMessages({
        logger: silentLogger(),
        cluster,
        partitioner,
        eosManager: sequenceCounter(producerId),
        retrier: createRetry({ retries: 2, initialRetryTime: 1, maxRetryTime: 5 }),
      });
    await expect(sendThrough(1000)({ acks: -1, timeout: 1000, topicMessages: records('0-event-270', '1-other') })).rejects.toThrow();
    control.partitionOneMoving = false;

    const renewed = sendThrough(1001);
    await renewed({ acks: -1, timeout: 1000, topicMessages: records('0-event-270', '0-event-271') });
    await renewed({ acks: -1, timeout: 1000, topicMessages: records('0-event-272') });
    // 270 twice (the consumers drop the second: its version is not past the cart's), nothing lost.
    expect(written(0)).toEqual(['0-event-270', '0-event-270', '0-event-271', '0-event-272']);
  });
});
