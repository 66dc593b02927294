import type { ServiceDefinition } from '@eventline/runtime';
import { applyProductEvent, applyProductEvents, applyUserEvent, applyUserEvents } from './copy-events';
import { LocalCopies } from './local-copies';
import { Orders } from './orders';
import { orderRoutes } from './routes';
import { applyCartEvent, applyInventoryEvent } from './saga';

export const USERS_GROUP = 'order-service.users';
export const PRODUCTS_GROUP = 'order-service.products';

export const orderService: ServiceDefinition<Record<string, never>> = {
  name: 'order-service',
  settings: {},
  mongo: {
    migrate: async (db) => {
      await new LocalCopies(db).init();
      await Orders.migrate(db);
    },
    // Orders carry their own pending events (OrderPlaced, OrderApproved, …): the MongoDB outbox.
    outbox: ['purchase_order'],
    // …and the responses of the keyed requests that placed or cancelled them.
    commandDocuments: ['purchase_order'],
  },
  consumers: ({ mongo, name, validatePayload }) => {
    const copies = new LocalCopies(mongo!);
    const orders = new Orders(mongo!, copies, name, validatePayload);
    return [
      {
        groupId: USERS_GROUP,
        topics: ['users'],
        handler: async (event) => {
          const user = await applyUserEvent(event, await copies.writeTargets());
          if (user) await orders.embedUser(user);
        },
        // A run of updates: one bulk write per copy and one for the orders, each user's newest state only.
        batchHandler: async (events) => {
          await orders.embedUsers(await applyUserEvents(events, await copies.writeTargets()));
        },
      },
      {
        groupId: PRODUCTS_GROUP,
        topics: ['products'],
        handler: async (event) => applyProductEvent(event, await copies.writeTargets()),
        batchHandler: async (events) => applyProductEvents(events, await copies.writeTargets()),
      },
      { groupId: 'order-service.inventory', topics: ['inventory'], handler: (event) => applyInventoryEvent(orders, event) },
      { groupId: 'order-service.cart-events', topics: ['cart-events'], handler: (event) => applyCartEvent(orders, event) },
    ];
  },
  routes: (router, { mongo, name, validatePayload }) => orderRoutes(router, new Orders(mongo!, new LocalCopies(mongo!), name, validatePayload)),
};
