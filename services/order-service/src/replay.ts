import { runReplay } from '@eventline/runtime';
import { applyProductEvent, applyProductEvents, applyUserEvent, applyUserEvents } from './copy-events';
import { LocalCopies } from './local-copies';

/**
 * Seed 003's replay: rebuilds order-service's local copies of users and products from the start of
 * their topics, under a new consumer group, into a fresh generation of collections; switches reads to
 * it once it has caught up with the end offsets seen at its start. Reads keep using the old copies
 * meanwhile, and the running service writes live events into both. With REPLAY_SWITCH=false it stops
 * once caught up and leaves the generation being built (still fed live events, not served); with
 * REPLAY_ABANDON=true it only drops such an unswitched generation. REPLAY_GROUP_ID names its group.
 *
 *   npm run replay -w @eventline/order-service     (same environment as the service)
 */
runReplay({
  name: 'order-service',
  topics: ['users', 'products'],
  mongo: true,
  abandon: async ({ mongo }) => {
    const abandoned = await new LocalCopies(mongo).abandonRebuild();
    return { msg: 'unswitched generation dropped', generation: abandoned ?? null };
  },
  rebuild: async ({ mongo }) => {
    const copies = new LocalCopies(mongo);
    const generation = await copies.beginRebuild();
    const target = [copies.generation(generation)];
    return {
      what: 'local copies',
      log: { generation },
      groupLabel: `${generation}-${Date.now()}`,
      handler: async (event) => {
        await (event.topic === 'users' ? applyUserEvent(event, target) : applyProductEvent(event, target));
      },
      // A batch is one partition's records, so of one topic.
      batchHandler: async (events) => {
        await (events[0]?.topic === 'users' ? applyUserEvents(events, target) : applyProductEvents(events, target));
      },
      switch: () => copies.switchTo(generation),
      finish: async (switched) => ({
        result: { servedGeneration: await copies.servedGeneration(), rebuiltGeneration: generation },
        line: { msg: switched ? 'local copies rebuilt and switched' : 'local copies rebuilt, not switched', generation },
      }),
    };
  },
});
