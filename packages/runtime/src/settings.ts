import { bool, int, list, logLevel, str, url } from '@eventline/config';
import { hotSettings } from './hot-settings';

/** Settings every service has; a service adds its own shape beside them. */
export const baseSettings = {
  /** 0 picks a free port (tests). */
  PORT: int({ min: 0, max: 65535, default: 8080 }),
  LOG_LEVEL: logLevel(),
  KAFKA_BROKERS: list({ default: ['127.0.0.1:9092'] }),
  SCHEMA_REGISTRY_URL: url({ default: 'http://127.0.0.1:8085/apis/ccompat/v7' }),
  /** SCRAM credentials (Strimzi KafkaUser secrets); both or neither. */
  KAFKA_SASL_USERNAME: str({ default: '' }),
  KAFKA_SASL_PASSWORD: str({ default: '' }),
  /**
   * The password's file (the KafkaUser Secret mounted as a volume), read at every authentication
   * instead of KAFKA_SASL_PASSWORD when set: a password the User Operator replaces is followed once
   * the kubelet refreshes the volume, with no restart.
   */
  KAFKA_SASL_PASSWORD_FILE: str({ default: '' }),
  /**
   * TLS to the brokers, trusting this CA bundle (Strimzi's `<cluster>-cluster-ca-cert` Secret, mounted
   * by the chart in staging); unset: plaintext.
   */
  KAFKA_TLS_CA_FILE: str({ default: '' }),
  /** Create the catalog's topics at start. Locally yes; on Kubernetes Strimzi's KafkaTopics own them. */
  KAFKA_ENSURE_TOPICS: bool(true),
  /** Prepended to every topic and consumer group: environments sharing one cluster, isolated test runs. */
  KAFKA_NAME_PREFIX: str({ default: '' }),
  KAFKA_SESSION_TIMEOUT_MS: int({ min: 6000, max: 300000, default: 30000 }),
  /**
   * How long start-up and rebalance paths retry what a broker answers while it elects leaders or
   * restarts (not leader, coordinator loading, connection refused) before the service gives up.
   */
  KAFKA_RETRY_DEADLINE_MS: int({ min: 1000, max: 3_600_000, default: 120_000 }),
  /** How long start-up waits for PostgreSQL or MongoDB to accept connections (a pod beside its database). */
  DATABASE_RETRY_DEADLINE_MS: int({ min: 1000, max: 3_600_000, default: 120_000 }),
  /** How long a command's Idempotency-Key is remembered and its response replayed (default 24 h). */
  IDEMPOTENCY_KEY_TTL_MS: int({ min: 60_000, max: 30 * 86_400_000, default: 86_400_000 }),
  /** How long an unfinished request holds its key before a retry may run the command again (its process died). */
  IDEMPOTENCY_LOCK_MS: int({ min: 1000, max: 3_600_000, default: 60_000 }),
  /** config-service (http://config-service:8094 on Kubernetes); unset: settings from the environment only. */
  CONFIG_SERVICE_URL: url({ protocols: ['http:', 'https:'] }).optional(),
  FEATURE_FLAGS: hotSettings.FEATURE_FLAGS,
  CONSUMER_CONCURRENCY: hotSettings.CONSUMER_CONCURRENCY,
};

export const postgresSettings = {
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'] }),
};

export const mongoSettings = {
  MONGO_URL: url({ protocols: ['mongodb:'] }),
  MONGO_DB: str(),
};

/**
 * A replay command's own settings, set by eventline-operator on the Job it runs; unset, a replay run
 * by hand (`npm run replay:*`) behaves as it always did.
 */
export const replaySettings = {
  /** The replay's consumer group, so that its lag can be read; unset: a fresh random one. */
  REPLAY_GROUP_ID: str({ default: '' }),
  /** Switch reads to the rebuilt read model once caught up; false leaves it built beside the live one. */
  REPLAY_SWITCH: bool(true),
  /** Instead of rebuilding: drop what an unfinished rebuild left behind (a deleted Replay's cleanup). */
  REPLAY_ABANDON: bool(false),
  /**
   * Where the replay writes its result as JSON when it ends (the operator sets the container's
   * termination-message file, /dev/termination-log, and reads it from the Job's pod); unset: nowhere.
   */
  REPLAY_RESULT_PATH: str({ default: '' }),
};
