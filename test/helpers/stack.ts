/**
 * A real slice of the service for integration tests: a Temporal worker on its own task queue, the Express
 * app on a real port, and a client, all pointed at a real Temporal server.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier, type NotifierConfig } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { createReauthLinks, type ReauthLinks } from '../../src/lib/reauth-link.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { createAccounts } from '../../src/operators/accounts.js';
import { startMonoSimulator, type MonoSimulator, type SimulatorOptions } from '../../src/mono-sim/simulator.js';
import { createApp } from '../../src/server/app.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { createHandOff } from '../../src/server/webhooks/hand-off.js';
import { isTemporalReachable } from '../../src/temporal/client.js';
import { createWorker, workflowsPath } from '../../src/worker.js';
import { stateQuery, workflowIdFor } from '../../src/workflows/account-lifecycle/messages.js';
import { LIFECYCLE_DEFAULTS } from '../../src/workflows/account-lifecycle/settings.js';
import type { AccountView, LifecycleSettings } from '../../src/workflows/account-lifecycle/types.js';
import { TEST_SECRET } from './webhooks.js';

// One Runtime per test process, installed on import so that it precedes any test environment or worker.
Runtime.install({ logger: new DefaultLogger('WARN') });

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  }
  return bundle;
}

export const DEFAULT_SETTINGS: LifecycleSettings = {
  dedupeWindowMs: 60 * 60_000,
  historyEventsPerRun: 1_500,
  syncRetryBackoffMs: LIFECYCLE_DEFAULTS.syncRetryBackoffMs,
  reauthSyncGraceMs: LIFECYCLE_DEFAULTS.reauthSyncGraceMs,
};

export interface StackOptions {
  address: string;
  taskQueue?: string;
  settings?: Partial<LifecycleSettings>;
  secrets?: string[];
  ingressTimeoutMs?: number;
  /** Use this client and connection (e.g. a time-skipping environment's) instead of connecting to `address`. */
  temporal?: { client: Client; connection: Connection };
  /** Options of the Mono simulator the stack's activities talk to (its webhooks go to this stack's app). */
  sim?: Omit<SimulatorOptions, 'webhookTarget'>;
  monoTimeoutMs?: number;
  /** Notification channels (default: log only). */
  notify?: Partial<NotifierConfig>;
  /** Collects the service's log lines (JSON strings) here; otherwise logging is silent. */
  logs?: string[];
}

export const TEST_ADMIN_TOKEN = 'test-admin-token';
export const TEST_LINK_SECRET = 'test-link-secret';

export interface Stack {
  baseUrl: string;
  links: ReauthLinks;
  metrics: Metrics;
  sim: MonoSimulator;
  client: Client;
  connection: Connection;
  taskQueue: string;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  postRaw(
    body: string | Buffer,
    headers?: Record<string, string>
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  state(accountId: string): Promise<AccountView>;
  stop(): Promise<void>;
}

let queueCounter = 0;

export async function startStack(options: StackOptions): Promise<Stack> {
  queueCounter += 1;
  const taskQueue = options.taskQueue ?? `test-${process.pid}-${queueCounter}`;
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const metrics = createMetrics();
  const links = createReauthLinks({ baseUrl: 'http://reauth.test', secret: TEST_LINK_SECRET, ttlMs: 7 * 86_400_000 });
  const connection = options.temporal?.connection ?? Connection.lazy({ address: options.address });
  const client = options.temporal?.client ?? new Client({ connection });

  const logs = options.logs;
  const logger = logs
    ? createLogger(
        'info',
        new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString('utf8')), done()) })
      )
    : createLogger('silent');
  const accounts = createAccounts({ client, connection, namespace: 'default', taskQueue, settings });
  const handOff = createHandOff({
    client,
    connection,
    taskQueue,
    settings,
    timeoutMs: options.ingressTimeoutMs ?? 5_000,
  });
  const app = createApp({
    metrics,
    admin: { token: TEST_ADMIN_TOKEN, accounts },
    reauthPage: { links, accounts, monoPublicKey: 'test_pk_page' },
    webhookSecrets: options.secrets ?? [TEST_SECRET],
    deliveryKey: createDeliveryKey('test-delivery-key'),
    handOff,
    logger,
    isReady: () => isTemporalReachable(connection, 1_000),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sim = await startMonoSimulator(0, '127.0.0.1', {
    ...options.sim,
    webhookTarget: { url: `${baseUrl}/webhooks/mono`, secret: (options.secrets ?? [TEST_SECRET])[0]! },
  });
  const mono = new MonoClient({
    baseUrl: sim.url,
    secretKey: sim.secretKey,
    timeoutMs: options.monoTimeoutMs ?? 5_000,
    onCall: (endpoint, outcome) => metrics.monoCalls.inc({ endpoint, outcome }),
  });
  const created = await createWorker({
    address: options.address,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      mono,
      notifier: new Notifier({ channels: ['log'], ...options.notify }, links, logger.child({ source: 'notifier' })),
    }),
    options: { workflowBundle: await workflowBundle(), shutdownGraceTime: '1s' },
  });
  const { worker } = created;
  const workerRun = worker.run();

  const postRaw: Stack['postRaw'] = async (body, headers = {}) => {
    const res = await fetch(`${baseUrl}/webhooks/mono`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mono-webhook-secret': TEST_SECRET, ...headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  return {
    baseUrl,
    links,
    metrics,
    sim,
    client,
    connection,
    taskQueue,
    postRaw,
    post: (body, headers) => postRaw(JSON.stringify(body), headers),
    state: (accountId) => client.workflow.getHandle(workflowIdFor(accountId)).query(stateQuery),
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await created.connection.close();
      if (!options.temporal) await connection.close();
      await sim.close();
    },
  };
}

/** Polls `probe` until `ok` accepts its value; throws with the last value after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 15_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}; last error: ${String(lastError)}`
  );
}
