/**
 * One trace per webhook, on real parts: the service with tracing on (OTLP over gRPC), the dev server, and a real
 * Jaeger whose query API returns the trace: the ingress's span, the signal-with-start, the workflow's spans and
 * the activities' (the Mono call, the notice), with the trace id in the service's log lines.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/lib/tracing.js';
import { startJaeger, type Jaeger } from '../helpers/jaeger.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  duration: number;
  references: Array<{ refType: string; spanID: string }>;
}

let jaeger: Jaeger;
let tracing: Tracing;
let stack: Stack;
let hook: Receiver;
const logs: string[] = [];

beforeAll(async () => {
  jaeger = await startJaeger();
  tracing = startTracing(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpc,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_SERVICE_NAME: 'mono-reauth-tracing-test',
    },
    { role: 'all', version: 'test' }
  );
  hook = await receiver(() => 204);
  stack = await startStack({
    address: inject('temporalAddress'),
    tracing,
    logs,
    notify: { channels: ['log', 'webhook'], webhookUrl: hook.url, webhookSecret: TEST_WHSEC },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
  await hook?.close();
  await jaeger?.stop();
});

async function tracesOf(service: string): Promise<JaegerSpan[][]> {
  const res = await fetch(`${jaeger.queryUrl}/api/traces?service=${service}&limit=50&lookback=1h`);
  const body = (await res.json()) as { data: Array<{ spans: JaegerSpan[] }> | null };
  return (body.data ?? []).map((t) => t.spans);
}

it('follows one webhook from the ingress through the workflow to the Mono call and the notice, in one trace', async () => {
  const id = newAccountId();
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => stack.state(id),
    (v) => v.state === 'reauth_required' && v.institution !== null && v.notices.pending.length === 0,
    30_000
  );
  const wanted = [
    'POST /webhooks/mono',
    'SignalWithStartWorkflow:accountLifecycle',
    'RunActivity:fetchInstitution',
    'RunActivity:deliverNoticeOn',
  ];
  const trace = await eventually(
    async () => {
      await tracing.spanProcessor.forceFlush();
      const traces = await tracesOf('mono-reauth-tracing-test');
      return traces.find((spans) => spans.some((s) => s.operationName === 'POST /webhooks/mono')) ?? [];
    },
    (spans) => wanted.every((name) => spans.some((s) => s.operationName === name)),
    30_000
  );
  const names = trace.map((s) => s.operationName);
  console.log(
    'trace of one webhook:\n' +
      trace.map((s) => `  ${s.operationName}  ${(s.duration / 1000).toFixed(1)} ms`).join('\n')
  );
  expect(names.some((n) => n.startsWith('RunWorkflow:') || n.startsWith('HandleSignal:'))).toBe(true);
  expect(new Set(trace.map((s) => s.traceID)).size).toBe(1);
  // The ingress's span is the root; the rest hang from it, but for the activities' schedule spans, whose parent is
  // the run's own span: that one is exported when the run ends (continue-as-new or unlink).
  const ids = new Set(trace.map((s) => s.spanID));
  const orphans = trace.filter((s) => !s.references.some((r) => ids.has(r.spanID))).map((s) => s.operationName);
  expect(orphans.filter((n) => !n.startsWith('StartActivity:'))).toEqual(['POST /webhooks/mono']);
  // The service's log lines of that webhook carry the trace.
  expect(logs.some((line) => line.includes(`"trace_id":"${trace[0]!.traceID}"`))).toBe(true);
});
