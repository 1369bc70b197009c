/**
 * A bank-wide incident on real parts (the dev server, its visibility, Schedules; the simulator over HTTP): the
 * simulator fails every account of Bank A while Bank B's stay healthy. An incident opens for Bank A only; its
 * owners get no re-auth notice while it is open and operators get one notice when it opens and one when it closes,
 * never one escalation per account; Bank B's accounts behave as before; when Bank A's accounts sync again the
 * incident closes and the held notices that are still true go out. The numbers are printed for the record.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { incidentWorkflowId } from '../../src/incidents/detect.js';
import { closeIncidentSignal, type IncidentProgress } from '../../src/workflows/incidents.js';
import { runCli } from '../helpers/cli.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, TEST_CODEC_KEYS, type Stack } from '../helpers/stack.js';
import { newAccountId } from '../helpers/webhooks.js';

const BANK_A = 'Bank A';
const BANK_B = 'Bank B';
const bankA = Array.from({ length: 20 }, () => newAccountId());
const bankB = Array.from({ length: 10 }, () => newAccountId());
/** Bank A's accounts whose owners really must re-authorise after the outage. */
const stillBroken = bankA.slice(0, 5);
const recovered = bankA.slice(5);

const logs: string[] = [];
let stack: Stack;

interface LogLine {
  msg: string;
  type?: string;
  accountId?: string;
}
const lines = (): LogLine[] => logs.map((l) => JSON.parse(l) as LogLine);
const ownerNotices = (ids: string[], type = 'account.reauth_required') =>
  lines().filter((l) => l.msg === 'owner notified' && l.type === type && ids.includes(l.accountId!));
const operatorNotices = (type?: string) =>
  lines().filter((l) => l.msg === 'operators notified' && (type === undefined || l.type === type));

beforeAll(async () => {
  stack = await startStack({
    address: inject('temporalAddress'),
    logs,
    env: {
      INCIDENT_CHECK_EVERY: '1s',
      INCIDENT_WINDOW: '10m',
      INCIDENT_THRESHOLD: '0.5',
      INCIDENT_MIN_ACCOUNTS: '5',
      INCIDENT_CLOSE_BELOW: '0.3',
      INCIDENT_CLOSE_AFTER: '0s',
      INCIDENT_SYNC_BACKOFF: '3s,1h',
      INCIDENT_RELEASE_SPREAD: '3s',
    },
  });
  for (const id of bankA) stack.sim.setScenario(id, { institution: BANK_A });
  for (const id of bankB) stack.sim.setScenario(id, { institution: BANK_B });
  for (const id of [...bankA, ...bankB]) await stack.sim.change(id, { change: 'data_status', dataStatus: 'AVAILABLE' });
  await eventually(
    () => countAccounts(`MonoAccountState = 'synced'`),
    (n) => n === 30,
    30_000
  );
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function countAccounts(filter: string): Promise<number> {
  const query = `WorkflowType = 'accountLifecycle' AND TaskQueue = '${stack.taskQueue}' AND ${filter}`;
  return stack.client.workflow.count(query).then((r) => r.count);
}

const cliEnv = () => ({
  ...process.env,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
  TEMPORAL_TASK_QUEUE: stack.taskQueue,
});

const incidentA = () => stack.client.workflow.getHandle(incidentWorkflowId(stack.taskQueue, BANK_A));

describe('a bank-wide outage at Bank A', () => {
  it('opens one incident for Bank A, holds its owners’ re-auth notices, leaves Bank B alone, and closes when Bank A recovers', async () => {
    // Bank A fails: every sync says the owner must re-authorise (Mono's answer across a bank in an outage).
    for (const id of bankA) stack.sim.setScenario(id, { institution: BANK_A, sync: ['reauth_required'] });
    for (const id of bankA) await stack.sim.change(id, { change: 'data_status', dataStatus: 'FAILED' });

    const opened = await eventually(
      () => incidentA().query<IncidentProgress>('incident'),
      (p) => p.status === 'open' && p.held === 20,
      30_000
    );
    expect(opened).toMatchObject({ institution: BANK_A, accounts: 20 });
    // The held accounts' shared sync finds Mono asking for re-authorisation: the notices are held, not sent.
    await eventually(
      () => countAccounts(`MonoAccountState = 'reauth_required' AND MonoIncident = '${BANK_A}'`),
      (n) => n === 20,
      30_000
    );
    const held = await Promise.all(bankA.map((id) => stack.state(id)));
    expect(held.every((v) => v.incident?.institution === BANK_A && v.pendingNotices >= 1)).toBe(true);
    const heldNotices = held.reduce((n, v) => n + (v.incident?.heldNotices ?? 0), 0);
    expect(ownerNotices(bankA)).toHaveLength(0);

    // Operators see it: the admin API, the CLI, the gauge.
    const api = (await (
      await fetch(`${stack.adminUrl}/incidents`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
    ).json()) as { incidents: Array<Record<string, unknown>> };
    expect(api.incidents).toMatchObject([{ institution: BANK_A, status: 'open', held: 20, accounts: 20 }]);
    const cli = await runCli(['incidents', 'list', '--json'], cliEnv());
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ incidents: [{ institution: BANK_A, status: 'open' }] });
    await eventually(
      async () => (await fetch(`${stack.adminUrl}/metrics`)).text(),
      (text) => /mono_reauth_incidents_open 1/.test(text)
    );

    // Bank B, still healthy, behaves as before: its owner is told at once, and it opens no incident.
    await stack.sim.change(bankB[0]!, { change: 'require_reauth' });
    await eventually(
      () => Promise.resolve(ownerNotices([bankB[0]!]).length),
      (n) => n === 1
    );
    await expect(
      stack.client.workflow.getHandle(incidentWorkflowId(stack.taskQueue, BANK_B)).describe()
    ).rejects.toThrow();
    const open = await stack.client.workflow.count(
      `WorkflowType = 'institutionIncident' AND TaskQueue = '${stack.taskQueue}' AND ExecutionStatus = 'Running'`
    );
    expect(open.count).toBe(1);

    // Bank A recovers: Mono's fresh data arrives for most accounts; five owners really must re-authorise.
    for (const id of recovered) await stack.sim.change(id, { change: 'data_status', dataStatus: 'AVAILABLE' });
    const closed = (await incidentA().result()) as IncidentProgress;
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'recovered', peakFailing: 20 });

    // The held notices still true go out, spread over the release window; the others were dropped.
    await eventually(
      () => Promise.resolve(ownerNotices(stillBroken).length),
      (n) => n === 5,
      20_000
    );
    expect(ownerNotices(recovered)).toHaveLength(0);
    expect(ownerNotices(recovered, 'account.recovered')).toHaveLength(0);
    await eventually(
      () => countAccounts(`MonoIncident = '${BANK_A}'`),
      (n) => n === 0
    );
    const after = await stack.state(stillBroken[0]!);
    expect(after.incident).toBeNull();
    expect(after.reauth?.nextReminderAt).not.toBeNull();

    // Operators: one notice when it opened, one when it closed, with counts; no escalation per account.
    expect(operatorNotices('incident.opened')).toHaveLength(1);
    expect(operatorNotices('incident.closed')).toHaveLength(1);
    expect(operatorNotices('account.escalated')).toHaveLength(0);
    expect(closed.heldNotices).toBe(heldNotices);
    expect(closed.releasedNotices).toBe(5);

    const incidentWorkflows = await stack.client.workflow.count(
      `WorkflowType = 'institutionIncident' AND TaskQueue = '${stack.taskQueue}'`
    );
    expect(incidentWorkflows.count).toBe(1);
    const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/mono_reauth_incidents_total\{event="opened"\} 1/);
    expect(metrics).toMatch(/mono_reauth_incident_held_notices_total\{outcome="released"\} 5/);

    console.log(
      `[incident test] Bank A: ${bankA.length} accounts, ${closed.peakFailing} failing at the peak; ` +
        `Bank B: ${bankB.length} accounts, ${ownerNotices(bankB).length} owner notice (not held); ` +
        `owner notices held: ${closed.heldNotices} (sent while open: 0), released after close: ` +
        `${ownerNotices(stillBroken).length} (still true), dropped: ${closed.heldNotices! - closed.releasedNotices!}; ` +
        `operator notices sent: ${operatorNotices().length} (opened ${operatorNotices('incident.opened').length}, ` +
        `closed ${operatorNotices('incident.closed').length}, per-account escalations ` +
        `${operatorNotices('account.escalated').length})`
    );
    const listed = await runCli(['incidents', 'list'], cliEnv());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/Bank A\s+closed \(recovered\)/);
  }, 120_000);

  it('closes by hand on an operator’s signal, releasing the held notices still true', async () => {
    const bankC = Array.from({ length: 6 }, () => newAccountId());
    for (const id of bankC) stack.sim.setScenario(id, { institution: 'Bank C', sync: ['reauth_required'] });
    for (const id of bankC) await stack.sim.change(id, { change: 'data_status', dataStatus: 'AVAILABLE' });
    for (const id of bankC) await stack.sim.change(id, { change: 'data_status', dataStatus: 'FAILED' });
    const incident = stack.client.workflow.getHandle(incidentWorkflowId(stack.taskQueue, 'Bank C'));
    await eventually(
      () => incident.query<IncidentProgress>('incident'),
      (p) => p.held === 6,
      30_000
    );
    await eventually(
      () => countAccounts(`MonoAccountState = 'reauth_required' AND MonoIncident = 'Bank C'`),
      (n) => n === 6,
      30_000
    );
    expect(ownerNotices(bankC)).toHaveLength(0);

    await incident.signal(closeIncidentSignal);
    const closed = (await incident.result()) as IncidentProgress;
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'operator', heldNotices: 6, releasedNotices: 6 });
    await eventually(
      () => Promise.resolve(ownerNotices(bankC).length),
      (n) => n === 6,
      20_000
    );
  }, 90_000);
});
