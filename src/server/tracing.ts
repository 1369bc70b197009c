/**
 * The ingress's span for each webhook: a server span around the request, active while the request is handled, so
 * that the signal-with-start it makes (traced by the Temporal client's interceptor) and everything the workflow does
 * with the event join one trace (src/lib/tracing.ts). With tracing off the API's tracer is a no-op.
 */
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

export function traceRequests(tracer: Tracer, name: string): RequestHandler {
  return (req, res, next) => {
    const span = tracer.startSpan(name, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.path },
    });
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    res.once('close', () => {
      if (!res.writableFinished) span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  };
}
