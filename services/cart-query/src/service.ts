import { z } from 'zod';
import { acceptsQuery, HttpError, intParam, notFound, validateParams, validateQuery } from '@eventline/http';
import { int } from '@eventline/config';
import type { ServiceDefinition } from '@eventline/runtime';
import { CartView } from './cart-view';

const customerId = z.object({ customerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -') });
/** `minVersion`: the version a write returned; the read waits until the view holds at least that. */
const cartQueryParameters = z.object({ minVersion: intParam({ min: 1 }).optional() });

export const settings = {
  /** How long a read with `minVersion` waits for the view to catch up before answering 412. */
  READ_YOUR_WRITES_TIMEOUT_MS: int({ min: 0, max: 60_000, default: 5_000 }),
};

export const cartQuery: ServiceDefinition<typeof settings> = {
  name: 'cart-query',
  settings,
  mongo: { migrate: async () => undefined },
  consumers: ({ mongo }) => {
    const view = new CartView(mongo!);
    return [{ groupId: 'cart-query.cart-details', topics: ['cart-details'], handler: (event) => view.apply(event), batchHandler: (events) => view.applyBatch(events) }];
  },
  routes: (router, { mongo, settings: config }) => {
    const view = new CartView(mongo!);
    router.get('/api/v1/:customerId', acceptsQuery, async (ctx) => {
      const { customerId: id } = validateParams(ctx, customerId);
      const { minVersion } = validateQuery(ctx, cartQueryParameters);
      const cart = minVersion === undefined ? await view.find(id) : await view.findAtLeast(id, minVersion, config.READ_YOUR_WRITES_TIMEOUT_MS);
      if (minVersion !== undefined && (cart?.version ?? 0) < minVersion) {
        ctx.set('Retry-After', '1');
        throw new HttpError(412, 'version_not_reached', `the cart of customer ${id} has not reached version ${minVersion} yet`, {
          minVersion,
          version: cart?.version ?? null,
          waitedMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
        });
      }
      if (!cart) throw notFound(`customer ${id} has no cart`);
      ctx.body = { id: cart.customerId, ...cart };
    });
  },
};
