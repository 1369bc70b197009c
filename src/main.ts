/**
 * `npm start`: validate configuration, make sure a Temporal server answers (starting the dev server when
 * nothing does), start the service's roles (service.ts), print where everything is, and stop every part in
 * order on Ctrl-C / SIGTERM — also when start-up fails or is interrupted half-way. SIGTERM first drains the HTTP
 * side for SHUTDOWN_DRAIN (readiness 503, requests still served), so that a rollout drops no request.
 */
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadConfig, withSecretFiles, type Config } from './config.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';
import { startTracing, type Tracing } from './lib/tracing.js';
import { packageVersion } from './deployment/build-id.js';
import { WEBHOOK_PATH } from './server/webhooks/route.js';
import { SECRET_HEADER } from './server/webhooks/verify.js';
import { startService, type RunningService } from './service.js';
import { loadOwnerMessages, type OwnerMessages } from './messages/owner-messages.js';
import { TemplateError } from './messages/template-files.js';
import { connectionOptions } from './temporal/connection.js';
import { ensureTemporal } from './temporal/local-server.js';
import { requireSearchAttributes } from './temporal/search-attributes-check.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(withSecretFiles(process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nFix the variables above (docs/configuration.md) and start again.`);
      process.exit(1);
    }
    throw err;
  }
  const messages = ownerMessagesOrExit(config);
  const logger = createLogger(config.logLevel);
  if (config.devDefaults.length > 0) {
    logger.warn(
      { variables: config.devDefaults },
      `development defaults in use for ${config.devDefaults.join(', ')}: fine on this machine, refused anywhere others can reach (docs/deploying.md)`
    );
  }
  for (const warning of config.warnings) logger.warn(warning);
  let tracing: Tracing;
  try {
    tracing = startTracing(process.env, { role: config.role, version: packageVersion() });
  } catch (err) {
    console.error(`mono-reauth could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  try {
    Runtime.install({
      logger: sdkLogger(logger),
      shutdownSignals: [],
      telemetryOptions:
        config.workerMetricsAddress && config.role !== 'ingress'
          ? { metrics: { prometheus: { bindAddress: config.workerMetricsAddress }, metricPrefix: 'temporal_' } }
          : {},
    });
  } catch (err) {
    const inUse = /in use|AddrInUse|address already/i.test(String(err));
    console.error(
      inUse
        ? `mono-reauth could not start: the worker's SDK metrics address ${config.workerMetricsAddress} is already in use: stop what uses it, or set WORKER_METRICS_ADDRESS to another host:port or off`
        : `mono-reauth could not start the Temporal runtime: ${err instanceof Error ? err.message : String(err)}`
    );
    process.exit(1);
  }

  const lifecycle = processLifecycle(config, logger, tracing);
  process.on('SIGINT', () => void lifecycle.shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void lifecycle.shutdown('SIGTERM', 0));
  await lifecycle.start(async (stopLater) => {
    stopLater('tracing', () => tracing.shutdown());
    stopLater('temporal', await ensureTemporal(config, logger));
    await checkNamespace(config);
    const service = await startService({
      config,
      logger,
      metrics: createMetrics(),
      tracing,
      messages,
      onWorkerFailed: () => void lifecycle.shutdown('worker failed', 1),
    });
    stopLater('service', () => service.stop());
    return service;
  });
}

/** Every template of the owners' messages, read and checked before anything starts; a broken one stops the start. */
function ownerMessagesOrExit(config: Config): OwnerMessages {
  try {
    return loadOwnerMessages(config.ownerMessages);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    console.error(`mono-reauth could not start: ${err.message}`);
    process.exit(1);
  }
}

/**
 * Start-up and shutdown of the process. Parts are stopped newest first: the service (HTTP, worker, connections),
 * then the dev server it used. A shutdown during start-up lets the start finish (or fail) and then stops what it
 * started; a start that fails because of it is not reported as a failure.
 */
function processLifecycle(config: Config, logger: Logger, tracing: Tracing) {
  const stoppers: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  let starting: Promise<RunningService> | undefined;
  let service: RunningService | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // A service still starting was never reported ready: nothing needs draining then.
    const drainMs = reason === 'SIGTERM' && service ? config.shutdownDrainMs : 0;
    logger.info({ reason, drainMs }, 'shutting down');
    setTimeout(() => process.exit(code || 1), drainMs + 30_000).unref();
    await starting?.catch(() => undefined);
    await service?.drain(drainMs);
    for (const { name, stop } of stoppers.reverse()) {
      await stop().catch((err: unknown) => logger.error({ part: name, err: String(err) }, 'error while stopping'));
    }
    logger.info('stopped');
    process.exit(code);
  };
  const start = async (
    run: (stopLater: (name: string, stop: () => Promise<unknown>) => void) => Promise<RunningService>
  ): Promise<void> => {
    starting = run((name, stop) => void stoppers.push({ name, stop }));
    try {
      service = await starting;
      if (!stopping) printBanner(config, service, tracing);
    } catch (err) {
      if (stopping) {
        logger.info('start-up interrupted by the shutdown');
        return;
      }
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'mono-reauth could not start');
      await shutdown('start-up failed', 1);
    }
  };
  return { start, shutdown };
}

/** Fails start-up with the commands to run when the namespace lacks the service's search attributes. */
async function checkNamespace(config: Config): Promise<void> {
  const connection = await Connection.connect({ ...connectionOptions(config.temporal.target), connectTimeout: 10_000 });
  try {
    await requireSearchAttributes(connection, config.temporal.namespace);
  } finally {
    await connection.close();
  }
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

/** Where everything is. Never prints a secret: development defaults are named, their values are in the README. */
function printBanner(config: Config, service: RunningService, tracing: Tracing): void {
  const [temporalHost] = config.temporal.address.split(':');
  const uiHost = temporalHost === '0.0.0.0' ? 'localhost' : temporalHost;
  const devSecret = (variable: string): string =>
    config.devDefaults.includes(variable) ? `the development default, see README` : `your ${variable}`;
  const lines = [
    '',
    `mono-reauth is running${config.role === 'all' ? '' : ` (SERVICE_ROLE=${config.role})`}`,
    ...(config.role === 'worker'
      ? []
      : [
          `  Webhook URL   POST ${service.url}${WEBHOOK_PATH}   (header ${SECRET_HEADER}: ${devSecret('MONO_WEBHOOK_SECRET')})`,
          `  Admin API     ${service.adminUrl}/accounts   (Authorization: Bearer ${devSecret('ADMIN_TOKEN')})`,
          `  OpenAPI       ${service.adminUrl}/openapi.json   (every route and the roles it takes)`,
        ]),
    `  Health        ${service.url}/healthz   readiness ${service.url}/readyz   metrics ${service.adminUrl}/metrics`,
    ...(config.workerMetricsAddress && config.role !== 'ingress'
      ? [`  SDK metrics   http://${config.workerMetricsAddress}/metrics (worker)`]
      : []),
    // The dev server's UI; a cluster's UI is wherever its operators put it.
    ...(config.development
      ? [`  Temporal UI   http://${uiHost}:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows`]
      : []),
    `  Mono API      ${service.mono?.description ?? 'not used here (SERVICE_ROLE=ingress: the worker calls Mono)'}`,
    `  Temporal      ${config.temporal.target.description}, task queue ${config.temporal.taskQueue}`,
    ...(tracing.enabled ? [`  Tracing       ${tracing.description}`] : []),
    ...(config.development
      ? ['  Development mode: listeners and Temporal on this machine only; development defaults allowed.']
      : []),
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(`mono-reauth could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
