/**
 * Bulk enrolment at the rate limit: `accounts` ids are imported through `POST /accounts/import`
 * (1,000 a request), each new account asks the Mono simulator for its details through the Mono task queue, and
 * the simulator counts the requests it receives in every wall-clock second. The figure that matters is the
 * busiest second: it must never exceed MONO_MAX_RPS.
 */
import type { LiveStack } from '../lib/stack.js';

export interface ImportOptions {
  accounts: number;
  maxRps: number;
  monoUrl: string;
  adminToken: string;
}

interface SimRate {
  total: number;
  maxPerSecond: number;
  seconds: number;
  perSecond: Array<[number, number]>;
}

const CHUNK = 1_000;

interface JobAnswer {
  status: string;
  error?: string;
  progress: { counts: Record<string, number> } | null;
}

export async function measureImport(stack: LiveStack, options: ImportOptions) {
  const { accounts, maxRps, monoUrl, adminToken } = options;
  const { progress, runTag } = stack;
  const ids = Array.from({ length: accounts }, (_, i) => `${runTag}-imp-${i}`);
  const ours = `WorkflowId STARTS_WITH "mono-account-${runTag}-imp-"`;
  await fetch(`${monoUrl}/_sim/rate`, { method: 'DELETE' });

  progress(`import: ${accounts} account ids through POST /accounts/import, MONO_MAX_RPS=${maxRps}`);
  const startedAt = Date.now();
  let started = 0;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.service.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    });
  // Each request starts an import job; one runs at a time, so the next list waits for it to finish.
  for (let i = 0; i < ids.length; i += CHUNK) {
    const res = await admin('/accounts/import', {
      method: 'POST',
      body: JSON.stringify({ accountIds: ids.slice(i, i + CHUNK) }),
    });
    const job = (await res.json()) as { id?: string; error?: string };
    if (res.status !== 202) throw new Error(`import answered ${res.status}: ${job.error ?? ''}`);
    for (;;) {
      const now = (await (await admin(`/jobs/${job.id}`)).json()) as JobAnswer;
      if (now.status !== 'running') {
        if (now.status !== 'completed') throw new Error(`import job ${job.id} ${now.status}: ${now.error ?? ''}`);
        started += now.progress?.counts.started ?? 0;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    progress(`  submitted ${Math.min(i + CHUNK, ids.length)}/${ids.length}`);
  }
  const submitMs = Date.now() - startedAt;

  // Every enrolled account learns its state (the simulator says AVAILABLE: synced) at the Mono rate.
  const deadline = startedAt + (accounts / maxRps) * 1000 * 2 + 120_000;
  let enrolled = 0;
  let lastLine = 0;
  while (Date.now() < deadline) {
    enrolled = (await stack.client.workflow.count(`${ours} AND MonoAccountState = "synced"`)).count;
    if (enrolled >= accounts) break;
    if (Date.now() - lastLine > 15_000) {
      lastLine = Date.now();
      const rate = (await (await fetch(`${monoUrl}/_sim/rate`)).json()) as SimRate;
      progress(
        `  ${enrolled}/${accounts} enrolled; Mono requests so far ${rate.total}, busiest second ${rate.maxPerSecond}`
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const enrolledMs = enrolled >= accounts ? Date.now() - startedAt : null;
  const rate = (await (await fetch(`${monoUrl}/_sim/rate`)).json()) as SimRate;
  const first = rate.perSecond[0]?.[0] ?? 0;
  const last = rate.perSecond.at(-1)?.[0] ?? first;
  const busySeconds = rate.perSecond.length ? last - first + 1 : 0;
  // The steady rate: requests per second between the first and the last request.
  const meanPerSecond = busySeconds ? Math.round((rate.total / busySeconds) * 100) / 100 : 0;
  progress(
    `  import: ${enrolled}/${accounts} enrolled in ${Math.round((Date.now() - startedAt) / 1000)} s; ` +
      `${rate.total} Mono requests, busiest second ${rate.maxPerSecond} (limit ${maxRps}), mean ${meanPerSecond}/s`
  );
  return {
    accounts,
    maxRps,
    submit: { ms: submitMs, perSecond: Math.round((started / Math.max(submitMs / 1000, 0.001)) * 10) / 10, started },
    enrolled,
    enrolledMs,
    mono: {
      requests: rate.total,
      busySeconds,
      maxRequestsPerSecond: rate.maxPerSecond,
      meanRequestsPerSecond: meanPerSecond,
      requestsPerAccount: Math.round((rate.total / Math.max(accounts, 1)) * 100) / 100,
      secondsAboveLimit: rate.perSecond.filter(([, n]) => n > maxRps).length,
      /** How many seconds saw each number of requests, e.g. {"9": 870, "10": 300}. */
      histogram: Object.fromEntries(
        [...rate.perSecond.reduce((m, [, n]) => m.set(n, (m.get(n) ?? 0) + 1), new Map<number, number>())]
          .sort((a, b) => a[0] - b[0])
          .map(([n, c]) => [String(n), c])
      ),
    },
    goals: { neverAboveLimit: rate.maxPerSecond <= maxRps, allEnrolled: enrolled >= accounts },
  };
}
