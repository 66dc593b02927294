import { randomUUID } from 'node:crypto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
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

/** Keys in the service's MongoDB database; each step is a single-document operation. */
export class MongoIdempotencyStore implements IdempotencyStore {
  private readonly keys: Collection<KeyDocument>;

  constructor(db: Db) {
    this.keys = db.collection<KeyDocument>('idempotency_keys');
  }

  static async migrate(db: Db): Promise<void> {
    await db.collection('idempotency_keys').createIndex({ expiresAt: 1 });
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
