/**
 * The Mono-facing timers at their real lengths on the time-skipping test server, with the workflow calling the
 * Mono simulator over HTTP: the sync retry backoff (2m, 10m, 30m, 2h, 6h — the 6-hour step waited as 6 hours)
 * and escalation, the post-reauth grace period, Mono's transient faults, and operator retries.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { retrySyncSignal, retrySyncUpdate, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { SYNC_JITTER_SPREAD } from '../../src/workflows/account-lifecycle/model/sync-schedule.js';
import type { AccountView } from '../../src/workflows/account-lifecycle/model/types.js';
import { eventually, type Stack } from '../helpers/stack.js';
import { sleepUntilJustBefore, startTimeSkippingEnv, startTimeSkippingStack } from '../helpers/time-skipping.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let env: TestWorkflowEnvironment;
let stack: Stack;

beforeAll(async () => {
  env = await startTimeSkippingEnv(inject('temporalTestServerPath'));
  stack = await startTimeSkippingStack(env, {
    settings: { syncRetryBackoffMs: [2, 10, 30, 120, 360].map((m) => m * 60_000), reauthSyncGraceMs: 10 * 60_000 },
  });
});
afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});

const syncCalls = (id: string): number =>
  stack.sim.calls.filter((c) => c.accountId === id && c.path.endsWith('/sync')).length;

/** Waits (in real time, with the server clock held) until the account has made `n` sync calls and settled. */
async function afterCalls(
  id: string,
  n: number,
  settled: (v: AccountView) => boolean = () => true
): Promise<AccountView> {
  await eventually(
    () => Promise.resolve(syncCalls(id)),
    (count) => count === n
  );
  return eventually(
    () => stack.state(id),
    (v) => settled(v)
  );
}

/** Skips to just after the account's first scheduled sync (2 minutes after sync_failed, plus jitter). */
async function untilFirstSync(id: string): Promise<void> {
  const view = await eventually(
    () => stack.state(id),
    (v) => v.nextSyncAt !== null
  );
  await sleepUntilJustBefore(env, view.nextSyncAt!, 0);
  await env.sleep(10_000);
}

/** Checks that no further call happens: the server clock is held, so a short real wait is enough. */
async function stillCalls(id: string, n: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(syncCalls(id)).toBe(n);
}

describe('sync_failed: manual sync retries on the backoff schedule, then escalation', () => {
  it('retries at 2m, 10m, 30m, 2h and 6h, escalates after the fifth failure, and an operator retry recovers it', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, {
      sync: ['sync_error', 'incomplete_statement', 'sync_error', 'sync_error', 'sync_error', 'success'],
    });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    expect(await stack.state(id)).toMatchObject({ state: 'sync_failed', attempts: 0 });

    const MINUTE = 60_000;
    const steps: Array<[label: string, ms: number]> = [
      ['2m', 2 * MINUTE],
      ['10m', 10 * MINUTE],
      ['30m', 30 * MINUTE],
      ['2h', 120 * MINUTE],
      ['6h', 360 * MINUTE],
    ];
    let calls = 0;
    for (const [step, ms] of steps) {
      const before = await stack.state(id);
      const from = Date.parse(before.lastSync?.at ?? before.since!);
      // Each step is lengthened by up to 25% (jitter), never shortened.
      const wait = Date.parse(before.nextSyncAt!) - from;
      expect(wait, `the ${step} step`).toBeGreaterThanOrEqual(ms);
      expect(wait, `the ${step} step`).toBeLessThanOrEqual(ms * (1 + SYNC_JITTER_SPREAD));
      await sleepUntilJustBefore(env, before.nextSyncAt!, 5_000);
      await stillCalls(id, calls);
      await env.sleep(10_000);
      calls += 1;
      const view = await afterCalls(
        id,
        calls,
        (v) => v.attempts === calls && v.lastSync !== null && v.lastSync.at !== before.lastSync?.at
      );
      expect(view.state, `after the ${step} step`).toBe('sync_failed');
    }

    const escalated = await eventually(
      () => stack.state(id),
      (v) => v.escalated
    );
    expect(escalated).toMatchObject({ state: 'sync_failed', attempts: 5, nextSyncAt: null });
    expect(escalated.escalation?.reason).toMatch(/failed 5 times \(last: SYNC_ERROR\); waiting for an operator/);
    expect(escalated.history.at(-1)).toMatchObject({ from: 'sync_failed', to: 'sync_failed' });
    expect(escalated.history.at(-1)?.cause).toMatch(/^escalated: /);
    const described = await eventually(
      () => stack.client.workflow.getHandle(workflowIdFor(id)).describe(),
      (d) => d.searchAttributes.MonoEscalated?.[0] === true
    );
    expect(described.searchAttributes.MonoAccountState).toEqual(['sync_failed']);

    await env.sleep('7d');
    await stillCalls(id, 5); // escalated accounts wait for an operator

    const accepted = await stack.client.workflow
      .getHandle(workflowIdFor(id))
      .executeUpdate(retrySyncUpdate, { args: [{ reason: 'bank back up' }] });
    expect(accepted.state).toBe('sync_failed');
    const recovered = await afterCalls(id, 6, (v) => v.state === 'synced');
    expect(recovered).toMatchObject({ escalated: false, lastSync: { outcome: 'synced', code: 'SYNC_SUCCESSFUL' } });
    expect(recovered.history.map((t) => t.cause)).toContain('operator:retrySync (bank back up)');
    expect(recovered.history.at(-1)).toMatchObject({
      from: 'sync_failed',
      to: 'synced',
      cause: 'sync:SYNC_SUCCESSFUL',
    });
  });

  it('when a sync answers REAUTHORISATION_REQUIRED, then the account needs re-auth and retries stop', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['reauth_required'] });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    const view = await afterCalls(id, 1, (v) => v.state === 'reauth_required');
    expect(view).toMatchObject({
      nextSyncAt: null,
      history: expect.arrayContaining([expect.objectContaining({ cause: 'sync:REAUTHORISATION_REQUIRED' })]),
    });
    await env.sleep('1d');
    await stillCalls(id, 1);
  });

  it('when Mono answers 500 once, then the activity retries two minutes later and the account syncs', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['server_error', 'success_legacy_spelling'] });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    await afterCalls(id, 1);
    await env.sleep('2m');
    const view = await afterCalls(id, 2, (v) => v.state === 'synced');
    expect(view.lastSync).toMatchObject({ outcome: 'synced', code: 'SYNCED_SUCCESSFULLY' });
  });

  it('when Mono answers 429 with Retry-After: 300, then the next call waits five minutes', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['rate_limited', 'success'], retryAfterSeconds: 300 });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    await afterCalls(id, 1);
    await env.sleep('4m');
    await stillCalls(id, 1);
    await env.sleep('1m');
    await afterCalls(id, 2, (v) => v.state === 'synced');
  });

  it('when Mono answers 429 with a Retry-After under 2 minutes, the next call still waits 2 minutes', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['rate_limited', 'success'], retryAfterSeconds: 30 });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    await afterCalls(id, 1);
    await env.sleep('1m');
    await stillCalls(id, 1);
    await env.sleep('1m');
    await afterCalls(id, 2, (v) => v.state === 'synced');
  });

  it('an operator retry seconds after the activity’s last retry waits 2 minutes from that call', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['server_error', 'server_error', 'server_error', 'success'] });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    await afterCalls(id, 1);
    await env.sleep('2m');
    await afterCalls(id, 2);
    await env.sleep('4m');
    const failed = await afterCalls(id, 3, (v) => v.lastSync?.outcome === 'error');
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const accepted = await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'right after' }] });
    expect(Date.parse(accepted.syncAt) - Date.parse(failed.lastSync!.at)).toBeGreaterThanOrEqual(2 * 60_000);
    await env.sleep('1m');
    await stillCalls(id, 3);
    await env.sleep('1m');
    await afterCalls(id, 4, (v) => v.state === 'synced');
  });

  it('when Mono does not know the account (404), then it escalates at once with what to do', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['not_found'] });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    await untilFirstSync(id);
    const view = await afterCalls(id, 1, (v) => v.escalated);
    expect(view.escalation?.reason).toMatch(/404.*unlinked or belong to another Mono app/);
    await env.sleep('1d');
    await stillCalls(id, 1);
  });
});

describe('reauthorised: grace period for fresh data', () => {
  it('when no fresh data arrives within 10 minutes, then it triggers a sync itself', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['success'] });
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    const view0 = await stack.state(id);
    expect(Date.parse(view0.nextSyncAt!) - Date.parse(view0.since!)).toBe(10 * 60_000);
    await sleepUntilJustBefore(env, view0.nextSyncAt!, 5_000);
    await stillCalls(id, 0);
    await env.sleep('10s');
    const view = await afterCalls(id, 1, (v) => v.state === 'synced');
    expect(view.history.at(-1)).toMatchObject({ from: 'reauthorised', to: 'synced', cause: 'sync:SYNC_SUCCESSFUL' });
  });

  it('when account_updated arrives within the grace period, then no sync is made', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    await env.sleep('3m');
    await stack.post(webhookBody(id, { kind: 'account_updated', dataStatus: 'available' }));
    expect((await stack.state(id)).state).toBe('synced');
    await env.sleep('1h');
    await stillCalls(id, 0);
  });

  it('when the post-grace sync fails, then the account enters sync_failed and its backoff', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['sync_error'] });
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    await env.sleep('10m');
    const view = await afterCalls(id, 1, (v) => v.state === 'sync_failed');
    expect(view).toMatchObject({
      attempts: 0,
      history: expect.arrayContaining([expect.objectContaining({ cause: 'sync:SYNC_ERROR' })]),
    });
    await untilFirstSync(id);
    await afterCalls(id, 2);
  });
});

describe('operator retrySync', () => {
  it('is refused with a reason when the account is synced, by update; a signal is ignored', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'account_synced' }));
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const refused = await handle.executeUpdate(retrySyncUpdate, { args: [{}] }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toBe(
      'the account is synced; there is nothing to retry'
    );
    await handle.signal(retrySyncSignal, {});
    await env.sleep('10m');
    await stillCalls(id, 0);
  });

  it('never syncs an account more than once per 2 minutes, however often operators ask', async () => {
    const id = newAccountId();
    stack.sim.setScenario(id, { sync: ['sync_error'] });
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'first' }] });
    await afterCalls(id, 1);
    const second = await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'again' }] });
    await handle.signal(retrySyncSignal, { reason: 'and again' });
    const first = (await stack.state(id)).lastSync!;
    expect(Date.parse(second.syncAt) - Date.parse(first.at)).toBeGreaterThanOrEqual(2 * 60_000 - 1_000);
    await env.sleep('1m');
    await stillCalls(id, 1);
    await env.sleep('1m');
    await afterCalls(id, 2);
  });
});
