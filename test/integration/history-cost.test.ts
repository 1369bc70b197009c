/**
 * What an account costs in history, on the dev server with the log channel only: no patch markers (a change ships
 * as a new worker build), one search attribute upsert for a new account, and each notice's log line written by
 * the local activity that plans it, so a recovery takes one workflow task and no activity task.
 */
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let stack: Stack;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), logs });
});
afterAll(async () => stack?.stop());

const historyOf = async (accountId: string): Promise<HistoryEvent[]> =>
  (await stack.client.workflow.getHandle(workflowIdFor(accountId)).fetchHistory()).events ?? [];

const patchMarkers = (events: HistoryEvent[]): string[] =>
  events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => JSON.parse(Buffer.from(m!.details!['patch-data']!.payloads![0]!.data!).toString()) as { id: string })
    .map((p) => p.id);

const activityTypes = (events: HistoryEvent[]): string[] =>
  events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);

const workflowTasks = (events: HistoryEvent[]): number =>
  events.filter((e) => e.workflowTaskCompletedEventAttributes).length;

const notified = (accountId: string, type: string): number =>
  logs.filter((l) => l.includes('"owner notified"') && l.includes(accountId) && l.includes(`"${type}"`)).length;

it('records no patch marker, and delivers a re-auth and a recovery on the log channel without activity tasks', async () => {
  const id = newAccountId();
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => Promise.resolve(notified(id, 'account.reauth_required')),
    (n) => n === 1
  );
  const created = await eventually(
    () => historyOf(id),
    (events) => events.some((e) => e.activityTaskCompletedEventAttributes)
  );
  expect(patchMarkers(created)).toEqual([]);
  // The first workflow task's commands: the one upsert of the new account's search attributes among them.
  const completed = created.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const nextTask = created.findIndex((e, i) => i > completed && e.workflowTaskScheduledEventAttributes);
  const firstCommands = created.slice(completed, nextTask === -1 ? undefined : nextTask);
  expect(firstCommands.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toHaveLength(1);
  // The institution lookup is the only activity: the notice's log line came from its plan.
  expect(activityTypes(created)).toEqual(['fetchInstitution']);

  const before = (await historyOf(id)).length;
  const tasksBefore = workflowTasks(await historyOf(id));
  expect((await stack.post(webhookBody(id, { kind: 'account_synced' }))).status).toBe(200);
  await eventually(
    () => Promise.resolve(notified(id, 'account.recovered')),
    (n) => n === 1
  );
  const view = await eventually(
    () => stack.state(id),
    (v) => v.state === 'synced' && v.notices?.pending.length === 0
  );
  expect(view.state).toBe('synced');
  const after = await historyOf(id);
  expect(activityTypes(after)).toEqual(['fetchInstitution']);
  // The signal, one workflow task, the search attribute upsert, the cancelled sync timer and the plan's marker.
  expect(workflowTasks(after) - tasksBefore).toBe(1);
  expect(after.length - before).toBeLessThanOrEqual(8);
  const metric = await stack.metrics.notifications.get();
  const sent = (type: string) =>
    metric.values.find((v) => v.labels.type === type && v.labels.channel === 'log' && v.labels.outcome === 'sent')
      ?.value ?? 0;
  expect(sent('account.reauth_required')).toBeGreaterThanOrEqual(1);
  expect(sent('account.recovered')).toBeGreaterThanOrEqual(1);
});
