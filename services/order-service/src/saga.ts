import { ObjectId } from 'mongodb';
import { recordValue } from '@eventline/avro';
import type { ConsumedEvent } from '@eventline/kafka';
import type { Orders } from './orders';

/**
 * order-service's part of the choreographed saga: product-service's answers move an order from
 * PENDING to APPROVED or REJECTED, once (a repeated answer finds the order no longer PENDING).
 */
export async function applyInventoryEvent(orders: Orders, event: ConsumedEvent): Promise<void> {
  const known = (orderId: string) => ObjectId.isValid(orderId);
  if (event.recordName === 'dev.eventline.inventory.StockReserved') {
    const { orderId } = recordValue(event, 'dev.eventline.inventory.StockReserved');
    if (known(orderId)) await orders.transition(new ObjectId(orderId), 'PENDING', 'APPROVED', 'dev.eventline.orders.OrderApproved', { orderId }, event.envelope);
  } else if (event.recordName === 'dev.eventline.inventory.StockRejected') {
    const { orderId, reason } = recordValue(event, 'dev.eventline.inventory.StockRejected');
    if (known(orderId)) await orders.transition(new ObjectId(orderId), 'PENDING', 'REJECTED', 'dev.eventline.orders.OrderRejected', { orderId, reason }, event.envelope, reason);
  }
}

/** A checked-out cart becomes one order. */
export async function applyCartEvent(orders: Orders, event: ConsumedEvent): Promise<void> {
  if (event.recordName !== 'dev.eventline.carts.CartCheckedOut') return;
  const { cartId, customerId, lines } = recordValue(event, 'dev.eventline.carts.CartCheckedOut');
  await orders.placeFromCart(cartId, customerId, lines, event.envelope);
}
