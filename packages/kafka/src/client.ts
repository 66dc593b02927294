import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@eventline/observability';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  logger: Logger;
  sasl?: KafkaConfig['sasl'];
  ssl?: KafkaConfig['ssl'];
}

/** A kafkajs client whose own logs go to the service's pino logger. */
export function createKafka({ brokers, clientId, logger, sasl, ssl }: KafkaSettings): Kafka {
  const kafkaLog = logger.child({ component: 'kafkajs' });
  return new Kafka({
    brokers,
    clientId,
    sasl,
    ssl,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLog[levels[level] ?? 'info'](extra, message);
      },
  });
}
