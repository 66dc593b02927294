import { AvroCodec, InvalidEventError } from '../../src';
import { catalogOf, record } from '../fixtures';

// Port 9 (discard) on localhost: were the codec to reach the registry the test would fail with a
// connection error instead of the validation error it expects.
const offline = 'http://127.0.0.1:9/apis/ccompat/v7';

const user = record('User', [
  { name: 'id', type: 'long' },
  { name: 'email', type: 'string' },
  { name: 'nickname', type: ['null', 'string'], default: null },
  { name: 'address', type: record('Address', [{ name: 'zip', type: 'string' }]) },
]);
const codec = new AvroCodec<Record<string, Record<string, unknown>>>({ catalog: catalogOf('people', [user]), registryUrl: offline });
const valid = { id: 1, email: 'a@example.com', nickname: null, address: { zip: '1000' } };

async function rejection(promise: Promise<unknown>): Promise<InvalidEventError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidEventError);
  return error as InvalidEventError;
}

describe('encode validates against the local schema before anything else', () => {
  it('names a field of the wrong type', async () => {
    const error = await rejection(codec.encode('people', 'dev.eventline.test.User', { ...valid, email: 42 }));
    expect(error.fields).toEqual(['email']);
    expect(error.message).toBe('invalid dev.eventline.test.User: field "email": expected string, got 42');
  });

  it('names a missing field and a nested one', async () => {
    const { email: _omitted, ...withoutEmail } = valid;
    const error = await rejection(codec.encode('people', 'dev.eventline.test.User', { ...withoutEmail, address: { zip: 1000 } }));
    expect(error.fields).toEqual(['email', 'address.zip']);
    expect(error.details).toEqual(['field "email" is missing (expected string)', 'field "address.zip": expected string, got 1000']);
  });

  it('names an unsafe long and an undeclared (misspelt) field', async () => {
    const error = await rejection(codec.encode('people', 'dev.eventline.test.User', { ...valid, id: 2 ** 60, nickame: 'x' }));
    expect(error.fields).toEqual(['id', 'nickame']);
    expect(error.message).toContain('field "id": expected long, got 1152921504606847000 (beyond 2^53, not a safe long)');
    expect(error.message).toContain('undeclared field(s) "nickame"');
  });

  it('refuses a record that is not allowed on the topic, and an unknown topic', async () => {
    await expect(codec.encode('people', 'dev.eventline.test.Nobody', valid)).rejects.toThrow(
      'record dev.eventline.test.Nobody is not allowed on topic "people" (allowed: dev.eventline.test.User)',
    );
    await expect(codec.encode('nowhere', 'dev.eventline.test.User', valid)).rejects.toThrow('unknown topic "nowhere"');
  });
});
