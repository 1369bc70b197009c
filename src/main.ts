/**
 * `npm start`: validate config, make sure a Temporal server answers (starting the dev server when nothing
 * does), connect Mono (or start the sandbox simulator), run the worker and the HTTP server in this process,
 * print where everything is, and stop every part cleanly on Ctrl-C / SIGTERM — also when start-up fails
 * half-way.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { DefaultLogger, Runtime, type LogLevel, type Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { MonoClient } from './activities/mono/client.js';
import { Notifier } from './activities/notify/notifier.js';
import { createReauthLinks } from './lib/reauth-link.js';
import { ConfigError, lifecycleSettings, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics, refreshAccountGauges } from './lib/metrics.js';
import { createAccounts } from './operators/accounts.js';
import { startMonoSimulator } from './mono-sim/simulator.js';
import { createApp, createWorkerApp } from './server/app.js';
import { createDeliveryKey } from './server/webhooks/delivery-key.js';
import { createHandOff } from './server/webhooks/hand-off.js';
import { WEBHOOK_PATH } from './server/webhooks/route.js';
import { SECRET_HEADER } from './server/webhooks/verify.js';
import { installAdvice, resolveBinary } from './temporal/binaries.js';
import { createTemporalClient, isTemporalReachable } from './temporal/client.js';
import { answers, startDevServer } from './temporal/dev-server.js';
import { createWorker } from './worker.js';
import { buildWorkflowBundle } from './workflow-bundle.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '::1']);

/** Things to stop, newest first. */
type Stopper = { name: string; stop: () => Promise<unknown> };

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nFix the variables above (see README, "Configuration") and start again.`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  for (const name of config.devDefaults) {
    logger.warn({ variable: name }, `${name} is unset: using the development default (set it in production)`);
  }
  Runtime.install({
    logger: sdkLogger(logger),
    shutdownSignals: [],
    telemetryOptions:
      config.workerMetricsAddress && config.role !== 'ingress'
        ? { metrics: { prometheus: { bindAddress: config.workerMetricsAddress }, metricPrefix: 'temporal_' } }
        : {},
  });
  const metrics = createMetrics();

  const stoppers: Stopper[] = [];
  let stopping = false;
  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    setTimeout(() => process.exit(code || 1), 30_000).unref();
    for (const { name, stop } of stoppers.reverse()) {
      await stop().catch((err: unknown) => logger.error({ part: name, err: String(err) }, 'error while stopping'));
    }
    logger.info('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

  try {
    stoppers.push({ name: 'temporal', stop: await ensureTemporal(config, logger) });
    const { client, connection } = createTemporalClient(config.temporal);
    stoppers.push({ name: 'temporal client', stop: () => connection.close() });
    const links = createReauthLinks({ baseUrl: config.publicBaseUrl, ...config.reauthLink });
    const runsWorker = config.role !== 'ingress';
    let monoDescription = 'not used here (SERVICE_ROLE=ingress: the worker calls Mono)';
    let worker: Worker | undefined;
    if (runsWorker) {
      const mono = await connectMono(config, logger, (endpoint, outcome) =>
        metrics.monoCalls.inc({ endpoint, outcome })
      );
      stoppers.push({ name: 'mono', stop: mono.close });
      monoDescription = mono.description;
      const created = await createWorker({
        ...config.temporal,
        activities: createActivities({
          mono: mono.client,
          notifier: new Notifier(
            {
              channels: config.notify.channels,
              webhookUrl: config.notify.webhookUrl,
              webhookSecret: config.notify.webhookSecret,
              smtpUrl: config.notify.smtpUrl,
              from: config.notify.from,
              operatorWebhookUrl: config.notify.operatorWebhookUrl,
            },
            links,
            logger.child({ source: 'notifier' })
          ),
        }),
        options: { ...workerTuning(config), workflowBundle: { codePath: await buildWorkflowBundle() } },
      });
      worker = created.worker;
      stoppers.push({ name: 'worker connection', stop: () => created.connection.close() });
      const running = created.worker;
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
        void shutdown('worker failed', 1);
      });
    }

    const accounts = createAccounts({
      client,
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      settings: lifecycleSettings(config),
    });
    stoppers.push({
      name: 'account gauges',
      stop: () =>
        Promise.resolve(
          refreshAccountGauges(metrics, accounts.count, 30_000, (err) =>
            logger.debug({ err: String(err) }, 'account gauges not refreshed')
          )()
        ),
    });
    const app =
      config.role === 'worker'
        ? createWorkerApp({ metrics, isReady: () => Promise.resolve(worker?.getState() === 'RUNNING') })
        : createApp({
            metrics,
            admin: { token: config.adminToken, accounts },
            reauthPage: { links, accounts, monoPublicKey: config.monoPublicKey },
            webhookSecrets: config.webhookSecrets,
            deliveryKey: createDeliveryKey(config.deliveryKeySecret),
            handOff: createHandOff({
              client,
              connection,
              taskQueue: config.temporal.taskQueue,
              settings: lifecycleSettings(config),
              timeoutMs: config.ingressTimeoutMs,
            }),
            logger,
            isReady: () => isTemporalReachable(connection, 2_000),
          });
    const server: Server = await new Promise((resolveServer, reject) => {
      const s = app.listen(config.port, config.host, () => resolveServer(s));
      s.once('error', reject);
    });
    stoppers.push({
      name: 'http server',
      stop: () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    });
    printBanner(config, monoDescription);
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'mono-reauth could not start');
    await shutdown('start-up failed', 1);
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

/** The Temporal SDK's own logs (workers, and workflow `log` calls) as pino lines. */
function sdkLogger(logger: Logger): DefaultLogger {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdk = logger.child({ source: 'temporal' });
  return new DefaultLogger('INFO', (entry) => sdk[levels[entry.level]]({ ...entry.meta }, entry.message));
}

/** The real Mono API when MONO_SECRET_KEY is set; otherwise the bundled sandbox simulator, started here. */
async function connectMono(
  config: Config,
  logger: Logger,
  onCall: (endpoint: string, outcome: string) => void
): Promise<{ client: MonoClient; description: string; close: () => Promise<void> }> {
  const timeoutMs = config.monoRequestTimeoutMs;
  if (config.monoSecretKey) {
    return {
      client: new MonoClient({ baseUrl: config.monoApiUrl, secretKey: config.monoSecretKey, timeoutMs, onCall }),
      description: config.monoApiUrl,
      close: () => Promise.resolve(),
    };
  }
  const webhookHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const sim = await startMonoSimulator(config.monoSimPort, '127.0.0.1', {
    webhookTarget: { url: `http://${webhookHost}:${config.port}${WEBHOOK_PATH}`, secret: config.webhookSecrets[0]! },
  });
  logger.warn({ url: sim.url }, 'MONO_SECRET_KEY is unset: using the Mono sandbox simulator');
  return {
    client: new MonoClient({ baseUrl: sim.url, secretKey: sim.secretKey, timeoutMs, onCall }),
    description: `sandbox simulator at ${sim.url} (MONO_SECRET_KEY unset)`,
    close: () => sim.close(),
  };
}

/** Uses the Temporal server at TEMPORAL_ADDRESS, or starts the dev server there. Returns how to stop it. */
async function ensureTemporal(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const { address } = config.temporal;
  if (await answers(address)) {
    logger.info({ address }, 'using the Temporal server already running');
    return () => Promise.resolve();
  }
  const [host = 'localhost', portText = '7233'] = address.split(':');
  if (!LOCAL_HOSTS.has(host)) {
    throw new Error(
      `Nothing answers at TEMPORAL_ADDRESS=${address}, and a dev server can only be started on this machine. ` +
        'Start that Temporal server, or unset TEMPORAL_ADDRESS to use the embedded dev server.'
    );
  }
  const cli = resolveBinary('cli', { onProgress: (m) => logger.info(m) });
  if (cli.source === 'sdk-download') return startWithSdkDownload(config, logger);
  const dataDir = resolve(config.temporal.dataDir);
  const logFile = join(dataDir, 'temporal.log');
  logger.info({ address, dataDir }, 'starting the Temporal dev server');
  const devServer = await startDevServer({
    cliPath: cli.path,
    host,
    port: Number(portText),
    namespace: config.temporal.namespace,
    dbFile: join(dataDir, 'temporal.sqlite'),
    uiPort: config.temporal.uiPort,
    logFile,
    onProgress: (m) => logger.info(m),
  });
  let stopping = false;
  devServer.process.once('exit', (code) => {
    if (!stopping) logger.error({ code, log: logFile }, 'the Temporal dev server exited unexpectedly');
  });
  return () => {
    stopping = true;
    return devServer.stop();
  };
}

/** Last resort when no binary was found or installed: the SDK downloads and runs the dev server itself. */
async function startWithSdkDownload(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { SEARCH_ATTRIBUTES } = await import('./workflows/account-lifecycle/search-attributes.js');
  const [host = 'localhost', portText = '7233'] = config.temporal.address.split(':');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: host,
        port: Number(portText),
        namespace: config.temporal.namespace,
        dbFilename: join(resolve(config.temporal.dataDir), 'temporal.sqlite'),
        uiPort: config.temporal.uiPort,
        searchAttributes: [...SEARCH_ATTRIBUTES],
      },
    });
    return () => env.teardown();
  } catch (err) {
    logger.error({ err: String(err) }, 'the SDK could not download the Temporal CLI either');
    throw new Error(installAdvice('cli'), { cause: err });
  }
}

function printBanner(config: Config, monoDescription: string): void {
  const base = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${config.port}`;
  const [temporalHost] = config.temporal.address.split(':');
  const uiHost = temporalHost === '0.0.0.0' ? 'localhost' : temporalHost;
  const secretNote = config.devDefaults.includes('MONO_WEBHOOK_SECRET')
    ? `header ${SECRET_HEADER}: ${config.webhookSecrets[0]} (development default)`
    : `header ${SECRET_HEADER}: your MONO_WEBHOOK_SECRET`;
  const lines = [
    '',
    `mono-reauth is running${config.role === 'all' ? '' : ` (SERVICE_ROLE=${config.role})`}`,
    ...(config.role === 'worker'
      ? []
      : [
          `  Webhook URL   POST ${base}${WEBHOOK_PATH}   (${secretNote})`,
          `  Admin API     ${base}/accounts   (Authorization: Bearer ${config.devDefaults.includes('ADMIN_TOKEN') ? `${config.adminToken} (development default)` : '$ADMIN_TOKEN'})`,
        ]),
    `  Health        ${base}/healthz   readiness ${base}/readyz   metrics ${base}/metrics`,
    ...(config.workerMetricsAddress ? [`  SDK metrics   http://${config.workerMetricsAddress}/metrics (worker)`] : []),
    `  Temporal UI   http://${uiHost}:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows`,
    `  Mono API      ${monoDescription}`,
    `  Temporal      ${config.temporal.address} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(`mono-reauth could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
