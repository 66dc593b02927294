import type { Collection, Db } from 'mongodb';
import type { CartDetails } from '@eventline/avro';
import { applyIfNewer } from '@eventline/inbox';
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

  async find(customerId: string): Promise<CartDetails | undefined> {
    const document = await this.collection.findOne({ _id: customerId });
    if (!document) return undefined;
    const { _id, ...cart } = document;
    return { customerId: _id, ...cart };
  }
}
