import type { Collection, Db } from 'mongodb';
import type { CartDetails } from '@eventline/avro';
import { applyIfNewer, applyNewestInBulk } from '@eventline/inbox';
import type { ConsumedEvent } from '@eventline/kafka';

type CartViewDocument = Omit<CartDetails, 'customerId'> & { _id: string };

/** cart_view: one document per customer, the newest CartDetails (by version) wins. */
export class CartView {
  readonly collection: Collection<CartViewDocument>;

  constructor(db: Db, name = 'cart_view') {
    this.collection = db.collection<CartViewDocument>(name);
  }

  async apply(event: ConsumedEvent): Promise<void> {
    if (event.value === null) {
      await this.collection.deleteOne({ _id: event.key });
      return;
    }
    const { customerId, version, ...cart } = event.value as CartDetails;
    await applyIfNewer(this.collection, customerId, version, { $set: cart });
  }

  /**
   * The cart once the view holds `minVersion` of it or newer, or what it holds when `timeoutMs` runs
   * out. Polls the store rather than listening to this process's consumer: with several instances,
   * another one may own the customer's partition.
   */
  async findAtLeast(customerId: string, minVersion: number, timeoutMs: number, pollMs = 25): Promise<CartDetails | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cart = await this.find(customerId);
      if ((cart && cart.version >= minVersion) || Date.now() >= deadline) return cart;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
  }

  /** A run of CartDetails in one round trip: per customer the newest wins, as `apply` one by one would leave it. */
  async applyBatch(events: ConsumedEvent[]): Promise<void> {
    await applyNewestInBulk(this.collection, events.map((event) => {
      if (event.value === null) return { id: event.key, version: 0, update: null };
      const { customerId, version, ...cart } = event.value as CartDetails;
      return { id: customerId, version, update: { $set: cart } };
    }));
  }

  async find(customerId: string): Promise<CartDetails | undefined> {
    const document = await this.collection.findOne({ _id: customerId });
    if (!document) return undefined;
    const { _id, ...cart } = document;
    return { customerId: _id, ...cart };
  }
}
