/** Builds the Temporal worker that runs `accountLifecycle` and its activities. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  NativeConnection,
  Worker,
  type BundleOptions,
  type NativeConnectionOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import type { Activities } from './activities/index.js';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { CODEC_BUNDLE_OPTIONS } from './temporal/data-converter.js';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from './lib/tracing.js';
import type { MonoActivities } from './activities/mono/activities.js';
import { monoTaskQueueFor } from './workflows/account-lifecycle/api/messages.js';

/** The workflow bundle's entry: the TypeScript source when run with tsx, the compiled file otherwise. */
export function workflowsPath(): string {
  return workflowModulePath('index');
}

/** A module of src/workflows, as source when the source is there, otherwise built (the image runs dist). */
function workflowModulePath(name: string): string {
  const ts = fileURLToPath(new URL(`./workflows/${name}.ts`, import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL(`./workflows/${name}.js`, import.meta.url));
}

/** The workflow interceptors that load tracing into traced runs only (workflows/tracing-interceptors.ts). */
export const workflowTracingModule = (): string => workflowModulePath('tracing-interceptors');

/**
 * How every workflow bundle is built (the service's, the tests', the replay tests'): the codec's failure
 * converter (data-converter.ts), and the workflow modules preloaded. Without preloading, the SDK evaluates
 * every workflow module again for each workflow it caches (a module cache per workflow); preloaded, they are
 * evaluated once and shared, which saved about 60 KiB of heap per cached workflow and the modules' evaluation
 * on every replay (bench/RESULTS.md, 2–3 December 2026). Safe because no workflow module keeps state of its
 * own: all of a run's state lives in objects its workflow function creates. The SDK freezes shared modules, so a
 * module that mutated its exports would fail loudly in the tests.
 */
export function workflowBundleOptions(
  entry: string = workflowsPath()
): Pick<BundleOptions, 'workflowsPath' | 'failureConverterPath' | 'preloadModules' | 'workflowInterceptorModules'> {
  const tracing = workflowTracingModule();
  return {
    workflowsPath: entry,
    ...CODEC_BUNDLE_OPTIONS,
    preloadModules: [entry, tracing],
    // Always bundled, so that turning tracing on or off never changes the bundle, and so the build id.
    workflowInterceptorModules: [tracing],
  };
}

/** A worker that bundles its workflows itself, with the same preloading (the failure converter comes with its dataConverter). */
function bundledHere(): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions' | 'interceptors'> {
  const { workflowsPath: path, preloadModules, workflowInterceptorModules } = workflowBundleOptions();
  return {
    workflowsPath: path,
    bundlerOptions: { preloadModules },
    interceptors: { workflowModules: workflowInterceptorModules },
  };
}

/**
 * Tracing on a worker: a span for every activity attempt, linked to the workflow's, and the sink through which the
 * bundle's workflow interceptors hand out their spans (registered whether tracing is on or not: the bundle always
 * has the interceptors).
 */
export function tracingOptions(
  tracing: Pick<Tracing, 'spanProcessor' | 'resource'>
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

export interface WorkerDeps {
  /** Where and how to connect (see temporal/connection.ts `connectionOptions`). */
  connection: NativeConnectionOptions;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** Where spans go (src/lib/tracing.ts); tracing off by default. */
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource'>;
  /** The workflows' sinks besides tracing's (the re-auth funnel's: src/lib/funnel-metrics.ts). */
  sinks?: WorkerOptions['sinks'];
  /** Extra or overriding options (tests pass a prebuilt `workflowBundle`, tuning, etc.). */
  options?: Partial<WorkerOptions>;
}

/** Tracing off: spans made by the bundle's workflow interceptors are dropped. */
const NO_TRACING = { spanProcessor: new NoopSpanProcessor(), resource: Resource.empty() };

export async function createWorker({
  connection: connectionOptions,
  namespace,
  taskQueue,
  activities,
  tracing = NO_TRACING,
  sinks,
  options,
}: WorkerDeps): Promise<{
  worker: Worker;
  connection: NativeConnection;
}> {
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const own = options?.workflowBundle ? {} : bundledHere();
    const traced = tracingOptions(tracing);
    const worker = await Worker.create({
      connection,
      namespace,
      taskQueue,
      activities,
      ...own,
      ...traced,
      interceptors: { ...own.interceptors, ...traced.interceptors },
      sinks: { ...traced.sinks, ...sinks },
      shutdownGraceTime: '10s',
      ...options,
    });
    return { worker, connection };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/**
 * The worker of the Mono task queue (`<taskQueue>-mono`): Mono's activities only, at `maxRps` activities per
 * second for the whole task queue — Temporal enforces it across every worker polling it.
 */
export function createMonoWorker({
  connection,
  namespace,
  taskQueue,
  activities,
  maxRps,
  tracing = NO_TRACING,
  options,
}: {
  connection: NativeConnection;
  namespace: string;
  /** The accounts' task queue; the Mono queue's name is derived from it. */
  taskQueue: string;
  activities: MonoActivities;
  maxRps: number;
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource'>;
  options?: Partial<WorkerOptions>;
}): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: monoTaskQueueFor(taskQueue),
    activities,
    interceptors: tracingOptions(tracing).interceptors,
    maxTaskQueueActivitiesPerSecond: maxRps,
    shutdownGraceTime: '10s',
    ...options,
  });
}
