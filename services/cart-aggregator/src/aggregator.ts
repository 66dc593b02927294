import type { Kafka, Message, TopicMessages } from 'kafkajs';
import type { AvroCodec, CartDetails } from '@eventline/avro';
import { buildHeaders, newEnvelope, type ConsumedEvent, type ProcessedChunk } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import { foldCartEvent, type CartEvent } from './cart-fold';
import { CHANGELOG_TOPIC, restoreCarts } from './changelog';
import type { ProductTable } from './product-table';

export const CART_DETAILS_TOPIC = 'cart-details';
const CART_DETAILS = 'dev.eventline.carts.CartDetails';

/**
 * The aggregation itself: folds a chunk of cart events into staged carts, and returns the new
 * states for `cart-details` and the changelog; the staged carts become the state only once the
 * transaction carrying them has committed.
 */
export class CartAggregator {
  private carts = new Map<string, CartDetails>();

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly products: ProductTable,
    private readonly logger: Logger,
    private readonly prefix: string,
    private readonly retryDeadlineMs?: number,
  ) {}

  async restore(heartbeat: () => Promise<void>): Promise<void> {
    this.carts = await restoreCarts(this.kafka, this.codec, this.logger, this.prefix, heartbeat, this.retryDeadlineMs);
  }

  async process(events: ConsumedEvent[]): Promise<ProcessedChunk> {
    const staged = new Map<string, CartDetails>();
    const causes = new Map<string, ConsumedEvent>();
    for (const event of events) {
      if (event.value === null || event.recordName === undefined) continue;
      const before = staged.get(event.key) ?? this.carts.get(event.key);
      const after = foldCartEvent(before, { type: event.recordName, data: event.value } as CartEvent, (id) => this.products.get(id));
      if (after !== before) {
        staged.set(event.key, after);
        causes.set(event.key, event);
      }
    }
    const details: Message[] = [];
    const changelog: Message[] = [];
    for (const [customerId, cart] of staged) {
      const value = await this.codec.encode(CART_DETAILS_TOPIC, CART_DETAILS, cart);
      const cause = causes.get(customerId)!.envelope;
      const schemaId = await this.codec.schemaId(CART_DETAILS_TOPIC, CART_DETAILS);
      const headers = buildHeaders({ ...newEnvelope('CartDetails', 'cart-aggregator', cause), schemaId });
      details.push({ key: customerId, value, headers });
      // The changelog is this service's own state, read back only by key and value (restoreCarts), so
      // its records carry no envelope headers (seven per record, each encoded by kafkajs in JavaScript).
      changelog.push({ key: customerId, value: await this.codec.encode(CHANGELOG_TOPIC, CART_DETAILS, cart) });
    }
    const outputs: TopicMessages[] =
      staged.size === 0
        ? []
        : [
            { topic: CART_DETAILS_TOPIC, messages: details },
            { topic: CHANGELOG_TOPIC, messages: changelog },
          ];
    return {
      outputs,
      commit: () => {
        for (const [customerId, cart] of staged) this.carts.set(customerId, cart);
      },
    };
  }
}
