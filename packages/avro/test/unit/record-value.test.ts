import { recordValue, UnexpectedRecordError } from '../../src';

describe('recordValue', () => {
  const user = { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha@example.com', version: 3 };

  it('gives the value of a record of the named type', () => {
    expect(recordValue({ recordName: 'dev.eventline.users.UserState', value: user }, 'dev.eventline.users.UserState')).toBe(user);
  });

  it('refuses a record of another type, and a tombstone, naming what it got', () => {
    expect(() => recordValue({ recordName: 'dev.eventline.products.ProductState', value: user }, 'dev.eventline.users.UserState')).toThrow(
      new UnexpectedRecordError('expected a dev.eventline.users.UserState, got dev.eventline.products.ProductState'),
    );
    expect(() => recordValue({ recordName: undefined, value: null }, 'dev.eventline.users.UserState')).toThrow('expected a dev.eventline.users.UserState, got a tombstone');
  });
});
