import { randomUUID } from 'node:crypto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { RECORDED_RESPONSES, type RecordedResponse } from './claim';
import { judgeHeldKey, type Begun, type IdempotencyStore, type KeyTimings, type StoredResponse } from './store';

interface KeyDocument {
  _id: string;
  fingerprint: string;
  owner: string;
  completed: boolean;
  response?: StoredResponse;
  lockedUntil: Date;
  expiresAt: Date;
}

const DUPLICATE_KEY = 11000;

/**
 * Keys in the service's MongoDB database; each step is a single-document operation. Without
 * multi-document transactions the key cannot complete in the command's own write; instead a command
 * document of `commandCollections` carries the keyed response in that write (`idempotencyKeys`, see
 * pushRecordedResponse), and a retry that finds its key still unfinished looks there first: the
 * command ran, so the key completes with that response and the retry gets it.
 */
export class MongoIdempotencyStore implements IdempotencyStore {
  private readonly keys: Collection<KeyDocument>;
  private readonly commandCollections: Collection[];

  constructor(db: Db, commandCollections: readonly string[] = []) {
    this.keys = db.collection<KeyDocument>('idempotency_keys');
    this.commandCollections = commandCollections.map((name) => db.collection(name));
  }

  static async migrate(db: Db, commandCollections: readonly string[] = []): Promise<void> {
    await db.collection('idempotency_keys').createIndex({ expiresAt: 1 });
    for (const name of commandCollections) await db.collection(name).createIndex({ [`${RECORDED_RESPONSES}.key`]: 1 }, { sparse: true });
  }

  /** The response a command document recorded for `key`, if a command with it ran. */
  private async recorded(key: string): Promise<StoredResponse | undefined> {
    for (const collection of this.commandCollections) {
      const document = await collection.findOne({ [`${RECORDED_RESPONSES}.key`]: key }, { projection: { [RECORDED_RESPONSES]: 1 } });
      const entry = (document?.[RECORDED_RESPONSES] as RecordedResponse[] | undefined)?.filter((r) => r.key === key).at(-1);
      if (entry) return { status: entry.status, body: entry.body, headers: entry.headers };
    }
    return undefined;
  }

  async begin(key: string, fingerprint: string, { ttlMs, lockMs }: KeyTimings): Promise<Begun> {
    for (;;) {
      const now = new Date();
      const owner = randomUUID();
      const fresh = { fingerprint, owner, completed: false, lockedUntil: new Date(now.getTime() + lockMs), expiresAt: new Date(now.getTime() + ttlMs) };
      // Expired, or abandoned by a request of the same fingerprint: take it over.
      const takenOver = await this.keys.updateOne(
        { _id: key, $or: [{ expiresAt: { $lt: now } }, { completed: false, lockedUntil: { $lt: now }, fingerprint }] },
        { $set: fresh, $unset: { response: '' } },
      );
      if (takenOver.modifiedCount === 1) return { kind: 'acquired', owner };
      try {
        await this.keys.insertOne({ _id: key, ...fresh });
        return { kind: 'acquired', owner };
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
      const held = await this.keys.findOne({ _id: key });
      if (!held) continue; // purged in between: try to take it again
      if (!held.completed && held.fingerprint === fingerprint && this.commandCollections.length > 0) {
        // Unfinished: still running, or its process died after the command's write.
        const response = await this.recorded(key);
        if (response) {
          await this.keys.updateOne({ _id: key, completed: false }, { $set: { completed: true, response } });
          return { kind: 'replay', response };
        }
      }
      if (held.expiresAt < now || (!held.completed && held.lockedUntil < now && held.fingerprint === fingerprint)) continue;
      return judgeHeldKey(held, fingerprint);
    }
  }

  async complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    const { modifiedCount } = await this.keys.updateOne({ _id: key, owner, completed: false }, { $set: { completed: true, response } });
    return modifiedCount === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.keys.deleteOne({ _id: key, owner, completed: false });
  }

  async purgeExpired(): Promise<number> {
    const { deletedCount } = await this.keys.deleteMany({ expiresAt: { $lt: new Date() } });
    return deletedCount;
  }
}
