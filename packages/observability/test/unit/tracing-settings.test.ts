import { DEFAULT_SAMPLE_RATIO, DEFAULT_ZIPKIN_URL, tracingSettings, TracingSettingsError } from '../../src/tracing-settings';

describe('tracing settings from the OTEL_* variables', () => {
  it('is off unless an exporter is named, and off when the SDK is disabled', () => {
    expect(tracingSettings({}, 'cart-service')).toBeUndefined();
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none' }, 'cart-service')).toBeUndefined();
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_SDK_DISABLED: 'TRUE' }, 'cart-service')).toBeUndefined();
  });

  it('defaults to parent-based ratio sampling, the local Zipkin and the given service name', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'cart-service')).toEqual({
      serviceName: 'cart-service',
      exporter: 'zipkin',
      zipkinUrl: DEFAULT_ZIPKIN_URL,
      sampler: 'parentbased_traceidratio',
      ratio: DEFAULT_SAMPLE_RATIO,
      exportDelayMs: 5000,
    });
  });

  it('takes every variable it reads', () => {
    const env = {
      OTEL_TRACES_EXPORTER: 'OTLP',
      OTEL_SERVICE_NAME: 'carts',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_BSP_SCHEDULE_DELAY: '250',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
    };
    expect(tracingSettings(env, 'cart-service')).toEqual({
      serviceName: 'carts',
      exporter: 'otlp',
      zipkinUrl: 'http://zipkin:9411/api/v2/spans',
      sampler: 'traceidratio',
      ratio: 0.1,
      exportDelayMs: 250,
    });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER must be zipkin, otlp or none, got "jaeger"'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER must be one of'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "1.5"'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG must be a ratio'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin:9411' }, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT must be an http(s) URL'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_BSP_SCHEDULE_DELAY: '0' }, 'OTEL_BSP_SCHEDULE_DELAY must be a whole number'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => tracingSettings(env, 'cart-service')).toThrow(TracingSettingsError);
    expect(() => tracingSettings(env, 'cart-service')).toThrow(message);
  });
});
