import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import type { ProductState } from '@eventline/avro';
import { EventConsumer, type ValueDecoder } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import type { PricedProduct } from './cart-fold';

/**
 * The GlobalKTable of seed 002: every instance reads every partition of the compacted `products`
 * topic, from the start, into memory (a group of its own, so nothing is shared or committed that matters).
 */
export class ProductTable {
  private readonly products = new Map<string, PricedProduct & { version: number }>();
  private readonly consumer: EventConsumer;
  private readonly groupId: string;
  /** End offsets at start, per partition, not yet reached: the table is ready once this is empty. */
  private behind: Map<number, bigint> | undefined;
  readonly name = 'products table';

  constructor(private readonly kafka: Kafka, producer: Producer, decode: ValueDecoder, logger: Logger, private readonly prefix: string, poisonErrors: (new (...args: never[]) => Error)[]) {
    this.groupId = `${prefix}cart-aggregator.products-${randomUUID()}`;
    this.consumer = new EventConsumer({
      kafka, producer, logger, decode, topicPrefix: prefix, poisonErrors,
      groupId: this.groupId,
      topics: ['products'],
      handler: async (event) => {
        this.advance(event.partition, event.offset);
        if (event.value === null) {
          this.products.delete(event.key);
          return;
        }
        const { description, price, version } = event.value as ProductState;
        const known = this.products.get(event.key);
        if (!known || known.version < version) this.products.set(event.key, { description, price, version });
      },
    });
  }

  get(itemId: string): PricedProduct | undefined {
    return this.products.get(itemId);
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(`${this.prefix}products`);
    await admin.disconnect();
    this.behind = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    await this.consumer.start();
    // As Kafka Streams bootstraps a GlobalKTable: carts are priced only once the table has caught up.
    const deadline = Date.now() + 300_000;
    while (!this.isReady()) {
      if (Date.now() > deadline) throw new Error('the products table did not catch up within 5 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private advance(partition: number, offset: string): void {
    const end = this.behind?.get(partition);
    if (end !== undefined && BigInt(offset) + 1n >= end) this.behind!.delete(partition);
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([this.groupId]).catch(() => undefined);
    await admin.disconnect();
  }

  /** Like a GlobalKTable: ready once it holds everything the topic had when it started. */
  isReady(): boolean {
    return this.consumer.isReady() && this.behind !== undefined && this.behind.size === 0;
  }
}
