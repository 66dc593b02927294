import { applyIfNewer, applyNewestInBulk, type VersionedWrite } from '@eventline/inbox';
import { recordValue, type UserState } from '@eventline/avro';
import type { ConsumedEvent } from '@eventline/kafka';
import type { CopySet, ProductCopy, UserCopy } from './local-copies';

/** Applies a UserState (or a tombstone) to copies: version-guarded, so redeliveries change nothing. */
export async function applyUserEvent(event: ConsumedEvent, targets: CopySet[]): Promise<UserState | undefined> {
  const id = Number(event.key);
  if (event.value === null) {
    await Promise.all(targets.map((t) => t.users.deleteOne({ _id: id })));
    return undefined;
  }
  const user = recordValue(event, 'dev.eventline.users.UserState');
  const { firstname, lastname, email } = user;
  await Promise.all(targets.map((t) => applyIfNewer(t.users, id, user.version, { $set: { firstname, lastname, email } })));
  return user;
}

export async function applyProductEvent(event: ConsumedEvent, targets: CopySet[]): Promise<void> {
  const id = Number(event.key);
  if (event.value === null) {
    await Promise.all(targets.map((t) => t.products.deleteOne({ _id: id })));
    return;
  }
  const { description, price, qtyAvailable, version } = recordValue(event, 'dev.eventline.products.ProductState');
  await Promise.all(targets.map((t) => applyIfNewer(t.products, id, version, { $set: { description, price, qtyAvailable } })));
}

/**
 * A run of one partition's UserStates in one round trip per copy: per user the newest wins, as
 * applyUserEvent one by one would leave it. Answers the newest state of each user still there (for
 * the orders that embed it).
 */
export async function applyUserEvents(events: ConsumedEvent[], targets: CopySet[]): Promise<UserState[]> {
  const newest = new Map<number, UserState | undefined>();
  const writes: VersionedWrite<UserCopy>[] = events.map((event) => {
    const id = Number(event.key);
    if (event.value === null) {
      newest.set(id, undefined);
      return { id, version: 0, update: null };
    }
    const user = recordValue(event, 'dev.eventline.users.UserState');
    newest.set(id, user);
    const { firstname, lastname, email } = user;
    return { id, version: user.version, update: { $set: { firstname, lastname, email } } };
  });
  await Promise.all(targets.map((t) => applyNewestInBulk(t.users, writes)));
  return [...newest.values()].filter((user): user is UserState => user !== undefined);
}

/** A run of ProductStates in one round trip per copy, the newest per product winning. */
export async function applyProductEvents(events: ConsumedEvent[], targets: CopySet[]): Promise<void> {
  const writes: VersionedWrite<ProductCopy>[] = events.map((event) => {
    const id = Number(event.key);
    if (event.value === null) return { id, version: 0, update: null };
    const { description, price, qtyAvailable, version } = recordValue(event, 'dev.eventline.products.ProductState');
    return { id, version, update: { $set: { description, price, qtyAvailable } } };
  });
  await Promise.all(targets.map((t) => applyNewestInBulk(t.products, writes)));
}
