/**
 * A whole lifecycle on real parts: the Mono simulator sends signed webhooks to the Express app on a real port,
 * the workflow runs on a real dev server and calls the simulator's API, an operator steps in with retrySync.
 * connected → sync_failed → reauth_required → reauthorised → synced.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { retrySyncUpdate, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await stack?.stop();
});

const stateOf = (id: string, state: string) =>
  eventually(
    () => stack.state(id),
    (v) => v.state === state
  );

it('walks connected → sync_failed → reauth_required → reauthorised → synced through Mono’s webhooks and API', async () => {
  const id = newAccountId();
  stack.sim.setScenario(id, { institution: 'Kuda Bank', sync: ['reauth_required', 'success'] });

  expect(await stack.sim.sendWebhook({ event: 'account_connected', accountId: id })).toBe(200);
  const connected = await eventually(
    () => stack.state(id),
    (v) => v.state === 'connected' && v.institution === 'Kuda Bank'
  );
  expect(connected.institution).toBe('Kuda Bank'); // from GET /v2/accounts/{id}, nothing else kept

  expect(await stack.sim.sendWebhook({ event: 'sync_failed', accountId: id })).toBe(200);
  await stateOf(id, 'sync_failed');

  // An operator does not want to wait for the 2-minute first retry.
  const handle = stack.client.workflow.getHandle(workflowIdFor(id));
  await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'customer called' }] });
  const needsReauth = await stateOf(id, 'reauth_required');
  expect(needsReauth.history.at(-1)).toMatchObject({
    from: 'sync_failed',
    to: 'reauth_required',
    cause: 'sync:REAUTHORISATION_REQUIRED',
  });

  // The owner re-authorises in the widget; Mono confirms, then delivers fresh data.
  await stack.sim.sendWebhook({ event: 'account_reauthorized', accountId: id });
  await stateOf(id, 'reauthorised');
  await stack.sim.sendWebhook({ event: 'account_updated', accountId: id, dataStatus: 'AVAILABLE' });
  const synced = await stateOf(id, 'synced');

  expect(synced.history.map((t) => `${t.from ?? '∅'}→${t.to}`)).toEqual([
    '∅→connected',
    'connected→sync_failed',
    'sync_failed→sync_failed', // operator:retrySync, recorded
    'sync_failed→reauth_required',
    'reauth_required→reauthorised',
    'reauthorised→synced',
  ]);
  expect(
    stack.sim.calls
      .filter((c) => c.accountId === id)
      .map((c) => `${c.method} ${c.path.replace(id, '{id}')} ${c.status}`)
  ).toEqual(['GET /v2/accounts/{id} 200', 'POST /accounts/{id}/sync 200']);

  await eventually(
    async () => {
      const found: string[] = [];
      const query = `WorkflowId = '${workflowIdFor(id)}' AND MonoAccountState = 'synced' AND MonoInstitution = 'Kuda Bank' AND MonoEscalated = false`;
      for await (const wf of stack.client.workflow.list({ query })) found.push(wf.workflowId);
      return found;
    },
    (found) => found.length === 1
  );
});

it('after a successful operator sync, Mono’s own account_updated follows and changes nothing more', async () => {
  const id = newAccountId();
  stack.sim.setScenario(id, { sync: ['success'] });
  await stack.sim.sendWebhook({ event: 'account_reauthorized', accountId: id });
  await stateOf(id, 'reauthorised');
  await stack.client.workflow.getHandle(workflowIdFor(id)).executeUpdate(retrySyncUpdate, { args: [{}] });
  const view = await eventually(
    () => stack.state(id),
    (v) => v.state === 'synced' && v.counts.events === 2
  );
  expect(view.history.at(-1)).toMatchObject({ from: 'reauthorised', to: 'synced', cause: 'sync:SYNC_SUCCESSFUL' });
  expect(view.lastEvent).toMatchObject({ cause: 'account_updated:available', outcome: 'unchanged' });
});

it('hand-made signals with a bad payload are ignored instead of failing the workflow', async () => {
  const id = newAccountId();
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  const handle = stack.client.workflow.getHandle(workflowIdFor(id));
  await handle.signal('retrySync', { reason: 5 });
  await handle.signal('monoEvent', { kind: 'bogus', accountId: id, deliveryKey: 'x', receivedAt: '' });
  await handle.signal('setContact', { timeZone: 'Mars/Base' });
  await stack.post(webhookBody(id, { kind: 'account_synced' }));
  const view = await stateOf(id, 'synced');
  expect(view.contact).toEqual({ email: false, timeZone: null });
  const history = await handle.fetchHistory();
  expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
});
