/**
 * The re-auth funnel on the real dev server with the Mono simulator: owners prompted through the customer's
 * webhook (one receiver refuses some accounts, so their prompts reach nobody), re-authorised after different
 * delays, some still waiting. The report (admin API and CLI) and the time-to-re-auth histogram are checked
 * against what the accounts did, as their own histories record it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FunnelReport } from '../../src/accounts/funnel-summary.js';
import { percentile } from '../../src/accounts/funnel-summary.js';
import { runCli } from '../helpers/cli.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, TEST_CODEC_KEYS, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const BANK_A = `Funnel Bank A ${process.pid}`;
const BANK_B = `Funnel Bank B ${process.pid}`;

interface Plan {
  id: string;
  institution: string;
  /** The customer's webhook refuses this account's notices (400): no owner channel delivers its prompt. */
  refused: boolean;
  /** Seconds after the prompt went out when the owner re-authorises; null: still waiting. */
  afterS: number | null;
}
const plans: Plan[] = [
  { institution: BANK_A, refused: false, afterS: 1 },
  { institution: BANK_A, refused: false, afterS: 4 },
  { institution: BANK_B, refused: false, afterS: 7 },
  { institution: BANK_B, refused: true, afterS: 2 },
  { institution: BANK_A, refused: false, afterS: null },
  { institution: BANK_B, refused: true, afterS: null },
].map((p) => ({ ...p, id: newAccountId() }));
const neverPrompted = newAccountId();

let stack: Stack;
let customer: Receiver;
let promptsBegan: number;
/** Seconds from reauth_required to reauthorised, by account id, from each account's own history. */
const tookS = new Map<string, number>();

const admin = (path: string, token = TEST_ADMIN_TOKEN) =>
  fetch(`${stack.adminUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
const report = async (since: string): Promise<FunnelReport> => {
  const res = await admin(`/reports/reauth-funnel?since=${encodeURIComponent(since)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as FunnelReport;
};
const cli = (args: string[]) =>
  runCli(args, {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const refused = new Set(plans.filter((p) => p.refused).map((p) => p.id));
  customer = await receiver((accountId) => (refused.has(accountId) ? 400 : 204));
  stack = await startStack({
    address: inject('temporalAddress'),
    notify: { channels: ['log', 'webhook'], webhookUrl: customer.url, webhookSecret: TEST_WHSEC },
  });
  for (const p of plans) stack.sim.setScenario(p.id, { institution: p.institution });
  stack.sim.setScenario(neverPrompted, { institution: BANK_A });
  expect((await stack.post(webhookBody(neverPrompted, { kind: 'account_synced' }))).status).toBe(200);

  promptsBegan = Date.now();
  for (const p of plans) {
    expect((await stack.post(webhookBody(p.id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  }
  // Every prompt has been answered by the customer's webhook (delivered, or refused for good).
  await eventually(
    () => Promise.all(plans.map((p) => stack.state(p.id))),
    (views) => views.every((v) => v.institution !== null && v.pendingNotices === 0),
    30_000
  );
  expect(new Set(customer.hits.filter((h) => h.type === 'account.reauth_required').map((h) => h.accountId))).toEqual(
    new Set(plans.map((p) => p.id))
  );
  const start = Date.now();
  await Promise.all(
    plans
      .filter((p) => p.afterS !== null)
      .map(async (p) => {
        await sleep(start + p.afterS! * 1000 - Date.now());
        expect((await stack.post(webhookBody(p.id, { kind: 'account_reauthorized' }))).status).toBe(200);
      })
  );
  for (const p of plans.filter((q) => q.afterS !== null)) {
    const view = await eventually(
      () => stack.state(p.id),
      (v) => v.state === 'reauthorised',
      15_000
    );
    const at = (to: string) => Date.parse([...view.history].reverse().find((h) => h.to === to && h.from !== to)!.at);
    tookS.set(p.id, Math.round((at('reauthorised') - at('reauth_required')) / 1000));
  }
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await customer?.close();
});

describe('the re-auth funnel', () => {
  it('counts who re-authorised, how fast, by channels and by institution', async () => {
    const reauthorised = plans.filter((p) => p.afterS !== null);
    // The histories agree with what the test did (the delays, give or take the webhook's trip).
    for (const p of reauthorised) {
      expect(tookS.get(p.id)).toBeGreaterThanOrEqual(p.afterS!);
      expect(tookS.get(p.id)).toBeLessThanOrEqual(p.afterS! + 15);
    }
    const seconds = (ps: Plan[]) => ps.filter((p) => p.afterS !== null).map((p) => tookS.get(p.id)!);
    const expected = (ps: Plan[]) => {
      const s = seconds(ps);
      const waiting = ps.filter((p) => p.afterS === null).length;
      return {
        prompted: ps.length,
        reauthorised: s.length,
        waiting,
        rate: s.length / ps.length,
        medianSeconds: Math.round(percentile(s, 50)! * 10) / 10,
        p90Seconds: Math.round(percentile(s, 90)! * 10) / 10,
      };
    };
    const got = await eventually(
      () => report('1h'),
      (r) => r.overall.reauthorised === 4 && r.overall.waiting === 2 && r.byInstitution.length === 2,
      30_000
    );
    expect(got.overall).toEqual(expected(plans));
    expect(got.byChannels).toEqual([
      { channels: 'webhook', ...expected(plans.filter((p) => !p.refused)) },
      { channels: 'none', ...expected(plans.filter((p) => p.refused)) },
    ]);
    expect(got.byInstitution).toEqual(
      [BANK_A, BANK_B]
        .map((institution) => ({ institution, ...expected(plans.filter((p) => p.institution === institution)) }))
        .sort((a, b) => b.prompted - a.prompted || a.institution.localeCompare(b.institution))
    );
    expect(got.waitingPromptedBefore).toBe(0);
    expect(Date.parse(got.until) - Date.parse(got.since)).toBe(3_600_000);
  });

  it('keeps to the prompts that began in the window', async () => {
    // Every prompt began more than a second ago.
    const later = await report(new Date(Date.now() - 1000).toISOString());
    expect(later.overall).toMatchObject({ prompted: 0, reauthorised: 0, waiting: 0, rate: null, medianSeconds: null });
    expect(later.waitingPromptedBefore).toBe(2);
  });

  it('refuses a since it cannot read, and tokens of other roles', async () => {
    for (const since of ['yesterday', '2999-01-01T00:00:00Z', "7d' OR 1=1"]) {
      const res = await admin(`/reports/reauth-funnel?since=${encodeURIComponent(since)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/since/);
    }
    expect((await admin('/reports/reauth-funnel', 'wrong-token')).status).toBe(401);
  });

  it('observes each re-authorisation once in the time-to-re-auth histogram, by channels', async () => {
    const metric = await stack.metrics.reauthSeconds.get();
    const count = (channels: string) =>
      metric.values.find(
        (v) => v.metricName === 'mono_reauth_time_to_reauth_seconds_count' && v.labels.channels === channels
      )?.value;
    expect(count('webhook')).toBe(3);
    expect(count('none')).toBe(1);
    const sum = metric.values
      .filter((v) => v.metricName === 'mono_reauth_time_to_reauth_seconds_sum')
      .reduce((total, v) => total + v.value, 0);
    expect(sum).toBe([...tookS.values()].reduce((a, b) => a + b, 0));
  });

  it('prints the report with the CLI, as a table and as JSON', async () => {
    const table = await cli(['funnel', '--since', '1h']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Re-auth funnel: owners prompted from /);
    expect(table.stdout).toMatch(/GROUP\s+PROMPTED\s+REAUTHORISED\s+WAITING\s+RATE\s+MEDIAN\s+P90/);
    expect(table.stdout).toMatch(/\nall\s+6\s+4\s+2\s+67%\s/);
    expect(table.stdout).toMatch(/\nchannels: webhook\s+4\s+3\s+1\s+75%\s/);
    expect(table.stdout).toMatch(/\nchannels: none\s+2\s+1\s+1\s+50%\s/);
    expect(table.stdout).toMatch(new RegExp(`\\ninstitution: ${BANK_A}\\s+3\\s+2\\s+1\\s+67%\\s`));
    const asJson = await cli(['funnel', '--since', new Date(promptsBegan - 1000).toISOString(), '--json']);
    expect(asJson.code).toBe(0);
    const parsed = JSON.parse(asJson.stdout) as FunnelReport;
    expect(parsed.overall).toEqual((await report(new Date(promptsBegan - 1000).toISOString())).overall);
    expect(await cli(['funnel', '--since', 'soon'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--since/),
    });
  });
});
