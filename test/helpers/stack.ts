/**
 * A real slice of the service for integration tests, wired by the service's own `startService`: a Temporal
 * worker on its own task queue, the Express app on a real port, the Mono simulator, all pointed at a real
 * Temporal server.
 */
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, type Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import type { NotifierConfig } from '../../src/activities/notify/notifier.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import type { ReauthLinks } from '../../src/lib/reauth-link.js';
import type { Tracing } from '../../src/lib/tracing.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import type { MonoSimulator, SimulatorOptions } from '../../src/mono-sim/simulator.js';
import { startService } from '../../src/service.js';
import { workflowBundleOptions } from '../../src/worker.js';
import { stateQuery, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { LIFECYCLE_DEFAULTS, type LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { AccountView } from '../../src/workflows/account-lifecycle/model/types.js';
import { parseCodecKeys } from '../../src/temporal/codec.js';
import { loadTemporalTarget } from '../../src/temporal/connection.js';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import { REPLAY_CODEC_KEYS_TEXT } from '../replay/codec-fixture.js';
import { TEST_SECRET } from './webhooks.js';

// One Runtime per test process, installed on import so that it precedes any test environment or worker.
Runtime.install({ logger: new DefaultLogger('WARN') });

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  if (!bundle) {
    bundle = bundleWorkflowCode({
      ...workflowBundleOptions(),
      logger: new DefaultLogger('WARN'),
    });
  }
  return bundle;
}

let nextBundle: Promise<WorkflowBundle> | undefined;
/** The bundle of the next build's workflows (test/fixtures/next-build-workflows.ts: one small change). */
export function nextBuildBundle(): Promise<WorkflowBundle> {
  nextBundle ??= bundleWorkflowCode({
    ...workflowBundleOptions(fileURLToPath(new URL('../fixtures/next-build-workflows.ts', import.meta.url))),
    logger: new DefaultLogger('WARN'),
  });
  return nextBundle;
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
  /** How often the account gauges are recounted (default: the service's 30 s). */
  gaugeRefreshMs?: number;
  /** More configuration variables, as the service reads them (e.g. ADMIN_ADDRESS). */
  env?: Record<string, string>;
  /**
   * Temporal connection variables (TEMPORAL_TLS_*, TEMPORAL_API_KEY) for the client and the worker only: a secured
   * Temporal ends development mode, and the stack keeps the simulator and the test secrets of development.
   */
  temporalEnv?: Record<string, string>;
  /** The worker's workflow bundle (another build's); the current code's by default. */
  workflowBundle?: WorkflowBundle;
  /** Tracing (src/lib/tracing.ts); off by default. */
  tracing?: Tracing;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token';
/** The payload codec key of every test stack (a public test value, like the replay fixture's). */
export const TEST_CODEC_KEYS = REPLAY_CODEC_KEYS_TEXT;
export const TEST_LINK_SECRET = 'test-link-secret';

export interface Stack {
  baseUrl: string;
  /** The operator listener (admin API, /metrics): `baseUrl` unless ADMIN_ADDRESS gave it its own. */
  adminUrl: string;
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
  const base = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    MONO_SIM_PORT: '0',
    TEMPORAL_ADDRESS: options.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONO_WEBHOOK_SECRET: (options.secrets ?? [TEST_SECRET]).join(','),
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    REAUTH_LINK_SECRET: TEST_LINK_SECRET,
    DELIVERY_KEY_SECRET: 'test-delivery-key',
    PUBLIC_BASE_URL: 'http://reauth.test',
    MONO_PUBLIC_KEY: 'test_pk_page',
    INGRESS_TIMEOUT: `${options.ingressTimeoutMs ?? 5_000}ms`,
    MONO_REQUEST_TIMEOUT: `${options.monoTimeoutMs ?? 5_000}ms`,
    WORKER_METRICS_ADDRESS: 'off',
    TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
    ...options.env,
  });
  const config = {
    ...base,
    temporal: options.temporalEnv
      ? { ...base.temporal, target: loadTemporalTarget(options.temporalEnv, base.temporal) }
      : base.temporal,
    lifecycle: { ...DEFAULT_SETTINGS, ...options.settings },
    notify: { ...base.notify, channels: ['log' as const], ...options.notify },
  };
  const metrics = createMetrics();
  const logs = options.logs;
  const logger = logs
    ? createLogger(
        'info',
        new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString('utf8')), done()) })
      )
    : createLogger('silent');
  // A test environment's connection gets a client with the stack's payload codec.
  const temporal = options.temporal && {
    connection: options.temporal.connection,
    client: new Client({
      connection: options.temporal.connection,
      namespace: 'default',
      dataConverter: dataConverterFor(parseCodecKeys(TEST_CODEC_KEYS)),
    }),
  };
  const service = await startService({
    config,
    logger,
    metrics,
    temporal,
    simulator: options.sim,
    workerOptions: { workflowBundle: options.workflowBundle ?? (await workflowBundle()), shutdownGraceTime: '1s' },
    gaugeRefreshMs: options.gaugeRefreshMs,
    ...(options.tracing && { tracing: options.tracing }),
  });
  const baseUrl = service.url;
  const { client, connection } = service;

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
    adminUrl: service.adminUrl,
    links: service.links,
    metrics,
    // An ingress-only stack (SERVICE_ROLE=ingress) has no worker and so no simulator.
    sim: service.mono?.simulator as MonoSimulator,
    client,
    connection,
    taskQueue,
    postRaw,
    post: (body, headers) => postRaw(JSON.stringify(body), headers),
    state: (accountId) => client.workflow.getHandle(workflowIdFor(accountId)).query(stateQuery),
    stop: () => service.stop(),
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
