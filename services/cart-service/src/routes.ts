import { z } from 'zod';
import { conflict, int32, notFound, validateBody, type Router, type ServiceState } from '@eventline/http';
import { cartResource, CartRuleViolation, type CartCommand } from './cart';
import { type CartCommands, ConcurrencyError } from './commands';
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
  const run = async (id: string, command: CartCommand) => {
    try {
      return cartResource(await commands.handle(id, command));
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
    ctx.body = await run(command.customerId, { kind: 'add', itemId: command.itemId, qty: command.qty });
  });

  router.post('/api/v1/remove', async (ctx) => {
    const command = validateBody(ctx, itemCommand);
    ctx.body = await run(command.customerId, { kind: 'remove', itemId: command.itemId, qty: command.qty });
  });

  router.post('/api/v1/checkout', async (ctx) => {
    const command = validateBody(ctx, checkoutCommand);
    ctx.body = await run(command.customerId, { kind: 'checkout' });
  });
}
