import { MongoClient, type Collection } from 'mongodb';
import { Pool } from 'pg';
import { createDatabase, uniqueName, urls } from '@eventline/testkit';
import { applyIfNewer, applyNewestInBulk, createInboxSchema, handleBatchOnce, handleOnce } from '@eventline/inbox';

describe('PostgreSQL inbox', () => {
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: await createDatabase('inbox') });
    await createInboxSchema(pool);
    await pool.query('CREATE TABLE balance (id int PRIMARY KEY, amount int NOT NULL)');
    await pool.query('INSERT INTO balance VALUES (1, 0)');
  });
  afterAll(() => pool.end());

  const credit = (eventId: string, amount: number) =>
    handleOnce(pool, 'balance-projector', eventId, async (tx) => {
      await tx.query('UPDATE balance SET amount = amount + $1 WHERE id = 1', [amount]);
    });
  const balance = async () => (await pool.query('SELECT amount FROM balance WHERE id = 1')).rows[0].amount;

  it('applies an event once however often it is delivered', async () => {
    expect(await credit('e-1', 10)).toBe('applied');
    expect(await credit('e-1', 10)).toBe('duplicate');
    expect(await credit('e-2', 5)).toBe('applied');
    expect(await Promise.all([credit('e-3', 1), credit('e-3', 1), credit('e-3', 1)])).toEqual(expect.arrayContaining(['applied', 'duplicate']));
    expect(await balance()).toBe(16);
  });

  it('records nothing when the effect fails, so the redelivery applies it', async () => {
    await expect(
      handleOnce(pool, 'balance-projector', 'e-fail', async (tx) => {
        await tx.query('UPDATE balance SET amount = amount + 100 WHERE id = 1');
        throw new Error('effect failed half-way');
      }),
    ).rejects.toThrow('effect failed half-way');
    expect(await balance()).toBe(16);
    expect(await credit('e-fail', 100)).toBe('applied');
    expect(await balance()).toBe(116);
  });

  const creditBatch = (events: { id: string; amount: number }[]) =>
    handleBatchOnce(
      pool,
      'balance-projector',
      events.map((e) => ({ ...e, envelope: { eventId: e.id } })),
      async (tx, fresh) => {
        await tx.query('UPDATE balance SET amount = amount + $1 WHERE id = 1', [fresh.reduce((sum, e) => sum + e.amount, 0)]);
      },
    );

  it('applies a run of events in one transaction: each new id once, in order, earlier and repeated ids skipped', async () => {
    const before = await balance();
    const first = await creditBatch([
      { id: 'b-1', amount: 1 },
      { id: 'b-2', amount: 2 },
      { id: 'b-1', amount: 1 },
      { id: 'e-1', amount: 10 },
    ]);
    expect(first.applied.map((e) => e.id)).toEqual(['b-1', 'b-2']);
    expect(first.duplicates).toBe(2);
    const again = await creditBatch([
      { id: 'b-2', amount: 2 },
      { id: 'b-3', amount: 3 },
    ]);
    expect(again.applied.map((e) => e.id)).toEqual(['b-3']);
    expect(await balance()).toBe(before + 6);
  });

  it('records none of a run whose effect fails, so its redelivery applies all of it', async () => {
    const before = await balance();
    await expect(
      handleBatchOnce(pool, 'balance-projector', [{ envelope: { eventId: 'bf-1' } }, { envelope: { eventId: 'bf-2' } }], async (tx) => {
        await tx.query('UPDATE balance SET amount = amount + 1000 WHERE id = 1');
        throw new Error('batch effect failed');
      }),
    ).rejects.toThrow('batch effect failed');
    expect(await balance()).toBe(before);
    const retried = await creditBatch([
      { id: 'bf-1', amount: 7 },
      { id: 'bf-2', amount: 8 },
    ]);
    expect(retried.applied).toHaveLength(2);
    expect(await balance()).toBe(before + 15);
  });
});

describe('version-guarded MongoDB documents', () => {
  let client: MongoClient;
  let users: Collection<{ _id: number; email: string; version: number }>;

  beforeAll(async () => {
    client = await new MongoClient(urls.mongo).connect();
    users = client.db(uniqueName('inbox')).collection('users');
  });
  afterAll(() => client.close());

  it('creates, advances, and ignores older or repeated versions', async () => {
    expect(await applyIfNewer(users, 1, 2, { $set: { email: 'v2@example.com' } })).toBe('applied');
    expect(await applyIfNewer(users, 1, 1, { $set: { email: 'v1@example.com' } })).toBe('stale');
    expect(await applyIfNewer(users, 1, 2, { $set: { email: 'v2-again@example.com' } })).toBe('stale');
    expect(await applyIfNewer(users, 1, 3, { $set: { email: 'v3@example.com' } })).toBe('applied');
    expect(await users.findOne({ _id: 1 })).toEqual({ _id: 1, email: 'v3@example.com', version: 3 });
  });

  it('applies a run of events in one round trip: per document the last one, version-guarded, tombstones deleting', async () => {
    await applyIfNewer(users, 10, 9, { $set: { email: 'v9@example.com' } });
    await applyIfNewer(users, 12, 1, { $set: { email: 'gone@example.com' } });
    await applyNewestInBulk(users, [
      { id: 10, version: 5, update: { $set: { email: 'v5@example.com' } } },
      { id: 11, version: 1, update: { $set: { email: 'a1@example.com' } } },
      { id: 11, version: 2, update: { $set: { email: 'a2@example.com' } } },
      { id: 12, version: 2, update: null },
      { id: 13, version: 4, update: { $set: { email: 'b4@example.com' } } },
    ]);
    expect(
      await users
        .find({ _id: { $in: [10, 11, 12, 13] } })
        .sort({ _id: 1 })
        .toArray(),
    ).toEqual([
      { _id: 10, email: 'v9@example.com', version: 9 },
      { _id: 11, email: 'a2@example.com', version: 2 },
      { _id: 13, email: 'b4@example.com', version: 4 },
    ]);
  });

  it('converges to the newest version whatever the delivery order', async () => {
    const versions = [5, 3, 4, 1, 5, 2];
    for (const v of versions) await applyIfNewer(users, 2, v, { $set: { email: `v${v}@example.com` } });
    expect(await users.findOne({ _id: 2 })).toEqual({ _id: 2, email: 'v5@example.com', version: 5 });
  });
});
