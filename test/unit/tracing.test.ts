/** When tracing is on, and where it sends, from the standard OTEL_* variables. */
import { describe, expect, it } from 'vitest';
import { tracingSettings, TracingConfigError } from '../../src/lib/tracing.js';

describe('tracingSettings', () => {
  it('is off while no endpoint is named, or when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none say so', () => {
    expect(tracingSettings({}).enabled).toBe(false);
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettings(endpoint).enabled).toBe(true);
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('sends over http/protobuf by default, to the base endpoint plus /v1/traces, or to a traces endpoint as given', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
    });
    expect(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }).url
    ).toBe('https://traces.example/otlp');
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })
    ).toMatchObject({ protocol: 'grpc', url: 'http://collector:4317' });
  });

  it('refuses a protocol or endpoint that cannot work, naming the variable', () => {
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toThrow(TracingConfigError);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/
    );
  });
});
