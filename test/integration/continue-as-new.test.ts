/**
 * Long-lived accounts: with a small forced history budget the workflow continues-as-new repeatedly, and the
 * state, history, counters, search attributes and dedupe memory all survive into the new run.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const BUDGET = 20;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), settings: { historyEventsPerRun: BUDGET } });
});
afterAll(async () => {
  await stack?.stop();
});

it('when a run reaches its history budget, then it continues as new carrying state and dedupe memory', async () => {
  const id = newAccountId();
  const first = webhookBody(id, { kind: 'sync_failed' });
  expect((await stack.post(first)).status).toBe(200);
  const firstRunId = (await stack.client.workflow.getHandle(workflowIdFor(id)).describe()).runId;
  // A run continues as new only when nothing is in flight: first let the institution lookup of the first event end.
  await eventually(
    () => stack.state(id),
    (v) => v.institution !== null
  );

  const EVENTS = 46; // the last one (n = 45) is account_synced, so a redelivered first body would show
  for (let n = 1; n < EVENTS; n++) {
    const kind = n % 2 ? 'account_synced' : 'sync_failed';
    const body = webhookBody(id, { kind });
    expect((await stack.post({ ...body, data: { ...body.data, n } })).status).toBe(200);
  }
  const view = await eventually(
    () => stack.state(id),
    (v) => v.counts.events === EVENTS
  );
  expect(view.run.number).toBeGreaterThanOrEqual(3);
  expect(view.state).toBe('synced');
  expect(view.counts).toEqual({ events: EVENTS, unchanged: 0, duplicates: 0 });
  expect(view.history).toHaveLength(EVENTS);
  expect(view.history[0]).toMatchObject({ from: null, to: 'sync_failed', cause: 'sync_failed' });

  // A delivery remembered in an earlier run is still a redelivery after continue-as-new, while the state has not
  // moved since (the same event after a move is a new occurrence: dedupe-window.test.ts).
  const marker = webhookBody(id, { kind: 'account_synced' });
  const remembered = { ...marker, data: { ...marker.data, n: 'marker' } };
  expect((await stack.post(remembered)).status).toBe(200);
  const markedRun = (await stack.state(id)).run.number;
  for (let n = 100; n < 130; n++) {
    const body = webhookBody(id, { kind: 'account_synced' });
    expect((await stack.post({ ...body, data: { ...body.data, n } })).status).toBe(200);
  }
  expect((await stack.state(id)).run.number).toBeGreaterThan(markedRun);
  expect((await stack.post(remembered)).status).toBe(200);
  const after = await stack.state(id);
  expect(after).toMatchObject({ state: 'synced', counts: { duplicates: 1, unchanged: 31 } }); // the marker and the 30 after it

  // Every run stayed within its budget (plus the few events of the final task), and the chain is intact.
  const listRuns = async (): Promise<Array<{ runId: string; status: string; historyLength: number }>> => {
    const runs: Array<{ runId: string; status: string; historyLength: number }> = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(id)}'` })) {
      runs.push({ runId: wf.runId, status: wf.status.name, historyLength: wf.historyLength });
    }
    return runs;
  };
  // Visibility lags a little: wait until it shows every run this test saw, exactly one of them running.
  const runs = await eventually(
    listRuns,
    (rs) => rs.length >= after.run.number && rs.filter((r) => r.status === 'RUNNING').length === 1
  );
  expect(runs.map((r) => r.runId)).toContain(firstRunId);
  expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW')).toHaveLength(runs.length - 1);

  // The budget is checked between tasks; signals racing the continue-as-new command make the server reject
  // that task (UNHANDLED_COMMAND), and a notice's local activity (its channel plan) still running keeps the task
  // open meanwhile, while this test signals as fast as it can: hence the slack. At the production budget (1,500
  // events) it is a few percent.
  for (const r of runs) {
    expect(r.historyLength).toBeLessThanOrEqual(BUDGET + 45);
  }

  // The new run is findable by its search attributes without having upserted them itself.
  await eventually(
    async () => {
      const found: string[] = [];
      for await (const wf of stack.client.workflow.list({
        query: `WorkflowId = '${workflowIdFor(id)}' AND MonoAccountState = 'synced' AND ExecutionStatus = 'Running'`,
      })) {
        found.push(wf.runId);
      }
      return found;
    },
    (found) => found.length === 1
  );
});
