import { z } from 'zod';
import { intParam, notFound, validateBody, validateParams, type Router, type ServiceState } from '@eventline/http';
import type { Products } from './products';

const productFields = z.strictObject({
  description: z.string().trim().min(1).max(500),
  price: z.number().int().min(0).max(2_147_483_647),
  qtyAvailable: z.number().int().min(0).max(2_147_483_647),
});
const productId = z.object({ id: intParam({ min: 1 }) });

export function productRoutes(router: Router<ServiceState>, products: Products): void {
  router.get('/product-service/products', async (ctx) => {
    ctx.body = await products.list();
  });

  router.get('/product-service/products/:id', async (ctx) => {
    const { id } = validateParams(ctx, productId);
    const product = await products.find(id);
    if (!product) throw notFound(`product ${id} does not exist`);
    ctx.body = product;
  });

  router.post('/product-service/products', async (ctx) => {
    const fields = validateBody(ctx, productFields);
    ctx.status = 201;
    ctx.body = await products.create(fields);
  });

  router.put('/product-service/products/:id', async (ctx) => {
    const { id } = validateParams(ctx, productId);
    const product = await products.update(id, validateBody(ctx, productFields));
    if (!product) throw notFound(`product ${id} does not exist`);
    ctx.body = product;
  });

  router.delete('/product-service/products/:id', async (ctx) => {
    const { id } = validateParams(ctx, productId);
    if (!(await products.remove(id))) throw notFound(`product ${id} does not exist`);
    ctx.status = 204;
  });
}
