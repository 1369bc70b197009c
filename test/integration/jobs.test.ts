/**
 * Bulk jobs on real parts (dev server, simulator, a receiver on a real port): redelivering every account's dead
 * letters and importing accounts run as workflows, one of a kind at a time, with progress, a dry run that changes
 * nothing, first attempts spread over a window with jitter, and a cancel that stops the rest; the same through
 * the admin API and the CLI (a real child process).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createJobs, JobAlreadyRunning, JobNotFound, type Jobs, type JobView } from '../../src/jobs/client.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { runCliOnStack } from '../helpers/cli.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';

const refusing = new Set<string>();
let customer: Receiver;
let stack: Stack;
let jobs: Jobs;

beforeAll(async () => {
  customer = await receiver((accountId) => (refusing.has(accountId) ? 400 : 204));
  stack = await startStack({
    address: inject('temporalAddress'),
    settings: { syncRetryBackoffMs: [1_000] },
    notify: { channels: ['log', 'webhook'], webhookUrl: customer.url, webhookSecret: TEST_WHSEC },
  });
  jobs = createJobs({ client: stack.client, taskQueue: stack.taskQueue });
});
afterAll(async () => {
  await stack?.stop();
  await customer?.close();
});

/** Accounts escalated at once (Mono does not know them), each with an `account.escalated` dead letter. */
async function accountsWithDeadLetters(n: number): Promise<string[]> {
  await redeliverLeftovers();
  const ids = Array.from({ length: n }, () => newAccountId());
  for (const id of ids) {
    stack.sim.setScenario(id, { sync: ['not_found'] });
    refusing.add(id);
    expect((await stack.post(webhookBody(id, { kind: 'sync_failed' }))).status).toBe(200);
  }
  for (const id of ids)
    await eventually(
      () => stack.state(id),
      (v) => v.notices.undelivered.length === 1,
      30_000
    );
  // The jobs find accounts through visibility, which follows a moment later.
  const query = `TaskQueue = '${stack.taskQueue}' AND MonoUndelivered = true`;
  await eventually(
    () => stack.client.workflow.count(query),
    (c) => c.count === n,
    20_000
  );
  return ids;
}

const dryRun = { spreadMs: 0, dryRun: true, concurrency: 4 };

/** Dead letters an earlier test left (a cancelled job's) are redelivered, so that each test counts its own. */
async function redeliverLeftovers(): Promise<void> {
  const query = `TaskQueue = '${stack.taskQueue}' AND MonoUndelivered = true`;
  if ((await stack.client.workflow.count(query)).count === 0) return;
  await finished(await jobs.start('redeliver', { spreadMs: 0, dryRun: false, concurrency: 4 }));
  await eventually(
    () => stack.client.workflow.count(query),
    (c) => c.count === 0,
    20_000
  );
}

async function finished(job: JobView): Promise<JobView> {
  return eventually(
    () => jobs.get(job.id),
    (j) => j.status !== 'running',
    60_000
  );
}

describe('redelivering every account’s dead letters', () => {
  it('a dry run counts and changes nothing; the real run spreads first attempts over the window', async () => {
    const ids = await accountsWithDeadLetters(4);
    for (const id of ids) refusing.delete(id);
    const dry = await finished(await jobs.start('redeliver', dryRun));
    expect(dry.progress).toMatchObject({ planned: 4, done: 4, counts: { accounts: 4, notices: 4 } });
    const preview = await jobs.list(1);
    expect(preview[0]).toMatchObject({ kind: 'redeliver', status: 'completed', progress: { dryRun: true, done: 4 } });
    expect(customer.hits.filter((h) => ids.includes(h.accountId) && h.status === 204)).toHaveLength(0);

    const started = await jobs.start('redeliver', { spreadMs: 6_000, dryRun: false, concurrency: 4 });
    expect(started).toMatchObject({ kind: 'redeliver', status: 'running' });
    await expect(jobs.start('redeliver', dryRun)).rejects.toBeInstanceOf(JobAlreadyRunning);
    const done = await finished(started);
    expect(done).toMatchObject({ status: 'completed', progress: { planned: 4, done: 4, counts: { requeued: 4 } } });
    const delivered = customer.hits.filter((h) => ids.includes(h.accountId) && h.status === 204).map((h) => h.at);
    expect(delivered).toHaveLength(4);
    // Four accounts in a 6 s window, one a 1.5 s slot: not all at once.
    expect(Math.max(...delivered) - Math.min(...delivered)).toBeGreaterThan(2_000);
    for (const id of ids) expect((await stack.state(id)).notices.undelivered).toHaveLength(0);
  });

  it('a cancelled job stops: what it requeued stays requeued, the rest stays undelivered', async () => {
    const ids = await accountsWithDeadLetters(3);
    for (const id of ids) refusing.delete(id);
    // One account in each 15 s slot: the first within 15 s, the last not before 30 s.
    const job = await jobs.start('redeliver', { spreadMs: 45_000, dryRun: false, concurrency: 1 });
    const progressed = await eventually(
      () => jobs.get(job.id),
      (j) => (j.progress?.done ?? 0) >= 1,
      60_000
    );
    expect(progressed.progress?.planned).toBe(3);
    await jobs.cancel(job.id);
    const cancelled = await finished(job);
    expect(cancelled).toMatchObject({ status: 'cancelled', progress: { cancelled: true } });
    const done = cancelled.progress?.done ?? 0;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(3);
    const undelivered = await Promise.all(ids.map(async (id) => (await stack.state(id)).notices.undelivered.length));
    expect(undelivered.filter((n) => n === 0)).toHaveLength(done);
    await expect(jobs.get('redeliver-00000000-0000-0000-0000-000000000000')).rejects.toBeInstanceOf(JobNotFound);
    await expect(jobs.get('nonsense')).rejects.toBeInstanceOf(JobNotFound);
  });
});

describe('importing accounts', () => {
  it('enrols the new ids a chunk at a time, leaves known ones alone, and reports its progress', async () => {
    const known = newAccountId();
    expect((await stack.post(webhookBody(known, { kind: 'account_synced' }))).status).toBe(200);
    await eventually(
      () => stack.state(known),
      (v) => v.state === 'synced',
      20_000
    );
    const fresh = Array.from({ length: 250 }, () => newAccountId());
    // A chunk of 100 per run: the job continues as new twice and keeps its id.
    const job = await jobs.start('import', { accountIds: [known, ...fresh], source: 'test', chunksPerRun: 1 });
    expect(job.progress?.planned).toBe(251);
    const done = await finished(job);
    expect(done).toMatchObject({
      id: job.id,
      status: 'completed',
      progress: { done: 251, counts: { known: 1, started: 250 } },
    });
    const runs = await stack.client.workflow.count(`WorkflowId = '${stack.taskQueue}-job-import'`);
    expect(runs.count).toBe(3);
    expect((await jobs.list()).filter((j) => j.kind === 'import').map((j) => j.id)).toEqual([job.id]);
    const described = await stack.client.workflow.getHandle(workflowIdFor(fresh[249] as string)).describe();
    expect(described.status.name).toBe('RUNNING');
  });
});

const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${stack.adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

const cli = (args: string[], stdin = '') => runCliOnStack(stack.taskQueue, args, stdin);

describe('jobs in the admin API and the CLI', () => {
  it('POST /notices/redeliver starts a job; GET /jobs/:id follows it; a finished job cannot be cancelled', async () => {
    const ids = await accountsWithDeadLetters(2);
    expect((await admin('/notices/redeliver', { method: 'POST', body: { spreadOver: 'soon' } })).status).toBe(400);
    const dry = await admin('/notices/redeliver', { method: 'POST', body: { dryRun: true } });
    expect(dry.status).toBe(202);
    const dryJob = (await dry.json()) as JobView;
    expect(dry.headers.get('location')).toBe(`/jobs/${dryJob.id}`);
    const previewed = await eventually(
      async () => (await (await admin(`/jobs/${dryJob.id}`)).json()) as JobView,
      (j) => j.status !== 'running'
    );
    expect(previewed.progress).toMatchObject({ dryRun: true, counts: { accounts: 2, notices: 2 } });
    const late = await admin(`/jobs/${dryJob.id}/cancel`, { method: 'POST' });
    expect(late.status).toBe(409);
    expect((await admin('/jobs/redeliver-00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await admin('/jobs/nonsense')).status).toBe(404);
    const listed = (await (await admin('/jobs')).json()) as { jobs: JobView[] };
    expect(listed.jobs[0]?.id).toBe(dryJob.id);

    for (const id of ids) refusing.delete(id);
    const running = await admin('/notices/redeliver', { method: 'POST', body: { spreadOver: '1h' } });
    const job = (await running.json()) as JobView;
    const twice = await admin('/notices/redeliver', { method: 'POST', body: {} });
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ job: { id: job.id, status: 'running' } });
    const cancel = await admin(`/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    await eventually(
      async () => (await (await admin(`/jobs/${job.id}`)).json()) as JobView,
      (j) => j.status === 'cancelled'
    );
  });

  it('the CLI redelivers every account as a job it follows, and lists, shows and cancels jobs', async () => {
    const ids = await accountsWithDeadLetters(2);
    for (const id of ids) refusing.delete(id);
    const declined = await cli(['notices', 'redeliver'], 'n\n');
    expect(declined).toMatchObject({ code: 1, stderr: expect.stringMatching(/of 2 accounts[\s\S]*Aborted/) });
    const done = await cli(['notices', 'redeliver', '--spread', '0s', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(
      /\[redeliver-[0-9a-f-]{36}\] completed, accounts 2\/2 \(100%\): accounts 2, requeued 2/
    );
    for (const id of ids) {
      await eventually(
        () => stack.state(id),
        (v) => v.notices.undelivered.length === 0
      );
    }
    const jobId = /\[(redeliver-[0-9a-f-]{36})\]/.exec(done.stderr)?.[1] as string;
    const shown = await cli(['jobs', 'show', jobId]);
    expect(shown.stdout).toMatch(/Status {4}completed/);
    const listed = JSON.parse((await cli(['jobs', '--json'])).stdout) as { jobs: JobView[] };
    expect(listed.jobs.map((j) => j.id)).toContain(jobId);

    await accountsWithDeadLetters(1);
    const slow = await jobs.start('redeliver', { spreadMs: 3_600_000, dryRun: false, concurrency: 1 });
    const cancelled = await cli(['jobs', 'cancel', slow.id]);
    expect(cancelled).toMatchObject({ code: 0, stdout: expect.stringMatching(/cancel requested/) });
    expect((await finished(slow)).status).toBe('cancelled');
    expect((await cli(['jobs', 'cancel', slow.id])).code).toBe(1);
    expect((await cli(['jobs', 'show', 'nonsense'])).code).toBe(2);
  });
});
