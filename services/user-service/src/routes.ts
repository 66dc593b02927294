import { z } from 'zod';
import { int32, int32PathId, notFound, text, validateBody, type Router, type ServiceState } from '@eventline/http';
import { idempotencyClaim, jsonResponse, PostgresIdempotencyStore } from '@eventline/idempotency';
import type { Users } from './users';

/** As the users table holds them: varchar(45), integer id. */
const name = text({ min: 1, max: 45 });
const userFields = { firstname: name, lastname: name, email: z.email().max(45) };
const newUser = z.strictObject(userFields);
/** The seed's PUT body: the whole user, id included. */
const updatedUser = z.strictObject({ id: int32({ min: 1 }), ...userFields });

export function userRoutes(router: Router<ServiceState>, users: Users): void {
  router.get('/user-service/users', async (ctx) => {
    ctx.body = await users.list();
  });

  router.get('/user-service/users/:id', async (ctx) => {
    const id = int32PathId(ctx, 'user');
    const user = await users.find(id);
    if (!user) throw notFound(`user ${id} does not exist`);
    ctx.body = user;
  });

  router.post('/user-service/users', async (ctx) => {
    const fields = validateBody(ctx, newUser);
    // A keyed create's response commits with the row: a retry after a crash gets it back.
    const claim = idempotencyClaim(ctx);
    ctx.status = 201;
    ctx.body = await users.create(fields, claim && ((tx, created) => PostgresIdempotencyStore.completeIn(tx, claim, jsonResponse(201, created))));
  });

  router.put('/user-service/update', async (ctx) => {
    const { id, ...fields } = validateBody(ctx, updatedUser);
    const user = await users.update(id, fields);
    if (!user) throw notFound(`user ${id} does not exist`);
    ctx.body = user;
  });

  router.delete('/user-service/users/:id', async (ctx) => {
    const id = int32PathId(ctx, 'user');
    if (!(await users.remove(id))) throw notFound(`user ${id} does not exist`);
    ctx.status = 204;
  });
}
