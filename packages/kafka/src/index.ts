export {
  type EventEnvelope,
  headerNames,
  InvalidEnvelopeError,
  newEnvelope,
  newTraceparent,
  buildHeaders,
  parseHeaders,
} from './envelope';
export { PublishSpans } from './trace-spans';
export { createKafka, type KafkaSettings } from './client';
export { createProducer, createRenewingProducer } from './producer';
export { RenewingProducer, ProducerHungError, type RecordSender, type RenewingProducerOptions } from './renewing-producer';
export { type TopicSpec, deadLetterTopic, topicConfigs, ensureTopics, createTopicsWithLeaders } from './topics';
export { PoisonRecordError, TransientError, isTransientKafkaError } from './errors';
export {
  retryKafka,
  withAdmin,
  isRetriableKafkaError,
  KafkaRetryDeadlineError,
  DEFAULT_KAFKA_RETRY_DEADLINE_MS,
  type KafkaRetryOptions,
} from './retry';
export {
  EventConsumer,
  type EventConsumerOptions,
  type ConsumedEvent,
  type EventHandler,
  type BatchEventHandler,
  type ValueDecoder,
  type DecodedValue,
  type RetryPolicy,
} from './consumer';
export { readTopicToEnd, endOffsets, ReadProgress, type ReadToEndOptions, type ReadProgressWaitOptions, type PartitionOffsets } from './read-to-end';
export { PartitionProducers, isFencedError, type PartitionProducersOptions } from './partition-producers';
export { PartitionTracker, UnwrittenRecordsError } from './partition-tracker';
export { TransactionalProcessor, type TransactionalProcessorOptions, type ProcessedChunk, type Assignment } from './transactional-processor';
