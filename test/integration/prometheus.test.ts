/**
 * The alerts and the dashboard against the real thing: the service as a process (`src/main.ts`, both roles, against
 * the test dev server), driven through a re-auth and a recovery, a refused webhook and a reconcile run, scraped by a
 * real Prometheus (Debian's package) with deploy/prometheus/alerts.yml loaded. Every metric the rules and the
 * dashboard name exists, every rule evaluates, and the refused-webhooks alert goes pending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { reconcileScheduleId } from '../../src/reconcile/schedule.js';
import { freePort } from '../helpers/ports.js';
import { receiver, TEST_WHSEC, type Receiver } from '../helpers/receiver.js';
import { eventually } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ALERTS = join(ROOT, 'deploy/prometheus/alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/mono-reauth.json');
const TASK_QUEUE = `prometheus-${process.pid}`;

let service: ChildProcess;
let prometheus: ChildProcess;
let hook: Receiver;
let base: string;
let prometheusUrl: string;

/** The metric names a PromQL expression reads (`up` and PromQL's own words left out). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:mono_reauth|temporal|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

const ruleExprs = (): string[] =>
  [...readFileSync(ALERTS, 'utf8').matchAll(/expr: (?:>-\n)?([\s\S]*?)\n\s+for:/g)].map((m) => m[1]!);
const dashboardExprs = (): string[] =>
  (
    JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> }
  ).panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    () => fetch(url).then((r) => r.ok),
    (ok) => ok,
    timeoutMs
  );
}

beforeAll(async () => {
  hook = await receiver(() => 204);
  const [port, sdkPort, promPort] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  service = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      MONO_SIM_PORT: '0',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_DEPLOYMENT_NAME: TASK_QUEUE,
      TEMPORAL_DATA_DIR: dir,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
      NOTIFY_CHANNELS: 'log,webhook',
      NOTIFY_WEBHOOK_URL: hook.url,
      NOTIFY_WEBHOOK_SECRET: TEST_WHSEC,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/readyz`, 120_000);
  const config = join(dir, 'prometheus.yml');
  const job = (name: string, target: string, path = '/metrics') =>
    `  - job_name: ${name}\n    metrics_path: ${path}\n    static_configs:\n      - targets: ['${target}']\n`;
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - ${ALERTS}\nscrape_configs:\n` +
      job('mono-reauth-ingress', `127.0.0.1:${port}`) +
      job('mono-reauth-accounts', `127.0.0.1:${port}`, '/metrics/accounts') +
      job('mono-reauth-worker', `127.0.0.1:${port}`) +
      job('mono-reauth-worker-sdk', `127.0.0.1:${sdkPort}`)
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  );
  prometheusUrl = `http://127.0.0.1:${promPort}`;
  await waitFor(`${prometheusUrl}/-/ready`);
  // Every target scraped once before anything happens, so that the counters' increases are seen from 0.
  await eventually(
    async () => (await promql<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent('up == 1')}`)).result,
    (up) => up.length === 4,
    60_000
  );
}, 240_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  service?.kill('SIGTERM');
  await new Promise((r) => service?.once('exit', r));
  await hook?.close();
});

const post = (body: unknown, secret = 'dev-webhook-secret') =>
  fetch(`${base}/webhooks/mono`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mono-webhook-secret': secret },
    body: JSON.stringify(body),
  });

async function promql<T>(path: string): Promise<T> {
  const res = await fetch(`${prometheusUrl}${path}`);
  return ((await res.json()) as { data: T }).data;
}

it('has every metric the alerts and the dashboard read, evaluates every rule, and raises an alert', async () => {
  // A re-auth and a recovery (Mono's details, notices on two channels, the recovery time), then refusals.
  const id = newAccountId();
  expect((await post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => Promise.resolve(hook.hits.filter((h) => h.accountId === id).length),
    (n) => n >= 1,
    30_000
  );
  expect((await post(webhookBody(id, { kind: 'account_synced' }))).status).toBe(200);
  for (let i = 0; i < 40; i++) await post(webhookBody(id, { kind: 'sync_failed' }), 'not-the-secret');
  // A reconcile run, now rather than in six hours.
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    await new Client({ connection }).schedule.getHandle(reconcileScheduleId(TASK_QUEUE)).trigger();
  } finally {
    await connection.close();
  }

  const wanted = [...new Set([...ruleExprs(), ...dashboardExprs()].flatMap(metricNames))].sort();
  expect(wanted.length).toBeGreaterThan(15);
  const missing = await eventually(
    async () => {
      const names = new Set(await promql<string[]>('/api/v1/label/__name__/values'));
      return wanted.filter((n) => !names.has(n));
    },
    (left) => left.length === 0,
    90_000
  );
  expect(missing).toEqual([]);

  type Rule = { name: string; health: string; lastEvaluation: string; state?: string };
  const rules = await eventually(
    async () => (await promql<{ groups: Array<{ rules: Rule[] }> }>('/api/v1/rules')).groups.flatMap((g) => g.rules),
    (all) => all.length > 0 && all.every((r) => r.health === 'ok' && !r.lastEvaluation.startsWith('0001')),
    30_000
  );
  expect(rules.length).toBe(ruleExprs().length);
  const refused = await eventually(
    async () =>
      (await promql<{ alerts: Array<{ labels: { alertname: string }; state: string }> }>('/api/v1/alerts')).alerts,
    (alerts) => alerts.some((a) => a.labels.alertname === 'MonoReauthWebhooksRefused'),
    30_000
  );
  expect(refused.find((a) => a.labels.alertname === 'MonoReauthWebhooksRefused')?.state).toBe('pending');
}, 240_000);
