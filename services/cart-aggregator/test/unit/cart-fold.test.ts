import { foldCartEvent, ProductNotYetKnown, type CartEvent } from '../../src/cart-fold';

const products: Record<string, { description: string; price: number }> = { '1': { description: 'IPhone 12', price: 65000 }, '2': { description: 'IPhone 13', price: 125000 } };
const lookup = (id: string) => products[id];
const added = (itemId: string, qty: number, version: number, cartId = '123-1'): CartEvent => ({
  type: 'dev.eventline.carts.CartItemAdded',
  data: { customerId: '123', cartId, itemId, qty, version },
});
const removed = (itemId: string, qty: number, version: number): CartEvent => ({
  type: 'dev.eventline.carts.CartItemRemoved',
  data: { customerId: '123', cartId: '123-1', itemId, qty, version },
});

describe('cart aggregation step', () => {
  it("prices seed 002's cart: item 1 twice, item 2 added then removed", () => {
    const cart = [added('1', 1, 1), added('1', 1, 2), added('2', 1, 3), removed('2', 1, 4)].reduce(
      (c, e) => foldCartEvent(c, e, lookup),
      undefined as ReturnType<typeof foldCartEvent> | undefined,
    );
    expect(cart).toEqual({
      customerId: '123',
      cartId: '123-1',
      status: 'OPEN',
      version: 4,
      total: 130000,
      lines: [{ itemId: '1', productName: 'IPhone 12', unitPrice: 65000, qty: 2, lineTotal: 130000 }],
    });
  });

  it('refuses to price a product the table does not have yet', () => {
    expect(() => foldCartEvent(undefined, added('9', 1, 1), lookup)).toThrow(new ProductNotYetKnown('9'));
  });

  it('ignores an event it has folded in already', () => {
    const once = foldCartEvent(undefined, added('1', 1, 1), lookup);
    expect(foldCartEvent(once, added('1', 1, 1), lookup)).toBe(once);
  });

  it('closes at checkout and starts a fresh cart for the next cart id', () => {
    const open = foldCartEvent(undefined, added('1', 2, 1), lookup);
    const closed = foldCartEvent(
      open,
      { type: 'dev.eventline.carts.CartCheckedOut', data: { customerId: '123', cartId: '123-1', lines: [{ itemId: '1', qty: 2 }], version: 2 } },
      lookup,
    );
    expect(closed).toMatchObject({ status: 'CHECKED_OUT', total: 130000, version: 2 });
    expect(foldCartEvent(closed, added('2', 1, 3, '123-2'), lookup)).toEqual({
      customerId: '123',
      cartId: '123-2',
      status: 'OPEN',
      version: 3,
      total: 125000,
      lines: [{ itemId: '2', productName: 'IPhone 13', unitPrice: 125000, qty: 1, lineTotal: 125000 }],
    });
  });
});
