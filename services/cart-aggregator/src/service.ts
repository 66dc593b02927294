import { int } from '@eventline/config';
import { TransactionalProcessor } from '@eventline/kafka';
import { isTransient, type ServiceDefinition } from '@eventline/runtime';
import { CartAggregator } from './aggregator';
import { ProductNotYetKnown } from './cart-fold';
import { ProductTable } from './product-table';

export const settings = {
  /**
   * Input records per Kafka transaction. Each transaction costs five broker round trips, and a cart
   * changed several times in one is written once (as Kafka Streams' record cache does); its outputs
   * (two records per changed cart) must stay below the broker's 1 MB batch size per partition.
   */
  RECORDS_PER_TRANSACTION: int({ default: 2000, min: 1, max: 10_000 }),
};

export const cartAggregator: ServiceDefinition<typeof settings> = {
  name: 'cart-aggregator',
  settings,
  workers: ({ kafka, producer, codec, decoding, logger, settings: config }) => {
    const prefix = config.KAFKA_NAME_PREFIX;
    const retryDeadlineMs = config.KAFKA_RETRY_DEADLINE_MS;
    const products = new ProductTable(kafka, producer, decoding, logger, prefix, retryDeadlineMs);
    const aggregator = new CartAggregator(kafka, codec, products, logger, prefix, retryDeadlineMs);
    const processor = new TransactionalProcessor({
      ...decoding,
      kafka,
      logger,
      groupId: `${prefix}cart-aggregator`,
      topics: ['cart-events'],
      topicPrefix: prefix,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      retryDeadlineMs,
      maxRecordsPerTransaction: config.RECORDS_PER_TRANSACTION,
      restore: (heartbeat) => aggregator.restore(heartbeat),
      process: (events) => aggregator.process(events),
      // An add waits for its product (it is never priced as zero); what else fails it for good is dead-lettered.
      isTransient: (error) => error instanceof ProductNotYetKnown || isTransient(error),
    });
    return [
      products,
      { name: 'cart aggregation', start: () => processor.start(), stop: () => processor.stop(), isReady: () => processor.isReady(), isAlive: () => processor.isAlive() },
    ];
  },
  routes: () => undefined,
};
