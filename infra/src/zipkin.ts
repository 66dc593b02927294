import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJava } from './java';
import { runningPid, start, waitFor } from './processes';
import { log, mvn } from './shell';
import { cacheDir, host, ports, urls, versions } from './settings';
import { ZIPKIN_SPANS_TOPIC, ensureSpansTopic } from './otel-collector';
import type { Component } from './component';

/**
 * Zipkin's server (its executable jar from Maven Central, with the Lens UI inside), keeping traces in
 * memory: the trace store and trace view of the local system. Spans reach it through its own Kafka
 * collector, from the topic the OpenTelemetry Collector writes (`npm run up` sends every service's
 * spans there over OTLP), or directly over HTTP from a service with OTEL_TRACES_EXPORTER=zipkin.
 */
const baseDir = join(cacheDir, 'zipkin');
const jar = join(baseDir, `zipkin-server-${versions.zipkin}-exec.jar`);

function install(): void {
  if (existsSync(jar)) return;
  log(`fetching Zipkin ${versions.zipkin} from Maven Central`);
  mkdirSync(baseDir, { recursive: true });
  mvn(['dependency:copy', `-Dartifact=io.zipkin:zipkin-server:${versions.zipkin}:jar:exec`, `-DoutputDirectory=${baseDir}`]);
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${urls.zipkin}/health`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

export const zipkinComponent: Component = {
  name: 'zipkin',
  version: `Zipkin ${versions.zipkin}`,
  address: urls.zipkin,
  ports: [ports.zipkin],
  requires: ['kafka'],
  install,
  async start() {
    await ensureSpansTopic();
    start({
      name: 'zipkin',
      command: findJava(17),
      args: [
        // Its spans live in this heap: a benchmark at 100% sampling sends a few hundred thousand,
        // and 256 MB ran out of memory under them; the cap below keeps the newest.
        '-Xmx512m',
        '-XX:+UseSerialGC',
        '-jar',
        jar,
        `--armeria.ports[0].ip=${host}`,
        `--armeria.ports[0].port=${ports.zipkin}`,
        '--armeria.ports[0].protocols=http',
        // The newest traces are what a developer looks at; older ones drop out at this many spans.
        '--zipkin.storage.mem.max-spans=100000',
        `--zipkin.collector.kafka.bootstrap-servers=${urls.kafka}`,
        `--zipkin.collector.kafka.topic=${ZIPKIN_SPANS_TOPIC}`,
        '--zipkin.collector.kafka.group-id=zipkin',
      ],
    });
  },
  isRunning: () => runningPid('zipkin') !== undefined,
  healthy,
  waitHealthy: () => waitFor('zipkin', healthy, 120_000, 'zipkin'),
};
