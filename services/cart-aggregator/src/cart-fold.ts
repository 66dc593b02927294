import type { CartDetails, CartItemAdded, CartItemRemoved, CartCheckedOut } from '@eventline/avro';

export interface PricedProduct {
  description: string;
  price: number;
}

export type CartEvent =
  | { type: 'dev.eventline.carts.CartItemAdded'; data: CartItemAdded }
  | { type: 'dev.eventline.carts.CartItemRemoved'; data: CartItemRemoved }
  | { type: 'dev.eventline.carts.CartCheckedOut'; data: CartCheckedOut };

/** The event names a product the table does not have yet: the event waits; it is never priced as zero. */
export class ProductNotYetKnown extends Error {
  override name = 'ProductNotYetKnown';
  constructor(readonly itemId: string) {
    super(`product ${itemId} is not in the products table yet`);
  }
}

const totalOf = (lines: CartDetails['lines']) => lines.reduce((sum, line) => sum + line.lineTotal, 0);

/**
 * One step of the aggregation: the customer's priced cart after one more cart event. Events at or
 * below the cart's version were folded in already and change nothing.
 */
export function foldCartEvent(cart: CartDetails | undefined, event: CartEvent, product: (itemId: string) => PricedProduct | undefined): CartDetails {
  if (cart && event.data.version <= cart.version) return cart;
  const { customerId, cartId, version } = event.data;
  const current: CartDetails = cart && cart.cartId === cartId ? cart : { customerId, cartId, status: 'OPEN', lines: [], total: 0, version: 0 };
  switch (event.type) {
    case 'dev.eventline.carts.CartItemAdded': {
      const { itemId, qty } = event.data;
      const priced = product(itemId);
      if (!priced) throw new ProductNotYetKnown(itemId);
      const existing = current.lines.find((l) => l.itemId === itemId);
      const quantity = (existing?.qty ?? 0) + qty;
      const line = { itemId, productName: priced.description, unitPrice: priced.price, qty: quantity, lineTotal: priced.price * quantity };
      const lines = existing ? current.lines.map((l) => (l.itemId === itemId ? line : l)) : [...current.lines, line];
      return { ...current, status: 'OPEN', lines, total: totalOf(lines), version };
    }
    case 'dev.eventline.carts.CartItemRemoved': {
      const { itemId, qty } = event.data;
      const lines = current.lines.map((l) => (l.itemId === itemId ? { ...l, qty: l.qty - qty, lineTotal: l.unitPrice * (l.qty - qty) } : l)).filter((l) => l.qty > 0);
      return { ...current, lines, total: totalOf(lines), version };
    }
    case 'dev.eventline.carts.CartCheckedOut':
      return { ...current, status: 'CHECKED_OUT', version };
  }
}
