import { runReplay } from '@eventline/runtime';
import { CartView, servedGeneration, swapInRebuild } from './cart-view';

/**
 * Rebuilds cart_view from `cart-details` under a new consumer group into a fresh collection, then
 * renames it over cart_view. It reads to the end offsets it saw at its start, renames, then reads on
 * to the end offsets of that moment, so whatever the live consumer wrote into the old collection in
 * between is in the new one too (updates are version-guarded, so applying one twice is harmless).
 * With REPLAY_SWITCH=false it stops once caught up and leaves the rebuilt collection beside cart_view;
 * REPLAY_ABANDON=true only drops such leftover rebuild collections. REPLAY_GROUP_ID names its group.
 *
 *   npm run replay:cart-query                (same environment as cart-query)
 */
runReplay({
  name: 'cart-query',
  topics: ['cart-details'],
  mongo: true,
  abandon: async ({ mongo }) => {
    const leftovers = (await mongo.listCollections({ name: { $regex: '^cart_view_rebuild_' } }).toArray()).map((c) => c.name);
    for (const name of leftovers) await mongo.collection(name).drop();
    return { msg: 'rebuild collections dropped', collections: leftovers };
  },
  rebuild: async ({ mongo }) => {
    const rebuildName = `cart_view_rebuild_${Date.now()}`;
    let view = new CartView(mongo, rebuildName);
    let rebuiltGeneration: number | undefined;
    return {
      what: 'cart_view',
      log: { collection: rebuildName },
      handler: (event) => view.apply(event),
      batchHandler: (events) => view.applyBatch(events),
      // cart-aggregator writes cart-details in transactions: a tail that never becomes readable ends the read.
      idleMs: 5_000,
      switch: async () => {
        rebuiltGeneration = await swapInRebuild(mongo, rebuildName);
        view = new CartView(mongo);
      },
      readOnAfterSwitch: true,
      finish: async (switched) => {
        const collection = switched ? 'cart_view' : rebuildName;
        const carts = await mongo.collection(collection).countDocuments();
        return {
          result: { servedGeneration: await servedGeneration(mongo), rebuiltGeneration },
          line: { msg: switched ? 'cart_view rebuilt' : 'cart_view rebuilt beside the live one, not switched', collection, carts },
        };
      },
    };
  },
});
