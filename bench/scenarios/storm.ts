/**
 * The midnight storm and scale: `accounts` account workflows are created through the service
 * (half `sync_failed`, half `reauth_required`, each with timers pending), then every one of them receives
 * `account_synced` as fast as the endpoint takes them. Visibility is polled until it shows them all `synced`.
 * The service's RSS is read before, at rest after creation, and at its peak during the storm.
 */
import { runLoad, withoutRaw } from '../lib/load.js';
import { rssMiB, sampleRss, sleep } from '../lib/processes.js';
import type { StormResult } from '../lib/results.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { ratio } from '../lib/stats.js';
import {
  cpuMeter,
  loadProgress,
  sendThroughService,
  temporalAndWorkerSeconds,
  waitForWorkers,
  type LiveStack,
} from '../lib/stack.js';

export interface StormOptions {
  accounts: number;
  concurrency: number;
  /** How long to wait for visibility after the last webhook, at least (default: 10 x the ingest time, min 2 min). */
  settleTimeoutMs?: number;
}

const RSS_GOAL_MIB = 512;

export async function measureStorm(stack: LiveStack, options: StormOptions): Promise<StormResult> {
  const { accounts, concurrency } = options;
  const { progress, runTag } = stack;
  const accountId = (i: number): string => `${runTag}-storm-${i}`;
  const ours = `WorkflowId STARTS_WITH "mono-account-${runTag}-storm-"`;
  const count = async (states: string[]): Promise<number> =>
    (await stack.client.workflow.count(`${ours} AND MonoAccountState IN (${states.map((s) => `"${s}"`).join(', ')})`))
      .count;

  // Creating 30,000 accounts keeps the server busy long after the last webhook: the waits grow with the size.
  const settleBudgetMs = Math.max(300_000, accounts * 200);
  const beforeAccounts = rssMiB(stack.worker.pid);
  const dbBeforeAccounts = await stack.dbBytes();
  progress(`storm: creating ${accounts} accounts (half sync_failed, half reauth_required) through the service`);
  let meter = cpuMeter(stack);
  const createStarted = performance.now();
  const create = await runLoad({
    count: accounts,
    concurrency,
    send: (i) => sendThroughService(stack, i % 2 ? 'reauthorisation_required' : 'sync_failed', accountId(i)),
    onProgress: loadProgress(progress, 'creating accounts'),
  });
  const visible = await waitForCount(
    () => count(['sync_failed', 'reauth_required']),
    create.ok,
    settleBudgetMs,
    (n) => progress(`  visibility: ${n}/${create.ok} accounts in sync_failed or reauth_required`)
  );
  const untilVisibleMs = Math.round(performance.now() - createStarted);
  if (visible < create.ok) progress(`  only ${visible}/${create.ok} accounts became visible; going on`);
  progress("  waiting for the worker to finish the accounts' first notices and lookups");
  await waitForWorkers(stack, { timeoutMs: settleBudgetMs });
  const createCpu = meter();
  const atRest = rssMiB(stack.worker.pid);
  const dbAfterCreate = await stack.dbBytes();
  progress(`  at rest: service RSS ${atRest ?? '?'} MiB, Temporal database ${mib(dbAfterCreate)} MiB`);

  progress(`storm: ${accounts} account_synced webhooks at concurrency ${concurrency}`);
  meter = cpuMeter(stack);
  const rss = sampleRss(stack.worker.pid);
  const stormStarted = performance.now();
  let processedMs: number | null = null;
  let synced = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      synced = await count(['synced']).catch(() => synced);
      if (synced >= create.ok) {
        processedMs = Math.round(performance.now() - stormStarted);
        return;
      }
      await sleep(500);
    }
  })();
  const storm = await runLoad({
    count: accounts,
    concurrency,
    send: (i) => sendThroughService(stack, 'account_synced', accountId(i)),
    onProgress: loadProgress(progress, 'storm webhooks'),
  });
  const ingestMs = storm.durationMs;
  const settleMs = options.settleTimeoutMs ?? Math.max(120_000, ingestMs * 10);
  const settleDeadline = performance.now() + settleMs;
  let lastReport = 0;
  while (processedMs === null && performance.now() < settleDeadline) {
    if (performance.now() - lastReport > 3_000) {
      progress(`  visibility: ${synced}/${create.ok} synced`);
      lastReport = performance.now();
    }
    await sleep(250);
  }
  polling = false;
  await poller;
  synced = await count(['synced']);
  // Visibility shows an account synced when its workflow task completes; what the worker does after that counts too.
  await waitForWorkers(stack, { timeoutMs: settleBudgetMs });
  const stormCpu = meter();
  const peakDuringStorm = rss.stop();
  const missing = Math.max(0, accounts - synced);
  const missingSample: string[] = [];
  if (missing > 0) {
    for await (const wf of stack.client.workflow.list({ query: `${ours} AND MonoAccountState != "synced"` })) {
      missingSample.push(wf.workflowId);
      if (missingSample.length >= 10) break;
    }
  }
  const processedVsIngest = processedMs === null ? null : ratio(processedMs, ingestMs);
  const maxRss = Math.max(atRest ?? 0, peakDuringStorm ?? 0);
  const workSeconds = temporalAndWorkerSeconds(stormCpu);
  const cpuMsPerAccount = workSeconds === null ? null : Math.round((workSeconds * 1000 * 100) / accounts) / 100;
  const cached = Math.min(stack.maxCachedWorkflows, create.ok);
  const perCachedWorkflowKiB =
    atRest === null || beforeAccounts === null || cached === 0
      ? null
      : Math.round(((atRest - beforeAccounts) * 1024 * 10) / cached) / 10;
  const history = await recoveryHistory(stack, [0, 1, 2, 3, 4, 5].filter((i) => i < accounts).map(accountId));
  return {
    accounts,
    concurrency,
    create: { load: withoutRaw(create), untilVisibleMs, cpuSeconds: createCpu },
    storm: {
      load: withoutRaw(storm),
      ingestMs,
      processedMs,
      processedVsIngest,
      synced,
      missing,
      missingSample,
      cpuSeconds: stormCpu,
      cpuMsPerAccount,
      ...(history ? { history } : {}),
    },
    scale: {
      workerRssMiB: { beforeAccounts, atRest, peakDuringStorm },
      temporalDbBytes: {
        beforeAccounts: dbBeforeAccounts,
        afterCreate: dbAfterCreate,
        afterStorm: await stack.dbBytes(),
      },
      maxCachedWorkflows: stack.maxCachedWorkflows,
      perCachedWorkflowKiB,
    },
    goals: {
      noneMissing: missing === 0,
      processedWithin125Percent: processedVsIngest !== null && processedVsIngest <= 1.25,
      rssAtMost512MiB: maxRss > 0 && maxRss <= RSS_GOAL_MIB,
      processedWithin250Percent: processedVsIngest !== null && processedVsIngest <= 2.5,
      perCachedWorkflowAtMost100KiB: perCachedWorkflowKiB !== null && perCachedWorkflowKiB <= 100,
    },
  };
}

/**
 * What the storm's `account_synced` added to a few accounts' histories: events from its signal on, workflow and
 * activity tasks among them, and the events before it (what a worker that evicted the account replays first).
 */
async function recoveryHistory(
  stack: LiveStack,
  accountIds: string[]
): Promise<StormResult['storm']['history'] | undefined> {
  const samples: Array<{ events: number; workflowTasks: number; activityTasks: number; eventsBefore: number }> = [];
  for (const id of accountIds) {
    try {
      const events = (await stack.client.workflow.getHandle(workflowIdFor(id)).fetchHistory()).events ?? [];
      const signals = events.flatMap((e, i) =>
        e.workflowExecutionSignaledEventAttributes?.signalName === 'monoEvent' ? [i] : []
      );
      const from = signals.at(-1);
      if (from === undefined || signals.length < 2) continue;
      const after = events.slice(from);
      samples.push({
        events: after.length,
        workflowTasks: after.filter((e) => e.workflowTaskCompletedEventAttributes).length,
        activityTasks: after.filter((e) => e.activityTaskScheduledEventAttributes).length,
        eventsBefore: from,
      });
    } catch {
      // A sample that cannot be read is left out.
    }
  }
  if (samples.length === 0) return undefined;
  const mean = (pick: (s: (typeof samples)[number]) => number): number =>
    Math.round((samples.reduce((a, s) => a + pick(s), 0) / samples.length) * 10) / 10;
  return {
    sampled: samples.length,
    events: mean((s) => s.events),
    workflowTasks: mean((s) => s.workflowTasks),
    activityTasks: mean((s) => s.activityTasks),
    eventsBefore: mean((s) => s.eventsBefore),
  };
}

async function waitForCount(
  read: () => Promise<number>,
  target: number,
  timeoutMs: number,
  report: (n: number) => void
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  let n = 0;
  for (;;) {
    n = await read().catch(() => n);
    if (n >= target || Date.now() > deadline) return n;
    if (Date.now() - last > 3_000) {
      report(n);
      last = Date.now();
    }
    await sleep(500);
  }
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
