import { z } from 'zod';
import { notFound, validateParams } from '@eventline/http';
import type { ServiceDefinition } from '@eventline/runtime';
import { CartView } from './cart-view';

const customerId = z.object({ customerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -') });

export const cartQuery: ServiceDefinition<Record<string, never>> = {
  name: 'cart-query',
  settings: {},
  mongo: { migrate: async () => undefined },
  consumers: ({ mongo }) => {
    const view = new CartView(mongo!);
    return [{ groupId: 'cart-query.cart-details', topics: ['cart-details'], handler: (event) => view.apply(event) }];
  },
  routes: (router, { mongo }) => {
    const view = new CartView(mongo!);
    router.get('/api/v1/:customerId', async (ctx) => {
      const { customerId: id } = validateParams(ctx, customerId);
      const cart = await view.find(id);
      if (!cart) throw notFound(`customer ${id} has no cart`);
      ctx.body = { id: cart.customerId, ...cart };
    });
  },
};
