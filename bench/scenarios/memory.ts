/**
 * Memory per cached workflow, as the JS heap sees it after a full garbage collection: accounts are created in the
 * bench's own process (the worker in debug mode runs workflows on the main thread, where the heap can be read),
 * each left waiting for re-authorisation with its reminder timer set, and never evicted (the cache holds them
 * all). Measured twice: accounts whose calls carry no trace context, then accounts whose calls carry one (as when
 * tracing is on at the ingress), since a traced run loads OpenTelemetry into its workflow context
 * (src/workflows/tracing-interceptors.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createAccountWorkflows } from '../../src/accounts/client.js';
import { createActivities } from '../../src/activities/index.js';
import { createMonoActivities } from '../../src/activities/mono/activities.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { startMonoSimulator } from '../../src/mono-sim/simulator.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { createMonoWorker, createWorker } from '../../src/worker.js';
import { deploymentOptions, promoteAtStart } from '../../src/deployment/start-up.js';
import { stateQuery, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import type { LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountState, MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';
import { countWorkflowPromises } from '../lib/workflow-promises.js';
import type { MemoryResult } from '../lib/results.js';
import { freePort } from '../../src/lib/free-port.js';
import { webhookBody, type Progress } from '../lib/stack.js';

export interface MemoryOptions {
  cliPath: string;
  accounts: number;
  settings: LifecycleSettings;
  progress: Progress;
}

const WARM_UP_ACCOUNTS = 20;
const TASK_QUEUE = 'bench-memory';
/** Accounts whose histories are read to count workflow tasks. */
const HISTORY_SAMPLE = 10;
const VERSION = { deploymentName: 'bench-memory', buildId: 'bench' };
const KiB = 1024;

/** A full collection, however the process was started. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

function heapAfterGc(): { heap: number; rss: number } {
  fullGc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** Adds the trace context a traced ingress sends (a sampled W3C traceparent) to every call that starts a run. */
const traceContext: WorkflowClientInterceptor = {
  async signalWithStart(input, next) {
    const carrier = { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` };
    return next({
      ...input,
      headers: { ...input.headers, '_tracer-data': defaultPayloadConverter.toPayload(carrier) },
    });
  },
};

interface Workers {
  stop(): Promise<void>;
}

/** The account worker (debug mode: workflows on this thread, where heap and promises can be read) and Mono's. */
async function startWorkers(address: string, monoUrl: string, monoKey: string, cache: number): Promise<Workers> {
  const silent = createLogger('silent');
  const { worker, connection } = await createWorker({
    connection: { address },
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    activities: createActivities({
      notifier: new Notifier(
        { channels: ['log'], outbound: DEVELOPMENT_OUTBOUND },
        createReauthLinks({ baseUrl: 'http://bench.invalid', secrets: ['bench'], ttlMs: 86_400_000 }),
        silent
      ),
    }),
    options: { debugMode: true, maxCachedWorkflows: cache, ...deploymentOptions(VERSION) },
  });
  const mono = new MonoClient({ baseUrl: monoUrl, secretKey: monoKey, outbound: DEVELOPMENT_OUTBOUND });
  const monoWorker = await createMonoWorker({
    connection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    activities: createMonoActivities({ mono }),
    maxRps: 1000,
  });
  const runs = [worker.run(), monoWorker.run()];
  return {
    async stop() {
      worker.shutdown();
      monoWorker.shutdown();
      await Promise.all(runs.map((r) => r.catch(() => undefined)));
      await connection.close();
    },
  };
}

/** One event to each account, then waits until every one shows `state`; returns the CPU this process spent. */
async function deliverAll(
  { client, connection }: { client: Client; connection: Connection },
  settings: LifecycleSettings,
  ids: string[],
  kind: MonoEventKind,
  state: AccountState
): Promise<number> {
  const hand = createAccountWorkflows({
    client,
    connection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    settings,
  });
  const deliveryKey = createDeliveryKey('bench');
  const cpu = process.cpuUsage();
  for (const accountId of ids) {
    const body = webhookBody(kind, accountId);
    await hand.deliver({
      kind,
      accountId,
      ...(kind === 'account_synced' ? { updated: true } : {}),
      deliveryKey: deliveryKey(body.event, accountId, body),
      receivedAt: new Date().toISOString(),
    });
  }
  for (const accountId of ids) await waitForState(client, accountId, state);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000;
}

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Workflow tasks completed so far, summed over the first HISTORY_SAMPLE accounts of `accounts`. */
async function workflowTasks(client: Client, accounts: string[]): Promise<number> {
  let tasks = 0;
  for (const accountId of accounts.slice(0, HISTORY_SAMPLE)) {
    const history = await client.workflow.getHandle(workflowIdFor(accountId)).fetchHistory();
    tasks += (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
  }
  return tasks / Math.min(HISTORY_SAMPLE, accounts.length);
}

export async function measureMemory({ cliPath, accounts, settings, progress }: MemoryOptions): Promise<MemoryResult> {
  progress(`memory: ${accounts} accounts untraced, then ${accounts} traced, in one worker (debug mode: main thread)`);
  const server = await startDevServer({ cliPath, host: '127.0.0.1', port: await freePort(), onProgress: progress });
  const sim = await startMonoSimulator(0, '127.0.0.1', { enforceSyncInterval: false });
  const cacheAll = WARM_UP_ACCOUNTS + 2 * accounts + 10;
  let workers = await startWorkers(server.address, sim.url, sim.secretKey, cacheAll);
  const connection = await Connection.connect({ address: server.address });
  const promises = countWorkflowPromises();
  try {
    const target = { connection, namespace: 'default', deploymentName: VERSION.deploymentName };
    await promoteAtStart(target, VERSION.buildId, 'always', createLogger('silent'));
    const plain = new Client({ connection });
    const traced = new Client({ connection, interceptors: { workflow: [traceContext] } });
    const [warmUp, untracedIds, tracedIds] = [
      ids('warm-up', WARM_UP_ACCOUNTS),
      ids('untraced', accounts),
      ids('traced', accounts),
    ];
    await deliverAll({ client: plain, connection }, settings, warmUp, 'reauthorisation_required', 'reauth_required');
    const base = heapAfterGc();
    promises.take();
    const newCpuMs = await deliverAll(
      { client: plain, connection },
      settings,
      untracedIds,
      'reauthorisation_required',
      'reauth_required'
    );
    const newPromises = promises.take();
    const untraced = heapAfterGc();
    progress(`  ${accounts} untraced accounts waiting for re-authorisation, all cached`);
    await deliverAll(
      { client: traced, connection },
      settings,
      tracedIds,
      'reauthorisation_required',
      'reauth_required'
    );
    const tracedHeap = heapAfterGc();
    progress(`  ${accounts} traced accounts waiting for re-authorisation, all cached`);
    const newTasks = await workflowTasks(plain, untracedIds);
    // A fresh worker has nothing cached: each recovery replays its account's history first, as in a storm.
    await workers.stop();
    workers = await startWorkers(server.address, sim.url, sim.secretKey, cacheAll);
    promises.take();
    const recoveryCpuMs = await deliverAll(
      { client: plain, connection },
      settings,
      untracedIds,
      'account_synced',
      'synced'
    );
    const recoveryPromises = promises.take();
    progress(`  ${accounts} untraced accounts recovered on a worker with nothing cached`);
    const recoveryTasks = (await workflowTasks(plain, untracedIds)) - newTasks;
    const perKiB = (after: number, before: number) => Math.round((after - before) / accounts / KiB);
    const per = (n: number, d: number) => Math.round((n / d) * 10) / 10;
    return {
      accounts,
      heapKiBPerCachedWorkflow: {
        untraced: perKiB(untraced.heap, base.heap),
        traced: perKiB(tracedHeap.heap, untraced.heap),
      },
      rssKiBPerCachedWorkflow: {
        untraced: perKiB(untraced.rss, base.rss),
        traced: perKiB(tracedHeap.rss, untraced.rss),
      },
      promises: {
        perNewAccount: per(newPromises.promises, accounts),
        perRecovery: per(recoveryPromises.promises, accounts),
        workflowTasksPerNewAccount: per(newTasks, 1),
        workflowTasksPerRecovery: per(recoveryTasks, 1),
        meanFramesPerStack: recoveryPromises.meanFrames,
      },
      inProcessCpuMs: { perNewAccount: per(newCpuMs, accounts), perRecovery: per(recoveryCpuMs, accounts) },
      goals: { untracedAtMost150KiB: perKiB(untraced.heap, base.heap) <= 150 },
    };
  } finally {
    promises.stop();
    await workers.stop();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

async function waitForState(client: Client, accountId: string, state: AccountState): Promise<void> {
  const handle = client.workflow.getHandle(workflowIdFor(accountId));
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const view = await handle.query(stateQuery);
    if (view.state === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${accountId} did not reach ${state}`);
}
