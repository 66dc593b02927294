import { loadCatalog, registerAll } from '@eventline/avro';
import { urls } from '@eventline/infra';
import { uniqueName } from './names';

/**
 * The settings shared by the services of one isolated test environment: the local Kafka and
 * registry, a Kafka name prefix of its own, a short session timeout (killed members leave fast).
 * Registers the catalog's schemas first, as `npm run schemas -- register` does.
 */
export async function isolatedKafkaEnvironment(): Promise<{ prefix: string; common: NodeJS.ProcessEnv }> {
  const report = await registerAll(loadCatalog(), urls.registry);
  if (!report.ok) throw new Error(`schemas not registered: ${JSON.stringify(report)}`);
  const prefix = `${uniqueName('t')}.`;
  return { prefix, common: { KAFKA_BROKERS: urls.kafka, SCHEMA_REGISTRY_URL: urls.registry, KAFKA_NAME_PREFIX: prefix, KAFKA_SESSION_TIMEOUT_MS: '6000' } };
}
