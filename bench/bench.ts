/**
 * `runBench`: a fresh Temporal dev server in a temp folder, the service as its own process (worker + HTTP,
 * exactly `npm start`'s entry), a bare Express server for the HTTP ceiling, then the scenarios. Used by
 * `npm run bench` (bench/run.ts) and by the smoke test with small sizes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createAccountWorkflows } from '../src/accounts/client.js';
import { codecKeysFor, loadConfig, type Config } from '../src/config.js';
import { dataConverterFor } from '../src/temporal/data-converter.js';
import { HISTORY_SHARDS, startCluster, TEMPORAL_SERVER_VERSION } from '../scripts/cluster/temporal-cluster.js';
import { freePort } from '../src/lib/free-port.js';
import { createDeliveryKey } from '../src/server/webhooks/delivery-key.js';
import { installAdvice, resolveBinary, type BinaryKind } from '../src/temporal/binaries.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { createJsonPoster } from './lib/load.js';
import { sqliteBytes, startBareServer, startMonoSim, startService, type ChildService } from './lib/processes.js';
import { SIMULATOR_SECRET_KEY } from '../src/mono-sim/simulator.js';
import {
  BenchResults,
  type CpuSplit,
  type IngestResult,
  type RecoveryCost,
  type StormResult,
  type WorkersResult,
} from './lib/results.js';
import { ratio } from './lib/stats.js';
import type { CpuReading, LiveStack, Progress } from './lib/stack.js';
import { measureHistoryBound } from './scenarios/history.js';
import { measureImport } from './scenarios/import.js';
import { measureIngest } from './scenarios/ingest.js';
import { measureStorm } from './scenarios/storm.js';
import { tracingCost, tracingEnv } from './scenarios/tracing.js';
import { measureMemory } from './scenarios/memory.js';
import { sizeWorkflowCache } from '../src/lib/workflow-cache.js';

/** The service's heap limit in the bench, as the Dockerfile sets it. */
const BENCH_HEAP_MIB = 256;
import { startOtlpSink } from './lib/otlp-sink.js';

export type Scenario = 'ingest' | 'storm' | 'history' | 'import' | 'tracing' | 'memory' | 'workers';
export const SCENARIOS: readonly Scenario[] = ['ingest', 'storm', 'history', 'tracing', 'memory', 'import', 'workers'];
/** What `npm run bench` runs without --only: about eight minutes on two cores (import and workers by name). */
export const DEFAULT_SCENARIOS: readonly Scenario[] = ['ingest', 'storm', 'history', 'tracing', 'memory'];

export interface BenchOptions {
  scenarios: readonly Scenario[];
  /** Webhooks per path in the ingest comparison. */
  ingestAccounts: number;
  /** Accounts created, then stormed, in the storm scenario. */
  stormAccounts: number;
  concurrency: number;
  historyDays: number;
  /** Account ids imported in the import scenario (at the service's MONO_MAX_RPS, default 10/s). */
  importAccounts: number;
  /** Accounts stormed twice in the tracing scenario (tracing off, then on). */
  tracingAccounts: number;
  /** Accounts cached per round of the memory scenario (untraced, then traced). */
  memoryAccounts: number;
  /** Environment for the service process on top of the bench's (e.g. WORKER_MAX_CACHED_WORKFLOWS=2000). */
  serviceEnv: Record<string, string>;
  /**
   * Run the service as two processes, SERVICE_ROLE=ingress and SERVICE_ROLE=worker (the docker-compose
   * layout), rather than one process doing both (`npm start`).
   */
  split: boolean;
  /** Keep SQLite's fsync on every commit in the bench's dev server (slower; closer to `npm start`). */
  durableSqlite: boolean;
  /** Write a CPU profile of the service process into this folder. */
  profileDir?: string;
  /** Keep the temp folder (Temporal's database and the service's log) for inspection. */
  keep: boolean;
  /** Also run the ingest and storm scenarios on Temporal's own server with PostgreSQL (scripts/cluster). */
  cluster?: boolean;
  /** With `cluster`: run ingest and storm on the cluster only, not on the dev server first. */
  clusterOnly?: boolean;
  /** History shards of that cluster (default: HISTORY_SHARDS, docker-compose's count). */
  clusterShards?: number;
  progress: Progress;
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'progress'> = {
  scenarios: DEFAULT_SCENARIOS,
  ingestAccounts: 3_000,
  stormAccounts: 3_000,
  concurrency: 64,
  historyDays: 365,
  importAccounts: 10_000,
  tracingAccounts: 500,
  memoryAccounts: 200,
  serviceEnv: {},
  durableSqlite: false,
  split: true,
  keep: false,
};

const BENCH_SECRET = 'bench-webhook-secret';

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { progress } = options;
  const startedAt = new Date().toISOString();
  const workDir = mkdtempSync(join(tmpdir(), 'mono-reauth-bench-'));
  const results: Partial<BenchResults> = {};
  try {
    const serviceEnv: Record<string, string> = {
      TEMPORAL_TASK_QUEUE: 'mono-reauth-bench',
      TEMPORAL_DATA_DIR: workDir,
      MONO_WEBHOOK_SECRET: BENCH_SECRET,
      ADMIN_TOKEN: 'bench-admin-token',
      WORKER_METRICS_ADDRESS: 'off',
      LOG_LEVEL: 'info',
      // The first retry after 6 hours keeps the created accounts' timers pending for the whole run: creating 30,000
      // accounts kept a 2-core machine busy for over 40 minutes, and a 30-minute retry fired in the middle of it.
      SYNC_RETRY_BACKOFF: '6h,12h,24h',
      // As the Dockerfile runs it: a bounded heap makes V8 collect before RSS passes the 512 MiB goal.
      NODE_OPTIONS: `--max-old-space-size=${BENCH_HEAP_MIB}`,
      ...options.serviceEnv,
    };
    const config = loadConfig(serviceEnv);
    // Ingest and storm measure the webhook path, not Mono's rate limit: new accounts' institution lookups must
    // not queue behind MONO_MAX_RPS there (unless --env sets it). The import scenario runs at the service's limit.
    // Nor may they open bank-wide incidents: the storm fails every account at every bank on purpose, and an
    // incident would hold those accounts and sync them on its own schedule, which is not the webhook path.
    const webhookEnv = { MONO_MAX_RPS: '1000', INCIDENT_MIN_ACCOUNTS: '1000000', ...serviceEnv };
    // Each scenario gets its own fresh Temporal, Mono simulator and service, so one scenario's backlog and
    // database never weigh on the next.
    const onDevServer = !options.clusterOnly;
    if (onDevServer && options.scenarios.includes('ingest')) {
      results.ingest = await withLiveStack('ingest', webhookEnv, config, options, async (stack, dir) => {
        const bare: ChildService = await startBareServer(await freePort(), join(dir, 'bare.log'));
        try {
          return await measureIngest(stack, {
            accounts: options.ingestAccounts,
            concurrency: options.concurrency,
            bare,
          });
        } finally {
          await bare.stop();
        }
      });
    }
    if (onDevServer && options.scenarios.includes('storm')) {
      results.storm = await withLiveStack('storm', webhookEnv, config, options, (stack) =>
        measureStorm(stack, { accounts: options.stormAccounts, concurrency: options.concurrency })
      );
    }
    if (options.cluster) {
      const onCluster: NonNullable<BenchResults['cluster']> = {
        server: `temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL`,
        historyShards: options.clusterShards ?? HISTORY_SHARDS,
      };
      if (options.scenarios.includes('ingest')) {
        onCluster.ingest = await withLiveStack(
          'cluster-ingest',
          webhookEnv,
          config,
          options,
          async (stack, dir) => {
            const bare: ChildService = await startBareServer(await freePort(), join(dir, 'bare.log'));
            try {
              return await measureIngest(stack, {
                accounts: options.ingestAccounts,
                concurrency: options.concurrency,
                bare,
              });
            } finally {
              await bare.stop();
            }
          },
          'cluster'
        );
      }
      if (options.scenarios.includes('storm')) {
        onCluster.storm = await withLiveStack(
          'cluster-storm',
          webhookEnv,
          config,
          options,
          (stack) => measureStorm(stack, { accounts: options.stormAccounts, concurrency: options.concurrency }),
          'cluster'
        );
      }
      results.cluster = onCluster;
    }
    results.recoveryCost = recoveryCost(results.ingest, results.storm);
    if (results.cluster) results.cluster.recoveryCost = recoveryCost(results.cluster.ingest, results.cluster.storm);
    if (options.scenarios.includes('tracing')) {
      const storm = (stack: LiveStack) =>
        measureStorm(stack, { accounts: options.tracingAccounts, concurrency: options.concurrency });
      const off = await withLiveStack('tracing-off', webhookEnv, config, options, storm);
      const sink = await startOtlpSink();
      try {
        const on = await withLiveStack('tracing-on', { ...webhookEnv, ...tracingEnv(sink) }, config, options, storm);
        results.tracing = tracingCost(off, on, sink);
        progress(
          `  tracing: ${results.tracing.on.cpuMsPerAccount} ms per recovery on against ${results.tracing.off.cpuMsPerAccount} off (×${results.tracing.cpuRatio}), ${results.tracing.on.exportedKiB} KiB exported`
        );
      } finally {
        await sink.stop();
      }
    }
    if (options.scenarios.includes('workers')) {
      // The sizing model's check: the same storm with one worker process, then two, on the cluster when asked for.
      if (!options.split)
        throw new Error('the workers scenario runs worker processes of their own: drop --one-process');
      const engine = options.cluster ? 'cluster' : 'dev-server';
      const storm = (stack: LiveStack) =>
        measureStorm(stack, { accounts: options.stormAccounts, concurrency: options.concurrency });
      // The storm already measured with one worker in this run, on the same server, is the first side.
      const one =
        (engine === 'cluster' ? results.cluster?.storm : results.storm) ??
        (await withLiveStack('workers-1', webhookEnv, config, options, storm, engine, 1));
      const two = await withLiveStack('workers-2', webhookEnv, config, options, storm, engine, 2);
      results.workers = workersComparison(engine, one, two);
      progress(
        `  one worker: all synced in ${results.workers.one.processedMs} ms; two: ${results.workers.two.processedMs} ms (×${results.workers.processedRatio})`
      );
    }
    if (options.scenarios.includes('import')) {
      results.import = await withLiveStack('import', serviceEnv, config, options, (stack) =>
        measureImport(stack, {
          accounts: options.importAccounts,
          maxRps: config.monoMaxRps,
          monoUrl: stack.monoUrl,
          adminToken: config.adminToken,
        })
      );
    }
    if (options.scenarios.includes('memory')) {
      results.memory = await measureMemory({
        cliPath: binary('cli'),
        accounts: options.memoryAccounts,
        codecKeys: codecKeysFor(config.temporal),
        settings: config.lifecycle,
        progress,
      });
    }
    if (options.scenarios.includes('history')) {
      results.history = await measureHistoryBound({
        testServerPath: binary('test-server'),
        days: options.historyDays,
        settings: config.lifecycle,
        progress,
      });
    }
  } finally {
    if (options.keep) progress(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  const recorded: Partial<BenchOptions> = { ...options };
  delete recorded.progress;
  return BenchResults.parse({
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version },
    options: recorded,
    ...results,
  });
}

/** The storm's server-plus-worker CPU per recovered account against ingest's per signal-with-start, same run. */
function recoveryCost(ingest?: IngestResult, storm?: StormResult): RecoveryCost | undefined {
  if (!ingest || !storm) return undefined;
  const stormMsPerAccount = storm.storm.cpuMsPerAccount ?? null;
  const signalWithStartMs = ingest.cpuMsPerWebhook?.signalWithStart ?? null;
  const r =
    stormMsPerAccount === null || signalWithStartMs === null ? null : ratio(stormMsPerAccount, signalWithStartMs);
  const split = {
    signalWithStart: ingest.cpuSeconds.signalWithStart
      ? cpuSplit(ingest.cpuSeconds.signalWithStart, ingest.signalWithStartAccounts ?? 0)
      : null,
    recovery: cpuSplit(storm.storm.cpuSeconds, storm.accounts),
  };
  return {
    stormMsPerAccount,
    signalWithStartMs,
    ...(split.signalWithStart || split.recovery ? { split } : {}),
    ratio: r,
    goalAtMost2: r !== null && r <= 2,
  };
}

function workersComparison(engine: 'dev-server' | 'cluster', one: StormResult, two: StormResult): WorkersResult {
  const side = (r: StormResult, workers: number) => ({
    workers,
    ingestMs: r.storm.ingestMs,
    processedMs: r.storm.processedMs,
    processedVsIngest: r.storm.processedVsIngest,
    cpuMsPerAccount: r.storm.cpuMsPerAccount ?? null,
    missing: r.storm.missing,
  });
  return {
    engine,
    accounts: one.accounts,
    one: side(one, 1),
    two: side(two, 2),
    processedRatio:
      one.storm.processedMs === null || two.storm.processedMs === null
        ? null
        : ratio(two.storm.processedMs, one.storm.processedMs),
  };
}

/** Milliseconds per unit of work by process and worker thread; null without the worker's thread reading. */
function cpuSplit(cpu: CpuReading, units: number): CpuSplit | null {
  const threads = cpu.workerThreads;
  if (!threads || units === 0) return null;
  const ms = (seconds: number | null | undefined) =>
    seconds === null || seconds === undefined ? null : Math.round((seconds * 1000 * 100) / units) / 100;
  return {
    temporalServer: ms(cpu.temporalServer),
    ...(cpu.temporalDatabase !== undefined ? { temporalDatabase: ms(cpu.temporalDatabase) } : {}),
    workerMain: ms(threads.main),
    workerWorkflow: ms(threads.workflow),
    workerCore: ms(threads.core),
    workerOther: ms(threads.other),
  };
}

/** Starts Temporal, the Mono simulator and the service in `<workDir>/<name>`, runs `measure`, stops them all. */
async function withLiveStack<T>(
  name: string,
  baseEnv: Record<string, string>,
  config: Config,
  options: BenchOptions,
  measure: (stack: LiveStack, dir: string) => Promise<T>,
  engine: 'dev-server' | 'cluster' = 'dev-server',
  workers = 1
): Promise<T> {
  const { progress } = options;
  const dir = join(baseEnv.TEMPORAL_DATA_DIR!, name);
  mkdirSync(dir, { recursive: true });
  const stops: Array<() => Promise<unknown>> = [];
  try {
    let address: string;
    let temporalPid: number;
    let databasePid: (() => number | null) | undefined;
    let dbBytes: () => Promise<number>;
    if (engine === 'cluster') {
      progress(`starting Temporal's own server on PostgreSQL in ${dir} (scripts/cluster)`);
      const cluster = await startCluster({
        dir: join(dir, 'cluster'),
        historyShards: options.clusterShards ?? HISTORY_SHARDS,
        onProgress: progress,
      });
      stops.push(() => cluster.stop());
      address = cluster.address;
      temporalPid = cluster.serverPid();
      // PostgreSQL does the storage work in processes of its own: its CPU is read beside the server's.
      databasePid = () => cluster.postgresPid();
      dbBytes = () => cluster.databaseBytes();
    } else {
      const devServer = await startTemporal(dir, options.durableSqlite, progress);
      stops.push(() => devServer.stop());
      address = devServer.address;
      temporalPid = devServer.process.pid!;
      const dbFile = join(dir, 'temporal.sqlite');
      dbBytes = () => Promise.resolve(sqliteBytes(dbFile));
    }
    progress('starting the Mono simulator and the service (src/main.ts: worker + HTTP server), each its own process');
    const mono = await startMonoSim(await freePort(), BENCH_SECRET, join(dir, 'mono-sim.log'));
    stops.push(() => mono.stop());
    const serviceEnv = {
      ...baseEnv,
      TEMPORAL_DATA_DIR: dir,
      TEMPORAL_ADDRESS: address,
      MONO_API_URL: mono.url,
      MONO_SECRET_KEY: SIMULATOR_SECRET_KEY,
    };
    const startRole = async (role: 'all' | 'ingress' | 'worker', log: string): Promise<ChildService> => {
      const child = await startService(
        { ...serviceEnv, SERVICE_ROLE: role },
        await freePort(),
        join(dir, log),
        options.profileDir
      );
      stops.push(() => child.stop());
      return child;
    };
    if (options.split) progress('  split: the worker and the ingress (HTTP server) in two processes (SERVICE_ROLE)');
    const worker = await startRole(options.split ? 'worker' : 'all', options.split ? 'worker.log' : 'service.log');
    const moreWorkers: ChildService[] = [];
    for (let n = 2; options.split && n <= workers; n += 1)
      moreWorkers.push(await startRole('worker', `worker-${n}.log`));
    if (moreWorkers.length) progress(`  ${workers} worker processes on the same task queue`);
    const service = options.split ? await startRole('ingress', 'service.log') : worker;
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    // The same payload codec as the service (the development key its first process made in `dir`), so that the
    // direct client does the same work as the ingress.
    const client = new Client({
      connection,
      dataConverter: dataConverterFor(codecKeysFor({ codecKeys: null, dataDir: dir })),
    });
    const servicePoster = createJsonPoster(service.url, options.concurrency);
    stops.push(() => Promise.resolve(servicePoster.close()));
    return await measure(
      {
        client,
        connection,
        temporalPid,
        ...(databasePid ? { databasePid } : {}),
        dbBytes,
        service,
        worker,
        moreWorkers,
        servicePoster,
        directHandOff: createAccountWorkflows({
          client,
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          settings: config.lifecycle,
          deliverTimeoutMs: config.ingressTimeoutMs,
        }).deliver,
        deliveryKey: createDeliveryKey(config.deliveryKeySecret),
        secret: BENCH_SECRET,
        monoUrl: mono.url,
        adminToken: config.adminToken,
        // As the service's worker sizes it (src/worker-role.ts) in the bench's 256 MiB heap.
        maxCachedWorkflows: sizeWorkflowCache(
          BENCH_HEAP_MIB,
          baseEnv.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined,
          loadConfig(baseEnv).worker.maxCachedWorkflows
        ).maxCachedWorkflows,
        runTag: `b${Date.now().toString(36)}`,
        progress,
      },
      dir
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

async function startTemporal(workDir: string, durable: boolean, progress: Progress): Promise<DevServer> {
  progress(`starting a Temporal dev server on a fresh database in ${workDir}`);
  return startDevServer({
    cliPath: binary('cli'),
    host: '127.0.0.1',
    port: await freePort(),
    dbFile: join(workDir, 'temporal.sqlite'),
    logFile: join(workDir, 'temporal.log'),
    // The dev server's per-namespace rate limit would otherwise cap the storm, not the design; and without
    // fsync per commit (a throwaway database) its SQLite does ~1.7x the work, so runs are shorter and steadier.
    extraArgs: [
      '--dynamic-config-value',
      'frontend.namespaceRPS=100000',
      ...(durable ? [] : ['--sqlite-pragma', 'synchronous=OFF']),
    ],
    onProgress: progress,
  });
}

function binary(kind: BinaryKind): string {
  const resolved = resolveBinary(kind);
  if (resolved.source === 'sdk-download') throw new Error(installAdvice(kind));
  return resolved.path;
}
