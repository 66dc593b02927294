import { Pool } from 'pg';
import { AvroCodec } from '@eventline/avro';
import { benchCatalog } from '../lib/bench-catalog';
import { createLogger } from '@eventline/observability';
import { createKafka, createProducer, createRenewingProducer, type RecordSender } from '@eventline/kafka';
import { OutboxRelay } from '@eventline/outbox';

/** Unset, the relay's own default applies. */
const optionalNumber = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

/** One relay process for the outbox benchmark; runs until SIGTERM. */
async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 6 });
  const logger = createLogger('bench-relay', 'warn');
  const kafka = createKafka({ brokers: [process.env.KAFKA_BROKERS ?? ''], clientId: 'bench-relay', logger });
  // RELAY_PRODUCER=kafkajs: a bare kafkajs producer (the comparison row); otherwise the one every
  // service's relay sends through (one send at a time; see RenewingProducer).
  const producer: RecordSender & { connect(): Promise<void>; disconnect(): Promise<void> } =
    process.env.RELAY_PRODUCER === 'kafkajs' ? createProducer(kafka) : createRenewingProducer(kafka, logger);
  await producer.connect();
  const codec = new AvroCodec({ catalog: benchCatalog(process.env.TOPIC ?? ''), registryUrl: process.env.SCHEMA_REGISTRY_URL });
  const relay = new OutboxRelay({
    pool,
    producer,
    encoder: codec,
    logger,
    claimPartitions: optionalNumber('CLAIM'),
    concurrency: optionalNumber('CONCURRENCY'),
    batchSize: optionalNumber('RELAY_BATCH'),
  });
  await relay.start();
  console.log('relaying');
  process.on('SIGTERM', () => {
    void relay
      .stop()
      .then(() => producer.disconnect())
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
