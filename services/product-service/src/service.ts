import type { ServiceDefinition } from '@eventline/runtime';
import { migrate } from './schema';
import { productRoutes } from './routes';
import { Products } from './products';

export const productService: ServiceDefinition<Record<string, never>> = {
  name: 'product-service',
  settings: {},
  postgres: { migrate: (pool) => migrate(pool, 'product-service') },
  routes: (router, { pool, name, validatePayload }) => productRoutes(router, new Products(pool!, name, validatePayload)),
};
