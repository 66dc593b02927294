import type { NewEvent, StoredEvent } from '@eventline/eventstore';
import { cartResource, CartRuleViolation, decide, emptyCart, evolve, type Cart, type CartCommand } from '../../src/cart';

/** Applies commands the way the handler does: decide, then fold the decided events in. */
function run(commands: CartCommand[], cart: Cart = emptyCart('123')): Cart {
  return commands.reduce((state, command) => {
    const events = decide(state, command);
    return events.reduce(
      (s, e: NewEvent, i) => evolve(s, { ...e, version: state.version + i + 1, streamId: 'cart-123', globalPosition: 0, recordedAt: new Date() } as StoredEvent),
      state,
    );
  }, cart);
}

describe('cart rules', () => {
  it("folds seed 002's commands: add 1 twice, add 2, remove 2", () => {
    const cart = run([
      { kind: 'add', itemId: '1', qty: 1 },
      { kind: 'add', itemId: '1', qty: 1 },
      { kind: 'add', itemId: '2', qty: 1 },
      { kind: 'remove', itemId: '2', qty: 1 },
    ]);
    expect(cartResource(cart)).toEqual({ customerId: '123', cartId: '123-1', status: 'OPEN', items: [{ itemId: '1', qty: 2 }], version: 4 });
  });

  it('refuses removing an item that is not in the cart, or more than it holds', () => {
    const cart = run([{ kind: 'add', itemId: '1', qty: 2 }]);
    expect(() => decide(cart, { kind: 'remove', itemId: '9', qty: 1 })).toThrow(new CartRuleViolation('item 9 is not in the cart'));
    expect(() => decide(cart, { kind: 'remove', itemId: '1', qty: 3 })).toThrow('cannot remove 3 of item 1: the cart holds 2');
  });

  it('refuses checking out an empty cart', () => {
    expect(() => decide(emptyCart('123'), { kind: 'checkout' })).toThrow('the cart is empty: nothing to check out');
    const emptied = run([
      { kind: 'add', itemId: '1', qty: 1 },
      { kind: 'remove', itemId: '1', qty: 1 },
    ]);
    expect(() => decide(emptied, { kind: 'checkout' })).toThrow(CartRuleViolation);
  });

  it('closes the cart at checkout, with its lines; the next add opens a new cart', () => {
    const cart = run([
      { kind: 'add', itemId: '1', qty: 2 },
      { kind: 'add', itemId: '3', qty: 1 },
    ]);
    expect(decide(cart, { kind: 'checkout' })).toEqual([
      {
        type: 'CartCheckedOut',
        data: {
          customerId: '123',
          cartId: '123-1',
          lines: [
            { itemId: '1', qty: 2 },
            { itemId: '3', qty: 1 },
          ],
          version: 3,
        },
      },
    ]);
    const closed = run([{ kind: 'checkout' }], cart);
    expect(cartResource(closed).status).toBe('CHECKED_OUT');
    expect(() => decide(closed, { kind: 'checkout' })).toThrow('nothing to check out');
    expect(() => decide(closed, { kind: 'remove', itemId: '1', qty: 1 })).toThrow('item 1 is not in the cart');
    const reopened = run([{ kind: 'add', itemId: '2', qty: 1 }], closed);
    expect(cartResource(reopened)).toEqual({ customerId: '123', cartId: '123-2', status: 'OPEN', items: [{ itemId: '2', qty: 1 }], version: 4 });
  });
});
