import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Collection, type Document, type Filter, type UpdateFilter } from 'mongodb';

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

/** One state-carrying event for `applyNewestInBulk`: `update` null deletes the document (a tombstone). */
export interface VersionedWrite<T extends Document> {
  id: T['_id'];
  version: number;
  update: (Omit<UpdateFilter<T>, '$set'> & { $set?: Partial<T> }) | null;
}

/**
 * `applyIfNewer` for a run of events in one round trip: per document only the last event counts (the
 * events are in offset order, so it is the newest), and each write is the same version-guarded
 * single-document upsert, unordered, so one stale write does not hold up the others.
 */
export async function applyNewestInBulk<T extends Document>(collection: Collection<T>, writes: VersionedWrite<T>[], versionField = 'version'): Promise<void> {
  const last = new Map<unknown, VersionedWrite<T>>();
  for (const write of writes) {
    last.delete(write.id); // keeps the map in the order of each document's last event
    last.set(write.id, write);
  }
  if (last.size === 0) return;
  const operations = [...last.values()].map(({ id, version, update }) => {
    if (update === null) return { deleteOne: { filter: { _id: id } as Filter<T> } };
    const filter = { _id: id, $or: [{ [versionField]: { $lt: version } }, { [versionField]: { $exists: false } }] } as unknown as Filter<T>;
    return { updateOne: { filter, update: { ...update, $set: { ...(update.$set ?? {}), [versionField]: version } } as UpdateFilter<T>, upsert: true } };
  });
  try {
    await collection.bulkWrite(operations as AnyBulkWriteOperation<T>[], { ordered: false });
  } catch (error) {
    // A document with a newer or equal version made that upsert's insert collide: stale, as in applyIfNewer.
    if (error instanceof MongoBulkWriteError && [error.writeErrors].flat().every((e) => e.code === DUPLICATE_KEY)) return;
    throw error;
  }
}
