import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Kafka } from 'kafkajs';
import type { ProductState } from '@eventline/avro';
import { EventConsumer, nonEmptyEndOffsets, withAdmin, type KafkaRetryOptions, type ValueDecoder } from '@eventline/kafka';
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

  private readonly retry: KafkaRetryOptions;

  constructor(private readonly kafka: Kafka, producer: Producer, decode: ValueDecoder, logger: Logger, private readonly prefix: string, poisonErrors: (new (...args: never[]) => Error)[], retryDeadlineMs?: number) {
    this.groupId = `${prefix}cart-aggregator.products-${randomUUID()}`;
    this.retry = { logger, deadlineMs: retryDeadlineMs };
    this.consumer = new EventConsumer({
      kafka, producer, logger, decode, topicPrefix: prefix, poisonErrors, retryDeadlineMs,
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
    this.behind = await nonEmptyEndOffsets(this.kafka, `${this.prefix}products`, this.retry);
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
    // The group is this instance's alone; a leftover one only costs the broker a little until it expires.
    await withAdmin(this.kafka, `deleting group ${this.groupId}`, (admin) => admin.deleteGroups([this.groupId]), { ...this.retry, deadlineMs: 10_000 }).catch(() => undefined);
  }

  /** Like a GlobalKTable: ready once it holds everything the topic had when it started. */
  isReady(): boolean {
    return this.consumer.isReady() && this.behind !== undefined && this.behind.size === 0;
  }
}
