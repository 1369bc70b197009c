/**
 * The service's Prometheus metrics (prom-client), served at GET /metrics. One registry per process, made
 * by `createMetrics` (no module-level singletons, so tests can make their own).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ACCOUNT_STATES } from '../workflows/account-lifecycle/model/types.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mono_reauth_process_' });
  return {
    registry,
    webhooks: new Counter({
      name: 'mono_reauth_webhooks_total',
      help: 'Webhooks received, by event and outcome (accepted, duplicate_or_ignored, unauthorized, invalid, too_large, unavailable, refused)',
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
    monoCalls: new Counter({
      name: 'mono_reauth_mono_api_calls_total',
      help: 'Calls to the Mono API, by endpoint and outcome (ok or the error kind)',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: [registry],
    }),
    refusedRequests: new Counter({
      name: 'mono_reauth_refused_requests_total',
      help: 'Requests refused before any work: wrong credentials (unauthorized) and sources over their allowance of refusals (rate_limited), by surface',
      labelNames: ['surface', 'reason'] as const,
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'mono_reauth_notifications_total',
      help: 'Notice deliveries by type, channel and outcome: sent, retrying (an attempt failed and will be tried again), failed (given up or refused: a dead letter)',
      labelNames: ['type', 'channel', 'outcome'] as const,
      registers: [registry],
    }),
    undeliveredAccounts: new Gauge({
      name: 'mono_reauth_accounts_undelivered',
      help: 'Accounts with notices that gave up on a channel (MonoUndelivered), from visibility counts',
      registers: [registry],
    }),
    accounts: new Gauge({
      name: 'mono_reauth_accounts',
      help: 'Accounts by lifecycle state, from visibility counts (refreshed periodically)',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    reconcileCorrections: new Counter({
      name: 'mono_reauth_reconcile_corrections_total',
      help: 'Accounts whose state a reconcile check corrected from what Mono reported, by from and to state',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    reconcileChecks: new Counter({
      name: 'mono_reauth_reconcile_checks_total',
      help: 'Accounts checked by reconcile runs, by outcome (corrected, confirmed, deferred, failed, skipped)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    enrolments: new Counter({
      name: 'mono_reauth_enrolments_total',
      help: 'Account ids submitted for enrolment (import), by outcome (started, known, closed, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    escalatedAccounts: new Gauge({
      name: 'mono_reauth_accounts_escalated',
      help: 'Accounts escalated to operators, from visibility counts',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Refreshes the account gauges from visibility counts every `intervalMs` (GROUP BY works only on
 * ExecutionStatus, so it is one count per state). Returns a function that stops the refresh.
 */
export function refreshAccountGauges(
  metrics: Metrics,
  count: (filter: {
    state?: (typeof ACCOUNT_STATES)[number];
    escalated?: boolean;
    undelivered?: boolean;
  }) => Promise<number>,
  intervalMs = 30_000,
  onError: (err: unknown) => void = () => undefined
): () => void {
  const refresh = async (): Promise<void> => {
    try {
      for (const state of ACCOUNT_STATES) metrics.accounts.set({ state }, await count({ state }));
      metrics.escalatedAccounts.set(await count({ escalated: true }));
      metrics.undeliveredAccounts.set(await count({ undelivered: true }));
    } catch (err) {
      onError(err);
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
