import type { PartitionMetadata } from 'kafkajs';
import { createRetry, createSendMessages, protocolError, silentLogger } from '../fixtures/kafkajs-send';
import { PartitionTracker, UnwrittenRecordsError } from '../../src/partition-tracker';

/**
 * kafkajs 2.2.4's own send (producer/sendMessages.js) against a scripted cluster of two brokers: the
 * defect PartitionTracker guards against (tulios/kafkajs#1303), shown without a broker. Internal
 * modules, loaded by path: they are what the producer runs.
 */

const topic = 'cart-events';

interface ProduceRequest {
  topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[];
}

/**
 * Partitions 0 and 1, led by brokers 0 and 1. Broker 1's first produce fails with
 * NOT_LEADER_FOR_PARTITION, and the metadata refresh that follows makes broker 0 the leader of both
 * (broker 1's pod deleted; its partitions' leadership moved to the surviving broker).
 */
function scriptedCluster() {
  const leaders = new Map([
    [0, 0],
    [1, 1],
  ]);
  const written: { broker: number; partition: number; records: number }[] = [];
  const brokers = [0, 1].map((nodeId) => ({
    nodeId,
    async produce({ topicData }: ProduceRequest) {
      if (nodeId === 1) throw protocolError(6);
      for (const { partitions } of topicData) for (const p of partitions) written.push({ broker: nodeId, partition: p.partition, records: p.messages.length });
      return {
        topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })),
      };
    },
  }));
  const partitionMetadata = (): PartitionMetadata[] =>
    [0, 1].map((partitionId) => ({ partitionId, leader: leaders.get(partitionId)!, replicas: [0, 1], isr: [0, 1], partitionErrorCode: 0 }));
  const cluster = {
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      leaders.set(1, 0);
    },
    async addMultipleTargetTopics() {},
    async connect() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () => partitionMetadata(),
    findLeaderForPartitions(_topic: string, partitions: string[]) {
      const byLeader: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (byLeader[leaders.get(p)!] ??= []).push(p);
      return byLeader;
    },
    async findBroker({ nodeId }: { nodeId: number }) {
      return brokers[nodeId];
    },
  };
  const eosManager = {
    isTransactional: () => false,
    async acquireBrokerLock() {},
    async releaseBrokerLock() {},
    getSequence: () => 0,
    updateSequence() {},
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  return { cluster, eosManager, written };
}

/** One record for each of the two partitions (keys the murmur2 partitioner sends to 0 and to 1). */
function recordsForBothPartitions(tracker: PartitionTracker) {
  const partitioner = tracker.createPartitioner();
  const placed = new Map<number, string>();
  for (let i = 0; placed.size < 2; i++) {
    const key = `customer-${i}`;
    placed.set(partitioner({ topic, partitionMetadata: scriptedCluster().cluster.findTopicPartitionMetadata(), message: { key, value: null } }), key);
  }
  return [...placed.values()].map((key) => ({ key, value: 'CartItemAdded' }));
}

describe("kafkajs 2.2.4's send when a failed broker's partition moves to a broker that answered", () => {
  it('resolves without writing that partition (tulios/kafkajs#1303); the tracker refuses the send', async () => {
    const tracker = new PartitionTracker();
    const messages = recordsForBothPartitions(tracker);
    const { cluster, eosManager, written } = scriptedCluster();
    const send = createSendMessages({
      logger: silentLogger(),
      cluster,
      partitioner: tracker.createPartitioner(),
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    const outcome = await tracker.checked(() => send({ acks: -1, timeout: 1000, topicMessages: [{ topic, messages }] })).catch((error: unknown) => error);

    // kafkajs resolved: broker 0 answered for partition 0 before the retry, so the retry, which now
    // sends partition 1 to broker 0 too, found broker 0 answered and sent nothing.
    expect(written).toEqual([{ broker: 0, partition: 0, records: 1 }]);
    expect(outcome).toBeInstanceOf(UnwrittenRecordsError);
    expect((outcome as UnwrittenRecordsError).partitions).toEqual([`${topic}/1`]);
  });
});
