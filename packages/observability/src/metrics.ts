import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics every eventline process exposes on /metrics. One registry per process: the building
 * blocks record into it, the HTTP skeleton serves it.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestDuration = new Histogram({
  name: 'eventline_http_request_duration_seconds',
  help: 'HTTP request latency by route',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const eventsPublished = new Counter({
  name: 'eventline_events_published_total',
  help: 'Records published to Kafka, by topic',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const eventsConsumed = new Counter({
  name: 'eventline_events_consumed_total',
  help: 'Records consumed from Kafka and handled, by topic and outcome',
  labelNames: ['topic', 'outcome'] as const,
  registers: [registry],
});

export const consumerLag = new Gauge({
  name: 'eventline_consumer_lag',
  help: 'High watermark minus the next offset to consume, by group, topic and partition',
  labelNames: ['group', 'topic', 'partition'] as const,
  registers: [registry],
});

export const outboxDepth = new Gauge({
  name: 'eventline_outbox_depth',
  help: 'Outbox rows written but not yet published, by outbox table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const deadLettered = new Counter({
  name: 'eventline_dlq_records_total',
  help: 'Records sent to a dead-letter topic, by source topic',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const reconciles = new Counter({
  name: 'eventline_operator_reconciles_total',
  help: 'Reconciles of custom resources, by kind and outcome (ok, error)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const reconcileDuration = new Histogram({
  name: 'eventline_operator_reconcile_duration_seconds',
  help: 'How long one reconcile of a custom resource took, by kind',
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const leaderGauge = new Gauge({
  name: 'eventline_operator_leader',
  help: '1 while this replica holds the leader Lease, else 0',
  labelNames: ['lease'] as const,
  registers: [registry],
});

export const redriven = new Counter({
  name: 'eventline_redrive_records_total',
  help: 'Dead-lettered records a Redrive handled, by source topic and outcome (moved, skipped)',
  labelNames: ['topic', 'outcome'] as const,
  registers: [registry],
});

export const stateEntries = new Gauge({
  name: 'eventline_state_entries',
  help: "Entries a stateful processor holds in memory, by store and input partition (each instance holds only its partitions')",
  labelNames: ['store', 'partition'] as const,
  registers: [registry],
});

export const stateRestoreDuration = new Histogram({
  name: 'eventline_state_restore_duration_seconds',
  help: 'Time a stateful processor spent reading its changelog after a rebalance, by store',
  labelNames: ['store'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
  registers: [registry],
});
