/**
 * The service's wiring, shared by `npm start` (main.ts), the tests and the bench: starts the roles this
 * process runs from their dependencies and returns how to stop them. The ingress role serves the webhook
 * endpoint, the admin API, the re-auth page and metrics; the worker role (worker-role.ts) runs the account
 * workflows and their activities (Mono, notifications). Finding or starting Temporal, signals and the banner stay
 * in main.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createAccountWorkflows, type AccountWorkflows } from './accounts/client.js';
import { createJobs, type Jobs } from './jobs/client.js';
import type { MonoConnection } from './activities/mono/connect.js';
import { codecKeysFor, type Config } from './config.js';
import type { Logger } from './lib/logger.js';
import { timedDelivery, type Metrics } from './lib/metrics.js';
import { createAccountGauges } from './lib/account-gauges.js';
import { createAccountFacts } from './accounts/facts.js';
import { createIncidents } from './incidents/client.js';
import { createReauthLinks, type ReauthLinks } from './lib/reauth-link.js';
import { loadOwnerMessages, type OwnerMessages } from './messages/owner-messages.js';
import type { SimulatorOptions } from './mono-sim/simulator.js';
import { createApp, createOperatorApp, createWorkerApp } from './server/app.js';
import { createPhoneOptOuts, type PhoneOptOuts } from './accounts/phone-opt-outs.js';
import { createOidcVerifier } from './server/codec/oidc.js';
import { drainable, type DrainableServer } from './server/drain.js';
import { cachedProbe, readiness } from './server/readiness.js';
import { createDeliveryKey } from './server/webhooks/delivery-key.js';
import { WEBHOOK_PATH } from './server/webhooks/route.js';
import { createTemporalClient, isTemporalReachable } from './temporal/client.js';
import { AesGcmCodec, type CodecKey } from './temporal/codec.js';
import { dataConverterFor } from './temporal/data-converter.js';
import type { Tracing } from './lib/tracing.js';
import { startWorkerRole, type RunningWorker } from './worker-role.js';

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
  /** How long a scrape of the account gauges reuses the last counts (default 15 s). */
  gaugeRefreshMs?: number;
  /** Tracing (src/lib/tracing.ts, started by main.ts); omitted, off. */
  tracing?: Tracing;
  /** Called when the worker stops on its own (a fatal error); the service should then shut down. */
  onWorkerFailed?: (err: unknown) => void;
  /** The owners' messages, loaded by main.ts before anything starts; by default loaded here from the configuration. */
  messages?: OwnerMessages;
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
  /** The worker's build id (its Worker Deployment Version); undefined in the ingress role. */
  buildId: string | undefined;
  client: Client;
  connection: Connection;
  /**
   * Drains the HTTP side for a shutdown (server/drain.ts): readiness answers 503 at once, requests are served for
   * `periodMs` (none for a worker-only process), each answer closing its connection, then the listeners close.
   */
  drain(periodMs: number): Promise<void>;
  /** Stops every part, newest first; errors are logged and do not stop the rest. */
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<unknown> };

export async function startService(deps: ServiceDeps): Promise<RunningService> {
  const { config, logger } = deps;
  const stoppers: Stopper[] = [];
  const stopLater = (name: string, stopPart: () => Promise<unknown>): void =>
    void stoppers.push({ name, stop: stopPart });
  const stop = async (): Promise<void> => {
    for (const { name, stop: stopPart } of stoppers.splice(0).reverse()) {
      await stopPart().catch((err: unknown) => logger.error({ part: name, err: String(err) }, 'error while stopping'));
    }
  };
  try {
    const codecKeys = deps.codecKeys !== undefined ? deps.codecKeys : codecKeysFor(config.temporal);
    const dataConverter = codecKeys ? dataConverterFor(codecKeys) : undefined;
    const { client, connection } = deps.temporal ?? createTemporalClient(config.temporal, dataConverter);
    if (!deps.temporal) stopLater('temporal client', () => connection.close());
    const links = createReauthLinks({ baseUrl: config.publicBaseUrl, ...config.reauthLink });
    const messages = deps.messages ?? loadOwnerMessages(config.ownerMessages);
    const accounts = createAccountWorkflows({
      client,
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      settings: config.lifecycle,
      deliverTimeoutMs: config.ingressTimeoutMs,
    });
    let running: RunningWorker | undefined;
    const drain = drainControl(config.role, logger);
    const http = await startHttp(deps, {
      client,
      connection,
      accounts,
      jobs: createJobs({ client, taskQueue: config.temporal.taskQueue }),
      links,
      messages,
      codecKeys,
      workerRunning: () => running?.worker.getState() === 'RUNNING',
      drain,
      stopLater,
    });
    if (config.role !== 'ingress') {
      const webhookUrl = `${http.url}${WEBHOOK_PATH}`;
      running = await startWorkerRole({
        ...deps,
        client,
        connection,
        accounts,
        links,
        messages,
        dataConverter,
        webhookUrl,
        stopLater,
      });
    }
    const { worker, mono, buildId } = running ?? {};
    return { ...http, accounts, links, mono, worker, buildId, client, connection, drain: drain.drain, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface HttpParts {
  client: Client;
  connection: Connection;
  accounts: AccountWorkflows;
  links: ReauthLinks;
  messages: OwnerMessages;
  jobs: Jobs;
  codecKeys: CodecKey[] | null;
  workerRunning: () => boolean;
  /** The listeners to drain at shutdown, and whether that has begun (readiness answers 503). */
  drain: DrainControl;
  stopLater(name: string, stop: () => Promise<unknown>): void;
}

/**
 * The HTTP side: the public listener (webhooks, re-auth page, health), the operator listener (admin API, codec,
 * metrics) on ADMIN_ADDRESS or beside the public one in development, and the account gauges. A worker-only
 * process serves health and metrics alone.
 */
async function startHttp(
  { config, metrics, logger, gaugeRefreshMs, tracing }: ServiceDeps,
  parts: HttpParts
): Promise<{ url: string; adminUrl: string }> {
  const { connection, accounts, links, codecKeys } = parts;
  const { development } = config;
  const isReady = readiness({
    temporal: config.role === 'worker' ? undefined : cachedProbe(() => isTemporalReachable(connection, 2_000)),
    worker: config.role === 'ingress' ? undefined : parts.workerRunning,
    draining: parts.drain.isDraining,
  });
  const accountGauges = accountGaugesFor(config, parts, gaugeRefreshMs);
  const optOuts = phoneOptOutsFor(config, parts.client);
  const admin = {
    // Computed from Temporal, so served once: on /metrics/accounts, and on /metrics too when one process runs all.
    accountGauges: { registry: accountGauges, inMetrics: config.role === 'all' },
    tokens: config.tokens,
    accounts,
    jobs: parts.jobs,
    incidents: createIncidents({ client: parts.client, taskQueue: config.temporal.taskQueue }),
    redeliverSpreadMs: config.redeliverSpreadMs,
    links,
    ...(optOuts && { optOuts }),
    ...(codecKeys && { codec: codecServer(config, codecKeys) }),
  };
  // Outside development the operator surface listens apart from the public one (ADMIN_ADDRESS).
  const separateOperatorListener = config.role !== 'worker' && config.adminAddress !== null;
  const app =
    config.role === 'worker'
      ? createWorkerApp({ metrics, isReady, development })
      : createApp({
          metrics,
          ...(separateOperatorListener ? {} : { admin }),
          reauthPage: {
            links,
            accounts,
            monoPublicKey: config.monoPublicKey,
            messages: parts.messages,
            https: config.publicBaseUrl.startsWith('https://'),
          },
          webhookSecrets: config.webhookSecrets,
          ...(optOuts && { phoneCallbacks: { optOuts, ...config.phone.callbacks } }),
          deliveryKey: createDeliveryKey(config.deliveryKeySecret),
          deliver: timedDelivery(accounts.deliver, metrics),
          logger,
          isReady,
          development,
          trustProxy: config.trustProxy,
          ...(tracing && { tracer: tracing.tracer }),
        });
  const server = await listen(app, config.port, config.host, 'PORT');
  parts.drain.add(server);
  parts.stopLater('http server', () => closeServer(server));
  const url = baseUrl(server);
  let adminUrl = url;
  if (separateOperatorListener && config.adminAddress) {
    const { host, port } = config.adminAddress;
    const operatorApp = createOperatorApp({
      admin,
      metrics,
      logger,
      isReady,
      development,
      trustProxy: config.trustProxy,
    });
    const operatorServer = await listen(operatorApp, port, host, 'ADMIN_ADDRESS');
    parts.drain.add(operatorServer);
    parts.stopLater('operator http server', () => closeServer(operatorServer));
    adminUrl = baseUrl(operatorServer);
  }
  return { url, adminUrl };
}

/** The gauges about all accounts, computed from Temporal (lib/account-gauges.ts). */
function accountGaugesFor(config: Config, parts: HttpParts, refreshMs: number | undefined) {
  return createAccountGauges(
    createAccountFacts({
      accounts: parts.accounts,
      client: parts.client,
      connection: parts.connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deploymentName: config.temporal.deployment.name,
    }),
    refreshMs
  );
}

/** The phone opt-outs the routes record and read, when the sms or whatsapp channel is on. */
function phoneOptOutsFor(config: Config, client: Client): PhoneOptOuts | undefined {
  const { channels, simulatedPhoneChannels } = config.notify;
  if (!simulatedPhoneChannels && !channels.some((c) => c === 'sms' || c === 'whatsapp')) return undefined;
  const { taskQueue } = config.temporal;
  return createPhoneOptOuts({ client, taskQueue, lookupSecret: config.phone.lookupSecret });
}

/** How long requests in flight when the listeners close may take to finish before their connections are cut. */
const IN_FLIGHT_GRACE_MS = 10_000;

interface DrainControl {
  isDraining: () => boolean;
  add: (server: Server) => void;
  drain: (periodMs: number) => Promise<void>;
}

/** The drain of every listener of the process, and the flag readiness reads. */
function drainControl(role: Config['role'], logger: Logger): DrainControl {
  let draining = false;
  const servers: DrainableServer[] = [];
  return {
    isDraining: () => draining,
    add: (server) => void servers.push(drainable(server)),
    async drain(periodMs) {
      if (draining) return;
      draining = true;
      for (const server of servers) server.startDraining();
      // Nothing routes traffic to a worker-only process: its health listener closes at once.
      const wait = role === 'worker' ? 0 : periodMs;
      logger.info({ drainMs: wait }, 'draining: readiness answers 503, requests are still served');
      await new Promise((resolve) => setTimeout(resolve, wait));
      await Promise.all(servers.map((server) => server.close(IN_FLIGHT_GRACE_MS)));
      logger.info('drained: listeners closed');
    },
  };
}

function codecServer(config: Config, codecKeys: CodecKey[]) {
  return {
    codec: new AesGcmCodec(codecKeys),
    allowedOrigins: config.temporal.uiOrigins,
    // The dev server's UI cannot send a token; only while nothing but this machine can reach the service.
    originsWithoutToken: config.development ? config.temporal.uiOrigins : [],
    namespace: config.temporal.namespace,
    ...(config.codecOidc && { oidc: createOidcVerifier(config.codecOidc) }),
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
