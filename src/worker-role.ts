/**
 * The worker role of the service: the Mono API (the real one, or the simulator in development), the account
 * workflows' worker and the Mono task queue's worker, both as one Worker Deployment Version, the reconcile,
 * build-sweep and incident-check schedules, and the promotion of this build as TEMPORAL_WORKER_PROMOTE says (src/deployment/).
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import type { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import type { AccountWorkflows } from './accounts/client.js';
import { createActivities, type Activities } from './activities/index.js';
import { createMonoActivities } from './activities/mono/activities.js';
import { connectMono, type MonoConnection } from './activities/mono/connect.js';
import { NOTIFY_HEARTBEAT_THROTTLE } from './activities/notify/activities.js';
import { Notifier, type NotifierConfig } from './activities/notify/notifier.js';
import { createPhoneOptOuts } from './accounts/phone-opt-outs.js';
import type { Config } from './config.js';
import { defaultBuildId, packageVersion } from './deployment/build-id.js';
import { ensureBuildSweepSchedule } from './deployment/schedule.js';
import { adoptEarlierBuildsAccounts, deploymentOptions, promoteAtStart } from './deployment/start-up.js';
import { createSweepActivities } from './deployment/sweep.js';
import { createPacer } from './lib/pacer.js';
import type { Logger } from './lib/logger.js';
import type { Tracing } from './lib/tracing.js';
import { sizeWorkflowCache } from './lib/workflow-cache.js';
import { funnelSinks } from './lib/funnel-metrics.js';
import { observeRecovery, type Metrics } from './lib/metrics.js';
import type { ReauthLinks } from './lib/reauth-link.js';
import type { OwnerMessages } from './messages/owner-messages.js';
import type { MonoSimulator, SimulatorOptions } from './mono-sim/simulator.js';
import { createIncidentActivities } from './incidents/activities.js';
import { ensureIncidentCheckSchedule } from './incidents/schedule.js';
import { createJobActivities } from './jobs/activities.js';
import { createReconcileActivities } from './reconcile/activities.js';
import { ensureReconcileSchedule } from './reconcile/schedule.js';
import { connectionOptions } from './temporal/connection.js';
import { grpcStatusOf } from './temporal/grpc-status.js';
import { createMonoWorker, createWorker } from './worker.js';
import { buildWorkflowBundle } from './workflow-bundle.js';

export interface WorkerRoleDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  client: Client;
  connection: Connection;
  accounts: AccountWorkflows;
  links: ReauthLinks;
  /** The owners' messages (src/messages), loaded at start. */
  messages: OwnerMessages;
  dataConverter: DataConverter | undefined;
  /** Where Mono's webhooks go (the simulator sends them to this service). */
  webhookUrl: string;
  simulator?: Omit<SimulatorOptions, 'webhookTarget'>;
  workerOptions?: Partial<WorkerOptions>;
  onWorkerFailed?: (err: unknown) => void;
  tracing?: Tracing;
  /** Each part started is handed over here, to be stopped newest first. */
  stopLater(name: string, stop: () => Promise<unknown>): void;
}

export interface RunningWorker {
  worker: Worker;
  mono: MonoConnection;
  buildId: string;
}

export async function startWorkerRole(deps: WorkerRoleDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const mono = await connectMono({
    config,
    logger,
    webhookUrl: deps.webhookUrl,
    simulator: deps.simulator,
    onCall: (endpoint, outcome, seconds) => {
      deps.metrics.monoCalls.inc({ endpoint, outcome });
      deps.metrics.monoRequestSeconds.observe({ endpoint, outcome }, seconds);
    },
    pacer: createPacer(config.monoMaxRps),
  });
  deps.stopLater('mono', () => mono.close());
  const bundle = deps.workerOptions?.workflowBundle ?? {
    codePath: config.worker.bundlePath ?? (await buildWorkflowBundle()),
  };
  const deployment = config.temporal.deployment;
  const buildId = deployment.buildId ?? defaultBuildId(packageVersion(), bundleCode(bundle));
  const version = { deploymentName: deployment.name, buildId };
  const worker = await startWorkers(deps, mono, { ...deps.workerOptions, workflowBundle: bundle }, version);
  await ensureSchedules(deps);
  const target = { connection: deps.connection, namespace: config.temporal.namespace, deploymentName: deployment.name };
  const current = await promoteAtStart(target, buildId, deployment.promote, logger);
  if (current && config.development) await adoptEarlierBuildsAccounts(target, buildId, logger);
  return { worker, mono, buildId };
}

/** The account workflows' worker and the Mono task queue's worker, running, as one deployment version. */
async function startWorkers(
  deps: WorkerRoleDeps,
  mono: MonoConnection,
  options: Partial<WorkerOptions>,
  version: { deploymentName: string; buildId: string }
): Promise<Worker> {
  const { config, logger, metrics } = deps;
  const versioning = deploymentOptions(version);
  const converter = deps.dataConverter ? { dataConverter: deps.dataConverter } : {};
  const notifier = new Notifier(
    { ...withSimulatedProviders(config.notify, mono.simulator), messages: deps.messages },
    deps.links,
    logger.child({ source: 'notifier' }),
    Date.now,
    {
      optOuts: createPhoneOptOuts({
        client: deps.client,
        taskQueue: config.temporal.taskQueue,
        lookupSecret: config.phone.lookupSecret,
      }),
      onSms: (notice, { segments, encoding }) => {
        if (segments > 1) metrics.smsMultipart.inc({ type: notice.type, encoding });
      },
    }
  );
  const { worker, connection } = await createWorker({
    connection: connectionOptions(config.temporal.target),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      ...measured(
        createActivities({
          notifier,
          onDelivery: (notice, channel, outcome) => metrics.notifications.inc({ type: notice.type, channel, outcome }),
        }),
        metrics
      ),
      ...createReconcileActivities({ accounts: deps.accounts, metrics, logger: logger.child({ source: 'reconcile' }) }),
      ...createJobActivities({ accounts: deps.accounts, metrics, logger: logger.child({ source: 'jobs' }) }),
      ...createSweepActivities({ connection: deps.connection, namespace: config.temporal.namespace, logger }),
      ...createIncidentActivities({
        client: deps.client,
        notifier,
        metrics,
        logger: logger.child({ source: 'incidents' }),
      }),
    },
    ...(deps.tracing && { tracing: deps.tracing }),
    sinks: funnelSinks(metrics),
    // Heartbeats of activities without a heartbeat timeout (the notify attempts) reach Temporal this often, and
    // with them the news that the workflow cancelled an attempt; the SDK's default of 30 s is the whole attempt.
    options: {
      ...workerTuning(config, deps.tracing?.enabled ?? false, logger),
      defaultHeartbeatThrottleInterval: NOTIFY_HEARTBEAT_THROTTLE,
      ...converter,
      ...versioning,
      ...options,
    },
  });
  deps.stopLater('worker connection', () => connection.close());
  run(deps, 'worker', worker);
  // Every call to Mono runs on its own task queue, whose rate Temporal enforces across all workers.
  const monoWorker = await createMonoWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createMonoActivities({ mono: mono.client }),
    maxRps: config.monoMaxRps,
    ...(deps.tracing && { tracing: deps.tracing }),
    options: {
      ...converter,
      ...versioning,
      ...(options.shutdownGraceTime !== undefined && {
        shutdownGraceTime: options.shutdownGraceTime as string | number,
      }),
    },
  });
  run(deps, 'mono worker', monoWorker);
  return worker;
}

/** Runs `worker` until the service stops it; a worker that stops on its own fails the service. */
function run(deps: WorkerRoleDeps, name: string, worker: Worker): void {
  const running = worker.run();
  deps.stopLater(name, async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  running.catch((err: unknown) => {
    deps.logger.error({ err: String(err) }, `${name} failed`);
    deps.onWorkerFailed?.(err);
  });
}

const UNIMPLEMENTED = 12;

/** The reconcile and build-sweep schedules; the time-skipping test server has no Schedules. */
async function ensureSchedules({ client, config, logger }: WorkerRoleDeps): Promise<void> {
  try {
    const taskQueue = config.temporal.taskQueue;
    const reconcile = await ensureReconcileSchedule(client, taskQueue, config.reconcile);
    logger.info({ schedule: reconcile, everyMs: config.reconcile.everyMs }, 'reconcile schedule ready');
    const sweep = { deploymentName: config.temporal.deployment.name, taskQueue };
    await ensureBuildSweepSchedule(client, sweep, config.buildSweep);
    await ensureIncidentCheckSchedule(client, taskQueue, config.incidents);
  } catch (err) {
    if (grpcStatusOf(err) !== UNIMPLEMENTED) throw err;
    logger.warn(
      'this Temporal server has no Schedules: no reconcile, build sweep or incident check (run them by hand)'
    );
  }
}

/** The notify activities, measured: each delivery attempt's duration, and recovery times from the plans. */
function measured(activities: Activities, metrics: Metrics): Activities {
  return {
    ...activities,
    async deliverNoticeOn(...args: Parameters<Activities['deliverNoticeOn']>) {
      const end = metrics.noticeDeliverySeconds.startTimer({ channel: args[1] });
      try {
        const answer = await activities.deliverNoticeOn(...args);
        end({ outcome: answer?.skipped ? 'skipped' : 'sent' });
        return answer;
      } catch (err) {
        end({ outcome: 'failed' });
        throw err;
      }
    },
    async planNotice(...args: Parameters<Activities['planNotice']>) {
      const plan = await activities.planNotice(...args);
      observeRecovery(args[0], metrics);
      return plan;
    },
  };
}

/**
 * Worker options from WORKER_* variables. The workflow cache, unless set, is what the heap holds (traced runs take
 * more: lib/workflow-cache.ts); other unset limits keep the SDK's defaults.
 */
function workerTuning({ worker }: Config, traced: boolean, logger: Logger): Partial<WorkerOptions> {
  const heapLimitMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
  const cache = sizeWorkflowCache(heapLimitMiB, traced, worker.maxCachedWorkflows);
  const about = { ...cache, tracing: traced };
  if (cache.overHeap)
    logger.warn(
      about,
      `WORKER_MAX_CACHED_WORKFLOWS=${cache.maxCachedWorkflows} needs about ${cache.neededHeapMiB} MiB of heap${traced ? ' with tracing on' : ''}, more than the ${cache.heapLimitMiB} MiB limit: the worker may run out of memory; lower it, or raise --max-old-space-size in NODE_OPTIONS`
    );
  else logger.info(about, `workflow cache: ${cache.maxCachedWorkflows} accounts`);
  return {
    maxCachedWorkflows: cache.maxCachedWorkflows,
    ...(worker.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(worker.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivityTaskExecutions }
      : {}),
  };
}

function bundleCode(bundle: NonNullable<WorkerOptions['workflowBundle']>): string {
  return 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
}

/** In development with the simulator, SMS and WhatsApp without a provider URL go to its fake providers. */
function withSimulatedProviders(notify: NotifierConfig, sim: MonoSimulator | undefined): NotifierConfig {
  if (!sim) return notify;
  return {
    ...notify,
    ...(notify.sms && !notify.sms.apiUrl && { sms: { ...notify.sms, apiUrl: sim.url } }),
    ...(notify.whatsapp && !notify.whatsapp.apiUrl && { whatsapp: { ...notify.whatsapp, apiUrl: `${sim.url}/v21.0` } }),
  };
}
