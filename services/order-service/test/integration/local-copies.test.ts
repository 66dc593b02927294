import { MongoClient, type Db } from 'mongodb';
import { uniqueName, urls } from '@eventline/testkit';
import { LocalCopies, type CopySet } from '../../src/local-copies';

/**
 * readActive reads the local copies beside the generation's own lookup, on the generation it saw
 * last: after a replay switches generations (in another process), a read still ends on the new one.
 */
describe('order-service local copies: a read beside the generation lookup', () => {
  let mongo: MongoClient;
  let db: Db;

  beforeAll(async () => {
    mongo = await new MongoClient(urls.mongo).connect();
    db = mongo.db(uniqueName('copies').replace(/-/g, '_'));
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  const user = (copies: CopySet) => copies.users.findOne({ _id: 7 });

  it('answers from the active generation, also right after another process switched to a rebuilt one', async () => {
    const served = new LocalCopies(db);
    await served.init();
    await db.collection('users_v1').insertOne({ _id: 7 as never, name: 'Old', email: 'old@example.com', version: 1 });
    expect((await served.readActive(user)).result).toMatchObject({ name: 'Old' });
    expect((await served.readActive(user)).copies.users.collectionName).toBe('users_v1');

    // A replay elsewhere builds generation 2 and switches to it (generation 1 is dropped).
    const replay = new LocalCopies(db);
    const next = await replay.beginRebuild();
    await db.collection(`users_v${next}`).insertOne({ _id: 7 as never, name: 'Rebuilt', email: 'new@example.com', version: 2 });
    await replay.switchTo(next);

    const after = await served.readActive(user);
    expect(after.result).toMatchObject({ name: 'Rebuilt' });
    expect(after.copies.users.collectionName).toBe('users_v2');
    expect((await served.readActive(user)).result).toMatchObject({ name: 'Rebuilt' });
  });
});
