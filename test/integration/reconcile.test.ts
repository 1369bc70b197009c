/**
 * Reconciliation on real parts: the simulator changes accounts on Mono's side and loses the webhook on purpose,
 * the reconcile Schedule (created by the worker at start-up) is triggered by hand, its run pages visibility on the
 * dev server, each account asks the simulator over HTTP through the Mono task queue, and the corrections show in
 * the account's state, history, search attributes and /metrics.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureReconcileSchedule, reconcileScheduleId } from '../../src/reconcile/schedule.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import type { ReconcileTotals } from '../../src/workflows/reconcile.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId } from '../helpers/webhooks.js';

let stack: Stack;
const SILENT_AFTER_MS = 6_000;
beforeAll(async () => {
  stack = await startStack({
    address: inject('temporalAddress'),
    env: { RECONCILE_STUCK_AFTER: '2s', RECONCILE_SILENT_AFTER: `${SILENT_AFTER_MS / 1000}s` },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const stateOf = (id: string, state: string) =>
  eventually(
    () => stack.state(id),
    (v) => v.state === state
  );

/** Triggers the schedule and waits for the run it started; returns the run's totals. */
async function reconcileNow(): Promise<ReconcileTotals> {
  const handle = stack.client.schedule.getHandle(reconcileScheduleId(stack.taskQueue));
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const described = await eventually(
    () => handle.describe(),
    (d) => d.info.recentActions.length > before,
    20_000
  );
  const action = described.info.recentActions.at(-1)!.action;
  const run = stack.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
  return (await run.result()) as ReconcileTotals;
}

async function metricsText(): Promise<string> {
  return (await fetch(`${stack.adminUrl}/metrics`)).text();
}

describe('the reconcile schedule', () => {
  it('is created by the worker at start-up with its interval, overlap and catch-up policies, and stays paused across an update', async () => {
    const id = reconcileScheduleId(stack.taskQueue);
    const handle = stack.client.schedule.getHandle(id);
    const described = await handle.describe();
    expect(described.spec.intervals).toMatchObject([{ every: 6 * 3600_000 }]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.policies.catchupWindow).toBe(6 * 3600_000);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileAccounts' });
    expect(described.state.paused).toBe(false);

    // An operator pauses it (the Web UI and `temporal schedule toggle` do the same); a restart keeps the pause.
    await handle.pause('test: paused by an operator');
    const settings = { everyMs: 3 * 3600_000, stuckAfterMs: 2_000, silentAfterMs: SILENT_AFTER_MS, concurrency: 20 };
    expect(await ensureReconcileSchedule(stack.client, stack.taskQueue, settings)).toBe('updated');
    const updated = await handle.describe();
    expect(updated.spec.intervals).toMatchObject([{ every: 3 * 3600_000 }]);
    expect(updated.state.paused).toBe(true);
    await handle.unpause();
    await ensureReconcileSchedule(stack.client, stack.taskQueue, { ...settings, everyMs: 6 * 3600_000 });
  });
});

describe('lost webhooks and silent accounts, corrected by a reconcile run', () => {
  const reauthorised = newAccountId();
  const stillNeedsReauth = newAccountId();
  const unlinked = newAccountId();
  const silentBroken = newAccountId();
  const fresh = newAccountId();

  beforeAll(async () => {
    const sim = stack.sim;
    for (const id of [reauthorised, stillNeedsReauth]) {
      await sim.change(id, { change: 'require_reauth' }); // the webhook arrives
      await stateOf(id, 'reauth_required');
    }
    for (const id of [unlinked, silentBroken]) {
      await sim.change(id, { change: 'data_status', dataStatus: 'AVAILABLE' });
      await stateOf(id, 'synced');
    }
    // Behind the service's back: the webhooks for these changes are lost.
    await sim.change(reauthorised, { change: 'reauthorise', webhook: false });
    await sim.change(unlinked, { change: 'unlink', webhook: false });
    await sim.change(silentBroken, { change: 'data_status', dataStatus: 'FAILED', webhook: false });
    // Past the silence threshold for the older accounts; `fresh` has just been heard from.
    await new Promise((r) => setTimeout(r, SILENT_AFTER_MS + 500));
    await sim.change(fresh, { change: 'data_status', dataStatus: 'AVAILABLE' });
    await stateOf(fresh, 'synced');
    sim.calls.length = 0;
  }, 60_000);

  it('moves the re-authorised account to synced and stops its reminders; closes the unlinked one; corrects the silent one', async () => {
    const totals = await reconcileNow();
    expect(totals).toMatchObject({ checked: 4, corrected: 3, confirmed: 1, failed: 0 });

    const synced = await stack.state(reauthorised);
    expect(synced.state).toBe('synced');
    expect(synced.reauth).toBeNull(); // reminders and the escalation deadline are gone
    expect(synced.history.at(-1)).toMatchObject({
      from: 'reauth_required',
      to: 'synced',
      cause: 'reconcile:details:available → sync:SYNC_SUCCESSFUL',
    });
    expect(synced.check?.last).toMatchObject({ reason: 'reconcile', outcome: 'corrected', from: 'reauth_required' });

    // Details cannot tell whether an owner re-authorised; the manual sync can, and says not yet.
    const waiting = await stack.state(stillNeedsReauth);
    expect(waiting.state).toBe('reauth_required');
    expect(waiting.reauth?.nextReminderAt).not.toBeNull();
    expect(waiting.check?.last).toMatchObject({
      outcome: 'confirmed',
      observed: 'details:available → sync:REAUTHORISATION_REQUIRED',
    });

    const closed = stack.client.workflow.getHandle(workflowIdFor(unlinked));
    expect((await closed.describe()).status.name).toBe('COMPLETED');
    const final = await closed.query<{ state: string; history: Array<{ cause: string }> }>('state');
    expect(final.state).toBe('unlinked');
    expect(final.history.at(-1)?.cause).toBe('reconcile:details:not_found');

    const failed = await stack.state(silentBroken);
    expect(failed.state).toBe('sync_failed');
    expect(failed.history.at(-1)).toMatchObject({ from: 'synced', cause: 'reconcile:details:failed' });

    // The account heard from a moment ago was not asked about; every Mono call went through the simulator.
    const asked = new Set(stack.sim.calls.map((c) => c.accountId));
    expect(asked.has(fresh)).toBe(false);
    expect(stack.sim.calls.filter((c) => c.accountId === reauthorised).map((c) => `${c.method} ${c.path}`)).toEqual([
      `GET /v2/accounts/${reauthorised}`,
      `POST /accounts/${reauthorised}/sync`,
    ]);

    const text = await metricsText();
    expect(text).toContain('mono_reauth_reconcile_corrections_total{from="reauth_required",to="synced"} 1');
    expect(text).toContain('mono_reauth_reconcile_corrections_total{from="synced",to="unlinked"} 1');
    expect(text).toContain('mono_reauth_reconcile_corrections_total{from="synced",to="sync_failed"} 1');
    expect(text).toMatch(/mono_reauth_reconcile_checks_total\{outcome="confirmed"\} 1/);

    // Visibility agrees: MonoAccountState moved, and MonoLastHeard is set.
    await eventually(
      async () => (await stack.client.workflow.getHandle(workflowIdFor(reauthorised)).describe()).searchAttributes,
      (sa) => sa.MonoAccountState?.[0] === 'synced' && sa.MonoLastHeard?.[0] instanceof Date
    );
  });

  it('does not ask Mono for a sync twice within its 2-minute limit', async () => {
    // The account that still needs re-authorisation was synced moments ago: a second run defers, Mono is not asked.
    stack.sim.calls.length = 0;
    await reconcileNow();
    const waiting = await stack.state(stillNeedsReauth);
    expect(waiting.check?.last).toMatchObject({ outcome: 'deferred', observed: 'details:available' });
    expect(stack.sim.calls.filter((c) => c.accountId === stillNeedsReauth && c.path.endsWith('/sync'))).toEqual([]);
  });
});
