import type { CartDetails } from '@eventline/avro';
import { runReplay } from '@eventline/runtime';
import { foldCartEvent, type CartEvent } from './cart-fold';
import { readAllCarts } from './changelog';
import { ProductTable } from './product-table';

/**
 * Rebuilds the aggregator's state by folding `cart-events` from the start under a new consumer
 * group, and compares it with the live state on the changelog. Prints the comparison; exits 0 when
 * they are equal, 1 when they differ (2 when the replay fails). Lines are priced with the products
 * table as it is now, so a price changed since an event was aggregated shows as a difference, by design.
 *
 *   npm run replay:cart-aggregator          (same environment as the aggregator)
 */
runReplay({
  name: 'cart-aggregator',
  topics: ['cart-events'],
  failureExitCode: 2,
  rebuild: async ({ kafka, producer, codec, decoding, logger, settings }) => {
    const prefix = settings.KAFKA_NAME_PREFIX;
    const products = new ProductTable(kafka, producer, decoding, logger, prefix, settings.KAFKA_RETRY_DEADLINE_MS);
    await products.start();
    const rebuilt = new Map<string, CartDetails>();
    return {
      what: 'the aggregated carts',
      handler: async (event) => {
        if (event.value === null || event.recordName === undefined) return;
        rebuilt.set(
          event.key,
          foldCartEvent(rebuilt.get(event.key), { type: event.recordName, data: event.value } as CartEvent, (id) => products.get(id)),
        );
      },
      finish: async () => {
        await products.stop();
        const live = await readAllCarts(kafka, codec, logger, prefix);
        const differing = [...new Set([...rebuilt.keys(), ...live.keys()])].filter((id) => JSON.stringify(rebuilt.get(id)) !== JSON.stringify(live.get(id)));
        return {
          line: { msg: 'replay compared', customers: rebuilt.size, live: live.size, equal: differing.length === 0, differing: differing.slice(0, 20) },
          exitCode: differing.length === 0 ? 0 : 1,
        };
      },
    };
  },
});
