/**
 * Memory and CPU per account in one process. Memory per cached workflow, as the JS heap sees it after a full
 * garbage collection: accounts are created in the bench's own process (the worker in debug mode runs workflows on
 * the main thread, where the heap can be read), each left waiting for re-authorisation with its reminder timer set,
 * and never evicted (the cache holds them all). Measured twice: accounts whose calls carry no trace context, then
 * accounts whose calls carry one (as when tracing is on at the ingress), since a traced run loads OpenTelemetry
 * into its workflow context (src/workflows/tracing-interceptors.ts).
 *
 * CPU of the worker's workflow thread and core threads, read from /proc with the worker out of debug mode: a new
 * account (signal-with-start), a recovery of a cached account, and a recovery on a worker with nothing cached
 * (replay first, as in a storm); their difference is what replay costs. Then the payload codec timed on its own,
 * on a replayed account's history.
 */
import { setFlagsFromString } from 'node:v8';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { runInNewContext } from 'node:vm';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { threadCpuSeconds } from '../lib/processes.js';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import { AesGcmCodec, type CodecKey } from '../../src/temporal/codec.js';
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
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { MonoAccountState } from '../../src/workflows/account-lifecycle/api/search-attributes.js';
import type { LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountState, MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';
import { countWorkflowPromises } from '../lib/workflow-promises.js';
import type { MemoryResult } from '../lib/results.js';
import { freePort } from '../../src/lib/free-port.js';
import { webhookBody, type Progress } from '../lib/stack.js';

export interface MemoryOptions {
  cliPath: string;
  accounts: number;
  /** The payload codec's keys, as the service encrypts with them. */
  codecKeys: readonly CodecKey[];
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
interface WorkerSetup {
  cache: number;
  dataConverter: DataConverter;
  /** Workflows on this thread (heap and promises readable) or on the SDK's workflow thread (its CPU readable). */
  debugMode: boolean;
}

async function startWorkers(
  address: string,
  monoUrl: string,
  monoKey: string,
  { cache, dataConverter, debugMode }: WorkerSetup
): Promise<Workers> {
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
    options: {
      debugMode,
      maxCachedWorkflows: cache,
      dataConverter,
      ...deploymentOptions(VERSION),
    },
  });
  const mono = new MonoClient({ baseUrl: monoUrl, secretKey: monoKey, outbound: DEVELOPMENT_OUTBOUND });
  const monoWorker = await createMonoWorker({
    connection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    activities: createMonoActivities({ mono }),
    maxRps: 1000,
    options: { dataConverter },
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

/** One event to each account, then waits until every one shows `state`. */
async function deliverAll(
  { client, connection }: { client: Client; connection: Connection },
  settings: LifecycleSettings,
  ids: string[],
  kind: MonoEventKind,
  state: AccountState
): Promise<void> {
  const hand = createAccountWorkflows({
    client,
    connection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    settings,
  });
  const deliveryKey = createDeliveryKey('bench');
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
}

/** The worker's workflow-thread and core-thread CPU milliseconds per account over `phase`. */
async function workerCpuPerAccount(accounts: number, phase: () => Promise<void>): Promise<WorkerThreadMs> {
  const before = threadCpuSeconds(process.pid);
  await phase();
  const after = threadCpuSeconds(process.pid);
  if (!before || !after) throw new Error('the memory scenario reads thread CPU from /proc (Linux only)');
  const ms = (k: 'workflow' | 'core') => per((after[k] - before[k]) * 1000, accounts);
  return { workflow: ms('workflow'), core: ms('core') };
}

/** CPU milliseconds per account this whole process (client, worker in debug mode, simulator) spent over `phase`. */
async function inProcessCpuPerAccount(accounts: number, phase: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await phase();
  const used = process.cpuUsage(before);
  return per((used.user + used.system) / 1000, accounts);
}

interface WorkerThreadMs {
  workflow: number;
  core: number;
}

const per = (n: number, d: number) => Math.round((n / d) * 10) / 10;

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

export async function measureMemory({
  cliPath,
  accounts,
  codecKeys,
  settings,
  progress,
}: MemoryOptions): Promise<MemoryResult> {
  progress(`memory: ${accounts} accounts untraced, then ${accounts} traced, in one worker (debug mode: main thread)`);
  const server = await startDevServer({ cliPath, host: '127.0.0.1', port: await freePort(), onProgress: progress });
  const sim = await startMonoSimulator(0, '127.0.0.1', { enforceSyncInterval: false });
  const dataConverter = dataConverterFor(codecKeys);
  const cache = 3 * WARM_UP_ACCOUNTS + 3 * accounts + 10;
  const start = (debugMode: boolean): Promise<Workers> =>
    startWorkers(server.address, sim.url, sim.secretKey, { cache, dataConverter, debugMode });
  let workers = await start(true);
  const connection = await Connection.connect({ address: server.address });
  const promises = countWorkflowPromises();
  try {
    const target = { connection, namespace: 'default', deploymentName: VERSION.deploymentName };
    await promoteAtStart(target, VERSION.buildId, 'always', createLogger('silent'));
    const plain = { client: new Client({ connection, dataConverter }), connection };
    const traced = {
      client: new Client({ connection, dataConverter, interceptors: { workflow: [traceContext] } }),
      connection,
    };
    const halves = (list: string[]): [string[], string[]] => {
      const mid = Math.floor(list.length / 2);
      return [list.slice(0, mid), list.slice(mid)];
    };
    const [untracedIds, tracedIds, cpuIds] = [ids('untraced', accounts), ids('traced', accounts), ids('cpu', accounts)];
    const [cachedIds, evictedIds] = halves(untracedIds);
    const reauth = (list: string[], who = plain) =>
      deliverAll(who, settings, list, 'reauthorisation_required', 'reauth_required');
    const recover = (list: string[]) => deliverAll(plain, settings, list, 'account_synced', 'synced');

    await reauth(ids('warm-up', WARM_UP_ACCOUNTS));
    const base = heapAfterGc();
    promises.take();
    const newInProcess = await inProcessCpuPerAccount(accounts, () => reauth(untracedIds));
    const newPromises = promises.take();
    const untraced = heapAfterGc();
    progress(`  ${accounts} untraced accounts waiting for re-authorisation, all cached`);
    await reauth(tracedIds, traced);
    const tracedHeap = heapAfterGc();
    progress(`  ${accounts} traced accounts waiting for re-authorisation, all cached`);
    const newTasks = await workflowTasks(plain.client, untracedIds);
    promises.take();
    await recover(cachedIds);
    const cachedPromises = promises.take();
    // A fresh worker has nothing cached: each recovery replays its account's history first, as in a storm.
    await workers.stop();
    workers = await start(true);
    promises.take();
    const recoveryInProcess = await inProcessCpuPerAccount(evictedIds.length, () => recover(evictedIds));
    const recoveryPromises = promises.take();
    const recoveryTasks = (await workflowTasks(plain.client, evictedIds)) - newTasks;
    progress(`  promises counted: new accounts, recoveries from the cache and replayed`);

    // CPU: the same three steps on a worker whose workflows run on the SDK's workflow thread, read from /proc.
    await workers.stop();
    workers = await start(false);
    await reauth(ids('cpu-warm-up', WARM_UP_ACCOUNTS));
    const [cpuCached, cpuEvicted] = halves(cpuIds);
    const newCpu = await workerCpuPerAccount(cpuIds.length, () => reauth(cpuIds));
    const cachedCpu = await workerCpuPerAccount(cpuCached.length, () => recover(cpuCached));
    await workers.stop();
    workers = await start(false);
    const replayedCpu = await workerCpuPerAccount(cpuEvicted.length, () => recover(cpuEvicted));
    progress(
      `  workflow-thread CPU: new ${newCpu.workflow} ms, cached recovery ${cachedCpu.workflow} ms, replayed ${replayedCpu.workflow} ms`
    );
    const codec = await codecCost(connection, dataConverter.payloadCodecs![0]!, workflowIdFor(cpuEvicted[0]!));

    const perKiB = (after: number, before: number) => Math.round((after - before) / accounts / KiB);
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
        perRecovery: per(recoveryPromises.promises, evictedIds.length),
        perCachedRecovery: per(cachedPromises.promises, cachedIds.length),
        workflowTasksPerNewAccount: per(newTasks, 1),
        workflowTasksPerRecovery: per(recoveryTasks, 1),
        meanFramesPerStack: recoveryPromises.meanFrames,
      },
      inProcessCpuMs: { perNewAccount: newInProcess, perRecovery: recoveryInProcess },
      workerCpuMs: {
        newAccount: newCpu,
        cachedRecovery: cachedCpu,
        replayedRecovery: replayedCpu,
        replay: per(replayedCpu.workflow - cachedCpu.workflow, 1),
      },
      codec,
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

const CODEC_ROUNDS = 200;

/**
 * What the payload codec costs a replayed recovery: every encrypted payload of a recovered account's history (as
 * the server stores it) decoded CODEC_ROUNDS times, and as many encoded, timed on this thread.
 */
async function codecCost(
  connection: Connection,
  codec: PayloadCodec,
  workflowId: string
): Promise<MemoryResult['codec']> {
  const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  const encrypted: Payload[] = [];
  const collect = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const maybe = node as Payload;
    if (maybe.data instanceof Uint8Array && maybe.metadata && typeof maybe.metadata === 'object') {
      // Search attributes and the SDK's own headers are stored in the clear: only the codec's payloads count.
      if (AesGcmCodec.isEncrypted(maybe)) encrypted.push(maybe);
      return;
    }
    for (const value of Object.values(node)) collect(value);
  };
  collect(history.events ?? []);
  const bytes = encrypted.reduce((sum, p) => sum + (p.data?.length ?? 0), 0);
  const plain = await codec.decode(encrypted);
  let started = performance.now();
  for (let i = 0; i < CODEC_ROUNDS; i += 1) await codec.decode(encrypted);
  const decodeMs = (performance.now() - started) / CODEC_ROUNDS;
  started = performance.now();
  for (let i = 0; i < CODEC_ROUNDS; i += 1) await codec.encode(plain);
  const encodeMs = (performance.now() - started) / CODEC_ROUNDS;
  return {
    payloadsPerHistory: encrypted.length,
    bytesPerHistory: bytes,
    decodeMsPerHistory: Math.round(decodeMs * 1000) / 1000,
    encodeMsPerHistory: Math.round(encodeMs * 1000) / 1000,
  };
}

/** Waits on the search attribute the workflow sets (a describe reaches the server only, never the worker). */
async function waitForState(client: Client, accountId: string, state: AccountState): Promise<void> {
  const handle = client.workflow.getHandle(workflowIdFor(accountId));
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const { typedSearchAttributes } = await handle.describe();
    if (typedSearchAttributes.get(MonoAccountState) === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${accountId} did not reach ${state}`);
}
