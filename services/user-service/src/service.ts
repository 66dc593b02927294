import type { ServiceDefinition } from '@eventline/runtime';
import { migrate } from './schema';
import { userRoutes } from './routes';
import { Users } from './users';

export const userService: ServiceDefinition<Record<string, never>> = {
  name: 'user-service',
  settings: {},
  postgres: { migrate: (pool) => migrate(pool, 'user-service') },
  routes: (router, { pool, name, validatePayload }) => userRoutes(router, new Users(pool!, name, validatePayload)),
};
