/**
 * Rollouts that drop nothing, on `npm start`'s entry point as a real process against the test dev server (which
 * already answers, so the process starts none): readiness is 503 until every role is up (the worker bundles its
 * workflows first); a SIGTERM during start-up stops it cleanly; and a SIGTERM in the middle of a burst of webhooks
 * drains: readiness turns 503 at once, requests go on being answered (each closing its connection) for
 * SHUTDOWN_DRAIN, then the listener closes. Every request gets an answer or is refused at connect; none is cut off.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startMain } from '../helpers/main-process.js';
import { freePort } from '../helpers/ports.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const DRAIN_MS = 3_000;
let child: ChildProcess | undefined;

function start(port: number) {
  const main = startMain({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `shutdown-${process.pid}-${port}`,
    PORT: String(port),
    MONO_SIM_PORT: '0',
    WORKER_METRICS_ADDRESS: 'off',
    SHUTDOWN_DRAIN: `${DRAIN_MS}ms`,
  });
  child = main.child;
  const output = {
    get text() {
      return main.output.stdout + main.output.stderr;
    },
  };
  return { output, exited: main.exited };
}

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  child = undefined;
});

/** The status of GET /readyz, or the error code when nothing answers. */
async function readyz(port: number): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code ?? err);
  }
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 90_000): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    seen.push(value);
    if (ok(value)) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not reached in ${timeoutMs} ms; last: ${String(seen.at(-1))}`);
}

describe('start-up', () => {
  it('answers /readyz 503 while the worker bundles its workflows, 200 once every role is up', async () => {
    const port = await freePort();
    const { output } = start(port);
    const statuses = await until(
      () => readyz(port),
      (s) => s === 200
    );
    expect(statuses).toContain(503);
    expect(statuses.indexOf(503)).toBeLessThan(statuses.indexOf(200));
    expect(output.text).toContain('mono-reauth is running');
  }, 120_000);

  it('stops cleanly on a SIGTERM while the worker is still bundling', async () => {
    const port = await freePort();
    const { output, exited } = start(port);
    await until(
      () => readyz(port),
      (s) => s === 503
    );
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.text).not.toContain('could not start');
    expect(output.text).toContain('"msg":"stopped"');
    expect(output.text).not.toContain('mono-reauth is running');
  }, 120_000);
});

type Outcome = { status: number; connection: string | null; afterSigterm: boolean } | { error: string };

describe('SIGTERM in the middle of a burst of webhooks', () => {
  it('answers every request or refuses it at connect; none is cut off', async () => {
    const port = await freePort();
    start(port);
    await until(
      () => readyz(port),
      (s) => s === 200
    );
    const accounts = Array.from({ length: 20 }, () => newAccountId());
    const outcomes: Outcome[] = [];
    let sigtermAt = 0;
    const send = async (i: number): Promise<Outcome> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/webhooks/mono`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'mono-webhook-secret': 'dev-webhook-secret' },
          body: JSON.stringify(webhookBody(accounts[i % accounts.length]!, { kind: 'sync_failed' }, i)),
        });
        await res.arrayBuffer();
        return { status: res.status, connection: res.headers.get('connection'), afterSigterm: sigtermAt > 0 };
      } catch (err) {
        return { error: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
      }
    };
    // 400 webhooks, 16 at a time over kept-alive connections, paced so that the burst outlasts the drain (3 s):
    // after the SIGTERM the last 250 take at least 250 / 16 × 250 ms ≈ 3.9 s.
    let next = 0;
    let readyDuringDrain: number | string | undefined;
    const workers = Array.from({ length: 16 }, async () => {
      while (next < 400) {
        const i = next++;
        if (i === 150) {
          sigtermAt = Date.now();
          child!.kill('SIGTERM');
          // The signal takes a moment to arrive; then readiness answers 503 at once (not from its cache).
          readyDuringDrain = (
            await until(
              () => readyz(port),
              (s) => s === 503,
              1_000
            )
          ).at(-1);
        }
        outcomes.push(await send(i));
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    await Promise.all(workers);

    const errors = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
    const answered = outcomes.filter((o): o is Exclude<Outcome, { error: string }> => 'status' in o);
    expect(errors.filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(answered.every((o) => o.status === 200)).toBe(true);
    expect(outcomes).toHaveLength(400);
    expect(readyDuringDrain).toBe(503);
    // Served during the drain, each closing its connection; refused at connect only after it.
    const duringDrain = answered.filter((o) => o.afterSigterm);
    expect(duringDrain.length).toBeGreaterThan(16);
    expect(duringDrain.slice(16).every((o) => o.connection === 'close')).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
  }, 180_000);
});
