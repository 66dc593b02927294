export { createLogger, type Logger } from './logger';
export {
  registry,
  httpRequestDuration,
  eventsPublished,
  eventsConsumed,
  consumerLag,
  outboxDepth,
  deadLettered,
  reconciles,
  reconcileDuration,
  leaderGauge,
  redriven,
  stateEntries,
  stateRestoreDuration,
} from './metrics';
export { failpoint, delaypoint, errorpoint } from './failpoint';
export { retryWithDeadline, RetryDeadlineError, type RetryOptions } from './retry';
export { Backoff, backoffDelayMs, Restarter, type BackoffPolicy, type Restartable, type RestartOptions } from './backoff';
export { startTracing, stopTracing } from './tracing';
export { tracingSettings, TracingSettingsError, DEFAULT_SAMPLE_RATIO, DEFAULT_ZIPKIN_URL, type TracingSettings } from './tracing-settings';
