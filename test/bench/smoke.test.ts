/**
 * The bench's own code at toy sizes: it starts its processes, drives every scenario and produces results
 * that match the schema. Figures are not judged here (they are noise at this size); `npm run bench` is where
 * they are measured.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runBench, SCENARIOS } from '../../bench/bench.js';
import { BenchResults } from '../../bench/lib/results.js';
import { formatSummary } from '../../bench/lib/report.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

describe('npm run bench (smoke, toy sizes)', () => {
  it('runs every scenario and produces well-formed results', async () => {
    const progress: string[] = [];
    const results = await runBench({
      ...DEFAULT_OPTIONS,
      scenarios: SCENARIOS,
      ingestAccounts: 40,
      stormAccounts: 40,
      concurrency: 8,
      historyDays: 45,
      importAccounts: 30,
      tracingAccounts: 20,
      memoryAccounts: 20,
      // A small budget so that the simulated weeks continue-as-new and carried state is measured.
      serviceEnv: { HISTORY_EVENTS_PER_RUN: '100' },
      progress: (line) => progress.push(line),
    });

    expect(BenchResults.safeParse(results).success).toBe(true);
    expect(results.ingest?.service.ok).toBe(40);
    expect(results.ingest?.directClient.ok).toBe(40);
    expect(results.ingest?.bareExpress.ok).toBe(40);
    expect(results.storm?.storm.missing).toBe(0);
    expect(results.storm?.scale.workerRssMiB.atRest).toBeGreaterThan(0);
    // The cost figures: per webhook, per recovered account (with its history) and per cached workflow.
    expect(results.ingest?.cpuMsPerWebhook?.signalWithStart).toBeGreaterThan(0);
    expect(results.ingest?.cpuMsPerWebhook?.ingress).toBeGreaterThan(0);
    expect(results.storm?.storm.cpuMsPerAccount).toBeGreaterThan(0);
    // A recovery is one workflow task and, with the log channel only, no activity task (the plan writes the line).
    expect(results.storm?.storm.history?.workflowTasks).toBeLessThanOrEqual(1.5);
    expect(results.storm?.storm.history?.activityTasks).toBe(0);
    expect(results.storm?.scale.perCachedWorkflowKiB).not.toBeUndefined();
    expect(results.recoveryCost?.ratio).toBeGreaterThan(0);
    // Where each side's CPU went: the server and the worker's threads, the workflow thread busy on both.
    expect(results.recoveryCost?.split?.recovery?.workerWorkflow).toBeGreaterThan(0);
    expect(results.recoveryCost?.split?.signalWithStart?.workerWorkflow).toBeGreaterThan(0);
    expect(results.recoveryCost?.split?.recovery?.temporalServer).toBeGreaterThan(0);
    // Memory and CPU in one process: promises counted, recoveries from the cache and replayed, codec on and off.
    const memory = results.memory!;
    expect(memory.promises.perRecovery).toBeGreaterThan(memory.promises.perCachedRecovery);
    expect(memory.workerCpuMs.replayedRecovery.workflow).toBeGreaterThan(0);
    expect(memory.codec.payloadsPerHistory).toBeGreaterThan(0);
    expect(memory.codec.decodeMsPerHistory).toBeGreaterThan(0);
    const history = results.history!;
    expect(history.runs.length).toBeGreaterThan(1);
    expect(history.runs.slice(1).every((run) => run.carriedBytes > 0)).toBe(true);
    expect(history.maxEventsPerRun).toBe(Math.max(...history.runs.map((r) => r.events)));
    expect(progress.some((line) => line.includes('storm'))).toBe(true);
    // Every imported account learnt its state from the simulator, one details request each.
    expect(results.import).toMatchObject({ accounts: 30, enrolled: 30, maxRps: 10, goals: { allEnrolled: true } });
    expect(results.import?.mono.requests).toBe(30);
    // Tracing on exported spans to the stand-in collector; off and on both measured.
    expect(results.tracing?.on.exportRequests).toBeGreaterThan(0);
    expect(results.tracing?.cpuRatio).toBeGreaterThan(0);
    // One worker process against two, same run: the storm above is the first side.
    expect(results.workers).toMatchObject({
      engine: 'dev-server',
      one: { workers: 1 },
      two: { workers: 2, missing: 0 },
    });
    const summary = formatSummary(results);
    for (const heading of [
      'Ingest',
      'Midnight storm',
      'History bound',
      'Tracing',
      'Import',
      'Cost of a recovered account',
      'per recovery (ms): server',
      'Payload codec on a replayed history',
    ])
      expect(summary).toContain(heading);
  }, 300_000);

  it('drives the service as one process (npm start) as well as split into its two roles', async () => {
    const results = await runBench({
      ...DEFAULT_OPTIONS,
      scenarios: ['ingest'],
      ingestAccounts: 20,
      concurrency: 4,
      split: false,
      progress: () => undefined,
    });
    expect(results.ingest?.service.ok).toBe(20);
    expect(results.options.split).toBe(false);
  }, 300_000);
});
