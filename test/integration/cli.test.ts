/**
 * The operator CLI as operators run it (`node bin/mono-reauth.js …`, a real child process) against the real
 * dev server: list, show, retry one, and bulk retry with preview, confirmation, progress and outcomes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';
import { runCliOnStack } from '../helpers/cli.js';

let stack: Stack;
const institution = `CLI Bank ${process.pid}`;
const failed = [newAccountId(), newAccountId(), newAccountId()];
const synced = newAccountId();

const cli = (args: string[], stdin = '') => runCliOnStack(stack.taskQueue, args, stdin);

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress') });
  for (const id of [...failed, synced]) stack.sim.setScenario(id, { institution, sync: ['sync_error'] });
  for (const id of failed) await stack.post(webhookBody(id, { kind: 'sync_failed' }));
  await stack.post(webhookBody(synced, { kind: 'account_synced' }));
  await eventually(
    () => cli(['accounts', 'list', '--state', 'sync_failed', '--institution', institution, '--json']),
    (r) => r.code === 0 && (JSON.parse(r.stdout) as { accounts: unknown[] }).accounts.length === 3,
    30_000
  );
});
afterAll(async () => {
  await stack?.stop();
});

describe('mono-reauth accounts list / show', () => {
  it('lists accounts in a state as a table and as JSON', async () => {
    const asTable = await cli(['accounts', 'list', '--state', 'sync_failed', '--institution', institution]);
    expect(asTable.code).toBe(0);
    expect(asTable.stdout).toMatch(/^ACCOUNT\s+STATE\s+SINCE\s+ESCALATED\s+INSTITUTION/);
    for (const id of failed) expect(asTable.stdout).toContain(id);
    expect(asTable.stdout).toContain('3 accounts');
    const asJson = JSON.parse((await cli(['accounts', 'list', '--institution', institution, '--json'])).stdout) as {
      accounts: Array<{ accountId: string; state: string }>;
    };
    expect(asJson.accounts.map((a) => a.accountId).sort()).toEqual([...failed, synced].sort());
  });

  it('shows one account with its history', async () => {
    const res = await cli(['accounts', 'show', failed[0]!]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/State\s+sync_failed since /);
    expect(res.stdout).toMatch(/\(new\)\s+sync_failed\s+sync_failed/);
  });

  it('says clearly when the account does not exist or the command is wrong', async () => {
    expect(await cli(['accounts', 'show', 'nosuchaccount1'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no account nosuchaccount1/),
    });
    expect(await cli(['accounts', 'frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command[\s\S]*usage:/),
    });
    expect(await cli(['accounts', 'list', '--state', 'weird'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--state/),
    });
  });
});

describe('mono-reauth accounts retry', () => {
  it('retries one account, and refuses with the workflow’s reason where it makes no sense', async () => {
    const ok = await cli(['accounts', 'retry', failed[0]!, '--reason', 'single']);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/^accepted: .* \(sync_failed\) will sync at /) });
    const refused = await cli(['accounts', 'retry', synced]);
    expect(refused).toMatchObject({ code: 1, stderr: 'the account is synced; there is nothing to retry\n' });
  });

  it('bulk: previews the count, and answering no retries nothing', async () => {
    const res = await cli(
      ['accounts', 'retry', '--state', 'sync_failed', '--institution', institution, '--reason', 'not now'],
      'n\n'
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `Retry the sync of 3 accounts in state sync_failed at ${institution}, reason "not now"? [y/N]`
    );
    expect(res.stderr).toContain('Aborted; nothing was retried.');
    const view = await stack.state(failed[1]!);
    expect(view.history.map((t) => t.cause)).not.toContain('operator:retrySync (not now)');
  });

  it('bulk: with --yes, shows progress and per-account outcomes, and every account records the reason', async () => {
    const res = await cli([
      'accounts',
      'retry',
      '--state',
      'sync_failed',
      '--institution',
      institution,
      '--reason',
      'bank back',
      '--yes',
      '--concurrency',
      '2',
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\[1\/3\] \w+ accepted: sync at /);
    expect(res.stdout).toMatch(/\[3\/3\] /);
    expect(res.stdout).toContain('3 accounts: 3 accepted, 0 refused, 0 failed');
    for (const id of failed) {
      const view = await stack.state(id);
      expect(view.history.map((t) => t.cause)).toContain('operator:retrySync (bank back)');
    }
  });

  it('resend is refused with the workflow’s reason where there is nothing to re-authorise', async () => {
    expect(await cli(['accounts', 'resend', synced])).toMatchObject({
      code: 1,
      stderr: 'the account is synced; there is no re-authorisation to ask for\n',
    });
  });

  it('bulk: refuses to run without --state or --reason', async () => {
    expect(await cli(['accounts', 'retry', '--reason', 'x', '--yes'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/needs --state/),
    });
    expect(await cli(['accounts', 'retry', '--state', 'sync_failed', '--yes'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/needs --reason/),
    });
  });
});
