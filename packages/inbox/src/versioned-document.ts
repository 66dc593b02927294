import { MongoServerError, type Collection, type Document, type Filter, type UpdateFilter } from 'mongodb';

export type VersionedOutcome = 'applied' | 'stale';

const DUPLICATE_KEY = 11000;

/**
 * Writes an aggregate's state-carrying event into a MongoDB document only when the event's version is
 * newer than the document's: redeliveries and replays of older events change nothing. One
 * single-document update, so it needs no transaction (the MongoDB-wire server here has none).
 */
export async function applyIfNewer<T extends Document>(
  collection: Collection<T>,
  id: T['_id'],
  version: number,
  update: Omit<UpdateFilter<T>, '$set'> & { $set?: Partial<T> },
  versionField = 'version',
): Promise<VersionedOutcome> {
  const filter = { _id: id, $or: [{ [versionField]: { $lt: version } }, { [versionField]: { $exists: false } }] } as unknown as Filter<T>;
  const $set = { ...(update.$set ?? {}), [versionField]: version };
  try {
    const result = await collection.updateOne(filter, { ...update, $set } as UpdateFilter<T>, { upsert: true });
    return result.modifiedCount + result.upsertedCount > 0 ? 'applied' : 'stale';
  } catch (error) {
    // The document exists with a newer or equal version: the upsert's insert collided with it.
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return 'stale';
    throw error;
  }
}
