import { Type } from 'avsc';
import { canRead, checkCompatibility, describeIncompatibility } from '../../src';
import { paymentAmountAsString, paymentV1, paymentV2WithDefault, paymentV2WithoutDefault, record } from '../fixtures';

const type = (schema: object) => Type.forSchema(schema as never);
const v1 = [{ version: 1, type: type(paymentV1) }];

describe('local compatibility check (BACKWARD: the new schema reads old data)', () => {
  it('accepts a new field with a default', () => {
    expect(checkCompatibility(type(paymentV2WithDefault), v1, 'BACKWARD')).toEqual({ compatible: true });
  });

  it('names a field added without a default', () => {
    const result = checkCompatibility(type(paymentV2WithoutDefault), v1, 'BACKWARD');
    expect(result).toEqual({
      compatible: false,
      version: 1,
      field: 'currency',
      reason: 'added without a default, so records written before it cannot be read',
    });
  });

  it('names a field whose type changed', () => {
    const result = checkCompatibility(type(paymentAmountAsString), v1, 'BACKWARD');
    expect(result).toMatchObject({ compatible: false, field: 'amount', reason: 'changed type from int to string' });
    expect(describeIncompatibility(result as { field: string; reason: string })).toBe('field "amount": changed type from int to string');
  });

  it('accepts a promotion (int to long) and removing a field', () => {
    const promoted = record('Payment', [
      { name: 'id', type: 'long' },
      { name: 'amount', type: 'long' },
    ]);
    const removed = record('Payment', [{ name: 'id', type: 'long' }]);
    expect(checkCompatibility(type(promoted), v1, 'BACKWARD')).toEqual({ compatible: true });
    expect(checkCompatibility(type(removed), v1, 'BACKWARD')).toEqual({ compatible: true });
  });

  it('names nested fields, enum symbols and narrowed unions', () => {
    const nested = (fields: unknown[]) => record('Order', [{ name: 'address', type: record('Address', fields) }]);
    expect(
      canRead(
        type(
          nested([
            { name: 'city', type: 'string' },
            { name: 'zip', type: 'string' },
          ]),
        ),
        type(nested([{ name: 'city', type: 'string' }])),
      ),
    ).toMatchObject({ compatible: false, field: 'address.zip' });

    const status = (symbols: string[]) => record('Order', [{ name: 'status', type: { type: 'enum', name: 'Status', symbols } }]);
    expect(canRead(type(status(['OPEN'])), type(status(['OPEN', 'CLOSED'])))).toEqual({
      compatible: false,
      field: 'status',
      reason: 'enum symbol(s) CLOSED removed and the enum has no default',
    });

    const note = (t: unknown) => record('Order', [{ name: 'note', type: t }]);
    expect(canRead(type(note('string')), type(note(['null', 'string'])))).toEqual({
      compatible: false,
      field: 'note',
      reason: 'can no longer be null, but old records hold null (changed from null | string to string)',
    });
    expect(canRead(type(note(['null', 'string'])), type(note('string')))).toEqual({ compatible: true });
  });

  it('FORWARD and FULL check the other direction; NONE checks nothing; transitive checks every version', () => {
    // Removing a field without a default: new readers are fine, old readers miss it.
    const removed = record('Payment', [{ name: 'id', type: 'long' }]);
    expect(checkCompatibility(type(removed), v1, 'BACKWARD')).toEqual({ compatible: true });
    expect(checkCompatibility(type(removed), v1, 'FORWARD')).toMatchObject({ compatible: false, field: 'amount' });
    expect(checkCompatibility(type(removed), v1, 'FULL')).toMatchObject({ compatible: false, field: 'amount' });
    expect(checkCompatibility(type(paymentAmountAsString), v1, 'NONE')).toEqual({ compatible: true });

    const history = [...v1, { version: 2, type: type(removed) }];
    const readdedWithoutDefault = record('Payment', [
      { name: 'id', type: 'long' },
      { name: 'amount', type: 'string', default: '' },
    ]);
    expect(checkCompatibility(type(readdedWithoutDefault), history, 'BACKWARD')).toEqual({ compatible: true });
    expect(checkCompatibility(type(readdedWithoutDefault), history, 'BACKWARD_TRANSITIVE')).toMatchObject({
      compatible: false,
      version: 1,
      field: 'amount',
    });
  });
});
