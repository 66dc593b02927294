import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isUnknownTopic } from '../../src/topics';

describe('isUnknownTopic', () => {
  const unknownTopic = () => {
    const error = new KafkaJSProtocolError('This server does not host this topic-partition');
    (error as unknown as { type: string }).type = 'UNKNOWN_TOPIC_OR_PARTITION';
    return error;
  };

  it("recognises kafkajs's UNKNOWN_TOPIC_OR_PARTITION, bare or inside its retry wrapper", () => {
    expect(isUnknownTopic(unknownTopic())).toBe(true);
    expect(isUnknownTopic(new KafkaJSNumberOfRetriesExceeded(unknownTopic(), { retryCount: 5, retryTime: 100 }))).toBe(true);
  });

  it('leaves every other error alone', () => {
    const other = new KafkaJSProtocolError('Topic with this name already exists');
    (other as unknown as { type: string }).type = 'TOPIC_ALREADY_EXISTS';
    expect(isUnknownTopic(other)).toBe(false);
    expect(isUnknownTopic(new Error('connection refused'))).toBe(false);
    expect(isUnknownTopic(undefined)).toBe(false);
  });
});
