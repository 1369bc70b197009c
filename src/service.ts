/**
 * The service's wiring, shared by `npm start` (main.ts), the tests and the bench: starts the roles this
 * process runs from their dependencies and returns how to stop them. The ingress role serves the webhook
 * endpoint, the admin API, the re-auth page and metrics; the worker role runs the account workflows and their
 * activities (Mono, notifications). Finding or starting Temporal, signals and the banner stay in main.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createAccountWorkflows, type AccountWorkflows } from './accounts/client.js';
import { createActivities } from './activities/index.js';
import { createMonoActivities } from './activities/mono/activities.js';
import { createPacer } from './lib/pacer.js';
import { createReconcileActivities } from './reconcile/activities.js';
import { ensureReconcileSchedule } from './reconcile/schedule.js';
import { connectMono, type MonoConnection } from './activities/mono/connect.js';
import { Notifier } from './activities/notify/notifier.js';
import { codecKeysFor, type Config } from './config.js';
import type { Logger } from './lib/logger.js';
import { refreshAccountGauges, type Metrics } from './lib/metrics.js';
import { createReauthLinks, type ReauthLinks } from './lib/reauth-link.js';
import type { SimulatorOptions } from './mono-sim/simulator.js';
import { createApp, createOperatorApp, createWorkerApp } from './server/app.js';
import { createDeliveryKey } from './server/webhooks/delivery-key.js';
import { WEBHOOK_PATH } from './server/webhooks/route.js';
import { createTemporalClient, isTemporalReachable } from './temporal/client.js';
import { grpcStatusOf } from './temporal/grpc-status.js';
import { AesGcmCodec, type CodecKey } from './temporal/codec.js';
import { connectionOptions } from './temporal/connection.js';
import { dataConverterFor } from './temporal/data-converter.js';
import { createMonoWorker, createWorker } from './worker.js';
import { buildWorkflowBundle } from './workflow-bundle.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /**
   * A Temporal client to use (a test environment's, made with the same codec); by default one is made from
   * `config.temporal` with the payload codec.
   */
  temporal?: { client: Client; connection: Connection };
  /**
   * The payload codec keys, over the configured ones. `null` runs without encryption: only for the tests that
   * prove encryption works by showing what a history holds without it.
   */
  codecKeys?: CodecKey[] | null;
  /** Options of the Mono simulator, when MONO_SECRET_KEY is unset and one is started. */
  simulator?: Omit<SimulatorOptions, 'webhookTarget'>;
  /** Worker options over the configured ones (tests pass a prebuilt `workflowBundle`). */
  workerOptions?: Partial<WorkerOptions>;
  /** How often the account gauges are recounted from visibility (default 30 s). */
  gaugeRefreshMs?: number;
  /** Called when the worker stops on its own (a fatal error); the service should then shut down. */
  onWorkerFailed?: (err: unknown) => void;
}

export interface RunningService {
  /** The HTTP server's base URL (http://host:port). */
  url: string;
  /** The operator listener's base URL (admin API, /metrics): its own with ADMIN_ADDRESS, else `url`. */
  adminUrl: string;
  accounts: AccountWorkflows;
  links: ReauthLinks;
  /** The Mono API the worker calls; undefined in the ingress role. */
  mono: MonoConnection | undefined;
  worker: Worker | undefined;
  client: Client;
  connection: Connection;
  /** Stops every part, newest first; errors are logged and do not stop the rest. */
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<unknown> };

const UNIMPLEMENTED = 12;

export async function startService(deps: ServiceDeps): Promise<RunningService> {
  const { config, logger, metrics } = deps;
  const stoppers: Stopper[] = [];
  const stop = async (): Promise<void> => {
    for (const { name, stop: stopPart } of stoppers.splice(0).reverse()) {
      await stopPart().catch((err: unknown) => logger.error({ part: name, err: String(err) }, 'error while stopping'));
    }
  };
  try {
    const codecKeys = deps.codecKeys !== undefined ? deps.codecKeys : codecKeysFor(config.temporal);
    const dataConverter = codecKeys ? dataConverterFor(codecKeys) : undefined;
    const { client, connection } = deps.temporal ?? createTemporalClient(config.temporal, dataConverter);
    if (!deps.temporal) stoppers.push({ name: 'temporal client', stop: () => connection.close() });
    const links = createReauthLinks({ baseUrl: config.publicBaseUrl, ...config.reauthLink });
    const accounts = createAccountWorkflows({
      client,
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      settings: config.lifecycle,
      deliverTimeoutMs: config.ingressTimeoutMs,
    });

    let worker: Worker | undefined;
    const isReady = (): Promise<boolean> => isTemporalReachable(connection, 2_000);
    const admin = {
      token: config.adminToken,
      accounts,
      ...(codecKeys && {
        codec: {
          codec: new AesGcmCodec(codecKeys),
          allowedOrigins: config.temporal.uiOrigins,
          // The dev server's UI cannot send a token; only while nothing but this machine can reach the service.
          originsWithoutToken: config.exposure.length === 0 ? config.temporal.uiOrigins : [],
          namespace: config.temporal.namespace,
        },
      }),
    };
    // Outside development the operator surface listens apart from the public one (ADMIN_ADDRESS).
    const separateOperatorListener = config.role !== 'worker' && config.adminAddress !== null;
    const app =
      config.role === 'worker'
        ? createWorkerApp({ metrics, isReady: () => Promise.resolve(worker?.getState() === 'RUNNING') })
        : createApp({
            metrics,
            ...(separateOperatorListener ? {} : { admin }),
            reauthPage: { links, accounts, monoPublicKey: config.monoPublicKey },
            webhookSecrets: config.webhookSecrets,
            deliveryKey: createDeliveryKey(config.deliveryKeySecret),
            deliver: accounts.deliver,
            logger,
            isReady,
          });
    const server = await listen(app, config.port, config.host, 'PORT');
    stoppers.push({ name: 'http server', stop: () => closeServer(server) });
    const url = baseUrl(server);
    let adminUrl = url;
    if (separateOperatorListener && config.adminAddress) {
      const { host, port } = config.adminAddress;
      const operatorServer = await listen(
        createOperatorApp({ admin, metrics, logger, isReady }),
        port,
        host,
        'ADMIN_ADDRESS'
      );
      stoppers.push({ name: 'operator http server', stop: () => closeServer(operatorServer) });
      adminUrl = baseUrl(operatorServer);
    }
    if (config.role !== 'worker') {
      const stopGauges = refreshAccountGauges(metrics, accounts.count, deps.gaugeRefreshMs ?? 30_000, (err) =>
        logger.debug({ err: String(err) }, 'account gauges not refreshed')
      );
      stoppers.push({ name: 'account gauges', stop: () => Promise.resolve(stopGauges()) });
    }

    let mono: MonoConnection | undefined;
    if (config.role !== 'ingress') {
      mono = await connectMono({
        config,
        logger,
        webhookUrl: `${url}${WEBHOOK_PATH}`,
        simulator: deps.simulator,
        onCall: (endpoint, outcome) => metrics.monoCalls.inc({ endpoint, outcome }),
        pacer: createPacer(config.monoMaxRps),
      });
      const connected = mono;
      stoppers.push({ name: 'mono', stop: () => connected.close() });
      const created = await createWorker({
        connection: connectionOptions(config.temporal.target),
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities: {
          ...createActivities({
            mono: mono.client,
            notifier: new Notifier(config.notify, links, logger.child({ source: 'notifier' })),
            onDelivery: (notice, channel, outcome) =>
              metrics.notifications.inc({ type: notice.type, channel, outcome }),
          }),
          ...createReconcileActivities({ accounts, metrics, logger: logger.child({ source: 'reconcile' }) }),
        },
        options: {
          ...workerTuning(config),
          ...(dataConverter && { dataConverter }),
          ...(deps.workerOptions?.workflowBundle
            ? {}
            : { workflowBundle: { codePath: config.worker.bundlePath ?? (await buildWorkflowBundle()) } }),
          ...deps.workerOptions,
        },
      });
      stoppers.push({ name: 'worker connection', stop: () => created.connection.close() });
      const running = created.worker;
      worker = running;
      const workerRun = running.run();
      stoppers.push({
        name: 'worker',
        stop: async () => {
          if (running.getState() === 'RUNNING') running.shutdown();
          await workerRun;
        },
      });
      workerRun.catch((err: unknown) => {
        logger.error({ err: String(err) }, 'worker failed');
        deps.onWorkerFailed?.(err);
      });

      // Every call to Mono runs on its own task queue, whose rate Temporal enforces across all workers.
      const monoWorker = await createMonoWorker({
        connection: created.connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        activities: createMonoActivities({ mono: mono.client }),
        maxRps: config.monoMaxRps,
        options: {
          ...(deps.workerOptions?.shutdownGraceTime !== undefined && {
            shutdownGraceTime: deps.workerOptions.shutdownGraceTime as string | number,
          }),
          ...(dataConverter && { dataConverter }),
        },
      });
      const monoRun = monoWorker.run();
      stoppers.push({
        name: 'mono worker',
        stop: async () => {
          if (monoWorker.getState() === 'RUNNING') monoWorker.shutdown();
          await monoRun;
        },
      });
      monoRun.catch((err: unknown) => {
        logger.error({ err: String(err) }, 'mono worker failed');
        deps.onWorkerFailed?.(err);
      });
      try {
        const schedule = await ensureReconcileSchedule(client, config.temporal.taskQueue, config.reconcile);
        logger.info({ schedule, everyMs: config.reconcile.everyMs }, 'reconcile schedule ready');
      } catch (err) {
        // The Java time-skipping test server has no Schedules; anything else is a real start-up failure.
        if (grpcStatusOf(err) !== UNIMPLEMENTED) throw err;
        logger.warn('this Temporal server has no Schedules: no reconcile schedule (reconcile accounts by hand)');
      }
    }
    return { url, adminUrl, accounts, links, mono, worker, client, connection, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Worker options from WORKER_* variables; an unset limit keeps the SDK's default. */
function workerTuning({ worker }: Config): Partial<WorkerOptions> {
  return {
    maxCachedWorkflows: worker.maxCachedWorkflows,
    ...(worker.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(worker.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: worker.maxConcurrentActivityTaskExecutions }
      : {}),
  };
}

function listen(
  app: ReturnType<typeof createWorkerApp>,
  port: number,
  host: string,
  variable: string
): Promise<Server> {
  // Express 5 calls the listen callback with the error too (a port in use), so it must look at it.
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: NodeJS.ErrnoException) => {
      if (!err) return resolve(server);
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is already in use: stop what uses it or set ${variable}`)
          : err.code === 'EADDRNOTAVAIL'
            ? new Error(`${host} is not an address of this machine: fix ${variable}`)
            : err
      );
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function baseUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host =
    address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}`;
}
