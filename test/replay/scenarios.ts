/** Lifecycle scenarios whose histories the replay test keeps (see scripts/record-histories.ts). */
import {
  redeliverNoticesSignal,
  redeliverNoticesUpdate,
  resendReauthLinkSignal,
  enrolSignal,
  reconcileUpdate,
  retrySyncSignal,
  retrySyncUpdate,
  workflowIdFor,
} from '../../src/workflows/account-lifecycle/api/messages.js';
import type { LifecycleSettings } from '../../src/workflows/account-lifecycle/model/settings.js';
import type { Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody, type EventSpec } from '../helpers/webhooks.js';

export interface Scenario {
  name: string;
  settings?: Partial<LifecycleSettings>;
  /** A customer webhook receiver for the scenario, answering this status to its nth request (from 0). */
  webhookStatus?: (nth: number) => number;
  /** Drives one account and returns its id once the account has settled. */
  run(stack: Stack): Promise<string>;
}

async function send(stack: Stack, accountId: string, specs: EventSpec[]): Promise<void> {
  for (const spec of specs) {
    const res = await stack.post(webhookBody(accountId, spec));
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  }
}

const settle = (ms = 1_500): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const SCENARIOS: Scenario[] = [
  {
    name: 'operator-sync',
    async run(stack) {
      const id = newAccountId();
      stack.sim.setScenario(id, { sync: ['reauth_required', 'success'] });
      await send(stack, id, [{ kind: 'account_connected' }, { kind: 'sync_failed' }]);
      const handle = stack.client.workflow.getHandle(workflowIdFor(id));
      await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'recording' }] });
      await settle();
      await send(stack, id, [{ kind: 'account_reauthorized' }]);
      await handle.signal(retrySyncSignal, {});
      await settle(3_000);
      return id;
    },
  },
  {
    name: 'full-cycle',
    async run(stack) {
      const id = newAccountId();
      await send(stack, id, [
        { kind: 'account_connected' },
        { kind: 'account_updated', dataStatus: 'processing' },
        { kind: 'account_updated', dataStatus: 'available' },
        { kind: 'sync_failed' },
        { kind: 'sync_failed' },
        { kind: 'reauthorisation_required' },
        { kind: 'account_reauthorized' },
        { kind: 'account_updated', dataStatus: 'available' },
        { kind: 'account_synced', updated: true },
      ]);
      await settle();
      return id;
    },
  },
  {
    name: 'continue-as-new',
    settings: { historyEventsPerRun: 30 },
    async run(stack) {
      const id = newAccountId();
      for (let n = 0; n < 16; n++) {
        const body = webhookBody(id, { kind: n % 2 ? 'account_synced' : 'sync_failed' });
        await stack.post({ ...body, data: { ...body.data, n } });
      }
      await settle();
      return id;
    },
  },
  {
    // Re-auth notices queued and dropped as the account recovers, a repeat after a move, an operator resend and a
    // redelivery request both refused (no dead letters): the per-channel path's lanes, plans and markers.
    name: 'reauth-recovered',
    // A reminder due after 2 s in quiet hours (all day but a minute), so the quiet-hours local activity runs.
    settings: { quietHours: '00:00-23:59', reauthRemindersMs: [2_000], reminderMinGapMs: 0 },
    async run(stack) {
      const id = newAccountId();
      await send(stack, id, [{ kind: 'reauthorisation_required' }]);
      await settle(3_000);
      const handle = stack.client.workflow.getHandle(workflowIdFor(id));
      await handle.signal(resendReauthLinkSignal, {}); // refused within a minute of the first link: logged, ignored
      await handle.signal(redeliverNoticesSignal, {});
      await send(stack, id, [{ kind: 'account_reauthorized' }, { kind: 'reauthorisation_required' }]);
      await send(stack, id, [{ kind: 'account_synced' }]);
      await settle();
      return id;
    },
  },
  {
    // Enrolment (import): the account starts with the enrol signal and learns its state from Mono's details.
    name: 'enrol',
    async run(stack) {
      const id = newAccountId();
      await stack.client.workflow.signalWithStart('accountLifecycle', {
        workflowId: workflowIdFor(id),
        taskQueue: stack.taskQueue,
        args: [{ accountId: id, settings: { dedupeWindowMs: 3_600_000, historyEventsPerRun: 1_500 } }],
        signal: enrolSignal,
        signalArgs: [{ source: 'recording' }],
      });
      await settle(3_000);
      await send(stack, id, [{ kind: 'sync_failed' }]);
      await settle();
      return id;
    },
  },
  {
    // Reconciliation: a lost re-authorisation found by the reconcile update (details, then a manual sync).
    name: 'reconcile',
    async run(stack) {
      const id = newAccountId();
      await stack.sim.change(id, { change: 'require_reauth' });
      await settle();
      await stack.sim.change(id, { change: 'reauthorise', webhook: false });
      const handle = stack.client.workflow.getHandle(workflowIdFor(id));
      await handle.executeUpdate(reconcileUpdate, { args: [{ source: 'recording' }] });
      await settle();
      await handle.executeUpdate(reconcileUpdate, { args: [{ source: 'recording' }] });
      await stack.sim.change(id, { change: 'unlink', webhook: false });
      await handle.executeUpdate(reconcileUpdate, { args: [{ source: 'recording' }] }).catch(() => undefined);
      await settle();
      return id;
    },
  },
  {
    // The owner never re-authorises: reminders, then the escalation at the deadline; an operator's retry keeps it.
    name: 'escalation',
    settings: { reauthRemindersMs: [1_000], reminderMinGapMs: 0, reauthEscalateAfterMs: 2_500 },
    async run(stack) {
      const id = newAccountId();
      await send(stack, id, [{ kind: 'account_connected' }, { kind: 'reauthorisation_required' }]);
      await settle(4_000);
      const handle = stack.client.workflow.getHandle(workflowIdFor(id));
      await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'recording' }] });
      await settle();
      return id;
    },
  },
  {
    // The customer's webhook refuses the first re-auth notice (a dead letter); an operator redelivers it.
    name: 'dead-letter',
    webhookStatus: (nth) => (nth === 0 ? 400 : 204),
    async run(stack) {
      const id = newAccountId();
      await send(stack, id, [{ kind: 'reauthorisation_required' }]);
      await settle(3_000);
      const handle = stack.client.workflow.getHandle(workflowIdFor(id));
      await handle.executeUpdate(redeliverNoticesUpdate, { args: [{}] });
      await settle(3_000);
      await send(stack, id, [{ kind: 'account_reauthorized' }, { kind: 'account_synced' }]);
      await settle();
      return id;
    },
  },
  {
    name: 'unlinked',
    async run(stack) {
      const id = newAccountId();
      await send(stack, id, [{ kind: 'account_connected' }, { kind: 'sync_failed' }, { kind: 'account_unlinked' }]);
      await settle();
      return id;
    },
  },
];
