import type { NewEvent, StoredEvent } from '@eventline/eventstore';

/** The write model of one customer's cart: what the next command is decided against. */
export interface Cart {
  customerId: string;
  /** Number of the current cart; a checkout closes it and the next add opens the following one. */
  cartNumber: number;
  checkedOut: boolean;
  /** Units per item, in the order items were first added. */
  items: Map<string, number>;
  /** Version of the customer's stream. */
  version: number;
}

export type CartCommand = { kind: 'add'; itemId: string; qty: number } | { kind: 'remove'; itemId: string; qty: number } | { kind: 'checkout' };

/** A command the cart's rules refuse; the HTTP layer answers 409 with the reason. */
export class CartRuleViolation extends Error {
  override name = 'CartRuleViolation';
}

export const emptyCart = (customerId: string): Cart => ({ customerId, cartNumber: 1, checkedOut: false, items: new Map(), version: 0 });

const cartId = (cart: Cart, number = cart.cartNumber) => `${cart.customerId}-${number}`;

export function evolve(cart: Cart, event: StoredEvent): Cart {
  const data = event.data as { cartId: string; itemId?: string; qty?: number };
  switch (event.type) {
    case 'CartItemAdded': {
      // The first add after a checkout opens the next cart.
      const next = cart.checkedOut ? { ...cart, cartNumber: cart.cartNumber + 1, checkedOut: false, items: new Map<string, number>() } : cart;
      const items = new Map(next.items);
      items.set(data.itemId!, (items.get(data.itemId!) ?? 0) + data.qty!);
      return { ...next, items, version: event.version };
    }
    case 'CartItemRemoved': {
      const items = new Map(cart.items);
      const left = (items.get(data.itemId!) ?? 0) - data.qty!;
      if (left > 0) items.set(data.itemId!, left);
      else items.delete(data.itemId!);
      return { ...cart, items, version: event.version };
    }
    case 'CartCheckedOut':
      return { ...cart, checkedOut: true, version: event.version };
    default:
      throw new Error(`unknown cart event ${event.type}`);
  }
}

export function decide(cart: Cart, command: CartCommand): NewEvent[] {
  const version = cart.version + 1;
  const { customerId } = cart;
  switch (command.kind) {
    case 'add': {
      const id = cart.checkedOut ? cartId(cart, cart.cartNumber + 1) : cartId(cart);
      return [{ type: 'CartItemAdded', data: { customerId, cartId: id, itemId: command.itemId, qty: command.qty, version } }];
    }
    case 'remove': {
      const held = cart.checkedOut ? 0 : (cart.items.get(command.itemId) ?? 0);
      if (held === 0) throw new CartRuleViolation(`item ${command.itemId} is not in the cart`);
      if (command.qty > held) throw new CartRuleViolation(`cannot remove ${command.qty} of item ${command.itemId}: the cart holds ${held}`);
      return [{ type: 'CartItemRemoved', data: { customerId, cartId: cartId(cart), itemId: command.itemId, qty: command.qty, version } }];
    }
    case 'checkout': {
      if (cart.checkedOut || cart.items.size === 0) throw new CartRuleViolation('the cart is empty: nothing to check out');
      const lines = [...cart.items].map(([itemId, qty]) => ({ itemId, qty }));
      return [{ type: 'CartCheckedOut', data: { customerId, cartId: cartId(cart), lines, version } }];
    }
  }
}

/** The cart as the write API shows it after a command. */
export function cartResource(cart: Cart) {
  return {
    customerId: cart.customerId,
    cartId: cartId(cart),
    status: cart.checkedOut ? 'CHECKED_OUT' : 'OPEN',
    items: [...cart.items].map(([itemId, qty]) => ({ itemId, qty })),
    version: cart.version,
  };
}
