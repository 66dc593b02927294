import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { acceptsQuery, conflict, int32, INT32_MAX, intParam, notFound, validateBody, validateParams, validateQuery, type Router, type ServiceState } from '@eventline/http';
import { idempotencyClaim } from '@eventline/idempotency';
import { type Orders, toResource, toTimeline, UnknownReferenceError } from './orders';

const newOrder = z.strictObject({
  userId: int32({ min: 1 }),
  productId: int32({ min: 1 }),
  qty: z.number().int().positive().max(10_000),
});
const orderId = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'must be a 24-character hexadecimal order id') });
const listQuery = z.object({ userId: intParam({ min: 1, max: INT32_MAX }).optional() });

export function orderRoutes(router: Router<ServiceState>, orders: Orders): void {
  router.get('/order-service/all', async (ctx) => {
    ctx.body = (await orders.list()).map(toResource);
  });

  router.get('/order-service/orders', acceptsQuery, async (ctx) => {
    const { userId } = validateQuery(ctx, listQuery);
    ctx.body = (await orders.list(userId)).map(toResource);
  });

  router.get('/order-service/orders/:id', async (ctx) => {
    const { id } = validateParams(ctx, orderId);
    const order = await orders.find(new ObjectId(id));
    if (!order) throw notFound(`order ${id} does not exist`);
    ctx.body = toResource(order);
  });

  // "Why is my order REJECTED?": every status it had, when, and the event each answered.
  router.get('/order-service/orders/:id/timeline', async (ctx) => {
    const { id } = validateParams(ctx, orderId);
    const order = await orders.find(new ObjectId(id));
    if (!order) throw notFound(`order ${id} does not exist`);
    ctx.body = toTimeline(order);
  });

  router.post('/order-service/orders/:id/cancel', async (ctx) => {
    const { id } = validateParams(ctx, orderId);
    const _id = new ObjectId(id);
    const cancelled = await orders.transitionAnswering(_id, 'APPROVED', 'CANCELLED', 'dev.eventline.orders.OrderCancelled', { orderId: id }, { claim: idempotencyClaim(ctx) });
    if (!cancelled) {
      const order = await orders.find(_id);
      if (!order) throw notFound(`order ${id} does not exist`);
      throw conflict(`order ${id} is ${order.status}; only an APPROVED order can be cancelled`);
    }
    ctx.body = toResource(cancelled);
  });

  router.post('/order-service/orders', async (ctx) => {
    const { userId, productId, qty } = validateBody(ctx, newOrder);
    try {
      const order = await orders.place(userId, productId, qty, idempotencyClaim(ctx));
      ctx.status = 201;
      ctx.body = toResource(order);
    } catch (error) {
      if (error instanceof UnknownReferenceError) throw notFound(error.message, [{ field: error.field, message: error.message }]);
      throw error;
    }
  });
}
