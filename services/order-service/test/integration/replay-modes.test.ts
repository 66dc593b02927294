import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { ensureTopics } from '@eventline/kafka';
import { isolatedKafkaEnvironment, localKafka, startTsProcess, uniqueName, urls } from '@eventline/testkit';
import { LocalCopies } from '../../src/local-copies';

const replayScript = join(__dirname, '..', '..', 'src', 'replay.ts');

/**
 * The replay command's modes for eventline-operator's Jobs: REPLAY_SWITCH=false leaves the rebuilt
 * generation beside the served one; REPLAY_ABANDON=true drops it again (a deleted Replay's cleanup).
 */
describe('order-service replay: without switching, and abandoning', () => {
  let mongo: MongoClient;
  let db: Db;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const { prefix, common } = await isolatedKafkaEnvironment();
    const admin = localKafka('replay-modes').admin();
    await admin.connect();
    await ensureTopics(
      admin,
      ['users', 'products'].map((name) => ({ name: prefix + name, partitions: 3, compacted: true })),
    );
    await admin.disconnect();
    const dbName = uniqueName('orders').replace(/-/g, '_');
    env = { ...common, MONGO_URL: urls.mongo, MONGO_DB: dbName, LOG_LEVEL: 'warn' };
    mongo = await new MongoClient(urls.mongo).connect();
    db = mongo.db(dbName);
    await new LocalCopies(db).init();
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  const run = async (extra: NodeJS.ProcessEnv) => {
    const replay = startTsProcess(replayScript, { ...env, ...extra });
    const line = await replay.waitForLine(/"msg":"(local copies|unswitched)/, 60_000);
    expect(await replay.exited).toBe(0);
    return JSON.parse(line) as { msg: string; generation: number | null };
  };
  const meta = () => db.collection('local_copies_meta').findOne({ _id: 'copies' as never });

  it('builds generation 2 beside the served 1, drops it when abandoned, and switches by default', async () => {
    expect(await run({ REPLAY_SWITCH: 'false', REPLAY_GROUP_ID: uniqueName('order-service.replay') })).toEqual({ msg: 'local copies rebuilt, not switched', generation: 2 });
    expect(await meta()).toMatchObject({ generation: 1, building: 2 });
    await db.collection('users_v2').insertOne({ _id: 'built' as never });

    expect(await run({ REPLAY_ABANDON: 'true' })).toEqual({ msg: 'unswitched generation dropped', generation: 2 });
    expect(await meta()).toEqual({ _id: 'copies', generation: 1 });
    expect(await db.listCollections({ name: 'users_v2' }).toArray()).toEqual([]);
    expect(await run({ REPLAY_ABANDON: 'true' })).toEqual({ msg: 'unswitched generation dropped', generation: null });

    expect(await run({})).toEqual({ msg: 'local copies rebuilt and switched', generation: 2 });
    expect(await meta()).toEqual({ _id: 'copies', generation: 2 });
  });
});
