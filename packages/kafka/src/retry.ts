import type { Admin, Kafka } from 'kafkajs';
import { RetryDeadlineError, retryWithDeadline, type Logger } from '@eventline/observability';
import { errorChain } from './error-chain';
import { isTransientKafkaError } from './errors';

export interface KafkaRetryOptions {
  logger: Logger;
  /** Give up this long after the first attempt; the error then says what was tried and for how long. */
  deadlineMs?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** How long start-up and rebalance paths keep retrying a broker that is electing leaders or restarting. */
export const DEFAULT_KAFKA_RETRY_DEADLINE_MS = 120_000;

/**
 * True for what a broker says while it is still starting, restarting or moving leadership
 * (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, a refused
 * connection, …): kafkajs marks those `retriable`, and wraps them once its own few retries run out.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  for (const current of errorChain(error)) {
    // deleteGroups: kafkajs marks its error retriable whatever each group's own error was (an ACL that
    // refuses Delete is not mended by waiting).
    const { groups } = current as { groups?: unknown };
    if (current.name === 'KafkaJSDeleteGroupsError' && Array.isArray(groups)) {
      const failed = groups.map((group) => (group as { error?: unknown }).error).filter((inner) => inner !== undefined && inner !== null);
      return failed.length > 0 && failed.every(isRetriableKafkaError);
    }
    // KafkaJSTimeout: createTopics' wait for the new partitions' leaders ran out.
    if (isTransientKafkaError(current) || current.name === 'KafkaJSTimeout') return true;
    // createTopics racing another instance: some topics exist now, the next try creates only the rest.
    const { errors } = current as { errors?: unknown };
    if (current.name === 'KafkaJSAggregateError' && Array.isArray(errors) && errors.length > 0) {
      return errors.every((inner) => (inner as { type?: unknown }).type === 'TOPIC_ALREADY_EXISTS' || isRetriableKafkaError(inner));
    }
  }
  return false;
}

export class KafkaRetryDeadlineError extends RetryDeadlineError {
  override readonly name = 'KafkaRetryDeadlineError';
}

/** `retryWithDeadline` for Kafka: what kafkajs marks retriable (see isRetriableKafkaError). */
export function retryKafka<T>(what: string, operation: () => Promise<T>, options: KafkaRetryOptions): Promise<T> {
  return retryWithDeadline(what, operation, isRetriableKafkaError, {
    ...options,
    deadlineMs: options.deadlineMs ?? DEFAULT_KAFKA_RETRY_DEADLINE_MS,
    deadlineError: (attempts, elapsedMs, cause) => new KafkaRetryDeadlineError(what, attempts, elapsedMs, cause),
  });
}

/** Runs `use` with a connected admin client, retried as a whole on retriable errors, always disconnected after. */
export function withAdmin<T>(kafka: Kafka, what: string, use: (admin: Admin) => Promise<T>, options: KafkaRetryOptions): Promise<T> {
  return retryKafka(
    what,
    async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return await use(admin);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    options,
  );
}
