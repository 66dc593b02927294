import type { IncomingMessage } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracingSettings } from './tracing-settings';

/** Probes and scrapes come every few seconds on every pod: a trace each would bury the real ones. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

let provider: TracerProvider | undefined;

function sampler(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.ratio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

function exporter(settings: TracingSettings): SpanExporter {
  return settings.exporter === 'zipkin' ? new ZipkinExporter({ url: settings.zipkinUrl, serviceName: settings.serviceName }) : new OTLPTraceExporter();
}

function untraced(request: IncomingMessage): boolean {
  const path = (request.url ?? '/').split('?', 1)[0]!;
  return UNTRACED_PATHS.has(path);
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context, spans batched to the exporter, and the
 * instrumentations of incoming and outgoing HTTP (node:http, fetch), pg and mongodb. It must run
 * before those modules are first required (the instrumentations hook `require`), which is why
 * services load it through `@eventline/observability/start-tracing` as their first import.
 * Kafka's spans are made by @eventline/kafka and @eventline/outbox, which know which record
 * continues which trace. Database calls outside any trace (a relay's poll) make no span.
 */
export function startTracing(settings: TracingSettings): void {
  if (provider) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    sampler: sampler(settings),
    spanProcessors: [new BatchSpanProcessor({ exporter: exporter(settings), scheduledDelayMillis: settings.exportDelayMs })],
  });
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: untraced, requireParentforOutgoingSpans: true }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      new PgInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
    ],
  });
}

/** Sends the spans still buffered; part of a graceful stop. Nothing to do when tracing is off. */
export async function stopTracing(): Promise<void> {
  const running = provider;
  provider = undefined;
  await running?.shutdown();
}
