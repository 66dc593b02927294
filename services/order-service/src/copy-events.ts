import { applyIfNewer } from '@eventline/inbox';
import { recordValue, type UserState } from '@eventline/avro';
import type { ConsumedEvent } from '@eventline/kafka';
import type { CopySet } from './local-copies';

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
