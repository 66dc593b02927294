import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every location and port of the local infrastructure; each can be overridden from the environment. */
function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  }
  return value;
}

export const repoRoot = resolve(__dirname, '..', '..');
export const cacheDir = process.env.EVENTLINE_CACHE ?? join(homedir(), '.cache', 'eventline');
export const stateDir = process.env.EVENTLINE_STATE ?? join(cacheDir, 'state');
export const host = '127.0.0.1';
/**
 * Vendored source archives (FerretDB, DocumentDB and what it links): `../shared/vendor` next to the
 * repository, as CI clones it beside a copy of shared/.
 */
export const vendorDir = process.env.EVENTLINE_VENDOR_DIR || resolve(repoRoot, '..', 'shared', 'vendor');
/** A MongoDB the user already runs: then the whole system uses it and infra starts no Mongo server. */
export const externalMongoUrl = process.env.EVENTLINE_MONGO_URL || undefined;

export const versions = {
  kafka: '4.3.1',
  apicurio: '3.3.3',
  ferretdb: '2.5.0',
  documentdb: '0.106.0',
  libbson: '1.28.0',
  pgvector: '0.8.0',
  pgCron: '1.6.3',
  zipkin: '3.6.1',
  /** The Collector builder and core modules; contrib modules are at 0.165.1 (infra/otel-collector/builder.yaml). */
  otelCollector: '0.165.0',
} as const;

export const ports = {
  kafka: intEnv('KAFKA_PORT', 9092),
  kafkaController: intEnv('KAFKA_CONTROLLER_PORT', 9093),
  registry: intEnv('REGISTRY_PORT', 8085),
  postgres: intEnv('PG_PORT', 5433),
  mongo: intEnv('MONGO_PORT', 27017),
  /** FerretDB's own PostgreSQL cluster (DocumentDB's preload libraries do not belong in the shared one). */
  mongoPostgres: intEnv('MONGO_PG_PORT', 5434),
  zipkin: intEnv('ZIPKIN_PORT', 9411),
  prometheus: intEnv('PROMETHEUS_PORT', 9090),
  otlpHttp: intEnv('OTLP_HTTP_PORT', 4318),
  otelCollectorMetrics: intEnv('OTEL_COLLECTOR_METRICS_PORT', 8889),
  otelCollectorHealth: intEnv('OTEL_COLLECTOR_HEALTH_PORT', 13133),
};

export const urls = {
  kafka: `${host}:${ports.kafka}`,
  registry: `http://${host}:${ports.registry}/apis/ccompat/v7`,
  postgres: `postgres://eventline:eventline@${host}:${ports.postgres}/eventline`,
  mongo: externalMongoUrl ?? `mongodb://${host}:${ports.mongo}`,
  mongoPostgres: `postgres://postgres@${host}:${ports.mongoPostgres}/postgres`,
  zipkin: `http://${host}:${ports.zipkin}`,
  /** Where services send spans (OTEL_EXPORTER_ZIPKIN_ENDPOINT). */
  zipkinSpans: `http://${host}:${ports.zipkin}/api/v2/spans`,
  prometheus: `http://${host}:${ports.prometheus}`,
  /** The Collector's OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_ENDPOINT: the exporter adds /v1/traces). */
  otlp: `http://${host}:${ports.otlpHttp}`,
};
