import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mergeLoads, runLoad } from '../../bench/lib/load.js';
import { Worker } from 'node:worker_threads';
import { Runtime } from '@temporalio/worker';
import { cpuSeconds, threadCpuSeconds, treeCpuSeconds } from '../../bench/lib/processes.js';
import { percentile, ratio, summarizeLatencies } from '../../bench/lib/stats.js';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('summarizes unsorted latencies', () => {
    expect(summarizeLatencies([30, 10, 20, 40])).toEqual({
      count: 4,
      meanMs: 25,
      p50Ms: 20,
      p95Ms: 40,
      p99Ms: 40,
      maxMs: 40,
    });
  });

  it('gives null for a ratio over zero', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(2, 3)).toBe(0.667);
  });

  it('runs a load with bounded concurrency, counts failures by reason, and merges blocks', async () => {
    let inFlight = 0;
    let peak = 0;
    const result = await runLoad({
      count: 50,
      concurrency: 4,
      send: async (i) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight -= 1;
        if (i % 10 === 0) throw new Error('HTTP 503');
      },
    });
    expect(peak).toBe(4);
    expect(result).toMatchObject({ requests: 50, ok: 45, failed: 5, errors: { 'HTTP 503': 5 } });
    expect(result.latency.count).toBe(45);
    const merged = mergeLoads([result, result]);
    expect(merged).toMatchObject({ requests: 100, ok: 90, failed: 10, errors: { 'HTTP 503': 10 } });
    expect(merged.durationMs).toBeCloseTo(result.durationMs * 2, 1);
  });

  it.runIf(process.platform === 'linux')(
    "counts a process tree's CPU: its own, its live children's, and its exited children's",
    async () => {
      // Each child uses 0.3 s of CPU (whatever the machine's load), then exits or idles.
      const burn = (then: 'exit' | 'idle') =>
        spawn(
          process.execPath,
          [
            '-e',
            `while (process.cpuUsage().user < 300000);` + (then === 'idle' ? ' setInterval(() => {}, 1000);' : ''),
          ],
          { stdio: 'ignore' }
        );
      const before = treeCpuSeconds(process.pid)!;
      const exited = burn('exit');
      await new Promise((r) => exited.once('exit', r));
      const live = burn('idle');
      try {
        while ((cpuSeconds(live.pid!) ?? 0) < 0.3) await new Promise((r) => setTimeout(r, 50));
        // The exited child's time (reaped: cutime/cstime) and the live child's, on top of our own.
        expect(treeCpuSeconds(process.pid)! - before).toBeGreaterThanOrEqual(0.6);
      } finally {
        live.kill('SIGKILL');
      }
    }
  );

  it("counts a thread started after the SDK core's runtime as the workflow thread, as the SDK's is", async () => {
    Runtime.instance(); // the core's tokio threads, as in a worker process
    const before = threadCpuSeconds(process.pid)!;
    // Spins for 400 ms, says so, and stays alive: an ended thread's CPU leaves /proc with it.
    const spinner = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const end = Date.now() + 400; while (Date.now() < end);
       parentPort.postMessage('spun'); setInterval(() => {}, 1000);`,
      { eval: true }
    );
    try {
      await new Promise((resolve) => spinner.once('message', resolve));
      const after = threadCpuSeconds(process.pid)!;
      // At least a quarter of its 400 ms even on a busy machine, and more than this (waiting) main thread.
      const workflow = after.workflow - before.workflow;
      expect(workflow).toBeGreaterThanOrEqual(0.1);
      expect(workflow).toBeGreaterThan(after.main - before.main);
      expect(Object.values(after).every((seconds) => seconds >= 0)).toBe(true);
    } finally {
      await spinner.terminate();
    }
  });
});
