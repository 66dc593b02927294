import { z } from 'zod';
import { int32, int32PathId, notFound, text, validateBody, type Router, type ServiceState } from '@eventline/http';
import { idempotencyClaim, jsonResponse, PostgresIdempotencyStore } from '@eventline/idempotency';
import type { Products } from './products';

const productFields = z.strictObject({
  description: text({ min: 1, max: 500 }),
  price: int32({ min: 0 }),
  qtyAvailable: int32({ min: 0 }),
});

export function productRoutes(router: Router<ServiceState>, products: Products): void {
  router.get('/product-service/products', async (ctx) => {
    ctx.body = await products.list();
  });

  router.get('/product-service/products/:id', async (ctx) => {
    const id = int32PathId(ctx, 'product');
    const product = await products.find(id);
    if (!product) throw notFound(`product ${id} does not exist`);
    ctx.body = product;
  });

  router.post('/product-service/products', async (ctx) => {
    const fields = validateBody(ctx, productFields);
    // A keyed create's response commits with the row: a retry after a crash gets it back.
    const claim = idempotencyClaim(ctx);
    ctx.status = 201;
    ctx.body = await products.create(fields, claim && ((tx, created) => PostgresIdempotencyStore.completeIn(tx, claim, jsonResponse(201, created))));
  });

  router.put('/product-service/products/:id', async (ctx) => {
    const id = int32PathId(ctx, 'product');
    const product = await products.update(id, validateBody(ctx, productFields));
    if (!product) throw notFound(`product ${id} does not exist`);
    ctx.body = product;
  });

  router.delete('/product-service/products/:id', async (ctx) => {
    const id = int32PathId(ctx, 'product');
    if (!(await products.remove(id))) throw notFound(`product ${id} does not exist`);
    ctx.status = 204;
  });
}
