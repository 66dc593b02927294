import { int } from '@eventline/config';
import { createEventStoreSchema, EventStore } from '@eventline/eventstore';
import type { ServiceDefinition } from '@eventline/runtime';
import { CartCommands } from './commands';
import { KnownProducts } from './known-products';
import { cartRoutes } from './routes';

export const settings = {
  /** A snapshot of a cart every this many events, so that a command folds fewer; 0: none. */
  CART_SNAPSHOT_EVERY: int({ min: 0, max: 100_000, default: 50 }),
};

export const cartService: ServiceDefinition<typeof settings> = {
  name: 'cart-service',
  settings,
  postgres: {
    migrate: async (pool) => {
      await createEventStoreSchema(pool);
      await KnownProducts.migrate(pool);
    },
  },
  consumers: ({ pool }) => {
    const products = new KnownProducts(pool!);
    return [{ groupId: 'cart-service.products', topics: ['products'], handler: (event) => products.apply(event), batchHandler: (events) => products.applyBatch(events) }];
  },
  routes: (router, { pool, name, validatePayload, settings: config }) =>
    cartRoutes(router, new CartCommands(new EventStore(pool!), name, validatePayload, config.CART_SNAPSHOT_EVERY), new KnownProducts(pool!)),
};
