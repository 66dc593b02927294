import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { recordValue } from '@eventline/avro';
import { endOffsets, EventConsumer, ReadProgress, withAdmin, type EventConsumerOptions, type KafkaRetryOptions, type RecordSender } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import type { PricedProduct } from './cart-fold';

const TOPIC = 'products';

/**
 * The GlobalKTable of seed 002: every instance reads every partition of the compacted `products`
 * topic, from the start, into memory (a group of its own, so nothing is shared or committed that matters).
 */
export class ProductTable {
  private readonly products = new Map<string, PricedProduct & { version: number }>();
  private readonly consumer: EventConsumer;
  private readonly groupId: string;
  /** How far the table has read against the end offsets at start: it is ready once it has read to them. */
  private progress: ReadProgress | undefined;
  readonly name = 'products table';

  private readonly retry: KafkaRetryOptions;

  constructor(
    private readonly kafka: Kafka,
    producer: RecordSender,
    decoding: Pick<EventConsumerOptions, 'decode' | 'poisonErrors'>,
    private readonly logger: Logger,
    private readonly prefix: string,
    retryDeadlineMs?: number,
  ) {
    this.groupId = `${prefix}cart-aggregator.products-${randomUUID()}`;
    this.retry = { logger, deadlineMs: retryDeadlineMs };
    this.consumer = new EventConsumer({
      ...decoding,
      kafka,
      producer,
      logger,
      topicPrefix: prefix,
      retryDeadlineMs,
      groupId: this.groupId,
      topics: [TOPIC],
      onProgress: (topic, partition, offset) => this.progress?.advance(topic, partition, offset),
      handler: async (event) => {
        if (event.value === null) {
          this.products.delete(event.key);
          return;
        }
        const { description, price, version } = recordValue(event, 'dev.eventline.products.ProductState');
        const known = this.products.get(event.key);
        if (!known || known.version < version) this.products.set(event.key, { description, price, version });
      },
    });
  }

  get(itemId: string): PricedProduct | undefined {
    return this.products.get(itemId);
  }

  async start(): Promise<void> {
    this.progress = new ReadProgress(await endOffsets(this.kafka, [TOPIC], { ...this.retry, topicPrefix: this.prefix }));
    await this.consumer.start();
    // As Kafka Streams bootstraps a GlobalKTable: carts are priced only once the table has caught up.
    if (!(await this.progress.wait({ logger: this.logger, deadlineMs: 300_000 }))) throw new Error('the products table did not catch up within 5 minutes');
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    // The group is this instance's alone; a leftover one only costs the broker a little until it expires.
    await withAdmin(this.kafka, `deleting group ${this.groupId}`, (admin) => admin.deleteGroups([this.groupId]), { ...this.retry, deadlineMs: 10_000 }).catch(() => undefined);
  }

  /** Like a GlobalKTable: ready once it holds everything the topic had when it started. */
  isReady(): boolean {
    return this.consumer.isReady() && this.progress?.caughtUp() === true;
  }
}
