/** What the scenarios drive: the bench's own Temporal client, the service process, and ways to send webhooks. */
import type { Client, Connection } from '@temporalio/client';
import type { DeliveryKeyFn } from '../../src/server/webhooks/delivery-key.js';
import type { DeliverEvent } from '../../src/accounts/client.js';
import { EVENT_PREFIX } from '../../src/server/webhooks/schema.js';
import { SECRET_HEADER } from '../../src/server/webhooks/verify.js';
import { WEBHOOK_PATH } from '../../src/server/webhooks/route.js';
import type { MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';
import type { JsonPoster } from './load.js';
import {
  cpuSeconds,
  threadCpuSeconds,
  treeCpuSeconds,
  waitForQuiet,
  type ChildService,
  type ThreadCpu,
} from './processes.js';

export type Progress = (line: string) => void;

export interface LiveStack {
  client: Client;
  connection: Connection;
  temporalPid: number;
  /**
   * The database's own process, when it is not inside the Temporal server: PostgreSQL's postmaster on the
   * cluster (its CPU is read with its backends'); absent on the dev server, whose SQLite runs in its process.
   */
  databasePid?: () => number | null;
  /** Bytes of Temporal's database on disk: the dev server's SQLite file, or the cluster's PostgreSQL databases. */
  dbBytes: () => Promise<number>;
  /** The process that answers `POST /webhooks/mono` (all of the service, or its ingress role). */
  service: ChildService;
  /** The process running the worker: the same as `service`, or the worker role's own process. */
  worker: ChildService;
  /** More worker processes on the same task queue (the workers scenario's second side), beside `worker`. */
  moreWorkers?: ChildService[];
  servicePoster: JsonPoster;
  /** The service's own hand-off function, called in the bench process: the direct-client baseline. */
  directHandOff: DeliverEvent;
  deliveryKey: DeliveryKeyFn;
  secret: string;
  maxCachedWorkflows: number;
  /** The Mono simulator's base URL (its control API counts requests per second). */
  monoUrl: string;
  adminToken: string;
  /** Prefix of every account id this run creates, so visibility queries see only this run's accounts. */
  runTag: string;
  progress: Progress;
}

/** The body Mono sends for `kind`, in its documented shape. */
export function webhookBody(kind: MonoEventKind, accountId: string): { event: string; data: Record<string, unknown> } {
  const event = EVENT_PREFIX + kind;
  return kind === 'account_synced'
    ? { event, data: { account: accountId, updated: true } }
    : { event, data: { account: { _id: accountId } } };
}

/** One webhook through `POST /webhooks/mono`; rejects unless the service answered 200 and accepted it. */
export async function sendThroughService(stack: LiveStack, kind: MonoEventKind, accountId: string): Promise<void> {
  const res = await stack.servicePoster.post(WEBHOOK_PATH, JSON.stringify(webhookBody(kind, accountId)), {
    [SECRET_HEADER]: stack.secret,
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  if (!res.text.includes('"ok":true')) throw new Error('not accepted: ' + res.text.slice(0, 80));
}

/** The same event handed to Temporal directly (signal-with-start), as the route would after validation. */
export async function sendDirect(stack: LiveStack, kind: MonoEventKind, accountId: string): Promise<void> {
  const body = webhookBody(kind, accountId);
  const result = await stack.directHandOff({
    kind,
    accountId,
    ...(kind === 'account_synced' ? { updated: true } : {}),
    deliveryKey: stack.deliveryKey(body.event, accountId, body),
    receivedAt: new Date().toISOString(),
  });
  if (result.status !== 'accepted') throw new Error(`not accepted: ${result.status}`);
}

export interface CpuReading {
  temporalServer: number | null;
  /** PostgreSQL (postmaster and backends) on the cluster; absent on the dev server (SQLite is in its process). */
  temporalDatabase?: number | null;
  service: number | null;
  /** With the service split in two processes: the worker's and the ingress's shares of `service`. */
  worker?: number | null;
  ingress?: number | null;
  /** With the service split: the worker's CPU by thread (null when /proc could not be read). */
  workerThreads?: ThreadCpu | null;
  benchClient: number;
}

/**
 * What the Temporal side (the server, and PostgreSQL on the cluster) and the worker spent, in CPU seconds: the
 * cost of the work itself, without the HTTP ingress (null when a process could not be read). In one process the
 * ingress is inside `service` and cannot be told apart.
 */
export function temporalAndWorkerSeconds(c: CpuReading): number | null {
  const worker = c.worker !== undefined ? c.worker : c.service;
  if (c.temporalServer === null || worker === null || c.temporalDatabase === null) return null;
  return c.temporalServer + (c.temporalDatabase ?? 0) + worker;
}

/** The worker processes: the first, and any more the bench started on the same task queue. */
export function workerPids(stack: Pick<LiveStack, 'worker' | 'moreWorkers'>): number[] {
  return [stack.worker.pid, ...(stack.moreWorkers ?? []).map((w) => w.pid)];
}

/** Starts counting the CPU seconds each process uses; call the result to read them. */
export function cpuMeter(
  stack: Pick<LiveStack, 'temporalPid' | 'databasePid' | 'service' | 'worker' | 'moreWorkers'>
): () => CpuReading {
  const workers = workerPids(stack);
  const pids = [...new Set([stack.service.pid, ...workers])];
  const split = pids.length > 1;
  const sum = (values: Array<number | null>): number | null =>
    values.some((x) => x === null) ? null : values.reduce((a, x) => a! + x!, 0);
  const serviceCpu = (): number | null => sum(pids.map(cpuSeconds));
  const workerCpu = (): number | null => sum(workers.map(cpuSeconds));
  const workerThreads = (): ThreadCpu | null => addThreads(workers.map(threadCpuSeconds));
  const worker0 = split ? workerCpu() : null;
  const ingress0 = split ? cpuSeconds(stack.service.pid) : null;
  const threads0 = split ? workerThreads() : null;
  const server0 = cpuSeconds(stack.temporalPid);
  const databaseCpu = (): number | null => {
    const pid = stack.databasePid?.();
    return pid ? treeCpuSeconds(pid) : null;
  };
  const database0 = stack.databasePid ? databaseCpu() : null;
  const service0 = serviceCpu();
  const bench0 = process.cpuUsage();
  const delta = (now: number | null, then: number | null): number | null =>
    now === null || then === null ? null : Math.round((now - then) * 100) / 100;
  return () => {
    const bench = process.cpuUsage(bench0);
    return {
      temporalServer: delta(cpuSeconds(stack.temporalPid), server0),
      ...(stack.databasePid ? { temporalDatabase: delta(databaseCpu(), database0) } : {}),
      service: delta(serviceCpu(), service0),
      ...(split
        ? {
            worker: delta(workerCpu(), worker0),
            ingress: delta(cpuSeconds(stack.service.pid), ingress0),
            workerThreads: threadsDelta(workerThreads(), threads0),
          }
        : {}),
      benchClient: Math.round((bench.user + bench.system) / 10_000) / 100,
    };
  };
}

/** Thread CPU summed over processes (null if any could not be read). */
export function addThreads(readings: Array<ThreadCpu | null>): ThreadCpu | null {
  if (readings.some((r) => r === null)) return null;
  const add = (k: keyof ThreadCpu) => Math.round(readings.reduce((a, r) => a + r![k], 0) * 100) / 100;
  return { main: add('main'), workflow: add('workflow'), core: add('core'), other: add('other') };
}

/** Waits until every worker process is quiet (their backlog done). */
export async function waitForWorkers(
  stack: Pick<LiveStack, 'worker' | 'moreWorkers'>,
  options?: { timeoutMs?: number }
): Promise<void> {
  for (const pid of workerPids(stack)) await waitForQuiet(pid, options);
}

function threadsDelta(now: ThreadCpu | null, then: ThreadCpu | null): ThreadCpu | null {
  if (!now || !then) return null;
  const d = (k: keyof ThreadCpu) => Math.max(0, Math.round((now[k] - then[k]) * 100) / 100);
  return { main: d('main'), workflow: d('workflow'), core: d('core'), other: d('other') };
}

/** A progress callback for `runLoad` that prints a line at most every `everyMs`. */
export function loadProgress(progress: Progress, label: string, everyMs = 3_000) {
  const started = Date.now();
  let last = 0;
  return (done: number, total: number): void => {
    const now = Date.now();
    if (done !== total && now - last < everyMs) return;
    last = now;
    const rate = done / Math.max((now - started) / 1000, 0.001);
    progress(`  ${label}: ${done}/${total} (${Math.round(rate)}/s)`);
  };
}
