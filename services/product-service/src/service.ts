import type { ServiceDefinition } from '@eventline/runtime';
import { migrate } from './schema';
import { productRoutes } from './routes';
import { Products } from './products';
import { Reservations } from './reservations';

export const productService: ServiceDefinition<Record<string, never>> = {
  name: 'product-service',
  settings: {},
  postgres: {
    migrate: async (pool) => {
      await migrate(pool, 'product-service');
      await Reservations.migrate(pool);
    },
  },
  consumers: ({ pool, name, validatePayload }) => {
    const reservations = new Reservations(pool!, name, validatePayload);
    return [{ groupId: 'product-service.orders', topics: ['orders'], handler: (event) => reservations.handle(event) }];
  },
  routes: (router, { pool, name, validatePayload }) => productRoutes(router, new Products(pool!, name, validatePayload)),
};
