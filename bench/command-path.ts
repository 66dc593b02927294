import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { CommandHandler, type Event as EmmettEvent, type ReadEvent } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { createEventStoreSchema, EventStore, handleCommand, type PendingEvent } from '@eventline/eventstore';
import { newEnvelope } from '@eventline/kafka';
import { createDatabase } from '@eventline/testkit';
import { decide, emptyCart, evolve, type Cart } from '../services/cart-service/src/cart';
import { formatNumber, median, percentile, printMatrix } from './lib/table';
import { runScript } from './lib/script';

/**
 * The cart's command path below HTTP, side by side with Emmett on the same PostgreSQL in one run:
 * `connections` loops each add an item to a random cart (read the stream, fold, decide, append at
 * the expected version, retry on a conflict) for `seconds`. The same `decide` and `evolve` (the
 * cart-service's own) run on both; eventline appends with and without its outbox rows (Emmett has
 * no outbox, so "without" is the like-for-like pair). Runs alternate, medians of `runs`.
 *
 *   npm run bench:command-path   (BENCH_COMMAND_SECONDS, BENCH_COMMAND_RUNS, BENCH_COMMAND_CONNECTIONS, BENCH_COMMAND_CARTS)
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export interface CommandPathOptions {
  seconds: number;
  runs: number;
  connections: number;
  carts: number;
}

type CartEvent = EmmettEvent<'CartItemAdded', Record<string, unknown>>;

interface Outcome {
  perSecond: number;
  p50: number;
  p99: number;
  conflicts: number;
}

/** `connections` loops of `command` for `seconds`; latency per command including its retries. */
async function drive(connections: number, seconds: number, carts: number, command: (customerId: string, itemId: string) => Promise<void>): Promise<Outcome> {
  const latencies: number[] = [];
  let conflicts = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const customerId = `c${Math.floor(Math.random() * carts)}`;
        const t0 = performance.now();
        try {
          await command(customerId, String(1 + Math.floor(Math.random() * 50)));
          latencies.push(performance.now() - t0);
        } catch {
          conflicts++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), conflicts };
}

interface Contender {
  name: string;
  run(customerId: string, itemId: string): Promise<void>;
  close(): Promise<void>;
}

async function eventline(connections: number, withOutbox: boolean): Promise<Contender> {
  const pool = new Pool({ connectionString: await createDatabase('bench_cmd_eventline'), max: connections });
  await createEventStoreSchema(pool);
  const store = new EventStore(pool);
  const outbox = withOutbox
    ? {
        outbox: (events: PendingEvent[]) =>
          events.map((e) => ({ topic: 'cart-events', key: e.streamId, recordName: `dev.eventline.carts.${e.type}`, payload: e.data, envelope: newEnvelope(e.type, 'bench') })),
      }
    : undefined;
  return {
    name: withOutbox ? 'eventline: events + outbox rows, one statement' : 'eventline: events only',
    run: async (customerId, itemId) => {
      await handleCommand({
        store,
        streamId: `cart-${customerId}`,
        initial: emptyCart(customerId),
        evolve,
        decide,
        command: { kind: 'add', itemId, qty: 1 },
        append: outbox,
        retries: 20,
      });
    },
    close: () => pool.end(),
  };
}

/**
 * The cart-service's evolve over Emmett's events: a read event's stream position is its version; the
 * events just decided (folded before the append, no metadata yet) carry theirs in their data.
 */
function evolveEmmettEvent(state: Cart, event: CartEvent): Cart {
  const read = event as Partial<ReadEvent<CartEvent>> & CartEvent;
  const version = Number(read.metadata?.streamPosition ?? read.data.version);
  return evolve(state, { type: read.type, data: read.data, version, streamId: '', globalPosition: 0, recordedAt: new Date() });
}

async function emmett(connections: number): Promise<Contender> {
  const connectionString = await createDatabase('bench_cmd_emmett');
  const pool = new Pool({ connectionString, max: connections });
  const store: PostgresEventStore = getPostgreSQLEventStore(connectionString, { connectionOptions: { pool } });
  await store.schema.migrate();
  return {
    name: 'Emmett 0.42 (@event-driven-io/emmett-postgresql): events only',
    run: async (customerId, itemId) => {
      const handle = CommandHandler<Cart, CartEvent>({ initialState: () => emptyCart(customerId), evolve: evolveEmmettEvent, retry: { onVersionConflict: 20 } });
      await handle(store, `cart-${customerId}`, (state) => decide(state, { kind: 'add', itemId, qty: 1 }) as CartEvent[]);
    },
    close: async () => {
      await store.close();
      await pool.end().catch(() => undefined);
    },
  };
}

export interface CommandPathResult {
  name: string;
  perSecond: number[];
  p50: number[];
  p99: number[];
}

export async function commandPath(options: CommandPathOptions): Promise<CommandPathResult[]> {
  const makers = [() => eventline(options.connections, true), () => eventline(options.connections, false), () => emmett(options.connections)];
  const results: CommandPathResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    for (const [i, make] of makers.entries()) {
      const contender = await make();
      // A short warm-up on the fresh store (JIT, connections, first streams) before the measured run.
      await drive(options.connections, Math.min(2, options.seconds / 3), options.carts, (c, item) => contender.run(c, item));
      const outcome = await drive(options.connections, options.seconds, options.carts, (c, item) => contender.run(c, item));
      await contender.close();
      const entry = (results[i] ??= { name: contender.name, perSecond: [], p50: [], p99: [] });
      entry.perSecond.push(outcome.perSecond);
      entry.p50.push(outcome.p50);
      entry.p99.push(outcome.p99);
    }
  }
  return results;
}

export function printCommandPath(results: CommandPathResult[], options: CommandPathOptions): void {
  const emmettResult = results.find((r) => r.name.startsWith('Emmett'));
  const reference = emmettResult ? median(emmettResult.perSecond) : NaN;
  printMatrix(
    `Cart add command below HTTP, ${options.connections} concurrent loops over ${options.carts.toLocaleString('en-US')} carts, ${options.seconds} s per run, medians of ${options.runs} (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version})`,
    ['store', 'commands/s', 'ratio to Emmett', 'p50 ms', 'p99 ms', 'commands/s (all runs)'],
    results.map((r) => [
      r.name,
      formatNumber(median(r.perSecond)),
      (median(r.perSecond) / reference).toFixed(2),
      median(r.p50).toFixed(1),
      median(r.p99).toFixed(1),
      r.perSecond.map(formatNumber).join(', '),
    ]),
  );
}

if (require.main === module) {
  const options: CommandPathOptions = {
    seconds: num('BENCH_COMMAND_SECONDS', 20),
    runs: num('BENCH_COMMAND_RUNS', 3),
    connections: num('BENCH_COMMAND_CONNECTIONS', 32),
    carts: num('BENCH_COMMAND_CARTS', 10_000),
  };
  runScript(
    () => commandPath(options),
    (result) => printCommandPath(result, options),
  );
}
