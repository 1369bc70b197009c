/**
 * History bound: one account through a simulated year on the time-skipping test server: an
 * `account_synced` every day, a re-auth cycle each month (reminders fire, the owner re-authorises after four
 * days, the grace-period sync runs), with the service's production settings. Then every run of the workflow
 * is read back: its number of events and the size of the state carried into it by continue-as-new.
 */
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { createMonoActivities } from '../../src/activities/mono/activities.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { startMonoSimulator } from '../../src/mono-sim/simulator.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { createAccountWorkflows } from '../../src/accounts/client.js';
import { startTimeSkippingEnv } from '../../test/helpers/time-skipping-env.js';
import { createMonoWorker, createWorker } from '../../src/worker.js';
import {
  stateQuery,
  workflowIdFor,
  type AccountLifecycleInput,
} from '../../src/workflows/account-lifecycle/api/messages.js';
import type { MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';
import type { LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { HistoryResult } from '../lib/results.js';
import { webhookBody, type Progress } from '../lib/stack.js';

const DAY_MS = 86_400_000;
/** The day of each 30-day month on which Mono asks for re-authorisation, and how long the owner takes. */
const REAUTH_DAY_OF_MONTH = 10;
const OWNER_TAKES_DAYS = 4;

export interface HistoryOptions {
  testServerPath: string;
  days: number;
  settings: LifecycleSettings;
  progress: Progress;
}

export async function measureHistoryBound({
  testServerPath,
  days,
  settings,
  progress,
}: HistoryOptions): Promise<HistoryResult> {
  const started = performance.now();
  progress(`history: one account through ${days} simulated days on the time-skipping test server`);
  const env: TestWorkflowEnvironment = await startTimeSkippingEnv(testServerPath);
  const sim = await startMonoSimulator(0, '127.0.0.1', { enforceSyncInterval: false });
  const silent = createLogger('silent');
  const taskQueue = 'bench-history';
  const mono = new MonoClient({
    baseUrl: sim.url,
    secretKey: sim.secretKey,
    timeoutMs: 5_000,
    outbound: DEVELOPMENT_OUTBOUND,
  });
  const { worker, connection: workerConnection } = await createWorker({
    connection: { address: env.address },
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      notifier: new Notifier(
        { channels: ['log'], outbound: DEVELOPMENT_OUTBOUND },
        createReauthLinks({ baseUrl: 'http://bench.invalid', secrets: ['bench'], ttlMs: 7 * DAY_MS }),
        silent
      ),
    }),
  });
  // Mono's calls run on their own task queue (MONO_MAX_RPS); here at the default rate.
  const monoWorker = await createMonoWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    activities: createMonoActivities({ mono }),
    maxRps: 10,
  });
  const monoRun = monoWorker.run();
  const workerRun = worker.run();
  try {
    const handOff = createAccountWorkflows({
      client: env.client,
      connection: env.connection,
      namespace: 'default',
      taskQueue,
      settings,
      deliverTimeoutMs: 30_000,
    }).deliver;
    const deliveryKey = createDeliveryKey('bench');
    const accountId = 'bench-history-year';
    const send = async (kind: MonoEventKind): Promise<void> => {
      const body = webhookBody(kind, accountId);
      const result = await handOff({
        kind,
        accountId,
        ...(kind === 'account_synced' ? { updated: true } : {}),
        deliveryKey: deliveryKey(body.event, accountId, body),
        receivedAt: new Date(await env.currentTimeMs()).toISOString(),
      });
      if (result.status !== 'accepted') throw new Error(`day event ${kind} not accepted`);
    };

    let reauthCycles = 0;
    let reauthSince: number | null = null;
    for (let day = 1; day <= days; day += 1) {
      if (reauthSince === null && day % 30 === REAUTH_DAY_OF_MONTH) {
        await send('reauthorisation_required');
        reauthSince = day;
        reauthCycles += 1;
      } else if (reauthSince !== null && day === reauthSince + OWNER_TAKES_DAYS) {
        await send('account_reauthorized');
        reauthSince = null;
      } else if (reauthSince === null) {
        await send('account_synced');
      }
      await env.sleep(DAY_MS);
      if (day % 30 === 0 || day === days) progress(`  day ${day}/${days}`);
    }

    const workflowId = workflowIdFor(accountId);
    const current = env.client.workflow.getHandle(workflowId);
    const finalState = (await current.query(stateQuery)).state;
    const runs: HistoryResult['runs'] = [];
    let runId: string | undefined = (await current.describe()).runId;
    while (runId) {
      const history: temporal.api.history.v1.IHistory = await env.client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory();
      const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const payload = startedEvent?.input?.payloads?.[0];
      const input = payload ? defaultPayloadConverter.fromPayload<AccountLifecycleInput>(payload) : undefined;
      runs.unshift({
        runId,
        events: history.events?.length ?? 0,
        carriedBytes: input?.carried ? Buffer.byteLength(JSON.stringify(input.carried)) : 0,
      });
      runId = startedEvent?.continuedExecutionRunId || undefined;
    }
    const maxEventsPerRun = Math.max(...runs.map((r) => r.events));
    const maxCarriedBytes = Math.max(...runs.map((r) => r.carriedBytes));
    return {
      days,
      reauthCycles,
      historyEventsPerRun: settings.historyEventsPerRun,
      runs,
      maxEventsPerRun,
      maxCarriedBytes,
      finalState,
      wallMs: Math.round(performance.now() - started),
      goals: { eventsAtMost2000: maxEventsPerRun <= 2_000, carriedAtMost32KiB: maxCarriedBytes <= 32 * 1024 },
    };
  } finally {
    worker.shutdown();
    monoWorker.shutdown();
    await Promise.all([workerRun.catch(() => undefined), monoRun.catch(() => undefined)]);
    await workerConnection.close();
    await sim.close();
    await env.teardown();
  }
}
