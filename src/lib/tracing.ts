/**
 * OpenTelemetry tracing, configured by the standard `OTEL_*` variables and off while none of them names a traces
 * endpoint: one trace per webhook, from the ingress's span through signal-with-start, the workflow's tasks and the
 * activities (Mono calls, notice attempts), linked by @temporalio/interceptors-opentelemetry on the client, the
 * workflow and the activities. Spans go out over OTLP: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) and
 * `OTEL_EXPORTER_OTLP_PROTOCOL` (grpc, http/protobuf — the default — or http/json); the exporters read the rest of
 * their variables (headers, timeouts, certificates) themselves, and the tracer provider reads the sampler
 * (`OTEL_TRACES_SAMPLER`). `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn it off.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';

export interface Tracing {
  enabled: boolean;
  /** Where spans go, for the start-up banner: "OTLP grpc to http://collector:4317", or "off". */
  description: string;
  tracer: Tracer;
  /** Where the workflows' spans go (they are made inside the workflow sandbox and handed out through a sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const TracingEnv = z.object({
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['grpc', 'http/protobuf', 'http/json']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['grpc', 'http/protobuf', 'http/json']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

/** Thrown for an OTEL_* value that cannot work (a protocol or URL that is not one), naming the variable. */
export class TracingConfigError extends Error {}

/** Whether tracing is on, and how spans are exported; throws TracingConfigError for a bad value. */
export function tracingSettings(env: Record<string, string | undefined>): {
  enabled: boolean;
  protocol: 'grpc' | 'http/protobuf' | 'http/json';
  endpoint: string | undefined;
  /** Where the exporter sends: a traces endpoint as given; over HTTP, a base endpoint gets `/v1/traces`. */
  url: string | undefined;
  serviceName: string | undefined;
} {
  // An empty variable is an unset one (compose passes every variable it names, set or not).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = TracingEnv.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new TracingConfigError(`tracing: ${problems}`);
  }
  const e = parsed.data;
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const off = e.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER === 'none';
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (base && protocol !== 'grpc' ? `${base.replace(/\/+$/, '')}/v1/traces` : base);
  return { enabled: endpoint !== undefined && !off, protocol, endpoint, url, serviceName: e.OTEL_SERVICE_NAME };
}

/**
 * Starts tracing for this process (once, before any Temporal client or worker is made) as `env` says, and
 * registers the global tracer provider; off, it returns the API's no-op tracer and a span processor that drops.
 */
export function startTracing(
  env: Record<string, string | undefined>,
  attributes: { role: string; version: string }
): Tracing {
  const settings = tracingSettings(env);
  const resource = Resource.default()
    .merge(envDetectorSync.detect())
    .merge(
      new Resource({
        [ATTR_SERVICE_NAME]: settings.serviceName ?? 'mono-reauth',
        [ATTR_SERVICE_VERSION]: attributes.version,
        'mono_reauth.role': attributes.role,
      })
    );
  if (!settings.enabled) {
    return {
      enabled: false,
      description: 'off',
      tracer: trace.getTracer('mono-reauth'),
      spanProcessor: new NoopSpanProcessor(),
      resource,
      shutdown: () => Promise.resolve(),
    };
  }
  const spanProcessor = new BatchSpanProcessor(exporterFor(settings.protocol, settings.url!));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    enabled: true,
    description: `OTLP ${settings.protocol} to ${settings.endpoint}`,
    tracer: trace.getTracer('mono-reauth', attributes.version),
    spanProcessor,
    resource,
    shutdown: () => provider.shutdown(),
  };
}

function exporterFor(protocol: 'grpc' | 'http/protobuf' | 'http/json', url: string): SpanExporter {
  if (protocol === 'grpc') return new GrpcExporter({ url });
  return protocol === 'http/json' ? new HttpJsonExporter({ url }) : new HttpProtobufExporter({ url });
}
