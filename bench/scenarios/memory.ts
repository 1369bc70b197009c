/**
 * Memory per cached workflow, as the JS heap sees it after a full garbage collection: accounts are created in the
 * bench's own process (the worker in debug mode runs workflows on the main thread, where the heap can be read),
 * each left waiting for re-authorisation with its reminder timer set, and never evicted (the cache holds them
 * all). Measured twice: accounts whose calls carry no trace context, then accounts whose calls carry one (as when
 * tracing is on at the ingress), since a traced run loads OpenTelemetry into its workflow context
 * (src/workflows/tracing-interceptors.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createAccountWorkflows } from '../../src/accounts/client.js';
import { createActivities } from '../../src/activities/index.js';
import { createMonoActivities } from '../../src/activities/mono/activities.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { startMonoSimulator } from '../../src/mono-sim/simulator.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { createMonoWorker, createWorker } from '../../src/worker.js';
import { deploymentOptions, promoteAtStart } from '../../src/deployment/start-up.js';
import { stateQuery, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import type { LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { MemoryResult } from '../lib/results.js';
import { freePort } from '../../src/lib/free-port.js';
import { webhookBody, type Progress } from '../lib/stack.js';

export interface MemoryOptions {
  cliPath: string;
  accounts: number;
  settings: LifecycleSettings;
  progress: Progress;
}

const WARM_UP_ACCOUNTS = 20;
const VERSION = { deploymentName: 'bench-memory', buildId: 'bench' };
const KiB = 1024;

/** A full collection, however the process was started. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

function heapAfterGc(): { heap: number; rss: number } {
  fullGc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** Adds the trace context a traced ingress sends (a sampled W3C traceparent) to every call that starts a run. */
const traceContext: WorkflowClientInterceptor = {
  async signalWithStart(input, next) {
    const carrier = { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` };
    return next({
      ...input,
      headers: { ...input.headers, '_tracer-data': defaultPayloadConverter.toPayload(carrier) },
    });
  },
};

export async function measureMemory({ cliPath, accounts, settings, progress }: MemoryOptions): Promise<MemoryResult> {
  progress(`memory: ${accounts} accounts untraced, then ${accounts} traced, in one worker (debug mode: main thread)`);
  const server = await startDevServer({ cliPath, host: '127.0.0.1', port: await freePort(), onProgress: progress });
  const sim = await startMonoSimulator(0, '127.0.0.1', { enforceSyncInterval: false });
  const taskQueue = 'bench-memory';
  const silent = createLogger('silent');
  const { worker, connection: workerConnection } = await createWorker({
    connection: { address: server.address },
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      notifier: new Notifier(
        { channels: ['log'], outbound: DEVELOPMENT_OUTBOUND },
        createReauthLinks({ baseUrl: 'http://bench.invalid', secrets: ['bench'], ttlMs: 86_400_000 }),
        silent
      ),
    }),
    options: {
      debugMode: true,
      maxCachedWorkflows: WARM_UP_ACCOUNTS + 2 * accounts + 10,
      ...deploymentOptions(VERSION),
    },
  });
  const mono = new MonoClient({ baseUrl: sim.url, secretKey: sim.secretKey, outbound: DEVELOPMENT_OUTBOUND });
  const monoWorker = await createMonoWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    activities: createMonoActivities({ mono }),
    maxRps: 1000,
  });
  const runs = [worker.run(), monoWorker.run()];
  const connection = await Connection.connect({ address: server.address });
  try {
    const target = { connection, namespace: 'default', deploymentName: VERSION.deploymentName };
    await promoteAtStart(target, VERSION.buildId, 'always', silent);
    const clientFor = (interceptors: WorkflowClientInterceptor[]) =>
      new Client({ connection, interceptors: { workflow: interceptors } });
    const deliveryKey = createDeliveryKey('bench');
    const create = async (client: Client, prefix: string, n: number): Promise<void> => {
      const hand = createAccountWorkflows({ client, connection, namespace: 'default', taskQueue, settings });
      const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
      for (const accountId of ids) {
        const body = webhookBody('reauthorisation_required', accountId);
        await hand.deliver({
          kind: 'reauthorisation_required',
          accountId,
          deliveryKey: deliveryKey(body.event, accountId, body),
          receivedAt: new Date().toISOString(),
        });
      }
      for (const accountId of ids) await waitForReauthRequired(client, accountId);
      progress(`  ${prefix}: ${n} accounts waiting for re-authorisation, all cached`);
    };
    await create(clientFor([]), 'warm-up', WARM_UP_ACCOUNTS);
    const base = heapAfterGc();
    await create(clientFor([]), 'untraced', accounts);
    const untraced = heapAfterGc();
    await create(clientFor([traceContext]), 'traced', accounts);
    const traced = heapAfterGc();
    const perKiB = (after: number, before: number) => Math.round((after - before) / accounts / KiB);
    return {
      accounts,
      heapKiBPerCachedWorkflow: {
        untraced: perKiB(untraced.heap, base.heap),
        traced: perKiB(traced.heap, untraced.heap),
      },
      rssKiBPerCachedWorkflow: { untraced: perKiB(untraced.rss, base.rss), traced: perKiB(traced.rss, untraced.rss) },
      goals: { untracedAtMost150KiB: perKiB(untraced.heap, base.heap) <= 150 },
    };
  } finally {
    worker.shutdown();
    monoWorker.shutdown();
    await Promise.all(runs.map((r) => r.catch(() => undefined)));
    await workerConnection.close();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

async function waitForReauthRequired(client: Client, accountId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowIdFor(accountId));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const view = await handle.query(stateQuery);
    if (view.state === 'reauth_required') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${accountId} did not reach reauth_required`);
}
