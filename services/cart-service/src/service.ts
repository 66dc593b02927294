import { createEventStoreSchema, EventStore } from '@eventline/eventstore';
import type { ServiceDefinition } from '@eventline/runtime';
import { CartCommands } from './commands';
import { KnownProducts } from './known-products';
import { cartRoutes } from './routes';

export const cartService: ServiceDefinition<Record<string, never>> = {
  name: 'cart-service',
  settings: {},
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
  routes: (router, { pool, name, validatePayload }) => cartRoutes(router, new CartCommands(new EventStore(pool!), name, validatePayload), new KnownProducts(pool!)),
};
