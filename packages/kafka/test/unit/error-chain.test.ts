import { errorChain } from '../../src/error-chain';
import { isTransientKafkaError } from '../../src/errors';

const wrapped = (name: string, inner: { originalError?: Error; cause?: Error }) => Object.assign(new Error(name), { name }, inner);

describe('errorChain', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const retries = wrapped('KafkaJSNumberOfRetriesExceeded', { originalError: wrapped('KafkaJSProtocolError', { cause: refused }) });

  it("follows kafkajs' originalError before cause, outermost first", () => {
    expect([...errorChain(retries)].map((e) => e.name)).toEqual(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSProtocolError', 'Error']);
  });

  it('follows only cause when asked, and stops at depth or at what is not an Error', () => {
    expect([...errorChain(retries, { wrapped: 'cause' })].map((e) => e.name)).toEqual(['KafkaJSNumberOfRetriesExceeded']);
    expect([...errorChain(retries, { depth: 2 })]).toHaveLength(2);
    expect([...errorChain('a string')]).toEqual([]);
  });

  it("keeps isTransientKafkaError to cause: an error kafkajs wrapped is judged by the wrapper's own name", () => {
    const protocolWrapped = wrapped('KafkaJSProtocolError', { originalError: refused });
    expect(isTransientKafkaError(protocolWrapped)).toBe(false);
    expect(isTransientKafkaError(wrapped('Error', { cause: refused }))).toBe(true);
  });
});
