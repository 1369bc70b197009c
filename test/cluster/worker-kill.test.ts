/**
 * The worker killed mid-activity, on Temporal's own server: a worker process (src/main.ts, SERVICE_ROLE=worker)
 * is SIGKILLed while it delivers a notice whose receiver has not answered yet. A second worker process picks the
 * activity up when the server times it out, and the receiver gets the same message again (same webhook-id), so a
 * deduping receiver sees it once; the account ends with nothing pending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { eventually, startStack, TEST_CODEC_KEYS, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const taskQueue = `worker-kill-${process.pid}`;
const received: string[] = [];
const hanging: ServerResponse[] = [];
let receiver: Server;
let receiverUrl: string;
let stack: Stack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(String(req.headers['webhook-id']));
    req.resume();
    // The first delivery never gets an answer: the worker is killed while it waits.
    if (received.length === 1) hanging.push(res);
    else res.writeHead(200).end('{}');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  stack = await startStack({ address: inject('temporalAddress'), taskQueue, env: { SERVICE_ROLE: 'ingress' } });
});

afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  for (const res of hanging) res.destroy();
  await stack?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
});

/** The worker role of the service as a process of its own; resolves once it says it is running. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      SERVICE_ROLE: 'worker',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
      PORT: '0',
      MONO_SIM_PORT: '0',
      WORKER_METRICS_ADDRESS: 'off',
      LOG_LEVEL: 'warn',
      NOTIFY_CHANNELS: 'webhook',
      NOTIFY_WEBHOOK_URL: receiverUrl,
      NOTIFY_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await eventually(
    () => Promise.resolve(stderr),
    (text) => text.includes('mono-reauth is running') || child.exitCode !== null,
    120_000
  );
  if (child.exitCode !== null) throw new Error(`the worker exited:\n${stderr}`);
  return child;
}

it('a worker SIGKILLed mid-delivery: the next worker delivers the same message, and nothing stays pending', async () => {
  const first = await startWorker();
  const id = newAccountId();
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => Promise.resolve(received.length),
    (n) => n >= 1,
    60_000
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  await startWorker();
  await eventually(
    () => Promise.resolve(received.length),
    (n) => n >= 2,
    120_000
  );
  expect(new Set(received).size).toBe(1);
  const view = await eventually(
    () => stack.state(id),
    (v) => v.pendingNotices === 0,
    60_000
  );
  expect(view.state).toBe('reauth_required');
  expect(view.history.some((t) => t.cause.includes('not delivered'))).toBe(false);
}, 300_000);
