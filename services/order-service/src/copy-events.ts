import { applyNewestInBulk, type VersionedWrite } from '@eventline/inbox';
import { recordValue, type UserState } from '@eventline/avro';
import type { ConsumedEvent } from '@eventline/kafka';
import type { CopySet, ProductCopy, UserCopy } from './local-copies';

/** Applies a UserState (or a tombstone) to copies: version-guarded, so redeliveries change nothing. */
export async function applyUserEvent(event: ConsumedEvent, targets: CopySet[]): Promise<UserState | undefined> {
  return (await applyUserEvents([event], targets))[0];
}

export async function applyProductEvent(event: ConsumedEvent, targets: CopySet[]): Promise<void> {
  await applyProductEvents([event], targets);
}

function userWrite(event: ConsumedEvent): { write: VersionedWrite<UserCopy>; user: UserState | null } {
  const id = Number(event.key);
  if (event.value === null) return { write: { id, version: 0, update: null }, user: null };
  const user = recordValue(event, 'dev.eventline.users.UserState');
  const { firstname, lastname, email } = user;
  return { write: { id, version: user.version, update: { $set: { firstname, lastname, email } } }, user };
}

/**
 * A run of UserStates (and tombstones) applied to copies in one bulk write per copy: per user only the
 * newest counts, version-guarded as in `applyUserEvent`. Returns each user's newest state, deleted ones left out.
 */
export async function applyUserEvents(events: ConsumedEvent[], targets: CopySet[]): Promise<UserState[]> {
  const applied = events.map(userWrite);
  const writes = applied.map((a) => a.write);
  await Promise.all(targets.map((t) => applyNewestInBulk(t.users, writes)));
  const newest = new Map<number, UserState | null>();
  for (const { write, user } of applied) newest.set(write.id, user);
  return [...newest.values()].filter((user): user is UserState => user !== null);
}

/** A run of ProductStates (and tombstones) applied to copies in one bulk write per copy, as `applyProductEvent` each. */
export async function applyProductEvents(events: ConsumedEvent[], targets: CopySet[]): Promise<void> {
  const writes = events.map((event): VersionedWrite<ProductCopy> => {
    const id = Number(event.key);
    if (event.value === null) return { id, version: 0, update: null };
    const { description, price, qtyAvailable, version } = recordValue(event, 'dev.eventline.products.ProductState');
    return { id, version, update: { $set: { description, price, qtyAvailable } } };
  });
  await Promise.all(targets.map((t) => applyNewestInBulk(t.products, writes)));
}
