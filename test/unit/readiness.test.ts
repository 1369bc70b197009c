/** Readiness: every role of the process up and not draining, Temporal's probe answered from a short cache. */
import { describe, expect, it } from 'vitest';
import { cachedProbe, readiness } from '../../src/server/readiness.js';

describe('cachedProbe', () => {
  it('answers from a 1.5 s cache, shares a probe in flight, and probes again after', async () => {
    let now = 0;
    let probes = 0;
    let answer = true;
    const probe = cachedProbe(
      () => {
        probes += 1;
        return new Promise((resolve) => setTimeout(() => resolve(answer), 10));
      },
      1_500,
      () => now
    );
    expect(await Promise.all([probe(), probe(), probe()])).toEqual([true, true, true]);
    answer = false;
    now = 1_499;
    expect(await probe()).toBe(true);
    expect(probes).toBe(1);
    now = 1_500;
    expect(await probe()).toBe(false);
    expect(probes).toBe(2);
  });

  it('answers false for a probe that fails', async () => {
    expect(await cachedProbe(() => Promise.reject(new Error('unavailable')))()).toBe(false);
  });
});

describe('readiness', () => {
  const up = () => Promise.resolve(true);
  it('needs every part the process has: Temporal for the HTTP side, the running worker for the worker side', async () => {
    let workerRunning = false;
    const all = readiness({ temporal: up, worker: () => workerRunning, draining: () => false });
    expect(await all()).toBe(false); // still bundling: the HTTP side alone is not the process
    workerRunning = true;
    expect(await all()).toBe(true);
    expect(
      await readiness({ temporal: () => Promise.resolve(false), worker: () => true, draining: () => false })()
    ).toBe(false);
    expect(await readiness({ temporal: up, draining: () => false })()).toBe(true);
    expect(await readiness({ worker: () => true, draining: () => false })()).toBe(true);
  });

  it('is never ready while draining, without asking Temporal', async () => {
    let asked = false;
    const draining = readiness({ temporal: () => ((asked = true), up()), draining: () => true });
    expect(await draining()).toBe(false);
    expect(asked).toBe(false);
  });
});
