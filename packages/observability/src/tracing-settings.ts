/**
 * What the standard OpenTelemetry variables ask of a service's tracing, checked: a name the SDK does
 * not know stops the start with a message that names the variable, instead of tracing silently off.
 *
 * - OTEL_SDK_DISABLED=true: no tracing at all.
 * - OTEL_TRACES_EXPORTER: `zipkin`, `otlp` or `none`. Unset means `none`: a service with nowhere to
 *   send spans should not retry an export every few seconds; `npm run up` and the chart set it.
 * - OTEL_EXPORTER_ZIPKIN_ENDPOINT; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
 *   (the OTLP exporter reads those itself).
 * - OTEL_TRACES_SAMPLER (`parentbased_traceidratio` by default, `parentbased_always_on`,
 *   `parentbased_always_off`, `always_on`, `always_off`, `traceidratio`) and OTEL_TRACES_SAMPLER_ARG,
 *   the ratio (default below).
 * - OTEL_BSP_SCHEDULE_DELAY: milliseconds between exports of the batched spans (5000).
 * - OTEL_SERVICE_NAME: the service's own name otherwise.
 */
export type TraceExporterKind = 'zipkin' | 'otlp';

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TracingSettings {
  serviceName: string;
  exporter: TraceExporterKind;
  /** The Zipkin endpoint (the OTLP exporter finds its own). */
  zipkinUrl: string;
  sampler: SamplerName;
  ratio: number;
  exportDelayMs: number;
}

export const DEFAULT_ZIPKIN_URL = 'http://127.0.0.1:9411/api/v2/spans';
/** The sampling ratio when OTEL_TRACES_SAMPLER_ARG is not set (docs/performance.md measures its cost). */
export const DEFAULT_SAMPLE_RATIO = 1;

const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export class TracingSettingsError extends Error {
  override name = 'TracingSettingsError';
}

/** The settings, or undefined when tracing is off. */
export function tracingSettings(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingSettings | undefined {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? 'none').trim().toLowerCase() || 'none';
  if (exporter === 'none') return undefined;
  if (exporter !== 'zipkin' && exporter !== 'otlp') {
    throw new TracingSettingsError(`OTEL_TRACES_EXPORTER must be zipkin, otlp or none, got "${env.OTEL_TRACES_EXPORTER}"`);
  }
  const sampler = ((env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_traceidratio') as SamplerName;
  if (!SAMPLERS.includes(sampler)) {
    throw new TracingSettingsError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got "${env.OTEL_TRACES_SAMPLER}"`);
  }
  const rawRatio = (env.OTEL_TRACES_SAMPLER_ARG ?? '').trim();
  const ratio = rawRatio === '' ? DEFAULT_SAMPLE_RATIO : Number(rawRatio);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TracingSettingsError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "${env.OTEL_TRACES_SAMPLER_ARG}"`);
  }
  const zipkinUrl = (env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? '').trim() || DEFAULT_ZIPKIN_URL;
  if (exporter === 'zipkin' && !/^https?:\/\/[^/]+/.test(zipkinUrl)) {
    throw new TracingSettingsError(`OTEL_EXPORTER_ZIPKIN_ENDPOINT must be an http(s) URL, got "${zipkinUrl}"`);
  }
  const rawDelay = (env.OTEL_BSP_SCHEDULE_DELAY ?? '').trim();
  const exportDelayMs = rawDelay === '' ? 5000 : Number(rawDelay);
  if (!Number.isInteger(exportDelayMs) || exportDelayMs <= 0) {
    throw new TracingSettingsError(`OTEL_BSP_SCHEDULE_DELAY must be a whole number of milliseconds above 0, got "${env.OTEL_BSP_SCHEDULE_DELAY}"`);
  }
  return { serviceName: (env.OTEL_SERVICE_NAME ?? '').trim() || defaultServiceName, exporter, zipkinUrl, sampler, ratio, exportDelayMs };
}
