import { z } from 'zod';
import {
  acceptsQuery,
  INT32_MAX,
  conflict,
  int32,
  intParam,
  notFound,
  validateBody,
  validateParams,
  validateQuery,
  type Router,
  type RouterContext,
  type ServiceState,
} from '@eventline/http';
import type { StoredEvent } from '@eventline/eventstore';
import { idempotencyClaim, jsonResponse, PostgresIdempotencyStore } from '@eventline/idempotency';
import { cartResource, CartRuleViolation, type CartCommand } from './cart';
import { type CartCommands, type CartEventMetadata, ConcurrencyError } from './commands';
import type { KnownProducts } from './known-products';

const customerId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');
/** The seed sends item ids as strings ("1"); a plain number is taken too. Product ids are `integer`s. */
const itemId = z
  .union([
    z
      .string()
      .regex(/^[1-9][0-9]{0,9}$/, 'must be a product id')
      .transform(Number)
      .pipe(int32({ min: 1 })),
    int32({ min: 1 }),
  ])
  .transform(String);
const qty = z.number().int().positive().max(1000);
const itemCommand = z.object({ customerId, itemId, qty });
const checkoutCommand = z.object({ customerId });

export function cartRoutes(router: Router<ServiceState>, commands: CartCommands, products: KnownProducts): void {
  // A keyed command's response commits with its events: a crash before it is sent leaves the key
  // completed, and the retry gets the response instead of running the command again.
  const run = async (ctx: { state: ServiceState }, id: string, command: CartCommand) => {
    const claim = idempotencyClaim(ctx);
    try {
      const cart = await commands.handle(id, command, {
        origin: { requestId: ctx.state.requestId, idempotencyKey: claim?.key },
        withEvents: claim && ((tx, after) => PostgresIdempotencyStore.completeIn(tx, claim, jsonResponse(200, cartResource(after)))),
      });
      return cartResource(cart);
    } catch (error) {
      if (error instanceof CartRuleViolation) throw conflict(error.message);
      if (error instanceof ConcurrencyError) throw conflict('the cart changed concurrently too often; try again');
      throw error;
    }
  };

  router.post('/api/v1/add', async (ctx) => {
    const command = validateBody(ctx, itemCommand);
    if (!(await products.exists(command.itemId))) {
      throw notFound(`product ${command.itemId} does not exist`, [{ field: 'itemId', message: `product ${command.itemId} does not exist` }]);
    }
    ctx.body = await run(ctx, command.customerId, { kind: 'add', itemId: command.itemId, qty: command.qty });
  });

  router.post('/api/v1/remove', async (ctx) => {
    const command = validateBody(ctx, itemCommand);
    ctx.body = await run(ctx, command.customerId, { kind: 'remove', itemId: command.itemId, qty: command.qty });
  });

  router.post('/api/v1/checkout', async (ctx) => {
    const command = validateBody(ctx, checkoutCommand);
    ctx.body = await run(ctx, command.customerId, { kind: 'checkout' });
  });

  // Event sourcing's promise: the cart as it was at a version or a moment, and the events that made it.
  router.get('/cart-service/carts/:customerId', acceptsQuery, async (ctx) => {
    const { id, version, at } = pointInTimeOf(ctx);
    const found = await commands.asOf(id, { toVersion: version, until: at });
    if (!found) throw notFound(at ? `customer ${id} had no cart at ${at.toISOString()}` : `customer ${id} has no cart`);
    if (version !== undefined && found.cart.version < version) throw notFound(`the cart of customer ${id} has no version ${version}: its last is ${found.cart.version}`);
    ctx.body = { ...cartResource(found.cart), asOf: { version: found.cart.version, recordedAt: found.recordedAt.toISOString() } };
  });

  router.get('/cart-service/carts/:customerId/events', acceptsQuery, async (ctx) => {
    const { id, version, at } = pointInTimeOf(ctx);
    const events = await commands.history(id, { toVersion: version, until: at });
    if (events.length === 0) throw notFound(at ? `customer ${id} had no cart at ${at.toISOString()}` : `customer ${id} has no cart`);
    ctx.body = { customerId: id, events: events.map(historyEntry) };
  });
}

const customerParams = z.object({ customerId });
/** One bound or both: a stream version, an ISO 8601 time with its offset (`2026-12-04T10:02:00Z`). */
const pointInTime = z.strictObject({
  version: intParam({ min: 1, max: INT32_MAX }).optional(),
  at: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional(),
});

function pointInTimeOf(ctx: RouterContext<ServiceState>) {
  const { customerId: id } = validateParams(ctx, customerParams);
  return { id, ...validateQuery(ctx, pointInTime) };
}

function historyEntry(event: StoredEvent) {
  const { requestId, idempotencyKey, envelope } = event.metadata as CartEventMetadata;
  return {
    version: event.version,
    type: event.type,
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    requestId: requestId ?? null,
    idempotencyKey: idempotencyKey ?? null,
    eventId: envelope?.eventId ?? null,
    traceparent: envelope?.traceparent ?? null,
  };
}
