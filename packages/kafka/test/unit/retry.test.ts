import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSDeleteGroupsError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { isRetriableKafkaError, KafkaRetryDeadlineError, retryKafka } from '@eventline/kafka';

const logger = createLogger('retry-test', 'silent');
/** kafkajs builds its protocol errors from an entry of its error-code table (typed as Error). */
const protocolError = (type: string, code: number, retriable: boolean, message: string) => new KafkaJSProtocolError({ type, code, retriable, message } as unknown as Error);
/** What a partition leader answers while leadership moves: NOT_LEADER_OR_FOLLOWER, code 6. */
const notLeader = () => protocolError('NOT_LEADER_FOR_PARTITION', 6, true, 'This server is not the leader for that topic-partition');

describe('isRetriableKafkaError', () => {
  it('is true for leader moves, a loading coordinator and refused connections, also when kafkajs wrapped them', () => {
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'The coordinator is loading');
    const wrapped = new KafkaJSNumberOfRetriesExceeded(notLeader(), { retryCount: 5, retryTime: 4000 });
    expect([notLeader(), loading, new KafkaJSConnectionError('Connection error: ECONNREFUSED'), wrapped].map(isRetriableKafkaError)).toEqual([true, true, true, true]);
  });

  it('is true for createTopics losing a race to another instance, false when a topic is refused for good', () => {
    const exists = protocolError('TOPIC_ALREADY_EXISTS', 36, false, 'Topic with this name already exists');
    const invalid = protocolError('INVALID_REPLICATION_FACTOR', 38, false, 'Replication factor is invalid');
    expect(isRetriableKafkaError(new KafkaJSAggregateError('Topic creation errors', [exists, notLeader()]))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSAggregateError('Topic creation errors', [exists, invalid]))).toBe(false);
  });

  it('is false for a refused SCRAM login: the process exits, and its restart reads the credential Secret anew', () => {
    // kafkajs' constructor takes the message, which its typings leave out.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
    expect(isRetriableKafkaError(refused)).toBe(false);
  });

  it("judges a failed deleteGroups by each group's own error, not by kafkajs' retriable flag on the whole", () => {
    const DeleteGroupsError = KafkaJSDeleteGroupsError as unknown as new (message: string, groups: unknown[]) => Error;
    const refused = protocolError('GROUP_AUTHORIZATION_FAILED', 30, false, 'Not authorized to access group');
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'The coordinator is loading');
    expect(isRetriableKafkaError(new DeleteGroupsError('Error in DeleteGroups', [{ groupId: 'a.restore-1', errorCode: 30, error: refused }]))).toBe(false);
    expect(isRetriableKafkaError(new DeleteGroupsError('Error in DeleteGroups', [{ groupId: 'a.restore-1', errorCode: 14, error: loading }]))).toBe(true);
  });

  it('is false for errors that waiting does not mend', () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false, 'Not authorized to access topics');
    expect([denied, new Error('bad config'), 'a string'].map(isRetriableKafkaError)).toEqual([false, false, false]);
  });
});

describe('retryKafka', () => {
  it('retries retriable errors until the operation succeeds', async () => {
    let calls = 0;
    const result = await retryKafka(
      'reading offsets',
      async () => {
        calls++;
        if (calls < 3) throw notLeader();
        return 'done';
      },
      { logger, initialDelayMs: 1, maxDelayMs: 2 },
    );
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    await expect(
      retryKafka(
        'x',
        async () => {
          calls++;
          throw new Error('unknown topic name syntax');
        },
        { logger },
      ),
    ).rejects.toThrow('unknown topic name syntax');
    expect(calls).toBe(1);
  });

  it('gives up after the deadline, naming what it tried and the last error', async () => {
    const failing = retryKafka(
      'reading the end offsets of products',
      async () => {
        throw notLeader();
      },
      { logger, deadlineMs: 50, initialDelayMs: 5, maxDelayMs: 10 },
    );
    await expect(failing).rejects.toBeInstanceOf(KafkaRetryDeadlineError);
    await expect(failing).rejects.toThrow(/reading the end offsets of products still failed after \d+ attempts .*not the leader/);
  });
});
