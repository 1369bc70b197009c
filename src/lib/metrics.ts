/**
 * The service's Prometheus metrics (prom-client), served at GET /metrics by each process: the ingress on its operator
 * listener, the worker on its own port (docs/monitoring.md lists which process serves which). One registry per
 * process, made by `createMetrics` (no module-level singletons, so tests can make their own). Node's process
 * metrics keep their standard names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …), so stock Node
 * dashboards work.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = { registry, ...ingressMetrics(registry), ...workerMetrics(registry) };
  // Series that alerts read exist from the start at 0, so that rate() and absent() behave before the first event.
  for (const outcome of ['corrected', 'confirmed', 'deferred', 'failed', 'skipped']) {
    metrics.reconcileChecks.inc({ outcome }, 0);
  }
  for (const outcome of ['unauthorized', 'rate_limited']) metrics.webhooks.inc({ event: 'unknown', outcome }, 0);
  return metrics;
}

/** What the ingress counts: webhooks and refusals. */
function ingressMetrics(registry: Registry) {
  return {
    webhooks: new Counter({
      name: 'mono_reauth_webhooks_total',
      help: 'Webhooks received, by event and outcome (accepted: handed to the account, a redelivery included; ignored: an unknown event; unauthorized, rate_limited, invalid, too_large, unavailable, refused)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    ingressSeconds: new Histogram({
      name: 'mono_reauth_ingress_duration_seconds',
      help: 'Time from receiving a webhook to answering it, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    webhookToSignalSeconds: new Histogram({
      name: 'mono_reauth_webhook_to_signal_seconds',
      help: "Time from receiving a webhook to Temporal holding it (the account's signal-with-start returned)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    refusedRequests: new Counter({
      name: 'mono_reauth_refused_requests_total',
      help: 'Requests refused before any work: wrong credentials (unauthorized) and sources over their allowance of refusals (rate_limited), by surface',
      labelNames: ['surface', 'reason'] as const,
      registers: [registry],
    }),
  };
}

/** What the worker counts: Mono's calls, notices, recoveries, reconcile checks, enrolments. */
function workerMetrics(registry: Registry) {
  return {
    enrolments: new Counter({
      name: 'mono_reauth_enrolments_total',
      help: 'Account ids enrolled by import jobs (the worker), by outcome (started, known, closed, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    monoCalls: new Counter({
      name: 'mono_reauth_mono_api_calls_total',
      help: 'Calls to the Mono API, by endpoint and outcome (ok or the error kind)',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: [registry],
    }),
    monoRequestSeconds: new Histogram({
      name: 'mono_reauth_mono_request_duration_seconds',
      help: "Duration of each call to Mono's API, by endpoint and outcome (ok or the error kind)",
      labelNames: ['endpoint', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'mono_reauth_notifications_total',
      help: 'Notice deliveries by type, channel and outcome: sent, retrying (an attempt failed and will be tried again), failed (given up or refused: a dead letter), skipped (the owner opted out)',
      labelNames: ['type', 'channel', 'outcome'] as const,
      registers: [registry],
    }),
    smsMultipart: new Counter({
      name: 'mono_reauth_sms_multipart_total',
      help: 'SMS that took more than one segment (each segment is billed), by notice type and encoding (GSM-7, UCS-2)',
      labelNames: ['type', 'encoding'] as const,
      registers: [registry],
    }),
    noticeDeliverySeconds: new Histogram({
      name: 'mono_reauth_notice_delivery_duration_seconds',
      help: 'Duration of each attempt to deliver a notice on a channel, by channel and outcome (sent, failed, skipped)',
      labelNames: ['channel', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      registers: [registry],
    }),
    recoverySeconds: new Histogram({
      name: 'mono_reauth_recovery_seconds',
      help: 'Time an account spent in reauth_required or sync_failed before it recovered (to reauthorised or synced)',
      labelNames: ['from', 'to'] as const,
      buckets: [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400],
      registers: [registry],
    }),
    reauthSeconds: new Histogram({
      name: 'mono_reauth_time_to_reauth_seconds',
      help: 'Time from reauth_required to reauthorised, by the owner channels that delivered a prompt (sorted, joined by +; none)',
      labelNames: ['channels'] as const,
      buckets: [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400],
      registers: [registry],
    }),
    reconcileCorrections: new Counter({
      name: 'mono_reauth_reconcile_corrections_total',
      help: 'Accounts whose state a reconcile check corrected from what Mono reported, by from and to state',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    incidents: new Counter({
      name: 'mono_reauth_incidents_total',
      help: 'Bank-wide incidents opened and closed (event: opened, closed)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    incidentHeldNotices: new Counter({
      name: 'mono_reauth_incident_held_notices_total',
      help: 'Notices held by closed bank-wide incidents, by outcome at release: released (still true, sent) or dropped (no longer true)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    reconcileChecks: new Counter({
      name: 'mono_reauth_reconcile_checks_total',
      help: 'Accounts checked by reconcile runs, by outcome (corrected, confirmed, deferred, failed, skipped)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** `deliver` that also records how long after its receipt each event reached Temporal. */
export function timedDelivery<E extends { receivedAt: string }, R>(
  deliver: (event: E) => Promise<R>,
  metrics: Pick<Metrics, 'webhookToSignalSeconds'>
): (event: E) => Promise<R> {
  return async (event) => {
    const result = await deliver(event);
    const receivedAt = Date.parse(event.receivedAt);
    if (!Number.isNaN(receivedAt)) metrics.webhookToSignalSeconds.observe(Math.max(0, Date.now() - receivedAt) / 1000);
    return result;
  };
}

/** How long a recovered account had been in the state it recovered from, from its `account.recovered` notice. */
export function observeRecovery(
  notice: { type: string; at: string; data: { from?: string; since?: string; state?: string } },
  metrics: Pick<Metrics, 'recoverySeconds'>
): void {
  const { from, since, state } = notice.data;
  if (notice.type !== 'account.recovered' || !from || !since || !state) return;
  const seconds = (Date.parse(notice.at) - Date.parse(since)) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) metrics.recoverySeconds.observe({ from, to: state }, seconds);
}
