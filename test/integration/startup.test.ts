/**
 * `npm start`'s entry point as a real process: refused before anything starts when development defaults would
 * be reachable from other machines, and, on this machine alone with no configuration, up and taking webhooks with
 * a banner that shows no secret.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMain } from '../helpers/main-process.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let child: ChildProcess | undefined;

function start(env: Record<string, string>) {
  const main = startMain(env);
  child = main.child;
  return main;
}

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  child = undefined;
});

describe('start-up', () => {
  it.each<{ why: string; env: Record<string, string> }>([
    { why: 'NODE_ENV=production', env: { NODE_ENV: 'production' } },
    { why: 'HOST=0.0.0.0', env: { HOST: '0.0.0.0' } },
  ])('with $why and no secrets, refuses to start and names each variable to set', async ({ env }) => {
    const { output, exited } = start({ ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(await exited).toBe(1);
    for (const variable of ['MONO_WEBHOOK_SECRET', 'ADMIN_TOKEN', 'REAUTH_LINK_SECRET', 'MONO_SECRET_KEY']) {
      expect(output.stderr).toContain(`${variable}: the development default is refused`);
    }
    expect(output.stderr).toMatch(/Fix the variables above/);
    expect(output.stderr + output.stdout).not.toMatch(/dev-admin-token|dev-webhook-secret/);
  });

  it('on this machine alone, starts with no configuration, takes a webhook, and prints no secret', async () => {
    const { output, exited } = start({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `startup-${process.pid}`,
      PORT: '0',
      MONO_SIM_PORT: '0',
      WORKER_METRICS_ADDRESS: 'off',
      LOG_LEVEL: 'warn',
    });
    const deadline = Date.now() + 60_000;
    while (!output.stderr.includes('Press Ctrl-C to stop.') && Date.now() < deadline && child!.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output.stderr).toContain('mono-reauth is running');
    expect(output.stderr).not.toMatch(/dev-admin-token|dev-webhook-secret|dev-reauth-link-secret/);
    const webhookUrl = /POST (http:\/\/\S+\/webhooks\/mono)/.exec(output.stderr)?.[1];
    expect(webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/mono$/);
    const res = await fetch(webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mono-webhook-secret': 'dev-webhook-secret' },
      // A fresh account: the dev server is shared with other test files, whose workers serve other task queues.
      body: JSON.stringify(webhookBody(newAccountId(), { kind: 'reauthorisation_required' })),
    });
    expect(res.status).toBe(200);
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('the operator listener (ADMIN_ADDRESS)', () => {
  it('serves the admin API and /metrics apart from the public webhook endpoint and re-auth page', async () => {
    const { startStack, TEST_ADMIN_TOKEN } = await import('../helpers/stack.js');
    const stack = await startStack({ address: inject('temporalAddress'), env: { ADMIN_ADDRESS: '127.0.0.1:0' } });
    try {
      expect(stack.adminUrl).not.toBe(stack.baseUrl);
      const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
      expect((await fetch(`${stack.baseUrl}/accounts`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${stack.baseUrl}/metrics`)).status).toBe(404);
      expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${stack.adminUrl}/accounts`)).status).toBe(401);
      expect((await fetch(`${stack.adminUrl}/accounts`, { headers: auth })).status).toBe(200);
      expect(await (await fetch(`${stack.adminUrl}/metrics`)).text()).toContain('mono_reauth_webhooks_total');
      expect((await stack.post(webhookBody(newAccountId(), { kind: 'reauthorisation_required' }))).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});

describe('a port already in use', () => {
  let blocker: NetServer;
  let port: number;
  beforeAll(async () => {
    blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    port = (blocker.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it.each([
    {
      variable: 'MONO_SIM_PORT',
      env: (p: number) => ({ MONO_SIM_PORT: String(p), PORT: '0', WORKER_METRICS_ADDRESS: 'off' }),
    },
    { variable: 'PORT', env: (p: number) => ({ PORT: String(p), WORKER_METRICS_ADDRESS: 'off' }) },
    {
      variable: 'WORKER_METRICS_ADDRESS',
      env: (p: number) => ({ PORT: '0', MONO_SIM_PORT: '0', WORKER_METRICS_ADDRESS: `127.0.0.1:${p}` }),
    },
  ])('ends start-up with a message naming the port and $variable', async ({ variable, env }) => {
    const { output, exited } = start({
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `startup-port-${process.pid}`,
      ...env(port),
    });
    expect(await exited).toBe(1);
    const text = output.stdout + output.stderr;
    expect(text).toContain(String(port));
    expect(text).toContain(variable);
    expect(text).not.toMatch(/Cannot read properties of null/);
  });
});
