import { int } from '@eventline/config';
import { TransactionalProcessor } from '@eventline/kafka';
import { isTransient, type ServiceDefinition } from '@eventline/runtime';
import { CART_EVENTS_TOPIC, CartAggregator } from './aggregator';
import { ProductNotYetKnown } from './cart-fold';
import { ProductTable } from './product-table';

export const settings = {
  /**
   * Input records per Kafka transaction. Each transaction costs five broker round trips, and a cart
   * changed several times in one is written once (as Kafka Streams' record cache does); its outputs
   * (two records per changed cart) must stay below the broker's 1 MB batch size per partition.
   */
  RECORDS_PER_TRANSACTION: int({ default: 2000, min: 1, max: 10_000 }),
  /**
   * How long the broker lets a transaction stay open before it aborts it. A transaction left open by
   * an instance that died is aborted sooner, when the partition's next owner initialises its id.
   */
  KAFKA_TRANSACTION_TIMEOUT_MS: int({ default: 15_000, min: 1000, max: 900_000 }),
};

/** The service; its route reads the state of the aggregator its worker runs. */
export function cartAggregatorService(): ServiceDefinition<typeof settings> {
  let aggregator: CartAggregator | undefined;
  return {
    name: 'cart-aggregator',
    settings,
    workers: ({ kafka, producer, codec, decoding, logger, settings: config }) => {
      const prefix = config.KAFKA_NAME_PREFIX;
      const retryDeadlineMs = config.KAFKA_RETRY_DEADLINE_MS;
      const products = new ProductTable(kafka, producer, decoding, logger, prefix, retryDeadlineMs);
      const carts = new CartAggregator(kafka, codec, products, logger, prefix, retryDeadlineMs);
      aggregator = carts;
      const processor = new TransactionalProcessor({
        ...decoding,
        kafka,
        logger,
        groupId: `${prefix}cart-aggregator`,
        topics: [CART_EVENTS_TOPIC],
        topicPrefix: prefix,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        transactionTimeoutMs: config.KAFKA_TRANSACTION_TIMEOUT_MS,
        retryDeadlineMs,
        maxRecordsPerTransaction: config.RECORDS_PER_TRANSACTION,
        restore: (assigned, heartbeat) => carts.restore(assigned, heartbeat),
        assigned: (assigned) => carts.assign(assigned),
        process: (events) => carts.process(events),
        // An add waits for its product (it is never priced as zero); what else fails it for good is dead-lettered.
        isTransient: (error) => error instanceof ProductNotYetKnown || isTransient(error),
      });
      return [
        products,
        { name: 'cart aggregation', start: () => processor.start(), stop: () => processor.stop(), isReady: () => processor.isReady(), isAlive: () => processor.isAlive() },
      ];
    },
    // What this instance holds: its cart-events partitions, the carts of each and how far each
    // changelog partition is read.
    routes: (router) => {
      router.get('/aggregator/state', (ctx) => {
        ctx.body = { partitions: aggregator?.held() ?? [] };
      });
    },
  };
}
