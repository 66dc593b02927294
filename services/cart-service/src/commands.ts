import { ConcurrencyError, handleCommand, type EventStore, type PendingEvent } from '@eventline/eventstore';
import { newEnvelope } from '@eventline/kafka';
import type { OutboxEvent, PayloadValidator } from '@eventline/outbox';
import { decide, emptyCart, evolve, type Cart, type CartCommand } from './cart';

export const CART_EVENTS_TOPIC = 'cart-events';
const recordName = (type: string) => `dev.eventline.carts.${type}`;

/**
 * Command → handler → decide against the cart folded from its stream → append at the expected
 * version; the events leave through the outbox in the same transaction. A conflicting append is
 * re-decided on the new state a few times, then surfaces as ConcurrencyError (409).
 */
export class CartCommands {
  constructor(
    private readonly store: EventStore,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {}

  async handle(customerId: string, command: CartCommand): Promise<Cart> {
    const outbox = (events: PendingEvent[]): OutboxEvent[] =>
      events.map((e) => ({ topic: CART_EVENTS_TOPIC, key: customerId, recordName: recordName(e.type), payload: e.data, envelope: newEnvelope(e.type, this.source) }));
    const result = await handleCommand({
      store: this.store,
      streamId: `cart-${customerId}`,
      initial: emptyCart(customerId),
      evolve,
      decide,
      command,
      append: { outbox, validate: this.validate },
      retries: 20,
    });
    return result.state;
  }
}

export { ConcurrencyError };
