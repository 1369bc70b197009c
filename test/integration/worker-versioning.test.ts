/**
 * Worker Versioning on real parts (the dev server, two services on real ports, receivers on real ports): build A
 * is the released code, build B the same code with one change that would break running accounts under patching
 * (test/fixtures/next-build-workflows.ts). Accounts started on A stay on A while B polls; once B is current every
 * account, idle ones included, continues as new onto B with its state, dedupe memory, queued notices and dead
 * letters; a rollback to A moves them back; and once A has drained its workers stop with no task stuck.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { sweepNow } from '../../src/deployment/schedule.js';
import { describeDeployment, promoteBuild, type DeploymentTarget } from '../../src/deployment/versions.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import type { AccountView } from '../../src/workflows/account-lifecycle/model/types.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';
import { eventually, nextBuildBundle, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const DEPLOYMENT = `versioning-${process.pid}`;
const TASK_QUEUE = `versioning-${process.pid}`;
const HOUR = 3_600_000;

let hook: Receiver;
let a: Stack | undefined;
let b: Stack | undefined;
let target: DeploymentTarget;
/** Accounts by role: an idle synced one, one with a re-auth notice being retried, one with a dead letter. */
const ids = { idle: newAccountId(), retrying: newAccountId(), deadLetter: newAccountId() };
const all = Object.values(ids);
const firstBodies = new Map<string, ReturnType<typeof webhookBody>>();

const stackOn = (buildId: string, promote: 'always' | 'never', extra: Parameters<typeof startStack>[0] | object = {}) =>
  startStack({
    address: inject('temporalAddress'),
    taskQueue: TASK_QUEUE,
    settings: { notifyRetryForMs: 2 * HOUR },
    notify: { channels: ['log', 'webhook'], webhookUrl: hook.url, webhookSecret: TEST_WHSEC },
    env: {
      TEMPORAL_DEPLOYMENT_NAME: DEPLOYMENT,
      TEMPORAL_WORKER_BUILD_ID: buildId,
      TEMPORAL_WORKER_PROMOTE: promote,
      UPGRADE_SWEEP_EVERY: '1m',
    },
    ...extra,
  });

/** The build the account's open run is pinned to. */
async function buildOf(stack: Stack, accountId: string): Promise<string | undefined> {
  const described = await stack.client.workflow.getHandle(workflowIdFor(accountId)).describe();
  return described.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId ?? undefined;
}

/** What must survive a move: everything but the run's own counters. */
const carried = ({ run: _run, ...rest }: AccountView) => rest;

async function allOn(stack: Stack, buildId: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await eventually(
    () => Promise.all(all.map((id) => buildOf(stack, id))),
    (builds) => builds.every((x) => x === buildId),
    timeoutMs
  );
  return Date.now() - started;
}

beforeAll(async () => {
  hook = await receiver((accountId) => (accountId === ids.deadLetter ? 400 : accountId === ids.retrying ? 500 : 204));
  a = await stackOn('A', 'always');
  target = { connection: a.connection, namespace: 'default', deploymentName: DEPLOYMENT };
  const send = async (id: string, kind: 'account_synced' | 'reauthorisation_required') => {
    const body = webhookBody(id, { kind });
    firstBodies.set(id, body);
    expect((await a!.post(body)).status).toBe(200);
  };
  await send(ids.idle, 'account_synced');
  await send(ids.retrying, 'reauthorisation_required');
  await send(ids.deadLetter, 'reauthorisation_required');
  await eventually(
    () => a!.state(ids.deadLetter),
    (v) => v.notices.undelivered.length === 1
  );
  // Past the second attempt (5 s after the first), the next one is minutes away: the notice stays as it is while
  // the tests compare what each move carried.
  await eventually(
    () => a!.state(ids.retrying),
    (v) => (v.notices.pending[0]?.channels.webhook?.attempts ?? 0) >= 2,
    30_000
  );
}, 120_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await hook?.close();
});

it('keeps every account on build A while build B polls but is not current', async () => {
  b = await stackOn('B', 'never', { workflowBundle: await nextBuildBundle() });
  const deployment = await eventually(
    () => describeDeployment(target),
    (d) => (d?.builds.length ?? 0) === 2
  );
  expect(deployment?.current).toBe('A');
  expect(deployment?.builds.find((x) => x.buildId === 'B')?.status).toBe('inactive');
  // A webhook wakes the account: it stays on A, whose code it was recorded with.
  expect((await b.post(webhookBody(ids.idle, { kind: 'account_updated', dataStatus: 'available' }))).status).toBe(200);
  await eventually(
    () => b!.state(ids.idle),
    (v) => v.counts.events === 2
  );
  for (const id of all) expect(await buildOf(b, id)).toBe('A');
  const brandNew = newAccountId();
  expect((await b.post(webhookBody(brandNew, { kind: 'account_connected' }))).status).toBe(200);
  await eventually(
    () => buildOf(b!, brandNew),
    (x) => x === 'A'
  );
});

it('moves every account, idle ones included, to B once it is current, with its state intact', async () => {
  const before = new Map(await Promise.all(all.map(async (id) => [id, carried(await b!.state(id))] as const)));
  await promoteBuild(target, 'B');
  await sweepNow(b!.client, TASK_QUEUE);
  const tookMs = await allOn(b!, 'B');
  console.log(`moved ${all.length} accounts to build B in ${tookMs} ms after the promotion`);
  for (const id of all) {
    const view = await b!.state(id);
    expect(view.run.number).toBeGreaterThan(1);
    expect(carried(view)).toEqual(before.get(id));
  }
  // Dedupe memory came along: the first webhook again is a duplicate.
  expect((await b!.post(firstBodies.get(ids.idle)!)).status).toBe(200);
  await eventually(
    () => b!.state(ids.idle),
    (v) => v.counts.duplicates === 1
  );
  // The queued notice is still retried under its id, and the dead letter can still be redelivered.
  const pendingId = before.get(ids.retrying)!.notices.pending[0]!.id;
  await eventually(
    () => Promise.resolve(hook.hits.filter((h) => h.id === pendingId).length),
    (n) => n >= 2,
    30_000
  );
  expect((await b!.state(ids.deadLetter)).notices.undelivered[0]?.id).toBe(
    before.get(ids.deadLetter)!.notices.undelivered[0]!.id
  );
});

it('rolls back to A: the accounts that moved to B move back when woken', async () => {
  await promoteBuild(target, 'A');
  await sweepNow(b!.client, TASK_QUEUE);
  const tookMs = await allOn(b!, 'A');
  console.log(`rolled ${all.length} accounts back to build A in ${tookMs} ms`);
  expect((await b!.state(ids.retrying)).state).toBe('reauth_required');
});

it('moves idle accounts on the sweep schedule alone, drains A, and A’s workers stop with no task left behind', async () => {
  // This time no one asks for a sweep: the schedule's next one (every minute here) wakes the idle accounts.
  await promoteBuild(target, 'B');
  const tookMs = await allOn(b!, 'B', 90_000);
  console.log(`the scheduled sweep moved ${all.length} accounts to build B in ${tookMs} ms after the promotion`);
  const drained = await eventually(
    () => describeDeployment(target),
    (d) => d?.builds.find((x) => x.buildId === 'A')?.status === 'drained',
    60_000
  );
  expect(drained?.builds.find((x) => x.buildId === 'A')?.accounts).toBe(0);
  await a!.stop();
  a = undefined;
  for (const id of all) {
    expect((await b!.post(webhookBody(id, { kind: 'account_updated', dataStatus: 'available' }))).status).toBe(200);
  }
  for (const id of all) {
    await eventually(
      () => b!.state(id),
      (v) => v.state === 'synced' && v.lastEvent?.cause === 'account_updated:available'
    );
    // Every task of the account is picked up by B's workers: none waits for A's.
    await eventually(
      () => b!.client.workflow.getHandle(workflowIdFor(id)).describe(),
      (d) => !d.raw.pendingWorkflowTask
    );
  }
}, 180_000);
