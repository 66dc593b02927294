import { z } from 'zod';
import { intParam, notFound, validateBody, validateParams, type Router, type ServiceState } from '@eventline/http';
import type { Users } from './users';

const name = z.string().trim().min(1).max(45);
const userFields = { firstname: name, lastname: name, email: z.email().max(45) };
const newUser = z.strictObject(userFields);
/** The seed's PUT body: the whole user, id included. */
const updatedUser = z.strictObject({ id: z.number().int().positive(), ...userFields });
const userId = z.object({ id: intParam({ min: 1 }) });

export function userRoutes(router: Router<ServiceState>, users: Users): void {
  router.get('/user-service/users', async (ctx) => {
    ctx.body = await users.list();
  });

  router.get('/user-service/users/:id', async (ctx) => {
    const { id } = validateParams(ctx, userId);
    const user = await users.find(id);
    if (!user) throw notFound(`user ${id} does not exist`);
    ctx.body = user;
  });

  router.post('/user-service/users', async (ctx) => {
    const fields = validateBody(ctx, newUser);
    ctx.status = 201;
    ctx.body = await users.create(fields);
  });

  router.put('/user-service/update', async (ctx) => {
    const { id, ...fields } = validateBody(ctx, updatedUser);
    const user = await users.update(id, fields);
    if (!user) throw notFound(`user ${id} does not exist`);
    ctx.body = user;
  });

  router.delete('/user-service/users/:id', async (ctx) => {
    const { id } = validateParams(ctx, userId);
    if (!(await users.remove(id))) throw notFound(`user ${id} does not exist`);
    ctx.status = 204;
  });
}
