/** The shape of `bench/results/*.json`, checked with zod by the smoke test and before writing. */
import { z } from 'zod';

const Latency = z.object({
  count: z.number().int().nonnegative(),
  meanMs: z.number().nonnegative(),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
});

export const LoadSummary = z.object({
  requests: z.number().int().positive(),
  ok: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errors: z.record(z.string(), z.number().int().positive()),
  durationMs: z.number().positive(),
  throughputPerSec: z.number().nonnegative(),
  latency: Latency,
});

const ThreadCpu = z.object({
  main: z.number().nonnegative(),
  workflow: z.number().nonnegative(),
  core: z.number().nonnegative(),
  other: z.number().nonnegative(),
});

/** CPU seconds each process used during a phase: where the time went. */
const CpuSeconds = z.object({
  temporalServer: z.number().nonnegative().nullable(),
  /**
   * On the cluster, PostgreSQL's postmaster and backends (`--cluster` only; the dev server's SQLite runs inside
   * `temporalServer`). Null when it could not be read.
   */
  temporalDatabase: z.number().nonnegative().nullable().optional(),
  service: z.number().nonnegative().nullable(),
  /** With the service as two processes (the default): the worker's and the ingress's shares of `service`. */
  worker: z.number().nonnegative().nullable().optional(),
  ingress: z.number().nonnegative().nullable().optional(),
  /**
   * The worker's CPU by thread: `main` (the SDK's activation loop, payload codec, activities), `workflow` (workflow
   * code, replay and the promise hook), `core` (the SDK core's Rust threads: gRPC, history, state machines) and
   * `other` (V8's GC and compiler threads, libuv).
   */
  workerThreads: ThreadCpu.nullable().optional(),
  benchClient: z.number().nonnegative(),
});

const Ms = z.number().nonnegative().nullable();

const Ratio = z.number().nonnegative().nullable();

export const IngestResult = z.object({
  accounts: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  /** Direct signal-with-starts in the block that measures their whole cost. */
  signalWithStartAccounts: z.number().int().nonnegative().optional(),
  service: LoadSummary,
  directClient: LoadSummary,
  bareExpress: LoadSummary,
  ratios: z.object({
    throughputServiceVsDirect: Ratio,
    p99ServiceVsDirect: Ratio,
    throughputServiceVsBare: Ratio,
  }),
  /**
   * The blocks of each path, metered while their load ran; and a block of direct signal-with-starts metered until
   * the worker had finished their new accounts (the cost unit).
   */
  cpuSeconds: z.object({ service: CpuSeconds, directClient: CpuSeconds, signalWithStart: CpuSeconds.optional() }),
  /** CPU milliseconds per webhook. */
  cpuMsPerWebhook: z
    .object({
      /** The HTTP ingress: its own process when split, else the service path's service CPU less the direct path's. */
      ingress: Ms,
      /** The bench's Temporal client doing the same signal-with-start (with the same payload codec). */
      directClient: Ms,
      /**
       * The Temporal side plus the worker per signal-with-start of a new account, direct path, metered until the
       * worker had finished them: the cost unit.
       */
      signalWithStart: Ms,
    })
    .optional(),
  goals: z.object({
    throughputAtLeast90Percent: z.boolean(),
    p99AtMost150Percent: z.boolean(),
    throughputAtLeast95Percent: z.boolean().optional(),
    p99AtMost120Percent: z.boolean().optional(),
  }),
});

/** Events and tasks one recovery (`account_synced` for a broken account) added to sampled accounts' histories. */
const RecoveryHistory = z.object({
  sampled: z.number().int().nonnegative(),
  events: z.number().nonnegative(),
  workflowTasks: z.number().nonnegative(),
  activityTasks: z.number().nonnegative(),
  /** Events of the whole history before the storm (what a worker that evicted the account replays). */
  eventsBefore: z.number().nonnegative(),
});

/** CPU milliseconds of one unit of work (a signal-with-start, a recovery) by where it was spent. */
export const CpuSplit = z.object({
  temporalServer: Ms,
  temporalDatabase: Ms.optional(),
  workerMain: Ms,
  workerWorkflow: Ms,
  workerCore: Ms,
  workerOther: Ms,
});

/** Server plus worker CPU per recovered account against the same per signal-with-start (goal: at most 2). */
export const RecoveryCost = z.object({
  stormMsPerAccount: Ms,
  signalWithStartMs: Ms,
  /** Each side by process and thread (absent with the service as one process). */
  split: z.object({ signalWithStart: CpuSplit.nullable(), recovery: CpuSplit.nullable() }).optional(),
  ratio: Ratio,
  goalAtMost2: z.boolean(),
});

export const StormResult = z.object({
  accounts: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  create: z.object({ load: LoadSummary, untilVisibleMs: z.number().nonnegative(), cpuSeconds: CpuSeconds }),
  storm: z.object({
    load: LoadSummary,
    ingestMs: z.number().positive(),
    /** From the first storm webhook until visibility shows every account `synced` (null: never). */
    processedMs: z.number().positive().nullable(),
    processedVsIngest: Ratio,
    synced: z.number().int().nonnegative(),
    missing: z.number().int().nonnegative(),
    missingSample: z.array(z.string()),
    cpuSeconds: CpuSeconds,
    /** Temporal side plus worker CPU milliseconds per recovered account (the ingress left out). */
    cpuMsPerAccount: Ms.optional(),
    history: RecoveryHistory.optional(),
  }),
  scale: z.object({
    workerRssMiB: z.object({
      beforeAccounts: z.number().nullable(),
      atRest: z.number().nullable(),
      peakDuringStorm: z.number().nullable(),
    }),
    /** The dev server's SQLite file with its WAL; on the cluster, PostgreSQL's two databases (no WAL). */
    temporalDbBytes: z.object({
      /** Before the first account: the schemas and the server's own workflows. */
      beforeAccounts: z.number().int().nonnegative().optional(),
      afterCreate: z.number().int().nonnegative(),
      afterStorm: z.number().int().nonnegative(),
    }),
    maxCachedWorkflows: z.number().int().nonnegative(),
    /** (RSS at rest − RSS before any account) / workflows the cache holds at rest, in KiB (goal: at most 100). */
    perCachedWorkflowKiB: Ms.optional(),
  }),
  goals: z.object({
    noneMissing: z.boolean(),
    processedWithin125Percent: z.boolean(),
    rssAtMost512MiB: z.boolean(),
    processedWithin250Percent: z.boolean().optional(),
    perCachedWorkflowAtMost100KiB: z.boolean().optional(),
  }),
});

export const HistoryRun = z.object({
  runId: z.string(),
  events: z.number().int().positive(),
  /** JSON bytes of the state carried into this run by continue-as-new (0 for the first run). */
  carriedBytes: z.number().int().nonnegative(),
});

export const HistoryResult = z.object({
  days: z.number().int().positive(),
  reauthCycles: z.number().int().nonnegative(),
  historyEventsPerRun: z.number().int().positive(),
  runs: z.array(HistoryRun).min(1),
  maxEventsPerRun: z.number().int().positive(),
  maxCarriedBytes: z.number().int().nonnegative(),
  finalState: z.string().nullable(),
  wallMs: z.number().positive(),
  goals: z.object({ eventsAtMost2000: z.boolean(), carriedAtMost32KiB: z.boolean() }),
});

export const ImportResult = z.object({
  accounts: z.number().int().positive(),
  maxRps: z.number().positive(),
  submit: z.object({ ms: z.number().nonnegative(), perSecond: z.number().nonnegative(), started: z.number().int() }),
  enrolled: z.number().int().nonnegative(),
  /** From the first request until visibility shows every account with its state (null: not within the wait). */
  enrolledMs: z.number().positive().nullable(),
  mono: z.object({
    requests: z.number().int().nonnegative(),
    busySeconds: z.number().int().nonnegative(),
    maxRequestsPerSecond: z.number().int().nonnegative(),
    meanRequestsPerSecond: z.number().nonnegative(),
    requestsPerAccount: z.number().nonnegative(),
    secondsAboveLimit: z.number().int().nonnegative().optional(),
    histogram: z.record(z.string(), z.number().int().nonnegative()).optional(),
  }),
  goals: z.object({ neverAboveLimit: z.boolean(), allEnrolled: z.boolean() }),
});

/** The storm with tracing off and on (OTLP to a stand-in collector), each on a fresh stack, same run. */
export const TracingCost = z.object({
  accounts: z.number().int().positive(),
  off: z.object({ cpuMsPerAccount: Ms.nullable(), processedMs: z.number().positive().nullable() }),
  on: z.object({
    cpuMsPerAccount: Ms.nullable(),
    processedMs: z.number().positive().nullable(),
    exportRequests: z.number().int().nonnegative(),
    exportedKiB: z.number().nonnegative(),
  }),
  /** on ÷ off: Temporal's and the service's CPU (the ingress included) per recovered account. */
  cpuRatio: Ratio,
  processedRatio: Ratio,
});

/** JS heap (after a full collection) and RSS per cached workflow, untraced and traced runs (bench/scenarios/memory.ts). */
const WorkerThreadMs = z.object({ workflow: z.number(), core: z.number() });

export const MemoryResult = z.object({
  accounts: z.number().int().positive(),
  heapKiBPerCachedWorkflow: z.object({ untraced: z.number(), traced: z.number() }),
  rssKiBPerCachedWorkflow: z.object({ untraced: z.number(), traced: z.number() }),
  /** Promises created in workflow code (bench/lib/workflow-promises.ts); a recovery on a worker with nothing cached. */
  promises: z.object({
    perNewAccount: z.number(),
    perRecovery: z.number(),
    /** A recovery of an account the worker has cached (no replay). */
    perCachedRecovery: z.number(),
    workflowTasksPerNewAccount: z.number(),
    workflowTasksPerRecovery: z.number(),
    meanFramesPerStack: z.number(),
  }),
  /**
   * CPU of the bench process (client, worker in debug mode, simulator together) per new account and per replayed
   * recovery; an indication only (the split is `workerCpuMs`).
   */
  inProcessCpuMs: z.object({ perNewAccount: z.number(), perRecovery: z.number() }),
  /**
   * CPU milliseconds per account of the worker's workflow thread (workflow code, replay, the promise hook) and its
   * core threads (gRPC, history, state machines), payload codec on: a new account, a recovery of a cached account,
   * a recovery replayed on a worker with nothing cached, and what the replay adds on the workflow thread.
   */
  workerCpuMs: z.object({
    newAccount: WorkerThreadMs,
    cachedRecovery: WorkerThreadMs,
    replayedRecovery: WorkerThreadMs,
    replay: z.number(),
  }),
  /** The payload codec on one replayed history, timed on its own (what turning it off would save). */
  codec: z.object({
    payloadsPerHistory: z.number().int().nonnegative(),
    bytesPerHistory: z.number().int().nonnegative(),
    decodeMsPerHistory: z.number().nonnegative(),
    encodeMsPerHistory: z.number().nonnegative(),
  }),
  goals: z.object({ untracedAtMost150KiB: z.boolean() }),
});

const WorkersSide = z.object({
  workers: z.number().int().positive(),
  ingestMs: z.number().positive(),
  processedMs: z.number().positive().nullable(),
  processedVsIngest: Ratio,
  cpuMsPerAccount: Ms,
  missing: z.number().int().nonnegative(),
});

/** The same storm with one worker process and with two, same run: what a second worker process buys. */
export const WorkersResult = z.object({
  engine: z.enum(['dev-server', 'cluster']),
  accounts: z.number().int().positive(),
  one: WorkersSide,
  two: WorkersSide,
  /** Two workers' processing time over one's (below 1: the second worker helped). */
  processedRatio: Ratio,
});

export const BenchResults = z.object({
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  machine: z.object({ cpus: z.number().int().positive(), memoryGiB: z.number().positive(), node: z.string() }),
  options: z.record(z.string(), z.unknown()),
  ingest: IngestResult.optional(),
  storm: StormResult.optional(),
  history: HistoryResult.optional(),
  /** Bulk enrolment at MONO_MAX_RPS, the rate measured by the simulator. */
  import: ImportResult.optional(),
  tracing: TracingCost.optional(),
  memory: MemoryResult.optional(),
  workers: WorkersResult.optional(),
  /** The storm's cost per recovered account against ingest's per signal-with-start (both scenarios run). */
  recoveryCost: RecoveryCost.optional(),
  /** `--cluster`: the same scenarios on Temporal's own server with PostgreSQL (scripts/cluster), same run. */
  cluster: z
    .object({
      server: z.string(),
      historyShards: z.number().int().positive(),
      ingest: IngestResult.optional(),
      storm: StormResult.optional(),
      recoveryCost: RecoveryCost.optional(),
    })
    .optional(),
});

export type BenchResults = z.infer<typeof BenchResults>;
export type IngestResult = z.infer<typeof IngestResult>;
export type StormResult = z.infer<typeof StormResult>;
export type HistoryResult = z.infer<typeof HistoryResult>;
export type ImportResult = z.infer<typeof ImportResult>;
export type TracingCost = z.infer<typeof TracingCost>;
export type MemoryResult = z.infer<typeof MemoryResult>;
export type LoadSummaryT = z.infer<typeof LoadSummary>;
export type RecoveryCost = z.infer<typeof RecoveryCost>;
export type CpuSplit = z.infer<typeof CpuSplit>;
export type WorkersResult = z.infer<typeof WorkersResult>;
