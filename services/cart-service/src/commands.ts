import type { PoolClient } from 'pg';
import { ConcurrencyError, fold, handleCommand, type EventStore, type PendingEvent, type SnapshotPolicy, type StreamBounds } from '@eventline/eventstore';
import { newEnvelope, type EventEnvelope } from '@eventline/kafka';
import type { OutboxEvent, PayloadValidator } from '@eventline/outbox';
import { decide, emptyCart, evolve, type Cart, type CartCommand } from './cart';

export const CART_EVENTS_TOPIC = 'cart-events';
const recordName = (type: string) => `dev.eventline.carts.${type}`;
const streamOf = (customerId: string) => `cart-${customerId}`;

/** Who asked for a command: kept with each of its events, for the cart's history. */
export type CommandOrigin = {
  requestId?: string;
  idempotencyKey?: string;
};

/** What an event records besides its data: the command's origin and the envelope it was published with. */
export type CartEventMetadata = CommandOrigin & {
  envelope?: EventEnvelope;
};

/**
 * Snapshots of the cart every `every` events (cart-service's CART_SNAPSHOT_EVERY, default 50): a
 * command reads the latest snapshot and fewer than `every` events, whether the customer has 10 events
 * or 10,000 (the stream is the customer's whole life).
 */
export function cartSnapshots(every: number): SnapshotPolicy<Cart> {
  return {
    every,
    save: (cart) => ({ customerId: cart.customerId, cartNumber: cart.cartNumber, checkedOut: cart.checkedOut, items: [...cart.items], version: cart.version }),
    load: (json) => {
      const saved = json as { customerId: string; cartNumber: number; checkedOut: boolean; items: [string, number][]; version: number };
      return { ...saved, items: new Map(saved.items) };
    },
  };
}

export interface CommandOptions {
  origin?: CommandOrigin;
  /** What commits in the events' transaction, given the cart after them (the command's keyed response). */
  withEvents?: (tx: PoolClient, cart: Cart) => Promise<void>;
}

/**
 * Command → handler → decide against the cart folded from its stream → append at the expected
 * version; the events leave through the outbox in the same transaction. A conflicting append is
 * re-decided on the new state a few times, then surfaces as ConcurrencyError (409).
 */
export class CartCommands {
  private readonly snapshots: SnapshotPolicy<Cart>;

  /** `snapshotEvery`: 0 takes no snapshots (every command folds the whole stream; the benchmark's baseline). */
  constructor(
    private readonly store: EventStore,
    private readonly source: string,
    private readonly validate: PayloadValidator,
    snapshotEvery = 50,
  ) {
    this.snapshots = cartSnapshots(snapshotEvery);
  }

  async handle(customerId: string, command: CartCommand, { origin, withEvents }: CommandOptions = {}): Promise<Cart> {
    // Each event's envelope is made with it and kept in its metadata, so that its history names the
    // event id and trace it was published with.
    const outbox = (events: PendingEvent[]): OutboxEvent[] =>
      events.map((e) => ({
        topic: CART_EVENTS_TOPIC,
        key: customerId,
        recordName: recordName(e.type),
        payload: e.data,
        envelope: (e.metadata as CartEventMetadata | undefined)?.envelope ?? newEnvelope(e.type, this.source),
      }));
    const result = await handleCommand<Cart, CartCommand>({
      store: this.store,
      streamId: streamOf(customerId),
      initial: emptyCart(customerId),
      evolve,
      decide,
      command,
      metadata: (event): CartEventMetadata => ({ ...origin, envelope: newEnvelope(event.type, this.source) }),
      append: { outbox, validate: this.validate },
      retries: 20,
      withEvents: withEvents && ((tx, result) => withEvents(tx, result.state)),
      snapshots: this.snapshots.every > 0 ? this.snapshots : undefined,
    });
    return result.state;
  }

  /**
   * The customer's cart as of a version and/or a time, folded from the latest snapshot within the
   * bounds; undefined when the stream has no event within them. `recordedAt`: when its last event was.
   */
  async asOf(customerId: string, bounds: StreamBounds): Promise<{ cart: Cart; recordedAt: Date } | undefined> {
    const { snapshot, events } = await this.store.readFromSnapshot(streamOf(customerId), bounds);
    const recordedAt = events.at(-1)?.recordedAt ?? snapshot?.recordedAt;
    if (!recordedAt) return undefined;
    return { cart: fold(events, evolve, snapshot ? this.snapshots.load(snapshot.state) : emptyCart(customerId)), recordedAt };
  }

  /** The customer's cart events up to a version and/or a time. */
  history(customerId: string, bounds: StreamBounds) {
    return this.store.readStreamUntil(streamOf(customerId), bounds);
  }
}

export { ConcurrencyError };
