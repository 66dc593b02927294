import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runningPid, start, waitFor } from './processes';
import { writeScrapeTargets } from './prometheus';
import { buildCommand, log } from './shell';
import { cacheDir, host, ports, repoRoot, stateDir, urls, versions } from './settings';
import type { Component } from './component';

/**
 * The OpenTelemetry Collector, built from Go modules by the Collector builder (the manifest is
 * infra/otel-collector/builder.yaml). Services send it OTLP; it batches the spans and writes them
 * to Kafka in Zipkin's JSON, where Zipkin's own Kafka collector reads them, and turns them into
 * span metrics (calls and latency per service, span and status) that Prometheus scrapes.
 */
const manifest = join(repoRoot, 'infra', 'otel-collector', 'builder.yaml');
const buildDir = join(cacheDir, `otel-collector-${versions.otelCollector}`);
export const collectorBinary = join(buildDir, 'build', 'otelcol-eventline');
const configFile = join(stateDir, 'otel-collector', 'config.yaml');

/** The topic between the Collector and Zipkin: Zipkin's JSON v2, a list of spans per record. */
export const ZIPKIN_SPANS_TOPIC = 'zipkin-spans';

/** Builds the Collector once into the cache: the builder first (`go install`), then the builder's own build. */
export async function ensureCollectorBinary(): Promise<string> {
  if (existsSync(collectorBinary)) return collectorBinary;
  mkdirSync(buildDir, { recursive: true });
  const logPath = join(buildDir, 'build.log');
  log(`building the OpenTelemetry Collector ${versions.otelCollector} with its builder (first use; log: ${logPath})`);
  const started = Date.now();
  const env = { ...process.env, GOBIN: join(buildDir, 'bin'), CGO_ENABLED: '0' };
  await buildCommand('the Collector builder', logPath, 'go', ['install', `go.opentelemetry.io/collector/cmd/builder@v${versions.otelCollector}`], { env, niceness: 19 });
  await buildCommand('the Collector', logPath, join(buildDir, 'bin', 'builder'), ['--config', manifest], { cwd: buildDir, env, niceness: 19 });
  log(`built the OpenTelemetry Collector in ${Math.round((Date.now() - started) / 1000)} s`);
  return collectorBinary;
}

export interface CollectorConfig {
  /** host:port of the OTLP/HTTP receiver. */
  otlpHttp: string;
  /** host:port where the Prometheus exporter serves the span metrics. */
  metrics: string;
  /** host:port of the health check (GET / answers 200 once the pipelines run). */
  health: string;
  kafkaBrokers: string[];
  /** Extra `kafka` exporter settings (TLS, SASL) as YAML lines, indented for the exporter's block. */
  kafkaSecurity?: string[];
}

/** The Collector's configuration: one pipeline of traces, fanned out to Kafka and to span metrics. */
export function collectorConfigYaml(config: CollectorConfig): string {
  return [
    'extensions:',
    '  health_check:',
    `    endpoint: ${config.health}`,
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: ${config.otlpHttp}`,
    'processors:',
    '  batch:',
    // A trace's spans arrive from many processes within a second; a short timeout keeps a trace
    // visible about as soon as its services exported it.
    '    timeout: 200ms',
    '    send_batch_size: 2048',
    'connectors:',
    '  spanmetrics:',
    '    histogram:',
    '      explicit:',
    '        buckets: [2ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2.5s, 5s]',
    '    metrics_flush_interval: 5s',
    'exporters:',
    '  kafka:',
    '    brokers:',
    ...config.kafkaBrokers.map((broker) => `      - ${broker}`),
    '    traces:',
    `      topic: ${ZIPKIN_SPANS_TOPIC}`,
    '      encoding: zipkin_json',
    // One trace's spans to one partition: Zipkin reads them in the order they were exported.
    '    partition_traces_by_id: true',
    ...(config.kafkaSecurity ?? []),
    '  prometheus:',
    `    endpoint: ${config.metrics}`,
    '    namespace: eventline',
    'service:',
    '  extensions: [health_check]',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp]',
    '      processors: [batch]',
    '      exporters: [kafka, spanmetrics]',
    '    metrics:',
    '      receivers: [spanmetrics]',
    '      exporters: [prometheus]',
    '',
  ].join('\n');
}

/** The topic Zipkin reads, made as the platform makes every topic (explicitly; auto-creation is off). */
export async function ensureSpansTopic(): Promise<void> {
  const admin = new Kafka({ brokers: [urls.kafka], clientId: 'eventline-infra', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: ZIPKIN_SPANS_TOPIC, numPartitions: 3, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`http://${host}:${ports.otelCollectorHealth}/`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

export const otelCollectorComponent: Component = {
  name: 'otel-collector',
  version: `OpenTelemetry Collector ${versions.otelCollector} (builder)`,
  address: urls.otlp,
  ports: [ports.otlpHttp, ports.otelCollectorMetrics, ports.otelCollectorHealth],
  requires: ['kafka'],
  install: async () => {
    await ensureCollectorBinary();
  },
  async start() {
    await ensureSpansTopic();
    mkdirSync(join(configFile, '..'), { recursive: true });
    writeFileSync(
      `${configFile}.tmp`,
      collectorConfigYaml({
        otlpHttp: `${host}:${ports.otlpHttp}`,
        metrics: `${host}:${ports.otelCollectorMetrics}`,
        health: `${host}:${ports.otelCollectorHealth}`,
        kafkaBrokers: [urls.kafka],
      }),
    );
    renameSync(`${configFile}.tmp`, configFile);
    writeScrapeTargets('otel-collector', [{ service: 'otel-collector', address: `${host}:${ports.otelCollectorMetrics}` }]);
    start({ name: 'otel-collector', command: collectorBinary, args: ['--config', configFile] });
  },
  isRunning: () => runningPid('otel-collector') !== undefined,
  healthy,
  waitHealthy: () => waitFor('otel-collector', healthy, 60_000, 'otel-collector'),
};
