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

export const versions = {
  kafka: '4.3.1',
  apicurio: '3.3.3',
  mongoWire: '1.46.0',
} as const;

export const ports = {
  kafka: intEnv('KAFKA_PORT', 9092),
  kafkaController: intEnv('KAFKA_CONTROLLER_PORT', 9093),
  registry: intEnv('REGISTRY_PORT', 8085),
  postgres: intEnv('PG_PORT', 5433),
  mongo: intEnv('MONGO_PORT', 27017),
};

export const urls = {
  kafka: `${host}:${ports.kafka}`,
  registry: `http://${host}:${ports.registry}/apis/ccompat/v7`,
  postgres: `postgres://eventline:eventline@${host}:${ports.postgres}/eventline`,
  mongo: `mongodb://${host}:${ports.mongo}`,
};
