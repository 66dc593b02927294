import { ObjectId } from 'mongodb';
import type { ConsumedEvent } from '@eventline/kafka';
import type { Orders } from './orders';

/**
 * order-service's part of the choreographed saga: product-service's answers move an order from
 * PENDING to APPROVED or REJECTED, once (a repeated answer finds the order no longer PENDING).
 */
export async function applyInventoryEvent(orders: Orders, event: ConsumedEvent): Promise<void> {
  const { orderId, reason } = (event.value ?? {}) as { orderId?: string; reason?: string };
  if (!orderId || !ObjectId.isValid(orderId)) return;
  const id = new ObjectId(orderId);
  if (event.recordName === 'dev.eventline.inventory.StockReserved') {
    await orders.transition(id, 'PENDING', 'APPROVED', 'dev.eventline.orders.OrderApproved', { orderId }, event.envelope);
  } else if (event.recordName === 'dev.eventline.inventory.StockRejected') {
    await orders.transition(id, 'PENDING', 'REJECTED', 'dev.eventline.orders.OrderRejected', { orderId, reason: reason ?? 'rejected' }, event.envelope, reason);
  }
}

/** A checked-out cart becomes one order. */
export async function applyCartEvent(orders: Orders, event: ConsumedEvent): Promise<void> {
  if (event.recordName !== 'dev.eventline.carts.CartCheckedOut') return;
  const { cartId, customerId, lines } = event.value as { cartId: string; customerId: string; lines: { itemId: string; qty: number }[] };
  await orders.placeFromCart(cartId, customerId, lines, event.envelope);
}
