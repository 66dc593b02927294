import { Partitioners, type ICustomPartitioner, type RecordMetadata } from 'kafkajs';

/**
 * A send kafkajs resolved without writing some of its records. kafkajs 2.2.4 (tulios/kafkajs#1303,
 * fix proposed in #1798, not released) keeps, across the retries of one send, the answers of the
 * brokers whose requests succeeded: when a broker's request fails and its partitions' leadership
 * moves to one of those brokers, the retry finds that broker answered already and sends it nothing.
 * The send resolves, and those partitions' records were never written (seen as cart adds missing from
 * `cart-events` while a broker pod was deleted). Retriable: what the send carried goes again, its
 * written part as duplicates the consumers drop.
 */
export class UnwrittenRecordsError extends Error {
  override name = 'UnwrittenRecordsError';
  readonly retriable = true;

  constructor(readonly partitions: string[]) {
    super(`kafkajs resolved a send without writing to ${partitions.join(', ')}: sent again`);
  }
}

/**
 * Notes which partition each record of a send went to (kafkajs' default partitioner, the Java
 * client's murmur2, chooses) and checks that the brokers answered for every one of them. One tracker
 * per kafkajs producer, whose sends (or transactions) run one at a time.
 */
export class PartitionTracker {
  private chosen = new Set<string>();

  /** The producer's `createPartitioner`. */
  readonly createPartitioner: ICustomPartitioner = () => {
    const partitioner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = partitioner(args);
      this.chosen.add(key(args.topic, partition));
      return partition;
    };
  };

  /** Before a send: forget the last one's partitions. */
  private begin(): void {
    this.chosen = new Set();
  }

  /**
   * After a send: refuses it when a partition given records (in any attempt of the send) has no
   * answer. A retry may also have moved an unkeyed record to another partition; that refusal only
   * costs a send again.
   */
  private check(results: readonly RecordMetadata[]): void {
    const answered = new Set(results.map((r) => key(r.topicName, r.partition)));
    const unwritten = [...this.chosen].filter((partition) => !answered.has(partition));
    if (unwritten.length > 0) throw new UnwrittenRecordsError(unwritten.sort());
  }

  /** `send` with the check around it. acks 0 has no answers to check. */
  async checked(send: () => Promise<RecordMetadata[]>, acks?: number): Promise<RecordMetadata[]> {
    this.begin();
    const results = await send();
    if (acks !== 0) this.check(results);
    return results;
  }
}

const key = (topic: string, partition: number) => `${topic}/${partition}`;
