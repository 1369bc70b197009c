/**
 * Bulk enrolment on real parts: `mono-reauth accounts import` as a child process (file and stdin, preview,
 * confirmation, progress, --dry-run, --json, resuming) and `POST /accounts/import`, against the dev server; each
 * enrolled account learns its state from the simulator's API through the Mono task queue, whose rate the
 * simulator measures.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { runCliOnStack } from '../helpers/cli.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const MAX_RPS = 4;
let stack: Stack;
const dir = mkdtempSync(join(tmpdir(), 'mono-reauth-import-'));

const cli = (args: string[], stdin = '') => runCliOnStack(stack.taskQueue, args, stdin);

const stateOf = (id: string, state: string) =>
  eventually(
    () => stack.state(id),
    (v) => v.state === state,
    30_000
  );

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), env: { MONO_MAX_RPS: String(MAX_RPS) } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('mono-reauth accounts import', () => {
  const healthy = newAccountId();
  const failing = newAccountId();
  const gone = newAccountId();
  const known = newAccountId();
  let file: string;

  beforeAll(async () => {
    await stack.sim.change(failing, { change: 'data_status', dataStatus: 'FAILED', webhook: false });
    await stack.sim.change(gone, { change: 'unlink', webhook: false });
    expect((await stack.post(webhookBody(known, { kind: 'account_synced' }))).status).toBe(200);
    file = join(dir, 'ids.txt');
    writeFileSync(
      file,
      `# accounts linked before mono-reauth\n${healthy}\n${failing}\n\n${gone}\n${known}\n${healthy}\nnot an id!\n`
    );
    await eventually(
      () => cli(['accounts', 'import', file, '--dry-run', '--json']),
      (r) => r.code === 0 && (JSON.parse(r.stdout) as { known: number }).known === 1
    );
  });

  it('previews without enrolling anything (--dry-run --json)', async () => {
    const res = await cli(['accounts', 'import', file, '--dry-run', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      dryRun: true,
      total: 4,
      new: 3,
      known: 1,
      invalid: 1,
      repeated: 1,
      started: 0,
      invalidLines: [{ line: 8, reason: 'not a Mono account id' }],
    });
    expect(res.stdout).not.toContain('not an id!'); // input is never echoed
    await expect(stack.client.workflow.getHandle(workflowIdFor(healthy)).describe()).rejects.toThrow();
  });

  it('asks before enrolling, and refuses ids from stdin without --yes', async () => {
    const declined = await cli(['accounts', 'import', file], 'n\n');
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain('4 account ids: 3 new, 1 already known, 1 invalid line skipped, 1 repeated');
    expect(declined.stderr).toMatch(/Enrol 3 accounts\? .*\[y\/N\][\s\S]*Aborted; nothing was enrolled/);
    const fromStdin = await cli(['accounts', 'import'], `${healthy}\n`);
    expect(fromStdin.code).toBe(2);
    expect(fromStdin.stderr).toMatch(/add --yes/);
  });

  it('enrols the new ids with progress; each learns its state from Mono; a second run skips them all', async () => {
    const res = await cli(['accounts', 'import', file], 'y\n');
    expect(res.code).toBe(0);
    // Enrolled by an import job, whose progress the CLI follows.
    expect(res.stderr).toMatch(/\[import-[0-9a-f-]{36}\] completed, accounts 3\/3 \(100%\): known 0, started 3/);
    expect(res.stdout).toMatch(/3 enrolled, 0 already closed \(unlinked\), 0 failed/);

    const synced = await stateOf(healthy, 'synced');
    expect(synced.history).toEqual([
      expect.objectContaining({ from: null, to: 'synced', cause: 'enrol:details:available' }),
    ]);
    expect(synced.institution).toBe('GTBank');
    expect(synced.check?.last).toMatchObject({ reason: 'enrol', outcome: 'corrected' });
    expect((await stateOf(failing, 'sync_failed')).history.at(-1)?.cause).toBe('enrol:details:failed');
    const closed = stack.client.workflow.getHandle(workflowIdFor(gone));
    await eventually(
      async () => (await closed.describe()).status.name,
      (s) => s === 'COMPLETED'
    );
    // The account already known was not touched: its history has only its webhook.
    expect((await stack.state(known)).history.map((t) => t.cause)).toEqual(['account_synced']);

    const again = await eventually(
      () => cli(['accounts', 'import', '--yes', '--json'], `${healthy}\n${failing}\n${gone}\n${known}\n`),
      (r) => r.code === 0 && (JSON.parse(r.stdout) as { known: number }).known === 4
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 4, new: 0, known: 4, started: 0 });
  });

  it('reads a CSV column by its header', async () => {
    const a = newAccountId();
    const csv = join(dir, 'ids.csv');
    writeFileSync(csv, `customer,account_id,bank\n"Ada, Lagos",${a},GTBank\n`);
    const res = await cli(['accounts', 'import', csv, '--yes', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ total: 1, new: 1, started: 1 });
    await stateOf(a, 'synced');
  });
});

describe('POST /accounts/import', () => {
  const get = (path: string) =>
    fetch(`${stack.adminUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  const post = (body: unknown, token = TEST_ADMIN_TOKEN) =>
    fetch(`${stack.adminUrl}/accounts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses without the token and names a bad id by its position', async () => {
    expect((await post({ accountIds: [newAccountId()] }, 'wrong')).status).toBe(401);
    const bad = await post({ accountIds: [newAccountId(), 'no spaces allowed'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/accountIds\.1: is not a Mono account id/);
    expect((await post({ accountIds: [] })).status).toBe(400);
  });

  it(`starts an import job, one at a time, that enrols a list at no more than MONO_MAX_RPS (${MAX_RPS}/s) toward Mono`, async () => {
    const ids = Array.from({ length: 16 }, () => newAccountId());
    const preview = await post({ accountIds: ids, dryRun: true });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({ dryRun: true, total: 16, new: 16, known: 0 });

    stack.sim.resetRate();
    const startedAt = Date.now();
    const res = await post({ accountIds: ids });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; kind: string; progress: { planned: number } };
    expect(job).toMatchObject({ kind: 'import', status: 'running', progress: { planned: 16 } });
    expect(res.headers.get('location')).toBe(`/jobs/${job.id}`);
    // One import at a time: a second list waits for this one.
    const second = await post({ accountIds: [newAccountId()] });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ job: { id: job.id } });
    const done = await eventually(
      async () => (await (await get(`/jobs/${job.id}`)).json()) as { status: string; progress: unknown },
      (j) => j.status !== 'running'
    );
    expect(done).toMatchObject({ status: 'completed', progress: { done: 16, counts: { started: 16, failed: 0 } } });
    for (const id of ids) await stateOf(id, 'synced');
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = stack.sim.rate();
    expect(rate.total).toBe(16); // one details call per account
    expect(rate.maxPerSecond).toBeLessThanOrEqual(MAX_RPS);
    expect(seconds).toBeGreaterThanOrEqual(16 / MAX_RPS - 1.5);
  });
});
