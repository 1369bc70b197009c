/**
 * Gauges about all accounts together — by state, escalated, with dead letters, per worker build — about the last
 * reconcile run, and the bank-wide incidents open. They come from Temporal (visibility counts, the deployment, the schedule), not from one process's
 * work, so they are served once, not by every replica: on the operator listener's `GET /metrics/accounts`, scraped
 * through one address (docs/monitoring.md), and in a single-process service also on its `/metrics`. Read when
 * scraped, at most every `maxAgeMs`, in a registry of their own.
 */
import { Gauge, Registry } from 'prom-client';
import { ACCOUNT_STATES, type AccountState } from '../workflows/account-lifecycle/model/types.js';

export interface AccountFacts {
  count(filter: { state?: AccountState; escalated?: boolean; undelivered?: boolean }): Promise<number>;
  /** Running accounts per worker build, with the build's status (current, ramping, draining…). */
  builds(): Promise<Array<{ buildId: string; status: string; accounts: number }>>;
  /** The latest reconcile run that completed: when, and how many accounts it corrected; null before any. */
  lastReconcile(): Promise<{ completedAt: Date; corrected: number } | null>;
  /** Bank-wide incidents open now; absent where incidents are not counted. */
  openIncidents?(): Promise<number>;
}

interface Snapshot {
  byState: Map<AccountState, number>;
  escalated: number;
  undelivered: number;
  builds: Array<{ buildId: string; status: string; accounts: number }>;
  reconcile: { completedAt: Date; corrected: number } | null;
  openIncidents: number | null;
}

/** The longest a scrape waits for the very first read; later scrapes never wait (see below). */
const FIRST_READ_WAIT_MS = 2_000;

export function createAccountGauges(facts: AccountFacts, maxAgeMs = 15_000, now: () => number = Date.now): Registry {
  const registry = new Registry();
  // A scrape answers from the last completed read and, when that is older than maxAgeMs, starts the next one in the
  // background: Temporal's latency never makes a scrape slow (a slow scrape is a failed one for Prometheus). Only the
  // first scrape waits, briefly, so that a fresh process has values at once.
  let latest: Snapshot | undefined;
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    readAt = now();
    reading ??= read(facts)
      .then((s) => void (latest = s))
      // A failed read keeps the last values; the next scrape tries again.
      .catch(() => void (readAt = -Infinity))
      .finally(() => (reading = undefined));
    return reading;
  };
  const snapshot = async (): Promise<Snapshot | undefined> => {
    if (now() - readAt >= maxAgeMs) void refresh();
    if (!latest && reading) {
      await Promise.race([reading, new Promise((r) => setTimeout(r, FIRST_READ_WAIT_MS).unref())]);
    }
    return latest;
  };
  gauge(registry, 'mono_reauth_accounts', 'Accounts by lifecycle state (visibility counts)', ['state'], async (g) => {
    const s = await snapshot();
    for (const state of ACCOUNT_STATES) if (s) g.set({ state }, s.byState.get(state) ?? 0);
  });
  gauge(registry, 'mono_reauth_accounts_escalated', 'Accounts escalated to operators', [], async (g) => {
    const s = await snapshot();
    if (s) g.set(s.escalated);
  });
  gauge(registry, 'mono_reauth_accounts_undelivered', 'Accounts with dead letters (MonoUndelivered)', [], async (g) => {
    const s = await snapshot();
    if (s) g.set(s.undelivered);
  });
  const perBuild = 'Running accounts pinned to each worker build, and the build’s status';
  gauge(registry, 'mono_reauth_build_accounts', perBuild, ['build_id', 'status'], async (g) => {
    const s = await snapshot();
    if (!s) return;
    g.reset();
    for (const b of s.builds) g.set({ build_id: b.buildId, status: b.status }, b.accounts);
  });
  const lastRun = 'When the last reconcile run completed (Unix seconds)';
  gauge(registry, 'mono_reauth_reconcile_last_success_timestamp_seconds', lastRun, [], async (g) => {
    const r = (await snapshot())?.reconcile;
    if (r) g.set(r.completedAt.getTime() / 1000);
  });
  const corrections = 'Accounts the last completed reconcile run corrected';
  gauge(registry, 'mono_reauth_reconcile_last_corrections', corrections, [], async (g) => {
    const r = (await snapshot())?.reconcile;
    if (r) g.set(r.corrected);
  });
  gauge(registry, 'mono_reauth_incidents_open', 'Bank-wide incidents open now', [], async (g) => {
    const open = (await snapshot())?.openIncidents;
    if (typeof open === 'number') g.set(open);
  });
  return registry;
}

async function read(facts: AccountFacts): Promise<Snapshot> {
  const byState = new Map<AccountState, number>();
  for (const state of ACCOUNT_STATES) byState.set(state, await facts.count({ state }));
  return {
    byState,
    escalated: await facts.count({ escalated: true }),
    undelivered: await facts.count({ undelivered: true }),
    builds: await facts.builds(),
    reconcile: await facts.lastReconcile(),
    openIncidents: facts.openIncidents ? await facts.openIncidents() : null,
  };
}

function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  collect: (g: Gauge<L>) => Promise<void>
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      // Temporal unreachable: the last values stay, and the rest of the scrape (process metrics) still answers.
      await collect(this).catch(() => undefined);
    },
  });
}
