import { Pool } from 'pg';
import { createDatabase } from '@eventline/testkit';
import { newEnvelope } from '@eventline/kafka';
import { ConcurrencyError, createEventStoreSchema, EventStore, fold, handleCommand, type PendingEvent, type StoredEvent } from '@eventline/eventstore';

interface Counter {
  total: number;
}
type Add = { by: number };
const evolve = (state: Counter, event: StoredEvent): Counter => ({ total: state.total + Number(event.data.by) });
const decide = (state: Counter, command: Add) => {
  if (command.by <= 0) throw new Error('must add a positive amount');
  return [{ type: 'Added', data: { by: command.by, before: state.total } }];
};

describe('event store on PostgreSQL', () => {
  let pool: Pool;
  let store: EventStore;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await createDatabase('eventstore'), max: 30 });
    await createEventStoreSchema(pool);
    store = new EventStore(pool);
  });
  afterAll(() => pool.end());

  it('appends at the expected version and reads the stream back in order', async () => {
    await store.append('counter-1', 0, [
      { type: 'Added', data: { by: 2 } },
      { type: 'Added', data: { by: 3 } },
    ]);
    await store.append('counter-1', 2, [{ type: 'Added', data: { by: 5 } }]);
    const stream = await store.readStream('counter-1');
    expect(stream.map((e) => [e.version, e.data.by])).toEqual([
      [1, 2],
      [2, 3],
      [3, 5],
    ]);
    expect(fold(stream, evolve, { total: 0 })).toEqual({ total: 10 });
  });

  it('refuses an append at a stale expected version, writing nothing', async () => {
    await store.append('counter-2', 0, [{ type: 'Added', data: { by: 1 } }]);
    await expect(store.append('counter-2', 0, [{ type: 'Added', data: { by: 1 } }])).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.append('counter-2', 0, [{ type: 'Added', data: { by: 1 } }])).rejects.toThrow('stream counter-2 is at version 1, expected 0');
    expect(await store.readStream('counter-2')).toHaveLength(1);
  });

  const outbox = (events: PendingEvent[]) =>
    events.map((e) => ({
      topic: 'counters',
      key: e.streamId,
      recordName: 'dev.eventline.test.Added',
      payload: { ...e.data, version: e.version },
      envelope: newEnvelope('Added', 'test'),
    }));

  it('writes the events and their outbox rows in one transaction, or neither', async () => {
    await store.append('counter-3', 0, [{ type: 'Added', data: { by: 4 } }], { outbox });
    await expect(store.append('counter-3', 0, [{ type: 'Added', data: { by: 9 } }], { outbox })).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(
      store.append('counter-3', 1, [{ type: 'Added', data: { by: 9 } }], {
        outbox,
        validate: () => {
          throw new Error('payload field "by" is invalid');
        },
      }),
    ).rejects.toThrow('payload field "by" is invalid');
    const { rows } = await pool.query(`SELECT key, payload FROM outbox WHERE key = 'counter-3'`);
    expect(rows).toEqual([{ key: 'counter-3', payload: { by: 4, version: 1 } }]);
    expect(await store.readStream('counter-3')).toHaveLength(1);
  });

  it('loses no event when 20 writers race on one stream (conflicts re-decided)', async () => {
    const writers = Array.from({ length: 20 }, () =>
      handleCommand({
        store,
        streamId: 'counter-race',
        initial: { total: 0 },
        evolve,
        decide,
        command: { by: 1 },
        retries: 50,
        append: { outbox },
      }),
    );
    const results = await Promise.allSettled(writers);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stream = await store.readStream('counter-race');
    expect(stream.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each decision saw the state left by the one before it: no lost update.
    expect(stream.map((e) => e.data.before)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The losing appends queued nothing, and the relay's id order is the stream's order.
    const queued = await pool.query(`SELECT payload FROM outbox WHERE key = 'counter-race' ORDER BY id`);
    expect(queued.rows.map((r) => r.payload.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('refuses a command the decision rejects, appending nothing', async () => {
    await expect(handleCommand({ store, streamId: 'counter-4', initial: { total: 0 }, evolve, decide, command: { by: 0 } })).rejects.toThrow('must add a positive amount');
    expect(await store.readStream('counter-4')).toEqual([]);
  });

  it('reads all streams by global position', async () => {
    const first = await store.append('global-a', 0, [{ type: 'Added', data: { by: 1 } }]);
    await store.append('global-b', 0, [{ type: 'Added', data: { by: 2 } }]);
    const after = await store.readAll(first[0]!.globalPosition - 1, 10);
    expect(after.map((e) => e.streamId).slice(0, 2)).toEqual(['global-a', 'global-b']);
    expect(after[1]!.globalPosition).toBeGreaterThan(after[0]!.globalPosition);
  });
});

describe('event store schema', () => {
  it('is created by replicas starting together, none of them failing', async () => {
    const url = await createDatabase('eventstore_race');
    const replicas = Array.from({ length: 6 }, () => new Pool({ connectionString: url, max: 1 }));
    try {
      const outcomes = await Promise.allSettled(replicas.map((pool) => createEventStoreSchema(pool)));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      const tables = await replicas[0]!.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['events', 'outbox', 'snapshots']));
    } finally {
      await Promise.all(replicas.map((pool) => pool.end()));
    }
  });
});
