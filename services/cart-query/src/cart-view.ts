import type { Collection, Db } from 'mongodb';
import { recordValue, type CartDetails } from '@eventline/avro';
import { applyIfNewer, applyNewestInBulk } from '@eventline/inbox';
import type { ConsumedEvent } from '@eventline/kafka';

type CartViewDocument = Omit<CartDetails, 'customerId'> & { _id: string };

const LIVE = 'cart_view';
/** Where a replay marks that it is swapping its rebuild in for cart_view. */
const SWAP_MARKS = 'cart_view_swap';
/** A mark older than this is a replay that died mid-swap: ignored. */
const STALE_SWAP_MS = 10_000;
/**
 * How long a read that missed waits for a swap to end: as long as a live mark can last. A rename on a
 * loaded node (DocumentDB under PostgreSQL) has taken seconds; a slow read beats a false 404.
 */
const SWAP_WAIT_MS = STALE_SWAP_MS;

/** Which build of cart_view is served: 1 until a replay first swaps its rebuild in, then one more each time. */
const GENERATIONS = 'read_model_generations';

export async function servedGeneration(db: Db): Promise<number> {
  const found = await db.collection<{ _id: string; generation: number }>(GENERATIONS).findOne({ _id: LIVE });
  return found?.generation ?? 1;
}

/**
 * Replaces cart_view with the rebuilt collection, marked for readers (see CartView.find); returns the
 * generation served now. One replay swaps at a time (the operator runs one Replay per read model).
 */
export async function swapInRebuild(db: Db, rebuildName: string): Promise<number> {
  const marks = db.collection<{ _id: string; since: Date }>(SWAP_MARKS);
  const next = (await servedGeneration(db)) + 1;
  await marks.updateOne({ _id: 'swap' }, { $set: { since: new Date() } }, { upsert: true });
  try {
    await db.collection(rebuildName).rename(LIVE, { dropTarget: true });
  } finally {
    await marks.deleteOne({ _id: 'swap' });
  }
  await db.collection<{ _id: string; generation: number }>(GENERATIONS).updateOne({ _id: LIVE }, { $set: { generation: next } }, { upsert: true });
  return next;
}

/** cart_view: one document per customer, the newest CartDetails (by version) wins. */
export class CartView {
  readonly collection: Collection<CartViewDocument>;

  constructor(
    private readonly db: Db,
    name = LIVE,
  ) {
    this.collection = db.collection<CartViewDocument>(name);
  }

  async apply(event: ConsumedEvent): Promise<void> {
    if (event.value === null) {
      await this.collection.deleteOne({ _id: event.key });
      return;
    }
    const { customerId, version, ...cart } = recordValue(event, 'dev.eventline.carts.CartDetails');
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
    await applyNewestInBulk(
      this.collection,
      events.map((event) => {
        if (event.value === null) return { id: event.key, version: 0, update: null };
        const { customerId, version, ...cart } = recordValue(event, 'dev.eventline.carts.CartDetails');
        return { id: customerId, version, update: { $set: cart } };
      }),
    );
  }

  /**
   * A miss on cart_view may be the instant a replay swaps its rebuild in (FerretDB's rename with
   * dropTarget is not atomic for readers): while a swap is marked, wait it out (bounded), then look
   * once more — also when the mark is already gone, as the swap may have ended between the two reads.
   */
  async find(customerId: string): Promise<CartDetails | undefined> {
    const found = await this.findOne(customerId);
    if (found || this.collection.collectionName !== LIVE) return found;
    const deadline = Date.now() + SWAP_WAIT_MS;
    while (Date.now() < deadline && (await this.swapping())) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.findOne(customerId);
  }

  private async swapping(): Promise<boolean> {
    const marks = this.db.collection<{ _id: string; since: Date }>(SWAP_MARKS);
    return (await marks.findOne({ _id: 'swap', since: { $gt: new Date(Date.now() - STALE_SWAP_MS) } })) !== null;
  }

  private async findOne(customerId: string): Promise<CartDetails | undefined> {
    const document = await this.collection.findOne({ _id: customerId });
    if (!document) return undefined;
    const { _id, ...cart } = document;
    return { customerId: _id, ...cart };
  }
}
