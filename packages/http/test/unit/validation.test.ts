import { z } from 'zod';
import { HttpError, int32, INT32_MAX, intParam, text, validate } from '@eventline/http';

function validationErrorOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('validate', () => {
  const order = z.strictObject({
    customer: z.object({ email: z.email() }),
    items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  });

  it('returns the parsed value', () => {
    const value = { customer: { email: 'a@example.com' }, items: [{ sku: 'X1', quantity: 2 }] };

    expect(validate(order, value)).toEqual(value);
  });

  it('names each bad field with a dotted path, unknown keys one by one', () => {
    const error = validationErrorOf(() => validate(order, { customer: { email: 'nope' }, items: [{ sku: 'X1', quantity: 0 }, { quantity: 1 }], coupon: 'X', admin: true }));

    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect((error.details as Array<{ field: string }>).map((problem) => problem.field)).toEqual(['customer.email', 'items.0.quantity', 'items.1.sku', 'coupon', 'admin']);
  });

  it('refuses operator objects and numeric strings where numbers are expected', () => {
    const lookup = z.object({ id: z.number().int() });

    for (const id of [{ $ne: null }, { $gt: 0 }, '1', null]) {
      expect(validationErrorOf(() => validate(lookup, { id })).details).toEqual([{ field: 'id', message: expect.any(String) }]);
    }
  });

  it('names the root when the value itself has the wrong type', () => {
    expect(validationErrorOf(() => validate(order, [])).details).toEqual([{ field: '(root)', message: expect.any(String) }]);
  });
});

describe('intParam', () => {
  const params = z.object({ id: intParam({ min: 1 }) });

  it('parses plain decimal digits', () => {
    expect(validate(params, { id: '42' })).toEqual({ id: 42 });
  });

  it('refuses what z.coerce.number() would let through, and values out of range', () => {
    for (const id of ['', ' 1', '1e3', '0x10', '1.5', '0', '99999999999999999999']) {
      expect(validationErrorOf(() => validate(params, { id })).code).toBe('validation_failed');
    }
  });
});

describe('text and int32 (what the stores hold)', () => {
  const body = z.strictObject({ name: text({ min: 1, max: 5 }), count: int32({ min: 0 }) });

  it('takes text within the length and whole numbers within an integer column', () => {
    expect(validate(body, { name: ' héllo ', count: INT32_MAX })).toEqual({ name: 'héllo', count: INT32_MAX });
  });

  it('names NUL, a lone surrogate, an over-long text and a number beyond the column', () => {
    const problems = (value: unknown) => (validationErrorOf(() => validate(body, value)).details as { field: string; message: string }[]).map((p) => `${p.field}: ${p.message}`);
    expect(problems({ name: 'a\u0000b', count: 1 })).toEqual(['name: must not contain the NUL character']);
    expect(problems({ name: 'a\ud800', count: 1 })).toEqual(['name: must be well-formed Unicode (no lone surrogate)']);
    expect(problems({ name: 'toolong', count: INT32_MAX + 1 })).toHaveLength(2);
  });
});
