/**
 * What tracing costs: the same storm run twice, each on a fresh stack — tracing off, then on (every trace sampled,
 * exported over OTLP/HTTP to a stand-in collector, bench/lib/otlp-sink.ts) — compared as CPU per recovered account
 * (Temporal's and the service's, the ingress included) and time to process the storm.
 */
import type { OtlpSink } from '../lib/otlp-sink.js';
import type { StormResult, TracingCost } from '../lib/results.js';
import { ratio } from '../lib/stats.js';

/** The service's environment that turns tracing on toward `sink`. */
export function tracingEnv(sink: OtlpSink): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
}

function cpuMsPerAccount(storm: StormResult): number | null {
  const { temporalServer, service } = storm.storm.cpuSeconds;
  if (temporalServer === null || service === null) return null;
  return Math.round(((temporalServer + service) * 1000 * 100) / storm.accounts) / 100;
}

export function tracingCost(off: StormResult, on: StormResult, sink: OtlpSink): TracingCost {
  const [offMs, onMs] = [cpuMsPerAccount(off), cpuMsPerAccount(on)];
  return {
    accounts: off.accounts,
    off: { cpuMsPerAccount: offMs, processedMs: off.storm.processedMs },
    on: {
      cpuMsPerAccount: onMs,
      processedMs: on.storm.processedMs,
      exportRequests: sink.requests(),
      exportedKiB: Math.round(sink.bytes() / 102.4) / 10,
    },
    cpuRatio: offMs === null || onMs === null ? null : ratio(onMs, offMs),
    processedRatio:
      off.storm.processedMs === null || on.storm.processedMs === null
        ? null
        : ratio(on.storm.processedMs, off.storm.processedMs),
  };
}
